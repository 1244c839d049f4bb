/**
 * Checks for the options a client is built with and for the per-call
 * `RequestOptions`. The transport trusts what it is given, so both are
 * validated here, in the clients, before a transport exists or a request
 * leaves. `base_url` and `auth_token` are resolved by `core/config.ts`.
 */
import * as z from 'zod/mini';
import type { FetchLike } from '../../core/transport-types.js';
import { strictInput, lazySchema } from './common.js';

const nonNegativeInteger = /* @__PURE__ */ lazySchema(() => z.custom<number>(
  (v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0,
  { error: 'must be a non-negative integer' },
));

// AbortSignal.timeout (used per attempt) fires at once for 0 and overflows past 2^31-1 ms.
const timeoutMs = /* @__PURE__ */ lazySchema(() => z.custom<number>(
  (v) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0 && v <= 2_147_483_647,
  { error: 'must be a positive integer number of milliseconds (at most 2147483647)' },
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
 * Client options other than `base_url` / `auth_token` (validated by
 * `resolveBaseUrl` / `resolveAuthToken`). Strict, so a misspelt option such as
 * `baseUrl` fails instead of silently sending a sandbox token to production.
 */
export const clientOptionsSchema = /* @__PURE__ */ lazySchema(() => strictInput({
  base_url: z.optional(z.string({ error: 'must be a string URL' })),
  auth_token: z.optional(z.string({ error: 'must be a string' })),
  fetch: z.optional(fetchFunction()),
  timeout_ms: z.optional(timeoutMs()),
  max_retries: z.optional(nonNegativeInteger()),
  user_agent: z.optional(headerValue()),
  max_response_bytes: z.optional(maxResponseBytes()),
}));

/** Per-call options accepted as the last argument of every client method. */
export const requestOptionsSchema = /* @__PURE__ */ lazySchema(() => strictInput({
  idempotency_key: z.optional(
    z
      .string({ error: 'must be a string' })
      .check(z.regex(/^[\x21-\x7e]{1,255}$/, { error: 'must be 1-255 printable ASCII characters without spaces' })),
  ),
  signal: z.optional(abortSignal()),
  timeout_ms: z.optional(timeoutMs()),
  max_retries: z.optional(nonNegativeInteger()),
}));
