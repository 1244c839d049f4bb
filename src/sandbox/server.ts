/**
 * The request dispatcher: `/v1` API (faults, routing, auth, body, idempotency,
 * envelopes), `/__sandbox` control routes (loopback clients only), `/pay`
 * hosted pages. Bad input never becomes a 500, and nothing a client sends can
 * crash the process.
 */
import { timingSafeEqualString } from '../core/crypto.js';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SiglumeValidationError } from '../core/errors.js';
import { SandboxHttpError } from './errors.js';
import { readBody, sendError, sendJson, type ResponseMeta } from './http.js';
import { IdempotencyStore, type StoredResponse } from './idempotency.js';
import { newId } from './ids.js';
import type { Route, RouteAuth, Router } from './router.js';
import type { SandboxRuntime } from './runtime.js';
import { handlePayPage } from './routes/pay-page.js';

/** The routers the dispatcher serves. */
export interface SandboxRouters {
  api: Router;
  control: Router;
}

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;

function checkAuth(rt: SandboxRuntime, req: IncomingMessage, auth: RouteAuth): void {
  if (auth === 'none') return;
  const needed = auth === 'merchant' ? 'the merchant token (SIGLUME_MERCHANT_AUTH_TOKEN)' : 'the buyer token (SIGLUME_AUTH_TOKEN)';
  const header = req.headers.authorization;
  const match = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (!match) {
    throw new SandboxHttpError(401, 'UNAUTHORIZED', `Missing bearer token: send "Authorization: Bearer <token>" with ${needed}.`);
  }
  const token = match[1]!;
  const isMerchant = timingSafeEqualString(token, rt.options.token);
  const isBuyer = timingSafeEqualString(token, rt.options.buyerToken);
  if (!isMerchant && !isBuyer) {
    throw new SandboxHttpError(401, 'UNAUTHORIZED', `The bearer token is not valid for this sandbox; this route needs ${needed}.`);
  }
  if ((auth === 'merchant' && !isMerchant) || (auth === 'buyer' && !isBuyer)) {
    const sent = isMerchant ? 'the merchant token' : 'the buyer token';
    throw new SandboxHttpError(403, 'FORBIDDEN', `This route needs ${needed}; the request sent ${sent}.`);
  }
}

function errorEnvelope(error: unknown, meta: ResponseMeta, rt: SandboxRuntime): StoredResponse {
  if (error instanceof SandboxHttpError) {
    const e: Record<string, string> = { code: error.code, message: error.message };
    if (error.field) e.field = error.field;
    return { status: error.status, body: { error: e, meta }, headers: error.headers };
  }
  if (error instanceof SiglumeValidationError) {
    return { status: 422, body: { error: { code: 'VALIDATION_ERROR', message: error.message, field: error.field }, meta } };
  }
  rt.log({ kind: 'error', message: `Unexpected sandbox error: ${error instanceof Error ? error.message : String(error)}` });
  return { status: 500, body: { error: { code: 'INTERNAL_ERROR', message: 'The sandbox failed to handle this request.' }, meta } };
}

async function parseJsonBody(req: IncomingMessage): Promise<{ body: Record<string, unknown>; raw: string }> {
  const result = await readBody(req);
  if (result.kind === 'too_large') {
    throw new SandboxHttpError(413, 'PAYLOAD_TOO_LARGE', 'The request body is larger than 64 KiB.', {
      headers: result.destroy ? { Connection: 'close' } : {},
    });
  }
  if (result.kind === 'aborted') throw new SandboxHttpError(400, 'REQUEST_ABORTED', 'The request body was not received completely.');
  const raw = result.text;
  if (raw.trim() === '') return { body: {}, raw };
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new SandboxHttpError(400, 'INVALID_JSON', 'The request body is not valid JSON.');
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new SandboxHttpError(422, 'VALIDATION_ERROR', 'Invalid body: must be a JSON object', { field: 'body' });
  }
  return { body: parsed as Record<string, unknown>, raw };
}

async function execute(
  rt: SandboxRuntime,
  route: Route,
  params: Record<string, string>,
  query: URLSearchParams,
  body: Record<string, unknown>,
  meta: ResponseMeta,
): Promise<StoredResponse> {
  try {
    const result = await route.handler({ rt, params, query, body, requestId: meta.request_id });
    return { status: result.status ?? 200, body: { data: result.data, meta } };
  } catch (error) {
    return errorEnvelope(error, meta, rt);
  }
}

function decodeSegments(pathname: string): string[] {
  try {
    return pathname.split('/').slice(1).map((s) => decodeURIComponent(s));
  } catch {
    throw new SandboxHttpError(400, 'INVALID_PATH', 'The request path is not valid percent-encoding.');
  }
}

function isLoopback(address: string | undefined): boolean {
  return address === '127.0.0.1' || address === '::1' || address === '::ffff:127.0.0.1' || !!address?.startsWith('127.');
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Builds the `(req, res)` handler of a sandbox. */
export function createRequestHandler(rt: SandboxRuntime, routers: SandboxRouters) {
  const idempotency = new IdempotencyStore();

  async function api(req: IncomingMessage, res: ServerResponse, segments: string[], query: URLSearchParams, meta: ResponseMeta, control: boolean) {
    if (!control) {
      const fault = rt.faults.next();
      if (fault.kind === 'drop') {
        req.socket.destroy();
        return;
      }
      if (fault.latencyMs > 0) await sleep(fault.latencyMs);
      if (fault.kind === 'rate_limit') {
        req.resume();
        return sendError(res, 429, 'RATE_LIMITED', 'Too many requests (injected by the sandbox fault settings).', meta, {
          headers: { 'Retry-After': String(fault.retryAfterSeconds) },
        });
      }
      if (fault.kind === 'unavailable') {
        req.resume();
        return sendError(res, 503, 'SERVICE_UNAVAILABLE', 'Service temporarily unavailable (injected by the sandbox fault settings).', meta);
      }
    } else if (!isLoopback(req.socket.remoteAddress)) {
      req.resume();
      return sendError(res, 403, 'CONTROL_FORBIDDEN', 'The /__sandbox control routes answer only loopback clients.', meta);
    }
    const match = (control ? routers.control : routers.api).match(req.method ?? 'GET', segments);
    if (match.kind !== 'found') {
      req.resume();
      if (match.kind === 'method_not_allowed') {
        return sendError(res, 405, 'METHOD_NOT_ALLOWED', `Use ${match.allow.join(' or ')} on this route.`, meta, {
          headers: { Allow: match.allow.join(', ') },
        });
      }
      return sendError(res, 404, 'ROUTE_NOT_FOUND', `No route matches ${req.method} /${control ? '__sandbox' : 'v1'}/${segments.join('/')}.`, meta);
    }
    const { route, params } = match;
    checkAuth(rt, req, route.auth);
    let body: Record<string, unknown> = {};
    let raw = '';
    if (route.method === 'POST') ({ body, raw } = await parseJsonBody(req));
    else req.resume();

    const key = req.headers['idempotency-key'];
    let outcome: { response: StoredResponse; replayed: boolean };
    if (route.method === 'POST' && typeof key === 'string' && !control) {
      if (!IDEMPOTENCY_KEY.test(key)) {
        throw new SandboxHttpError(400, 'INVALID_IDEMPOTENCY_KEY', 'Idempotency-Key must be 1-255 printable ASCII characters without spaces.');
      }
      outcome = await idempotency.run(`${route.auth}\n${route.pattern}\n${JSON.stringify(params)}\n${key}`, raw, () =>
        execute(rt, route, params, query, body, meta),
      );
    } else {
      outcome = { response: await execute(rt, route, params, query, body, meta), replayed: false };
    }
    const headers = { ...outcome.response.headers, ...(outcome.replayed ? { 'Idempotent-Replayed': 'true' } : {}) };
    sendJson(res, outcome.response.status, outcome.response.body, meta.request_id, headers);
  }

  async function dispatch(req: IncomingMessage, res: ServerResponse, meta: ResponseMeta): Promise<void> {
    // Split by hand: `new URL` would read a path such as `//x/y` as a host.
    const target = req.url ?? '/';
    const q = target.indexOf('?');
    const pathname = q === -1 ? target : target.slice(0, q);
    const query = new URLSearchParams(q === -1 ? '' : target.slice(q + 1));
    const segments = decodeSegments(pathname.startsWith('/') ? pathname : `/${pathname}`);
    const head = segments[0];
    if (head === 'v1') return api(req, res, segments.slice(1), query, meta, false);
    if (head === '__sandbox') return api(req, res, segments.slice(1), query, meta, true);
    if (head === 'pay') return handlePayPage(rt, req, res, segments.slice(1), meta.request_id);
    req.resume();
    if (pathname === '/' && req.method === 'GET') {
      return sendJson(res, 200, { data: { service: 'siglume-sdrp-sandbox', api_base: `${rt.baseUrl()}/v1` }, meta }, meta.request_id);
    }
    sendError(res, 404, 'ROUTE_NOT_FOUND', `No route matches ${req.method} ${pathname}. The API lives under /v1.`, meta);
  }

  return (req: IncomingMessage, res: ServerResponse): void => {
    const started = performance.now();
    const meta: ResponseMeta = { request_id: newId('req'), trace_id: newId('trace') };
    res.on('finish', () => {
      rt.log({
        kind: 'request',
        method: req.method ?? '',
        path: (req.url ?? '').split('?')[0] ?? '',
        status: res.statusCode,
        duration_ms: Math.round((performance.now() - started) * 10) / 10,
        request_id: meta.request_id,
      });
    });
    dispatch(req, res, meta).catch((error: unknown) => {
      const r = errorEnvelope(error, meta, rt);
      sendJson(res, r.status, r.body, meta.request_id, r.headers);
      if (r.headers?.Connection === 'close') res.on('finish', () => req.socket.destroy());
    });
  };
}
