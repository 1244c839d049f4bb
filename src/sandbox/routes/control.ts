/**
 * Control routes under `/__sandbox/` (no auth; loopback peers and same-origin browser requests only, never
 * affected by faults): scenarios, faults, state, and shortcuts for what a person would otherwise do in a
 * browser (pay, expire) or wait for (batch settlement, redelivery).
 */
import * as z from 'zod/mini';
import { nonEmptyStringSchema, parseInput } from '../../core/validation.js';
import type { SandboxCore } from '../core.js';
import { conflict } from '../errors.js';
import { route, type Route } from '../http.js';
import { scenarioSchema } from '../options.js';
import {
  isOpenSession,
  publicView,
  sessionView,
  subscriptionView,
  type SandboxCheckoutSession,
  type SandboxWebhookSubscription,
} from '../records.js';
import { RECORD_KINDS, type RecordKind } from '../store.js';

const scenarioInput = z.object({ scenario: scenarioSchema });
const settleSchema = z.object({ settlement_batch_id: z.optional(nonEmptyStringSchema) });

export function controlRoutes(core: SandboxCore): Route[] {
  const { store, faults } = core;

  const view = (kind: RecordKind, record: object) =>
    kind === 'subscriptions'
      ? subscriptionView(record as SandboxWebhookSubscription)
      : kind === 'checkout_sessions'
        ? sessionView(store.session((record as SandboxCheckoutSession).session_id), core.origin) // expiry applied
        : publicView(record);

  /** The whole state without any secret. */
  function state() {
    const { hidden_merchant: _hidden, seed, ...data } = store.data;
    const { webhook_secret: _secret, ...publicSeed } = seed;
    const records = RECORD_KINDS.map((kind) => [
      kind,
      Object.fromEntries(Object.entries(data[kind]).map(([id, r]) => [id, view(kind, r)])),
    ]);
    return { data: { ...data, seed: publicSeed, ...Object.fromEntries(records), faults: faults.current() } };
  }

  return [
    route('GET', '/state', 'none', state),
    route('POST', '/scenario', 'none', ({ body }) => {
      const { scenario } = parseInput(scenarioInput, body);
      core.setScenario(scenario);
      return { data: { scenario } };
    }),
    route('GET', '/faults', 'none', () => ({ data: { faults: faults.current() } })),
    route('POST', '/faults', 'none', ({ body }) => ({ data: { faults: faults.set(body) } })),
    route('POST', '/reset-faults', 'none', () => ({ data: { faults: faults.set({}) } })),
    route('POST', '/checkout-sessions/:session_id/pay', 'none', async ({ params }) => {
      const result = await core.payments.payCheckoutSession(params.session_id!);
      return { data: { ...result, session: sessionView(result.session, core.origin) } };
    }),
    route('POST', '/checkout-sessions/:session_id/expire', 'none', ({ params }) => {
      const s = store.session(params.session_id!);
      if (!isOpenSession(s)) {
        throw conflict('CHECKOUT_SESSION_NOT_OPEN', `Checkout session "${s.session_id}" is ${s.status}.`);
      }
      s.expires_at = store.nowIso();
      return { data: sessionView(store.session(s.session_id), core.origin) };
    }),
    route('POST', '/events/:event_id/redeliver', 'none', async ({ params }) => ({
      data: { event_id: params.event_id, deliveries: await core.webhooks.redeliver(params.event_id!) },
    })),
    route('POST', '/metered/settle', 'none', async ({ body }) => ({
      data: { settled: await core.ledger.settleOpen(parseInput(settleSchema, body).settlement_batch_id) },
    })),
  ];
}
