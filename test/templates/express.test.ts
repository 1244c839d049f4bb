/**
 * The Express template as a merchant runs it (test/templates/support):
 * a buyer pays in real Chromium on the sandbox's hosted page and the order is
 * paid exactly once; the router's own body handling answers bad input 4xx
 * and a JSON parser mounted first 500 without writing anything.
 */
import { existsSync } from 'node:fs';
import { createServer } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import express from 'express';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { ConformanceDatabase } from '../orders/support/adapter.js';
import { attempts, count, eventOutcomes, insertOrder, orderStatus, payment, uid, waitFor } from '../orders/support/conformance.js';
import { postgresAdapter } from '../orders/support/postgres.js';
import { buildWebhookSignatureHeader } from '../../src/webhooks/signature.js';
import { createOrderCheckoutService, type OrderCheckoutService, type OrderStore } from '../../src/orders/index.js';
import type { OrderCheckoutClient } from '../../src/orders/confirm.js';
import type * as Checkout from '../../templates/express/siglume-checkout.js';
import { copiedTemplate } from './support/copied.js';
import { expectCheckoutFailed, FAILING_USER_ERROR, recordingCheckoutService } from './support/recording-service.js';
import { startExpressShop, type ExpressShop } from './support/express-shop.js';
import { expectSchedulerPostsAnswered, SCHEDULER_PATH, schedulerService } from './support/scheduler-posts.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const noBrowser = !existsSync(CHROMIUM) && process.env.CI !== 'true';
if (noBrowser) console.warn(`[templates] browser test skipped: no Chromium at ${CHROMIUM} (apt-get install chromium).`);
const unavailable = await postgresAdapter.unavailable();

async function post(shop: ExpressShop, path: string, body: string, headers: Record<string, string>) {
  const res = await fetch(`${shop.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

describe.skipIf(unavailable !== null)('the Express template', () => {
  let db: ConformanceDatabase;
  let shop: ExpressShop;
  let browser: Browser | null = null;

  beforeAll(async () => {
    db = await postgresAdapter.createDatabase();
    shop = await startExpressShop(db);
  });
  afterAll(async () => {
    await browser?.close();
    await shop?.close();
    await db?.drop();
  });

  describe.skipIf(noBrowser)('when a buyer pays in a real browser', () => {
    it('starts the checkout, pays on the hosted page, lands on the success page, and the order is paid exactly once', async () => {
      const order_id = uid('ord');
      await insertOrder(db, { order_id, amount_minor: 4200 });
      const start = await post(shop, '/payments/checkout/siglume/start', JSON.stringify({ order_id }), { 'x-test-user': 'alice' });
      expect(start.status).toBe(200);
      const { checkout_url, session_id } = start.body as { checkout_url: string; session_id: string };

      browser = await chromium.launch({
        executablePath: CHROMIUM,
        timeout: 30_000,
        args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update'],
      });
      const page = await browser.newPage();
      await page.goto(checkout_url);
      await Promise.all([page.waitForURL(`${shop.url}/checkout/siglume/success**`, { timeout: 20_000 }), page.click('#pay-button')]);
      expect(await page.textContent('#shop-page')).toBe('Thank you');
      expect(shop.pageHits.some((h) => h.startsWith(`/checkout/siglume/success?order_id=${order_id}`))).toBe(true);

      await waitFor(async () => (await orderStatus(db, order_id)) === 'paid', 'the order to be paid');
      const session = shop.sandbox.session(session_id)!;
      expect(await payment(db, order_id)).toMatchObject({ requirement_id: session.requirement_id, chain_receipt_id: session.chain_receipt_id, payment_status: 'paid' });
      expect(await eventOutcomes(db, session.event_id!)).toEqual(['marked_paid']);
      // A redelivery changes nothing.
      expect((await shop.sandbox.redeliver(session.event_id!)).map((d) => d.response_status)).toEqual([204]);
      expect(await count(db, 'siglume_webhook_events WHERE event_id = ?', [session.event_id])).toBe(1);
      expect(await attempts(db, order_id)).toHaveLength(1);
    }, 60_000);
  });

  it('answers malformed, oversized and unauthorized checkout starts with a 4xx and a code', async () => {
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 4200 });
    const start = (body: string, user: string | null = 'alice') => post(shop, '/payments/checkout/siglume/start', body, user ? { 'x-test-user': user } : {});
    expect(await start('{"order_id":')).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    expect(await start(JSON.stringify({ order_id: 'a\u0000b' }))).toMatchObject({ status: 400, body: { error: 'invalid_order_id' } });
    expect(await start(JSON.stringify({ order_id, pad: 'x'.repeat(20_000) }))).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
    expect(await start(JSON.stringify({ order_id }), 'mallory')).toMatchObject({ status: 404, body: { error: 'order_not_found' } });
    expect(await start(JSON.stringify({ order_id }), null)).toMatchObject({ status: 404, body: { error: 'order_not_found' } });
    // Not JSON (curl -d sends a form; a page on another site can send text/plain), or no Content-Type: say which header to send.
    const jsonOnly = { status: 400, body: { error: 'invalid_request', message: expect.stringContaining('Content-Type: application/json') } };
    for (const type of ['application/x-www-form-urlencoded', 'text/plain']) {
      expect(await post(shop, '/payments/checkout/siglume/start', JSON.stringify({ order_id }), { 'x-test-user': 'alice', 'content-type': type })).toMatchObject(jsonOnly);
    }
    const bare = await fetch(`${shop.url}/payments/checkout/siglume/start`, { method: 'POST', headers: { 'x-test-user': 'alice' }, body: new TextEncoder().encode(JSON.stringify({ order_id })) });
    expect({ status: bare.status, body: await bare.json() }).toMatchObject(jsonOnly);
    expect(await attempts(db, order_id)).toHaveLength(0);
    const notEvent = '{"not":"an event"}';
    const header = await buildWebhookSignatureHeader(shop.sandbox.webhook_secret, notEvent);
    expect(await post(shop, '/payments/webhooks/siglume', notEvent, { 'siglume-signature': header })).toMatchObject({ status: 400, body: { error: 'invalid_payload' } });
    expect(await post(shop, '/payments/webhooks/siglume', 'x'.repeat(1024 * 1024 + 1), {})).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
    // Bodies the parser cannot read: JSON with a code, not Express's HTML page.
    for (const route of ['/payments/webhooks/siglume', '/payments/checkout/siglume/start']) {
      expect(await post(shop, route, 'not gzip at all', { 'content-encoding': 'gzip' })).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
      expect(await post(shop, route, '{}', { 'content-encoding': 'x-unknown' })).toMatchObject({ status: 415, body: { error: 'invalid_request' } });
    }
  });

  it('keeps the reconcile route closed (404 reconcile_disabled) while SIGLUME_RECONCILE_TOKEN is unset, whatever the caller sends', async () => {
    for (const headers of [{}, { authorization: 'Bearer anything-at-all-0123456789abcdef0123' }] as Array<Record<string, string>>) {
      expect(await post(shop, '/payments/siglume/reconcile?min_age_seconds=0', '', headers)).toMatchObject({ status: 404, body: { error: 'reconcile_disabled' } });
    }
  });

  it('says which variable opens the reconcile route: the one a template user sets, not only the library option', async () => {
    const closed = await post(shop, '/payments/siglume/reconcile', '', {});
    expect(closed.body?.message).toContain('SIGLUME_RECONCILE_TOKEN');
  });

  it('refuses every webhook with 500 naming express.raw when express.json() runs first, and records nothing', async () => {
    const wrong = await startExpressShop(db, { json_first: true });
    try {
      const order_id = uid('ord');
      await insertOrder(db, { order_id, amount_minor: 4200 });
      const start = await post(wrong, '/payments/checkout/siglume/start', JSON.stringify({ order_id }), { 'x-test-user': 'alice' });
      expect(start.status).toBe(200);
      const paid = await wrong.sandbox.pay((start.body as { session_id: string }).session_id);
      expect(paid.deliveries.map((d) => d.response_status)).toEqual([500]);
      const e = await wrong.sandbox.signedEvent(paid.event_id!);
      const res = await post(wrong, '/payments/webhooks/siglume', e.rawBody, { 'siglume-signature': e.header });
      expect(res).toMatchObject({ status: 500, body: { error: 'webhook_raw_body_unavailable' } });
      expect(String(res.body?.message)).toContain('express.raw');
      // The template's router mounts express.raw itself: the fix for its user is the order of the two.
      expect(String(res.body?.message)).toContain('mount the router before app.use(express.json())');
      expect(await eventOutcomes(db, paid.event_id!)).toEqual([]);
      expect(await orderStatus(db, order_id)).toBe('pending');
    } finally {
      await wrong.close();
    }
  });

  it('serves a shop under a path (SHOP_BASE_PATH=/store): the buyer returns to /store/... and the order is paid', async () => {
    const under = await startExpressShop(db, { base_path: '/store' });
    try {
      const order_id = uid('ord');
      await insertOrder(db, { order_id, amount_minor: 4200 });
      const start = await post(under, '/store/payments/checkout/siglume/start', JSON.stringify({ order_id }), { 'x-test-user': 'alice' });
      expect(start.status).toBe(200);
      const session_id = (start.body as { session_id: string }).session_id;
      const session = under.sandbox.session(session_id)!;
      expect([session.success_url, session.cancel_url]).toEqual([
        `${under.url}/store/checkout/siglume/success?order_id=${order_id}`, `${under.url}/store/checkout/siglume/cancel?order_id=${order_id}`,
      ]);
      const paid = await under.sandbox.pay(session_id);
      expect(paid.deliveries.map((d) => d.response_status)).toEqual([204]);
      expect(await orderStatus(db, order_id)).toBe('paid');
      expect((await fetch(session.success_url)).status).toBe(200);
      expect(under.pageHits).toEqual([`/store/checkout/siglume/success?order_id=${order_id}`]);
    } finally {
      await under.close();
    }
  });
});

describe('the Express template\'s reconcile route called by a scheduler', () => {
  it('answers a bodyless POST with any Content-Type (curl -d \'\', octet-stream, empty JSON)', async () => {
    const copy = await copiedTemplate('express', 'postgres');
    const { siglumeCheckoutRouter } = await copy.load<typeof Checkout>('siglume-checkout.ts');
    const { service, seen } = schedulerService();
    const app = express();
    app.use(siglumeCheckoutRouter(service, () => null));
    const server = createServer(app);
    try {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      await expectSchedulerPostsAnswered((headers) => fetch(`${url}${SCHEDULER_PATH}`, { method: 'POST', headers, body: '' }), seen);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      copy.remove();
    }
  });
});

describe('the Express template\'s reconcile route while a run is going', () => {
  it('passes on the 409 reconcile_in_progress with Retry-After, so a scheduler knows when to try again', async () => {
    const copy = await copiedTemplate('express', 'postgres');
    const { siglumeCheckoutRouter } = await copy.load<typeof Checkout>('siglume-checkout.ts');
    const body = { error: 'reconcile_in_progress', message: 'A reconciliation is already running', retry_after_seconds: 60 };
    const service = { handleReconcile: async () => ({ kind: 'refused', status: 409, body }) } as unknown as OrderCheckoutService<null>;
    const app = express();
    app.use(siglumeCheckoutRouter(service, () => null));
    const server = createServer(app);
    try {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const { port } = server.address() as AddressInfo;
      const res = await fetch(`http://127.0.0.1:${port}/payments/siglume/reconcile`, { method: 'POST', headers: { authorization: 'Bearer x' } });
      expect(res.status).toBe(409);
      expect(res.headers.get('retry-after')).toBe('60');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(await res.json()).toEqual(body);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      copy.remove();
    }
  });
});

describe('the Express template when currentUser throws', () => {
  /**
   * The copied router behind a loopback server, with `currentUser` given and, after it, `errorHandler` (the
   * merchant's own) when given; `run` gets its base URL.
   */
  async function withRouter(currentUser: () => never, run: (url: string) => Promise<void>, errorHandler?: express.ErrorRequestHandler): Promise<unknown[]> {
    const copy = await copiedTemplate('express', 'postgres');
    const { siglumeCheckoutRouter } = await copy.load<typeof Checkout>('siglume-checkout.ts');
    const { service, started } = recordingCheckoutService();
    const app = express();
    app.use(siglumeCheckoutRouter(service, currentUser));
    if (errorHandler) app.use(errorHandler);
    const server = createServer(app);
    try {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      await run(`http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      copy.remove();
    }
    return started;
  }
  const start = (url: string) =>
    fetch(`${url}/payments/checkout/siglume/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"order_id":"1"}' });

  it('answers 500 checkout_failed as JSON (not Express\'s HTML page with the stack), logs the error and keeps its message out of the answer', async () => {
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const started = await withRouter(() => {
        throw new Error(FAILING_USER_ERROR);
      }, async (url) => {
        const res = await start(url);
        expect(res.headers.get('cache-control')).toBe('no-store');
        await expectCheckoutFailed(res, log.mock.calls);
      });
      expect(started).toEqual([]);
    } finally {
      log.mockRestore();
    }
  });

  it('passes a 4xx the merchant\'s auth chose (an error with status 401) on to the merchant\'s own error handler, untouched', async () => {
    const signIn = Object.assign(new Error('Sign in first'), { status: 401, expose: true });
    const reached: unknown[] = [];
    await withRouter(() => {
      throw signIn;
    }, async (url) => {
      const res = await start(url);
      // The merchant's answer, not the router's "The request body could not be read" 400/401.
      expect([res.status, res.headers.get('www-authenticate'), await res.json()]).toEqual([401, 'Bearer realm="shop"', { error: 'login_required' }]);
    }, (error, _req, res, _next) => {
      reached.push(error);
      res.status(error.status).set('www-authenticate', 'Bearer realm="shop"').json({ error: 'login_required' });
    });
    expect(reached).toEqual([signIn]);
  });
});

describe('the Express template when Siglume gives up on a delivery before its body is read', () => {
  /** A service whose client and store fail if called: only the webhook's own checks run; `reports` gets onError's. */
  function offlineService(secret: string, reports: unknown[]) {
    const unreachable = new Proxy({}, { get: (_, name) => (name === 'then' ? undefined : () => Promise.reject(new Error(`${String(name)} called`))) });
    return createOrderCheckoutService<null>({
      merchant_client: unreachable as OrderCheckoutClient, order_store: unreachable as OrderStore, merchant: 'shop_express', webhook_secret: secret,
      shop_public_origin: 'https://shop.example', allow_unverified_order_lookup: true, onError: (error) => void reports.push(error),
    });
  }

  it('reports nothing: not a wrong signing secret, not a missing raw-body reader (express.raw leaves req.body undefined)', async () => {
    const copy = await copiedTemplate('express', 'postgres');
    const { siglumeCheckoutRouter } = await copy.load<typeof Checkout>('siglume-checkout.ts');
    const secret = 'whsec_express_abort';
    const reports: unknown[] = [];
    const service = offlineService(secret, reports);
    const app = express();
    // A middleware that awaits something (a session store) while the sender's timeout runs out.
    app.use((_req, _res, next) => void setTimeout(next, 300));
    app.use(siglumeCheckoutRouter(service, () => null));
    const server = createServer(app);
    try {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const body = '{"id":"evt_abort","type":"direct_payment.confirmed","api_version":"2026-06-11","occurred_at":"2026-03-01T00:00:00Z","data":{}}';
      const header = await buildWebhookSignatureHeader(secret, body);
      const closed = new Promise<void>((resolve) => server.once('request', (_req, res) => res.once('close', () => resolve())));
      const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
      socket.on('error', () => undefined);
      socket.write(`POST /payments/webhooks/siglume HTTP/1.1\r\nHost: shop\r\nContent-Type: application/json\r\nSiglume-Signature: ${header}\r\nContent-Length: ${body.length}\r\n\r\n${body}`);
      setTimeout(() => socket.destroy(), 50);
      await closed;
      await new Promise((resolve) => setTimeout(resolve, 400)); // past the middleware's wait: the route has run
      expect(reports).toEqual([]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      copy.remove();
    }
  });

  it('answers a signed request sent with no body as any forged one (503), not as a route missing its raw-body reader', async () => {
    const copy = await copiedTemplate('express', 'postgres');
    const { siglumeCheckoutRouter } = await copy.load<typeof Checkout>('siglume-checkout.ts');
    const secret = 'whsec_express_nobody';
    const reports: unknown[] = [];
    const service = offlineService(secret, reports);
    const app = express();
    app.use(siglumeCheckoutRouter(service, () => null));
    const server = createServer(app);
    try {
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      const header = await buildWebhookSignatureHeader(secret, '{"id":"evt_elsewhere"}');
      // No Content-Length and no Transfer-Encoding: express.raw has nothing to read and leaves req.body undefined.
      const answer = await new Promise<string>((resolve, reject) => {
        const socket = connect((server.address() as AddressInfo).port, '127.0.0.1');
        let text = '';
        socket.on('data', (d) => (text += d.toString()));
        socket.on('end', () => resolve(text));
        socket.on('error', reject);
        socket.write(`POST /payments/webhooks/siglume HTTP/1.1\r\nHost: shop\r\nConnection: close\r\nSiglume-Signature: ${header}\r\n\r\n`);
      });
      expect(answer).toMatch(/^HTTP\/1\.1 503 /);
      expect(reports.map((r) => (r as { code?: string }).code)).toEqual(['WEBHOOK_SIGNATURE_MISMATCH']);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      copy.remove();
    }
  });
});
