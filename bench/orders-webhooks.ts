/**
 * Webhook deliveries per second through the order core, for each store
 * adapter on its real database (PostgreSQL, MariaDB / MySQL, SQLite, and the
 * generic adapter through Kysely on PostgreSQL), beside a bare driver loop
 * doing the same statements in one transaction per event as the floor.
 *
 * Setups, per adapter, interleaved round by round (order reversed every
 * other round, so drift on a shared machine hits all alike):
 *   floor-1 / core-1 / core-1-confirmed:  one app instance (a process)
 *   floor-3 / core-3 / core-3-confirmed:  three instances sharing the database
 * SQLite runs the 1-instance setups only: one writer per database file, and
 * better-sqlite3 blocks a process's event loop while it waits for another
 * process's lock, so more instances only queue on the same lock.
 *
 * Every delivery is a distinct signed `standard_settled` event that marks its
 * own order paid (a real transaction each). The core calls
 * `service.handleWebhook(raw_body, signature)` in the instance (no HTTP
 * server in between: the figure is the core and its store). "Confirmed"
 * setups confirm each payment with Siglume's API (`getCheckoutSession` over
 * loopback HTTP to a sandbox in this process, whose sessions were really
 * created and paid); the others use `confirm_payments: false`.
 *
 *   node --import tsx bench/orders-webhooks.ts [--rounds 5] [--events 300] [--concurrency 8] [--adapters postgres,mysql,sqlite,kysely]
 *
 * Needs PostgreSQL at DATABASE_URL and MariaDB / MySQL at MYSQL_URL (an
 * adapter whose database is unreachable is reported as skipped). Writes
 * bench/results/orders-webhooks.json.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { DirectRequestPaymentMerchantClient } from '../src/clients/merchant.js';
import { createTestWebhookEvent } from '../src/testing/index.js';
import type { ConformanceDatabase } from '../test/orders/support/adapter.js';
import { adapterNamed } from '../test/orders/support/adapters.js';
import { serveFetch } from '../test/orders/support/http.js';
import { startTestSandbox, type TestSandbox } from '../test/orders/support/sandbox.js';
import { MERCHANT, SECRET, TOKEN } from '../test/orders/support/shop.js';
import type { BenchEvent } from './orders-worker.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    events: { type: 'string', default: '300' },
    concurrency: { type: 'string', default: '8' },
    adapters: { type: 'string', default: 'postgres,mysql,sqlite,kysely' },
  },
});
const ROUNDS = Number(values.rounds);
const EVENTS = Number(values.events);
const CONCURRENCY = Number(values.concurrency);
const ADAPTERS = values.adapters!.split(',').map((a) => a.trim());
const WORKER = fileURLToPath(new URL('./orders-worker.ts', import.meta.url));

type SetupName = 'floor-1' | 'core-1' | 'core-1-confirmed' | 'floor-3' | 'core-3' | 'core-3-confirmed';
interface Setup {
  name: SetupName;
  mode: 'floor' | 'core';
  instances: 1 | 3;
  confirm: boolean;
}
const SETUPS: Setup[] = [
  { name: 'floor-1', mode: 'floor', instances: 1, confirm: false },
  { name: 'core-1', mode: 'core', instances: 1, confirm: false },
  { name: 'core-1-confirmed', mode: 'core', instances: 1, confirm: true },
  { name: 'floor-3', mode: 'floor', instances: 3, confirm: false },
  { name: 'core-3', mode: 'core', instances: 3, confirm: false },
  { name: 'core-3-confirmed', mode: 'core', instances: 3, confirm: true },
];

interface Worker {
  child: ChildProcess;
  run(events: BenchEvent[], confirm: boolean): Promise<{ failures: number; errors: string[] }>;
  stop(): void;
}

async function startWorker(env: Record<string, string>): Promise<Worker> {
  const child = fork(WORKER, [], { execArgv: ['--import', 'tsx'], env: { ...process.env, ...env }, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let pending: ((m: { failures: number; errors: string[] }) => void) | null = null;
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('bench worker did not start in 60 s')), 60_000);
    child.on('message', (m: { kind: string; failures: number; errors: string[] }) => {
      if (m.kind === 'ready') {
        clearTimeout(timer);
        resolve();
      } else if (m.kind === 'done' && pending) {
        const p = pending;
        pending = null;
        p(m);
      }
    });
    child.once('exit', (code) => reject(new Error(`bench worker exited (${code})`)));
  });
  return {
    child,
    run: (events, confirm) =>
      new Promise((resolve) => {
        pending = resolve;
        child.send({ kind: 'run', events, confirm });
      }),
    stop: () => void child.kill('SIGTERM'),
  };
}

let batch = 0;

/** Inserts `n` pending orders with stored sessions and returns their signed events (synthetic, or really paid at the sandbox). */
async function prepare(db: ConformanceDatabase, n: number, sandbox: TestSandbox | null, client: DirectRequestPaymentMerchantClient, origin: string): Promise<BenchEvent[]> {
  const prefix = `b${process.pid}x${++batch}x`;
  const rows: Array<{ order_id: string; session_id: string; challenge_hash: string; event: BenchEvent }> = [];
  if (sandbox) {
    for (let i = 0; i < n; i++) {
      const order_id = `${prefix}${i}`;
      const session = await client.createCheckoutSession({
        merchant: MERCHANT, amount_minor: 4200, currency: 'JPY', nonce: `n-${order_id}`,
        success_url: `${origin}/checkout/siglume/success`, cancel_url: `${origin}/checkout/siglume/cancel`,
      });
      const paid = await sandbox.pay(session.session_id);
      const signed = await sandbox.signedEvent(paid.event_id!);
      const data = signed.event.data as { challenge_hash: string; requirement_id: string; chain_receipt_id: string };
      rows.push({
        order_id, session_id: session.session_id, challenge_hash: data.challenge_hash,
        event: { raw_body: signed.rawBody, header: signed.header, event_id: signed.event.id, challenge_hash: data.challenge_hash, requirement_id: data.requirement_id, chain_receipt_id: data.chain_receipt_id },
      });
    }
  } else {
    for (let i = 0; i < n; i++) {
      const order_id = `${prefix}${i}`;
      const challenge_hash = `sha256:${order_id}`;
      const e = await createTestWebhookEvent('standard_settled', { secret: SECRET, merchant: MERCHANT, data: { challenge_hash } });
      const data = e.event.data as { requirement_id: string; chain_receipt_id: string };
      rows.push({
        order_id, session_id: `cs-${order_id}`, challenge_hash,
        event: { raw_body: e.raw_body, header: e.header, event_id: e.event.id, challenge_hash, requirement_id: data.requirement_id, chain_receipt_id: data.chain_receipt_id },
      });
    }
  }
  const now = new Date();
  for (let i = 0; i < rows.length; i += 100) {
    const chunk = rows.slice(i, i + 100);
    await db.sql(`INSERT INTO orders (order_id, user_id, amount_minor, currency) VALUES ${chunk.map(() => '(?, ?, ?, ?)').join(', ')}`,
      chunk.flatMap((r) => [r.order_id, 'bench', 4200, 'JPY']));
    await db.sql(
      `INSERT INTO siglume_checkout_attempts (attempt_id, order_id, nonce, amount_minor, currency, status, checkout_session_id, checkout_url, challenge_hash, created_at, updated_at)
       VALUES ${chunk.map(() => "(?, ?, ?, 4200, 'JPY', 'active', ?, 'https://pay.test', ?, ?, ?)").join(', ')}`,
      chunk.flatMap((r) => [`att-${r.order_id}`, r.order_id, `n-${r.order_id}`, r.session_id, r.challenge_hash, now, now]));
  }
  return rows.map((r) => r.event);
}

interface AdapterResult {
  rates: Partial<Record<SetupName, number[]>>;
  failures: Partial<Record<SetupName, number>>;
  errors: string[];
  skipped?: string;
}

async function benchAdapter(name: string, sandbox: TestSandbox, client: DirectRequestPaymentMerchantClient, origin: string): Promise<AdapterResult> {
  const adapter = adapterNamed(name);
  const unavailable = await adapter.unavailable();
  if (unavailable) return { rates: {}, failures: {}, errors: [], skipped: unavailable };
  const setups = SETUPS.filter((s) => name !== 'sqlite' || s.instances === 1);
  const db = await adapter.createDatabase();
  const workers: Record<'floor' | 'core', Worker[]> = { floor: [], core: [] };
  try {
    const instances = Math.max(...setups.map((s) => s.instances));
    for (const mode of ['floor', 'core'] as const) {
      workers[mode] = await Promise.all(Array.from({ length: instances }, () =>
        startWorker({ ...db.env, BENCH_MODE: mode, BENCH_CONCURRENCY: String(CONCURRENCY), SIGLUME_API_BASE: sandbox.api_base })));
    }
    const result: AdapterResult = { rates: {}, failures: {}, errors: [] };
    const runSetup = async (setup: Setup, n: number) => {
      const events = await prepare(db, n, setup.confirm ? sandbox : null, client, origin);
      const slices = Array.from({ length: setup.instances }, (_, w) => events.filter((_, i) => i % setup.instances === w));
      const started = performance.now();
      const done = await Promise.all(slices.map((slice, w) => workers[setup.mode][w]!.run(slice, setup.confirm)));
      const seconds = (performance.now() - started) / 1000;
      const failures = done.reduce((sum, d) => sum + d.failures, 0);
      for (const d of done) result.errors.push(...d.errors.slice(0, 3 - result.errors.length));
      return { rate: n / seconds, failures };
    };
    for (const setup of setups) await runSetup(setup, Math.min(100, EVENTS)); // JIT, pools, connections
    for (let round = 0; round < ROUNDS; round++) {
      for (const setup of round % 2 === 0 ? setups : [...setups].reverse()) {
        const r = await runSetup(setup, EVENTS);
        (result.rates[setup.name] ??= []).push(Math.round(r.rate));
        result.failures[setup.name] = (result.failures[setup.name] ?? 0) + r.failures;
      }
    }
    return result;
  } finally {
    for (const w of [...workers.floor, ...workers.core]) w.stop();
    await db.drop();
  }
}

// The sandbox's deliveries of the prepared payments go to a sink; the bench delivers the events itself.
const sink = await serveFetch({ '/payments/webhooks/siglume': async () => new Response(null, { status: 204 }) });
const sandbox = await startTestSandbox({
  merchant: MERCHANT, origin: sink.url, webhook_url: `${sink.url}/payments/webhooks/siglume`, webhook_secret: SECRET, merchant_token: TOKEN, delivery_retries: 0,
});
const client = new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, base_url: sandbox.api_base, max_retries: 0 });
const adapters: Record<string, AdapterResult> = {};
try {
  for (const name of ADAPTERS) {
    process.stderr.write(`orders bench: ${name} ...\n`);
    adapters[name] = await benchAdapter(name, sandbox, client, sink.url);
  }
} finally {
  await sandbox.close();
  await sink.close();
}
console.log(`Webhook deliveries/s through the order core, per adapter (distinct events, concurrency ${CONCURRENCY} per instance, ${availableParallelism()} CPUs)`);
for (const [name, r] of Object.entries(adapters)) {
  if (r.skipped) console.log(`${name}: skipped: ${r.skipped}`);
  else console.table(Object.entries(r.rates).map(([setup, rates]) => ({ adapter: name, setup, rates: rates.join(' '), failures: r.failures[setup as SetupName] })));
}
await mkdir(new URL('./results/', import.meta.url), { recursive: true });
await writeFile(
  new URL('./results/orders-webhooks.json', import.meta.url),
  `${JSON.stringify({ concurrency: CONCURRENCY, cpus: availableParallelism(), rounds: ROUNDS, events_per_batch: EVENTS, adapters }, null, 2)}\n`,
);
