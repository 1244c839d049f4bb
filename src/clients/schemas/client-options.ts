/**
 * The options a client is built with and the per-call options of every
 * client method: one schema each, and the public types derived from them, so
 * a new option is one edit here (plus its use). The transport trusts what it
 * is given, so both are validated here, in the clients, before a transport
 * exists or a request leaves. `base_url` and `auth_token` are resolved by
 * `core/config.ts`.
 */
import { z } from 'zod';
import type { FetchLike } from '../../core/transport-types.js';
import { strictInput } from './common.js';

const nonNegativeInteger = z.custom<number>(
  (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0,
  { error: 'must be a non-negative integer' },
);

// AbortSignal.timeout (used per attempt) fires at once for 0 and overflows past 2^31-1 ms.
const timeoutMs = z.custom<number>(
  (v) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0 && v <= 2_147_483_647,
  { error: 'must be a positive integer number of milliseconds (at most 2147483647)' },
);

const fetchFunction = z.custom<FetchLike>((v) => typeof v === 'function', {
  error: 'must be a fetch-compatible function',
});

// Header values cannot carry control characters; fetch would throw a TypeError later.
const headerValue = z
  .string({ error: 'must be a string' })
  .min(1, { error: 'must not be empty' })
  .regex(/^[\x20-\x7e]+$/, { error: 'must be printable ASCII without line breaks' });

const abortSignal = z.custom<AbortSignal>(
  (v) =>
    v !== null &&
    typeof v === 'object' &&
    typeof (v as AbortSignal).aborted === 'boolean' &&
    typeof (v as AbortSignal).addEventListener === 'function',
  { error: 'must be an AbortSignal' },
);

/**
 * Options of both clients. Strict, so a misspelt option such as `baseUrl`
 * fails instead of silently sending a sandbox token to production.
 */
export const clientOptionsSchema = strictInput({
  /**
   * API base URL. https, or http on localhost / 127.0.0.1 / [::1]; trailing
   * slashes are dropped.
   * @default process.env.SIGLUME_API_BASE ?? "https://siglume.com/v1"
   */
  base_url: z.string({ error: 'must be a string URL' }).optional(),
  /**
   * Bearer token. When absent, the merchant client reads
   * `SIGLUME_MERCHANT_AUTH_TOKEN` then `SIGLUME_AUTH_TOKEN`, the buyer client
   * `SIGLUME_AUTH_TOKEN`. Never exposed as a property, logged, or put in error
   * text.
   */
  auth_token: z.string({ error: 'must be a string' }).optional(),
  /** A fetch-compatible function used for every request instead of the built-in undici transport. */
  fetch: fetchFunction.optional(),
  /**
   * Per-attempt timeout in milliseconds.
   * @default 15000
   */
  timeout_ms: timeoutMs.optional(),
  /**
   * Retries after the first attempt. A request the server refused before
   * acting on (429, 503, no connection) is always retried; one it may have
   * acted on (timeout, connection lost, 502/504) is retried when the request
   * is idempotent, which every call is except an on-chain execution without
   * your own `idempotency_key`. `0` disables retries.
   * @default 2
   */
  max_retries: nonNegativeInteger.optional(),
  /**
   * User-Agent header.
   * @default "@siglume/direct-request-payment/<version>"
   */
  user_agent: headerValue.optional(),
});

/**
 * Options of both clients.
 *
 * @interface
 */
export type DirectRequestPaymentClientOptions = z.input<typeof clientOptionsSchema>;

/** Per-call options accepted as the last argument of every client method. */
export const requestOptionsSchema = strictInput({
  /**
   * Idempotency key of a mutating call; one is generated per call when
   * absent. The same key is sent on every retry of the call.
   */
  idempotency_key: z
    .string({ error: 'must be a string' })
    .regex(/^[\x21-\x7e]{1,255}$/, { error: 'must be 1-255 printable ASCII characters without spaces' })
    .optional(),
  /** Aborts the call (all attempts). */
  signal: abortSignal.optional(),
  /** Overrides the client's `timeout_ms` for this call. */
  timeout_ms: timeoutMs.optional(),
  /** Overrides the client's `max_retries` for this call. */
  max_retries: nonNegativeInteger.optional(),
});

/**
 * Per-call options accepted as the last argument of every client method.
 *
 * @interface
 */
export type DirectRequestPaymentRequestOptions = z.input<typeof requestOptionsSchema>;
