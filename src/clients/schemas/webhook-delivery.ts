/**
 * Schemas for webhook test deliveries and the delivery log (contract section 4).
 */
import * as z from 'zod/mini';
import {
  jsonObjectSchema,
  positiveSafeIntegerSchema,
  nonEmptyStringSchema,
} from '../../core/validation.js';
import { arrayOrItemsSchema, optionalNumber, optionalString, requiredResponseString, strictInput, lazySchema, responseObject } from './common.js';
import { eventTypeSchema } from './webhook-subscription.js';

/** Input of `queueWebhookTestDelivery`. */
export const queueWebhookTestDeliveryInputSchema = /* @__PURE__ */ lazySchema(() => strictInput({
  event_type: eventTypeSchema(),
  data: z.optional(jsonObjectSchema),
  subscription_ids: z.optional(
    z
      .array(nonEmptyStringSchema, { error: 'must be an array of subscription ids' })
      .check(z.minLength(1, { error: 'must not be empty' })),
  ),
}));

/**
 * Input of `queueWebhookTestDelivery`.
 *
 * @interface
 */
export type DirectRequestPaymentWebhookTestDeliveryInput = z.input<ReturnType<typeof queueWebhookTestDeliveryInputSchema>>;

/** Answer of `queueWebhookTestDelivery`: `event.id` identifies the deliveries to poll for. */
export const webhookTestDeliverySchema = /* @__PURE__ */ lazySchema(() => responseObject({
  event: responseObject({
    id: requiredResponseString(),
    type: optionalString(),
  }),
}));

/**
 * Answer of `queueWebhookTestDelivery`.
 *
 * @interface
 */
export type DirectRequestPaymentWebhookTestDelivery = z.output<ReturnType<typeof webhookTestDeliverySchema>>;

/** Delivery status; other strings may appear as the API grows. */
export type DirectRequestPaymentWebhookDeliveryStatus = 'queued' | 'delivered' | 'failed' | (string & {});

/** Filters of `listWebhookDeliveries`, sent in this order. */
export const listWebhookDeliveriesInputSchema = /* @__PURE__ */ lazySchema(() => strictInput({
  subscription_id: z.optional(nonEmptyStringSchema),
  event_type: z.optional(eventTypeSchema()),
  status: z.optional(
    z.custom<DirectRequestPaymentWebhookDeliveryStatus>((v) => typeof v === 'string' && v.length > 0, {
      error: 'must be a delivery status such as "queued", "delivered" or "failed"',
    }),
  ),
  limit: z.optional(positiveSafeIntegerSchema),
}));

/**
 * Filters of `listWebhookDeliveries`.
 *
 * @interface
 */
export type DirectRequestPaymentWebhookDeliveryQuery = z.input<ReturnType<typeof listWebhookDeliveriesInputSchema>>;

/** One delivery attempt record. */
export const webhookDeliverySchema = /* @__PURE__ */ lazySchema(() => responseObject({
  id: optionalString(),
  subscription_id: optionalString(),
  event_id: optionalString(),
  event_type: optionalString(),
  delivery_status: z.nullish(z.custom<DirectRequestPaymentWebhookDeliveryStatus>((v) => typeof v === 'string')),
  /** HTTP status your endpoint answered with, when it answered. */
  response_status: optionalNumber(),
  delivered_at: optionalString(),
  /**
   * Why a failed delivery failed, when the API says (the sandbox always
   * does): e.g. `ECONNREFUSED 127.0.0.1:3000`, `timeout after 10000 ms`, `HTTP 500`.
   */
  failure_reason: optionalString(),
}));

/**
 * One delivery attempt record.
 *
 * @interface
 */
export type DirectRequestPaymentWebhookDelivery = z.output<ReturnType<typeof webhookDeliverySchema>>;

/** Answer of `listWebhookDeliveries`: a bare array or `{ items }`, returned as an array. */
export const webhookDeliveryListSchema = /* @__PURE__ */ lazySchema(() => arrayOrItemsSchema(webhookDeliverySchema()));
