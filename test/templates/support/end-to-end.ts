/**
 * The end-to-end checks every framework template passes, against the
 * sandbox and a real database: a buyer starts a checkout, the sandbox pays
 * it (its pay control, as the hosted page's Pay button does), and the order
 * is paid exactly once; the template's own body handling answers bad input
 * with a 4xx and a code. Each template's test supplies how to run its app.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConformanceAdapter, ConformanceDatabase } from '../../orders/support/adapter.js';
import { attempts, count, eventOutcomes, insertOrder, orderStatus, payment, uid } from '../../orders/support/conformance.js';
import { orderReconcileEventId } from '../../../src/orders/index.js';
import { startTestSandbox, type TestSandbox } from '../../orders/support/sandbox.js';
import { buildWebhookSignatureHeader } from '../../../src/webhooks/signature.js';

export interface TemplateShop {
  url: string;
  close(): Promise<void>;
}

/**
 * How a test runs its template's app: listen on a free port, then call
 * `connect(url)`, which starts a sandbox for that origin and sets the
 * environment the copied siglume-config.ts reads (so create the service
 * after it). Sign-in is an `x-test-user` header.
 */
export type StartTemplateShop = (db: ConformanceDatabase, connect: (url: string) => Promise<TestSandbox>) => Promise<TemplateShop>;

const MERCHANT = 'shop_template';
const SECRET = 'whsec_template_e2e';
const TOKEN = 'sdrp_template_e2e_token';
const RECONCILE_TOKEN = 'reconcile_template_e2e_0123456789abcdef';

async function post(url: string, body: string, headers: Record<string, string>) {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
}

/** Declares the suite (skipped with the reason printed where the database is unreachable outside CI). */
export async function describeTemplateEndToEnd(title: string, adapter: ConformanceAdapter, startShop: StartTemplateShop): Promise<void> {
  const unavailable = await adapter.unavailable();
  if (unavailable && process.env.CI === 'true') throw new Error(`${title} needs ${adapter.name} in CI: ${unavailable}`);
  if (unavailable) console.warn(`[templates] ${title} skipped: ${unavailable}`);
  describe.skipIf(unavailable !== null)(title, () => {
    let db: ConformanceDatabase;
    let shop: TemplateShop;
    let sandbox: TestSandbox | undefined;

    beforeAll(async () => {
      db = await adapter.createDatabase();
      shop = await startShop(db, async (url) => {
        sandbox = await startTestSandbox({
          merchant: MERCHANT, origin: url, webhook_url: `${url}/payments/webhooks/siglume`, webhook_secret: SECRET, merchant_token: TOKEN,
        });
        Object.assign(process.env, {
          SIGLUME_DIRECT_PAYMENT_MERCHANT: MERCHANT,
          SIGLUME_MERCHANT_AUTH_TOKEN: TOKEN,
          SIGLUME_WEBHOOK_SECRET: SECRET,
          SHOP_PUBLIC_ORIGIN: url,
          SIGLUME_API_BASE: sandbox.api_base,
          SIGLUME_RECONCILE_TOKEN: RECONCILE_TOKEN,
        });
        return sandbox;
      });
    }, 60_000);
    afterAll(async () => {
      await sandbox?.close();
      await shop?.close();
      await db?.drop();
    });

    const start = (body: string, user: string | null = 'alice') =>
      post(`${shop.url}/payments/checkout/siglume/start`, body, user ? { 'x-test-user': user } : {});

    it('starts a checkout, is paid through the sandbox, and marks the order paid exactly once', async () => {
      const order_id = uid('ord');
      await insertOrder(db, { order_id, amount_minor: 4200 });
      const started = await start(JSON.stringify({ order_id }));
      expect(started.status).toBe(200);
      const { session_id, checkout_url } = started.body as { session_id: string; checkout_url: string };
      expect(checkout_url).toContain(session_id);
      expect(await start(JSON.stringify({ order_id }))).toMatchObject({ status: 200, body: { session_id } });

      const paid = await sandbox!.pay(session_id);
      expect(paid.deliveries.map((d) => d.response_status)).toEqual([204]);
      const session = sandbox!.session(session_id)!;
      expect(await orderStatus(db, order_id)).toBe('paid');
      expect(await payment(db, order_id)).toMatchObject({ requirement_id: session.requirement_id, payment_status: 'paid', paid_event_id: paid.event_id });
      expect(await eventOutcomes(db, paid.event_id!)).toEqual(['marked_paid']);
      // Siglume's redelivery changes nothing.
      expect((await sandbox!.redeliver(paid.event_id!)).map((d) => d.response_status)).toEqual([204]);
      expect(await count(db, 'siglume_webhook_events WHERE event_id = ?', [paid.event_id])).toBe(1);
      expect(await attempts(db, order_id)).toHaveLength(1);
      expect(await start(JSON.stringify({ order_id }))).toMatchObject({ status: 409, body: { error: 'order_not_payable' } });
    });

    it('repairs an order whose webhook was lost through the scheduled reconcile route, which refuses callers without the token', async () => {
      const order_id = uid('ord');
      await insertOrder(db, { order_id, amount_minor: 4200 });
      const { session_id } = (await start(JSON.stringify({ order_id }))).body as { session_id: string };
      sandbox!.setFaults({ drop_webhook_deliveries: true });
      const paid = await sandbox!.pay(session_id).finally(() => sandbox!.resetFaults());
      expect(paid.deliveries.map((d) => d.response_status)).toEqual([null]);
      expect(await orderStatus(db, order_id)).toBe('pending');

      const reconcile = async (authorization: string | null, query = '') => {
        const res = await fetch(`${shop.url}/payments/siglume/reconcile${query}`, { method: 'POST', headers: authorization ? { authorization } : {} });
        return { status: res.status, cache: res.headers.get('cache-control'), body: (await res.json()) as Record<string, unknown> };
      };
      expect(await reconcile(null, '?min_age_seconds=0')).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
      expect(await reconcile(`Bearer ${RECONCILE_TOKEN}x`, '?min_age_seconds=0')).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
      expect(await reconcile(`Bearer ${RECONCILE_TOKEN}`, '?min_age=0')).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
      expect(await orderStatus(db, order_id)).toBe('pending');

      const dry = await reconcile(`Bearer ${RECONCILE_TOKEN}`, '?min_age_seconds=0&dry_run=true');
      expect(dry).toMatchObject({ status: 200, cache: 'no-store', body: { ok: true, dry_run: true, repaired: [{ order_id, checkout_session_id: session_id }] } });
      expect(await orderStatus(db, order_id)).toBe('pending');

      const run = await reconcile(`Bearer ${RECONCILE_TOKEN}`, '?min_age_seconds=0');
      expect(run).toMatchObject({ status: 200, body: { ok: true, dry_run: false, review: [], errors: [], repaired: [{ order_id, detail: 'marked_paid' }] } });
      expect(await orderStatus(db, order_id)).toBe('paid');
      expect((await payment(db, order_id))?.paid_event_id).toBe(await orderReconcileEventId(session_id));
      // The real event, delivered once the endpoint is reachable again, changes nothing.
      expect((await sandbox!.redeliver(paid.event_id!)).map((d) => d.response_status)).toEqual([204]);
      expect(await eventOutcomes(db, paid.event_id!)).toEqual(['ignored:already_applied']);
      expect(await count(db, 'siglume_checkout_attempts WHERE order_id = ? AND requirement_id IS NOT NULL', [order_id])).toBe(1);
    });

    it('answers malformed, oversized and unauthorized requests with a 4xx and a code', async () => {
      const order_id = uid('ord');
      await insertOrder(db, { order_id, amount_minor: 4200 });
      expect(await start('{"order_id":')).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
      expect(await start(JSON.stringify({ order_id: 'a\u0000b' }))).toMatchObject({ status: 400, body: { error: 'invalid_order_id' } });
      expect(await start(JSON.stringify({ order_id: 42 }))).toMatchObject({ status: 400, body: { error: 'invalid_order_id' } });
      expect(await start(JSON.stringify({ order_id, pad: 'x'.repeat(20_000) }))).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
      expect(await start(JSON.stringify({ order_id }), 'mallory')).toMatchObject({ status: 404, body: { error: 'order_not_found' } });
      expect(await start(JSON.stringify({ order_id }), null)).toMatchObject({ status: 404, body: { error: 'order_not_found' } });
      const hook = `${shop.url}/payments/webhooks/siglume`;
      const notEvent = '{"not":"an event"}';
      expect(await post(hook, notEvent, { 'siglume-signature': await buildWebhookSignatureHeader(SECRET, notEvent) })).toMatchObject({ status: 400, body: { error: 'invalid_payload' } });
      expect(await post(hook, notEvent, {})).toMatchObject({ status: 400, body: { error: 'invalid_signature' } });
      expect(await post(hook, 'x'.repeat(1024 * 1024 + 1), {})).toMatchObject({ status: 413, body: { error: 'payload_too_large' } });
      expect(await count(db, 'siglume_checkout_attempts WHERE order_id = ?', [order_id])).toBe(0);
    });

    it('starts no checkout from a body a page on another site could send with the buyer\'s cookies (text/plain, a form)', async () => {
      const order_id = uid('ord');
      await insertOrder(db, { order_id, amount_minor: 4200 });
      const url = `${shop.url}/payments/checkout/siglume/start`;
      for (const contentType of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        const answer = await post(url, JSON.stringify({ order_id }), { 'x-test-user': 'alice', 'content-type': contentType, origin: 'https://evil.example' });
        expect(answer, contentType).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
      }
      expect(await count(db, 'siglume_checkout_attempts WHERE order_id = ?', [order_id])).toBe(0);
    });

    it('tells a caller that forgot the JSON Content-Type to send one, rather than that the order id is invalid', async () => {
      const order_id = uid('ord');
      await insertOrder(db, { order_id, amount_minor: 4200 });
      // As `curl -d '{"order_id":"..."}'` sends it (form-encoded), and with no Content-Type at all.
      const url = `${shop.url}/payments/checkout/siglume/start`;
      const form = await post(url, JSON.stringify({ order_id }), { 'x-test-user': 'alice', 'content-type': 'application/x-www-form-urlencoded' });
      expect(form.body?.message).toMatch(/Content-Type: application\/json/);
      const bare = await fetch(url, { method: 'POST', headers: { 'x-test-user': 'alice' }, body: new TextEncoder().encode(JSON.stringify({ order_id })) });
      expect(bare.headers.get('content-type') ?? '').toMatch(/json/);
      expect(bare.status).toBe(400);
      expect(await bare.json()).toMatchObject({ error: 'invalid_request' });
    });
  });
}
