/**
 * One sandbox: its state and the services that act on it, each given only
 * what it needs (store -> webhooks -> metered ledger -> payments). The HTTP
 * routes are built from this object (`app.ts`); the handle (`index.ts`) wraps
 * it for callers. Nothing here knows about sockets.
 */
import { FaultInjector } from './faults.js';
import { HostAllowList } from './guards.js';
import { IdempotencyStore } from './idempotency.js';
import { MeteredLedger } from './metered.js';
import type { ResolvedSandboxOptions, SandboxLogEntry } from './options.js';
import { Payments } from './payments.js';
import { StateFileWriter } from './persistence.js';
import { applyScenario, type SandboxScenario } from './scenarios.js';
import { SandboxStore, type SandboxState } from './store.js';
import { Webhooks } from './webhooks.js';

/** The parts of a running sandbox. */
export class SandboxCore {
  readonly store: SandboxStore;
  readonly faults = new FaultInjector();
  readonly idempotency = new IdempotencyStore();
  readonly webhooks: Webhooks;
  readonly ledger: MeteredLedger;
  readonly payments: Payments;
  /** Writes the state file; null without one. */
  readonly writer: StateFileWriter | null;
  /** Origin of the sandbox (no trailing slash); `checkout_url`s point here. */
  origin = '';
  hosts!: HostAllowList;

  constructor(
    readonly options: ResolvedSandboxOptions,
    data: SandboxState,
    origin: string,
  ) {
    const file = options.state_file;
    this.writer = file ? new StateFileWriter(file, () => this.store.data, (e) => this.log({ kind: 'error', message: e.message })) : null;
    this.store = new SandboxStore(data, () => this.writer?.schedule());
    this.webhooks = new Webhooks(this.store, {
      timeout_ms: options.delivery_timeout_ms,
      retries: options.delivery_retries,
      backoff_ms: options.delivery_backoff_ms,
      dropping: () => this.faults.dropsDeliveries,
      log: (entry) => this.log(entry),
    });
    this.ledger = new MeteredLedger(this.store, this.webhooks);
    this.payments = new Payments(this.store, this.webhooks, this.ledger);
    this.setOrigin(origin);
  }

  /** Points the sandbox at the origin it is reached on (once the port is known). */
  setOrigin(origin: string): void {
    this.origin = origin;
    this.hosts = new HostAllowList(origin, this.options.allowed_hosts);
  }

  /** Hands an entry to `onLog` (a throwing callback must not take the sandbox down). */
  log(entry: SandboxLogEntry): void {
    try {
      this.options.onLog?.(entry);
    } catch {
      // ignored on purpose
    }
  }

  /** Puts the seeded merchant into a scenario. */
  setScenario(name: SandboxScenario): void {
    applyScenario(this.store.data, name, this.store.nowIso());
    this.store.changed();
  }
}
