/**
 * Types shared by the transport and the clients. Kept apart from the
 * implementation so clients depend only on the shape, not on undici.
 */
import type * as z from 'zod/mini';
import type { SiglumeApiError } from './errors.js';
import type { RetryPolicy } from './retry.js';

/**
 * The `init` a custom `fetch` receives: headers are a plain object, the body a
 * JSON string, and `redirect` is always `'manual'`: the SDK never follows a
 * redirect (a 3xx is a `SiglumeRedirectError`).
 */
export interface FetchLikeInit {
  method: string;
  headers: Record<string, string>;
  // No `| undefined`: this is what a custom fetch receives, and DOM fetch's RequestInit takes no explicit undefined.
  body?: string;
  signal: AbortSignal;
  redirect: 'manual';
}

/**
 * The part of a fetch `Response` the SDK reads. `body`, when present, is read
 * as a stream so that reading can stop at `max_response_bytes`; a double
 * without it is read with `text()`. `headers` may be a `Headers`, a plain
 * object, or absent (a 0.4.20-style double with only `status` and `text()`).
 * `redirected` / `type` let the SDK refuse a response that a fetch reached by
 * following a redirect anyway.
 */
export interface FetchLikeResponse {
  status: number;
  statusText?: string | undefined;
  headers?: { get(name: string): string | null } | Readonly<Record<string, string>> | null | undefined;
  text(): Promise<string>;
  body?: { getReader(): unknown; cancel(reason?: unknown): Promise<void> } | null | undefined;
  redirected?: boolean | undefined;
  type?: string | undefined;
  url?: string | undefined;
}

/** A fetch-compatible function, e.g. `globalThis.fetch` or a recording double in tests. */
export type FetchLike = (url: string, init: FetchLikeInit) => Promise<FetchLikeResponse>;

/**
 * Per-call settings the transport reads. The clients validate them first
 * (the public, documented shape is `DirectRequestPaymentRequestOptions`).
 */
export interface TransportCallOptions {
  idempotency_key?: string | undefined;
  signal?: AbortSignal | undefined;
  timeout_ms?: number | undefined;
  max_retries?: number | undefined;
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
  schema?: z.ZodMiniType<T> | undefined;
  /** Per-call options. */
  options?: TransportCallOptions | undefined;
  /**
   * Which failed attempts may be repeated (see `RetryPolicy`). A method
   * declares it here; it never rewrites the caller's options to get it.
   * @default 'idempotent'
   */
  retry?: RetryPolicy | undefined;
  /**
   * Extra request headers, set after `Accept`, `Authorization` and
   * `User-Agent` and replacing a header of the same name (compared without
   * regard to case); `Content-Type` and `Idempotency-Key` are set after them.
   * Validated by the caller.
   */
  headers?: Readonly<Record<string, string>> | undefined;
  /**
   * What to do, as one sentence without its final period, when this call may
   * have been acted on, for calls the usual advice (look up the payment, the
   * checkout or the webhook subscription before sending it again) does not
   * fit: e.g. a buyer's subscription, which the buyer client has no call to
   * read, or a scheduled charge, which is sent again with the same key.
   */
  look_up?: string | undefined;
  /**
   * Values this request carries besides the client's token (e.g. a schedule
   * token sent as `Authorization`). Like the token, each is replaced by
   * `[redacted]` wherever an error message or error data would show it.
   */
  secrets?: readonly string[] | undefined;
  /** Re-maps an API error (e.g. to HostedCheckoutNotAvailableError) before it is thrown. */
  mapError?: ((error: SiglumeApiError) => SiglumeApiError) | undefined;
}
