/**
 * Conformance: a checkout start whose answer from Siglume was lost. Siglume
 * made the session but the shop never heard (the sandbox's
 * `drop_after_commit`); the next start of the same attempt must get that
 * session back, not make a second one. A changed request (the shop moved to
 * another origin) makes a new session instead of a 409 on every start, and a
 * session handed back after so long that it is about to expire is not sent
 * to the buyer.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectRequestPaymentMerchantClient } from '../../../src/clients/merchant.js';
import { SiglumeConflictError } from '../../../src/core/errors.js';
import type { OrderCheckoutClient } from '../../../src/orders/confirm.js';
import type { ConformanceDatabase } from '../support/adapter.js';
import { attempts, describeEachAdapter, eventOutcomes, insertOrder, orderStatus, uid } from '../support/conformance.js';
import { MERCHANT, TOKEN, startCheckout, startShop, startShopFixture, type Shop, type ShopFixture } from '../support/shop.js';

/** The Idempotency-Key the service passed on each createCheckoutSession (undefined: none, the client made one up). */
function recordingClient(keys: Array<string | undefined>) {
  return (client: OrderCheckoutClient): OrderCheckoutClient => ({
    createCheckoutSession: (input, options) => {
      keys.push(options?.idempotency_key);
      return client.createCheckoutSession(input, options);
    },
    getCheckoutSession: (id, options) => client.getCheckoutSession(id, options),
  });
}

describeEachAdapter('checkout start after a lost answer', (adapter) => {
  let db: ConformanceDatabase;
  let f: ShopFixture;
  const keys: Array<string | undefined> = [];

  beforeAll(async () => {
    db = await adapter.createDatabase();
    f = await startShopFixture(db, { wrapClient: recordingClient(keys) });
  });
  afterAll(async () => {
    await f?.close();
    await db?.drop();
  });

  const sessionsOf = (fx: ShopFixture, order_id: string) => fx.sandbox.sessions().filter((s) => s.metadata.order_id === order_id);

  /** An order whose first start made a session at Siglume and answered 502: every answer was dropped after the commit. */
  async function lostFirstStart(fx: ShopFixture) {
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 4200 });
    fx.sandbox.setFaults({ drop_after_commit: 5 });
    try {
      expect(await startCheckout(fx.shop.url, { order_id })).toMatchObject({ status: 502, body: { error: 'checkout_unavailable' } });
    } finally {
      fx.sandbox.resetFaults();
    }
    const made = sessionsOf(fx, order_id);
    expect(made).toHaveLength(1);
    return { order_id, lost: made[0]! };
  }

  it('hands out the session Siglume made for the lost answer, makes no second one, and the buyer pays it once', async () => {
    const { order_id, lost } = await lostFirstStart(f);
    const again = await startCheckout(f.shop.url, { order_id });
    expect(again).toMatchObject({ status: 200, body: { session_id: lost.session_id } });
    expect(sessionsOf(f, order_id).map((s) => s.session_id)).toEqual([lost.session_id]);
    expect(await attempts(db, order_id)).toMatchObject([{ checkout_session_id: lost.session_id, status: 'active' }]);

    const paid = await f.sandbox.pay(lost.session_id);
    expect(await orderStatus(db, order_id)).toBe('paid');
    expect(await eventOutcomes(db, paid.event_id!)).toEqual(['marked_paid']);
    expect(await startCheckout(f.shop.url, { order_id })).toMatchObject({ status: 409, body: { error: 'order_not_payable' } });
    expect(sessionsOf(f, order_id)).toHaveLength(1);
  });

  describe('when Siglume answers a 409 that is not a refusal (a request under the same key still running)', () => {
    let busy: Shop;
    let conflicts = 0;
    beforeAll(async () => {
      busy = await startShop(db, f.sandbox.api_base, {
        wrapClient: (client) => ({
          ...recordingClient(keys)(client),
          createCheckoutSession: (input, options) => {
            keys.push(options?.idempotency_key);
            if (conflicts-- > 0) {
              const message = 'A request with this Idempotency-Key is still being processed.';
              return Promise.reject(new SiglumeConflictError({ status: 409, code: 'IDEMPOTENCY_REQUEST_IN_PROGRESS', message }));
            }
            return client.createCheckoutSession(input, options);
          },
        }),
      });
      const merchant = new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, base_url: f.sandbox.api_base, max_retries: 0 });
      await merchant.setupMerchant({ merchant: MERCHANT, checkout_allowed_origins: [new URL(f.shop.url).origin, new URL(busy.url).origin] });
    });
    afterAll(async () => {
      await busy?.close();
    });

    it('keeps the attempt, so the next start asks under the same key and makes the one session', async () => {
      const order_id = uid('ord');
      await insertOrder(db, { order_id, amount_minor: 4200 });
      conflicts = 1;
      const sent = keys.length;
      expect(await startCheckout(busy.url, { order_id })).toMatchObject({ status: 502, body: { error: 'checkout_unavailable' } });
      expect(await attempts(db, order_id)).toMatchObject([{ status: 'active', checkout_session_id: null }]);
      const again = await startCheckout(busy.url, { order_id });
      expect(again.status).toBe(200);
      expect(keys.slice(sent)).toEqual([keys[sent], keys[sent]]);
      expect(await attempts(db, order_id)).toMatchObject([{ status: 'active', checkout_session_id: again.body.session_id }]);
      expect(sessionsOf(f, order_id)).toHaveLength(1);
    });
  });

  describe('when the shop moved to another origin between the two starts', () => {
    let moved: Shop;
    beforeAll(async () => {
      moved = await startShop(db, f.sandbox.api_base, { wrapClient: recordingClient(keys) });
      const merchant = new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, base_url: f.sandbox.api_base, max_retries: 0 });
      await merchant.setupMerchant({ merchant: MERCHANT, checkout_allowed_origins: [new URL(f.shop.url).origin, new URL(moved.url).origin] });
    });
    afterAll(async () => {
      await moved?.close();
    });

    it('makes a new session with the new return URLs instead of a 409 for the reused key, and the buyer pays it once', async () => {
      const { order_id, lost } = await lostFirstStart(f);
      const [errors, sent] = [moved.errors.length, keys.length];
      const again = await startCheckout(moved.url, { order_id });
      expect(again.status).toBe(200);
      // One request, under a key of its own: the changed request does not reuse the first start's key.
      expect(keys.slice(sent)).toEqual([expect.stringMatching(/^sdrp-order-checkout-/)]);
      expect(keys.slice(sent)).not.toContain(keys[sent - 1]);
      expect(again.body.session_id).not.toBe(lost.session_id);
      expect(f.sandbox.session(again.body.session_id as string)?.success_url.startsWith(`${moved.url}/`)).toBe(true);
      expect(moved.errors.slice(errors)).toEqual([]);
      expect(sessionsOf(f, order_id).map((s) => s.session_id)).toEqual([lost.session_id, again.body.session_id]);

      const paid = await f.sandbox.pay(again.body.session_id as string);
      expect(await orderStatus(db, order_id)).toBe('paid');
      expect(await eventOutcomes(db, paid.event_id!)).toEqual(['marked_paid']);
    });
  });

  describe('when the session handed back expires within the reuse margin', () => {
    // Sessions live 3 s here and the service hands out none expiring within 1 s: a new session is 2 s clear of the
    // margin, and the one made for the lost answer, handed back 2.2 s later, is inside it.
    let short: ShopFixture;
    const shortKeys: Array<string | undefined> = [];
    beforeAll(async () => {
      short = await startShopFixture(db, { wrapClient: recordingClient(shortKeys), session_reuse_margin_seconds: 1 }, { session_ttl_seconds: 3 });
    });
    afterAll(async () => {
      await short?.close();
    });

    it('hands out a new session as it is, under the key alone', async () => {
      const order_id = uid('ord');
      await insertOrder(db, { order_id, amount_minor: 4200 });
      shortKeys.length = 0;
      const reported = short.shop.errors.length;
      const started = await startCheckout(short.shop.url, { order_id });
      expect(started.status).toBe(200);
      expect(shortKeys).toEqual([expect.stringMatching(/^sdrp-order-checkout-/)]);
      expect(sessionsOf(short, order_id).map((s) => s.session_id)).toEqual([started.body.session_id]);
      expect(short.shop.errors.slice(reported)).toEqual([]);
    });

    it('does not hand out the old session but makes one more under a new key, and the buyer pays that one', async () => {
      const { order_id, lost } = await lostFirstStart(short);
      await new Promise((resolve) => setTimeout(resolve, Date.parse(lost.expires_at) - Date.now() - 800));
      shortKeys.length = 0;
      const reported = short.shop.errors.length;
      const again = await startCheckout(short.shop.url, { order_id });
      expect(again.status).toBe(200);
      expect(again.body.session_id).not.toBe(lost.session_id);
      // First the lost request again under its key (Siglume hands back the old session), then a new one without.
      expect(shortKeys).toEqual([expect.stringMatching(/^sdrp-order-checkout-/), undefined]);
      expect(sessionsOf(short, order_id).map((s) => s.session_id)).toEqual([lost.session_id, again.body.session_id]);
      expect(await attempts(db, order_id)).toMatchObject([{ checkout_session_id: again.body.session_id, status: 'active' }]);
      expect(short.shop.errors.slice(reported)).toEqual([]);

      await short.sandbox.pay(again.body.session_id as string);
      expect(await orderStatus(db, order_id)).toBe('paid');
    });
  });

  describe('when the reuse margin is longer than the sessions live', () => {
    // Sessions live 60 s here and the service hands out none expiring within 120 s: every session is at its end.
    let misfit: ShopFixture;
    beforeAll(async () => {
      misfit = await startShopFixture(db, {}, { session_ttl_seconds: 60 });
    });
    afterAll(async () => {
      await misfit?.close();
    });

    it('says so to onError on the start that finds out, naming the option', async () => {
      const order_id = uid('ord');
      await insertOrder(db, { order_id, amount_minor: 4200 });
      const started = await startCheckout(misfit.shop.url, { order_id });
      expect(started.status).toBe(200);
      expect(sessionsOf(misfit, order_id)).toHaveLength(2);
      expect(misfit.shop.errors).toEqual([
        expect.objectContaining({ code: 'SESSION_REUSE_MARGIN_TOO_LONG', message: expect.stringContaining('session_reuse_margin_seconds (120)') }),
      ]);
    });
  });
});
