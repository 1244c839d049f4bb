/**
 * The "database faults never take the shop down" run, for any adapter with a
 * way to kill the app's server connections: the shop runs as its own process,
 * orders are paid through the sandbox while a second connection kills every
 * connection of that process every 15 ms. The sandbox retries a failed
 * delivery at once a few times, as Siglume does; what is still undelivered
 * when the storm ends is redelivered then (Siglume keeps retrying for much
 * longer). Returns what a test asserts on.
 */
import { expect } from 'vitest';
import type { ConformanceDatabase } from './adapter.js';
import { count, insertOrder } from './conformance.js';
import type { ShopProcess } from './processes.js';
import { startCheckout, type ShopFixture } from './shop.js';

export interface KillRun {
  killed: number;
  seconds: number;
  /** Delivery attempts answered 5xx (each a rollback, never a crash). */
  failed_attempts: number;
  /** Orders whose first delivery failed and a sandbox retry succeeded. */
  healed_by_retry: number;
  /** Orders still undelivered when the storm ended (then redelivered). */
  after_storm: number;
  /** Events still undelivered after the redelivery rounds (must be none). */
  undelivered: string[];
  order_ids: string[];
}

/**
 * Pays `orders` orders through `shop` while `killOnce` (which kills the app's
 * connections and returns how many) runs every 15 ms.
 */
export async function payWhileKilling(
  db: ConformanceDatabase,
  f: ShopFixture,
  shop: ShopProcess,
  options: { orders: number; prefix: string; killOnce: () => Promise<number> },
): Promise<KillRun> {
  const sessions = await Promise.all(Array.from({ length: options.orders }, async (_, i) => {
    const order_id = `${options.prefix}_${i}`;
    await insertOrder(db, { order_id, amount_minor: 4200 + i });
    const start = await startCheckout(shop.url, { order_id });
    expect(start.status).toBe(200);
    return { order_id, session_id: start.body.session_id as string };
  }));

  let killed = 0;
  let stop = false;
  const killing = (async () => {
    while (!stop) {
      killed += await options.killOnce();
      await new Promise((res) => setTimeout(res, 15));
    }
  })();

  const started = Date.now();
  let next = 0;
  const undelivered: string[] = [];
  let healed = 0;
  try {
    await Promise.all(Array.from({ length: 12 }, async () => {
      for (let i = next++; i < sessions.length; i = next++) {
        const paid = await f.sandbox.pay(sessions[i]!.session_id);
        const d = paid.deliveries[0]!;
        if (d.response_status !== 204) undelivered.push(paid.event_id!);
        else if (d.attempts > 1) healed += 1;
      }
    }));
  } finally {
    stop = true;
    await killing;
  }
  const afterStorm = undelivered.length;
  for (let round = 0; round < 3 && undelivered.length > 0; round++) {
    const results = await Promise.all(undelivered.map((id) => f.sandbox.redeliver(id)));
    const still = undelivered.filter((_, i) => results[i]!.some((d) => d.response_status !== 204));
    undelivered.splice(0, undelivered.length, ...still);
  }
  return {
    killed,
    seconds: (Date.now() - started) / 1000,
    failed_attempts: f.tap.seen.filter((s) => s.status >= 500).length,
    healed_by_retry: healed,
    after_storm: afterStorm,
    undelivered,
    order_ids: sessions.map((s) => s.order_id),
  };
}

/** The assertions every kill run makes: the process is up, kills broke deliveries, and every order is paid exactly once. */
export async function expectEveryOrderPaidOnce(db: ConformanceDatabase, f: ShopFixture, shop: ShopProcess, run: KillRun): Promise<void> {
  process.stdout.write(
    `\n[orders] ${run.killed} connections killed in ${run.seconds}s; ${run.failed_attempts} deliveries answered 5xx; ` +
      `${run.healed_by_retry} orders healed by the sandbox's retries, ${run.after_storm} by redelivery after the storm\n`,
  );
  // The shop survived every kill.
  expect(shop.alive(), shop.stderr()).toBe(true);
  expect(run.killed).toBeGreaterThan(0);
  // Kills did break deliveries (5xx, never a crash), and redelivery healed every one.
  expect(run.failed_attempts).toBeGreaterThan(0);
  expect(run.undelivered, JSON.stringify({ ...run, order_ids: undefined })).toEqual([]);
  expect(f.tap.seen.filter((s) => s.status !== 204 && s.status < 500)).toEqual([]);

  const ids = run.order_ids;
  const marks = ids.map(() => '?').join(', ');
  expect(await count(db, `orders WHERE order_id IN (${marks}) AND status = 'paid'`, ids)).toBe(ids.length);
  expect(await count(db, `siglume_checkout_attempts WHERE order_id IN (${marks}) AND requirement_id IS NOT NULL`, ids)).toBe(ids.length);
  expect(await count(db, "siglume_webhook_events WHERE outcome = 'marked_paid'")).toBe(ids.length);
  expect(await count(db, 'siglume_payment_reviews')).toBe(0);
}
