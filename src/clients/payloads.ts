/**
 * Execution payloads for `POST /market/web3/transactions/execute-prepared`
 * (contract section 5). A requirement comes back with prepared transactions;
 * these builders wrap one of them with the receipt and reference fields the
 * API files the execution under.
 */
import {
  DIRECT_REQUEST_PAYMENT_ALLOWANCE_RECEIPT_KIND,
  DIRECT_REQUEST_PAYMENT_RECEIPT_KIND,
  DIRECT_REQUEST_PAYMENT_REFERENCE_TYPE,
} from '../core/constants.js';
import { SiglumeValidationError } from '../core/errors.js';
import { jsonObjectSchema, parseInput } from '../core/validation.js';
import { parseKnownInput } from './schemas/known-fields.js';
import {
  executionOptionsSchema,
  type DirectRequestPaymentExecutionOptions,
  type DirectRequestPaymentExecutionPayload,
} from './schemas/execution.js';

/** Which prepared transaction of a requirement to execute. */
export type DirectRequestPaymentPreparedTransactionField = 'transaction_request' | 'approve_transaction_request';

/** Options of {@link buildPreparedTransactionExecutionPayload}. */
export interface DirectRequestPaymentPreparedExecutionOptions extends DirectRequestPaymentExecutionOptions {
  /**
   * The requirement field holding the prepared transaction.
   * @default "transaction_request"
   */
  transaction_request_field?: DirectRequestPaymentPreparedTransactionField | undefined;
  /**
   * Receipt kind the execution is filed under.
   * @default "sdrp_direct_payment"
   */
  receipt_kind?: string | undefined;
}

/** The third argument of the 0.4.20 `buildPreparedTransactionExecutionPayload(requirement, transaction_request, options)`. */
export interface DirectRequestPaymentLegacyPreparedExecutionOptions extends DirectRequestPaymentExecutionOptions {
  /** Receipt kind the execution is filed under, e.g. `sdrp_direct_payment`. */
  receipt_kind: string;
}

/** The parts of a requirement the builders read; any requirement object from the API fits. */
export interface DirectRequestPaymentExecutableRequirement {
  requirement_id?: unknown;
  transaction_request?: unknown;
  approve_transaction_request?: unknown;
  [key: string]: unknown;
}

function requireField(requirement: unknown, field: string, hint: string): unknown {
  if (requirement === null || typeof requirement !== 'object' || Array.isArray(requirement)) {
    throw new SiglumeValidationError('requirement', 'Invalid requirement: must be a payment requirement object');
  }
  const value = (requirement as Record<string, unknown>)[field];
  if (value === undefined || value === null || value === '') {
    throw new SiglumeValidationError(`requirement.${field}`, `Invalid requirement.${field}: is missing${hint}`);
  }
  return value;
}

/**
 * Builds the body of `executePreparedTransaction` from one prepared
 * transaction of a requirement:
 * `{ transaction_request, receipt_kind, reference_type, reference_id, metadata, await_finality }`
 * where `metadata` is the transaction's own `metadata_jsonb` overlaid with
 * `options.metadata`. The result is a fresh deep copy.
 *
 * @throws SiglumeValidationError naming `requirement.requirement_id` or the
 *   transaction field when either is missing.
 */
export function buildPreparedTransactionExecutionPayload(
  requirement: DirectRequestPaymentExecutableRequirement,
  options?: DirectRequestPaymentPreparedExecutionOptions,
): DirectRequestPaymentExecutionPayload;
/**
 * The 0.4.20 argument list: the prepared transaction itself (e.g.
 * `requirement.transaction_request`), then `{ receipt_kind, await_finality?,
 * metadata? }`.
 */
export function buildPreparedTransactionExecutionPayload(
  requirement: DirectRequestPaymentExecutableRequirement,
  transaction_request: Record<string, unknown>,
  options: DirectRequestPaymentLegacyPreparedExecutionOptions,
): DirectRequestPaymentExecutionPayload;
export function buildPreparedTransactionExecutionPayload(
  requirement: DirectRequestPaymentExecutableRequirement,
  second?: DirectRequestPaymentPreparedExecutionOptions | Record<string, unknown>,
  third?: DirectRequestPaymentLegacyPreparedExecutionOptions,
): DirectRequestPaymentExecutionPayload {
  if (third !== undefined) {
    // 0.4.20: the transaction is given; build as if it were the requirement's own.
    const transaction_request = parseInput(jsonObjectSchema, second, 'transaction_request');
    const { receipt_kind, ...rest } = third;
    return buildPreparedTransactionExecutionPayload(
      { requirement_id: (requirement as DirectRequestPaymentExecutableRequirement | null)?.requirement_id, transaction_request },
      { ...rest, receipt_kind, transaction_request_field: 'transaction_request' },
    );
  }
  const options = (second ?? {}) as DirectRequestPaymentPreparedExecutionOptions;
  const {
    transaction_request_field: field = 'transaction_request',
    receipt_kind = DIRECT_REQUEST_PAYMENT_RECEIPT_KIND,
    ...rest
  } = options;
  if (field !== 'transaction_request' && field !== 'approve_transaction_request') {
    throw new SiglumeValidationError(
      'transaction_request_field',
      'Invalid transaction_request_field: must be "transaction_request" or "approve_transaction_request"',
    );
  }
  if (typeof receipt_kind !== 'string' || receipt_kind === '') {
    throw new SiglumeValidationError('receipt_kind', 'Invalid receipt_kind: must be a non-empty string');
  }
  const opts = parseKnownInput(executionOptionsSchema(), rest, '', 'option');

  const requirementId = requireField(requirement, 'requirement_id', '');
  if (typeof requirementId !== 'string') {
    throw new SiglumeValidationError('requirement.requirement_id', 'Invalid requirement.requirement_id: must be a string');
  }
  const hint =
    field === 'approve_transaction_request'
      ? ' (this requirement has no allowance to approve; execute its transaction_request instead)'
      : ' (fetch the requirement again with getPaymentRequirement)';
  const transaction = parseInput(jsonObjectSchema, requireField(requirement, field, hint), `requirement.${field}`);

  const own = transaction.metadata_jsonb;
  const ownMetadata = own !== null && typeof own === 'object' && !Array.isArray(own) ? own : {};
  return {
    transaction_request: transaction,
    receipt_kind,
    reference_type: DIRECT_REQUEST_PAYMENT_REFERENCE_TYPE,
    reference_id: requirementId,
    metadata: { ...ownMetadata, ...opts.metadata },
    await_finality: opts.await_finality,
  };
}

/**
 * Body that executes a requirement's payment (`transaction_request`, receipt
 * kind `sdrp_direct_payment`).
 *
 * @example
 * const payload = buildPaymentExecutionPayload(requirement, { await_finality: true, metadata: { order_id: 'o-1' } });
 */
export function buildPaymentExecutionPayload(
  requirement: DirectRequestPaymentExecutableRequirement,
  options: DirectRequestPaymentExecutionOptions = {},
): DirectRequestPaymentExecutionPayload {
  return buildPreparedTransactionExecutionPayload(requirement, {
    ...options,
    transaction_request_field: 'transaction_request',
    receipt_kind: DIRECT_REQUEST_PAYMENT_RECEIPT_KIND,
  });
}

/**
 * Body that executes a requirement's allowance approval
 * (`approve_transaction_request`, receipt kind `sdrp_direct_payment_allowance`).
 *
 * @throws SiglumeValidationError naming `requirement.approve_transaction_request`
 *   when the requirement has none.
 */
export function buildAllowanceExecutionPayload(
  requirement: DirectRequestPaymentExecutableRequirement,
  options: DirectRequestPaymentExecutionOptions = {},
): DirectRequestPaymentExecutionPayload {
  return buildPreparedTransactionExecutionPayload(requirement, {
    ...options,
    transaction_request_field: 'approve_transaction_request',
    receipt_kind: DIRECT_REQUEST_PAYMENT_ALLOWANCE_RECEIPT_KIND,
  });
}
