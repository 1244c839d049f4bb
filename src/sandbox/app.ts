/**
 * The sandbox as a web-standard app: hono routes built from one {@link SandboxCore}; `app.fetch` is
 * `(Request) => Promise<Response>` and serves both the socket adapter (`node-server.ts`) and the handle's
 * in-process `fetch`. Checks, in order: Host allow-list (every route) -> control routes: loopback peer +
 * same origin; hosted page posts: same origin -> `/v1`: injected faults -> route (404 / 405) -> bearer
 * token -> capped JSON body -> Idempotency-Key -> handler -> after-commit faults. Bad input never becomes
 * a 500: handlers throw `SandboxHttpError` or `SiglumeValidationError`, which become 4xx envelopes.
 */
import { Hono, type Context } from 'hono';
import { timingSafeEqualString } from '../core/crypto.js';
import { SiglumeValidationError } from '../core/errors.js';
import { sleep } from '../core/sleep.js';
import type { SandboxCore } from './core.js';
import { ConnectionDropped, SandboxHttpError } from './errors.js';
import { checkSameOrigin, isLoopbackPeer } from './guards.js';
import { mountPayPage } from './hosted-page.js';
import {
  errorBody,
  json,
  parseJsonObject,
  readBody,
  type ResponseMeta,
  type Route,
  type SandboxAppEnv,
} from './http.js';
import type { StoredResponse } from './idempotency.js';
import { newId } from './records.js';
import { buyerRoutes } from './routes/buyer.js';
import { checkoutRoutes } from './routes/checkout.js';
import { controlRoutes } from './routes/control.js';
import { merchantRoutes } from './routes/merchants.js';
import { meteredRoutes } from './routes/metered.js';
import { recurringRoutes } from './routes/recurring.js';
import { webhookRoutes } from './routes/webhooks.js';

const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,255}$/;
const NEEDED = {
  merchant: 'the merchant token (SIGLUME_MERCHANT_AUTH_TOKEN)',
  buyer: 'the buyer token (SIGLUME_AUTH_TOKEN)',
  schedule: "a scheduled authorization's schedule_token",
};
/** The `/v1` route tables, in mount order (the fuzz suite reads them too). */
export const API_ROUTES = [merchantRoutes, checkoutRoutes, webhookRoutes, buyerRoutes, recurringRoutes, meteredRoutes];
const unauthorized = (message: string) => new SandboxHttpError(401, 'UNAUTHORIZED', message);
const injected = (what: string) => `${what} (injected by the sandbox fault settings).`;

/** The bearer token, after checking it is one the route takes (which schedule token, the handler checks). */
function checkAuth({ options }: SandboxCore, header: string | undefined, auth: Route['auth']): string | null {
  const token = /^Bearer\s+(\S+)\s*$/i.exec(header ?? '')?.[1] ?? null;
  if (auth === 'none') return token;
  const needed = NEEDED[auth];
  if (!token) throw unauthorized(`Missing bearer token: send "Authorization: Bearer <token>" with ${needed}.`);
  const is = (secret: string) => timingSafeEqualString(token, secret);
  const sent = is(options.merchant_token) ? 'merchant' : is(options.buyer_token) ? 'buyer' : null;
  if (auth === 'schedule') {
    if (sent) throw unauthorized(`This route needs ${needed}, not the ${sent} token.`);
  } else if (!sent) {
    throw unauthorized(`The bearer token is not valid for this sandbox; this route needs ${needed}.`);
  } else if (sent !== auth) {
    throw new SandboxHttpError(403, 'FORBIDDEN', `This route needs ${needed}; the request sent the ${sent} token.`);
  }
  return token;
}

/** The answer for a thrown error: 4xx envelopes for known errors, a logged 500 for a bug. */
function errorAnswer(error: unknown, meta: ResponseMeta, core: SandboxCore): StoredResponse {
  if (error instanceof SandboxHttpError) {
    const { field, headers = {}, details } = error.extra;
    return { status: error.status, body: errorBody(meta, error.code, error.message, field, details), headers };
  }
  if (error instanceof SiglumeValidationError) {
    return { status: 422, body: errorBody(meta, 'VALIDATION_ERROR', error.message, error.field), headers: {} };
  }
  core.log({ kind: 'error', message: `Unexpected sandbox error: ${error instanceof Error ? error.message : error}` });
  const body = errorBody(meta, 'INTERNAL_ERROR', 'The sandbox failed to handle this request.');
  return { status: 500, body, headers: {} };
}

/** Waits out an injected delay. Closing the sandbox ends it (no timer outlives close) and drops the request. */
async function faultDelay(core: SandboxCore, ms: number): Promise<void> {
  await sleep(ms, core.closing.signal).catch(() => {});
  if (core.closing.signal.aborted) throw new ConnectionDropped('close');
}

/** Runs one route: auth, body, idempotency, the handler, then the after-commit faults of `/v1`. */
async function runRoute(c: Context<SandboxAppEnv>, core: SandboxCore, route: Route, api: boolean) {
  const { meta } = c.var;
  const token = checkAuth(core, c.req.header('authorization'), route.auth);
  const raw = route.method === 'POST' ? await readBody(c.req.raw) : '';
  const params = c.req.param() as Record<string, string>;
  const input = { params, query: c.var.url.searchParams, body: parseJsonObject(raw), token };
  const execute = async (): Promise<StoredResponse> => {
    try {
      const reply = await route.handler(input);
      return { status: reply.status ?? 200, body: { data: reply.data, meta }, headers: {} };
    } catch (error) {
      return errorAnswer(error, meta, core);
    }
  };
  const post = api && route.method === 'POST';
  const key = post ? c.req.header('idempotency-key') : undefined;
  if (key !== undefined && !IDEMPOTENCY_KEY.test(key)) {
    const message = 'Idempotency-Key must be 1-255 printable ASCII characters without spaces.';
    throw new SandboxHttpError(400, 'INVALID_IDEMPOTENCY_KEY', message);
  }
  // Scoped by caller (token) and route, so one key cannot replay another caller's or another route's answer.
  const scope = `${token}\n${route.path}\n${JSON.stringify(params)}\n${key}`;
  const { response, replayed } =
    key === undefined
      ? { response: await execute(), replayed: false }
      : await core.idempotency.run(scope, raw, execute);
  const after = post ? core.faults.after() : { kind: 'pass' as const };
  if (after.kind === 'drop') throw new ConnectionDropped('drop_after_commit');
  if (after.kind === 'delay') await faultDelay(core, after.delay_ms);
  const { status, body, headers } = response;
  return json(status, body, replayed ? { ...headers, 'Idempotent-Replayed': 'true' } : headers);
}

/** Registers routes under `prefix`, plus a 405 with `Allow` for a known path asked with another method. */
function mount(app: Hono<SandboxAppEnv>, core: SandboxCore, prefix: string, routes: Route[], api: boolean): void {
  const allow = new Map<string, string[]>();
  for (const route of routes) {
    allow.set(prefix + route.path, [...(allow.get(prefix + route.path) ?? []), route.method]);
    app.on(route.method, prefix + route.path, (c) => runRoute(c, core, route, api));
  }
  for (const [path, methods] of allow) {
    const message = `Use ${methods.join(' or ')} on this route.`;
    const error = new SandboxHttpError(405, 'METHOD_NOT_ALLOWED', message, { headers: { Allow: methods.join(', ') } });
    app.all(path, () => Promise.reject(error));
  }
}

export function buildApp(core: SandboxCore): Hono<SandboxAppEnv> {
  const app = new Hono<SandboxAppEnv>();
  app.use(async (c, next) => {
    const started = performance.now();
    const meta = { request_id: newId('req'), trace_id: newId('trace') };
    c.set('meta', meta);
    c.set('url', new URL(c.req.url));
    await next();
    c.res.headers.set('Cache-Control', 'no-store');
    c.res.headers.set('X-Content-Type-Options', 'nosniff');
    c.res.headers.set('X-Request-Id', meta.request_id);
    const duration_ms = Math.round((performance.now() - started) * 10) / 10;
    const entry = { method: c.req.method, path: c.var.url.pathname, status: c.res.status, duration_ms };
    core.log({ kind: 'request', ...entry, request_id: meta.request_id });
  });
  app.use(async (c, next) => {
    core.hosts.check(c.req.raw, c.var.url);
    try {
      for (const segment of c.var.url.pathname.split('/')) decodeURIComponent(segment);
    } catch {
      throw new SandboxHttpError(400, 'INVALID_PATH', 'The request path is not valid percent-encoding.');
    }
    await next();
  });
  app.use('/__sandbox/*', async (c, next) => {
    const message = 'The /__sandbox control routes answer only loopback clients.';
    if (!isLoopbackPeer(c.env?.remote_address)) throw new SandboxHttpError(403, 'CONTROL_FORBIDDEN', message);
    checkSameOrigin(c.req.raw, c.var.url);
    await next();
  });
  app.use('/pay/*', async (c, next) => {
    if (c.req.method === 'POST') checkSameOrigin(c.req.raw, c.var.url);
    await next();
  });
  app.use('/v1/*', async (_c, next) => {
    const fault = core.faults.before();
    if (fault.kind === 'drop') throw new ConnectionDropped('drop_connections');
    if (fault.latency_ms > 0) await faultDelay(core, fault.latency_ms);
    if (fault.kind === 'rate_limit') {
      const headers = { 'Retry-After': String(fault.retry_after_seconds) };
      throw new SandboxHttpError(429, 'RATE_LIMITED', injected('Too many requests'), { headers });
    }
    if (fault.kind === 'unavailable') {
      const message = injected('Service temporarily unavailable');
      throw new SandboxHttpError(503, 'SERVICE_UNAVAILABLE', message);
    }
    await next();
  });
  const api = API_ROUTES.flatMap((routes) => routes(core));
  mount(app, core, '/v1', api, true);
  mount(app, core, '/__sandbox', controlRoutes(core), false);
  mountPayPage(app, core);
  app.get('/', (c) => {
    const data = { service: 'siglume-sdrp-sandbox', api_base: `${core.origin}/v1` };
    return json(200, { data, meta: c.var.meta });
  });
  app.notFound((c) => {
    const path = c.var.url.pathname;
    const hint = /^\/(v1|__sandbox)(\/|$)/.test(path) ? '' : ' The API lives under /v1.';
    return json(404, errorBody(c.var.meta, 'ROUTE_NOT_FOUND', `No route matches ${c.req.method} ${path}.${hint}`));
  });
  app.onError((error, c) => {
    const { status, body, headers } = errorAnswer(error, c.var.meta, core);
    return json(status, body, headers);
  });
  return app;
}
