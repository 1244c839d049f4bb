/**
 * Schemas for Micro / Nano (metered) statements, for buyers and providers
 * (contract section 5). Minor amounts are decimal strings: Nano fees can be
 * below one minor unit (`"0.2"`).
 */
import * as z from 'zod/mini';
import {
  positiveSafeIntegerSchema,
  tokenSymbolSchema,
  nonEmptyStringSchema,
} from '../../core/validation.js';
import { optionalDecimalAmount, optionalNumber, optionalString, pageSchema, strictInput, lazySchema, responseObject } from './common.js';

/** Metered plan type: `micro` or `nano`, case-insensitive in, lower-case out. */
export const planTypeSchema = /* @__PURE__ */ lazySchema(() => z.pipe(
  z.string({ error: 'must be "micro" or "nano"' }).check(z.toLowerCase()),
  z.enum(['micro', 'nano'], { error: 'must be "micro" or "nano"' }),
));

/**
 * Filters of the metered statement calls. Sent as a query in the order
 * plan_type, token_symbol, status, listing_id, capability_key, limit, cursor;
 * absent ones are left out.
 */
export const meteredQuerySchema = /* @__PURE__ */ lazySchema(() => strictInput({
  plan_type: z.optional(planTypeSchema()),
  token_symbol: z.optional(tokenSymbolSchema),
  status: z.optional(nonEmptyStringSchema),
  listing_id: z.optional(nonEmptyStringSchema),
  capability_key: z.optional(nonEmptyStringSchema),
  limit: z.optional(positiveSafeIntegerSchema),
  cursor: z.optional(nonEmptyStringSchema),
}));

/**
 * Filters of the metered statement calls.
 *
 * @interface
 */
export type DirectRequestPaymentMeteredQuery = z.input<ReturnType<typeof meteredQuerySchema>>;

/** Filters of `getProviderSettlementBatch`, sent in this order. */
export const settlementBatchQuerySchema = /* @__PURE__ */ lazySchema(() => strictInput({
  listing_id: z.optional(nonEmptyStringSchema),
  capability_key: z.optional(nonEmptyStringSchema),
}));

/**
 * Filters of `getProviderSettlementBatch`.
 *
 * @interface
 */
export type DirectRequestPaymentSettlementBatchQuery = z.input<ReturnType<typeof settlementBatchQuerySchema>>;

/** A buyer's or provider's metered totals. Amounts are decimal strings. */
export const meteredSummarySchema = /* @__PURE__ */ lazySchema(() => responseObject({
  plan_type: optionalString(),
  token_symbol: optionalString(),
  currency: optionalString(),
  usage_event_count: optionalNumber(),
  gross_amount_minor: optionalDecimalAmount(),
  buyer_debit_minor: optionalDecimalAmount(),
  protocol_fee_minor: optionalDecimalAmount(),
  provider_receivable_minor: optionalDecimalAmount(),
  pending_settlement_minor: optionalDecimalAmount(),
  settled_amount_minor: optionalDecimalAmount(),
  settlement_threshold_minor: optionalDecimalAmount(),
}));

/**
 * A metered summary.
 *
 * @interface
 */
export type DirectRequestPaymentMeteredSummary = z.output<ReturnType<typeof meteredSummarySchema>>;

/** One accepted Micro / Nano payment. Amounts are decimal strings. */
export const usageEventSchema = /* @__PURE__ */ lazySchema(() => responseObject({
  usage_event_id: optionalString(),
  id: optionalString(),
  requirement_id: optionalString(),
  listing_id: optionalString(),
  capability_key: optionalString(),
  plan_type: optionalString(),
  pricing_band: optionalString(),
  token_symbol: optionalString(),
  currency: optionalString(),
  status: optionalString(),
  amount_minor: optionalDecimalAmount(),
  buyer_debit_minor: optionalDecimalAmount(),
  protocol_fee_minor: optionalDecimalAmount(),
  provider_receivable_minor: optionalDecimalAmount(),
  settlement_batch_id: optionalString(),
  challenge_hash: optionalString(),
  occurred_at: optionalString(),
  created_at: optionalString(),
}));

/**
 * One accepted Micro / Nano payment.
 *
 * @interface
 */
export type DirectRequestPaymentUsageEvent = z.output<ReturnType<typeof usageEventSchema>>;

/** An aggregate on-chain settlement of usage events. Amounts are decimal strings. */
export const settlementBatchSchema = /* @__PURE__ */ lazySchema(() => responseObject({
  settlement_batch_id: optionalString(),
  id: optionalString(),
  plan_type: optionalString(),
  pricing_band: optionalString(),
  settlement_cadence: optionalString(),
  token_symbol: optionalString(),
  currency: optionalString(),
  status: optionalString(),
  settlement_status: optionalString(),
  usage_event_count: optionalNumber(),
  gross_amount_minor: optionalDecimalAmount(),
  buyer_debit_minor: optionalDecimalAmount(),
  protocol_fee_minor: optionalDecimalAmount(),
  provider_receivable_minor: optionalDecimalAmount(),
  chain_receipt_id: optionalString(),
  usage_event_digest: optionalString(),
  period_start: optionalString(),
  period_end: optionalString(),
  settled_at: optionalString(),
  created_at: optionalString(),
}));

/**
 * A settlement batch.
 *
 * @interface
 */
export type DirectRequestPaymentSettlementBatch = z.output<ReturnType<typeof settlementBatchSchema>>;

/** A page of usage events. */
export const usageEventPageSchema = /* @__PURE__ */ lazySchema(() => pageSchema(usageEventSchema()));
/**
 * A page of usage events.
 *
 * @interface
 */
export type DirectRequestPaymentUsageEventList = z.output<ReturnType<typeof usageEventPageSchema>>;

/** A page of settlement batches. */
export const settlementBatchPageSchema = /* @__PURE__ */ lazySchema(() => pageSchema(settlementBatchSchema()));
/**
 * A page of settlement batches.
 *
 * @interface
 */
export type DirectRequestPaymentSettlementBatchList = z.output<ReturnType<typeof settlementBatchPageSchema>>;
