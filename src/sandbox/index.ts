/**
 * The local SDRP sandbox: a Siglume-compatible API for development, tests and demos. It speaks the
 * contract's `/v1` API, serves a hosted checkout page, and delivers signed webhooks to the shop's real
 * endpoint. Package subpath: `@siglume/direct-request-payment/sandbox`.
 *
 * @example
 * import { startSandbox } from '@siglume/direct-request-payment/sandbox';
 * const sandbox = await startSandbox({ port: 0 });
 * Object.assign(process.env, sandbox.env); // SIGLUME_API_BASE, tokens, merchant, secret, shop URLs
 * // ... run the shop against it ...
 * await sandbox.close();
 */
import { buildApp } from './app.js';
import { SandboxCore, publicHost } from './core.js';
import { SandboxHandle } from './handle.js';
import { listen } from './node-server.js';
import type { SandboxOptions } from './options.js';

export { SANDBOX_EVENT_API_VERSION } from './deliveries.js';
export { SandboxHttpError, SandboxStartError, SandboxStateFileError } from './errors.js';
export type { SandboxFaults } from './faults.js';
export { SandboxHandle, type SandboxDeliveryFilter, type SandboxEnv } from './handle.js';
export type { SandboxBatchSettlement } from './metered.js';
export type { SandboxLogEntry, SandboxOptions } from './options.js';
export type { SandboxPaymentResult } from './payments.js';
export type {
  SandboxCheckoutSession,
  SandboxCheckoutSessionStatus,
  SandboxDelivery,
  SandboxEvent,
  SandboxMerchant,
  SandboxWebhookSubscription,
} from './records.js';
export type { SandboxSettlementBatch } from './metered-records.js';
export { SANDBOX_SCENARIOS, type SandboxScenario } from './scenarios.js';

/**
 * Creates a sandbox without a socket, for tests and in-process use on Node: requests go in through `handle.fetch`. `url`
 * is `http://<host>:<port>` from the options (default `http://127.0.0.1:8787`) though nothing listens
 * there; webhook deliveries still go over the network to the shop's URL.
 *
 * @throws {SiglumeValidationError} for a bad option (naming it).
 * @throws {SandboxStateFileError} when the state file exists but is unreadable or corrupt, or another sandbox uses it.
 */
export async function createSandbox(options: SandboxOptions = {}): Promise<SandboxHandle> {
  const core = await SandboxCore.create(options);
  return new SandboxHandle(core, buildApp(core), null);
}

/**
 * Creates a sandbox and listens on `host:port` (`createSandbox` plus a socket). Resolves once it is listening.
 *
 * @throws {SiglumeValidationError} for a bad option (naming it).
 * @throws {SandboxStateFileError} when the state file exists but is unreadable or corrupt, or another sandbox uses it.
 * @throws {SandboxStartError} when the port is taken or the host is not local.
 */
export async function startSandbox(options: SandboxOptions = {}): Promise<SandboxHandle> {
  const core = await SandboxCore.create(options);
  const app = buildApp(core);
  const server = await listen(async (req, peer) => app.fetch(req, peer), core.options.port, core.options.host).catch(
    async (error: unknown) => {
      await core.writer?.close(); // frees the state file's lock for the next try
      throw error;
    },
  );
  core.setOrigin(`http://${publicHost(core.options.host)}:${server.port}`);
  return new SandboxHandle(core, app, server);
}
