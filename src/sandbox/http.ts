/**
 * Low-level HTTP helpers: bounded body reading, JSON envelopes, HTML and
 * redirects. Every response carries `X-Request-Id`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Largest accepted request body. */
export const MAX_BODY_BYTES = 64 * 1024;

// Bodies between the limit and this size are read and discarded before the
// 413 goes out, so the client sees the answer instead of a reset socket.
const DRAIN_LIMIT_BYTES = 8 * 1024 * 1024;

/** Outcome of reading a request body. */
export type BodyResult = { kind: 'ok'; text: string } | { kind: 'too_large'; destroy: boolean } | { kind: 'aborted' };

/** Reads the body, stopping at {@link MAX_BODY_BYTES}. */
export function readBody(req: IncomingMessage, limit = MAX_BODY_BYTES): Promise<BodyResult> {
  // A client that gave up (e.g. during injected latency) before its body arrived.
  if (req.destroyed && !req.complete) return Promise.resolve({ kind: 'aborted' });
  const declared = Number(req.headers['content-length']);
  if (Number.isFinite(declared) && declared > DRAIN_LIMIT_BYTES) {
    return Promise.resolve({ kind: 'too_large', destroy: true });
  }
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const finish = (result: BodyResult) => {
      if (done) return;
      done = true;
      resolve(result);
    };
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > DRAIN_LIMIT_BYTES) {
        req.removeAllListeners('data');
        req.pause();
        finish({ kind: 'too_large', destroy: true });
        return;
      }
      if (size <= limit) chunks.push(chunk);
    });
    req.on('end', () => {
      if (size > limit) finish({ kind: 'too_large', destroy: false });
      else finish({ kind: 'ok', text: Buffer.concat(chunks, size).toString('utf8') });
    });
    req.on('error', () => finish({ kind: 'aborted' }));
    req.on('close', () => finish({ kind: 'aborted' }));
  });
}

/** `meta` of every envelope. */
export interface ResponseMeta {
  request_id: string;
  trace_id: string;
}

const BASE_HEADERS = {
  'Cache-Control': 'no-store',
  'X-Content-Type-Options': 'nosniff',
} as const;

/** Sends a JSON body with the standard headers. */
export function sendJson(
  res: ServerResponse,
  status: number,
  body: unknown,
  requestId: string,
  headers: Record<string, string> = {},
): void {
  if (res.headersSent || res.destroyed) return;
  const text = JSON.stringify(body);
  res.writeHead(status, {
    ...BASE_HEADERS,
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text),
    'X-Request-Id': requestId,
    ...headers,
  });
  res.end(text);
}

/** Sends `{ data, meta }`. */
export function sendData(res: ServerResponse, status: number, data: unknown, meta: ResponseMeta): void {
  sendJson(res, status, { data, meta }, meta.request_id);
}

/** Sends `{ error: { code, message, field? }, meta }`. */
export function sendError(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  meta: ResponseMeta,
  options: { field?: string; headers?: Record<string, string> } = {},
): void {
  const error: Record<string, string> = { code, message };
  if (options.field) error.field = options.field;
  sendJson(res, status, { error, meta }, meta.request_id, options.headers);
}

// The hosted page loads nothing from elsewhere; forms post back to the sandbox,
// which redirects to the shop (so no form-action restriction: Chrome applies it to redirects).
const PAGE_CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; frame-ancestors 'none'";

/** Sends an HTML page. */
export function sendHtml(res: ServerResponse, status: number, html: string, requestId: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(status, {
    ...BASE_HEADERS,
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(html),
    'Content-Security-Policy': PAGE_CSP,
    'Referrer-Policy': 'no-referrer',
    'X-Frame-Options': 'DENY',
    'X-Request-Id': requestId,
  });
  res.end(html);
}

/** Sends a 303 See Other to `location`. */
export function sendRedirect(res: ServerResponse, location: string, requestId: string): void {
  if (res.headersSent || res.destroyed) return;
  res.writeHead(303, { ...BASE_HEADERS, Location: location, 'Content-Length': 0, 'X-Request-Id': requestId });
  res.end();
}
