/**
 * One sandbox: its state and the services that act on it, each given only what it needs (store ->
 * webhooks -> metered ledger -> payments). The HTTP routes are built from it (`app.ts`); the handle wraps
 * it for callers. Nothing here knows about sockets.
 */
import { setMaxListeners } from 'node:events';
import { Webhooks } from './deliveries.js';
import { FaultInjector } from './faults.js';
import { HostAllowList } from './guards.js';
import { IdempotencyStore } from './idempotency.js';
import { MeteredLedger } from './metered.js';
import {
  resolveSandboxOptions,
  type ResolvedSandboxOptions,
  type SandboxLogEntry,
  type SandboxOptions,
} from './options.js';
import { Payments } from './payments.js';
import { StateFileWriter, loadStateFile, lockStateFile } from './persistence.js';
import { applyScenario, createSeededState, type SandboxScenario } from './scenarios.js';
import { SandboxStore, type SandboxState } from './store.js';

/** `0.0.0.0` / `::` listen everywhere; the sandbox is then reached on 127.0.0.1. */
export const publicHost = (host: string) =>
  host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;

export class SandboxCore {
  readonly store: SandboxStore;
  readonly faults = new FaultInjector();
  readonly idempotency = new IdempotencyStore();
  readonly webhooks: Webhooks;
  /** Aborted by `close()`: fault delays and delivery retries stop waiting. */
  readonly closing = new AbortController();
  /** Set by `close()` once requests in progress are done, before its final write: nothing is logged or answered after it. */
  closed = false;
  readonly ledger: MeteredLedger;
  readonly payments: Payments;
  /** Writes the state file; null without one. */
  readonly writer: StateFileWriter | null;
  /** Origin of the sandbox (no trailing slash); `checkout_url`s point here. */
  origin = '';
  hosts!: HostAllowList;
  /** Set once `create` has finished: from then on a failed state write is logged, as nothing throws it. */
  private started = false;

  private constructor(
    readonly options: ResolvedSandboxOptions,
    data: SandboxState,
    unlock: () => Promise<void>,
  ) {
    // Every delivery in flight and every fault delay listens on `closing`: many at once is load, not a leak.
    setMaxListeners(0, this.closing.signal);
    const log = (entry: SandboxLogEntry) => this.log(entry);
    const file = options.state_file;
    // Not during `create`'s first write: its error is thrown, and logging it as well printed it twice.
    const onError = (e: Error) => {
      if (this.started) log({ kind: 'error', message: e.message });
    };
    this.writer = file ? new StateFileWriter(file, () => this.store.data, onError, unlock) : null;
    this.store = new SandboxStore(data, () => this.writer?.schedule());
    const dropping = () => this.faults.dropsDeliveries;
    this.webhooks = new Webhooks(this.store, { ...options, log, dropping, closing: this.closing.signal });
    this.ledger = new MeteredLedger(this.store, this.webhooks);
    this.payments = new Payments(this.store, this.webhooks, this.ledger);
    this.setOrigin(`http://${publicHost(options.host)}:${options.port}`);
  }

  /**
   * Validates the options, locks and loads the state file (or seeds a fresh state) and writes it once, so an
   * unwritable path fails here rather than on a later request.
   */
  static async create(options: SandboxOptions): Promise<SandboxCore> {
    const o = resolveSandboxOptions(options);
    const unlock = o.state_file ? await lockStateFile(o.state_file) : async () => {};
    try {
      const loaded = o.state_file ? await loadStateFile(o.state_file) : null;
      const now = new Date().toISOString();
      if (loaded && o.scenario_given) applyScenario(loaded, o.scenario, now);
      const core = new SandboxCore(o, loaded ?? createSeededState(o, o.scenario, now), unlock);
      if (core.writer) {
        core.store.changed();
        await core.writer.flush();
        if (core.writer.error) throw core.writer.error;
      }
      core.started = true;
      return core;
    } catch (error) {
      await unlock();
      throw error;
    }
  }

  /** Points the sandbox at the origin it is reached on (once the port is known). */
  setOrigin(origin: string): void {
    this.origin = origin;
    this.hosts = new HostAllowList(origin, this.options.allowed_hosts);
  }

  /** Hands an entry to `onLog`; a throwing callback must not take the sandbox down. */
  log(entry: SandboxLogEntry): void {
    if (this.closed) return;
    try {
      this.options.onLog?.(entry);
    } catch {
      // ignored on purpose
    }
  }

  setScenario(name: SandboxScenario): void {
    applyScenario(this.store.data, name, this.store.nowIso());
    this.store.changed();
  }
}
