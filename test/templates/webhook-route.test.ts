import { READINESS_PROBE_MODE, buildWebhookSignatureHeader } from '@siglume/direct-request-payment';
import { createTestWebhookEvent, type TestWebhookEventKind } from '@siglume/direct-request-payment/testing';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertSiglumeSdrpMountOrder, createSiglumeSdrpRouter } from '../../templates/express/siglume-sdrp-routes.js';
import { DATABASE_URL, count, createTestSchema, insertOrderWithSession, orderRow, skipPostgres, type TestSchema } from './support/pg.js';
import { TEST_MERCHANT, TEST_SECRET, startTestApp, type TestApp } from './support/app.js';

let seq = 0;
const uid = (p: string) => `${p}_${process.pid}_${++seq}`;

async function post(app: TestApp, body: string, header: string | null, contentType = 'application/json') {
  const headers: Record<string, string> = { 'content-type': contentType };
  if (header !== null) headers['siglume-signature'] = header;
  const res = await fetch(`${app.url}/payments/webhooks/siglume`, { method: 'POST', headers, body });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : null };
}

/** An order with a stored session, and a signed event of `kind` for its challenge hash. */
async function orderAndEvent(db: TestSchema, kind: TestWebhookEventKind, amount: number, data: Record<string, unknown> = {}) {
  const orderId = uid('ord');
  const challenge_hash = `sha256:${orderId}`;
  await insertOrderWithSession(db.pool, { order_id: orderId, amount_minor: amount, challenge_hash });
  const signed = await createTestWebhookEvent(kind, {
    secret: TEST_SECRET, merchant: TEST_MERCHANT, amount_minor: amount, data: { challenge_hash, ...data },
  });
  return { orderId, ...signed };
}

const eventRows = (db: TestSchema, id: string) => count(db.pool, 'siglume_webhook_events WHERE event_id = $1', [id]);
const reviews = async (db: TestSchema, id: string) =>
  (await db.pool.query('SELECT code, kind, order_id, settlement_batch_id FROM siglume_payment_reviews WHERE event_id = $1', [id])).rows;

describe.skipIf(skipPostgres)('Siglume webhook route (Express + PostgreSQL)', () => {
  let db: TestSchema;
  let standardOnly: TestApp;
  let metered: TestApp;

  beforeAll(async () => {
    db = await createTestSchema();
    standardOnly = await startTestApp({ database_url: DATABASE_URL, schema: db.name });
    metered = await startTestApp({ database_url: DATABASE_URL, schema: db.name, allow_metered_payments: true });
  });
  afterAll(async () => {
    await standardOnly?.close();
    await metered?.close();
    await db?.drop();
  });

  describe('when a Standard payment settles', () => {
    it('answers 204, marks the order paid with requirement id and chain receipt, and acknowledges a redelivery without a second write', async () => {
      const { orderId, raw_body: rawBody, header, event } = await orderAndEvent(db, 'standard_settled', 4200);
      expect((await post(standardOnly, rawBody, header)).status).toBe(204);
      const paid = await orderRow(db.pool, orderId);
      expect(paid).toMatchObject({ status: 'paid', requirement_id: event.data.requirement_id, chain_receipt_id: event.data.chain_receipt_id });
      expect((await post(standardOnly, rawBody, header)).status).toBe(204);
      expect(await orderRow(db.pool, orderId)).toEqual(paid);
      expect(await eventRows(db, event.id)).toBe(1);
    });
  });

  describe('when the request cannot be trusted', () => {
    const cases: Array<[string, (e: { raw_body: string; header: string }) => Promise<[string, string | null]>]> = [
      ['signed with another secret', async (e) => [e.raw_body, await buildWebhookSignatureHeader('whsec_other', e.raw_body)]],
      ['stale by an hour', async (e) => [e.raw_body, await buildWebhookSignatureHeader(TEST_SECRET, e.raw_body, { timestamp: Math.floor(Date.now() / 1000) - 3600 })]],
      ['without a signature header', async (e) => [e.raw_body, null]],
      ['with a body changed after signing', async (e) => [e.raw_body.replace('4200', '4201'), e.header]],
    ];
    it.each(cases)('answers 400 to a delivery %s and changes nothing', async (_name, mutate) => {
      const e = await orderAndEvent(db, 'standard_settled', 4200);
      const [body, header] = await mutate(e);
      const res = await post(standardOnly, body, header);
      expect(res).toMatchObject({ status: 400, body: { error: 'invalid_signature' } });
      // Only the code goes back to the caller, not the verifier's detail.
      expect((res.body as { message: string }).message).toMatch(/^Invalid webhook signature \(WEBHOOK_[A-Z_]+\)$/);
      expect((await orderRow(db.pool, e.orderId)).status).toBe('pending');
      expect(await eventRows(db, e.event.id)).toBe(0);
    });

    it('answers 400 invalid_payload to a signed body that is not an event', async () => {
      const body = '{"id":"evt_x"}';
      const res = await post(standardOnly, body, await buildWebhookSignatureHeader(TEST_SECRET, body));
      expect(res).toMatchObject({ status: 400, body: { error: 'invalid_payload' } });
    });

    it('verifies the bytes whatever the Content-Type says', async () => {
      const e = await orderAndEvent(db, 'standard_settled', 4200);
      expect((await post(standardOnly, e.raw_body, e.header, 'text/plain')).status).toBe(204);
    });
  });

  describe('when express.json() runs before the webhook route', () => {
    it('refuses every delivery with a 500 naming express.raw, and records nothing', async () => {
      const misconfigured = await startTestApp({ database_url: DATABASE_URL, schema: db.name, json_before_router: true });
      try {
        const e = await orderAndEvent(db, 'standard_settled', 4200);
        const res = await post(misconfigured, e.raw_body, e.header);
        expect(res.status).toBe(500);
        expect(res.body.message).toContain('express.raw');
        expect(misconfigured.errors.join('\n')).toContain('express.raw');
        expect((await orderRow(db.pool, e.orderId)).status).toBe('pending');
        expect(await eventRows(db, e.event.id)).toBe(0);
      } finally {
        await misconfigured.close();
      }
    });

    it('is caught at startup by assertSiglumeSdrpMountOrder', () => {
      const options = {
        merchant: TEST_MERCHANT, merchant_auth_token: 't', webhook_secret: TEST_SECRET,
        shop_public_origin: 'https://shop.example', order_store: {} as never,
      };
      const wrong = express();
      wrong.use(express.json());
      wrong.use(createSiglumeSdrpRouter(options));
      expect(() => assertSiglumeSdrpMountOrder(wrong)).toThrow(/express\.raw/);
      const right = express();
      right.use(createSiglumeSdrpRouter(options));
      right.use(express.json());
      expect(() => assertSiglumeSdrpMountOrder(right)).not.toThrow();
      expect(() => assertSiglumeSdrpMountOrder(express())).toThrow(/not mounted/);
    });
  });

  describe('when the confirmation is not a settled Standard payment', () => {
    it('sends Micro usage to review (METERED_INTEGRATION_REQUIRED) in a Standard-only shop and leaves the order alone', async () => {
      const e = await orderAndEvent(db, 'metered_usage_accepted', 120);
      expect((await post(standardOnly, e.raw_body, e.header)).status).toBe(204);
      expect(await reviews(db, e.event.id)).toEqual([{ code: 'METERED_INTEGRATION_REQUIRED', kind: 'metered_usage_accepted', order_id: e.orderId, settlement_batch_id: null }]);
      expect((await orderRow(db.pool, e.orderId)).status).toBe('pending');
    });

    it('fulfils Micro usage as unsettled, without a chain receipt, when metered payments are enabled', async () => {
      const e = await orderAndEvent(db, 'metered_usage_accepted', 120);
      expect((await post(metered, e.raw_body, e.header)).status).toBe(204);
      expect(await orderRow(db.pool, e.orderId)).toMatchObject({ status: 'fulfilled_unsettled', requirement_id: e.event.data.requirement_id, chain_receipt_id: null });
      expect(await reviews(db, e.event.id)).toEqual([]);
    });

    it('sends a settled batch to review in a Standard-only shop, and records it by batch id (never touching orders) when enabled', async () => {
      const e = await orderAndEvent(db, 'metered_batch_settled', 120);
      expect((await post(standardOnly, e.raw_body, e.header)).status).toBe(204);
      const batchId = e.event.data.settlement_batch_id;
      expect(await reviews(db, e.event.id)).toEqual([{ code: 'METERED_INTEGRATION_REQUIRED', kind: 'metered_batch_settled', order_id: null, settlement_batch_id: batchId }]);
      expect(await count(db.pool, 'siglume_settlement_batches')).toBe(0);

      const again = await createTestWebhookEvent('metered_batch_settled', { secret: TEST_SECRET, merchant: TEST_MERCHANT, data: { settlement_batch_id: batchId, challenge_hash: `sha256:${e.orderId}` } });
      expect((await post(metered, again.raw_body, again.header)).status).toBe(204);
      expect(await count(db.pool, 'siglume_settlement_batches WHERE settlement_batch_id = $1', [batchId])).toBe(1);
      expect((await orderRow(db.pool, e.orderId)).status).toBe('pending');
    });

    it('sends an unknown confirmation to review (UNKNOWN_CONFIRMATION) even when its challenge hash matches an order', async () => {
      const e = await orderAndEvent(db, 'unknown', 4200);
      expect((await post(metered, e.raw_body, e.header)).status).toBe(204);
      expect(await reviews(db, e.event.id)).toMatchObject([{ code: 'UNKNOWN_CONFIRMATION', kind: 'unknown' }]);
      expect((await orderRow(db.pool, e.orderId)).status).toBe('pending');
    });

    it('sends a settled payment whose amount differs from the order to review (PAYMENT_MISMATCH)', async () => {
      const e = await orderAndEvent(db, 'standard_settled', 4200, { amount_minor: 9800 });
      expect((await post(standardOnly, e.raw_body, e.header)).status).toBe(204);
      expect(await reviews(db, e.event.id)).toMatchObject([{ code: 'PAYMENT_MISMATCH', order_id: e.orderId }]);
      expect((await orderRow(db.pool, e.orderId)).status).toBe('pending');
    });

    it('sends a settled payment for no known challenge hash to review (ORDER_NOT_FOUND)', async () => {
      const e = await createTestWebhookEvent('standard_settled', { secret: TEST_SECRET, merchant: TEST_MERCHANT });
      expect((await post(standardOnly, e.raw_body, e.header)).status).toBe(204);
      expect(await reviews(db, e.event.id)).toMatchObject([{ code: 'ORDER_NOT_FOUND' }]);
    });

    it('sends a second, different payment for a paid order to review (ORDER_STATE_CONFLICT) and keeps the first payer', async () => {
      const e = await orderAndEvent(db, 'standard_settled', 4200);
      await post(standardOnly, e.raw_body, e.header);
      const second = await createTestWebhookEvent('standard_settled', { secret: TEST_SECRET, merchant: TEST_MERCHANT, data: { challenge_hash: `sha256:${e.orderId}` } });
      expect((await post(standardOnly, second.raw_body, second.header)).status).toBe(204);
      expect(await reviews(db, second.event.id)).toMatchObject([{ code: 'ORDER_STATE_CONFLICT', order_id: e.orderId }]);
      expect((await orderRow(db.pool, e.orderId)).requirement_id).toBe(e.event.data.requirement_id);
    });

    it('acknowledges the readiness delivery probe (mode readiness_probe) with 204, recording it as ignored without a review', async () => {
      // The data siglume-check readiness queues (src/readiness/checks/delivery.ts).
      const event = {
        id: uid('evt_probe'), type: 'direct_payment.confirmed', api_version: '2026-06-11', occurred_at: new Date().toISOString(),
        data: {
          mode: READINESS_PROBE_MODE, pricing_band: 'standard', settlement_status: READINESS_PROBE_MODE,
          merchant: TEST_MERCHANT, currency: 'JPY', amount_minor: 501, source: 'siglume-check readiness',
        },
      };
      const body = JSON.stringify(event);
      expect((await post(standardOnly, body, await buildWebhookSignatureHeader(TEST_SECRET, body))).status).toBe(204);
      expect((await post(metered, body, await buildWebhookSignatureHeader(TEST_SECRET, body))).status).toBe(204);
      expect(await reviews(db, event.id)).toEqual([]);
      const rows = (await db.pool.query('SELECT outcome FROM siglume_webhook_events WHERE event_id = $1', [event.id])).rows;
      expect(rows).toEqual([{ outcome: 'ignored:readiness_probe' }]);
      // Only a verified probe is acknowledged: a forged one is still a 400.
      expect((await post(standardOnly, body, await buildWebhookSignatureHeader('whsec_other', body))).status).toBe(400);
    });

    it('sends a settled payment to review (PAYMENT_MISMATCH) when the order was re-priced after its session was handed out, even without an amount on the event', async () => {
      const e = await orderAndEvent(db, 'standard_settled', 4200, { amount_minor: undefined });
      expect(e.event.data).not.toHaveProperty('amount_minor');
      // The price changed, but nobody started the checkout again: the attempt is still active with the old snapshot.
      await db.pool.query('UPDATE orders SET amount_minor = 9800 WHERE order_id = $1', [e.orderId]);
      expect((await post(standardOnly, e.raw_body, e.header)).status).toBe(204);
      expect(await reviews(db, e.event.id)).toMatchObject([{ code: 'PAYMENT_MISMATCH', order_id: e.orderId }]);
      expect((await orderRow(db.pool, e.orderId)).status).toBe('pending');
    });

    it('acknowledges other event types (direct_payment.spent) without a review', async () => {
      const event = { id: uid('evt_spent'), type: 'direct_payment.spent', api_version: '2026-06-11', occurred_at: new Date().toISOString(), data: {} };
      const body = JSON.stringify(event);
      expect((await post(standardOnly, body, await buildWebhookSignatureHeader(TEST_SECRET, body))).status).toBe(204);
      expect(await reviews(db, event.id)).toEqual([]);
      expect(await eventRows(db, event.id)).toBe(1);
    });
  });

  describe('when the store write fails', () => {
    it('answers 500, records nothing, and processes the redelivery', async () => {
      let failures = 1;
      const flaky = await startTestApp({
        database_url: DATABASE_URL,
        schema: db.name,
        wrapStore: (store) => ({
          beginCheckoutAttempt: (id, req) => store.beginCheckoutAttempt(id, req),
          markCheckoutPending: (a, s) => store.markCheckoutPending(a, s),
          processWebhookEventOnce: (id, handler) =>
            store.processWebhookEventOnce(id, (tx) =>
              handler({
                ...tx,
                markOrderPaidOnce: async (orderId, p) => {
                  const result = await tx.markOrderPaidOnce(orderId, p); // the write happens, then the "disk" fails
                  if (failures-- > 0) throw new Error('injected store failure');
                  return result;
                },
              }),
            ),
        }),
      });
      try {
        const e = await orderAndEvent(db, 'standard_settled', 4200);
        expect(await post(flaky, e.raw_body, e.header)).toMatchObject({ status: 500, body: { error: 'webhook_processing_failed' } });
        expect((await orderRow(db.pool, e.orderId)).status).toBe('pending');
        expect(await eventRows(db, e.event.id)).toBe(0);
        expect((await post(flaky, e.raw_body, e.header)).status).toBe(204);
        expect((await orderRow(db.pool, e.orderId)).status).toBe('paid');
        expect(await eventRows(db, e.event.id)).toBe(1);
      } finally {
        await flaky.close();
      }
    });
  });
});
