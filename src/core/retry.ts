/**
 * Retry decisions, as pure functions so they are tested without a network.
 *
 * What is retried: connection failures and timeouts, 429, and 502/503/504.
 * Never a 409 (the server has decided), never another 4xx (the request itself
 * is wrong), never a 500 (the server may have acted; a retry could act twice
 * unless the operation is idempotent, which a 502/503/504 from a proxy says
 * nothing about either, but those mean the request most likely never reached
 * the application). Mutating requests always carry an Idempotency-Key that is
 * identical across attempts, so a retried POST cannot create a second object.
 */

/** Longest `Retry-After` the SDK will wait; a longer one is surfaced as the error instead. */
export const MAX_RETRY_AFTER_MS = 60_000;

/** First backoff step. */
export const INITIAL_RETRY_DELAY_MS = 500;

/** Largest backoff step. */
export const MAX_RETRY_DELAY_MS = 8_000;

const RETRYABLE_STATUSES = /* @__PURE__ */ new Set([429, 502, 503, 504]);

/** What happened on one attempt, as far as retrying is concerned. */
export type AttemptOutcome = { kind: 'connection_error' } | { kind: 'response'; status: number };

/**
 * Whether the attempt numbered `attempt` (0 = first) may be followed by another.
 *
 * @param maxRetries retries allowed after the first attempt
 */
export function shouldRetry(outcome: AttemptOutcome, attempt: number, maxRetries: number): boolean {
  if (attempt >= maxRetries) return false;
  if (outcome.kind === 'connection_error') return true;
  return RETRYABLE_STATUSES.has(outcome.status);
}

/**
 * Exponential backoff with jitter: 500 ms, 1 s, 2 s … capped at 8 s, each
 * reduced by up to 25% at random so many clients do not retry in lockstep.
 *
 * @param random a number in [0, 1); injectable for tests
 */
export function retryDelay(attempt: number, random: number = Math.random()): number {
  const base = Math.min(INITIAL_RETRY_DELAY_MS * 2 ** attempt, MAX_RETRY_DELAY_MS);
  return Math.round(base * (1 - 0.25 * random));
}

/**
 * Milliseconds to wait according to `retry-after-ms` or `Retry-After`
 * (delta-seconds, possibly fractional, or an HTTP date). Returns null when
 * absent or unparsable.
 */
export function parseRetryAfter(
  header: (name: string) => string | null | undefined,
  nowMs: number = Date.now(),
): number | null {
  const ms = header('retry-after-ms');
  if (ms != null && ms.trim() !== '') {
    const value = Number(ms);
    if (Number.isFinite(value) && value >= 0) return Math.round(value);
  }
  const raw = header('retry-after');
  if (raw == null || raw.trim() === '') return null;
  const seconds = Number(raw);
  if (Number.isFinite(seconds)) return seconds >= 0 ? Math.round(seconds * 1000) : null;
  const date = Date.parse(raw);
  if (Number.isNaN(date)) return null;
  return Math.max(0, date - nowMs);
}
