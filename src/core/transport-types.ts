/**
 * Types shared by the transport and the clients. Kept apart from the
 * implementation so clients depend only on the shape, not on undici.
 */
import type * as z from 'zod/mini';
import type { SiglumeApiError } from './errors.js';

/**
 * The `init` a custom `fetch` receives: headers are a plain object, the body a
 * JSON string, and `redirect` is always `'manual'`: the SDK never follows a
 * redirect (a 3xx is a `SiglumeRedirectError`).
 */
export interface FetchLikeInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
  signal: AbortSignal;
  redirect: 'manual';
}

/**
 * The part of a fetch `Response` the SDK reads. `body`, when present, is read
 * as a stream so that reading can stop at `max_response_bytes`; a double
 * without it is read with `text()`. `redirected` / `type` let the SDK refuse
 * a response that a fetch reached by following a redirect anyway.
 */
export interface FetchLikeResponse {
  status: number;
  statusText?: string;
  headers: { get(name: string): string | null };
  text(): Promise<string>;
  body?: { getReader(): unknown; cancel(reason?: unknown): Promise<void> } | null;
  redirected?: boolean;
  type?: string;
  url?: string;
}

/** A fetch-compatible function, e.g. `globalThis.fetch` or a recording double in tests. */
export type FetchLike = (url: string, init: FetchLikeInit) => Promise<FetchLikeResponse>;

/** Options shared by both clients. */
export interface ClientOptions {
  /**
   * API base URL. https, or http on localhost / 127.0.0.1 / [::1]; trailing
   * slashes are dropped.
   * @default process.env.SIGLUME_API_BASE ?? "https://siglume.com/v1"
   */
  base_url?: string;
  /** Bearer token. Never exposed as a property, logged, or put in error text. */
  auth_token?: string;
  /** A fetch-compatible function used for every request instead of the built-in undici transport. */
  fetch?: FetchLike;
  /**
   * Largest response body the client reads, in bytes. A larger answer is a
   * `SiglumeResponseTooLargeError`; reading stops at the limit.
   * @default 10485760 (10 MiB)
   */
  max_response_bytes?: number;
  /**
   * Per-attempt timeout in milliseconds.
   * @default 15000
   */
  timeout_ms?: number;
  /**
   * Retries after the first attempt for connection errors, timeouts, 429 and
   * 502/503/504. `0` disables retries.
   * @default 2
   */
  max_retries?: number;
  /**
   * User-Agent header.
   * @default "@siglume/direct-request-payment/<version>"
   */
  user_agent?: string;
}

/** Per-call options accepted as the last argument of every client method. */
export interface RequestOptions {
  /** Idempotency key for a mutating call; one is generated when absent. The same key is sent on every retry. */
  idempotency_key?: string;
  /** Aborts the call (all attempts). */
  signal?: AbortSignal;
  /** Overrides the client's `timeout_ms` for this call. */
  timeout_ms?: number;
  /** Overrides the client's `max_retries` for this call. */
  max_retries?: number;
}

/** What a client method asks the transport to do. */
export interface RequestSpec<T> {
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Path below the base URL, already encoded with `path`…``, starting with `/`. */
  path: string;
  /** Query parameters in the order they must appear; `undefined` values are omitted. */
  query?: ReadonlyArray<readonly [string, string | number | boolean | undefined]>;
  /** JSON body. */
  body?: unknown;
  /** Schema for the unwrapped `data`; a mismatch is a SiglumeInvalidResponseError naming the field. */
  schema?: z.ZodMiniType<T>;
  /** Per-call options. */
  options?: RequestOptions;
  /** Re-maps an API error (e.g. to HostedCheckoutNotAvailableError) before it is thrown. */
  mapError?: (error: SiglumeApiError) => SiglumeApiError;
}
