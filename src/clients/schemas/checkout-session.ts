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

/**
 * A checkout session's body as the sandbox checks it: return URLs https, or
 * http on a loopback host, as the API requires (422 otherwise).
 */
export const createCheckoutSessionInputSchema = /* @__PURE__ */ lazySchema(() => strictInput({
  merchant: merchantKeySchema,
  amount_minor: positiveSafeIntegerSchema,
  currency: currencySchema,
  nonce: nonceSchema,
  success_url: returnUrlSchema(),
  cancel_url: returnUrlSchema(),
  metadata: z.optional(jsonObjectSchema),
}));

// Control characters are still refused: the URL ends up in a redirect's Location header, where a
// CR/LF is header injection, and no URL that works contains one.
const returnUrlText = /* @__PURE__ */ lazySchema(() =>
  z.string({ error: 'must be a string' }).check(
    z.trim(),
    z.minLength(1, { error: 'is required' }),
    // eslint-disable-next-line no-control-regex
    z.regex(/^[^\x00-\x1f\x7f]*$/, { error: 'must not contain control characters (CR, LF, tab, ...)' }),
  ),
);

/**
 * Input of `createCheckoutSession` as the client checks it. `success_url` and
 * `cancel_url` need only be non-empty, trimmed text without control
 * characters (CONTRACT-2 section 21.2: "no URL check client-side", as in
 * 0.4.20); the API judges the URL and answers 422 for one it refuses.
 */
export const clientCheckoutSessionInputSchema = /* @__PURE__ */ lazySchema(() => z.extend(createCheckoutSessionInputSchema(), {
  success_url: returnUrlText(),
  cancel_url: returnUrlText(),
}));

/**
 * Input of `createCheckoutSession`.
 *
 * @interface
 */
export type DirectRequestPaymentCheckoutSessionCreateInput = z.input<ReturnType<typeof clientCheckoutSessionInputSchema>>;

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
