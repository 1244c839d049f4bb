/**
 * The local SDRP sandbox: a Siglume-compatible API for development, tests and
 * demos. It speaks the contract's `/v1` API, serves a hosted checkout page,
 * and delivers signed webhooks to the shop's real endpoint. Package subpath:
 * `@siglume/direct-request-payment/sandbox`.
 *
 * @example
 * import { startSandbox } from '@siglume/direct-request-payment/sandbox';
 * const sandbox = await startSandbox({ port: 0 });
 * Object.assign(process.env, sandbox.env); // SIGLUME_API_BASE, tokens, merchant, secret, shop URLs
 * // ... run the shop against it ...
 * await sandbox.close();
 */
import { SiglumeValidationError } from '../core/errors.js';
import { buildApp } from './app.js';
import { SandboxCore } from './core.js';
import { ConnectionDropped } from './errors.js';
import type { SandboxFaults } from './faults.js';
import type { SandboxBatchSettlement } from './metered.js';
import { listen, type Listening } from './node-server.js';
import { resolveSandboxOptions, type SandboxOptions } from './options.js';
import type { SandboxPaymentResult } from './payments.js';
import { loadStateFile } from './persistence.js';
import { SANDBOX_SCENARIOS, applyScenario, createSeededState, isSandboxScenario, type SandboxScenario } from './scenarios.js';
import type * as T from './types.js';

export { SandboxStartError, SandboxStateFileError } from './errors.js';
export { SANDBOX_SCENARIOS, type SandboxScenario } from './scenarios.js';
export { SANDBOX_EVENT_API_VERSION } from './webhooks.js';
export type { SandboxFaults } from './faults.js';
export type { SandboxBatchSettlement } from './metered.js';
export type { SandboxLogEntry, SandboxOptions } from './options.js';
export type { SandboxPaymentResult } from './payments.js';
export type {
  SandboxCheckoutSession, SandboxCheckoutSessionStatus, SandboxDelivery, SandboxEvent, SandboxMerchant, SandboxSettlementBatch, SandboxWebhookSubscription,
} from './types.js';

/**
 * The environment a merchant app needs to talk to this sandbox. A type alias
 * (not an interface) so it is assignable to `Record<string, string>`.
 */
export type SandboxEnv = {
  SIGLUME_API_BASE: string;
  SIGLUME_MERCHANT_AUTH_TOKEN: string;
  SIGLUME_DIRECT_PAYMENT_MERCHANT: string;
  SIGLUME_WEBHOOK_SECRET: string;
  SHOP_PUBLIC_ORIGIN: string;
  SHOP_WEBHOOK_URL: string;
};

/** Filter of {@link SandboxHandle.listDeliveries}. */
export interface SandboxDeliveryFilter {
  event_id?: string;
  subscription_id?: string;
  delivery_status?: T.SandboxDelivery['delivery_status'];
}

/**
 * A sandbox. Accessors return copies (secrets included: this is your local
 * sandbox); change the state through the API or the methods below.
 */
export interface SandboxHandle {
  /** Origin of the sandbox, e.g. `http://127.0.0.1:8787` (`checkout_url`s point here). */
  readonly url: string;
  /** `url` + `/v1`: the `base_url` of the SDK clients. */
  readonly api_base: string;
  /** The six variables a merchant app needs (from the seed, so they survive a state-file restart). */
  readonly env: SandboxEnv;
  /** Bearer token of the buyer routes (for `DirectRequestPaymentClient`). */
  readonly buyer_token: string;
  /** The scenario the seeded merchant is in now. */
  readonly scenario: SandboxScenario;
  /**
   * Runs a request in-process, with no socket: `fetch: (url, init) => sandbox.fetch(new Request(url, init))`
   * for a client. The URL must be addressed to `url` (or an allowed host). Rejects with a `TypeError` when a
   * fault drops the connection, and with the reason when the request's signal aborts (the sandbox still
   * finishes the request, as a server would).
   */
  fetch(request: Request): Promise<Response>;
  /** A merchant, with its challenge secret; null when it does not exist. */
  getMerchant(merchant: string): T.SandboxMerchant | null;
  /** A checkout session (with its challenge); null when it does not exist. */
  getCheckoutSession(sessionId: string): T.SandboxCheckoutSession | null;
  /** Every checkout session, oldest first. */
  listCheckoutSessions(): T.SandboxCheckoutSession[];
  /** Every webhook subscription, with its signing secret, oldest first. */
  listWebhookSubscriptions(): T.SandboxWebhookSubscription[];
  /** Every webhook event, oldest first (a redelivery sends the same event again). */
  listEvents(): T.SandboxEvent[];
  /** Webhook deliveries, oldest first, optionally filtered. */
  listDeliveries(filter?: SandboxDeliveryFilter): T.SandboxDelivery[];
  /** A Micro / Nano settlement batch; null when it does not exist. */
  getSettlementBatch(batchId: string): T.SandboxSettlementBatch | null;
  /** Puts the seeded merchant into a scenario (see `SANDBOX_SCENARIOS`). */
  setScenario(name: SandboxScenario): void;
  /** Replaces the injected faults (validated); returns them as active now. */
  setFaults(faults: SandboxFaults): SandboxFaults;
  /** Removes every injected fault. */
  resetFaults(): void;
  /** Pays a checkout session as the hosted page's Pay button does, and waits for the webhook deliveries. */
  payCheckoutSession(sessionId: string): Promise<SandboxPaymentResult>;
  /** Sends an event again (same id and body, fresh signature) and waits for the outcome. */
  redeliver(eventId: string): Promise<T.SandboxDelivery[]>;
  /** Settles every open Micro / Nano batch now and delivers the batch confirmations. */
  settleMeteredBatches(): Promise<SandboxBatchSettlement[]>;
  /** Writes the state file now (no-op without one). */
  flush(): Promise<void>;
  /** Stops listening (if it does), cancels pending delivery retries, and writes the state file. */
  close(): Promise<void>;
}

const publicHost = (host: string) => (host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host);
const copyOrNull = <V>(value: V | undefined): V | null => (value === undefined ? null : structuredClone(value));

/** Builds the sandbox core from options (state file loaded and written once). */
async function createCore(options: SandboxOptions): Promise<SandboxCore> {
  const o = resolveSandboxOptions(options);
  const loaded = o.state_file ? await loadStateFile(o.state_file) : null;
  const nowIso = new Date().toISOString();
  const data = loaded ?? createSeededState({ merchant: o.merchant, origin: o.origin, webhook_url: o.webhook_url, webhook_secret: o.webhook_secret }, o.scenario, nowIso);
  if (loaded && o.scenario_given) applyScenario(data, o.scenario, nowIso);
  const core = new SandboxCore(o, data, `http://${publicHost(o.host)}:${o.port}`);
  if (core.writer) {
    // Write once before serving: an unwritable path fails the start, not a later request.
    core.store.changed();
    await core.writer.flush();
    if (core.writer.error) throw core.writer.error;
  }
  return core;
}

function handleFor(core: SandboxCore, app: ReturnType<typeof buildApp>, server: Listening | null): SandboxHandle {
  const { store } = core;
  let closing: Promise<void> | null = null;
  const handle: SandboxHandle = {
    get url() {
      return core.origin;
    },
    get api_base() {
      return `${core.origin}/v1`;
    },
    get env(): SandboxEnv {
      const { seed } = store.data;
      return {
        SIGLUME_API_BASE: `${core.origin}/v1`,
        SIGLUME_MERCHANT_AUTH_TOKEN: core.options.merchant_token,
        SIGLUME_DIRECT_PAYMENT_MERCHANT: seed.merchant,
        SIGLUME_WEBHOOK_SECRET: seed.webhook_secret,
        SHOP_PUBLIC_ORIGIN: seed.origin,
        SHOP_WEBHOOK_URL: seed.webhook_url,
      };
    },
    buyer_token: core.options.buyer_token,
    get scenario() {
      return store.data.scenario as SandboxScenario;
    },
    async fetch(request) {
      const { signal } = request;
      signal.throwIfAborted();
      try {
        return await new Promise<Response>((resolve, reject) => {
          const onAbort = () => reject(signal.reason);
          signal.addEventListener('abort', onAbort, { once: true });
          Promise.resolve(app.fetch(request, {})).then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
        });
      } catch (error) {
        if (error instanceof ConnectionDropped) throw new TypeError('fetch failed', { cause: new Error(`connection dropped by the sandbox fault ${error.reason}`) });
        throw error;
      }
    },
    getMerchant: (key) => copyOrNull(store.get('merchants', key)),
    getCheckoutSession: (id) => copyOrNull(store.session(id)),
    listCheckoutSessions: () => structuredClone(Object.values(store.data.checkout_sessions)),
    listWebhookSubscriptions: () => structuredClone(Object.values(store.data.subscriptions)),
    listEvents: () => structuredClone(Object.values(store.data.events)),
    listDeliveries: (filter = {}) =>
      structuredClone(Object.values(store.data.deliveries).filter((d) => Object.entries(filter).every(([k, v]) => v === undefined || d[k as keyof typeof filter] === v))),
    getSettlementBatch: (id) => copyOrNull(store.get('settlement_batches', id)),
    setScenario(name) {
      if (!isSandboxScenario(name)) throw new SiglumeValidationError('scenario', `Invalid scenario: must be one of ${SANDBOX_SCENARIOS.join(', ')}`);
      core.setScenario(name);
    },
    setFaults: (faults) => core.faults.set(faults),
    resetFaults: () => core.faults.reset(),
    payCheckoutSession: (id) => core.payments.payCheckoutSession(id),
    redeliver: (id) => core.webhooks.redeliver(id),
    settleMeteredBatches: () => core.ledger.settleOpen(),
    flush: async () => {
      await core.writer?.flush();
    },
    close: () =>
      (closing ??= (async () => {
        await Promise.all([server?.close(), core.webhooks.close()]);
        await core.writer?.flush();
        if (core.writer?.error) throw core.writer.error;
      })()),
  };
  return handle;
}

/**
 * Creates a sandbox without listening: use it in-process through
 * `handle.fetch` (tests, workers). `url` is `http://<host>:<port>` from the
 * options (default `http://127.0.0.1:8787`); nothing listens there. Webhook
 * deliveries still go over the network to the shop's URL.
 *
 * @throws {SiglumeValidationError} for a bad option (naming it).
 * @throws {SandboxStateFileError} when the state file exists but is unreadable or corrupt.
 */
export async function createSandbox(options: SandboxOptions = {}): Promise<SandboxHandle> {
  const core = await createCore(options);
  return handleFor(core, buildApp(core), null);
}

/**
 * Creates a sandbox and listens on `host:port`. Resolves once it is listening.
 *
 * @throws {SiglumeValidationError} for a bad option (naming it).
 * @throws {SandboxStateFileError} when the state file exists but is unreadable or corrupt.
 * @throws {SandboxStartError} when the port is taken or the host is not local.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<SandboxHandle> {
  const core = await createCore(options);
  const app = buildApp(core);
  const server = await listen(async (req, peer) => app.fetch(req, peer), core.options.port, core.options.host);
  core.setOrigin(`http://${publicHost(core.options.host)}:${server.port}`);
  return handleFor(core, app, server);
}
