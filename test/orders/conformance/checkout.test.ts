/**
 * Conformance: the checkout start route. One attempt and one session per
 * order however many starts race, the order's own price, authorization
 * through authorize_order, and bad input answered 4xx with a code (never a
 * 500), for every adapter on its real database.
 */
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import type { ConformanceDatabase } from '../support/adapter.js';
import { attempts, count, describeEachAdapter, insertOrder, uid } from '../support/conformance.js';
import { startCheckout, startShopFixture, type ShopFixture } from '../support/shop.js';

describeEachAdapter('checkout start', (adapter) => {
  let db: ConformanceDatabase;
  let f: ShopFixture;

  beforeAll(async () => {
    db = await adapter.createDatabase();
    f = await startShopFixture(db);
  });
  afterAll(async () => {
    await f?.close();
    await db?.drop();
  });

  it('creates one attempt and one session for 50 concurrent starts of one order (others answer 202 creating or the same session)', async () => {
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 4200 });
    const answers = await Promise.all(Array.from({ length: 50 }, () => startCheckout(f.shop.url, { order_id })));
    expect(answers.filter((a) => a.status !== 200 && a.status !== 202)).toEqual([]);
    for (const a of answers.filter((x) => x.status === 202)) expect(a.body).toEqual({ status: 'creating', retry_after_ms: 250 });
    const ok = answers.filter((a) => a.status === 200);
    expect(ok.length).toBeGreaterThan(0);
    expect(new Set(ok.map((a) => a.body.session_id)).size).toBe(1);
    const again = await startCheckout(f.shop.url, { order_id });
    expect(again).toMatchObject({ status: 200, body: { session_id: ok[0]!.body.session_id } });
    expect(await attempts(db, order_id)).toHaveLength(1);
    expect(f.sandbox.sessions().filter((s) => s.metadata.order_id === order_id)).toHaveLength(1);
  });

  it('makes a new session when the buyer comes back after cancelling on the hosted page, instead of the dead one', async () => {
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 4200 });
    const first = await startCheckout(f.shop.url, { order_id });
    expect(first.status).toBe(200);
    expect(await f.sandbox.cancel(first.body.session_id as string)).toBe(303);
    const again = await startCheckout(f.shop.url, { order_id });
    expect(again.status).toBe(200);
    expect(again.body.session_id).not.toBe(first.body.session_id);
    expect(f.sandbox.session(again.body.session_id as string)?.status).toBe('open');
    // The cancelled session's attempt is retired; the new one is the order's only active attempt.
    expect((await attempts(db, order_id)).map((a) => [a.checkout_session_id, a.status])).toEqual([
      [first.body.session_id, 'expired'],
      [again.body.session_id, 'active'],
    ]);
    // An open session is still handed out again.
    expect(await startCheckout(f.shop.url, { order_id })).toMatchObject({ status: 200, body: { session_id: again.body.session_id } });
  });

  it('hands out a paid session near its end whose webhook was lost, instead of opening a second session the buyer would pay too', async () => {
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 4200 });
    const paid = (await startCheckout(f.shop.url, { order_id })).body.session_id as string;
    f.sandbox.setFaults({ drop_webhook_deliveries: true });
    await f.sandbox.pay(paid).finally(() => f.sandbox.resetFaults());
    // Paid at Siglume, still pending in the shop; its session now nears its stored expiry.
    const nearEnd = 'UPDATE siglume_checkout_attempts SET expires_at = ? WHERE checkout_session_id = ?';
    await db.sql(nearEnd, [new Date(Date.now() + 60_000), paid]);
    const again = await startCheckout(f.shop.url, { order_id });
    expect(again).toMatchObject({ status: 200, body: { session_id: paid } });
    expect(f.sandbox.sessions().filter((s) => s.metadata.order_id === order_id).map((s) => s.status)).toEqual(['paid']);
    expect((await attempts(db, order_id)).map((a) => a.status)).toEqual(['active']);

    // An unpaid session near its end is still replaced, so the buyer is not sent to a page about to expire.
    const other = uid('ord');
    await insertOrder(db, { order_id: other, amount_minor: 4200 });
    const open = (await startCheckout(f.shop.url, { order_id: other })).body.session_id as string;
    await db.sql(nearEnd, [new Date(Date.now() + 60_000), open]);
    const fresh = await startCheckout(f.shop.url, { order_id: other });
    expect(fresh.status).toBe(200);
    expect(fresh.body.session_id).not.toBe(open);
  });

  it('does not replace a session near its end on an "open" remembered from before the buyer paid it', async () => {
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 4200 });
    const s1 = (await startCheckout(f.shop.url, { order_id })).body.session_id as string;
    // A reload or a second tab: handed out again, and Siglume's `open` is remembered for 5 s.
    expect(await startCheckout(f.shop.url, { order_id })).toMatchObject({ status: 200, body: { session_id: s1 } });
    f.sandbox.setFaults({ drop_webhook_deliveries: true });
    await f.sandbox.pay(s1).finally(() => f.sandbox.resetFaults());
    // Within those 5 s the paid session crosses into the reuse margin.
    await db.sql('UPDATE siglume_checkout_attempts SET expires_at = ? WHERE checkout_session_id = ?', [new Date(Date.now() + 60_000), s1]);
    expect(await startCheckout(f.shop.url, { order_id })).toMatchObject({ status: 200, body: { session_id: s1 } });
    expect(f.sandbox.sessions().filter((s) => s.metadata.order_id === order_id)).toHaveLength(1);
  });

  it('asks Siglume about a session near its end at most once per 5 s while the look-up fails (a buyer clicking through a 429)', async () => {
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 4200 });
    const s1 = (await startCheckout(f.shop.url, { order_id })).body.session_id as string;
    await db.sql('UPDATE siglume_checkout_attempts SET expires_at = ? WHERE checkout_session_id = ?', [new Date(Date.now() + 60_000), s1]);
    f.sandbox.setFaults({ rate_limit: { count: 1, retry_after_seconds: 1 } });
    try {
      // The first look-up meets the 429 and the session is handed out as it is; the next click reuses that failure
      // instead of asking again (which would now get through and replace the session).
      for (let i = 0; i < 2; i++) expect(await startCheckout(f.shop.url, { order_id })).toMatchObject({ status: 200, body: { session_id: s1 } });
    } finally {
      f.sandbox.resetFaults();
    }
  });

  it('replaces a stored session Siglume does not know once it nears its end (a sandbox restarted without its state file)', async () => {
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 4200 });
    const first = (await startCheckout(f.shop.url, { order_id })).body.session_id as string;
    const [gone, goneNearEnd] = [`cs_${uid('gone')}`, `cs_${uid('gone')}`];
    const rename = 'UPDATE siglume_checkout_attempts SET checkout_session_id = ? WHERE checkout_session_id = ?';
    await db.sql(rename, [gone, first]);
    // Not near its end: handed out as it is (a 404 may be a wrong base URL rather than a lost session).
    expect(await startCheckout(f.shop.url, { order_id })).toMatchObject({ status: 200, body: { session_id: gone } });
    // Another id, so the 5 s look-up memory of the first does not answer.
    await db.sql(rename, [goneNearEnd, gone]);
    await db.sql('UPDATE siglume_checkout_attempts SET expires_at = ? WHERE checkout_session_id = ?', [new Date(Date.now() + 60_000), goneNearEnd]);
    const fresh = await startCheckout(f.shop.url, { order_id });
    expect(fresh.status).toBe(200);
    expect([gone, goneNearEnd, first]).not.toContain(fresh.body.session_id);
  });

  it('charges the order\'s current server-side price and sends success / cancel back to the shop', async () => {
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 7700, currency: 'USD' });
    const start = await startCheckout(f.shop.url, { order_id, amount_minor: 1 });
    expect(start.status).toBe(200);
    const session = f.sandbox.session(start.body.session_id as string)!;
    expect([session.amount_minor, session.currency]).toEqual([7700, 'USD']);
    expect((await attempts(db, order_id))[0]).toMatchObject({ challenge_hash: session.challenge_hash, checkout_session_id: session.session_id });
  });

  it('answers 404 order_not_found for another user\'s order, for nobody signed in and for a missing order, creating nothing', async () => {
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 4200, user_id: 'alice' });
    for (const user of ['mallory', null]) {
      expect(await startCheckout(f.shop.url, { order_id }, user)).toMatchObject({ status: 404, body: { error: 'order_not_found' } });
    }
    expect(await startCheckout(f.shop.url, { order_id: uid('missing') })).toMatchObject({ status: 404, body: { error: 'order_not_found' } });
    expect(await count(db, 'siglume_checkout_attempts WHERE order_id = ?', [order_id])).toBe(0);
  });

  it('answers 409 METERED_INTEGRATION_REQUIRED for a Micro amount in a Standard-only shop, and 409 hosted_checkout_not_enabled', async () => {
    const micro = uid('ord');
    await insertOrder(db, { order_id: micro, amount_minor: 120 });
    expect(await startCheckout(f.shop.url, { order_id: micro })).toMatchObject({ status: 409, body: { error: 'METERED_INTEGRATION_REQUIRED' } });
    expect(await count(db, 'siglume_checkout_attempts WHERE order_id = ?', [micro])).toBe(0);

    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 4200 });
    f.sandbox.setScenario('hosted_checkout_disabled_409');
    const reported = f.shop.errors.length;
    try {
      expect(await startCheckout(f.shop.url, { order_id })).toMatchObject({ status: 409, body: { error: 'hosted_checkout_not_enabled' } });
    } finally {
      f.sandbox.setScenario('ready');
    }
    // The buyer gets a plain 409; onError gets the upstream answer, so the operator can see why.
    expect(f.shop.errors.slice(reported).map((e) => (e as Error).message)).toEqual([expect.stringMatching(/Hosted Checkout is not available .*\(409 HOSTED_CHECKOUT_NOT_ENABLED/)]);
    f.shop.errors.length = reported;
    // Pressed again within 5 s: the same answer from the service's memory, with no new attempt, request or report
    // (each press made a row, a request and a 40-line report while Siglume refused).
    const requests = f.sandbox.requestCount();
    expect(await startCheckout(f.shop.url, { order_id })).toMatchObject({ status: 409, body: { error: 'hosted_checkout_not_enabled' } });
    expect([f.sandbox.requestCount() - requests, f.shop.errors.length - reported]).toEqual([0, 0]);
    expect(await attempts(db, order_id)).toHaveLength(1);
    // The refused attempt is retired (Siglume would answer its key with the refusal again), so a start once the 5 s
    // have passed creates the session at once, under a new attempt.
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(Date.now() + 5_100);
    const again = await startCheckout(f.shop.url, { order_id }).finally(() => vi.useRealTimers());
    expect(again.status).toBe(200);
    expect(await attempts(db, order_id)).toMatchObject([
      { status: 'expired', checkout_session_id: null },
      { status: 'active', checkout_session_id: again.body.session_id },
    ]);
  });

  it('answers bad input with a 4xx and a code, never a 500', async () => {
    const cases: Array<[string, unknown, string | undefined, number, string]> = [
      ['an order id with U+0000', { order_id: 'ord\u0000x' }, undefined, 400, 'invalid_order_id'],
      ['an over-long order id', { order_id: 'o'.repeat(257) }, undefined, 400, 'invalid_order_id'],
      ['a numeric order id', { order_id: 42 }, undefined, 400, 'invalid_order_id'],
      ['no order id', {}, undefined, 400, 'invalid_order_id'],
      ['a JSON array', [], undefined, 400, 'invalid_order_id'],
      ['a non-JSON body', null, 'order_id=1', 400, 'invalid_request'],
      ['an oversized body', null, JSON.stringify({ order_id: 'x', pad: 'p'.repeat(20_000) }), 413, 'payload_too_large'],
    ];
    for (const [what, body, raw, status, error] of cases) {
      expect(await startCheckout(f.shop.url, body, 'alice', raw), what).toMatchObject({ status, body: { error } });
    }
    expect(f.shop.errors).toEqual([]);
  });
});
