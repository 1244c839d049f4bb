/**
 * Web-standard pieces of the sandbox app: the route shape, capped body
 * reading, query helpers and the responses it sends (JSON envelopes, HTML
 * pages, redirects).
 */
import { z } from 'zod';
import { SandboxHttpError, invalidField } from './errors.js';

/** `meta` of every envelope. */
export interface ResponseMeta {
  request_id: string;
  trace_id: string;
}

/** hono environment of the sandbox app: the peer address the socket adapter reports (none in-process). */
export type SandboxAppEnv = { Bindings: { remote_address?: string }; Variables: { meta: ResponseMeta; url: URL } };

/** What a route handler gets: decoded path parameters, the query, the parsed JSON body (`{}` when none). */
export interface RouteInput {
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
}

/**
 * One `/v1` or `/__sandbox` route: which bearer token it needs (`none`: control routes) and a handler
 * returning the `data` of the success envelope (status 200 unless given). Handlers throw
 * `SandboxHttpError` or `SiglumeValidationError` for 4xx answers.
 */
export interface Route {
  method: 'GET' | 'POST';
  path: string;
  auth: 'merchant' | 'buyer' | 'none';
  handler: (input: RouteInput) => { status?: number; data: unknown } | Promise<{ status?: number; data: unknown }>;
}

/** Largest accepted request body. */
export const MAX_BODY_BYTES = 64 * 1024;

// Bodies between the limit and this size are read and discarded before the
// 413 goes out, so the client sees the answer instead of a reset socket.
const DRAIN_LIMIT_BYTES = 8 * 1024 * 1024;

/**
 * The body as text, at most {@link MAX_BODY_BYTES}.
 * @throws {SandboxHttpError} 413 `PAYLOAD_TOO_LARGE` (closing the connection past 8 MiB), 400 `REQUEST_ABORTED`.
 */
export async function readBody(req: Request): Promise<string> {
  const tooLarge = (close: boolean) =>
    new SandboxHttpError(413, 'PAYLOAD_TOO_LARGE', 'The request body is larger than 64 KiB.', {
      headers: close ? { Connection: 'close' } : {},
    });
  const aborted = () => new SandboxHttpError(400, 'REQUEST_ABORTED', 'The request body was not received completely.');
  const declared = req.headers.get('content-length');
  if (Number(declared) > DRAIN_LIMIT_BYTES) throw tooLarge(true);
  // A declared length within the cap bounds the body (HTTP framing), so read it whole; that is also the adapter's fast path.
  if (declared !== null && Number(declared) <= MAX_BODY_BYTES) return req.text().catch(() => Promise.reject(aborted()));
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = req.body?.getReader();
  try {
    for (let chunk = await reader?.read(); chunk && !chunk.done; chunk = await reader!.read()) {
      size += chunk.value.byteLength;
      if (size > DRAIN_LIMIT_BYTES) throw tooLarge(true);
      if (size <= MAX_BODY_BYTES) chunks.push(chunk.value);
    }
  } catch (error) {
    void reader?.cancel().catch(() => undefined);
    throw error instanceof SandboxHttpError ? error : aborted();
  }
  if (size > MAX_BODY_BYTES) throw tooLarge(false);
  return Buffer.concat(chunks).toString('utf8');
}

/** Parses a JSON object body (`{}` when empty). */
export function parseJsonObject(raw: string): Record<string, unknown> {
  if (raw.trim() === '') return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new SandboxHttpError(400, 'INVALID_JSON', 'The request body is not valid JSON.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SandboxHttpError(422, 'VALIDATION_ERROR', 'Invalid body: must be a JSON object', { field: 'body' });
  }
  return parsed as Record<string, unknown>;
}

/** Query `limit`: a positive safe integer written in decimal digits (the clients' rule). */
export const limitSchema = z
  .string()
  .refine((s) => /^[0-9]{1,16}$/.test(s) && Number.isSafeInteger(Number(s)) && Number(s) > 0, {
    error: 'must be a positive safe integer',
  })
  .transform(Number);

/** The named query parameters as an object (absent ones omitted); a parameter given twice is rejected rather than guessed. */
export function queryObject(query: URLSearchParams, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const values = query.getAll(name);
    if (values.length > 1) throw invalidField(name, 'must be given at most once');
    if (values.length === 1) out[name] = values[0]!;
  }
  return out;
}

/** The text of each response the app made, so the socket adapter can write it without reading a stream back. */
export const responseText = new WeakMap<Response, string>();

function respond(status: number, text: string | null, headers: Record<string, string>): Response {
  const res = new Response(text, { status, headers });
  if (text !== null) responseText.set(res, text);
  return res;
}

/** A JSON response. */
export const json = (status: number, body: unknown, headers: Record<string, string> = {}): Response =>
  respond(status, JSON.stringify(body), { 'Content-Type': 'application/json; charset=utf-8', ...headers });

/** The error envelope `{ error: { code, message, field? }, meta }`. */
export const errorBody = (meta: ResponseMeta, code: string, message: string, field?: string) => ({
  error: field ? { code, message, field } : { code, message },
  meta,
});

// The hosted page loads nothing from elsewhere; forms post back to the sandbox, which redirects to
// the shop (so no form-action restriction: Chrome applies it to redirects). `same-origin` referrers
// make the browser send the page's real Origin on its own form posts (`no-referrer` would send "null").
const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy':
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
};

/** An HTML page. */
export const html = (status: number, page: string, headers: Record<string, string> = {}): Response =>
  respond(status, page, { ...PAGE_HEADERS, ...headers });

/** A 303 See Other to `location`. */
export const redirect = (location: string): Response => respond(303, null, { Location: location });
