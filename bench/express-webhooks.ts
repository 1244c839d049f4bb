/**
 * Webhook deliveries per second through the order core with the PostgreSQL
 * order store (the code the Express template calls): one app instance, then
 * three instances sharing the database, interleaved. Confirmation
 * with Siglume is off here (the events are signed locally); the per-adapter
 * bench with and without confirmation is still to come. Every delivery is a distinct, signed
 * `standard_settled` event that marks its own order paid (a real
 * transaction each), over keep-alive connections.
 *
 * The two setups are interleaved: each of `rounds` rounds sends one batch of
 * `events` to one instance and one to all three, in alternating order
 * (1,3 then 3,1, ...), so drift on a shared machine hits both alike and each
 * round gives one paired ratio.
 *
 *   node --import tsx bench/express-webhooks.ts [--rounds 5] [--events 200] [--concurrency 32]
 *
 * Needs PostgreSQL at DATABASE_URL (default postgres://postgres@127.0.0.1:5432/test);
 * uses and drops its own schema. Results also go to bench/results/express-webhooks.json.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Agent } from 'undici';
import { createTestWebhookEvent, type TestWebhookEvent } from '../src/testing/index.js';
import type { ConformanceDatabase as TestSchema } from '../test/orders/support/adapter.js';
import { postgresAdapter } from '../test/orders/support/postgres.js';
import { spawnShop, type ShopProcess as AppInstance } from '../test/orders/support/processes.js';
import { MERCHANT, SECRET } from '../test/orders/support/shop.js';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, events: { type: 'string', default: '200' }, concurrency: { type: 'string', default: '32' } },
});
const ROUNDS = Number(values.rounds);
const EVENTS = Number(values.events);
const CONCURRENCY = Number(values.concurrency);

async function signedEvents(db: TestSchema, prefix: string, n: number): Promise<TestWebhookEvent[]> {
  await db.sql(
    `INSERT INTO orders (order_id, user_id, amount_minor, currency) SELECT ?::text || g, 'bench', 4200, 'JPY' FROM generate_series(1, ?::int) g`,
    [prefix, n],
  );
  await db.sql(
    `INSERT INTO siglume_checkout_attempts (attempt_id, order_id, nonce, amount_minor, currency, status, checkout_session_id, checkout_url, challenge_hash, created_at, updated_at)
     SELECT 'att-' || ?::text || g, ?::text || g, 'n-' || ?::text || g, 4200, 'JPY', 'active', 'cs-' || ?::text || g, 'https://pay.test',
            'sha256:' || ?::text || g, now(), now() FROM generate_series(1, ?::int) g`,
    [prefix, prefix, prefix, prefix, prefix, n],
  );
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      createTestWebhookEvent('standard_settled', { secret: SECRET, merchant: MERCHANT, data: { challenge_hash: `sha256:${prefix}${i + 1}` } }),
    ),
  );
}

async function run(targets: AppInstance[], events: TestWebhookEvent[]): Promise<{ seconds: number; failures: number }> {
  const dispatcher = new Agent({ connections: CONCURRENCY, keepAliveTimeout: 10_000 });
  let next = 0;
  let failures = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async (_, worker) => {
      for (let i = next++; i < events.length; i = next++) {
        const e = events[i]!;
        const target = targets[(i + worker) % targets.length]!;
        const res = await fetch(`${target.url}/payments/webhooks/siglume`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'siglume-signature': e.header },
          body: e.raw_body,
          // @ts-expect-error undici's dispatcher option is not in the DOM fetch types
          dispatcher,
        });
        await res.arrayBuffer();
        if (res.status !== 204) failures += 1;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  await dispatcher.close();
  return { seconds, failures };
}

const unreachable = await postgresAdapter.unavailable();
if (unreachable) {
  console.error(`${unreachable}; set DATABASE_URL.`);
  process.exit(1);
}
const db = await postgresAdapter.createDatabase();
const instances = await Promise.all([1, 2, 3].map(() => spawnShop({ ...db.env, SDRP_CONFIRM: 'off' })));
try {
  const setups = { '1 instance': instances.slice(0, 1), '3 instances': instances } as const;
  type Setup = keyof typeof setups;
  const order: Setup[] = ['1 instance', '3 instances'];
  const rates: Record<Setup, number[]> = { '1 instance': [], '3 instances': [] };
  const failures: Record<Setup, number> = { '1 instance': 0, '3 instances': 0 };
  for (const setup of order) await run(setups[setup], await signedEvents(db, `warm${setup[0]}-`, 100)); // JIT, pools, connections
  for (let round = 0; round < ROUNDS; round++) {
    for (const setup of round % 2 === 0 ? order : [...order].reverse()) {
      const events = await signedEvents(db, `r${round}s${setup[0]}-`, EVENTS);
      const result = await run(setups[setup], events);
      rates[setup].push(Math.round(EVENTS / result.seconds));
      failures[setup] += result.failures;
    }
  }
  // On a small machine the app processes, PostgreSQL and this client share the same cores, so three instances may not beat one.
  console.log(`Webhook deliveries/s, order core + PostgreSQL store (distinct events, keep-alive, concurrency ${CONCURRENCY}, ${availableParallelism()} CPUs)`);
  console.table(order.map((setup) => ({ setup, rates: rates[setup].join(' '), failures: failures[setup] })));
  await mkdir(new URL('./results/', import.meta.url), { recursive: true });
  await writeFile(
    new URL('./results/express-webhooks.json', import.meta.url),
    `${JSON.stringify({ concurrency: CONCURRENCY, cpus: availableParallelism(), rounds: ROUNDS, events_per_batch: EVENTS, rates, failures }, null, 2)}\n`,
  );
} finally {
  await Promise.all(instances.map((i) => i.kill('SIGTERM')));
  await db.drop();
}
