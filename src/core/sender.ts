/**
 * How bytes go over the wire: the one HTTP path of the package. Two senders
 * share one shape and one set of rules:
 *
 * - the caller's `fetch` (contract section 1), or the global `fetch` where
 *   undici does not exist (workers, edge functions), called with a
 *   plain-object `init`;
 * - in Node, undici's `request` on its global dispatcher, which keeps
 *   connections alive and pools them per origin.
 *
 * Rules every sender keeps:
 * - **Redirects are never followed.** `fetch` gets `redirect: 'manual'`, and
 *   any 3xx is a {@link SiglumeRedirectError} naming the status and the
 *   origin of `Location`: a redirect could carry the `Authorization` header
 *   and a POST body to another host.
 * - **Response bodies are capped** at `max_response_bytes`: `Content-Length`
 *   is checked before reading, and reading stops at the cap otherwise, with a
 *   {@link SiglumeResponseTooLargeError}.
 * - **Every attempt has a deadline** (`timeout_ms`, headers and body
 *   included) and follows the caller's `AbortSignal`, also when a custom
 *   `fetch` ignores the signal it is given: a
 *   {@link SiglumeTimeoutError} or a `REQUEST_ABORTED`
 *   {@link SiglumeConnectionError}, never a bare `AbortError`. Any other
 *   failure to get a response is rethrown as it came (the caller words it).
 *
 * Which sender Node gets is decided by the `#platform` import (package.json
 * `imports`): under the `node` condition it loads undici lazily, on the first
 * request; everywhere else it has no undici, so worker and edge bundlers never
 * see undici's `node:` modules.
 *
 * The package's own tools can send through {@link defaultSender} too, with
 * the same caps and no redirects.
 */
import { loadUndici } from '#platform';
import { onAbort } from './abort-hub.js';
import type { UndiciLike, UndiciResponse } from './platform/types.js';
import {
  SiglumeConnectionError,
  SiglumeInvalidResponseError,
  SiglumeRedirectError,
  SiglumeResponseTooLargeError,
  SiglumeTimeoutError,
} from './errors.js';
import type { FetchLike, FetchLikeResponse } from './transport-types.js';
import { declaredLength, readCappedBytes, type ByteStreamReader } from './bytes.js';

/** The response fields the transport reads, with the body already read. */
export interface SentResponse {
  status: number;
  statusText: string;
  header(name: string): string | null;
  text: string;
}

/** What is sent: the body is already serialized. */
export interface SendInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** Limits a sender enforces on one attempt. */
export interface SendLimits {
  /** Largest response body read, in bytes; a larger one is a {@link SiglumeResponseTooLargeError}. */
  max_response_bytes: number;
  /** Deadline of the attempt in milliseconds, response body included. */
  timeout_ms: number;
  /** The caller's signal: aborting it stops the attempt with a `REQUEST_ABORTED` error. */
  signal?: AbortSignal;
}

/**
 * Sends one attempt. Rejects with {@link SiglumeTimeoutError} after
 * `timeout_ms`, with a `REQUEST_ABORTED` {@link SiglumeConnectionError} when
 * the caller aborts, with {@link SiglumeRedirectError} for a 3xx, with
 * {@link SiglumeResponseTooLargeError} for a body over the cap, and with the
 * underlying error when no HTTP response arrived.
 */
export type Sender = (url: string, init: SendInit, limits: SendLimits) => Promise<SentResponse>;

/** The error for an attempt (or a wait between attempts) the caller aborted. */
export function abortedError(cause: unknown): SiglumeConnectionError {
  return new SiglumeConnectionError('The request was aborted by the caller.', { code: 'REQUEST_ABORTED', cause });
}

/**
 * Abort plumbing for one attempt: a timer for the deadline and a listener on
 * the caller's signal, both fired into `abort`. `settle` maps what the
 * attempt threw to the typed error when the deadline or the caller caused it.
 */
function deadline(limits: SendLimits, abort: (reason: unknown) => void) {
  const user = limits.signal;
  let timedOut = false;
  // One cleared timer per attempt: AbortSignal.timeout() costs about 20x more
  // and leaves its timer running; undici's own headers/body timeouts only fire
  // to the nearest second and do not bound the whole attempt.
  const timer = setTimeout(() => {
    timedOut = true;
    abort(undefined);
  }, limits.timeout_ms);
  const stopListening = user ? onAbort(user, () => abort(user.reason)) : undefined;
  return {
    settle(error: unknown): unknown {
      if (user?.aborted) return abortedError(error);
      if (timedOut) return new SiglumeTimeoutError(limits.timeout_ms, { cause: error });
      return error;
    },
    done(): void {
      clearTimeout(timer);
      stopListening?.();
    },
  };
}

/**
 * The abort signal handed to undici: undici accepts an EventEmitter-style
 * object, which costs a fraction of an `AbortController` plus an EventTarget
 * listener. That is measurable per request when the SDK sends one call at a
 * time.
 */
class UndiciAbort {
  aborted = false;
  reason: unknown = undefined;
  #listener: (() => void) | null = null;

  on(_event: 'abort', listener: () => void): this {
    this.#listener = listener;
    return this;
  }

  once(event: 'abort', listener: () => void): this {
    return this.on(event, listener);
  }

  removeListener(): this {
    this.#listener = null;
    return this;
  }

  abort(reason: unknown): void {
    if (this.aborted) return;
    this.aborted = true;
    this.reason = reason;
    const listener = this.#listener;
    this.#listener = null;
    listener?.();
  }
}

/** Reads a header case-insensitively from undici's lower-cased header object. */
type HeaderReader = (name: string) => string | null;

function describeTarget(method: string, url: string): string {
  try {
    const u = new URL(url);
    return `${method} ${u.origin}${u.pathname}`;
  } catch {
    return method;
  }
}

function originOf(location: string | null, base: string): string | null {
  if (!location) return null;
  try {
    const origin = new URL(location, base).origin;
    return origin === 'null' ? null : origin;
  } catch {
    return null;
  }
}

function redirectError(method: string, url: string, status: number, header: HeaderReader, finalUrl?: string): SiglumeRedirectError {
  const location_origin = finalUrl ? originOf(finalUrl, url) : originOf(header('location'), url);
  const target = location_origin ? ` to ${location_origin}` : '';
  return new SiglumeRedirectError({
    status,
    location_origin,
    message:
      `${describeTarget(method, url)} answered HTTP ${status || 'redirect'} with a redirect${target}. ` +
      'Redirects are never followed, because one could carry the request credentials and body to another host: ' +
      'point the SDK at the final URL (for the API, check SIGLUME_API_BASE).',
    request_id: header('x-request-id'),
    trace_id: header('x-trace-id'),
  });
}

function tooLarge(method: string, url: string, status: number, max: number, header: HeaderReader): SiglumeResponseTooLargeError {
  return new SiglumeResponseTooLargeError({
    max_response_bytes: max,
    message:
      `${describeTarget(method, url)} answered HTTP ${status} with a body larger than max_response_bytes ` +
      `(${max} bytes); reading stopped there. Raise max_response_bytes if an answer this large is expected.`,
    data: { http_status: status, max_response_bytes: max },
    request_id: header('x-request-id'),
    trace_id: header('x-trace-id'),
  });
}

const decoder = /* @__PURE__ */ new TextDecoder();

/** Reads a body up to `max` bytes and decodes it as UTF-8 (BOM stripped, invalid bytes replaced, as `Response.text()` does). */
async function readStreamCapped(reader: ByteStreamReader, max: number, onTooLarge: () => Error): Promise<string> {
  return decoder.decode(await readCappedBytes(reader, max, onTooLarge));
}

/** Discards a body we will not read, so the connection can be reused or closed. */
function discard(res: FetchLikeResponse): void {
  const body = res.body;
  if (body && typeof body.cancel === 'function' && (body as { locked?: boolean }).locked !== true) {
    Promise.resolve(body.cancel()).catch(() => {});
  }
}

/**
 * Reads a header of a fetch response defensively: a `Headers` (or anything
 * with `get`), a plain object (names compared without case), or nothing at
 * all, as the 0.4.20-style doubles that only give `status` and `text()`.
 */
function fetchHeaderReader(headers: unknown): HeaderReader {
  if (headers !== null && typeof headers === 'object') {
    const get = (headers as { get?: unknown }).get;
    if (typeof get === 'function') {
      return (name) => {
        const value: unknown = get.call(headers, name);
        return typeof value === 'string' ? value : null;
      };
    }
    const record = headers as Record<string, unknown>;
    return (name) => {
      const lower = name.toLowerCase();
      for (const key of Object.keys(record)) {
        if (key.toLowerCase() !== lower) continue;
        const value = record[key];
        if (typeof value === 'string') return value;
        if (Array.isArray(value)) return value.join(', ');
        return null;
      }
      return null;
    };
  }
  return () => null;
}

/** A response a custom fetch returned that the SDK cannot read: its answer, not a lost connection. */
function unreadable(method: string, url: string, what: string): SiglumeInvalidResponseError {
  return new SiglumeInvalidResponseError({
    status: 502,
    code: 'INVALID_RESPONSE_SHAPE',
    message:
      `The fetch function answered ${describeTarget(method, url)} with ${what}. ` +
      'A custom fetch must resolve to a Response, or an object with a numeric status and text() (headers and body are optional).',
  });
}

/**
 * Adapts a fetch-compatible function (the caller's, or the global one). The
 * function receives `redirect: 'manual'`; a 3xx, an opaque redirect, or a
 * response a custom fetch reached by following redirects anyway is a
 * {@link SiglumeRedirectError}.
 */
export function fetchSender(fetchFn: FetchLike): Sender {
  const send = async (
    url: string,
    init: SendInit,
    limits: SendLimits,
    signal: AbortSignal,
    open: { cancel?: () => void },
  ): Promise<SentResponse> => {
    // A fresh headers object per call: a custom fetch may keep or change what it is given.
    const res = await fetchFn(url, { method: init.method, headers: { ...init.headers }, body: init.body, signal, redirect: 'manual' });
    if (res === null || typeof res !== 'object' || typeof res.status !== 'number') {
      throw unreadable(init.method, url, 'something that is not a response (no numeric status)');
    }
    // The attempt ended (deadline or caller) while a fetch that ignores its signal was still answering.
    if (signal.aborted) {
      discard(res);
      throw signal.reason;
    }
    open.cancel = () => discard(res);
    const header = fetchHeaderReader(res.headers);
    const status = res.status;
    if ((status >= 300 && status < 400) || res.type === 'opaqueredirect') {
      discard(res);
      throw redirectError(init.method, url, status, header);
    }
    if (res.redirected === true) {
      discard(res);
      throw redirectError(init.method, url, status, header, res.url);
    }
    const max = limits.max_response_bytes;
    const declared = declaredLength(header('content-length'));
    // fetch decompresses, and Content-Length then counts the compressed bytes,
    // so it is a trustworthy size only for an unencoded body.
    const encoding = header('content-encoding');
    const plain = encoding === null || encoding === '' || encoding === 'identity';
    if (plain && declared !== null) {
      if (declared > max) {
        discard(res);
        throw tooLarge(init.method, url, status, max, header);
      }
      return { status, statusText: res.statusText ?? '', header, text: await readText(res, init.method, url) };
    }
    const body = res.body;
    let text: string;
    if (body && typeof body.getReader === 'function') {
      const reader = body.getReader() as ByteStreamReader;
      open.cancel = () => void Promise.resolve(reader.cancel()).catch(() => {});
      text = await readStreamCapped(reader, max, () => tooLarge(init.method, url, status, max, header));
    } else {
      // A fetch double without a body stream: the text is in memory already;
      // still refuse it, so the cap means the same thing everywhere.
      text = await readText(res, init.method, url);
      if (text.length > max) throw tooLarge(init.method, url, status, max, header);
    }
    return { status, statusText: typeof res.statusText === 'string' ? res.statusText : '', header, text };
  };
  return async (url, init, limits) => {
    if (limits.signal?.aborted) throw abortedError(limits.signal.reason);
    const controller = new AbortController();
    // A custom fetch may ignore its signal (a wrapper that rebuilds init, a
    // double that never settles, a body that never ends): the attempt races
    // the deadline itself, and the body still being read is cancelled.
    let stop!: (reason: unknown) => void;
    const stopped = new Promise<never>((_resolve, reject) => (stop = reject));
    const open: { cancel?: () => void } = {};
    const attempt = deadline(limits, (reason) => {
      controller.abort(reason);
      stop(reason);
      open.cancel?.();
    });
    const sending = send(url, init, limits, controller.signal, open);
    // Whichever loses the race must not become an unhandled rejection.
    sending.catch(() => {});
    stopped.catch(() => {});
    try {
      return await Promise.race([sending, stopped]);
    } catch (error) {
      throw attempt.settle(error);
    } finally {
      attempt.done();
    }
  };
}

/** `res.text()`, or an unreadable-response error when a double has none. */
async function readText(res: FetchLikeResponse, method: string, url: string): Promise<string> {
  if (typeof res.text !== 'function') throw unreadable(method, url, 'a response without text() or a body stream');
  const text: unknown = await res.text();
  if (typeof text !== 'string') throw unreadable(method, url, 'a response whose text() did not resolve to a string');
  return text;
}

/** Closes an undici body we stop reading; the connection is dropped, not returned to the pool. */
function drop(body: UndiciResponse['body']): void {
  body.on('error', () => {});
  body.destroy();
}

/** Adapts undici's `request` (no redirects: undici's `request` never follows them). */
export function undiciSender(undici: UndiciLike): Sender {
  const send = async (url: string, init: SendInit, limits: SendLimits, signal: UndiciAbort): Promise<SentResponse> => {
    const res = await undici.request(url, {
      method: init.method,
      headers: init.headers,
      body: init.body,
      signal,
    });
    const headers = res.headers;
    const header: HeaderReader = (name) => {
      const value = headers[name.toLowerCase()];
      return Array.isArray(value) ? value.join(', ') : (value ?? null);
    };
    const status = res.statusCode;
    if (status >= 300 && status < 400) {
      // A redirect body is small: drain it so the pooled connection stays usable.
      res.body.dump({ limit: 64 * 1024 }).catch(() => {});
      throw redirectError(init.method, url, status, header);
    }
    const max = limits.max_response_bytes;
    // undici does not decompress, and sends no Accept-Encoding, so
    // Content-Length is the size of what would be read.
    const declared = declaredLength(header('content-length'));
    let text: string;
    if (declared !== null) {
      if (declared > max) {
        drop(res.body);
        throw tooLarge(init.method, url, status, max, header);
      }
      text = await res.body.text();
    } else {
      const body = res.body;
      const chunks = body[Symbol.asyncIterator]() as AsyncIterator<Uint8Array>;
      const reader: ByteStreamReader = {
        read: async () => {
          const { done, value } = await chunks.next();
          return done ? { done: true } : { done: false, value };
        },
        cancel: async () => drop(body),
      };
      text = await readStreamCapped(reader, max, () => tooLarge(init.method, url, status, max, header));
    }
    return { status, statusText: STATUS_TEXT[status] ?? '', header, text };
  };
  return async (url, init, limits) => {
    if (limits.signal?.aborted) throw abortedError(limits.signal.reason);
    const signal = new UndiciAbort();
    const attempt = deadline(limits, (reason) => signal.abort(reason));
    try {
      return await send(url, init, limits, signal);
    } catch (error) {
      throw attempt.settle(error);
    } finally {
      attempt.done();
    }
  };
}

let platformSender: Promise<Sender> | undefined;

/**
 * The sender of this runtime: undici's pooled keep-alive `request` in Node,
 * the global `fetch` elsewhere (or in Node when undici cannot be loaded).
 */
export function defaultSender(): Promise<Sender> {
  platformSender ??= loadUndici().then((undici): Sender => {
    if (undici) return undiciSender(undici);
    const g = globalThis as { fetch?: FetchLike };
    if (typeof g.fetch !== 'function') throw new Error('No HTTP client available: pass the `fetch` option.');
    // Called as a method of globalThis: some runtimes reject a detached fetch ("Illegal invocation").
    return fetchSender((input, init) => g.fetch!(input, init));
  });
  return platformSender;
}

// undici.request does not report reason phrases; these are the ones an error
// message may fall back to (contract: "message falls back to the status text").
const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Entity',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};
