/**
 * Schemas for payment requirements (contract section 5).
 */
import * as z from 'zod/mini';
import {
  challengeMerchantKeySchema,
  currencySchema,
  jsonObjectSchema,
  positiveSafeIntegerSchema,
  tokenForCurrency,
  tokenSymbolSchema,
  nonEmptyStringSchema,
} from '../../core/validation.js';
import { booleanInput, optionalBoolean, optionalNumber, optionalString, positiveSecondsInput, requiredResponseString, strictInput, lazySchema, responseObject } from './common.js';
import { splitChallenge } from '../../internal/challenge-input.js';

/** A challenge string `<scheme>:<nonce>:<signature>` as created by the merchant; the trimmed text is sent (CONTRACT-2 `nonEmpty`). */
export const challengeStringSchema = /* @__PURE__ */ lazySchema(() =>
  z
    .string({ error: 'must be a string' })
    .check(z.trim(), z.refine((s) => splitChallenge(s) !== null, { error: 'must be a challenge string "<scheme>:<nonce>:<signature>"' })),
);

/** Input of `createPaymentRequirement`; `token_symbol`, when given, must match the currency. */
export const createPaymentRequirementInputSchema = /* @__PURE__ */ lazySchema(() => strictInput({
  merchant: challengeMerchantKeySchema,
  amount_minor: positiveSafeIntegerSchema,
  currency: currencySchema,
  challenge: challengeStringSchema(),
  token_symbol: z.optional(tokenSymbolSchema),
  allowance_amount_minor: z.optional(positiveSafeIntegerSchema),
  metadata: z.optional(jsonObjectSchema),
}).check(
  z.superRefine((input, ctx) => {
    if (input.token_symbol !== undefined && input.token_symbol !== tokenForCurrency(input.currency)) {
      ctx.addIssue({
        code: 'custom',
        path: ['token_symbol'],
        message: `must be "${tokenForCurrency(input.currency)}" for ${input.currency}`,
      });
    }
  }),
));

/**
 * Input of `createPaymentRequirement`.
 *
 * @interface
 */
export type DirectRequestPaymentRequirementCreateInput = z.input<ReturnType<typeof createPaymentRequirementInputSchema>>;

/** Options of `verifyPaymentRequirement`. */
export const verifyPaymentRequirementInputSchema = /* @__PURE__ */ lazySchema(() => strictInput({
  receipt_id: z.optional(nonEmptyStringSchema),
  chain_receipt_id: z.optional(nonEmptyStringSchema),
  await_finality: z.optional(booleanInput()),
  await_required_status: z.optional(nonEmptyStringSchema),
  await_timeout_seconds: z.optional(positiveSecondsInput()),
  await_poll_seconds: z.optional(positiveSecondsInput()),
}));

/**
 * Options of `verifyPaymentRequirement`.
 *
 * @interface
 */
export type DirectRequestPaymentRequirementVerifyInput = z.input<ReturnType<typeof verifyPaymentRequirementInputSchema>>;

const preparedTransaction = /* @__PURE__ */ lazySchema(() => z.nullish(z.record(z.string(), z.unknown())));

/**
 * A payment requirement. `requirement_id` is required; `transaction_request`
 * (the prepared payment) and `approve_transaction_request` (the prepared
 * allowance, when the buyer must approve first) feed the execution payloads.
 */
export const paymentRequirementSchema = /* @__PURE__ */ lazySchema(() => responseObject({
  requirement_id: requiredResponseString(),
  status: optionalString(),
  mode: optionalString(),
  merchant: optionalString(),
  amount_minor: optionalNumber(),
  currency: optionalString(),
  token_symbol: optionalString(),
  challenge_hash: optionalString(),
  request_hash: optionalString(),
  request_hash_v2: optionalString(),
  pricing_band: optionalString(),
  settlement_cadence: optionalString(),
  finality: optionalString(),
  transaction_request: preparedTransaction(),
  approve_transaction_request: preparedTransaction(),
}));

/**
 * A payment requirement.
 *
 * @interface
 */
export type DirectRequestPaymentRequirement = z.output<ReturnType<typeof paymentRequirementSchema>>;

/** Answer of `verifyPaymentRequirement`; its shape follows the API, fields below are typed when present. */
export const requirementVerificationSchema = /* @__PURE__ */ lazySchema(() => responseObject({
  requirement_id: optionalString(),
  status: optionalString(),
  verified: optionalBoolean(),
  settlement_status: optionalString(),
  finality: optionalString(),
  chain_receipt_id: optionalString(),
}));

/**
 * Answer of `verifyPaymentRequirement`.
 *
 * @interface
 */
export type DirectRequestPaymentRequirementVerification = z.output<ReturnType<typeof requirementVerificationSchema>>;
