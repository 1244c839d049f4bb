/**
 * Micro / Nano statements for buyers (`/sdrp/metered/my-*`) and providers
 * (`/sdrp/metered/provider/*`), built from the sandbox's own metered
 * payments. Minor amounts are decimal strings; lists page with
 * `{ items, next_cursor }`, newest first.
 */
import { z } from 'zod';
import { SETTLEMENT_THRESHOLD_MINOR } from '../../core/pricing.js';
import { nonEmptyStringSchema, parseInput, tokenSymbolSchema } from '../../core/validation.js';
import type { SandboxCore } from '../core.js';
import { SandboxHttpError, invalidField } from '../errors.js';
import { limitSchema, queryObject, type Route, type RouteInput } from '../http.js';
import { sumDecimal, usageView } from '../metered.js';
import type { SandboxUsageEvent } from '../types.js';

const QUERY_NAMES = ['plan_type', 'token_symbol', 'status', 'listing_id', 'capability_key', 'limit', 'cursor'] as const;

const querySchema = z.object({
  plan_type: z
    .string()
    .toLowerCase()
    .pipe(z.enum(['micro', 'nano'], { error: 'must be "micro" or "nano"' }))
    .optional(),
  token_symbol: z.optional(tokenSymbolSchema),
  status: z.optional(nonEmptyStringSchema),
  listing_id: z.optional(nonEmptyStringSchema),
  capability_key: z.optional(nonEmptyStringSchema),
  limit: limitSchema.optional(),
  cursor: z.optional(nonEmptyStringSchema),
});

type Query = z.output<typeof querySchema>;
type Filterable = {
  plan_type: string;
  token_symbol: string;
  status: string;
  listing_id: string;
  capability_key: string;
};

const parseQuery = ({ query }: RouteInput): Query => parseInput(querySchema, queryObject(query, QUERY_NAMES));

const matches = (q: Query, x: Filterable) =>
  (!q.plan_type || x.plan_type === q.plan_type) &&
  (!q.token_symbol || x.token_symbol === q.token_symbol) &&
  (!q.status || x.status === q.status) &&
  (!q.listing_id || x.listing_id === q.listing_id) &&
  (!q.capability_key || x.capability_key === q.capability_key);

/** Newest first; the cursor encodes the id of the last item of the previous page. */
function page<T>(items: readonly T[], idOf: (t: T) => string, q: Query, view: (t: T) => unknown) {
  const ordered = [...items].reverse();
  let start = 0;
  if (q.cursor) {
    const text = Buffer.from(q.cursor, 'base64url').toString('utf8');
    if (!text.startsWith('after:') || text.length <= 6)
      throw invalidField('cursor', 'is not a cursor returned by this API');
    start = ordered.findIndex((t) => idOf(t) === text.slice(6)) + 1;
    if (start === 0) throw invalidField('cursor', 'does not match any item (it may come from another filter)');
  }
  const slice = ordered.slice(start, start + Math.min(q.limit ?? 50, 200));
  const more = start + slice.length < ordered.length && slice.length > 0;
  return {
    items: slice.map(view),
    next_cursor: more ? Buffer.from(`after:${idOf(slice.at(-1)!)}`, 'utf8').toString('base64url') : null,
  };
}

const AMOUNTS = {
  buyer: { amount: 'buyer_debit_minor', totals: ['buyer_debit_minor'] },
  provider: {
    amount: 'provider_receivable_minor',
    totals: ['provider_gross_amount_minor', 'protocol_fee_minor', 'provider_receivable_minor'],
  },
} as const;

/** Metered statement routes. */
export function meteredRoutes({ store, ledger }: SandboxCore): Route[] {
  const usage = (q: Query) => Object.values(store.data.usage_events).filter((u) => matches(q, u));
  const batches = (q: Query) => Object.values(store.data.settlement_batches).filter((b) => matches(q, b));

  function summary(input: RouteInput, side: 'buyer' | 'provider') {
    const q = parseQuery(input);
    const events = usage(q);
    const { amount, totals: fields } = AMOUNTS[side];
    // Per token; the provider's gross total is named gross_amount_minor.
    const totalsOf = (token: string, currency: string, mine: SandboxUsageEvent[]) => ({
      token_symbol: token,
      currency,
      usage_event_count: mine.length,
      pending_settlement_minor: sumDecimal(mine.filter((u) => u.status === 'pending_settlement').map((u) => u[amount])),
      settled_amount_minor: sumDecimal(mine.filter((u) => u.status === 'settled').map((u) => u[amount])),
      ...Object.fromEntries(
        fields.map((f) => [
          f === 'provider_gross_amount_minor' ? 'gross_amount_minor' : f,
          sumDecimal(mine.map((u) => u[f])),
        ]),
      ),
    });
    const tokens = [...new Set(events.map((u) => u.token_symbol))].sort();
    const totals = tokens.map((token) => {
      const mine = events.filter((u) => u.token_symbol === token);
      return totalsOf(token, mine[0]!.currency, mine);
    });
    // Amounts in different tokens do not add up: flat totals only when one token is in scope.
    const flat =
      totals.length === 1
        ? totals[0]
        : totals.length === 0 && q.token_symbol
          ? totalsOf(q.token_symbol, q.token_symbol === 'JPYC' ? 'JPY' : 'USD', [])
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
        totals,
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
  const batchQuerySchema = z.object({
    listing_id: z.optional(nonEmptyStringSchema),
    capability_key: z.optional(nonEmptyStringSchema),
  });
  function getBatch({ params, query }: RouteInput) {
    const q = parseInput(batchQuerySchema, queryObject(query, ['listing_id', 'capability_key']));
    const id = params.batch_id ?? '';
    const b = store.get('settlement_batches', id);
    if (
      !b ||
      (q.listing_id && b.listing_id !== q.listing_id) ||
      (q.capability_key && b.capability_key !== q.capability_key)
    ) {
      throw new SandboxHttpError(
        404,
        'SETTLEMENT_BATCH_NOT_FOUND',
        `Settlement batch "${id}" does not exist in this sandbox.`,
      );
    }
    return { data: { ...ledger.batchView(b), usage_events: ledger.usageOf(b).map(usageView) } };
  }

  return [
    { method: 'GET', path: '/sdrp/metered/my-summary', auth: 'buyer', handler: (input) => summary(input, 'buyer') },
    { method: 'GET', path: '/sdrp/metered/my-usage-events', auth: 'buyer', handler: listUsage },
    { method: 'GET', path: '/sdrp/metered/my-settlement-batches', auth: 'buyer', handler: listBatches },
    {
      method: 'GET',
      path: '/sdrp/metered/provider/summary',
      auth: 'merchant',
      handler: (input) => summary(input, 'provider'),
    },
    { method: 'GET', path: '/sdrp/metered/provider/usage-events', auth: 'merchant', handler: listUsage },
    { method: 'GET', path: '/sdrp/metered/provider/settlement-batches', auth: 'merchant', handler: listBatches },
    { method: 'GET', path: '/sdrp/metered/provider/settlement-batches/:batch_id', auth: 'merchant', handler: getBatch },
  ];
}
