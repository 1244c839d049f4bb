/**
 * Schemas for executing a prepared transaction (contract section 5).
 */
import * as z from 'zod/mini';
import {
  jsonObjectSchema,
  nonEmptyStringSchema,
} from '../../core/validation.js';
import { booleanInput, optionalString, strictInput, lazySchema, responseObject } from './common.js';

/** Options of the payload builders and of `executePaymentTransaction` / `executeAllowanceTransaction`. */
export const executionOptionsSchema = /* @__PURE__ */ lazySchema(() => strictInput({
  await_finality: z._default(booleanInput(), false),
  metadata: z.optional(jsonObjectSchema),
}, { kind: 'option' }));

/**
 * Options of the payload builders and of `executePaymentTransaction` / `executeAllowanceTransaction`.
 *
 * @interface
 */
export type DirectRequestPaymentExecutionOptions = z.input<ReturnType<typeof executionOptionsSchema>>;

/** Body of `POST /market/web3/transactions/execute-prepared`. */
export const preparedTransactionExecutionPayloadSchema = /* @__PURE__ */ lazySchema(() => strictInput({
  transaction_request: jsonObjectSchema,
  receipt_kind: nonEmptyStringSchema,
  reference_type: nonEmptyStringSchema,
  reference_id: nonEmptyStringSchema,
  metadata: z._default(jsonObjectSchema, () => ({})),
  await_finality: z._default(booleanInput(), false),
}));

/**
 * Body of `executePreparedTransaction`, as built by the payload builders.
 *
 * @interface
 */
export type DirectRequestPaymentExecutionPayload = z.output<ReturnType<typeof preparedTransactionExecutionPayloadSchema>>;

/**
 * What `executePreparedTransaction` accepts: `metadata` and `await_finality` may be left out.
 *
 * @interface
 */
export type DirectRequestPaymentExecutionPayloadInput = z.input<ReturnType<typeof preparedTransactionExecutionPayloadSchema>>;

/** Answer of `executePreparedTransaction`; fields below are typed when present. */
export const transactionExecutionSchema = /* @__PURE__ */ lazySchema(() => responseObject({
  status: optionalString(),
  receipt_id: optionalString(),
  chain_receipt_id: optionalString(),
  tx_hash: optionalString(),
}));

/**
 * Answer of `executePreparedTransaction`.
 *
 * @interface
 */
export type DirectRequestPaymentTransactionExecution = z.output<ReturnType<typeof transactionExecutionSchema>>;
