/**
 * Micro / Nano statements for buyers (`/sdrp/metered/my-*`) and providers
 * (`/sdrp/metered/provider/*`), built from the sandbox's own metered
 * payments. Minor amounts are decimal strings; lists page with
 * `{ items, next_cursor }`.
 */
import { z } from 'zod';
import { SETTLEMENT_THRESHOLD_MINOR } from '../../core/pricing.js';
import { nonEmptyStringSchema, parseInput, tokenSymbolSchema } from '../../core/validation.js';
import { sumDecimal } from '../decimal.js';
import { invalidField, notFound } from '../errors.js';
import { batchUsage, batchView, usageView } from '../metered.js';
import type { Route, RouteContext } from '../router.js';
import type { SandboxSettlementBatch, SandboxUsageEvent } from '../types.js';
import { limitSchema, queryObject } from './query.js';

const QUERY_NAMES = ['plan_type', 'token_symbol', 'status', 'listing_id', 'capability_key', 'limit', 'cursor'] as const;

const querySchema = z.object({
  plan_type: z.string().toLowerCase().pipe(z.enum(['micro', 'nano'], { error: 'must be "micro" or "nano"' })).optional(),
  token_symbol: z.optional(tokenSymbolSchema),
  status: z.optional(nonEmptyStringSchema),
  listing_id: z.optional(nonEmptyStringSchema),
  capability_key: z.optional(nonEmptyStringSchema),
  limit: limitSchema.optional(),
  cursor: z.optional(nonEmptyStringSchema),
});

type MeteredQuery = z.output<typeof querySchema>;

const DEFAULT_LIMIT = 50;
const MAX_LIMIT = 200;

function parseQuery(ctx: RouteContext): MeteredQuery {
  return parseInput(querySchema, queryObject(ctx.query, QUERY_NAMES));
}

function matches(q: MeteredQuery, x: { plan_type: string; token_symbol: string; status: string; listing_id: string; capability_key: string }): boolean {
  return (
    (!q.plan_type || x.plan_type === q.plan_type) &&
    (!q.token_symbol || x.token_symbol === q.token_symbol) &&
    (!q.status || x.status === q.status) &&
    (!q.listing_id || x.listing_id === q.listing_id) &&
    (!q.capability_key || x.capability_key === q.capability_key)
  );
}

const encodeCursor = (id: string) => Buffer.from(`after:${id}`, 'utf8').toString('base64url');

function decodeCursor(cursor: string): string {
  const text = Buffer.from(cursor, 'base64url').toString('utf8');
  if (!text.startsWith('after:') || text.length <= 6) throw invalidField('cursor', 'is not a cursor returned by this API');
  return text.slice(6);
}

/** Newest first; the cursor is the id of the last item of the previous page. */
function page<T>(items: readonly T[], idOf: (t: T) => string, q: MeteredQuery, view: (t: T) => unknown) {
  const ordered = [...items].reverse();
  let start = 0;
  if (q.cursor) {
    const after = decodeCursor(q.cursor);
    const index = ordered.findIndex((t) => idOf(t) === after);
    if (index === -1) throw invalidField('cursor', 'does not match any item (it may come from another filter)');
    start = index + 1;
  }
  const limit = Math.min(q.limit ?? DEFAULT_LIMIT, MAX_LIMIT);
  const slice = ordered.slice(start, start + limit);
  const more = start + limit < ordered.length;
  return { items: slice.map(view), next_cursor: more && slice.length ? encodeCursor(idOf(slice[slice.length - 1]!)) : null };
}

function usage(ctx: RouteContext, q: MeteredQuery): SandboxUsageEvent[] {
  return Object.values(ctx.rt.store.data.usage_events).filter((u) => matches(q, u));
}

function batches(ctx: RouteContext, q: MeteredQuery): SandboxSettlementBatch[] {
  return Object.values(ctx.rt.store.data.settlement_batches).filter((b) => matches(q, b));
}

function summary(ctx: RouteContext, side: 'buyer' | 'provider') {
  const q = parseQuery(ctx);
  const events = usage(ctx, q);
  const tokens = [...new Set(events.map((u) => u.token_symbol))].sort();
  const totals = tokens.map((token) => {
    const mine = events.filter((u) => u.token_symbol === token);
    const pending = mine.filter((u) => u.status === 'pending_settlement');
    const settled = mine.filter((u) => u.status === 'settled');
    const amountOf = (u: SandboxUsageEvent) => (side === 'buyer' ? u.buyer_debit_minor : u.provider_receivable_minor);
    const base = {
      token_symbol: token,
      currency: mine[0]!.currency,
      usage_event_count: mine.length,
      pending_settlement_minor: sumDecimal(pending.map(amountOf)),
      settled_amount_minor: sumDecimal(settled.map(amountOf)),
    };
    return side === 'buyer'
      ? { ...base, buyer_debit_minor: sumDecimal(mine.map((u) => u.buyer_debit_minor)) }
      : {
          ...base,
          gross_amount_minor: sumDecimal(mine.map((u) => u.provider_gross_amount_minor)),
          protocol_fee_minor: sumDecimal(mine.map((u) => u.protocol_fee_minor)),
          provider_receivable_minor: sumDecimal(mine.map((u) => u.provider_receivable_minor)),
        };
  });
  const open = batches(ctx, { ...q, status: undefined }).filter((b) => b.status === 'open');
  // Amounts in different tokens do not add up: flat totals only when one token is in scope.
  const single = totals.length === 1 ? totals[0]! : null;
  const emptyToken = totals.length === 0 && q.token_symbol ? q.token_symbol : null;
  const flat = single ?? (emptyToken ? zeroTotals(side, emptyToken) : null);
  return {
    data: {
      plan_type: q.plan_type ?? null,
      listing_id: q.listing_id ?? null,
      capability_key: q.capability_key ?? null,
      ...(flat ?? { token_symbol: null, currency: null }),
      usage_event_count: events.length,
      open_settlement_batch_count: open.length,
      settlement_threshold_minor: String(SETTLEMENT_THRESHOLD_MINOR),
      totals,
    },
  };
}

function zeroTotals(side: 'buyer' | 'provider', token: string): Record<string, unknown> {
  const base = {
    token_symbol: token,
    currency: token === 'JPYC' ? 'JPY' : 'USD',
    usage_event_count: 0,
    pending_settlement_minor: '0',
    settled_amount_minor: '0',
  };
  return side === 'buyer'
    ? { ...base, buyer_debit_minor: '0' }
    : { ...base, gross_amount_minor: '0', protocol_fee_minor: '0', provider_receivable_minor: '0' };
}

function listUsage(ctx: RouteContext) {
  const q = parseQuery(ctx);
  return { data: page(usage(ctx, q), (u) => u.usage_event_id, q, usageView) };
}

function listBatches(ctx: RouteContext) {
  const q = parseQuery(ctx);
  return { data: page(batches(ctx, q), (b) => b.settlement_batch_id, q, (b) => batchView(ctx.rt, b)) };
}

const batchQuerySchema = z.object({ listing_id: z.optional(nonEmptyStringSchema), capability_key: z.optional(nonEmptyStringSchema) });

function getBatch(ctx: RouteContext) {
  const q = parseInput(batchQuerySchema, queryObject(ctx.query, ['listing_id', 'capability_key']));
  const id = ctx.params.batch_id ?? '';
  const b = Object.hasOwn(ctx.rt.store.data.settlement_batches, id) ? ctx.rt.store.data.settlement_batches[id] : undefined;
  if (!b || (q.listing_id && b.listing_id !== q.listing_id) || (q.capability_key && b.capability_key !== q.capability_key)) {
    throw notFound('SETTLEMENT_BATCH_NOT_FOUND', `Settlement batch "${id}" does not exist in this sandbox.`);
  }
  return { data: { ...batchView(ctx.rt, b), usage_events: batchUsage(ctx.rt, b).map(usageView) } };
}

/** Metered statement routes. */
export const meteredRoutes: Route[] = [
  { method: 'GET', pattern: '/sdrp/metered/my-summary', auth: 'buyer', handler: (ctx) => summary(ctx, 'buyer') },
  { method: 'GET', pattern: '/sdrp/metered/my-usage-events', auth: 'buyer', handler: listUsage },
  { method: 'GET', pattern: '/sdrp/metered/my-settlement-batches', auth: 'buyer', handler: listBatches },
  { method: 'GET', pattern: '/sdrp/metered/provider/summary', auth: 'merchant', handler: (ctx) => summary(ctx, 'provider') },
  { method: 'GET', pattern: '/sdrp/metered/provider/usage-events', auth: 'merchant', handler: listUsage },
  { method: 'GET', pattern: '/sdrp/metered/provider/settlement-batches', auth: 'merchant', handler: listBatches },
  { method: 'GET', pattern: '/sdrp/metered/provider/settlement-batches/:batch_id', auth: 'merchant', handler: getBatch },
];
