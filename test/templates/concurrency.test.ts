import { createTestWebhookEvent, type TestWebhookEvent } from '@siglume/direct-request-payment/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, count, createTestSchema, insertOrderWithSession, skipPostgres, type TestSchema } from './support/pg.js';
import { TEST_MERCHANT, TEST_SECRET } from './support/app.js';
import { deliver, spawnAppInstance, type AppInstance } from './support/instances.js';

let seq = 0;
const uid = (p: string) => `${p}_${++seq}`;


async function paidOrder(db: TestSchema): Promise<{ orderId: string; event: TestWebhookEvent }> {
  const orderId = uid('ord');
  const challenge_hash = `sha256:${orderId}`;
  await insertOrderWithSession(db.pool, { order_id: orderId, amount_minor: 4200, challenge_hash });
  const event = await createTestWebhookEvent('standard_settled', { secret: TEST_SECRET, merchant: TEST_MERCHANT, data: { challenge_hash } });
  return { orderId, event };
}

const is2xx = (s: number) => s >= 200 && s < 300;

describe.skipIf(skipPostgres)('Siglume webhook route across 3 app instances sharing one database', () => {
  let db: TestSchema;
  let instances: AppInstance[] = [];
  const writes = (ids: string[]) => count(db.pool, 'order_writes WHERE order_id = ANY($1)', [ids]);

  beforeAll(async () => {
    db = await createTestSchema();
    // Logs every write to an order row, independently of the store's own bookkeeping:
    // exactly-once means one write per order, not merely "status ends up paid".
    await db.pool.query(`
      CREATE TABLE order_writes (order_id text NOT NULL, old_status text, new_status text NOT NULL);
      CREATE FUNCTION log_order_write() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN INSERT INTO ${db.name}.order_writes VALUES (NEW.order_id, OLD.status, NEW.status); RETURN NEW; END $$;
      CREATE TRIGGER orders_written AFTER UPDATE ON orders FOR EACH ROW EXECUTE FUNCTION log_order_write();`);
    instances = await Promise.all([1, 2, 3].map(() => spawnAppInstance({ DATABASE_URL, SDRP_TEST_SCHEMA: db.name })));
  }, 90_000);

  afterAll(async () => {
    await Promise.all(instances.map((i) => i.kill('SIGTERM')));
    await db?.drop();
  });

  it('answers 2xx to 50 concurrent deliveries of one event, with one order write and one event row', async () => {
    const { orderId, event } = await paidOrder(db);
    const statuses = await Promise.all(Array.from({ length: 50 }, (_, i) => deliver(instances[i % 3]!, event)));
    expect(statuses.filter((s) => !is2xx(s)), instances.map((i) => i.stderr()).join('\n')).toEqual([]);
    expect(await writes([orderId])).toBe(1);
    expect(await count(db.pool, 'siglume_webhook_events WHERE event_id = $1', [event.event.id])).toBe(1);
    const order = (await db.pool.query('SELECT status, requirement_id, chain_receipt_id FROM orders WHERE order_id = $1', [orderId])).rows[0];
    expect(order).toEqual({ status: 'paid', requirement_id: event.event.data.requirement_id, chain_receipt_id: event.event.data.chain_receipt_id });
  });

  it('pays 20 different orders delivered concurrently (each twice, to two instances): 20 paid, none missing, none twice', async () => {
    const orders = await Promise.all(Array.from({ length: 20 }, () => paidOrder(db)));
    const statuses = await Promise.all(
      orders.flatMap(({ event }, i) => [deliver(instances[i % 3]!, event), deliver(instances[(i + 1) % 3]!, event)]),
    );
    expect(statuses.filter((s) => !is2xx(s))).toEqual([]);
    const ids = orders.map((o) => o.orderId);
    expect(await count(db.pool, "orders WHERE order_id = ANY($1) AND status = 'paid'", [ids])).toBe(20);
    expect(await writes(ids)).toBe(20);
  });

  it('loses nothing acknowledged with 2xx when an instance is killed mid-stream, and redeliveries complete the rest exactly once', async () => {
    const orders = await Promise.all(Array.from({ length: 60 }, () => paidOrder(db)));
    const victim = instances[2]!;
    const results = new Map<string, number[]>();
    const send = async (target: AppInstance, o: { orderId: string; event: TestWebhookEvent }) => {
      const status = await deliver(target, o.event);
      results.set(o.orderId, [...(results.get(o.orderId) ?? []), status]);
      return status;
    };
    // Events 0-29 stream into the victim through 6 workers; 15-29 also go, at the
    // same moment, to a survivor (a duplicate that may wait on the victim's row
    // lock). The victim is SIGKILLed at its 4th acknowledgement, with up to 6
    // deliveries in flight; deliveries picked after that find it dead. At most
    // 4 + 6 events are picked by then, so several victim-only events always fail.
    let acked = 0;
    let killed: Promise<void> | null = null;
    let next = 0;
    const victimStream = Array.from({ length: 6 }, async () => {
      for (let i = next++; i < 30; i = next++) {
        if (killed) await killed;
        const o = orders[i]!;
        const [status] = await Promise.all([send(victim, o), ...(i >= 15 ? [send(instances[i % 2]!, o)] : [])]);
        if (is2xx(status!) && ++acked === 4) killed = victim.kill('SIGKILL');
      }
    });
    const survivorsOnly = orders.slice(30).map((o, i) => send(instances[i % 2]!, o));
    await Promise.all([...victimStream, ...survivorsOnly]);
    await (killed ?? victim.kill('SIGKILL'));
    expect(victim.child.signalCode).toBe('SIGKILL');
    const victimOnly = orders.slice(0, 15).map((o) => results.get(o.orderId)![0]!);
    expect(victimOnly.filter(is2xx).length).toBeGreaterThan(0);
    expect(victimOnly.filter((st) => !is2xx(st)).length).toBeGreaterThan(0);

    const acknowledged = orders.filter((o) => results.get(o.orderId)!.some(is2xx));
    const ackedIds = acknowledged.map((o) => o.event.event.id);
    expect(await count(db.pool, 'siglume_webhook_events WHERE event_id = ANY($1)', [ackedIds])).toBe(acknowledged.length);
    expect(await count(db.pool, "orders WHERE order_id = ANY($1) AND status = 'paid'", [acknowledged.map((o) => o.orderId)])).toBe(acknowledged.length);

    // Siglume redelivers whatever was not acknowledged; the survivors finish the job.
    const pending = orders.filter((o) => !results.get(o.orderId)!.some(is2xx));
    const retried = await Promise.all(pending.map((o, i) => deliver(instances[i % 2]!, o.event)));
    expect(retried.filter((s) => !is2xx(s))).toEqual([]);
    const ids = orders.map((o) => o.orderId);
    expect(await count(db.pool, "orders WHERE order_id = ANY($1) AND status = 'paid'", [ids])).toBe(60);
    expect(await writes(ids)).toBe(60);
    expect(await count(db.pool, 'siglume_webhook_events WHERE event_id = ANY($1)', [orders.map((o) => o.event.event.id)])).toBe(60);
  }, 60_000);
});
