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
import { parseInput } from '../../core/validation.js';
import type { SandboxCore } from '../core.js';
import { SandboxHttpError, invalidField } from '../errors.js';
import { queryInput, route, type Route, type RouteInput } from '../http.js';
import { sumDecimal, usageView } from '../metered.js';
import type { SandboxUsageEvent } from '../records.js';

type Query = DirectRequestPaymentMeteredQuery;
type Filterable = {
  plan_type: string;
  token_symbol: string;
  status: string;
  listing_id: string;
  capability_key: string;
};

const FILTERS = ['plan_type', 'token_symbol', 'status', 'listing_id', 'capability_key'] as const;
const parseQuery = ({ query }: RouteInput): Query =>
  parseInput(meteredQuerySchema(), queryInput(query, [...FILTERS, 'limit', 'cursor']));
const matches = (q: Query, x: Filterable) => FILTERS.every((f) => q[f] === undefined || x[f] === q[f]);

/** Newest first; the cursor is the id of the last item of the previous page. */
function page<T>(items: readonly T[], idOf: (t: T) => string, q: Query, view: (t: T) => unknown) {
  const ordered = [...items].reverse();
  const start = q.cursor === undefined ? 0 : ordered.findIndex((t) => idOf(t) === q.cursor) + 1;
  if (q.cursor !== undefined && start === 0)
    throw invalidField('cursor', 'is not a cursor of this list (it may come from another filter)');
  const slice = ordered.slice(start, start + Math.min(q.limit ?? 50, 200));
  return { items: slice.map(view), next_cursor: start + slice.length < ordered.length ? idOf(slice.at(-1)!) : null };
}

// What each side is owed or pays, and the totals it sees; the provider's gross total is `gross_amount_minor`.
const SIDES = {
  buyer: { amount: 'buyer_debit_minor', totals: ['buyer_debit_minor'] },
  provider: {
    amount: 'provider_receivable_minor',
    totals: ['provider_gross_amount_minor', 'protocol_fee_minor', 'provider_receivable_minor'],
  },
} as const;

/** Metered statement routes. */
export function meteredRoutes({ store, ledger }: SandboxCore): Route[] {
  const usage = (q: Query) => store.list('usage_events').filter((u) => matches(q, u));
  const batches = (q: Query) => store.list('settlement_batches').filter((b) => matches(q, b));

  function summary(input: RouteInput, side: keyof typeof SIDES) {
    const q = parseQuery(input);
    const events = usage(q);
    const { amount, totals } = SIDES[side];
    const sumOf = (mine: SandboxUsageEvent[], field: (typeof totals)[number] | typeof amount) =>
      sumDecimal(mine.map((u) => u[field]));
    const totalsOf = (token_symbol: string, mine: SandboxUsageEvent[]) => ({
      token_symbol,
      currency: token_symbol === 'JPYC' ? 'JPY' : 'USD',
      usage_event_count: mine.length,
      pending_settlement_minor: sumOf(
        mine.filter((u) => u.status !== 'settled'),
        amount,
      ),
      settled_amount_minor: sumOf(
        mine.filter((u) => u.status === 'settled'),
        amount,
      ),
      ...Object.fromEntries(
        totals.map((f) => [f === 'provider_gross_amount_minor' ? 'gross_amount_minor' : f, sumOf(mine, f)]),
      ),
    });
    const tokens = [...new Set(events.map((u) => u.token_symbol))].sort();
    const perToken = tokens.map((token) =>
      totalsOf(
        token,
        events.filter((u) => u.token_symbol === token),
      ),
    );
    // Amounts in different tokens do not add up: flat totals only when one token is in scope.
    const flat =
      perToken.length === 1
        ? perToken[0]
        : perToken.length === 0 && q.token_symbol
          ? totalsOf(q.token_symbol, [])
          : null;
    return {
      data: {
        plan_type: q.plan_type ?? null,
        listing_id: q.listing_id ?? null,
        capability_key: q.capability_key ?? null,
        ...(flat ?? { token_symbol: null, currency: null }),
        usage_event_count: events.length,
        open_settlement_batch_count: batches({ ...q, status: undefined }).filter((b) => b.status === 'open').length,
        settlement_threshold_minor: String(SETTLEMENT_THRESHOLD_MINOR),
        totals: perToken,
      },
    };
  }

  const listUsage = (input: RouteInput) => {
    const q = parseQuery(input);
    return { data: page(usage(q), (u) => u.usage_event_id, q, usageView) };
  };
  const listBatches = (input: RouteInput) => {
    const q = parseQuery(input);
    return {
      data: page(
        batches(q),
        (b) => b.settlement_batch_id,
        q,
        (b) => ledger.batchView(b),
      ),
    };
  };
  function getBatch({ params, query }: RouteInput) {
    const q = parseInput(settlementBatchQuerySchema(), queryInput(query, ['listing_id', 'capability_key']));
    const b = store.get('settlement_batches', params.batch_id!);
    if (
      !b ||
      (q.listing_id && b.listing_id !== q.listing_id) ||
      (q.capability_key && b.capability_key !== q.capability_key)
    ) {
      throw new SandboxHttpError(
        404,
        'SETTLEMENT_BATCH_NOT_FOUND',
        `Settlement batch "${params.batch_id}" does not exist in this sandbox.`,
      );
    }
    return { data: { ...ledger.batchView(b), usage_events: ledger.usageOf(b).map(usageView) } };
  }

  return [
    route('GET', '/sdrp/metered/my-summary', 'buyer', (input) => summary(input, 'buyer')),
    route('GET', '/sdrp/metered/my-usage-events', 'buyer', listUsage),
    route('GET', '/sdrp/metered/my-settlement-batches', 'buyer', listBatches),
    route('GET', '/sdrp/metered/provider/summary', 'merchant', (input) => summary(input, 'provider')),
    route('GET', '/sdrp/metered/provider/usage-events', 'merchant', listUsage),
    route('GET', '/sdrp/metered/provider/settlement-batches', 'merchant', listBatches),
    route('GET', '/sdrp/metered/provider/settlement-batches/:batch_id', 'merchant', getBatch),
  ];
}
