/**
 * Retry decisions, as pure functions so they are tested without a network.
 *
 * An attempt fails in one of two ways that matter for retrying:
 *
 * - **the server refused before acting**: a 429, a 503 the API itself
 *   answered (its JSON error envelope, or a `Retry-After`), or a connection
 *   that was never established (refused, name not resolved, host
 *   unreachable, TLS failed), so the request never left this process;
 * - **the server may have acted**: a timeout, a connection lost after the
 *   request was sent (reset, socket hang up), a 500 (the application failed,
 *   perhaps half-way), or a 502/504, or a 503 without the API's envelope and
 *   without `Retry-After` (e.g. Envoy's plain-text "upstream connect error
 *   or disconnect/reset before headers"), from a proxy whose upstream may
 *   have received the request.
 *
 * A refusal is always safe to repeat. Repeating a request the server may have
 * acted on is safe only when the server deduplicates it (see the transport's
 * doc comment for that assumption); a request spec says which case it is in
 * with its `retry` policy. Never retried: a 409 (the server has decided),
 * another 4xx (the request itself is wrong), a 501 or 505 (the server cannot
 * do it at all).
 */

import { BAD_PORT, BAD_PORT_MESSAGE } from './bad-port.js';

/** Longest `Retry-After` the SDK will wait; a longer one is surfaced as the error instead. */
export const MAX_RETRY_AFTER_MS = 60_000;

/** First backoff step. */
export const INITIAL_RETRY_DELAY_MS = 500;

/** Largest backoff step. */
export const MAX_RETRY_DELAY_MS = 8_000;

/**
 * Statuses of a server (500) or gateway (502, 503, 504) that may have acted:
 * transient, so an idempotent request repeats. A 503 the API vouches for is a
 * refusal instead (see {@link refusedBeforeActing}).
 */
const MAY_HAVE_ACTED_STATUSES = /* @__PURE__ */ new Set([500, 502, 503, 504]);

/**
 * Connection error codes that mean no connection was established, so the
 * request was never sent. Anything else (ECONNRESET, EPIPE, "socket hang up",
 * an unknown code) counts as "may have been sent".
 */
const NOT_SENT_CODES = /* @__PURE__ */ new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  // fetch refused the port before connecting (see bad-port.ts).
  BAD_PORT,
]);

/**
 * Certificate checks and the TLS version mismatch of the first record (https to a plain http port): the
 * connection failed before the request was written. Other `ERR_SSL_*` errors (a bad record MAC, a decryption
 * failure) can come while the answer is being read, after the request was sent, so they are not listed.
 */
const TLS_FAILURE = /^(?:CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT$|SELF_SIGNED_CERT_IN_CHAIN$|ERR_TLS_CERT_|ERR_SSL_WRONG_VERSION_NUMBER$|HOSTNAME_MISMATCH$)/;

/**
 * Which failed attempts a request may repeat:
 *
 * - `'idempotent'`: every transient failure. For a GET, and for a POST the
 *   server deduplicates by its Idempotency-Key.
 * - `'refusals_only'`: only failures where the server refused before acting
 *   (429, the API's own 503, no connection). For a request that must not run twice unless
 *   the caller can reconcile it (an on-chain execution without the caller's
 *   own idempotency key).
 */
export type RetryPolicy = 'idempotent' | 'refusals_only';

/** What happened on one attempt, as far as retrying is concerned. */
export type AttemptOutcome =
  | {
      kind: 'response';
      status: number;
      /**
       * For a 503: the API's JSON error envelope or a `Retry-After` came with
       * it, so the API itself refused. A bare 503 may come from a proxy whose
       * upstream has already acted.
       */
      api_refusal?: boolean;
    }
  /**
   * No connection was established; the request was never sent. `final`: nor can it be by trying again
   * (fetch refuses the port), so it is not retried.
   */
  | { kind: 'not_sent'; final?: boolean }
  /** The connection failed after the request may have been sent. */
  | { kind: 'connection_lost' }
  | { kind: 'timeout' };

/**
 * The system error code (`ECONNREFUSED`, ...) of an error, or the first one
 * down its `cause` chain (fetch wraps them, sometimes twice), or null.
 * fetch's refusal of a blocked port, which has no code, is `BAD_PORT`.
 */
export function errorCode(error: unknown): string | null {
  let e = error as { code?: unknown; message?: unknown; cause?: unknown } | null | undefined;
  for (let depth = 0; depth < 8 && e !== null && typeof e === 'object'; depth++) {
    if (typeof e.code === 'string' && e.code !== '') return e.code;
    if (e.message === BAD_PORT_MESSAGE) return BAD_PORT;
    e = e.cause as typeof e;
  }
  return null;
}

/**
 * Classifies an error from the HTTP client (not a timeout or an abort): was
 * the request never sent (`not_sent`), or may it have reached the server
 * (`connection_lost`)? Unknown errors count as `connection_lost`.
 */
export function connectionFailure(error: unknown): Extract<AttemptOutcome, { kind: 'not_sent' | 'connection_lost' }> {
  const code = errorCode(error);
  if (code === BAD_PORT) return { kind: 'not_sent', final: true };
  return code !== null && (NOT_SENT_CODES.has(code) || TLS_FAILURE.test(code)) ? { kind: 'not_sent' } : { kind: 'connection_lost' };
}

/** True when the server refused before acting, so repeating the request cannot act twice. */
export function refusedBeforeActing(outcome: AttemptOutcome): boolean {
  if (outcome.kind === 'not_sent') return true;
  if (outcome.kind !== 'response') return false;
  return outcome.status === 429 || (outcome.status === 503 && outcome.api_refusal === true);
}

/**
 * Whether the attempt numbered `attempt` (0 = first) may be followed by another.
 *
 * @param maxRetries retries allowed after the first attempt
 * @param policy what the request may repeat
 * @default policy 'idempotent'
 */
export function shouldRetry(
  outcome: AttemptOutcome,
  attempt: number,
  maxRetries: number,
  policy: RetryPolicy = 'idempotent',
): boolean {
  if (attempt >= maxRetries) return false;
  if (outcome.kind === 'not_sent' && outcome.final === true) return false;
  if (refusedBeforeActing(outcome)) return true;
  if (policy === 'refusals_only') return false;
  if (outcome.kind === 'response') return MAY_HAVE_ACTED_STATUSES.has(outcome.status);
  return true;
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
