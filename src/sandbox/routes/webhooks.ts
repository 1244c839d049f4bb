/**
 * Webhook subscriptions, test deliveries and the delivery log, checked with the clients' input schemas;
 * the sandbox also refuses event types it never sends.
 */
import * as z from 'zod/mini';
import { lazySchema } from '../../clients/schemas/common.js';
import {
  queueWebhookTestDeliveryInputSchema,
  listWebhookDeliveriesInputSchema,
} from '../../clients/schemas/webhook-delivery.js';
import { createWebhookSubscriptionInputSchema } from '../../clients/schemas/webhook-subscription.js';
import { DIRECT_REQUEST_PAYMENT_EVENT_TYPES } from '../../core/constants.js';
import { nonEmptyStringSchema, parseInput } from '../../core/validation.js';
import type { SandboxCore } from '../core.js';
import { conflict, invalidField } from '../errors.js';
import { queryInput, route, type Route, type RouteInput } from '../http.js';
import { DELIVERY_STATUSES, newSubscription, subscriptionView } from '../records.js';

const KNOWN_TYPES: readonly string[] = DIRECT_REQUEST_PAYMENT_EVENT_TYPES;
const deliveryQuerySchema = lazySchema(() =>
  z.extend(listWebhookDeliveriesInputSchema(), { event_id: z.optional(nonEmptyStringSchema) }),
);

function checkEventType(type: string, field: string): void {
  if (!KNOWN_TYPES.includes(type)) throw invalidField(field, `must be one of ${KNOWN_TYPES.join(', ')}`);
}

export function webhookRoutes({ store, webhooks }: SandboxCore): Route[] {
  function createSubscription({ body }: RouteInput) {
    const input = parseInput(createWebhookSubscriptionInputSchema(true), body);
    input.event_types.forEach((type, i) => checkEventType(type, `event_types[${i}]`));
    const sub = newSubscription(input.callback_url, store.nowIso(), input.event_types);
    Object.assign(sub, { description: input.description ?? null, metadata: input.metadata ?? {} });
    store.put('subscriptions', sub);
    // The one answer that carries the full signing secret.
    return { status: 201, data: { ...subscriptionView(sub), signing_secret: sub.signing_secret } };
  }

  async function queueTestDelivery({ body }: RouteInput) {
    const input = parseInput(queueWebhookTestDeliveryInputSchema(), body);
    checkEventType(input.event_type, 'event_type');
    const targets = (input.subscription_ids ?? []).map((id, i) => {
      const sub = store.get('subscriptions', id);
      if (!sub) throw invalidField(`subscription_ids[${i}]`, `subscription "${id}" does not exist`);
      return sub;
    });
    if (!input.subscription_ids) targets.push(...store.subscriptionsFor(input.event_type));
    if (targets.length === 0) {
      const message = `No active webhook subscription receives ${input.event_type}. Create one with POST /v1/market/webhooks/subscriptions.`;
      throw conflict('NO_MATCHING_SUBSCRIPTION', message);
    }
    const event = webhooks.createEvent(input.event_type, input.data ?? {});
    const deliveries = await webhooks.publish(event, false, targets);
    return { status: 202, data: { event: { id: event.id, type: event.type }, deliveries } };
  }

  /** The delivery log, newest first; `failure_reason` says why a failed delivery failed. */
  function listDeliveries({ query }: RouteInput) {
    const names = ['subscription_id', 'event_id', 'event_type', 'status', 'limit'];
    const q = parseInput(deliveryQuerySchema(), queryInput(query, names));
    if (q.status && !(DELIVERY_STATUSES as readonly string[]).includes(q.status))
      throw invalidField('status', 'must be queued, delivered or failed');
    const wanted = [q.subscription_id, q.event_id, q.event_type, q.status];
    const matching = store.list('deliveries').filter((d) => {
      const fields = [d.subscription_id, d.event_id, d.event_type, d.delivery_status];
      return wanted.every((value, i) => value === undefined || value === fields[i]);
    });
    const newest = matching.reverse().slice(0, Math.min(q.limit ?? 50, 200));
    return { data: newest.map((d) => ({ ...d })) };
  }

  return [
    route('POST', '/market/webhooks/subscriptions', 'merchant', createSubscription),
    route('GET', '/market/webhooks/subscriptions', 'merchant', () => ({
      data: store.list('subscriptions').map(subscriptionView),
    })),
    route('POST', '/market/webhooks/test-deliveries', 'merchant', queueTestDelivery),
    route('GET', '/market/webhooks/deliveries', 'merchant', listDeliveries),
  ];
}
