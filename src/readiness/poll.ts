/**
 * Bounded polling with a growing interval: a fast endpoint is seen after
 * ~50 ms instead of after a fixed 1 s sleep, and a slow one costs at most
 * one request per second until the deadline.
 */
import { sleep } from '../core/sleep.js';

/** Options of {@link pollUntil}. */
export interface PollOptions {
  /** Give up after this many milliseconds (measured from the first attempt). */
  timeout_ms: number;
  /**
   * Wait before the second attempt.
   * @default 50
   */
  initial_interval_ms?: number;
  /**
   * Longest wait between attempts.
   * @default 1000
   */
  max_interval_ms?: number;
  /**
   * Growth of the wait after each attempt.
   * @default 1.75
   */
  factor?: number;
  /** Stops waiting; `pollUntil` then rejects with the signal's reason. */
  signal?: AbortSignal;
  /** Monotonic clock in ms (tests). @default performance.now */
  clock?: () => number;
}

/** What one attempt found: done with a value, or not yet. */
export type PollStep<T> = { done: true; value: T } | { done: false };

/** Result of {@link pollUntil}. */
export type PollResult<T> =
  | { kind: 'done'; value: T; attempts: number; elapsed_ms: number }
  | { kind: 'timeout'; attempts: number; elapsed_ms: number };

/**
 * The waits between attempts for the given options, before the deadline cuts
 * them short: 50, 88, 153, 268, 469, 821, 1000, 1000, … by default.
 */
export function pollInterval(attempt: number, opts: Pick<PollOptions, 'initial_interval_ms' | 'max_interval_ms' | 'factor'> = {}): number {
  const initial = opts.initial_interval_ms ?? 50;
  const max = opts.max_interval_ms ?? 1000;
  const factor = opts.factor ?? 1.75;
  return Math.min(max, Math.round(initial * factor ** Math.max(0, attempt - 1)));
}


/**
 * Calls `attempt` at once and then after growing waits until it reports done
 * or `timeout_ms` has passed. The last attempt happens at the deadline, so a
 * result that lands just before it is still seen.
 *
 * @example
 * const r = await pollUntil(async () => {
 *   const d = await findDelivery();
 *   return d ? { done: true, value: d } : { done: false };
 * }, { timeout_ms: 10_000 });
 */
export async function pollUntil<T>(
  attempt: (info: { attempt: number; elapsed_ms: number }) => Promise<PollStep<T>>,
  opts: PollOptions,
): Promise<PollResult<T>> {
  const clock = opts.clock ?? (() => performance.now());
  const start = clock();
  let n = 0;
  for (;;) {
    n += 1;
    const step = await attempt({ attempt: n, elapsed_ms: Math.round(clock() - start) });
    const elapsed = clock() - start;
    if (step.done) return { kind: 'done', value: step.value, attempts: n, elapsed_ms: Math.round(elapsed) };
    const remaining = opts.timeout_ms - elapsed;
    if (remaining <= 0) return { kind: 'timeout', attempts: n, elapsed_ms: Math.round(elapsed) };
    await sleep(Math.min(pollInterval(n, opts), remaining), opts.signal);
  }
}
