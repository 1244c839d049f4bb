import type { Request } from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { PostgresSiglumeOrderStore } from '../../templates/express/siglume-order-store.postgres.js';
import type { SiglumePaymentRecord, SiglumeSdrpWebhookTransaction } from '../../templates/express/siglume-sdrp-routes.js';
import { count, createTestSchema, insertOrder, orderRow, skipPostgres, type TestSchema } from './support/pg.js';

const asUser = (user: string | null) => ({ get: (h: string) => (h === 'x-test-user' ? user : undefined) }) as unknown as Request;
const payment = (over: Partial<SiglumePaymentRecord> = {}): SiglumePaymentRecord => ({
  event_id: 'evt_1', requirement_id: 'req_1', challenge_hash: 'sha256:aa', chain_receipt_id: 'rcpt_1', pricing_band: 'standard', ...over,
});

describe.skipIf(skipPostgres)('PostgresSiglumeOrderStore', () => {
  let db: TestSchema;
  let store: PostgresSiglumeOrderStore;

  beforeAll(async () => {
    db = await createTestSchema();
    store = new PostgresSiglumeOrderStore({ pool: db.newPool(20), schema: db.name, currentUserId: (req) => req.get('x-test-user') });
  });
  afterAll(async () => {
    await db?.drop();
  });

  describe('beginCheckoutAttempt', () => {
    it('returns the server-side amount and a nonce without ":" for the owner', async () => {
      await insertOrder(db.pool, { order_id: 'b1', user_id: 'alice', amount_minor: 4200 });
      const attempt = await store.beginCheckoutAttempt('b1', asUser('alice'));
      expect(attempt).toMatchObject({ order_id: 'b1', order_status: 'pending', amount_minor: 4200, currency: 'JPY', checkout_url: null });
      expect(attempt?.nonce).toMatch(/^sdrp-[^:]+$/);
    });

    it('returns null for another user, for nobody signed in and for a missing order', async () => {
      await insertOrder(db.pool, { order_id: 'b2', user_id: 'alice', amount_minor: 4200 });
      expect(await store.beginCheckoutAttempt('b2', asUser('mallory'))).toBeNull();
      expect(await store.beginCheckoutAttempt('b2', asUser(null))).toBeNull();
      expect(await store.beginCheckoutAttempt('nope', asUser('alice'))).toBeNull();
      expect(await count(db.pool, "siglume_checkout_attempts WHERE order_id = 'b2'")).toBe(0);
    });

    it('keeps one active attempt and one nonce under 10 concurrent starts', async () => {
      await insertOrder(db.pool, { order_id: 'b3', user_id: 'alice', amount_minor: 4200 });
      const attempts = await Promise.all(Array.from({ length: 10 }, () => store.beginCheckoutAttempt('b3', asUser('alice'))));
      expect(new Set(attempts.map((a) => a?.nonce)).size).toBe(1);
      expect(await count(db.pool, "siglume_checkout_attempts WHERE order_id = 'b3'")).toBe(1);
    });

    it('returns the stored session again, and the first stored session wins a race', async () => {
      await insertOrder(db.pool, { order_id: 'b4', user_id: 'alice', amount_minor: 4200 });
      const attempt = (await store.beginCheckoutAttempt('b4', asUser('alice')))!;
      const first = { checkout_session_id: 'cs_1', checkout_url: 'https://pay/1', challenge_hash: 'sha256:b4-1', expires_at: null };
      expect(await store.markCheckoutPending(attempt, first)).toEqual(first);
      const second = await store.markCheckoutPending(attempt, { ...first, checkout_session_id: 'cs_2', checkout_url: 'https://pay/2' });
      expect(second.checkout_session_id).toBe('cs_1');
      const again = await store.beginCheckoutAttempt('b4', asUser('alice'));
      expect(again).toMatchObject({ nonce: attempt.nonce, checkout_session_id: 'cs_1', checkout_url: 'https://pay/1' });
    });

    it('starts a new attempt with a new nonce when the price changed or the session is about to expire', async () => {
      await insertOrder(db.pool, { order_id: 'b5', user_id: 'alice', amount_minor: 4200 });
      const a1 = (await store.beginCheckoutAttempt('b5', asUser('alice')))!;
      await store.markCheckoutPending(a1, { checkout_session_id: 'cs_b5', checkout_url: 'u', challenge_hash: 'sha256:b5', expires_at: null });
      await db.pool.query("UPDATE orders SET amount_minor = 5000 WHERE order_id = 'b5'");
      const a2 = (await store.beginCheckoutAttempt('b5', asUser('alice')))!;
      expect(a2).toMatchObject({ amount_minor: 5000, checkout_url: null });
      expect(a2.nonce).not.toBe(a1.nonce);
      const soon = new Date(Date.now() + 5_000).toISOString();
      await store.markCheckoutPending(a2, { checkout_session_id: 'cs_b5b', checkout_url: 'u2', challenge_hash: 'sha256:b5b', expires_at: soon });
      const a3 = (await store.beginCheckoutAttempt('b5', asUser('alice')))!;
      expect(a3.nonce).not.toBe(a2.nonce);
      expect(await count(db.pool, "siglume_checkout_attempts WHERE order_id = 'b5' AND status = 'active'")).toBe(1);
    });

    it('reports a paid order as not pending and creates no attempt', async () => {
      await insertOrder(db.pool, { order_id: 'b6', user_id: 'alice', amount_minor: 4200 });
      await db.pool.query("UPDATE orders SET status = 'paid' WHERE order_id = 'b6'");
      expect(await store.beginCheckoutAttempt('b6', asUser('alice'))).toMatchObject({ order_status: 'paid' });
      expect(await count(db.pool, "siglume_checkout_attempts WHERE order_id = 'b6'")).toBe(0);
    });
  });

  describe('processWebhookEventOnce', () => {
    async function pendingOrderWithHash(orderId: string, hash: string) {
      await insertOrder(db.pool, { order_id: orderId, user_id: 'alice', amount_minor: 4200 });
      const a = (await store.beginCheckoutAttempt(orderId, asUser('alice')))!;
      await store.markCheckoutPending(a, { checkout_session_id: `cs_${orderId}`, checkout_url: 'u', challenge_hash: hash, expires_at: null });
    }
    const pay = (orderId: string, p = payment()) => async (tx: SiglumeSdrpWebhookTransaction) => {
      const order = await tx.findOrderByChallengeHash(p.challenge_hash);
      expect(order?.order_id).toBe(orderId);
      return tx.markOrderPaidOnce(orderId, p);
    };

    it('records the event with the handler outcome and reports a repeat as duplicate', async () => {
      await pendingOrderWithHash('p1', 'sha256:p1');
      const p = payment({ challenge_hash: 'sha256:p1', event_id: 'evt_p1' });
      expect(await store.processWebhookEventOnce('evt_p1', pay('p1', p))).toBe('processed');
      expect(await store.processWebhookEventOnce('evt_p1', async () => 'never')).toBe('duplicate');
      const events = await db.pool.query("SELECT outcome FROM siglume_webhook_events WHERE event_id = 'evt_p1'");
      expect(events.rows).toEqual([{ outcome: 'marked' }]);
      expect(await orderRow(db.pool, 'p1')).toMatchObject({ status: 'paid', requirement_id: 'req_1', chain_receipt_id: 'rcpt_1' });
    });

    it('runs the handler once for 30 concurrent deliveries of one event id', async () => {
      await pendingOrderWithHash('p2', 'sha256:p2');
      let runs = 0;
      const results = await Promise.all(
        Array.from({ length: 30 }, () =>
          store.processWebhookEventOnce('evt_p2', async (tx) => {
            runs += 1;
            await new Promise((r) => setTimeout(r, 20)); // hold the row lock while the others queue
            return tx.markOrderPaidOnce('p2', payment({ challenge_hash: 'sha256:p2', event_id: 'evt_p2' }));
          }),
        ),
      );
      expect(runs).toBe(1);
      expect(results.filter((r) => r === 'processed')).toHaveLength(1);
      expect(results.filter((r) => r === 'duplicate')).toHaveLength(29);
    });

    it('rolls back the order write and the event row when the handler throws, so a retry processes it', async () => {
      await pendingOrderWithHash('p3', 'sha256:p3');
      const p = payment({ challenge_hash: 'sha256:p3', event_id: 'evt_p3' });
      await expect(
        store.processWebhookEventOnce('evt_p3', async (tx) => {
          await tx.markOrderPaidOnce('p3', p);
          throw new Error('disk full');
        }),
      ).rejects.toThrow('disk full');
      expect((await orderRow(db.pool, 'p3')).status).toBe('pending');
      expect(await count(db.pool, "siglume_webhook_events WHERE event_id = 'evt_p3'")).toBe(0);
      expect(await store.processWebhookEventOnce('evt_p3', pay('p3', p))).toBe('processed');
      expect((await orderRow(db.pool, 'p3')).status).toBe('paid');
    });

    it('marks an order paid once: a repeat of the same payment is harmless, another payment is a conflict', async () => {
      await pendingOrderWithHash('p4', 'sha256:p4');
      const outcomes: string[] = [];
      for (const [id, req] of [['evt_p4a', 'req_A'], ['evt_p4b', 'req_A'], ['evt_p4c', 'req_B']] as const) {
        await store.processWebhookEventOnce(id, async (tx) => {
          const r = await tx.markOrderPaidOnce('p4', payment({ challenge_hash: 'sha256:p4', requirement_id: req, event_id: id }));
          outcomes.push(r);
          return r;
        });
      }
      expect(outcomes).toEqual(['marked', 'already_marked', 'conflict']);
      expect(await orderRow(db.pool, 'p4')).toMatchObject({ status: 'paid', requirement_id: 'req_A', paid_event_id: 'evt_p4a' });
    });

    it('finds an order by the challenge hash of a superseded attempt too, with the order\'s current price and the attempt\'s status', async () => {
      await pendingOrderWithHash('p5', 'sha256:p5-old');
      await db.pool.query("UPDATE orders SET amount_minor = 6000 WHERE order_id = 'p5'");
      await store.beginCheckoutAttempt('p5', asUser('alice')); // supersedes the first attempt
      await store.processWebhookEventOnce('evt_p5', async (tx) => {
        const order = await tx.findOrderByChallengeHash('sha256:p5-old');
        expect(order).toMatchObject({
          order_id: 'p5', amount_minor: 6000, currency: 'JPY', status: 'pending',
          attempt_status: 'superseded', attempt_amount_minor: 4200, attempt_currency: 'JPY',
        });
        return 'checked';
      });
    });

    it('records a settlement batch once per batch id', async () => {
      const batch = {
        event_id: 'evt_b1', settlement_batch_id: 'msb_1', chain_receipt_id: 'rcpt_b', usage_event_digest: 'sha256:d',
        pricing_band: 'micro' as const, settled_at: 'not-a-date',
      };
      const recorded: boolean[] = [];
      for (const id of ['evt_b1', 'evt_b2']) {
        await store.processWebhookEventOnce(id, async (tx) => {
          recorded.push(await tx.recordSettlementBatchOnce({ ...batch, event_id: id }));
          return 'batch';
        });
      }
      expect(recorded).toEqual([true, false]);
    });
  });

  it('refuses a schema name that is not a plain identifier', () => {
    expect(() => new PostgresSiglumeOrderStore({ pool: db.pool, schema: 'x"; DROP TABLE orders; --', currentUserId: () => null })).toThrow(
      'plain SQL identifier',
    );
  });
});
