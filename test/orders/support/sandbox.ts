/**
 * Every use of the sandbox by the order tests goes through this module, so a
 * rename of the sandbox's options or handle fields is one edit here.
 */
import { buildWebhookSignatureHeader } from '../../../src/webhooks/signature.js';
import { startSandbox, type SandboxFaults, type SandboxHandle } from '../../../src/sandbox/index.js';

export interface TestSandboxOptions {
  merchant: string;
  /** The shop's origin (success / cancel URLs must be under it). */
  origin: string;
  webhook_url: string;
  webhook_secret: string;
  merchant_token: string;
  /** Retries of a failed delivery. @default 2 */
  delivery_retries?: number;
  /** Pause before the first retry, ms (tripled per retry). @default 100 */
  delivery_backoff_ms?: number;
  /** Timeout of one delivery attempt, ms. @default 5000 */
  delivery_timeout_ms?: number;
  /** Lifetime of a new checkout session, seconds. @default 1800 */
  session_ttl_seconds?: number;
}

/** A checkout session as the sandbox keeps it (the fields the tests read). */
export interface TestSandboxSession {
  session_id: string;
  status: string;
  nonce: string;
  challenge_hash: string;
  amount_minor: number;
  currency: string;
  requirement_id: string | null;
  chain_receipt_id: string | null;
  event_id: string | null;
  metadata: Record<string, unknown>;
  success_url: string;
  cancel_url: string;
  /** ISO 8601. */
  expires_at: string;
}

export interface TestSandbox {
  url: string;
  api_base: string;
  merchant: string;
  merchant_token: string;
  webhook_secret: string;
  session(id: string): TestSandboxSession | undefined;
  sessions(): TestSandboxSession[];
  /** An event exactly as the sandbox delivers it: body and a fresh signature. */
  signedEvent(event_id: string): Promise<{ rawBody: string; header: string; event: { id: string; type: string; data: Record<string, unknown> } }>;
  /** Last deliveries of an event (newest first). */
  deliveries(event_id: string): Array<{ response_status: number | null; delivery_status: string; attempts: number }>;
  /** Pays a session as the hosted page's Pay button does; waits for the deliveries. */
  pay(session_id: string): Promise<{ event_id: string | null; deliveries: Array<{ response_status: number | null; attempts: number }> }>;
  redeliver(event_id: string): Promise<Array<{ response_status: number | null }>>;
  /** Cancels a session as the hosted page's Cancel button does (a same-origin form post); the answer's status. */
  cancel(session_id: string): Promise<number>;
  settleMeteredBatches(): Promise<Array<{ settlement_batch_id: string; event_id: string }>>;
  setFaults(faults: SandboxFaults): void;
  setScenario(name: 'ready' | 'hosted_checkout_disabled_409'): void;
  resetFaults(): void;
  /** API requests the sandbox has answered so far (`/v1`). */
  requestCount(): number;
  close(): Promise<void>;
}

function wrap(h: SandboxHandle, o: TestSandboxOptions, requests: { count: number }): TestSandbox {
  const session = (id: string) => (h.getCheckoutSession(id) ?? undefined) as TestSandboxSession | undefined;
  return {
    url: h.url,
    api_base: h.api_base,
    merchant: o.merchant,
    merchant_token: o.merchant_token,
    webhook_secret: o.webhook_secret,
    session,
    sessions: () => h.listCheckoutSessions() as TestSandboxSession[],
    async signedEvent(event_id) {
      const event = h.listEvents().find((e) => e.id === event_id);
      if (!event) throw new Error(`no event ${event_id} in the sandbox`);
      const rawBody = JSON.stringify(event);
      return { rawBody, header: await buildWebhookSignatureHeader(o.webhook_secret, rawBody), event };
    },
    deliveries: (event_id) => h.listDeliveries({ event_id }).reverse(),
    async pay(session_id) {
      const r = await h.payCheckoutSession(session_id);
      return { event_id: r.event_id, deliveries: r.deliveries };
    },
    redeliver: (event_id) => h.redeliver(event_id),
    async cancel(session_id) {
      const url = `${h.url}/pay/${encodeURIComponent(session_id)}/cancel`;
      const res = await h.fetch(new Request(url, { method: 'POST', headers: { Origin: h.url }, redirect: 'manual' }));
      return res.status;
    },
    settleMeteredBatches: () => h.settleMeteredBatches(),
    setFaults: (f) => void h.setFaults(f),
    setScenario: (name) => h.setScenario(name),
    resetFaults: () => h.resetFaults(),
    requestCount: () => requests.count,
    close: () => h.close(),
  };
}

/** Starts a sandbox on a free port whose seeded merchant delivers to `webhook_url`. */
export async function startTestSandbox(o: TestSandboxOptions): Promise<TestSandbox> {
  const requests = { count: 0 };
  const h = await startSandbox({
    port: 0,
    onLog: (entry) => {
      if (entry.kind === 'request' && entry.path.startsWith('/v1/')) requests.count += 1;
    },
    merchant: o.merchant,
    origin: o.origin,
    webhook_url: o.webhook_url,
    webhook_secret: o.webhook_secret,
    merchant_token: o.merchant_token,
    ...(o.delivery_retries === undefined ? {} : { delivery_retries: o.delivery_retries }),
    ...(o.delivery_backoff_ms === undefined ? {} : { delivery_backoff_ms: o.delivery_backoff_ms }),
    ...(o.delivery_timeout_ms === undefined ? {} : { delivery_timeout_ms: o.delivery_timeout_ms }),
    ...(o.session_ttl_seconds === undefined ? {} : { session_ttl_seconds: o.session_ttl_seconds }),
  });
  return wrap(h, o, requests);
}
