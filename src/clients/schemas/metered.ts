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
import {
  decimalAmountSchema,
  optionalBoolean,
  optionalDecimalAmount,
  optionalNumber,
  optionalString,
  pageSchema,
  requiredResponseString,
  strictInput,
  lazySchema,
  responseObject,
} from './common.js';

/*
 * Statement amounts (CONTRACT-2 section 22): the canonical gross is
 * `provider_gross_amount_minor`; `provider_usage_amount_minor` and
 * `gross_buyer_debit_minor` are aliases of it, `buyer_debit_minor` equals it
 * (fees are seller-borne), `provider_receivable_minor` is gross minus
 * `protocol_fee_minor`, and `rounding_delta_minor` is `"0"` per row, never
 * added to debit or revenue. A field is optional unless section 22 marks it
 * required (ids, band, cadence, status and the gross and fee of a row); a
 * statement shows what the API sent, and unknown fields pass through.
 */
const amount = optionalDecimalAmount;

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

/** An open (not yet closed) metered period. */
export const meteredOpenPeriodSchema = /* @__PURE__ */ lazySchema(() => responseObject({
  plan_type: optionalString(),
  /** `weekly` or `monthly`. */
  settlement_cadence: optionalString(),
  currency: optionalString(),
  token_symbol: optionalString(),
  period_start: optionalString(),
  period_end: optionalString(),
  close_at: optionalString(),
  /** `amount_threshold` or `scheduled_close`. */
  settlement_trigger: optionalString(),
  settlement_threshold_minor: amount(),
  threshold_reached_at: optionalString(),
  provider_gross_amount_minor: amount(),
  provider_usage_amount_minor: amount(),
  protocol_fee_minor: amount(),
  provider_receivable_minor: amount(),
  buyer_debit_minor: amount(),
  total_unsettled_exposure_minor: amount(),
}));

/**
 * An open metered period.
 *
 * @interface
 */
export type DirectRequestPaymentMeteredOpenPeriod = z.output<ReturnType<typeof meteredOpenPeriodSchema>>;

/** A past-due settlement that pauses the buyer's Micro / Nano payments (`METERED_SETTLEMENT_PAST_DUE`). */
export const pastDueBlockSchema = /* @__PURE__ */ lazySchema(() => responseObject({
  settlement_batch_id: optionalString(),
  plan_type: optionalString(),
  currency: optionalString(),
  token_symbol: optionalString(),
  total_unsettled_exposure_minor: amount(),
  past_due_provider_receivable_minor: amount(),
  failure_reason_code: optionalString(),
  support_reference: optionalString(),
}));

/**
 * A past-due block.
 *
 * @interface
 */
export type DirectRequestPaymentPastDueBlock = z.output<ReturnType<typeof pastDueBlockSchema>>;

/** Whether the buyer's wallet can cover the next debit; `*_checked: false` means guidance only. */
export const balanceSufficiencySchema = /* @__PURE__ */ lazySchema(() => responseObject({
  sufficient: optionalBoolean(),
  currency: optionalString(),
  token_symbol: optionalString(),
  required_minor: amount(),
  available_minor: amount(),
  wallet_balance_checked: optionalBoolean(),
  allowance_checked: optionalBoolean(),
}));

/**
 * Balance sufficiency of a buyer.
 *
 * @interface
 */
export type DirectRequestPaymentBalanceSufficiency = z.output<ReturnType<typeof balanceSufficiencySchema>>;

/** The receivable fields, split by settlement state: a provider's totals, and the same on each batch. */
const receivableShape = () => ({
  settled_provider_receivable_minor: amount(),
  unsettled_provider_receivable_minor: amount(),
  past_due_provider_receivable_minor: amount(),
  terminal_provider_receivable_minor: amount(),
  uncollectible_provider_receivable_minor: amount(),
  written_off_provider_receivable_minor: amount(),
});

/** A provider's receivable, split by settlement state. */
export const providerMeteredTotalsSchema = /* @__PURE__ */ lazySchema(() => responseObject(receivableShape()));

/**
 * A provider's receivable totals.
 *
 * @interface
 */
export type DirectRequestPaymentProviderMeteredTotals = z.output<ReturnType<typeof providerMeteredTotalsSchema>>;

/** The flat totals the sandbox (and some answers) add beside a summary's contract fields. */
const summaryExtras = () => ({
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
});
const list = <S extends z.core.SomeType>(item: S) => z.array(item, { error: 'must be an array' });

/**
 * A buyer's metered summary (CONTRACT-2 section 22): `role: "buyer"`, and
 * `open_periods`, `settlement_batches` and `past_due_blocks` always as lists.
 * Amounts are decimal strings.
 */
export const buyerMeteredSummarySchema = /* @__PURE__ */ lazySchema(() => responseObject({
  role: z.literal('buyer', { error: 'must be "buyer"' }),
  open_periods: list(meteredOpenPeriodSchema()),
  /** The buyer's settlement batches. */
  settlement_batches: list(settlementBatchSchema()),
  past_due_blocks: list(pastDueBlockSchema()),
  balance_sufficiency: z.nullish(balanceSufficiencySchema()),
  ...summaryExtras(),
}));

/**
 * A buyer's metered summary.
 *
 * @interface
 */
export type DirectRequestPaymentBuyerMeteredSummary = z.output<ReturnType<typeof buyerMeteredSummarySchema>>;

/**
 * A provider's metered summary (CONTRACT-2 section 22): `role: "provider"`,
 * `open_periods` and `periods` always as lists, and `totals` always one
 * object. Amounts are decimal strings.
 */
export const providerMeteredSummarySchema = /* @__PURE__ */ lazySchema(() => responseObject({
  role: z.literal('provider', { error: 'must be "provider"' }),
  timezone: optionalString(),
  filters: z.nullish(z.record(z.string(), z.unknown())),
  open_periods: list(meteredOpenPeriodSchema()),
  /** The provider's closed periods (settlement batches). */
  periods: list(settlementBatchSchema()),
  /** The provider's receivable split by state (one object, in 0.4.20 and 0.5). */
  totals: providerMeteredTotalsSchema(),
  ...summaryExtras(),
}));

/**
 * A provider's metered summary.
 *
 * @interface
 */
export type DirectRequestPaymentProviderMeteredSummary = z.output<ReturnType<typeof providerMeteredSummarySchema>>;

/**
 * A metered summary, a buyer's or a provider's (tell them apart by `role`).
 */
export type DirectRequestPaymentMeteredSummary = DirectRequestPaymentBuyerMeteredSummary | DirectRequestPaymentProviderMeteredSummary;

/** A usage row's fields: those CONTRACT-2 section 22 marks required are required (0.4.20 code reads them as strings). */
const usageEventShape = () => ({
  usage_event_id: optionalString(),
  id: optionalString(),
  requirement_id: optionalString(),
  listing_id: optionalString(),
  capability_key: optionalString(),
  plan_type: requiredResponseString(),
  pricing_band: optionalString(),
  token_symbol: requiredResponseString(),
  currency: requiredResponseString(),
  status: requiredResponseString(),
  amount_minor: optionalDecimalAmount(),
  buyer_debit_minor: optionalDecimalAmount(),
  protocol_fee_minor: decimalAmountSchema(),
  settlement_batch_id: optionalString(),
  challenge_hash: optionalString(),
  occurred_at: optionalString(),
  created_at: optionalString(),
  /** The usage row id. */
  metered_usage_id: requiredResponseString(),
  settlement_cadence: requiredResponseString(),
  provider_gross_amount_minor: decimalAmountSchema(),
  provider_usage_amount_minor: decimalAmountSchema(),
  gross_buyer_debit_minor: decimalAmountSchema(),
  rounding_delta_minor: amount(),
  product_listing_id: optionalString(),
  operation_key: optionalString(),
  period_start: optionalString(),
  period_end: optionalString(),
  /** When the row will be debited, before a batch exists. */
  expected_scheduled_debit_at: optionalString(),
  /** Provider side only: the one buyer correlation providers see (no buyer id, email or wallet). */
  buyer_period_ref: optionalString(),
});

/** One accepted Micro / Nano payment, as a buyer's list shows it. Amounts are decimal strings. */
export const usageEventSchema = /* @__PURE__ */ lazySchema(() => responseObject({
  ...usageEventShape(),
  provider_receivable_minor: optionalDecimalAmount(),
}));

/**
 * One accepted Micro / Nano payment.
 *
 * @interface
 */
export type DirectRequestPaymentUsageEvent = z.output<ReturnType<typeof usageEventSchema>>;

/** One accepted Micro / Nano payment, as a provider's list shows it: with the receivable (gross minus the fee). */
export const providerUsageEventSchema = /* @__PURE__ */ lazySchema(() => responseObject({
  ...usageEventShape(),
  provider_receivable_minor: decimalAmountSchema(),
}));

/**
 * One accepted Micro / Nano payment, as a provider sees it.
 *
 * @interface
 */
export type DirectRequestPaymentProviderUsageEvent = z.output<ReturnType<typeof providerUsageEventSchema>>;

/** An aggregate on-chain settlement of usage events. Amounts are decimal strings. */
export const settlementBatchSchema = /* @__PURE__ */ lazySchema(() => responseObject({
  settlement_batch_id: requiredResponseString(),
  id: optionalString(),
  plan_type: requiredResponseString(),
  pricing_band: optionalString(),
  settlement_cadence: requiredResponseString(),
  token_symbol: optionalString(),
  currency: optionalString(),
  status: requiredResponseString(),
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
  /** `amount_threshold` or `scheduled_close`. */
  settlement_trigger: optionalString(),
  settlement_threshold_minor: amount(),
  threshold_reached_at: optionalString(),
  total_unsettled_exposure_minor: amount(),
  notice_status: optionalString(),
  close_at: optionalString(),
  expected_scheduled_debit_at: optionalString(),
  scheduled_debit_at: optionalString(),
  /** No debit attempt before this (72 h or more after close and after the notice). */
  not_before_attempt_at: optionalString(),
  execution_status: optionalString(),
  latest_execution_attempt_status: optionalString(),
  attempt_count: optionalNumber(),
  next_attempt_at: optionalString(),
  gross_buyer_debit_minor: amount(),
  rounding_delta_minor: amount(),
  provider_gross_amount_minor: amount(),
  provider_usage_amount_minor: amount(),
  ...receivableShape(),
  /** `uncollectible` or `written_off`, on terminal batches only. */
  terminal_status: optionalString(),
  terminal_marked_at: optionalString(),
  terminal_reason_code: optionalString(),
  buyer_period_ref: optionalString(),
  failure_reason_code: optionalString(),
  failure_reason_label: optionalString(),
  failure_reason_help: optionalString(),
  support_reference: optionalString(),
  /** Buyer batches: the batch's buyer debit. */
  estimated_buyer_debit_minor: amount(),
  /** Buyer batches: `METERED_SETTLEMENT_PAST_DUE` when the batch blocks payments. */
  past_due_block_reason: optionalString(),
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

/** A page of a provider's usage events. */
export const providerUsageEventPageSchema = /* @__PURE__ */ lazySchema(() => pageSchema(providerUsageEventSchema()));
/**
 * A page of a provider's usage events.
 *
 * @interface
 */
export type DirectRequestPaymentProviderUsageEventList = z.output<ReturnType<typeof providerUsageEventPageSchema>>;

/** A page of settlement batches. */
export const settlementBatchPageSchema = /* @__PURE__ */ lazySchema(() => pageSchema(settlementBatchSchema()));
/**
 * A page of settlement batches.
 *
 * @interface
 */
export type DirectRequestPaymentSettlementBatchList = z.output<ReturnType<typeof settlementBatchPageSchema>>;
