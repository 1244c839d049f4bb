/**
 * Conformance: failures heal through redelivery. A store failure in the
 * middle of the webhook transaction answers 500 and leaves nothing behind;
 * Siglume's API being unreachable answers 503 and records nothing; the
 * redelivery then pays the order exactly once. Bad webhook input is a 4xx.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { OrderCheckoutClient } from '../../../src/orders/confirm.js';
import type { OrderStore } from '../../../src/orders/index.js';
import type { ConformanceDatabase } from '../support/adapter.js';
import { count, describeEachAdapter, eventOutcomes, insertOrder, orderStatus, payment, reviews, uid } from '../support/conformance.js';
import { mutatedEvent, signed } from '../support/events.js';
import { deliverWebhook, startCheckout, startShopFixture, type ShopFixture } from '../support/shop.js';

/** Fails `markOrderPaid` AFTER its write, `failures` times: the write must roll back with the event row. */
function failingAfterWrite(store: OrderStore, state: { failures: number; blind: number }): OrderStore {
  return {
    findOrder: (id) => store.findOrder(id),
    beginCheckoutAttempt: (id, p) => store.beginCheckoutAttempt(id, p),
    markCheckoutPending: (a, s) => store.markCheckoutPending(a, s),
    markCheckoutFailed: (a, m) => store.markCheckoutFailed(a, m),
    // `blind` previews run as if before the attempt's session was stored.
    previewWebhookEvent: async (id, h) => {
      const preview = await store.previewWebhookEvent(id, h);
      return state.blind-- > 0 ? { ...preview, checkout_session_id: null } : preview;
    },
    listUnpaidCheckoutAttempts: (q) => store.listUnpaidCheckoutAttempts(q),
    retireCheckoutAttempt: (id) => store.retireCheckoutAttempt(id),
    processWebhookEvent: (event, work) =>
      store.processWebhookEvent(event, (tx) =>
        work({
          first_delivery: tx.first_delivery,
          findPayment: (h) => tx.findPayment(h),
          markOrderFulfilledUnsettled: (id, p) => tx.markOrderFulfilledUnsettled(id, p),
          recordReview: (r) => tx.recordReview(r),
          recordSettlementBatch: (b) => tx.recordSettlementBatch(b),
          markOrderPaid: async (id, p) => {
            const marked = await tx.markOrderPaid(id, p);
            if (state.failures-- > 0) throw new Error('injected failure after the order write');
            return marked;
          },
        }),
      ),
  };
}

/** Reports `lagging` reads of a session as still `open`, as a Siglume record that has not caught up with its own event. */
function laggingClient(client: OrderCheckoutClient, state: { lagging: number }): OrderCheckoutClient {
  return {
    createCheckoutSession: (input) => client.createCheckoutSession(input),
    getCheckoutSession: async (id) => {
      const session = await client.getCheckoutSession(id);
      return state.lagging-- > 0 ? { ...session, status: 'open' } : session;
    },
  };
}

describeEachAdapter('failures heal through redelivery', (adapter) => {
  let db: ConformanceDatabase;
  let f: ShopFixture;
  const state = { failures: 0, lagging: 0, blind: 0 };

  beforeAll(async () => {
    db = await adapter.createDatabase();
    // The sandbox retries failed deliveries with backoff, as Siglume does.
    const settings = { wrapStore: (s: OrderStore) => failingAfterWrite(s, state), wrapClient: (c: OrderCheckoutClient) => laggingClient(c, state) };
    f = await startShopFixture(db, settings, { delivery_retries: 3, delivery_backoff_ms: 20 });
  });
  afterAll(async () => {
    await f?.close();
    await db?.drop();
  });

  async function pending() {
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 4200 });
    const start = await startCheckout(f.shop.url, { order_id });
    return { order_id, session_id: start.body.session_id as string };
  }

  it('answers 500 when the store fails mid-transaction, rolls the write back, and the redelivery pays once', async () => {
    const { order_id, session_id } = await pending();
    state.failures = 2;
    const paid = await f.sandbox.pay(session_id);
    // Two 500s (nothing recorded), then the sandbox's third attempt succeeds.
    expect(f.tap.seen.filter((s) => s.event_id === paid.event_id).map((s) => s.status)).toEqual([500, 500, 204]);
    expect(paid.deliveries[0]).toMatchObject({ response_status: 204, attempts: 3 });
    expect(await orderStatus(db, order_id)).toBe('paid');
    expect(await eventOutcomes(db, paid.event_id!)).toEqual(['marked_paid']);
    expect(await count(db, 'siglume_checkout_attempts WHERE order_id = ? AND requirement_id IS NOT NULL', [order_id])).toBe(1);
    expect(f.shop.errors.map((e) => (e as Error).message)).toContain('injected failure after the order write');
  });

  it('answers 503 and records nothing while Siglume\'s API cannot be reached, then pays on redelivery', async () => {
    const { order_id, session_id } = await pending();
    f.tap.target = null;
    const paid = await f.sandbox.pay(session_id);
    f.tap.target = `${f.shop.url}/payments/webhooks/siglume`;
    const e = await f.sandbox.signedEvent(paid.event_id!);
    f.sandbox.setFaults({ error_503_rate: 1 });
    try {
      expect(await deliverWebhook(f.shop.url, e.rawBody, e.header)).toMatchObject({ status: 503, body: { error: 'payment_confirmation_unavailable' } });
    } finally {
      f.sandbox.resetFaults();
    }
    expect(await eventOutcomes(db, e.event.id)).toEqual([]);
    expect(await orderStatus(db, order_id)).toBe('pending');
    expect(await deliverWebhook(f.shop.url, e.rawBody, e.header)).toMatchObject({ status: 204 });
    expect(await orderStatus(db, order_id)).toBe('paid');
    expect((await payment(db, order_id))?.paid_event_id).toBe(e.event.id);
  });

  it('answers 503 and records nothing while Siglume\'s record of the session still says open, then pays on redelivery', async () => {
    const { order_id, session_id } = await pending();
    state.lagging = 2;
    const paid = await f.sandbox.pay(session_id);
    // Recording "not confirmed" would have left a review that every redelivery skips as a duplicate.
    expect(f.tap.seen.filter((s) => s.event_id === paid.event_id).map((s) => s.status)).toEqual([503, 503, 204]);
    expect(await orderStatus(db, order_id)).toBe('paid');
    expect(await eventOutcomes(db, paid.event_id!)).toEqual(['marked_paid']);
    expect(await reviews(db, paid.event_id!)).toEqual([]);

    const other = await pending();
    f.tap.target = null;
    const lost = await f.sandbox.pay(other.session_id);
    f.tap.target = `${f.shop.url}/payments/webhooks/siglume`;
    const e = await f.sandbox.signedEvent(lost.event_id!);
    state.lagging = 1;
    expect(await deliverWebhook(f.shop.url, e.rawBody, e.header)).toMatchObject({ status: 503, body: { error: 'payment_confirmation_pending' } });
    // The attempt got its session between the preview and the transaction: asked again, not recorded unconfirmed.
    state.blind = 1;
    expect(await deliverWebhook(f.shop.url, e.rawBody, e.header)).toMatchObject({ status: 503, body: { error: 'payment_confirmation_pending' } });
    expect(await eventOutcomes(db, e.event.id)).toEqual([]);
    expect(await deliverWebhook(f.shop.url, e.rawBody, e.header)).toMatchObject({ status: 204 });
    expect(await orderStatus(db, other.order_id)).toBe('paid');
  });

  it('does not wait for an event dated in the future: a skewed occurred_at is reviewed, not answered 503 until then', async () => {
    const { order_id, session_id } = await pending();
    f.tap.target = null;
    const lost = await f.sandbox.pay(session_id);
    f.tap.target = `${f.shop.url}/payments/webhooks/siglume`;
    const real = await f.sandbox.signedEvent(lost.event_id!);
    const future = await mutatedEvent(real.event, {}, { occurred_at: new Date(Date.now() + 3_600_000).toISOString() });
    state.lagging = 1;
    expect(await deliverWebhook(f.shop.url, future.rawBody, future.header)).toMatchObject({ status: 204 });
    expect((await reviews(db, future.id)).map((r) => r.code)).toEqual(['PAYMENT_NOT_CONFIRMED']);
    expect(await orderStatus(db, order_id)).toBe('pending');
    // The real event still pays the order.
    expect(await deliverWebhook(f.shop.url, real.rawBody, real.header)).toMatchObject({ status: 204 });
    expect(await orderStatus(db, order_id)).toBe('paid');
  });

  it('answers bad webhook input with a 4xx, and a signature it cannot verify with a 503, and writes nothing', async () => {
    const { session_id } = await pending();
    f.tap.target = null;
    const paid = await f.sandbox.pay(session_id);
    f.tap.target = `${f.shop.url}/payments/webhooks/siglume`;
    const real = await f.sandbox.signedEvent(paid.event_id!);
    const notJson = await signed('order_id=1');
    const noId = await signed({ type: 'direct_payment.confirmed', api_version: 'x', occurred_at: 'y', data: {} });
    const nulId = await mutatedEvent(real.event, {}, { id: 'evt_\u0000' });
    const longId = await mutatedEvent(real.event, {}, { id: `evt_${'x'.repeat(300)}` });
    const oversized = await signed({ ...real.event, id: uid('evt_big'), data: { ...real.event.data, pad: 'p'.repeat(1024 * 1024) } });
    const cases: Array<[string, string, string | null, number, string]> = [
      ['no signature', real.rawBody, null, 400, 'invalid_signature'],
      // Well formed but not verifying: from Siglume, a secret deployed late (a rotation) or a skewed clock. 503 keeps the event.
      ['a body changed after signing', real.rawBody.replace('4200', '4201'), real.header, 503, 'invalid_signature'],
      ['a signed non-JSON body', notJson.rawBody, notJson.header, 400, 'invalid_payload'],
      ['a signed event without an id', noId.rawBody, noId.header, 400, 'invalid_payload'],
      ['an event id with U+0000', nulId.rawBody, nulId.header, 400, 'invalid_event'],
      ['an over-long event id', longId.rawBody, longId.header, 400, 'invalid_event'],
      ['an oversized body', oversized.rawBody, oversized.header, 413, 'payload_too_large'],
    ];
    const reported = f.shop.errors.length;
    for (const [what, body, header, status, error] of cases) {
      expect(await deliverWebhook(f.shop.url, body, header), what).toMatchObject({ status, body: { error } });
    }
    // Only the signature that fails on a well-formed header (a wrong secret) reaches onError; no header is scanner noise.
    expect(f.shop.errors.slice(reported).map((e) => (e as { code?: string }).code)).toEqual(['WEBHOOK_SIGNATURE_MISMATCH']);
    expect(await eventOutcomes(db, real.event.id)).toEqual([]);
    expect(await count(db, 'siglume_webhook_events WHERE event_id LIKE ?', ['evt\\_%x%'])).toBe(0);
  });
});
