/**
 * Webhook deliveries per second through the Express template with the
 * PostgreSQL order store: one app instance against three instances sharing
 * the database. Every delivery is a distinct, signed `standard_settled`
 * event that marks its own order paid (a real transaction each), over
 * keep-alive connections.
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
import { DATABASE_URL, createTestSchema, skipPostgres, type TestSchema } from '../test/templates/support/pg.js';
import { spawnAppInstance, type AppInstance } from '../test/templates/support/instances.js';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '5' }, events: { type: 'string', default: '200' }, concurrency: { type: 'string', default: '32' } },
});
const ROUNDS = Number(values.rounds);
const EVENTS = Number(values.events);
const CONCURRENCY = Number(values.concurrency);
const SECRET = 'whsec_test_secret';

async function signedEvents(db: TestSchema, prefix: string, n: number): Promise<TestWebhookEvent[]> {
  await db.pool.query(
    `INSERT INTO orders (order_id, user_id, amount_minor, currency) SELECT $1 || g, 'bench', 4200, 'JPY' FROM generate_series(1, $2) g`,
    [prefix, n],
  );
  await db.pool.query(
    `INSERT INTO siglume_checkout_attempts (order_id, nonce, amount_minor, currency, checkout_session_id, checkout_url, challenge_hash)
     SELECT $1 || g, 'n-' || $1 || g, 4200, 'JPY', 'cs-' || $1 || g, 'https://pay.test', 'sha256:' || $1 || g FROM generate_series(1, $2) g`,
    [prefix, n],
  );
  return Promise.all(
    Array.from({ length: n }, (_, i) =>
      createTestWebhookEvent('standard_settled', { secret: SECRET, merchant: 'shop_test', data: { challenge_hash: `sha256:${prefix}${i + 1}` } }),
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

if (skipPostgres) {
  console.error('PostgreSQL is not reachable; set DATABASE_URL.');
  process.exit(1);
}
const db = await createTestSchema();
const instances = await Promise.all([1, 2, 3].map(() => spawnAppInstance({ DATABASE_URL, SDRP_TEST_SCHEMA: db.name })));
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
  console.log(`Webhook deliveries/s, Express template + PostgreSQL store (distinct events, keep-alive, concurrency ${CONCURRENCY}, ${availableParallelism()} CPUs)`);
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
