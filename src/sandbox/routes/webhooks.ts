/**
 * Webhook subscriptions, test deliveries and the delivery log.
 */
import { z } from 'zod';
import { DIRECT_REQUEST_PAYMENT_EVENT_TYPES } from '../../core/constants.js';
import { absoluteUrlSchema, jsonObjectSchema, nonEmptyStringSchema, parseInput } from '../../core/validation.js';
import type { SandboxCore } from '../core.js';
import { SandboxHttpError, invalidField } from '../errors.js';
import { limitSchema, queryObject, type Route, type RouteInput } from '../http.js';
import { newSubscription, subscriptionView } from '../records.js';

const eventTypeSchema = z.enum(DIRECT_REQUEST_PAYMENT_EVENT_TYPES, {
  error: `must be one of ${DIRECT_REQUEST_PAYMENT_EVENT_TYPES.join(', ')}`,
});

const createSchema = z.object({
  callback_url: absoluteUrlSchema(true),
  event_types: z
    .array(eventTypeSchema, { error: 'must be an array of event types' })
    .min(1, { error: 'must not be empty' })
    .nullish(),
  description: z.string({ error: 'must be a string' }).max(500, { error: 'must be at most 500 characters' }).nullish(),
  metadata: z.nullish(jsonObjectSchema),
});

const testDeliverySchema = z.object({
  event_type: eventTypeSchema,
  data: z.nullish(jsonObjectSchema),
  subscription_ids: z
    .array(nonEmptyStringSchema, { error: 'must be an array of subscription ids' })
    .min(1, { error: 'must not be empty' })
    .nullish(),
});

const deliveryQuerySchema = z.object({
  subscription_id: z.optional(nonEmptyStringSchema),
  event_id: z.optional(nonEmptyStringSchema),
  event_type: z.optional(nonEmptyStringSchema),
  status: z.enum(['queued', 'delivered', 'failed'], { error: 'must be queued, delivered or failed' }).optional(),
  limit: limitSchema.optional(),
});

/** Routes under `/v1/market/webhooks`. */
export function webhookRoutes({ store, webhooks }: SandboxCore): Route[] {
  function createSubscription({ body }: RouteInput) {
    const { callback_url, event_types, description, metadata } = parseInput(createSchema, body);
    const sub = newSubscription(callback_url, store.nowIso(), {
      ...(event_types && { event_types: [...new Set(event_types)] }),
      description: description ?? null,
      metadata: metadata ?? {},
    });
    store.data.subscriptions[sub.id] = sub;
    store.changed();
    // The one answer that carries the full signing secret.
    return { status: 201, data: { ...subscriptionView(sub), signing_secret: sub.signing_secret } };
  }

  async function queueTestDelivery({ body }: RouteInput) {
    const input = parseInput(testDeliverySchema, body);
    const targets = (input.subscription_ids ?? []).map((id, i) => {
      const sub = store.get('subscriptions', id);
      if (!sub) throw invalidField(`subscription_ids[${i}]`, `subscription "${id}" does not exist`);
      return sub;
    });
    if (!input.subscription_ids) targets.push(...store.subscriptionsFor(input.event_type));
    if (targets.length === 0) {
      throw new SandboxHttpError(
        409,
        'NO_MATCHING_SUBSCRIPTION',
        `No active webhook subscription receives ${input.event_type}. Create one with POST /v1/market/webhooks/subscriptions.`,
      );
    }
    const event = webhooks.createEvent(input.event_type, input.data ?? {});
    const deliveries = await webhooks.publish(event, false, targets);
    return { status: 202, data: { event: { id: event.id, type: event.type }, deliveries } };
  }

  function listDeliveries({ query }: RouteInput) {
    const q = parseInput(
      deliveryQuerySchema,
      queryObject(query, ['subscription_id', 'event_id', 'event_type', 'status', 'limit']),
    );
    const matching = Object.values(store.data.deliveries).filter(
      (d) =>
        (!q.subscription_id || d.subscription_id === q.subscription_id) &&
        (!q.event_id || d.event_id === q.event_id) &&
        (!q.event_type || d.event_type === q.event_type) &&
        (!q.status || d.delivery_status === q.status),
    );
    // Newest first, as a log is read.
    return {
      data: matching
        .reverse()
        .slice(0, Math.min(q.limit ?? 50, 200))
        .map((d) => ({ ...d })),
    };
  }

  return [
    { method: 'POST', path: '/market/webhooks/subscriptions', auth: 'merchant', handler: createSubscription },
    {
      method: 'GET',
      path: '/market/webhooks/subscriptions',
      auth: 'merchant',
      handler: () => ({ data: Object.values(store.data.subscriptions).map(subscriptionView) }),
    },
    { method: 'POST', path: '/market/webhooks/test-deliveries', auth: 'merchant', handler: queueTestDelivery },
    { method: 'GET', path: '/market/webhooks/deliveries', auth: 'merchant', handler: listDeliveries },
  ];
}
