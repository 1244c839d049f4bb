/**
 * Schemas for executing a prepared transaction (contract section 5).
 */
import { z } from 'zod';
import {
  jsonObjectSchema,
  nonEmptyStringSchema,
} from '../../core/validation.js';
import { booleanInput, optionalString, strictInput } from './common.js';

/** Options of the payload builders and of `executePaymentTransaction` / `executeAllowanceTransaction`. */
export const executionOptionsSchema = strictInput({
  await_finality: booleanInput.default(false),
  metadata: jsonObjectSchema.optional(),
});

/**
 * Options of the payload builders and of `executePaymentTransaction` / `executeAllowanceTransaction`.
 *
 * @interface
 */
export type DirectRequestPaymentExecutionOptions = z.input<typeof executionOptionsSchema>;

/** Body of `POST /market/web3/transactions/execute-prepared`. */
export const preparedTransactionExecutionPayloadSchema = strictInput({
  transaction_request: jsonObjectSchema,
  receipt_kind: nonEmptyStringSchema,
  reference_type: nonEmptyStringSchema,
  reference_id: nonEmptyStringSchema,
  metadata: jsonObjectSchema.default(() => ({})),
  await_finality: booleanInput.default(false),
});

/**
 * Body of `executePreparedTransaction`, as built by the payload builders.
 *
 * @interface
 */
export type DirectRequestPaymentExecutionPayload = z.output<typeof preparedTransactionExecutionPayloadSchema>;

/**
 * What `executePreparedTransaction` accepts: `metadata` and `await_finality` may be left out.
 *
 * @interface
 */
export type DirectRequestPaymentExecutionPayloadInput = z.input<typeof preparedTransactionExecutionPayloadSchema>;

/** Answer of `executePreparedTransaction`; fields below are typed when present. */
export const transactionExecutionSchema = z.looseObject({
  status: optionalString,
  receipt_id: optionalString,
  chain_receipt_id: optionalString,
  tx_hash: optionalString,
});

/**
 * Answer of `executePreparedTransaction`.
 *
 * @interface
 */
export type DirectRequestPaymentTransactionExecution = z.output<typeof transactionExecutionSchema>;
