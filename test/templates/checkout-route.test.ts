import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestWebhookEvent } from '@siglume/direct-request-payment/testing';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DATABASE_URL, createTestSchema, insertOrder, orderRow, skipPostgres, type TestSchema } from './support/pg.js';
import { TEST_MERCHANT, TEST_SECRET, TEST_TOKEN, startTestApp, type TestApp } from './support/app.js';

/** A stand-in for Siglume's checkout-session endpoint that records what it was sent. */
interface FakeSiglume {
  apiBase: string;
  requests: Array<{ auth: string | undefined; body: Record<string, unknown> }>;
  answer: { status: number; body: unknown } | null; // null: create a session
  close(): Promise<void>;
}

async function startFakeSiglume(): Promise<FakeSiglume> {
  const fake: FakeSiglume = { apiBase: '', requests: [], answer: null, close: async () => undefined };
  let n = 0;
  const read = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  };
  const server: Server = createServer(async (req, res) => {
    if (req.method !== 'POST' || req.url !== '/v1/sdrp/direct-payments/checkout-sessions') {
      res.writeHead(404).end();
      return;
    }
    const body = await read(req);
    fake.requests.push({ auth: req.headers.authorization, body });
    // Slow enough that concurrent starts overlap.
    await new Promise((r) => setTimeout(r, 15));
    const answer = fake.answer ?? {
      status: 201,
      body: { data: { checkout_url: `https://pay.test/cs_${++n}`, session_id: `cs_${n}`, challenge_hash: `sha256:${body.nonce}-${n}`, status: 'open' } },
    };
    res.writeHead(answer.status, { 'content-type': 'application/json' }).end(JSON.stringify(answer.body));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  fake.apiBase = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  fake.close = () => new Promise((r) => server.close(() => r()));
  return fake;
}

let seq = 0;
const uid = () => `co_${process.pid}_${++seq}`;

describe.skipIf(skipPostgres)('Siglume checkout start route', () => {
  let db: TestSchema;
  let fake: FakeSiglume;
  let app: TestApp;
  let meteredApp: TestApp;

  const start = async (target: TestApp, body: unknown, user: string | null = 'alice') => {
    const res = await fetch(`${target.url}/payments/checkout/siglume/start`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(user ? { 'x-test-user': user } : {}) },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };

  beforeAll(async () => {
    db = await createTestSchema();
    fake = await startFakeSiglume();
    app = await startTestApp({ database_url: DATABASE_URL, schema: db.name, siglume_api_base: fake.apiBase });
    meteredApp = await startTestApp({ database_url: DATABASE_URL, schema: db.name, siglume_api_base: fake.apiBase, allow_metered_payments: true });
  });
  beforeEach(() => {
    fake.requests.length = 0;
    fake.answer = null;
  });
  afterAll(async () => {
    await app?.close();
    await meteredApp?.close();
    await fake?.close();
    await db?.drop();
  });

  describe('when the signed-in owner starts a Standard checkout', () => {
    it('creates a session for the server-side amount, ignoring any amount the client sent', async () => {
      const orderId = uid();
      await insertOrder(db.pool, { order_id: orderId, user_id: 'alice', amount_minor: 4200 });
      const res = await start(app, { order_id: orderId, amount_minor: 1, currency: 'USD' });
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ checkout_url: `https://pay.test/${res.body.session_id}`, session_id: expect.stringMatching(/^cs_\d+$/) });
      expect(fake.requests).toHaveLength(1);
      const sent = fake.requests[0]!;
      expect(sent.auth).toBe(`Bearer ${TEST_TOKEN}`);
      expect(sent.body).toMatchObject({
        merchant: 'shop_test', amount_minor: 4200, currency: 'JPY',
        success_url: `${app.url}/checkout/siglume/success?order_id=${orderId}`,
        cancel_url: `${app.url}/checkout/siglume/cancel?order_id=${orderId}`,
      });
      expect(String(sent.body.nonce)).not.toContain(':');
    });

    it('returns the same session again on a second start instead of creating another', async () => {
      const orderId = uid();
      await insertOrder(db.pool, { order_id: orderId, user_id: 'alice', amount_minor: 4200 });
      const first = await start(app, { order_id: orderId });
      const second = await start(app, { order_id: orderId });
      expect(second).toEqual(first);
      expect(fake.requests).toHaveLength(1);
    });

    it('hands every one of 8 concurrent starts the same session', async () => {
      const orderId = uid();
      await insertOrder(db.pool, { order_id: orderId, user_id: 'alice', amount_minor: 4200 });
      const results = await Promise.all(Array.from({ length: 8 }, () => start(app, { order_id: orderId })));
      expect(results.every((r) => r.status === 200)).toBe(true);
      expect(new Set(results.map((r) => r.body.session_id)).size).toBe(1);
      // All of them signed the same stable nonce.
      expect(new Set(fake.requests.map((r) => r.body.nonce)).size).toBe(1);
    });
  });

  const attemptOf = async (sessionId: string) =>
    (await db.pool.query('SELECT attempt_id, nonce, status, challenge_hash FROM siglume_checkout_attempts WHERE checkout_session_id = $1', [sessionId])).rows[0];

  describe('when the order is re-priced after a session was handed out', () => {
    it('does not mark the order paid when the old (superseded) session is paid at the old price: review PAYMENT_MISMATCH, 204', async () => {
      const orderId = uid();
      await insertOrder(db.pool, { order_id: orderId, user_id: 'alice', amount_minor: 1000 });
      const first = await start(app, { order_id: orderId });
      expect(first.status).toBe(200);
      await db.pool.query('UPDATE orders SET amount_minor = 5000 WHERE order_id = $1', [orderId]);
      const second = await start(app, { order_id: orderId });
      expect(second.status).toBe(200);
      expect(second.body.session_id).not.toBe(first.body.session_id);
      expect(fake.requests.map((r) => r.body.amount_minor)).toEqual([1000, 5000]);
      const old = await attemptOf(first.body.session_id);
      expect(old.status).toBe('superseded');

      // The buyer pays the first session, still open at Siglume, at 1000.
      const paid = await createTestWebhookEvent('standard_settled', {
        secret: TEST_SECRET, merchant: TEST_MERCHANT, amount_minor: 1000, data: { challenge_hash: old.challenge_hash },
      });
      const res = await fetch(`${app.url}/payments/webhooks/siglume`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'siglume-signature': paid.header }, body: paid.raw_body,
      });
      expect(res.status).toBe(204);
      expect((await orderRow(db.pool, orderId)).status).toBe('pending');
      const reviews = (await db.pool.query('SELECT code, order_id FROM siglume_payment_reviews WHERE event_id = $1', [paid.event.id])).rows;
      expect(reviews).toEqual([{ code: 'PAYMENT_MISMATCH', order_id: orderId }]);
    });
  });

  describe('when Siglume did not say when the session expires', () => {
    it('re-uses the session within the default lifetime, and makes a new attempt with a new nonce after it', async () => {
      const orderId = uid();
      await insertOrder(db.pool, { order_id: orderId, user_id: 'alice', amount_minor: 4200 });
      const first = await start(app, { order_id: orderId });
      const a1 = await attemptOf(first.body.session_id);
      expect((await db.pool.query('SELECT expires_at FROM siglume_checkout_attempts WHERE attempt_id = $1', [a1.attempt_id])).rows[0].expires_at).toBeNull();

      await db.pool.query("UPDATE siglume_checkout_attempts SET updated_at = now() - interval '20 minutes' WHERE attempt_id = $1", [a1.attempt_id]);
      expect(await start(app, { order_id: orderId })).toEqual(first);
      expect(fake.requests).toHaveLength(1);

      await db.pool.query("UPDATE siglume_checkout_attempts SET updated_at = now() - interval '31 minutes' WHERE attempt_id = $1", [a1.attempt_id]);
      const later = await start(app, { order_id: orderId });
      expect(later.status).toBe(200);
      expect(later.body.session_id).not.toBe(first.body.session_id);
      expect(fake.requests).toHaveLength(2);
      expect(fake.requests[1]!.body.nonce).not.toBe(fake.requests[0]!.body.nonce);
      expect((await attemptOf(first.body.session_id)).status).toBe('expired');
    });
  });

  describe('when the store fails', () => {
    it('answers 500 checkout_failed, and a retry after a lost session write signs the same nonce', async () => {
      let failWrites = 1;
      const flaky = await startTestApp({
        database_url: DATABASE_URL,
        schema: db.name,
        siglume_api_base: fake.apiBase,
        wrapStore: (store) => ({
          beginCheckoutAttempt: (id, req) => (id === 'explode' ? Promise.reject(new Error('db down')) : store.beginCheckoutAttempt(id, req)),
          markCheckoutPending: (a, sess) => (failWrites-- > 0 ? Promise.reject(new Error('db down')) : store.markCheckoutPending(a, sess)),
          processWebhookEventOnce: (id, h) => store.processWebhookEventOnce(id, h),
        }),
      });
      try {
        expect(await start(flaky, { order_id: 'explode' })).toMatchObject({ status: 500, body: { error: 'checkout_failed' } });
        const orderId = uid();
        await insertOrder(db.pool, { order_id: orderId, user_id: 'alice', amount_minor: 4200 });
        expect((await start(flaky, { order_id: orderId })).status).toBe(500);
        expect((await start(flaky, { order_id: orderId })).status).toBe(200);
        const nonces = fake.requests.map((r) => r.body.nonce);
        expect(nonces).toHaveLength(2);
        expect(nonces[0]).toBe(nonces[1]);
      } finally {
        await flaky.close();
      }
    });
  });

  describe('when the order cannot be started', () => {
    it('answers 404 order_not_found for a missing order, another user\'s order, or nobody signed in', async () => {
      const orderId = uid();
      await insertOrder(db.pool, { order_id: orderId, user_id: 'alice', amount_minor: 4200 });
      for (const [id, user] of [['missing', 'alice'], [orderId, 'mallory'], [orderId, null]] as const) {
        expect(await start(app, { order_id: id }, user)).toMatchObject({ status: 404, body: { error: 'order_not_found' } });
      }
      expect(fake.requests).toHaveLength(0);
    });

    it('answers 400 invalid_order_id without an order id', async () => {
      expect(await start(app, { amount_minor: 4200 })).toMatchObject({ status: 400, body: { error: 'invalid_order_id' } });
    });

    it('answers 409 order_not_payable for a paid order', async () => {
      const orderId = uid();
      await insertOrder(db.pool, { order_id: orderId, user_id: 'alice', amount_minor: 4200 });
      await db.pool.query("UPDATE orders SET status = 'paid' WHERE order_id = $1", [orderId]);
      expect(await start(app, { order_id: orderId })).toMatchObject({ status: 409, body: { error: 'order_not_payable' } });
      expect(fake.requests).toHaveLength(0);
    });

    it('answers 409 METERED_INTEGRATION_REQUIRED for a Micro amount in a Standard-only shop, and starts it when metered is enabled', async () => {
      const orderId = uid();
      await insertOrder(db.pool, { order_id: orderId, user_id: 'alice', amount_minor: 120 });
      expect(await start(app, { order_id: orderId })).toMatchObject({ status: 409, body: { error: 'METERED_INTEGRATION_REQUIRED' } });
      expect(fake.requests).toHaveLength(0);
      expect((await start(meteredApp, { order_id: orderId })).status).toBe(200);
      expect(fake.requests[0]?.body.amount_minor).toBe(120);
    });

    it.each([
      [409, 'HOSTED_CHECKOUT_NOT_ENABLED'],
      [404, 'ROUTE_NOT_FOUND'],
    ])('answers 409 hosted_checkout_not_enabled when Siglume says %i %s', async (status, code) => {
      const orderId = uid();
      await insertOrder(db.pool, { order_id: orderId, user_id: 'alice', amount_minor: 4200 });
      fake.answer = { status, body: { error: { code, message: 'nope' } } };
      expect(await start(app, { order_id: orderId })).toMatchObject({ status: 409, body: { error: 'hosted_checkout_not_enabled' } });
    });

    it('answers 502 checkout_unavailable for other Siglume errors, without leaking the token', async () => {
      const orderId = uid();
      await insertOrder(db.pool, { order_id: orderId, user_id: 'alice', amount_minor: 4200 });
      fake.answer = { status: 400, body: { error: { code: 'INVALID_INPUT', message: 'bad' } } };
      const res = await start(app, { order_id: orderId });
      expect(res).toMatchObject({ status: 502, body: { error: 'checkout_unavailable' } });
      expect(JSON.stringify(res.body)).not.toContain(TEST_TOKEN);
    });
  });
});
