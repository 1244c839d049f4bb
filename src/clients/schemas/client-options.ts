/**
 * The options a client is built with and the per-call options of every
 * client method: one schema each, and the public types derived from them, so
 * a new option is one edit here (plus its use). The transport trusts what it
 * is given, so both are validated here, in the clients, before a transport
 * exists or a request leaves. `base_url` and `auth_token` are resolved by
 * `core/config.ts`.
 */
import * as z from 'zod/mini';
import type { FetchLike } from '../../core/transport-types.js';
import { strictInput, lazySchema } from './common.js';

// Ten retries already wait over a minute of backoff; a larger number (1e15 was
// accepted) is a mistake, not a policy.
const MAX_RETRIES_LIMIT = 10;
const maxRetries = /* @__PURE__ */ lazySchema(() => z.custom<number>(
  (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0 && v <= MAX_RETRIES_LIMIT,
  { error: `must be a non-negative integer, at most ${MAX_RETRIES_LIMIT}` },
));

// The per-attempt timer (setTimeout) fires at once for 0 and overflows past 2^31-1 ms.
const timeoutMs = /* @__PURE__ */ lazySchema(() => z.custom<number>(
  (v) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0 && v <= 2_147_483_647,
  { error: 'must be a positive integer number of milliseconds (at most 2147483647)' },
));

const MAX_TIMER_MS = 2_147_483_647;

// The client's timeout_ms as 0.4.20 read it (CONTRACT-2 section 21.1): max(1, trunc(x)), so 0 and
// fractions are taken. Only what no timer can hold is refused: NaN, Infinity and past 2^31-1 ms.
const clientTimeoutMs = /* @__PURE__ */ lazySchema(() => z.pipe(
  z.custom<number>((v) => typeof v === 'number' && Number.isFinite(v) && v <= MAX_TIMER_MS, {
    error: `must be a finite number of milliseconds (at most ${MAX_TIMER_MS})`,
  }),
  z.transform((v: number) => Math.max(1, Math.trunc(v))),
));

const maxResponseBytes = /* @__PURE__ */ lazySchema(() => z.custom<number>((v) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0, {
  error: 'must be a positive integer number of bytes',
}));

const fetchFunction = /* @__PURE__ */ lazySchema(() => z.custom<FetchLike>((v) => typeof v === 'function', {
  error: 'must be a fetch-compatible function',
}));

// Header values cannot carry control characters; fetch would throw a TypeError later.
const headerValue = /* @__PURE__ */ lazySchema(() =>
  z
    .string({ error: 'must be a string' })
    .check(
      z.minLength(1, { error: 'must not be empty' }),
      z.regex(/^[\x20-\x7e]+$/, { error: 'must be printable ASCII without line breaks' }),
    ),
);

const abortSignal = /* @__PURE__ */ lazySchema(() => z.custom<AbortSignal>(
  (v) =>
    v !== null &&
    typeof v === 'object' &&
    typeof (v as AbortSignal).aborted === 'boolean' &&
    typeof (v as AbortSignal).addEventListener === 'function',
  { error: 'must be an AbortSignal' },
));

/**
 * Options of both clients. An option the clients do not know is dropped, as
 * 0.4.20 did (an app config object may be passed whole), except another
 * spelling of one that was not given (`baseUrl` without `base_url`), which
 * is refused instead of silently sending a sandbox token to production.
 */
export const clientOptionsSchema = /* @__PURE__ */ lazySchema(() =>
  strictInput({
    /**
     * API base URL. https, or http on localhost / 127.0.0.1 / [::1]; trailing
     * slashes are dropped. `null` counts as absent (as in 0.4.20); an empty
     * string is refused, not skipped.
     * @default process.env.SIGLUME_API_BASE; else, with SIGLUME_ENV=sandbox,
     * process.env.SIGLUME_SANDBOX_API_BASE ?? "http://127.0.0.1:8787/v1";
     * else "https://siglume.com/v1"
     */
    base_url: z.nullish(z.string({ error: 'must be a string URL' })),
    /**
     * Bearer token. When absent (or `null`), the merchant client reads
     * `SIGLUME_MERCHANT_AUTH_TOKEN` then `SIGLUME_AUTH_TOKEN`, the buyer client
     * `SIGLUME_AUTH_TOKEN`. An empty or blank string is refused rather than
     * replaced by a token from the environment. Never exposed as a property,
     * logged, or put in error text.
     */
    auth_token: z.nullish(z.string({ error: 'must be a string' })),
    /**
     * A fetch-compatible function used for every request instead of the
     * built-in transport (undici in Node, the global `fetch` in workers and
     * edge runtimes). It receives `redirect: 'manual'`: redirects are never
     * followed. `null` counts as absent.
     */
    fetch: z.nullish(fetchFunction()),
    /**
     * Per-attempt timeout in milliseconds; `null` counts as absent. Read as
     * 0.4.20 did: a fraction is truncated and anything below 1 becomes 1
     * (`max(1, trunc(x))`); NaN, Infinity and more than 2147483647 are
     * refused.
     * @default 15000
     */
    timeout_ms: z.nullish(clientTimeoutMs()),
    /**
     * Retries after the first attempt. A request the server refused before
     * acting on (429, a 503 with the API's error envelope or `Retry-After`,
     * no connection) is always retried; one it may have acted on (timeout,
     * connection lost, 500, 502, 504, a proxy's bare 503) is retried when the
     * request is idempotent, which every call is except the ones that can
     * charge (`executePreparedTransaction`, `createSubscription` and
     * `executeScheduledAutoPay`) without your own `idempotency_key`. `0`
     * disables retries; at most 10.
     * @default 2
     */
    max_retries: z.optional(maxRetries()),
    /**
     * User-Agent header; `null` counts as absent.
     * @default "@siglume/direct-request-payment/<version>"
     */
    user_agent: z.nullish(headerValue()),
    /**
     * Largest response body the client reads, in bytes. A larger answer is a
     * `SiglumeResponseTooLargeError`; reading stops at the limit.
     * @default 10485760 (10 MiB)
     */
    max_response_bytes: z.optional(maxResponseBytes()),
  }, { kind: 'option' }),
);

/**
 * Options of both clients.
 *
 * @interface
 */
export type DirectRequestPaymentClientOptions = z.input<ReturnType<typeof clientOptionsSchema>>;

/** Per-call options accepted as the last argument of every client method. */
export const requestOptionsSchema = /* @__PURE__ */ lazySchema(() =>
  strictInput({
    /**
     * Idempotency key of a mutating call; one is generated per call when
     * absent. The same key is sent on every retry of the call.
     */
    idempotency_key: z.optional(
      z
        .string({ error: 'must be a string' })
        .check(z.regex(/^[\x21-\x7e]{1,255}$/, { error: 'must be 1-255 printable ASCII characters without spaces' })),
    ),
    /** Aborts the call (all attempts). */
    signal: z.optional(abortSignal()),
    /** Overrides the client's `timeout_ms` for this call. */
    timeout_ms: z.optional(timeoutMs()),
    /** Overrides the client's `max_retries` for this call (0 to 10). */
    max_retries: z.optional(maxRetries()),
  }, { kind: 'option' }),
);

/**
 * Per-call options accepted as the last argument of every client method.
 *
 * @interface
 */
export type DirectRequestPaymentRequestOptions = z.input<ReturnType<typeof requestOptionsSchema>>;
