/**
 * Schemas for payment requirements (contract section 5).
 */
import { z } from 'zod';
import {
  challengeMerchantKeySchema,
  currencySchema,
  jsonObjectSchema,
  positiveSafeIntegerSchema,
  tokenForCurrency,
  tokenSymbolSchema,
  nonEmptyStringSchema,
} from '../../core/validation.js';
import { booleanInput, optionalNumber, optionalString, positiveSecondsInput, requiredResponseString, strictInput } from './common.js';
import { splitChallenge } from '../../internal/challenge-input.js';

/** A challenge string `<scheme>:<nonce>:<signature>` as created by the merchant. */
export const challengeStringSchema = z
  .string({ error: 'must be a string' })
  .refine((s) => splitChallenge(s) !== null, { error: 'must be a challenge string "<scheme>:<nonce>:<signature>"' });

/** Input of `createPaymentRequirement`; `token_symbol`, when given, must match the currency. */
export const createPaymentRequirementInputSchema = strictInput({
  merchant: challengeMerchantKeySchema,
  amount_minor: positiveSafeIntegerSchema,
  currency: currencySchema,
  challenge: challengeStringSchema,
  token_symbol: tokenSymbolSchema.optional(),
  allowance_amount_minor: positiveSafeIntegerSchema.optional(),
  metadata: jsonObjectSchema.optional(),
}).superRefine((input, ctx) => {
  if (input.token_symbol !== undefined && input.token_symbol !== tokenForCurrency(input.currency)) {
    ctx.addIssue({
      code: 'custom',
      path: ['token_symbol'],
      message: `must be "${tokenForCurrency(input.currency)}" for ${input.currency}`,
    });
  }
});

/**
 * Input of `createPaymentRequirement`.
 *
 * @interface
 */
export type DirectRequestPaymentRequirementCreateInput = z.input<typeof createPaymentRequirementInputSchema>;

/** Options of `verifyPaymentRequirement`. */
export const verifyPaymentRequirementInputSchema = strictInput({
  receipt_id: nonEmptyStringSchema.optional(),
  chain_receipt_id: nonEmptyStringSchema.optional(),
  await_finality: booleanInput.optional(),
  await_required_status: nonEmptyStringSchema.optional(),
  await_timeout_seconds: positiveSecondsInput.optional(),
  await_poll_seconds: positiveSecondsInput.optional(),
});

/**
 * Options of `verifyPaymentRequirement`.
 *
 * @interface
 */
export type DirectRequestPaymentRequirementVerifyInput = z.input<typeof verifyPaymentRequirementInputSchema>;

const preparedTransaction = z.record(z.string(), z.unknown()).nullish();

/**
 * A payment requirement. `requirement_id` is required; `transaction_request`
 * (the prepared payment) and `approve_transaction_request` (the prepared
 * allowance, when the buyer must approve first) feed the execution payloads.
 */
export const paymentRequirementSchema = z.looseObject({
  requirement_id: requiredResponseString,
  status: optionalString,
  mode: optionalString,
  merchant: optionalString,
  amount_minor: optionalNumber,
  currency: optionalString,
  token_symbol: optionalString,
  challenge_hash: optionalString,
  request_hash: optionalString,
  request_hash_v2: optionalString,
  pricing_band: optionalString,
  settlement_cadence: optionalString,
  finality: optionalString,
  transaction_request: preparedTransaction,
  approve_transaction_request: preparedTransaction,
});

/**
 * A payment requirement.
 *
 * @interface
 */
export type DirectRequestPaymentRequirement = z.output<typeof paymentRequirementSchema>;

/** Answer of `verifyPaymentRequirement`; its shape follows the API, fields below are typed when present. */
export const requirementVerificationSchema = z.looseObject({
  requirement_id: optionalString,
  status: optionalString,
  verified: z.boolean().nullish(),
  settlement_status: optionalString,
  finality: optionalString,
  chain_receipt_id: optionalString,
});

/**
 * Answer of `verifyPaymentRequirement`.
 *
 * @interface
 */
export type DirectRequestPaymentRequirementVerification = z.output<typeof requirementVerificationSchema>;
