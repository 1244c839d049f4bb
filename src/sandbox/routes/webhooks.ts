/**
 * Webhook subscriptions, test deliveries and the delivery log.
 */
import { z } from 'zod';
import { DEFAULT_WEBHOOK_EVENT_TYPES, DIRECT_REQUEST_PAYMENT_EVENT_TYPES } from '../../core/constants.js';
import { absoluteUrlSchema, jsonObjectSchema, nonEmptyStringSchema, parseInput } from '../../core/validation.js';
import { SandboxHttpError, invalidField } from '../errors.js';
import { createEvent, publishEvent } from '../events.js';
import { newId, newWebhookSigningSecret } from '../ids.js';
import type { Route, RouteContext } from '../router.js';
import type { SandboxWebhookSubscription } from '../types.js';
import { deliveryView, subscriptionView } from '../views.js';
import { limitSchema, queryObject } from './query.js';

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
  subscription_ids: z.array(nonEmptyStringSchema, { error: 'must be an array of subscription ids' }).min(1, { error: 'must not be empty' }).nullish(),
});

const deliveryQuerySchema = z.object({
  subscription_id: z.optional(nonEmptyStringSchema),
  event_id: z.optional(nonEmptyStringSchema),
  event_type: z.optional(nonEmptyStringSchema),
  status: z.enum(['queued', 'delivered', 'failed'], { error: 'must be queued, delivered or failed' }).optional(),
  limit: limitSchema.optional(),
});

function createSubscription(ctx: RouteContext) {
  const input = parseInput(createSchema, ctx.body);
  const { store } = ctx.rt;
  const now = store.nowIso();
  const sub: SandboxWebhookSubscription = {
    id: newId('whsub'),
    callback_url: input.callback_url,
    status: 'active',
    event_types: [...new Set(input.event_types ?? DEFAULT_WEBHOOK_EVENT_TYPES)],
    description: input.description ?? null,
    metadata: input.metadata ?? {},
    signing_secret: newWebhookSigningSecret(),
    created_at: now,
    updated_at: now,
  };
  store.data.subscriptions[sub.id] = sub;
  store.changed();
  // The one answer that carries the full signing secret.
  return { status: 201, data: { ...subscriptionView(sub), signing_secret: sub.signing_secret } };
}

function listSubscriptions(ctx: RouteContext) {
  return { data: Object.values(ctx.rt.store.data.subscriptions).map(subscriptionView) };
}

async function queueTestDelivery(ctx: RouteContext) {
  const input = parseInput(testDeliverySchema, ctx.body);
  const { rt } = ctx;
  let targets: SandboxWebhookSubscription[];
  if (input.subscription_ids) {
    targets = input.subscription_ids.map((id, i) => {
      const sub = rt.store.subscription(id);
      if (!sub) throw invalidField(`subscription_ids[${i}]`, `subscription "${id}" does not exist`);
      return sub;
    });
  } else {
    targets = rt.store.subscriptionsFor(input.event_type);
  }
  if (targets.length === 0) {
    throw new SandboxHttpError(
      409,
      'NO_MATCHING_SUBSCRIPTION',
      `No active webhook subscription receives ${input.event_type}. Create one with POST /v1/market/webhooks/subscriptions.`,
    );
  }
  const event = createEvent(rt, input.event_type, input.data ?? {});
  const deliveries = await publishEvent(rt, event, { wait: false, subscriptions: targets });
  return { status: 202, data: { event: { id: event.id, type: event.type }, deliveries: deliveries.map(deliveryView) } };
}

function listDeliveries(ctx: RouteContext) {
  const q = parseInput(deliveryQuerySchema, queryObject(ctx.query, ['subscription_id', 'event_id', 'event_type', 'status', 'limit']));
  const limit = Math.min(q.limit ?? 50, 200);
  const out = [];
  const all = Object.values(ctx.rt.store.data.deliveries);
  // Newest first, as a log is read.
  for (let i = all.length - 1; i >= 0 && out.length < limit; i--) {
    const d = all[i]!;
    if (q.subscription_id && d.subscription_id !== q.subscription_id) continue;
    if (q.event_id && d.event_id !== q.event_id) continue;
    if (q.event_type && d.event_type !== q.event_type) continue;
    if (q.status && d.delivery_status !== q.status) continue;
    out.push(deliveryView(d));
  }
  return { data: out };
}

/** Routes under `/v1/market/webhooks`. */
export const webhookRoutes: Route[] = [
  { method: 'POST', pattern: '/market/webhooks/subscriptions', auth: 'merchant', handler: createSubscription },
  { method: 'GET', pattern: '/market/webhooks/subscriptions', auth: 'merchant', handler: listSubscriptions },
  { method: 'POST', pattern: '/market/webhooks/test-deliveries', auth: 'merchant', handler: queueTestDelivery },
  { method: 'GET', pattern: '/market/webhooks/deliveries', auth: 'merchant', handler: listDeliveries },
];
