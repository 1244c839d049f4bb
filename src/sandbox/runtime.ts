/**
 * What every part of a running sandbox shares: state, options, the webhook
 * deliverer, the fault injector and the logger.
 */
import type { WebhookDeliverer } from './delivery.js';
import type { FaultInjector } from './faults.js';
import type { ResolvedSandboxOptions, SandboxLogEntry } from './options.js';
import type { SandboxStore } from './state.js';

/** Shared services of one running sandbox. */
export interface SandboxRuntime {
  store: SandboxStore;
  options: ResolvedSandboxOptions;
  /** Origin of the running server, e.g. `http://127.0.0.1:8787` (no trailing slash). */
  baseUrl(): string;
  deliverer: WebhookDeliverer;
  faults: FaultInjector;
  /** Hands an entry to the configured logger (never throws). */
  log(entry: SandboxLogEntry): void;
}
