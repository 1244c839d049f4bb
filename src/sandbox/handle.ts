/**
 * What callers hold: a sandbox's addresses, its in-process `fetch`, typed accessors that return copies
 * (never the store), and the controls a test needs. Created by `createSandbox` / `startSandbox`.
 */
import { SiglumeDirectRequestPaymentError, SiglumeValidationError } from '../core/errors.js';
import type { SandboxCore } from './core.js';
import { ConnectionDropped } from './errors.js';
import type { SandboxFaults } from './faults.js';
import type { SandboxSettlementBatch } from './metered-records.js';
import type { SandboxBatchSettlement } from './metered.js';
import type { Listening } from './node-server.js';
import type { SandboxPaymentResult } from './payments.js';
import { DELIVERY_STATUSES } from './records.js';
import type * as R from './records.js';
import { SANDBOX_SCENARIOS, isSandboxScenario, type SandboxScenario } from './scenarios.js';

/** The environment a merchant app needs to talk to a sandbox (a type alias, so it is assignable to `Record<string, string>`). */
export type SandboxEnv = Record<
  | 'SIGLUME_API_BASE'
  | 'SIGLUME_MERCHANT_AUTH_TOKEN'
  | 'SIGLUME_DIRECT_PAYMENT_MERCHANT'
  | 'SIGLUME_WEBHOOK_SECRET'
  | 'SHOP_PUBLIC_ORIGIN'
  | 'SHOP_WEBHOOK_URL',
  string
>;

/** Filter of {@link SandboxHandle.listDeliveries}. */
export type SandboxDeliveryFilter = Partial<
  Pick<R.SandboxDelivery, 'event_id' | 'subscription_id' | 'delivery_status'>
>;

/** The fields {@link SandboxHandle.listDeliveries} filters on. */
const FILTERS: ReadonlyArray<keyof SandboxDeliveryFilter> = ['event_id', 'subscription_id', 'delivery_status'];
const copy = <V>(value: V | undefined): V | null => (value === undefined ? null : structuredClone(value));
/** How fetch fails on a network error: a `TypeError` whose cause says why. */
const fetchFailed = (why: string) => new TypeError('fetch failed', { cause: new Error(why) });
const CLOSED = 'The sandbox is closed (close() was called).';
const invalid = (field: string, reason: string) => new SiglumeValidationError(field, `Invalid ${field}: ${reason}`);
/** `value`, when it is a non-empty string. */
function idOf(field: string, value: unknown): string {
  if (typeof value !== 'string' || value === '') throw invalid(field, 'must be a non-empty string');
  return value;
}

/** The app a handle serves: typed by shape, so the declarations do not carry hono's types (TS 5.4 could not read them). */
type SandboxApp = { fetch(request: Request, env: object): Response | Promise<Response> };

/** A sandbox. Accessors return copies (secrets included: this is your local sandbox); change the state through the API or the methods below. */
export class SandboxHandle {
  readonly #core: SandboxCore;
  readonly #app: SandboxApp;
  readonly #server: Listening | null;
  #closing: Promise<void> | null = null;
  /** In-process requests being handled; `close()` waits for them (at most 2 s) before the final write. */
  readonly #inFlight = new Set<Promise<Response>>();

  /** @internal Use `createSandbox` or `startSandbox`. */
  constructor(core: SandboxCore, app: SandboxApp, server: Listening | null) {
    this.#core = core;
    this.#app = app;
    this.#server = server;
  }

  /** Origin of the sandbox, e.g. `http://127.0.0.1:8787` (`checkout_url`s point here). */
  get url(): string {
    return this.#core.origin;
  }

  /** `url` + `/v1`: the `base_url` of the SDK clients. */
  get api_base(): string {
    return `${this.#core.origin}/v1`;
  }

  /** The six variables a merchant app needs (from the seed, so they survive a state-file restart). */
  get env(): SandboxEnv {
    const { seed } = this.#core.store.data;
    return {
      SIGLUME_API_BASE: this.api_base,
      SIGLUME_MERCHANT_AUTH_TOKEN: this.#core.options.merchant_token,
      SIGLUME_DIRECT_PAYMENT_MERCHANT: seed.merchant,
      SIGLUME_WEBHOOK_SECRET: seed.webhook_secret,
      SHOP_PUBLIC_ORIGIN: seed.origin,
      SHOP_WEBHOOK_URL: seed.webhook_url,
    };
  }

  /** Bearer token of the buyer routes (for `DirectRequestPaymentClient`). */
  get buyer_token(): string {
    return this.#core.options.buyer_token;
  }

  /** The scenario the seeded merchant is in now. */
  get scenario(): SandboxScenario {
    return this.#core.store.data.scenario as SandboxScenario;
  }

  /**
   * Runs a request in-process, with no socket. Takes fetch's own arguments and needs no `this`, so a client
   * takes it as is: `fetch: sandbox.fetch`. The URL must be addressed to `url` (or an allowed host). Rejects
   * with a `TypeError` when a fault drops the connection or the sandbox is closed (also for a request still
   * waiting on an injected delay when `close()` starts, or unfinished when `close()` gives up waiting), and with
   * the signal's reason when the request's signal aborts (the sandbox still finishes the request, as a server would).
   */
  readonly fetch = async (input: string | URL | Request, init?: RequestInit): Promise<Response> => {
    const request = input instanceof Request && init === undefined ? input : new Request(input, init);
    const { signal } = request;
    signal.throwIfAborted();
    if (this.#core.closing.signal.aborted) throw fetchFailed(CLOSED);
    const answer = Promise.resolve(this.#app.fetch(request, {}));
    this.#inFlight.add(answer);
    void answer.catch(() => undefined).finally(() => this.#inFlight.delete(answer));
    const aborted = new Promise<never>((_resolve, reject) =>
      signal.addEventListener('abort', () => reject(signal.reason), { once: true }),
    );
    try {
      const response = await Promise.race([answer, aborted]);
      // Finished after close() stopped waiting: its change was not saved, so it is not answered either.
      if (this.#core.closed) throw new ConnectionDropped('close');
      return response;
    } catch (error) {
      if (!(error instanceof ConnectionDropped)) throw error;
      throw fetchFailed(
        error.fault === 'close' ? CLOSED : `The sandbox dropped the connection (fault ${error.fault}).`,
      );
    }
  };

  /** A merchant, with its challenge secret; null when it does not exist. */
  getMerchant(merchant: string): R.SandboxMerchant | null {
    return copy(this.#core.store.get('merchants', merchant));
  }

  /** A checkout session (with its challenge); null when it does not exist. */
  getCheckoutSession(sessionId: string): R.SandboxCheckoutSession | null {
    return this.#core.store.get('checkout_sessions', sessionId) ? copy(this.#core.store.session(sessionId)) : null;
  }

  /** Every checkout session, oldest first (one past its `expires_at` reads `expired`, as `getCheckoutSession` says). */
  listCheckoutSessions(): R.SandboxCheckoutSession[] {
    const { store } = this.#core;
    return structuredClone(store.list('checkout_sessions').map((s) => store.session(s.session_id)));
  }

  /** Every webhook subscription, with its signing secret, oldest first. */
  listWebhookSubscriptions(): R.SandboxWebhookSubscription[] {
    return structuredClone(this.#core.store.list('subscriptions'));
  }

  /** Every webhook event, oldest first (a redelivery sends the same event again). */
  listEvents(): R.SandboxEvent[] {
    return structuredClone(this.#core.store.list('events'));
  }

  /**
   * Webhook deliveries, oldest first, optionally filtered; `failure_reason` says why a failed one failed.
   * @throws {SiglumeValidationError} for an unknown filter, or a value that is not a delivery id / status.
   */
  listDeliveries(filter: SandboxDeliveryFilter = {}): R.SandboxDelivery[] {
    if (filter === null || typeof filter !== 'object' || Array.isArray(filter))
      throw invalid('filter', 'must be an object');
    const wanted = Object.entries(filter).filter(([, v]) => v !== undefined);
    for (const [key, value] of wanted) {
      if (!(FILTERS as readonly string[]).includes(key))
        throw invalid(key, `unknown filter (use ${FILTERS.join(', ')})`);
      if (key !== 'delivery_status') idOf(key, value);
      else if (!(DELIVERY_STATUSES as readonly unknown[]).includes(value))
        throw invalid(key, `must be one of ${DELIVERY_STATUSES.join(', ')}`);
    }
    const matches = (d: R.SandboxDelivery) => wanted.every(([k, v]) => d[k as keyof SandboxDeliveryFilter] === v);
    return structuredClone(this.#core.store.list('deliveries').filter(matches));
  }

  /** A Micro / Nano settlement batch; null when it does not exist. */
  getSettlementBatch(batchId: string): SandboxSettlementBatch | null {
    return copy(this.#core.store.get('settlement_batches', batchId));
  }

  /** Puts the seeded merchant into a scenario (see `SANDBOX_SCENARIOS`). */
  setScenario(name: SandboxScenario): void {
    if (!isSandboxScenario(name)) throw invalid('scenario', `must be one of ${SANDBOX_SCENARIOS.join(', ')}`);
    this.#open().setScenario(name);
  }

  /** Replaces the injected faults (validated, naming the field); returns them as active now. */
  setFaults(faults: SandboxFaults): SandboxFaults {
    return this.#open().faults.set(faults);
  }

  /** Removes every injected fault. */
  resetFaults(): void {
    this.#open().faults.set({});
  }

  /**
   * Pays a checkout session as the hosted page's Pay button does, and waits for the webhook deliveries.
   * @throws {SandboxHttpError} 404 `CHECKOUT_SESSION_NOT_FOUND`, 409 `CHECKOUT_SESSION_NOT_PAYABLE` (expired, cancelled).
   */
  async payCheckoutSession(sessionId: string): Promise<SandboxPaymentResult> {
    return this.#open().payments.payCheckoutSession(idOf('session_id', sessionId));
  }

  /**
   * Sends an event again (same id and body, fresh signature) and waits for the outcome.
   * @throws {SandboxHttpError} 404 `EVENT_NOT_FOUND`, 409 `NO_SUBSCRIPTION` (no subscription can receive it).
   */
  async redeliver(eventId: string): Promise<R.SandboxDelivery[]> {
    return this.#open().webhooks.redeliver(idOf('event_id', eventId));
  }

  /** Settles every open Micro / Nano batch now and delivers the batch confirmations. */
  async settleMeteredBatches(): Promise<SandboxBatchSettlement[]> {
    return this.#open().ledger.settleOpen();
  }

  /** The core, for a method that changes the state: refused once `close()` was called (nothing would be saved). */
  #open(): SandboxCore {
    if (this.#core.closing.signal.aborted)
      throw new SiglumeDirectRequestPaymentError(CLOSED, { code: 'SANDBOX_CLOSED' });
    return this.#core;
  }

  /** Writes the state file now (no-op without one). */
  async flush(): Promise<void> {
    await this.#core.writer?.flush();
  }

  /**
   * Stops listening (if it does), cancels pending delivery retries, drops requests waiting on a fault delay, lets
   * in-process requests in progress finish (at most 2 s), and writes the state file. From then on `fetch` rejects, the
   * methods that change the state throw (code `SANDBOX_CLOSED`), the accessors read the last state, and nothing is
   * logged or written.
   */
  close(): Promise<void> {
    this.#closing ??= (async () => {
      this.#core.closing.abort();
      const inFlight = new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, 2000);
        void Promise.allSettled(this.#inFlight).then(() => resolve(clearTimeout(timer)));
      });
      await Promise.all([this.#server?.close(), this.#core.webhooks.close(), inFlight]);
      // Closed before the final write: a request that ends during it is dropped (its change may be saved), never
      // answered with a change that is not.
      this.#core.closed = true;
      await this.#core.writer?.close();
      if (this.#core.writer?.error) throw this.#core.writer.error;
    })();
    return this.#closing;
  }
}
