/**
 * Schemas for Hosted Checkout sessions (contract section 4).
 */
import * as z from 'zod/mini';
import {
  currencySchema,
  jsonObjectSchema,
  merchantKeySchema,
  nonceSchema,
  positiveSafeIntegerSchema,
} from '../../core/validation.js';
import {
  optionalDecimalAmount,
  optionalNumber,
  optionalString,
  requiredResponseString,
  returnUrlSchema,
  strictInput, lazySchema, responseObject } from './common.js';

/** Input of `createCheckoutSession`. */
export const createCheckoutSessionInputSchema = /* @__PURE__ */ lazySchema(() => strictInput({
  merchant: merchantKeySchema,
  amount_minor: positiveSafeIntegerSchema,
  currency: currencySchema,
  nonce: nonceSchema,
  success_url: returnUrlSchema(),
  cancel_url: returnUrlSchema(),
  metadata: z.optional(jsonObjectSchema),
}));

/**
 * Input of `createCheckoutSession`.
 *
 * @interface
 */
export type DirectRequestPaymentCheckoutSessionCreateInput = z.input<ReturnType<typeof createCheckoutSessionInputSchema>>;

/** Answer of `createCheckoutSession`: redirect the buyer to `checkout_url`. */
export const checkoutSessionCreateResponseSchema = /* @__PURE__ */ lazySchema(() => responseObject({
  checkout_url: requiredResponseString(),
  session_id: requiredResponseString(),
  challenge_hash: requiredResponseString(),
  status: optionalString(),
  expires_at: optionalString(),
}));

/**
 * Answer of `createCheckoutSession`.
 *
 * @interface
 */
export type DirectRequestPaymentCheckoutSessionCreateResponse = z.output<ReturnType<typeof checkoutSessionCreateResponseSchema>>;

/** Lifecycle status of a checkout session; other strings may appear as the API grows. */
export type DirectRequestPaymentCheckoutSessionStatus =
  | 'open'
  | 'authenticated'
  | 'paid'
  | 'expired'
  | 'cancelled'
  | 'failed'
  | (string & {});

/**
 * Answer of `getCheckoutSession`. `status` is required; the rest is typed
 * where present. A session is `paid` only once settled; for fulfilment rely
 * on the signed `direct_payment.confirmed` webhook.
 */
export const checkoutSessionSchema = /* @__PURE__ */ lazySchema(() => responseObject({
  session_id: optionalString(),
  status: z.custom<DirectRequestPaymentCheckoutSessionStatus>((v) => typeof v === 'string' && v.length > 0, {
    error: 'must be a non-empty string',
  }),
  merchant: optionalString(),
  currency: optionalString(),
  token_symbol: optionalString(),
  amount_minor: optionalNumber(),
  checkout_url: optionalString(),
  challenge_hash: optionalString(),
  requirement_id: optionalString(),
  pricing_band: optionalString(),
  settlement_cadence: optionalString(),
  finality: optionalString(),
  protocol_fee_minor: optionalDecimalAmount(),
  settlement_status: optionalString(),
  chain_receipt_id: optionalString(),
  success_url: optionalString(),
  cancel_url: optionalString(),
  created_at: optionalString(),
  updated_at: optionalString(),
  expires_at: optionalString(),
  paid_at: optionalString(),
}));

/**
 * Answer of `getCheckoutSession`.
 *
 * @interface
 */
export type DirectRequestPaymentCheckoutSession = z.output<ReturnType<typeof checkoutSessionSchema>>;
