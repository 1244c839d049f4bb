/**
 * Schemas for webhook subscriptions (contract section 4).
 */
import { z } from 'zod';
import { DEFAULT_WEBHOOK_EVENT_TYPES } from '../../core/constants.js';
import {
  jsonObjectSchema,
  absoluteUrlSchema,
} from '../../core/validation.js';
import { arrayOrItemsSchema, optionalString, strictInput } from './common.js';

/** An event type name such as `direct_payment.confirmed`. */
export const eventTypeSchema = z
  .string({ error: 'must be a string' })
  .regex(/^[a-z0-9_]+(\.[a-z0-9_]+)*$/, { error: 'must be an event type such as "direct_payment.confirmed"' });

/** Event types of a subscription: non-empty, de-duplicated in order. */
export const eventTypesSchema = z
  .array(eventTypeSchema, { error: 'must be an array of event types' })
  .min(1, { error: 'must not be empty' })
  .transform((types) => [...new Set(types)]);

/** Input of `createWebhookSubscription` (see {@link absoluteUrlSchema} for the loopback rule). */
export function createWebhookSubscriptionInputSchema(allowLoopbackHttp: boolean) {
  return strictInput({
    callback_url: absoluteUrlSchema(allowLoopbackHttp),
    event_types: eventTypesSchema.default(() => [...DEFAULT_WEBHOOK_EVENT_TYPES]),
    description: z
      .string({ error: 'must be a string' })
      .min(1, { error: 'must not be empty' })
      .max(500, { error: 'must be at most 500 characters' })
      .optional(),
    metadata: jsonObjectSchema.optional(),
  });
}

/**
 * Input of `createWebhookSubscription`.
 *
 * @interface
 */
export type DirectRequestPaymentWebhookSubscriptionCreateInput = z.input<
  ReturnType<typeof createWebhookSubscriptionInputSchema>
>;

/**
 * A webhook subscription. The API names its id `id`, `webhook_subscription_id`
 * or `subscription_id`; `id` is always filled from whichever is present.
 * `signing_secret` (`whsec_…`) is present only in the answer to creation or
 * rotation; lists carry `signing_secret_hint`, a suffix of the secret.
 */
export const webhookSubscriptionSchema = z
  .looseObject({
    id: optionalString,
    webhook_subscription_id: optionalString,
    subscription_id: optionalString,
    callback_url: optionalString,
    status: optionalString,
    event_types: z.array(z.string()).nullish(),
    description: optionalString,
    signing_secret: optionalString,
    signing_secret_hint: optionalString,
  })
  .transform((sub, ctx) => {
    const id = sub.id || sub.webhook_subscription_id || sub.subscription_id;
    if (!id) {
      ctx.addIssue({
        code: 'custom',
        path: ['id'],
        message: 'is missing (expected id, webhook_subscription_id or subscription_id)',
      });
      return z.NEVER;
    }
    return { ...sub, id };
  });

/**
 * A webhook subscription (`id` always set).
 *
 * @interface
 */
export type DirectRequestPaymentWebhookSubscription = z.output<typeof webhookSubscriptionSchema>;

/** Answer of `listWebhookSubscriptions`: a bare array or `{ items }`, returned as an array. */
export const webhookSubscriptionListSchema = arrayOrItemsSchema(webhookSubscriptionSchema);
