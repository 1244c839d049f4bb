/**
 * Conformance: a row lock held by another session (a stuck peer, a long
 * migration, a transaction whose client died) bounds every write of the store
 * by `lock_timeout_ms`, not only the webhook's: a checkout start answers 500
 * `checkout_failed` instead of waiting for as long as the lock is held (for
 * ever on PostgreSQL, 50 s on MariaDB), and the attempt updates fail the same
 * way. Once the lock is gone, the same calls succeed.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { OrderCheckoutAttempt } from '../../../src/orders/index.js';
import type { ConformanceDatabase } from '../support/adapter.js';
import { describeEachAdapter, insertOrder, uid } from '../support/conformance.js';
import { settled as settledWithin } from '../support/settled.js';
import { startCheckout, startShopFixture, type ShopFixture } from '../support/shop.js';

const LOCK_TIMEOUT_MS = 1000;
/** Far above the lock timeout, far below the test's: a call still waiting then is hanging on the lock. */
const HUNG_AFTER_MS = 6000;
const settled = <T>(work: Promise<T>) => settledWithin(work, HUNG_AFTER_MS);

const policy = () => ({
  new_nonce: `sdrp-${uid('nonce')}`, creation_lease_seconds: 30, session_reuse_margin_seconds: 60, default_session_lifetime_seconds: 1800,
});

describeEachAdapter('a row lock held by another session', (adapter) => {
  let db: ConformanceDatabase;
  let f: ShopFixture;

  beforeAll(async () => {
    db = await adapter.createDatabase();
    f = await startShopFixture(db, { lock_timeout_ms: LOCK_TIMEOUT_MS });
  });
  afterAll(async () => {
    await f?.close();
    await db?.drop();
  });

  it('answers a checkout start 500 checkout_failed after lock_timeout_ms while the order row is locked, reported to onError; the start after it redirects', async () => {
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 4200 });
    const reported = f.shop.errors.length;
    const release = await db.holdLock('orders', 'order_id = ?', [order_id]);
    let start;
    try {
      start = await settled(startCheckout(f.shop.url, { order_id }));
    } finally {
      await release();
    }
    expect(start).toMatchObject({ kind: 'resolved', value: { status: 500, body: { error: 'checkout_failed' } } });
    expect(f.shop.errors.length).toBe(reported + 1);
    expect(await startCheckout(f.shop.url, { order_id })).toMatchObject({ status: 200, body: { session_id: expect.any(String) } });
  });

  it('fails markCheckoutPending, markCheckoutFailed and retireCheckoutAttempt after lock_timeout_ms while the attempt row is locked; they succeed after', async () => {
    const store = db.createStore({ lock_timeout_ms: LOCK_TIMEOUT_MS });
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 4200 });
    const begun = await store.beginCheckoutAttempt(order_id, policy());
    expect(begun.kind).toBe('create');
    const attempt = (begun as { attempt: OrderCheckoutAttempt }).attempt;
    const session = { checkout_session_id: `cs_${order_id}`, checkout_url: `https://pay.test/${order_id}`, challenge_hash: `sha256:${order_id}`, expires_at: null };
    const release = await db.holdLock('siglume_checkout_attempts', 'attempt_id = ?', [attempt.attempt_id]);
    const outcomes: Record<string, unknown> = {};
    try {
      outcomes.markCheckoutPending = await settled(store.markCheckoutPending(attempt, session));
      outcomes.markCheckoutFailed = await settled(store.markCheckoutFailed(attempt, 'Siglume failed'));
      outcomes.retireCheckoutAttempt = await settled(store.retireCheckoutAttempt(attempt.attempt_id));
    } finally {
      await release();
    }
    expect(outcomes).toEqual({
      markCheckoutPending: { kind: 'rejected', error: expect.anything(), ms: expect.any(Number) },
      markCheckoutFailed: { kind: 'rejected', error: expect.anything(), ms: expect.any(Number) },
      retireCheckoutAttempt: { kind: 'rejected', error: expect.anything(), ms: expect.any(Number) },
    });
    await expect(store.markCheckoutPending(attempt, session)).resolves.toMatchObject({ checkout_session_id: session.checkout_session_id });
    await expect(store.retireCheckoutAttempt(attempt.attempt_id)).resolves.toBe(true);
  });
});
