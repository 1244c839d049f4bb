/**
 * Control routes under `/__sandbox/` (no auth; answered only to loopback
 * clients): scenarios, faults, state, and shortcuts for what a person would
 * otherwise do in a browser (pay, expire) or wait for (batch settlement).
 */
import { z } from 'zod';
import { parseInput } from '../../core/validation.js';
import { SandboxHttpError, notFound } from '../errors.js';
import { publishEvent, redeliverEvent } from '../events.js';
import { settleBatch } from '../metered.js';
import { payCheckoutSession } from '../payments.js';
import type { Route, RouteContext } from '../router.js';
import type { SandboxRuntime } from '../runtime.js';
import { SANDBOX_SCENARIOS, applyScenario, type SandboxScenario } from '../scenarios.js';
import { deliveryView, redactedState, sessionView } from '../views.js';

const scenarioSchema = z.object({
  scenario: z.enum(SANDBOX_SCENARIOS, { error: `must be one of ${SANDBOX_SCENARIOS.join(', ')}` }),
});

/** Switches the seeded merchant into a scenario. */
export function setScenario(rt: SandboxRuntime, scenario: SandboxScenario): void {
  applyScenario(rt.store.data, scenario, rt.store.nowIso());
  rt.store.changed();
}

/** Settles open Micro / Nano batches (all, or one) and delivers their confirmations. */
export async function settleOpenBatches(rt: SandboxRuntime, batchId?: string) {
  const open = Object.values(rt.store.data.settlement_batches).filter(
    (b) => b.status === 'open' && (batchId === undefined || b.settlement_batch_id === batchId),
  );
  if (batchId !== undefined && open.length === 0) {
    throw notFound('SETTLEMENT_BATCH_NOT_FOUND', `No open settlement batch "${batchId}" exists in this sandbox.`);
  }
  const settled = [];
  for (const b of open) {
    const event = settleBatch(rt, b);
    const deliveries = await publishEvent(rt, event, { wait: true });
    settled.push({ settlement_batch_id: b.settlement_batch_id, event_id: event.id, deliveries: deliveries.map(deliveryView) });
  }
  return settled;
}

function expireSession(ctx: RouteContext) {
  const { store } = ctx.rt;
  const id = ctx.params.session_id ?? '';
  const s = store.session(id);
  if (!s) throw notFound('CHECKOUT_SESSION_NOT_FOUND', `Checkout session "${id}" does not exist in this sandbox.`);
  if (s.status !== 'open' && s.status !== 'authenticated') {
    throw new SandboxHttpError(409, 'CHECKOUT_SESSION_NOT_OPEN', `Checkout session "${id}" is ${s.status}.`);
  }
  s.expires_at = store.nowIso();
  store.expireIfDue(s);
  return { data: sessionView(ctx.rt, s) };
}

const settleSchema = z.object({ settlement_batch_id: z.string().min(1).nullish() });

/** The control routes, mounted under `/__sandbox`. */
export const controlRoutes: Route[] = [
  {
    method: 'GET',
    pattern: '/state',
    auth: 'none',
    handler: (ctx) => ({ data: { ...redactedState(ctx.rt, ctx.rt.store.data), faults: ctx.rt.faults.current() } }),
  },
  {
    method: 'POST',
    pattern: '/scenario',
    auth: 'none',
    handler: (ctx) => {
      const { scenario } = parseInput(scenarioSchema, ctx.body);
      setScenario(ctx.rt, scenario);
      return { data: { scenario } };
    },
  },
  { method: 'GET', pattern: '/faults', auth: 'none', handler: (ctx) => ({ data: { faults: ctx.rt.faults.current() } }) },
  { method: 'POST', pattern: '/faults', auth: 'none', handler: (ctx) => ({ data: { faults: ctx.rt.faults.set(ctx.body) } }) },
  {
    method: 'POST',
    pattern: '/reset-faults',
    auth: 'none',
    handler: (ctx) => {
      ctx.rt.faults.reset();
      return { data: { faults: ctx.rt.faults.current() } };
    },
  },
  {
    method: 'POST',
    pattern: '/checkout-sessions/:session_id/pay',
    auth: 'none',
    handler: async (ctx) => {
      const result = await payCheckoutSession(ctx.rt, ctx.params.session_id ?? '');
      return { data: { ...result, deliveries: result.deliveries.map(deliveryView) } };
    },
  },
  { method: 'POST', pattern: '/checkout-sessions/:session_id/expire', auth: 'none', handler: expireSession },
  {
    method: 'POST',
    pattern: '/events/:event_id/redeliver',
    auth: 'none',
    handler: async (ctx) => {
      const deliveries = await redeliverEvent(ctx.rt, ctx.params.event_id ?? '');
      return { data: { event_id: ctx.params.event_id, deliveries: deliveries.map(deliveryView) } };
    },
  },
  {
    method: 'POST',
    pattern: '/metered/settle',
    auth: 'none',
    handler: async (ctx) => {
      const input = parseInput(settleSchema, ctx.body);
      return { data: { settled: await settleOpenBatches(ctx.rt, input.settlement_batch_id ?? undefined) } };
    },
  },
];
