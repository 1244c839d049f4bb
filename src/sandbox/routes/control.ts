/**
 * Control routes under `/__sandbox/` (no auth; loopback peers and same-origin
 * browser requests only, never affected by faults): scenarios, faults, state,
 * and shortcuts for what a person would otherwise do in a browser (pay,
 * expire) or wait for (batch settlement).
 */
import { z } from 'zod';
import { parseInput } from '../../core/validation.js';
import type { SandboxCore } from '../core.js';
import { SandboxHttpError } from '../errors.js';
import type { Route } from '../http.js';
import { SANDBOX_SCENARIOS } from '../scenarios.js';
import { redactedState, sessionView } from '../records.js';

const scenarioSchema = z.object({
  scenario: z.enum(SANDBOX_SCENARIOS, { error: `must be one of ${SANDBOX_SCENARIOS.join(', ')}` }),
});
const settleSchema = z.object({ settlement_batch_id: z.string().min(1).nullish() });

/** The control routes, mounted under `/__sandbox`. */
export function controlRoutes(core: SandboxCore): Route[] {
  const { store, faults } = core;
  return [
    {
      method: 'GET',
      path: '/state',
      auth: 'none',
      handler: () => ({ data: { ...redactedState(store.data, core.origin), faults: faults.current() } }),
    },
    {
      method: 'POST',
      path: '/scenario',
      auth: 'none',
      handler: ({ body }) => {
        const { scenario } = parseInput(scenarioSchema, body);
        core.setScenario(scenario);
        return { data: { scenario } };
      },
    },
    { method: 'GET', path: '/faults', auth: 'none', handler: () => ({ data: { faults: faults.current() } }) },
    { method: 'POST', path: '/faults', auth: 'none', handler: ({ body }) => ({ data: { faults: faults.set(body) } }) },
    {
      method: 'POST',
      path: '/reset-faults',
      auth: 'none',
      handler: () => (faults.reset(), { data: { faults: faults.current() } }),
    },
    {
      method: 'POST',
      path: '/checkout-sessions/:session_id/pay',
      auth: 'none',
      handler: async ({ params }) => {
        const result = await core.payments.payCheckoutSession(params.session_id ?? '');
        return { data: { ...result, session: sessionView(result.session, core.origin) } };
      },
    },
    {
      method: 'POST',
      path: '/checkout-sessions/:session_id/expire',
      auth: 'none',
      handler: ({ params }) => {
        const s = store.requireSession(params.session_id ?? '');
        if (s.status !== 'open' && s.status !== 'authenticated') {
          throw new SandboxHttpError(
            409,
            'CHECKOUT_SESSION_NOT_OPEN',
            `Checkout session "${s.session_id}" is ${s.status}.`,
          );
        }
        s.expires_at = store.nowIso();
        return { data: sessionView(store.requireSession(s.session_id), core.origin) };
      },
    },
    {
      method: 'POST',
      path: '/events/:event_id/redeliver',
      auth: 'none',
      handler: async ({ params }) => ({
        data: { event_id: params.event_id, deliveries: await core.webhooks.redeliver(params.event_id ?? '') },
      }),
    },
    {
      method: 'POST',
      path: '/metered/settle',
      auth: 'none',
      handler: async ({ body }) => ({
        data: {
          settled: await core.ledger.settleOpen(parseInput(settleSchema, body).settlement_batch_id ?? undefined),
        },
      }),
    },
  ];
}
