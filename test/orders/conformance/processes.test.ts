/**
 * Conformance across processes: 50 concurrent deliveries of one real
 * confirmation spread over 3 shop processes sharing one database give
 * exactly one order transition and one event row.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import type { ConformanceDatabase } from '../support/adapter.js';
import { attempts, describeEachAdapter, eventOutcomes, insertOrder, orderStatus, uid } from '../support/conformance.js';
import { spawnShop, type ShopProcess } from '../support/processes.js';
import { deliverWebhook, startCheckout, startShopFixture, type ShopFixture } from '../support/shop.js';

describeEachAdapter('three shop processes, one database', (adapter) => {
  let db: ConformanceDatabase;
  let f: ShopFixture;
  let shops: ShopProcess[] = [];

  beforeAll(async () => {
    db = await adapter.createDatabase();
    f = await startShopFixture(db);
    // Each shop is kept as soon as it listens, so afterAll kills the ones that started when another did not.
    await Promise.all([1, 2, 3].map(async () => shops.push(await spawnShop({ ...db.env, SIGLUME_API_BASE: f.sandbox.api_base, SHOP_ORIGIN: f.shop.url }))));
  }, 90_000);
  afterAll(async () => {
    await Promise.all(shops.map((s) => s.kill()));
    await f?.close();
    await db?.drop();
  });

  it('turns 50 concurrent deliveries of one event into one transition and one event row', async () => {
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 4200 });
    const start = await startCheckout(f.shop.url, { order_id });
    f.tap.target = null;
    const paid = await f.sandbox.pay(start.body.session_id as string);
    const e = await f.sandbox.signedEvent(paid.event_id!);
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => deliverWebhook(shops[i % 3]!.url, e.rawBody, e.header)));
    expect(answers.map((a) => a.status), shops.map((s) => s.stderr()).join('\n')).toEqual(Array(50).fill(204));
    expect(await eventOutcomes(db, e.event.id)).toEqual(['marked_paid']);
    expect(await orderStatus(db, order_id)).toBe('paid');
    expect((await attempts(db, order_id)).map((a) => [a.requirement_id, a.paid_event_id])).toEqual([[f.sandbox.session(start.body.session_id as string)!.requirement_id, e.event.id]]);
  });

  it('starts one checkout session for 50 concurrent starts spread over the processes', async () => {
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 4200 });
    const answers = await Promise.all(Array.from({ length: 50 }, (_, i) => startCheckout(shops[i % 3]!.url, { order_id })));
    expect(answers.filter((a) => a.status !== 200 && a.status !== 202)).toEqual([]);
    expect(new Set(answers.filter((a) => a.status === 200).map((a) => a.body.session_id)).size).toBe(1);
    expect(await attempts(db, order_id)).toHaveLength(1);
    expect(f.sandbox.sessions().filter((s) => s.metadata.order_id === order_id)).toHaveLength(1);
  });
});
