/**
 * Schemas for webhook subscriptions (contract section 4).
 */
import * as z from 'zod/mini';
import { DEFAULT_WEBHOOK_EVENT_TYPES } from '../../core/constants.js';
import {
  jsonObjectSchema,
  absoluteUrlSchema,
  transformIssue,
} from '../../core/validation.js';
import { arrayOrItemsSchema, optionalString, strictInput, textInput, lazySchema, lazyLoopbackSchema, responseObject } from './common.js';

/** An event type name such as `direct_payment.confirmed`. */
export const eventTypeSchema = /* @__PURE__ */ lazySchema(() =>
  z
    .string({ error: 'must be a string' })
    .check(z.regex(/^[a-z0-9_]+(\.[a-z0-9_]+)*$/, { error: 'must be an event type such as "direct_payment.confirmed"' })),
);

/** Event types of a subscription: non-empty, de-duplicated in order. */
export const eventTypesSchema = /* @__PURE__ */ lazySchema(() => z.pipe(
  z.array(eventTypeSchema(), { error: 'must be an array of event types' }).check(z.minLength(1, { error: 'must not be empty' })),
  z.transform((types: string[]) => [...new Set(types)]),
));

/** Input of `createWebhookSubscription` (see {@link absoluteUrlSchema} for the loopback rule). */
export const createWebhookSubscriptionInputSchema = /* @__PURE__ */ lazyLoopbackSchema((allowLoopbackHttp: boolean) =>
  strictInput({
    callback_url: absoluteUrlSchema(allowLoopbackHttp),
    event_types: z._default(eventTypesSchema(), () => [...DEFAULT_WEBHOOK_EVENT_TYPES]),
    description: z.optional(textInput(500)),
    metadata: z.optional(jsonObjectSchema),
  }),
);

/**
 * Input of `createWebhookSubscription`.
 *
 * @interface
 */
export type DirectRequestPaymentWebhookSubscriptionCreateInput = z.input<
  ReturnType<typeof createWebhookSubscriptionInputSchema>
>;

const webhookSubscriptionFields = /* @__PURE__ */ lazySchema(() => responseObject({
  id: optionalString(),
  webhook_subscription_id: optionalString(),
  subscription_id: optionalString(),
  callback_url: optionalString(),
  status: optionalString(),
  event_types: z.nullish(z.array(z.string())),
  description: optionalString(),
  signing_secret: optionalString(),
  signing_secret_hint: optionalString(),
}));

/**
 * A webhook subscription. The API names its id `id`, `webhook_subscription_id`
 * or `subscription_id`; `id` is always filled from whichever is present.
 * `signing_secret` (`whsec_…`) is present only in the answer to creation or
 * rotation; lists carry `signing_secret_hint`, a suffix of the secret.
 */
export const webhookSubscriptionSchema = /* @__PURE__ */ lazySchema(() => z.pipe(
  webhookSubscriptionFields(),
  z.transform((sub: z.output<ReturnType<typeof webhookSubscriptionFields>>, ctx) => {
    const id = sub.id || sub.webhook_subscription_id || sub.subscription_id;
    if (!id) return transformIssue(ctx, 'is missing (expected id, webhook_subscription_id or subscription_id)', ['id']);
    // Typed as the input with `id` set: a plain spread would drop its index signature (created_at, metadata ... untyped).
    return { ...sub, id } as { [K in keyof (typeof sub & { id: string })]: (typeof sub & { id: string })[K] };
  }),
));

/**
 * A webhook subscription (`id` always set).
 *
 * @interface
 */
export type DirectRequestPaymentWebhookSubscription = z.output<ReturnType<typeof webhookSubscriptionSchema>>;

/** Answer of `listWebhookSubscriptions`: a bare array or `{ items }`, returned as an array. */
export const webhookSubscriptionListSchema = /* @__PURE__ */ lazySchema(() => arrayOrItemsSchema(webhookSubscriptionSchema()));
