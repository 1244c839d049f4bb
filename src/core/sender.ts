/**
 * How bytes go over the wire. Two senders share one shape:
 *
 * - the caller's `fetch` (contract section 1), called with a plain-object
 *   `init`, and
 * - in Node, undici's `request` on its global dispatcher, which already keeps
 *   connections alive and pools them per origin. undici is imported lazily on
 *   the first request, so importing the package costs nothing and the package
 *   still loads where undici cannot (a worker falls back to global `fetch`).
 */
import type { FetchLike, FetchLikeInit } from './transport-types.js';

/** The response fields the transport reads, with the body already read. */
export interface SentResponse {
  status: number;
  statusText: string;
  header(name: string): string | null;
  text: string;
}

/** Sends one attempt. Rejects only when no HTTP response arrived. */
export type Sender = (url: string, init: FetchLikeInit) => Promise<SentResponse>;

/** Adapts a fetch-compatible function. */
export function fetchSender(fetchFn: FetchLike): Sender {
  return async (url, init) => {
    const res = await fetchFn(url, init);
    const text = await res.text();
    return {
      status: res.status,
      statusText: res.statusText ?? '',
      header: (name) => res.headers.get(name),
      text,
    };
  };
}

type UndiciModule = typeof import('undici');

let undiciSender: Promise<Sender> | undefined;

/** The Node sender: undici's pooled keep-alive `request`, or global fetch when undici is unavailable. */
export function defaultSender(): Promise<Sender> {
  undiciSender ??= import('undici').then(
    (undici: UndiciModule): Sender =>
      async (url, init) => {
        const res = await undici.request(url, {
          method: init.method as 'GET',
          headers: init.headers,
          body: init.body,
          signal: init.signal,
        });
        const text = await res.body.text();
        return {
          status: res.statusCode,
          statusText: STATUS_TEXT[res.statusCode] ?? '',
          header: (name) => {
            const value = res.headers[name.toLowerCase()];
            return Array.isArray(value) ? value.join(', ') : (value ?? null);
          },
          text,
        };
      },
    (): Sender => {
      const f = (globalThis as { fetch?: FetchLike }).fetch;
      if (!f) throw new Error('No HTTP client available: pass the `fetch` option.');
      return fetchSender(f);
    },
  );
  return undiciSender;
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
