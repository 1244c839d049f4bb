/**
 * Part (c) of the reliability suite: the order core with the PostgreSQL
 * store, three shop processes sharing one database (the order tests' own
 * harness in test/orders/support), under concurrent duplicate and
 * out-of-order deliveries while a process is killed and replaced mid-stream.
 * Confirmation with Siglume is off here (SDRP_CONFIRM=off): the events are
 * signed locally for made-up sessions, and this part measures the
 * exactly-once machinery, not confirmation (test/orders covers that).
 *
 * Per order, four signed events: the payment (standard_settled), a second
 * Standard payment of the same order (another requirement), a Micro usage
 * confirmation and an unrecognised confirmation. They arrive shuffled, each
 * one to three times, spread over the instances. Exactly-once means, per
 * order: one write to the order row (paid, by whichever payment came first),
 * and one review row for each of the other three events; and one processed
 * row per event. An event acknowledged with 2xx must already be in the
 * database, even if its instance dies right after.
 */
import { createTestWebhookEvent, type TestWebhookEvent } from '../../../src/testing/index.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ConformanceDatabase } from '../../orders/support/adapter.js';
import { count, insertOrderWithSession } from '../../orders/support/conformance.js';
import { postgresAdapter } from '../../orders/support/postgres.js';
import { spawnShop, type ShopProcess as AppInstance } from '../../orders/support/processes.js';
import { MERCHANT as TEST_MERCHANT, SECRET as TEST_SECRET, deliverWebhook } from '../../orders/support/shop.js';
import { counts } from './counters.js';
import { mulberry32 } from '../../../src/sandbox/faults.js';

const ORDERS = 20;
const CONCURRENCY = 24;
const SEED = Number(process.env.RELIABILITY_SEED ?? 20_260_611);


interface OrderEvents {
  orderId: string;
  pay: TestWebhookEvent;
  second: TestWebhookEvent;
  metered: TestWebhookEvent;
  unknown: TestWebhookEvent;
}

const is2xx = (s: number) => s >= 200 && s < 300;
const skipPostgres = (await postgresAdapter.unavailable()) !== null;
const deliver = async (target: AppInstance, e: TestWebhookEvent) => (await deliverWebhook(target.url, e.raw_body, e.header)).status;


export function describeTemplateDeliveries(): void {
  describe.skipIf(skipPostgres)('order core + PostgreSQL store under duplicate, out-of-order deliveries and instance kills', () => {
    let db: ConformanceDatabase;
    let instances: AppInstance[] = [];
    const spawned: AppInstance[] = [];
    const spawn = async () => {
      const i = await spawnShop({ ...db.env, SDRP_CONFIRM: 'off' });
      spawned.push(i);
      return i;
    };

    beforeAll(async () => {
      db = await postgresAdapter.createDatabase();
      const schema = db.env.SDRP_PG_SCHEMA;
      // Every write to an order row, logged independently of the store's bookkeeping.
      await db.sql(`
        CREATE TABLE order_writes (order_id text NOT NULL, old_status text, new_status text NOT NULL);
        CREATE FUNCTION log_order_write() RETURNS trigger LANGUAGE plpgsql AS $$
          BEGIN INSERT INTO ${schema}.order_writes VALUES (NEW.order_id, OLD.status, NEW.status); RETURN NEW; END $$;
        CREATE TRIGGER orders_written AFTER UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION log_order_write();`);
      instances = await Promise.all([1, 2, 3].map(() => spawn()));
    }, 90_000);

    afterAll(async () => {
      await Promise.all(spawned.map((i) => i.kill('SIGTERM')));
      await db?.drop();
    });

    it('processes every event exactly once, and never acknowledges an event it then loses', async () => {
      const random = mulberry32(SEED);
      const orders: OrderEvents[] = [];
      for (let i = 0; i < ORDERS; i++) {
        const orderId = `rel_${SEED}_${i}`;
        const challenge_hash = `sha256:rel-${SEED}-${i}`;
        await insertOrderWithSession(db, { order_id: orderId, amount_minor: 4200, challenge_hash });
        const opts = { secret: TEST_SECRET, merchant: TEST_MERCHANT, data: { challenge_hash } };
        const [pay, second, metered, unknown] = await Promise.all([
          createTestWebhookEvent('standard_settled', opts),
          createTestWebhookEvent('standard_settled', opts),
          createTestWebhookEvent('metered_usage_accepted', opts),
          createTestWebhookEvent('unknown', opts),
        ]);
        orders.push({ orderId, pay: pay!, second: second!, metered: metered!, unknown: unknown! });
      }
      const events = orders.flatMap((o) => [o.pay, o.second, o.metered, o.unknown]);

      // Each event 1-3 times, all shuffled together: duplicates race, and later events often arrive first.
      const deliveries = events.flatMap((e) => Array.from({ length: 1 + Math.floor(random() * 3) }, () => e));
      for (let i = deliveries.length - 1; i > 0; i--) {
        const j = Math.floor(random() * (i + 1));
        [deliveries[i], deliveries[j]] = [deliveries[j]!, deliveries[i]!];
      }

      const acked = new Set<string>();
      const statuses: number[] = [];
      const live = [...instances];
      const victim = instances[2]!;
      let replacement: Promise<AppInstance> | null = null;
      const killAt = Math.floor(deliveries.length * 0.35);
      let done = 0;
      let next = 0;
      await Promise.all(
        Array.from({ length: CONCURRENCY }, async () => {
          for (let i = next++; i < deliveries.length; i = next++) {
            const e = deliveries[i]!;
            const target = live[Math.floor(random() * live.length)]!;
            const status = await deliver(target, e);
            statuses.push(status);
            if (is2xx(status)) acked.add(e.event.id);
            if (++done === killAt) {
              // Crash one instance with requests in flight; a fresh one takes its place when it is up.
              live.splice(live.indexOf(victim), 1);
              void victim.kill('SIGKILL');
              counts.faults += 1;
              replacement = spawn().then((fresh) => {
                live.push(fresh);
                return fresh;
              });
            }
          }
        }),
      );
      await replacement;
      expect(victim.child.signalCode).toBe('SIGKILL');
      // The kill cut deliveries that were in flight (status 0), and the stream went on without it.
      expect(statuses).toContain(0);
      // Never a 4xx: every delivery was correctly signed. Non-2xx here is a cut connection (0) or a 5xx retry signal.
      expect(statuses.filter((s) => s >= 400 && s < 500)).toEqual([]);

      // Acknowledged means written: nothing 2xx'd may be missing, even from the killed instance.
      const ackedIds = [...acked];
      const recorded = await count(db, 'siglume_webhook_events WHERE event_id = ANY(?)', [ackedIds]);
      counts.lost += ackedIds.length - recorded;
      expect(recorded).toBe(ackedIds.length);

      // Siglume redelivers what was not acknowledged; bounded rounds.
      for (let round = 0; round < 5 && acked.size < events.length; round++) {
        const pending = events.filter((e) => !acked.has(e.event.id));
        const results = await Promise.all(pending.map((e, i) => deliver(live[i % live.length]!, e)));
        results.forEach((s, i) => is2xx(s) && acked.add(pending[i]!.event.id));
      }
      expect(acked.size).toBe(events.length);

      // Exactly once, per order and per event.
      const ids = events.map((e) => e.event.id);
      const processed = await count(db, 'siglume_webhook_events WHERE event_id = ANY(?)', [ids]);
      counts.lost += Math.max(0, ids.length - processed);
      expect(processed).toBe(ids.length);
      const writes = await db.sql('SELECT order_id, count(*)::int AS n FROM order_writes WHERE order_id = ANY(?) GROUP BY order_id', [orders.map((o) => o.orderId)]);
      const writesBy = new Map(writes.map((r) => [String(r.order_id), Number(r.n)]));
      for (const o of orders) {
        const n = writesBy.get(o.orderId) ?? 0;
        counts.lost += n === 0 ? 1 : 0;
        counts.duplicated += Math.max(0, n - 1);
        const order = (await db.sql(
          `SELECT o.status, a.paid_event_id FROM orders o LEFT JOIN siglume_checkout_attempts a ON a.order_id = o.order_id AND a.requirement_id IS NOT NULL
            WHERE o.order_id = ?`, [o.orderId]))[0]!;
        expect([n, order.status], o.orderId).toEqual([1, 'paid']);
        expect([o.pay.event.id, o.second.event.id]).toContain(order.paid_event_id);

        const reviews = await db.sql('SELECT event_id, code FROM siglume_payment_reviews WHERE event_id = ANY(?) ORDER BY code', [
          [o.pay, o.second, o.metered, o.unknown].map((e) => e.event.id),
        ]);
        counts.lost += Math.max(0, 3 - reviews.length);
        counts.duplicated += Math.max(0, reviews.length - 3);
        const loser = order.paid_event_id === o.pay.event.id ? o.second : o.pay;
        expect(reviews).toEqual([
          { event_id: o.metered.event.id, code: 'METERED_INTEGRATION_REQUIRED' },
          { event_id: loser.event.id, code: 'ORDER_STATE_CONFLICT' },
          { event_id: o.unknown.event.id, code: 'UNKNOWN_CONFIRMATION' },
        ]);
      }
    }, 60_000);
  });
}
