/**
 * Fault injection, so every client retry path (and a shop's reconciliation) can be exercised for real.
 * API faults hit `/v1` only, never the control routes or the hosted page, and come in two kinds: before
 * the request is handled (the server did nothing) and after it was handled and committed (the answer is
 * lost or late: a retry with the same Idempotency-Key must get the stored answer, a retry with a new key
 * creates a duplicate).
 */
import * as z from 'zod/mini';
import { SiglumeValidationError } from '../core/errors.js';
import { parseInput } from '../core/validation.js';
import { intInRange } from './options.js';

const int = (max: number) => intInRange(0, max);
const COUNT = int(1_000_000);

/** The fault settings (docs/sandbox.md has a row for each, which a test checks). */
export const faultsSchema = z.object({
  /** Delay before every API request is handled (it still runs: a client that gives up and retries meets the idempotency store). */
  latency_ms: z.optional(int(120_000)),
  /** Share (0..1) of API requests answered 503 `SERVICE_UNAVAILABLE` without running. */
  error_503_rate: z.optional(
    z.custom<number>((v) => typeof v === 'number' && v >= 0 && v <= 1, { error: 'must be a number from 0 to 1' }),
  ),
  /** Seed of the random source deciding which requests get a 503 (reproducible runs). */
  seed: z.optional(int(0xffffffff)),
  /** The next `count` API requests answer 429 `RATE_LIMITED` with `Retry-After: retry_after_seconds`, without running. */
  rate_limit: z.optional(
    z.object({ count: COUNT, retry_after_seconds: int(3600) }, { error: 'must be { count, retry_after_seconds }' }),
  ),
  /** The next N API requests have their connection destroyed before they are handled. */
  drop_connections: z.optional(COUNT),
  /** The next N API POSTs are handled and committed, then their connection is destroyed without an answer. */
  drop_after_commit: z.optional(COUNT),
  /** The next `count` API POSTs are handled and committed, then their answer is held back `delay_ms` (so a client times out). */
  delay_after_commit: z.optional(
    z.object({ count: COUNT, delay_ms: int(120_000) }, { error: 'must be { count, delay_ms }' }),
  ),
  /** While true, webhook deliveries are lost: no attempt reaches the shop; each is recorded `failed` after all its retries. */
  drop_webhook_deliveries: z.optional(z.boolean({ error: 'must be true or false' })),
});

/**
 * Faults to inject. Counters are used up request by request; setting faults replaces the previous ones.
 *
 * @interface
 */
export type SandboxFaults = z.output<typeof faultsSchema>;

/** Uses up one unit of a counter; true when there was one. */
function take<K extends string>(counters: Partial<Record<K, number>> | undefined, key: K): boolean {
  if (!counters?.[key]) return false;
  counters[key] -= 1;
  return true;
}

/** mulberry32: tiny, fast, good enough to spread 503s reproducibly (the reliability suite shuffles deliveries with it too). */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Holds the active faults and decides, request by request, which one applies. */
export class FaultInjector {
  #faults: SandboxFaults = {};
  #random: () => number = Math.random;

  /**
   * Replaces the active faults; returns them as active now.
   * @throws {SiglumeValidationError} naming the field, e.g. `rate_limit.count`.
   */
  set(input: unknown): SandboxFaults {
    if (input === null || typeof input !== 'object' || Array.isArray(input)) {
      throw new SiglumeValidationError('faults', 'Invalid faults: must be an object');
    }
    const known = Object.keys(faultsSchema.shape);
    const unknown = Object.keys(input).find((key) => !known.includes(key));
    if (unknown !== undefined)
      throw new SiglumeValidationError(unknown, `Invalid ${unknown}: unknown fault (use ${known.join(', ')})`);
    this.#faults = parseInput(faultsSchema, input);
    this.#random = this.#faults.seed === undefined ? Math.random : mulberry32(this.#faults.seed);
    return this.current();
  }

  /** The active faults, with counters as they stand now (a copy). */
  current(): SandboxFaults {
    return structuredClone(this.#faults);
  }

  /** The fault for the next API request before it is handled (using up counters). */
  before():
    | { kind: 'drop' }
    | { kind: 'rate_limit'; retry_after_seconds: number; latency_ms: number }
    | { kind: 'unavailable' | 'pass'; latency_ms: number } {
    const f = this.#faults;
    const latency_ms = f.latency_ms ?? 0;
    if (take(f, 'drop_connections')) return { kind: 'drop' };
    if (take(f.rate_limit, 'count'))
      return { kind: 'rate_limit', retry_after_seconds: f.rate_limit!.retry_after_seconds, latency_ms };
    return { kind: f.error_503_rate && this.#random() < f.error_503_rate ? 'unavailable' : 'pass', latency_ms };
  }

  /** What happens to the answer of a handled API POST. */
  after(): { kind: 'drop' | 'pass' } | { kind: 'delay'; delay_ms: number } {
    const f = this.#faults;
    if (take(f, 'drop_after_commit')) return { kind: 'drop' };
    if (take(f.delay_after_commit, 'count')) return { kind: 'delay', delay_ms: f.delay_after_commit!.delay_ms };
    return { kind: 'pass' };
  }

  /** True while webhook deliveries are to be lost. */
  get dropsDeliveries(): boolean {
    return this.#faults.drop_webhook_deliveries === true;
  }
}
