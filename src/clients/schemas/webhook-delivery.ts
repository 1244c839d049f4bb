/**
 * Schemas for webhook test deliveries and the delivery log (contract section 4).
 */
import { z } from 'zod';
import {
  jsonObjectSchema,
  positiveSafeIntegerSchema,
  nonEmptyStringSchema,
} from '../../core/validation.js';
import { arrayOrItemsSchema, optionalNumber, optionalString, requiredResponseString, strictInput } from './common.js';
import { eventTypeSchema } from './webhook-subscription.js';

/** Input of `queueWebhookTestDelivery`. */
export const queueWebhookTestDeliveryInputSchema = strictInput({
  event_type: eventTypeSchema,
  data: jsonObjectSchema.optional(),
  subscription_ids: z
    .array(nonEmptyStringSchema, { error: 'must be an array of subscription ids' })
    .min(1, { error: 'must not be empty' })
    .optional(),
});

/**
 * Input of `queueWebhookTestDelivery`.
 *
 * @interface
 */
export type DirectRequestPaymentWebhookTestDeliveryInput = z.input<typeof queueWebhookTestDeliveryInputSchema>;

/** Answer of `queueWebhookTestDelivery`: `event.id` identifies the deliveries to poll for. */
export const webhookTestDeliverySchema = z.looseObject({
  event: z.looseObject({
    id: requiredResponseString,
    type: optionalString,
  }),
});

/**
 * Answer of `queueWebhookTestDelivery`.
 *
 * @interface
 */
export type DirectRequestPaymentWebhookTestDelivery = z.output<typeof webhookTestDeliverySchema>;

/** Delivery status; other strings may appear as the API grows. */
export type DirectRequestPaymentWebhookDeliveryStatus = 'queued' | 'delivered' | 'failed' | (string & {});

/** Filters of `listWebhookDeliveries`, sent in this order. */
export const listWebhookDeliveriesInputSchema = strictInput({
  subscription_id: nonEmptyStringSchema.optional(),
  event_type: eventTypeSchema.optional(),
  status: z
    .custom<DirectRequestPaymentWebhookDeliveryStatus>((v) => typeof v === 'string' && v.length > 0, {
      error: 'must be a delivery status such as "queued", "delivered" or "failed"',
    })
    .optional(),
  limit: positiveSafeIntegerSchema.optional(),
});

/**
 * Filters of `listWebhookDeliveries`.
 *
 * @interface
 */
export type DirectRequestPaymentWebhookDeliveryQuery = z.input<typeof listWebhookDeliveriesInputSchema>;

/** One delivery attempt record. */
export const webhookDeliverySchema = z.looseObject({
  id: optionalString,
  subscription_id: optionalString,
  event_id: optionalString,
  event_type: optionalString,
  delivery_status: z.custom<DirectRequestPaymentWebhookDeliveryStatus>((v) => typeof v === 'string').nullish(),
  /** HTTP status your endpoint answered with, when it answered. */
  response_status: optionalNumber,
  delivered_at: optionalString,
});

/**
 * One delivery attempt record.
 *
 * @interface
 */
export type DirectRequestPaymentWebhookDelivery = z.output<typeof webhookDeliverySchema>;

/** Answer of `listWebhookDeliveries`: a bare array or `{ items }`, returned as an array. */
export const webhookDeliveryListSchema = arrayOrItemsSchema(webhookDeliverySchema);
