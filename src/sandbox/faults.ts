/**
 * Fault injection for the `/v1` API (never the control endpoints or the
 * hosted page), so every client retry path can be exercised for real.
 */
import { SiglumeValidationError } from '../core/errors.js';

/** Faults to inject. Counters (`rateLimit.count`, `dropConnections`) are used up request by request. */
export interface SandboxFaults {
  /** Delay added before every API response. */
  latencyMs?: number;
  /** Share (0..1) of API requests answered 503 `SERVICE_UNAVAILABLE`. */
  error503Rate?: number;
  /** The next `count` API requests answer 429 `RATE_LIMITED` with `Retry-After: retryAfterSeconds`. */
  rateLimit?: { count: number; retryAfterSeconds: number };
  /** The next N API requests have their connection destroyed without any response. */
  dropConnections?: number;
  /** Seed of the random source deciding which requests get a 503 (reproducible runs). */
  seed?: number;
}

/** What to do with one API request. */
export type FaultDecision =
  | { kind: 'drop' }
  | { kind: 'rate_limit'; retryAfterSeconds: number; latencyMs: number }
  | { kind: 'unavailable'; latencyMs: number }
  | { kind: 'pass'; latencyMs: number };

function isInt(v: unknown, min: number, max: number): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max;
}

/**
 * Validates a faults object (from the control endpoint or `setFaults`).
 * @throws {SiglumeValidationError} naming the field.
 */
export function parseFaults(input: unknown): SandboxFaults {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new SiglumeValidationError('faults', 'Invalid faults: must be an object');
  }
  const f = input as Record<string, unknown>;
  const known = new Set(['latencyMs', 'error503Rate', 'rateLimit', 'dropConnections', 'seed']);
  for (const key of Object.keys(f)) {
    if (!known.has(key)) throw new SiglumeValidationError(key, `Invalid ${key}: unknown fault (use ${[...known].join(', ')})`);
  }
  const out: SandboxFaults = {};
  if (f.latencyMs !== undefined) {
    if (!isInt(f.latencyMs, 0, 120_000)) throw new SiglumeValidationError('latencyMs', 'Invalid latencyMs: must be an integer from 0 to 120000');
    out.latencyMs = f.latencyMs;
  }
  if (f.error503Rate !== undefined) {
    const r = f.error503Rate;
    if (typeof r !== 'number' || !(r >= 0 && r <= 1)) {
      throw new SiglumeValidationError('error503Rate', 'Invalid error503Rate: must be a number from 0 to 1');
    }
    out.error503Rate = r;
  }
  if (f.rateLimit !== undefined) {
    const rl = f.rateLimit as Record<string, unknown> | null;
    if (rl === null || typeof rl !== 'object') throw new SiglumeValidationError('rateLimit', 'Invalid rateLimit: must be { count, retryAfterSeconds }');
    if (!isInt(rl.count, 0, 1_000_000)) throw new SiglumeValidationError('rateLimit.count', 'Invalid rateLimit.count: must be a non-negative integer');
    if (!isInt(rl.retryAfterSeconds, 0, 3600)) {
      throw new SiglumeValidationError('rateLimit.retryAfterSeconds', 'Invalid rateLimit.retryAfterSeconds: must be an integer from 0 to 3600');
    }
    out.rateLimit = { count: rl.count, retryAfterSeconds: rl.retryAfterSeconds };
  }
  if (f.dropConnections !== undefined) {
    if (!isInt(f.dropConnections, 0, 1_000_000)) {
      throw new SiglumeValidationError('dropConnections', 'Invalid dropConnections: must be a non-negative integer');
    }
    out.dropConnections = f.dropConnections;
  }
  if (f.seed !== undefined) {
    if (!isInt(f.seed, 0, 0xffffffff)) throw new SiglumeValidationError('seed', 'Invalid seed: must be an integer from 0 to 4294967295');
    out.seed = f.seed;
  }
  return out;
}

// mulberry32: tiny, fast, good enough to spread 503s reproducibly (the
// reliability suite shuffles deliveries with it too).
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

  /** Replaces the active faults (validated). */
  set(input: unknown): SandboxFaults {
    const faults = parseFaults(input);
    this.#faults = faults;
    this.#random = faults.seed === undefined ? Math.random : mulberry32(faults.seed);
    return this.current();
  }

  /** Removes every fault. */
  reset(): void {
    this.#faults = {};
    this.#random = Math.random;
  }

  /** The active faults, with counters as they stand now. */
  current(): SandboxFaults {
    const f = this.#faults;
    return {
      ...f,
      ...(f.rateLimit ? { rateLimit: { ...f.rateLimit } } : {}),
    };
  }

  /** Decides the fate of the next API request (and uses up counters). */
  next(): FaultDecision {
    const f = this.#faults;
    if (f.dropConnections && f.dropConnections > 0) {
      f.dropConnections -= 1;
      return { kind: 'drop' };
    }
    const latencyMs = f.latencyMs ?? 0;
    if (f.rateLimit && f.rateLimit.count > 0) {
      f.rateLimit.count -= 1;
      return { kind: 'rate_limit', retryAfterSeconds: f.rateLimit.retryAfterSeconds, latencyMs };
    }
    if (f.error503Rate && this.#random() < f.error503Rate) return { kind: 'unavailable', latencyMs };
    return { kind: 'pass', latencyMs };
  }
}
