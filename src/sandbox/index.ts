/**
 * The local SDRP sandbox: a Siglume-compatible API server for development,
 * tests and demos. It speaks the contract's `/v1` API, serves a hosted
 * checkout page, and delivers signed webhooks to the shop's real endpoint.
 * Package subpath: `@siglume/direct-request-payment/sandbox`.
 *
 * @example
 * import { startSandbox } from '@siglume/direct-request-payment/sandbox';
 * const sandbox = await startSandbox({ port: 0 });
 * Object.assign(process.env, sandbox.env); // SIGLUME_API_BASE, tokens, merchant, secret, shop URLs
 * // ... run the shop against it ...
 * await sandbox.close();
 */
import { createServer, type Server } from 'node:http';
import { SiglumeValidationError } from '../core/errors.js';
import { WebhookDeliverer } from './delivery.js';
import { SandboxStartError, type SandboxStateFileError } from './errors.js';
import { redeliverEvent } from './events.js';
import { FaultInjector, type SandboxFaults } from './faults.js';
import { Router } from './router.js';
import { resolveSandboxOptions, type SandboxLogEntry, type SandboxOptions } from './options.js';
import { loadStateFile, StateFileWriter } from './persistence.js';
import { payCheckoutSession, type SandboxPaymentResult } from './payments.js';
import { checkoutRoutes } from './routes/checkout.js';
import { controlRoutes, setScenario, settleOpenBatches } from './routes/control.js';
import { merchantRoutes } from './routes/merchants.js';
import { meteredRoutes } from './routes/metered.js';
import { requirementRoutes } from './routes/requirements.js';
import { webhookRoutes } from './routes/webhooks.js';
import type { SandboxRuntime } from './runtime.js';
import { SANDBOX_SCENARIOS, applyScenario, createSeededState, isSandboxScenario, type SandboxScenario } from './scenarios.js';
import { createRequestHandler } from './server.js';
import { SandboxStore } from './state.js';
import type { SandboxDelivery, SandboxStateData } from './types.js';

export { SandboxStartError, SandboxStateFileError } from './errors.js';
export { SANDBOX_SCENARIOS, type SandboxScenario } from './scenarios.js';
export { SANDBOX_EVENT_API_VERSION } from './events.js';
export type { SandboxFaults } from './faults.js';
export type { SandboxLogEntry, SandboxOptions } from './options.js';
export type { SandboxPaymentResult } from './payments.js';
export type * from './types.js';

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

/** A running sandbox. */
export interface SandboxHandle {
  /** Origin of the server, e.g. `http://127.0.0.1:8787`. */
  readonly url: string;
  /** `url` + `/v1`: the `base_url` of the SDK clients. */
  readonly apiBase: string;
  /** The six variables a merchant app needs (from the seed, so they survive a state-file restart). */
  readonly env: SandboxEnv;
  /** Bearer token of the buyer routes (for `DirectRequestPaymentClient`). */
  readonly buyerToken: string;
  /** The live in-memory state, secrets included. Read it; change it through the API or the methods below. */
  readonly state: Readonly<SandboxStateData>;
  /** Puts the seeded merchant into a scenario (see `SANDBOX_SCENARIOS`). */
  setScenario(name: SandboxScenario): void;
  /** Replaces the injected faults of the `/v1` API; returns them as active now. */
  setFaults(faults: SandboxFaults): SandboxFaults;
  /** Removes every injected fault. */
  resetFaults(): void;
  /** Pays a checkout session as the hosted page's Pay button does, and waits for the webhook deliveries. */
  payCheckoutSession(sessionId: string): Promise<SandboxPaymentResult>;
  /** Sends an event again (same id and body, fresh signature) and waits for the outcome. */
  redeliver(eventId: string): Promise<SandboxDelivery[]>;
  /** Settles every open Micro / Nano batch now and delivers the batch confirmations. */
  settleMeteredBatches(): Promise<Array<{ settlement_batch_id: string; event_id: string; deliveries: unknown[] }>>;
  /** Writes the state file now (no-op without one). */
  flush(): Promise<void>;
  /** Stops listening, cancels pending delivery retries, and writes the state file. */
  close(): Promise<void>;
}

function publicHost(host: string): string {
  if (host === '0.0.0.0' || host === '::' || host === '') return '127.0.0.1';
  return host.includes(':') ? `[${host}]` : host;
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'EADDRINUSE'
          ? `port ${port} is already in use on ${host} (pass port 0 to pick a free one)`
          : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND'
            ? `host ${host} is not an address of this machine`
            : (error.code ?? error.message);
      reject(new SandboxStartError(`The sandbox could not listen: ${reason}.`, { cause: error }));
    };
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : port);
    });
  });
}

/**
 * Starts a sandbox. Resolves once it is listening.
 *
 * @throws {SiglumeValidationError} for a bad option (naming it).
 * @throws {SandboxStateFileError} when the state file exists but is unreadable or corrupt.
 * @throws {SandboxStartError} when the port is taken or the host is not local.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<SandboxHandle> {
  const o = resolveSandboxOptions(options);
  const log = (entry: SandboxLogEntry) => {
    try {
      o.logger?.(entry);
    } catch {
      // A throwing logger must not take the sandbox down.
    }
  };

  const loaded = o.stateFile ? await loadStateFile(o.stateFile) : null;
  const nowIso = new Date().toISOString();
  const data =
    loaded ?? createSeededState({ merchant: o.merchant, origin: o.origin, webhookUrl: o.webhookUrl, webhookSecret: o.webhookSecret }, nowIso);
  if ((loaded && o.scenarioGiven) || (!loaded && o.scenario !== 'ready')) applyScenario(data, o.scenario, nowIso);

  let writeError: SandboxStateFileError | null = null;
  let store!: SandboxStore;
  const writer = o.stateFile
    ? new StateFileWriter(o.stateFile, () => store.data, (error) => {
        writeError = error;
        log({ kind: 'error', message: error.message });
      })
    : null;
  store = new SandboxStore(data, () => writer?.schedule());
  if (writer) {
    // Write once before listening: an unwritable path fails the start, not a later request.
    store.changed();
    await writer.flush();
    if (writeError) throw writeError;
  }

  let baseUrl = '';
  const faults = new FaultInjector();
  const deliverer = new WebhookDeliverer(store, {
    timeoutMs: o.deliveryTimeoutMs,
    retries: o.deliveryRetries,
    backoffMs: o.deliveryBackoffMs,
    log,
  });
  const rt: SandboxRuntime = { store, options: o, baseUrl: () => baseUrl, deliverer, faults, log };
  const api = new Router().add(...merchantRoutes, ...checkoutRoutes, ...webhookRoutes, ...requirementRoutes, ...meteredRoutes);
  const control = new Router().add(...controlRoutes);

  const server = createServer({ keepAliveTimeout: 10_000, requestTimeout: 60_000 }, createRequestHandler(rt, { api, control }));
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  const port = await listen(server, o.port, o.host);
  baseUrl = `http://${publicHost(o.host)}:${port}`;

  let closing: Promise<void> | null = null;
  const close = () => {
    closing ??= (async () => {
      const stopped = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      await deliverer.close();
      const force = setTimeout(() => server.closeAllConnections(), 1000);
      await stopped;
      clearTimeout(force);
      await writer?.flush();
      if (writeError) throw writeError;
    })();
    return closing;
  };

  return {
    url: baseUrl,
    apiBase: `${baseUrl}/v1`,
    get env(): SandboxEnv {
      return {
        SIGLUME_API_BASE: `${baseUrl}/v1`,
        SIGLUME_MERCHANT_AUTH_TOKEN: o.token,
        SIGLUME_DIRECT_PAYMENT_MERCHANT: store.data.seed.merchant,
        SIGLUME_WEBHOOK_SECRET: store.data.seed.webhook_secret,
        SHOP_PUBLIC_ORIGIN: store.data.seed.origin,
        SHOP_WEBHOOK_URL: store.data.seed.webhook_url,
      };
    },
    buyerToken: o.buyerToken,
    get state() {
      return store.data;
    },
    setScenario(name) {
      if (!isSandboxScenario(name)) {
        throw new SiglumeValidationError('scenario', `Invalid scenario: must be one of ${SANDBOX_SCENARIOS.join(', ')}`);
      }
      setScenario(rt, name);
    },
    setFaults: (f) => faults.set(f),
    resetFaults: () => faults.reset(),
    payCheckoutSession: (id) => payCheckoutSession(rt, id),
    redeliver: (id) => redeliverEvent(rt, id),
    settleMeteredBatches: () => settleOpenBatches(rt),
    flush: async () => {
      await writer?.flush();
    },
    close,
  };
}
