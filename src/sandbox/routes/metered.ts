/**
 * Micro / Nano statements for buyers (`/sdrp/metered/my-*`) and providers (`/sdrp/metered/provider/*`),
 * built from the sandbox's own metered payments. Minor amounts are decimal strings; lists page with
 * `{ items, next_cursor }`, newest first. Filters are checked with the clients' query schemas.
 */
import {
  meteredQuerySchema,
  settlementBatchQuerySchema,
  type DirectRequestPaymentMeteredQuery,
} from '../../clients/schemas/metered.js';
import { SETTLEMENT_THRESHOLD_MINOR } from '../../core/pricing.js';
import { parseInput, tokenForCurrency } from '../../core/validation.js';
import type { SandboxCore } from '../core.js';
import { invalidField } from '../errors.js';
import { queryInput, route, type Route, type RouteInput } from '../http.js';
import { sumDecimal } from '../metered.js';
import type { SandboxUsageEvent } from '../metered-records.js';

type Query = DirectRequestPaymentMeteredQuery;

const FILTERS = ['plan_type', 'token_symbol', 'status', 'listing_id', 'capability_key'] as const;
const parseQuery = ({ query }: RouteInput): Query =>
  parseInput(meteredQuerySchema(), queryInput(query, [...FILTERS, 'limit', 'cursor']));
type Filter = (typeof FILTERS)[number];
const matches = (q: Partial<Record<Filter, string>>, x: Record<Filter, string>) =>
  FILTERS.every((f) => q[f] === undefined || x[f] === q[f]);

/**
 * A page of the filtered list, newest first. The cursor is the `id` field of the last item of the previous
 * page, found among all records, so it keeps its place when that record no longer matches the filter
 * (a row that settled while paging `status=pending_settlement`).
 */
function page<T extends Record<Filter, string>>(input: RouteInput, all: T[], id: keyof T, view: (t: T) => unknown) {
  const q = parseQuery(input);
  const ordered = all.slice().reverse();
  const start = q.cursor === undefined ? 0 : ordered.findIndex((t) => t[id] === q.cursor) + 1;
  if (q.cursor !== undefined && start === 0) throw invalidField('cursor', 'is not a cursor of this list');
  const rest = ordered.slice(start).filter((t) => matches(q, t));
  const slice = rest.slice(0, Math.min(q.limit ?? 50, 200));
  const next_cursor = slice.length < rest.length ? slice.at(-1)![id] : null;
  return { data: { items: slice.map(view), next_cursor } };
}

// The fields of a batch that an open period of a summary shows (CONTRACT-2 section 22).
const OPEN_PERIOD = [
  'plan_type',
  // The sandbox keeps a batch per listing and capability too: without them two open periods could look the same.
  'listing_id',
  'capability_key',
  'settlement_cadence',
  'currency',
  'token_symbol',
  'period_start',
  'period_end',
  'close_at',
  'settlement_trigger',
  'settlement_threshold_minor',
  'threshold_reached_at',
  'provider_gross_amount_minor',
  'provider_usage_amount_minor',
  'protocol_fee_minor',
  'provider_receivable_minor',
  'buyer_debit_minor',
  'total_unsettled_exposure_minor',
] as const;

export function meteredRoutes({ store, ledger }: SandboxCore): Route[] {
  const usage = (q: Query) => store.list('usage_events').filter((u) => matches(q, u));
  const batches = (q: Query) => store.list('settlement_batches').filter((b) => matches(q, b));

  /**
   * The statement of one side in the shape of CONTRACT-2 section 22 (`role`, `open_periods`, the batches,
   * and for the provider `totals`), plus the sandbox's flat totals: what the buyer pays, or what the
   * provider is owed and the fee it bears, per token in `totals_by_token` and flat when one token is in scope.
   */
  function summary(input: RouteInput, side: 'buyer' | 'provider') {
    const asked = parseQuery(input);
    const all = usage(asked);
    const tokens = [...new Set(all.map((u) => u.token_symbol))].sort();
    // A provider's `totals` is one object and amounts in two tokens do not add up: with rows in both and no
    // token_symbol asked for, its summary covers the seeded merchant's billing token, which `filters` names.
    const billing = store.get('merchants', store.data.seed.merchant)?.billing_currency ?? 'JPY';
    const scoped = side === 'provider' && asked.token_symbol === undefined && tokens.length > 1;
    const q = scoped ? { ...asked, token_symbol: tokenForCurrency(billing) } : asked;
    const events = usage(q);
    const amount = side === 'buyer' ? 'buyer_debit_minor' : 'provider_receivable_minor';
    const sum = (mine: SandboxUsageEvent[], field: keyof SandboxUsageEvent) => sumDecimal(mine.map((u) => u[field]));
    const settled = (mine: SandboxUsageEvent[]) => mine.filter((u) => u.status === 'settled');
    const pending = (mine: SandboxUsageEvent[]) => mine.filter((u) => u.status !== 'settled');
    const totalsOf = (token_symbol: string) => {
      const mine = all.filter((u) => u.token_symbol === token_symbol);
      const own =
        side === 'buyer'
          ? { buyer_debit_minor: sum(mine, amount) }
          : {
              gross_amount_minor: sum(mine, 'provider_gross_amount_minor'),
              protocol_fee_minor: sum(mine, 'protocol_fee_minor'),
              provider_receivable_minor: sum(mine, amount),
            };
      return {
        token_symbol,
        currency: token_symbol === 'JPYC' ? 'JPY' : 'USD',
        usage_event_count: mine.length,
        pending_settlement_minor: sum(pending(mine), amount),
        settled_amount_minor: sum(settled(mine), amount),
        ...own,
      };
    };
    const totals_by_token = tokens.map(totalsOf);
    // Amounts in different tokens do not add up: flat totals only when one token is in scope.
    const token = tokens.length === 1 ? tokens[0] : tokens.length === 0 || scoped ? q.token_symbol : undefined;
    const views = batches({ ...q, status: undefined })
      .reverse()
      .map((b) => ledger.batchView(b));
    const open_periods = views
      .filter((v) => v.status === 'open')
      .map((v) => Object.fromEntries(OPEN_PERIOD.map((field) => [field, v[field]])));
    // Provider totals: no sandbox batch is ever past due, terminal, uncollectible or written off.
    const receivable = {
      settled_provider_receivable_minor: sum(settled(events), amount),
      unsettled_provider_receivable_minor: sum(pending(events), amount),
      past_due_provider_receivable_minor: '0',
      terminal_provider_receivable_minor: '0',
      uncollectible_provider_receivable_minor: '0',
      written_off_provider_receivable_minor: '0',
    };
    const { plan_type, token_symbol, listing_id, capability_key } = q;
    const provider = {
      role: 'provider',
      timezone: 'UTC',
      filters: { plan_type, token_symbol, listing_id, capability_key },
      open_periods,
      periods: views,
      totals: receivable,
    };
    const buyer = {
      role: 'buyer',
      open_periods,
      settlement_batches: views,
      past_due_blocks: [],
      balance_sufficiency: null,
    };
    const shape = side === 'buyer' ? buyer : provider;
    return {
      data: {
        ...shape,
        plan_type: q.plan_type ?? null,
        listing_id: q.listing_id ?? null,
        capability_key: q.capability_key ?? null,
        ...(token ? totalsOf(token) : { token_symbol: null, currency: null }),
        usage_event_count: events.length,
        open_settlement_batch_count: open_periods.length,
        settlement_threshold_minor: String(SETTLEMENT_THRESHOLD_MINOR),
        totals_by_token,
      },
    };
  }

  const listUsage = (side: 'buyer' | 'provider') => (input: RouteInput) =>
    page(input, store.list('usage_events'), 'usage_event_id', (u) => ledger.usageView(u, side));
  const listBatches = (input: RouteInput) =>
    page(input, store.list('settlement_batches'), 'settlement_batch_id', (b) => ledger.batchView(b));
  function getBatch({ params, query }: RouteInput) {
    const q = parseInput(settlementBatchQuerySchema(), queryInput(query, ['listing_id', 'capability_key']));
    const b = store.require('settlement_batches', params.batch_id!, (batch) => matches(q, batch));
    return {
      data: { ...ledger.batchView(b), usage_events: ledger.usageOf(b).map((u) => ledger.usageView(u, 'provider')) },
    };
  }

  return [
    route('GET', '/sdrp/metered/my-summary', 'buyer', (input) => summary(input, 'buyer')),
    route('GET', '/sdrp/metered/my-usage-events', 'buyer', listUsage('buyer')),
    route('GET', '/sdrp/metered/my-settlement-batches', 'buyer', listBatches),
    route('GET', '/sdrp/metered/provider/summary', 'merchant', (input) => summary(input, 'provider')),
    route('GET', '/sdrp/metered/provider/usage-events', 'merchant', listUsage('provider')),
    route('GET', '/sdrp/metered/provider/settlement-batches', 'merchant', listBatches),
    route('GET', '/sdrp/metered/provider/settlement-batches/:batch_id', 'merchant', getBatch),
  ];
}
