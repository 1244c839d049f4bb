import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTestWebhookEvent } from '@siglume/direct-request-payment/testing';
import type { Request } from 'express';
import express from 'express';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InMemorySiglumeOrderStore } from '../../templates/express/siglume-order-store.example.js';
import { SIGLUME_DEFAULT_SESSION_LIFETIME_SECONDS, createSiglumeSdrpRouter } from '../../templates/express/siglume-sdrp-routes.js';

const SECRET = 'whsec_example_store';
const asUser = (user: string) => ({ get: () => user }) as unknown as Request;

describe('InMemorySiglumeOrderStore behind the webhook route', () => {
  const store = new InMemorySiglumeOrderStore((req) => req.get('x-test-user'));
  let server: Server;
  let url = '';

  beforeAll(async () => {
    const app = express();
    app.use(createSiglumeSdrpRouter({
      merchant: 'shop_test', merchant_auth_token: 'unused', webhook_secret: SECRET,
      shop_public_origin: 'https://shop.example', order_store: store, logger: { error: () => undefined },
    }));
    server = createServer(app);
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/payments/webhooks/siglume`;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  });

  async function orderWithSession(orderId: string, amount = 4200) {
    store.addOrder({ order_id: orderId, user_id: 'alice', amount_minor: amount, currency: 'JPY' });
    const attempt = (await store.beginCheckoutAttempt(orderId, asUser('alice')))!;
    await store.markCheckoutPending(attempt, { checkout_session_id: `cs_${orderId}`, checkout_url: 'u', challenge_hash: `sha256:${orderId}`, expires_at: null });
    return createTestWebhookEvent('standard_settled', { secret: SECRET, amount_minor: amount, data: { challenge_hash: `sha256:${orderId}` } });
  }
  const post = (e: { raw_body: string; header: string }) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'siglume-signature': e.header }, body: e.raw_body }).then((r) => r.status);

  it('hides another user\'s order from beginCheckoutAttempt', async () => {
    store.addOrder({ order_id: 'x1', user_id: 'alice', amount_minor: 4200, currency: 'JPY' });
    expect(await store.beginCheckoutAttempt('x1', asUser('mallory'))).toBeNull();
  });

  it('marks the order paid once under 20 concurrent deliveries of one event', async () => {
    const e = await orderWithSession('x2');
    const statuses = await Promise.all(Array.from({ length: 20 }, () => post(e)));
    expect(new Set(statuses)).toEqual(new Set([204]));
    expect(store.state.orders.get('x2')).toMatchObject({ status: 'paid', requirement_id: e.event.data.requirement_id });
    expect(store.state.events.get(e.event.id)).toBe('marked_paid');
  });

  it('keeps nothing from a handler that failed, so the retry processes it', async () => {
    const e = await orderWithSession('x3');
    await expect(
      store.processWebhookEventOnce(e.event.id, async (tx) => {
        await tx.markOrderPaidOnce('x3', { event_id: e.event.id, requirement_id: 'r', challenge_hash: 'sha256:x3', chain_receipt_id: 'c', pricing_band: 'standard' });
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(store.state.orders.get('x3')?.status).toBe('pending');
    expect(store.state.events.has(e.event.id)).toBe(false);
    expect(await post(e)).toBe(204);
    expect(store.state.orders.get('x3')?.status).toBe('paid');
  });

  it('does not mark an order paid through a superseded attempt paid at the old price (PAYMENT_MISMATCH)', async () => {
    const e = await orderWithSession('x5', 1000);
    store.state.orders.get('x5')!.amount_minor = 5000;
    const next = (await store.beginCheckoutAttempt('x5', asUser('alice')))!;
    expect(next).toMatchObject({ amount_minor: 5000, checkout_url: null });
    expect(store.state.attempts.find((a) => a.challenge_hash === 'sha256:x5')?.status).toBe('superseded');
    expect(await post(e)).toBe(204);
    expect(store.state.orders.get('x5')?.status).toBe('pending');
    expect(store.state.reviews.at(-1)).toMatchObject({ code: 'PAYMENT_MISMATCH', event_id: e.event.id, order_id: 'x5' });
  });

  it('routes Micro usage to review in a Standard-only shop', async () => {
    store.addOrder({ order_id: 'x4', user_id: 'alice', amount_minor: 120, currency: 'JPY' });
    const e = await createTestWebhookEvent('metered_usage_accepted', { secret: SECRET, amount_minor: 120 });
    expect(await post(e)).toBe(204);
    expect(store.state.reviews.at(-1)).toMatchObject({ code: 'METERED_INTEGRATION_REQUIRED', event_id: e.event.id });
  });
});

describe('InMemorySiglumeOrderStore session re-use', () => {
  it('treats a session without expires_at as expired after SIGLUME_DEFAULT_SESSION_LIFETIME_SECONDS and makes a new attempt', async () => {
    let now = Date.parse('2026-01-01T00:00:00Z');
    const store = new InMemorySiglumeOrderStore((req) => req.get('x-test-user'), () => now);
    store.addOrder({ order_id: 'y1', user_id: 'alice', amount_minor: 4200, currency: 'JPY' });
    const a1 = (await store.beginCheckoutAttempt('y1', asUser('alice')))!;
    await store.markCheckoutPending(a1, { checkout_session_id: 'cs_y1', checkout_url: 'u', challenge_hash: 'sha256:y1', expires_at: null });
    now += 20 * 60_000;
    expect(await store.beginCheckoutAttempt('y1', asUser('alice'))).toMatchObject({ nonce: a1.nonce, checkout_session_id: 'cs_y1' });
    now += (SIGLUME_DEFAULT_SESSION_LIFETIME_SECONDS - 20 * 60) * 1000;
    const a2 = (await store.beginCheckoutAttempt('y1', asUser('alice')))!;
    expect(a2.nonce).not.toBe(a1.nonce);
    expect(a2.checkout_session_id).toBeNull();
    expect(store.state.attempts.find((a) => a.attempt_id === a1.attempt_id)?.status).toBe('expired');
  });
});
