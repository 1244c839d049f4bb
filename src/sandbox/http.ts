/**
 * Web-standard pieces of the sandbox app: the route shape, capped body reading, query input and the
 * responses it sends (JSON envelopes, HTML pages, redirects).
 */
import { MAX_JSON_DEPTH } from '../core/validation.js';
import { SandboxHttpError, invalidField } from './errors.js';

/** `meta` of every envelope. */
export interface ResponseMeta {
  request_id: string;
  trace_id: string;
}

/** hono environment of the sandbox app: the peer address the socket adapter reports (none in-process). */
export type SandboxAppEnv = { Bindings: { remote_address?: string }; Variables: { meta: ResponseMeta; url: URL } };

/** What a handler gets: decoded path parameters, the query, the JSON body (`{}` when none), the bearer token. */
export interface RouteInput {
  params: Record<string, string>;
  query: URLSearchParams;
  body: Record<string, unknown>;
  token: string | null;
}

/** What a handler returns: the `data` of the success envelope, status 200 unless given. */
export type RouteAnswer = { status?: number; data: unknown };

/**
 * One `/v1` or `/__sandbox` route and the token it needs: `schedule` routes take a scheduled
 * authorization's token (the handler checks which), `none` is for the control routes. Handlers throw
 * `SandboxHttpError` or `SiglumeValidationError` for 4xx answers.
 */
export interface Route {
  method: 'GET' | 'POST' | 'DELETE';
  path: string;
  auth: 'merchant' | 'buyer' | 'schedule' | 'none';
  handler: (input: RouteInput) => RouteAnswer | Promise<RouteAnswer>;
}

export function route(method: Route['method'], path: string, auth: Route['auth'], handler: Route['handler']): Route {
  return { method, path, auth, handler };
}

/** Largest accepted request body. */
export const MAX_BODY_BYTES = 64 * 1024;

// Bodies between the limit and this size are read and discarded before the 413 goes out, so the client
// sees the answer instead of a reset socket.
const DRAIN_LIMIT_BYTES = 8 * 1024 * 1024;

/**
 * The body as text, at most {@link MAX_BODY_BYTES}.
 * @throws {SandboxHttpError} 413 `PAYLOAD_TOO_LARGE` (closing the connection past 8 MiB), 400 `REQUEST_ABORTED`.
 */
export async function readBody(req: Request): Promise<string> {
  const tooLarge = (close: boolean) => {
    const headers: Record<string, string> = close ? { Connection: 'close' } : {};
    return new SandboxHttpError(413, 'PAYLOAD_TOO_LARGE', 'The request body is larger than 64 KiB.', { headers });
  };
  const aborted = () => new SandboxHttpError(400, 'REQUEST_ABORTED', 'The request body was not received completely.');
  const declared = req.headers.get('content-length');
  if (Number(declared) > DRAIN_LIMIT_BYTES) throw tooLarge(true);
  // A declared length within the cap bounds the body (HTTP framing): read it whole, the adapter's fast path.
  if (declared !== null && Number(declared) <= MAX_BODY_BYTES) return req.text().catch(() => Promise.reject(aborted()));
  const decoder = new TextDecoder();
  const reader = req.body?.getReader();
  let text = '';
  let size = 0;
  try {
    for (let chunk = await reader?.read(); chunk && !chunk.done; chunk = await reader!.read()) {
      size += chunk.value.byteLength;
      if (size > DRAIN_LIMIT_BYTES) throw tooLarge(true);
      if (size <= MAX_BODY_BYTES) text += decoder.decode(chunk.value, { stream: true });
    }
  } catch (error) {
    void reader?.cancel().catch(() => undefined);
    throw error instanceof SandboxHttpError ? error : aborted();
  }
  if (size > MAX_BODY_BYTES) throw tooLarge(false);
  return text + decoder.decode();
}

/** True when `value` nests arrays / objects deeper than `levels` (iterative, so any depth is safe to check). */
function nestsDeeper(value: unknown, levels: number): boolean {
  const pending: Array<[unknown, number]> = [[value, 1]];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const [item, depth] = next;
    if (item === null || typeof item !== 'object') continue;
    if (depth > levels) return true;
    for (const child of Object.values(item)) pending.push([child, depth + 1]);
  }
  return false;
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
  if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed))
    throw invalidField('body', 'must be a JSON object');
  // 64 KiB of `[` nests far deeper than the stack lasts in the recursive steps after parsing (the input schemas'
  // JSON copy, `structuredClone` of stored records): without a limit such a body was a 500, or was stored and
  // made every later view of it one. Each field's value is level 1, as the clients count metadata.
  for (const [field, value] of Object.entries(parsed)) {
    if (nestsDeeper(value, MAX_JSON_DEPTH))
      throw invalidField(field, `must not nest arrays and objects more than ${MAX_JSON_DEPTH} levels deep`);
  }
  return parsed as Record<string, unknown>;
}

/**
 * The named query parameters as the clients' input objects have them (absent ones left out; `limit`
 * as a number when it is written in digits). A parameter given twice is rejected rather than guessed.
 */
export function queryInput(query: URLSearchParams, names: readonly string[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const name of names) {
    const values = query.getAll(name);
    if (values.length > 1) throw invalidField(name, 'must be given at most once');
    const [value] = values;
    if (value !== undefined) out[name] = name === 'limit' && /^[0-9]{1,16}$/.test(value) ? Number(value) : value;
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

/** The error envelope `{ error: { code, message, field?, ...details }, meta }`. */
export const errorBody = (meta: ResponseMeta, code: string, message: string, field?: string, details = {}) => ({
  error: { code, message, ...(field && { field }), ...details },
  meta,
});

// The hosted page loads nothing from elsewhere; forms post back to the sandbox, which redirects to the
// shop (so no form-action restriction: Chrome applies it to redirects). `same-origin` referrers make the
// browser send the page's real Origin on its own form posts (`no-referrer` would send "null").
const PAGE_HEADERS = {
  'Content-Type': 'text/html; charset=utf-8',
  'Content-Security-Policy': "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; frame-ancestors 'none'",
  'Referrer-Policy': 'same-origin',
  'X-Frame-Options': 'DENY',
};

/** An HTML page. */
export const html = (status: number, page: string, headers: Record<string, string> = {}): Response =>
  respond(status, page, { ...PAGE_HEADERS, ...headers });

/** A 303 See Other to `location`. */
export const redirect = (location: string): Response => respond(303, null, { Location: location });
