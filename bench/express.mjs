#!/usr/bin/env node
/**
 * Webhook deliveries per second through the order core (what the Express template calls) with the
 * PostgreSQL order store, 1 instance and 3 instances sharing the database.
 *
 * The measurement itself is bench/express-webhooks.ts (it drives the template
 * test harness in test/orders/support through tsx); this module runs it as
 * a child process, reads the rows it writes to bench/results/express-webhooks.json,
 * and turns them into runner rows. The two setups run interleaved, round by
 * round; each figure is the median over rounds and the 3-instance row's ratio
 * to the 1-instance row is the median of the per-round ratios. The rows are
 * skipped, with the reason, when the templates are missing or PostgreSQL at
 * DATABASE_URL cannot be reached.
 *
 * Usage: `npm run build && node bench/express.mjs [--json] [--rounds N] [--events N]`, or import `run`.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, median, pairedRatio, round, row } from './lib.mjs';

const SCRIPT = join(ROOT, 'bench/express-webhooks.ts');
const RESULT = join(ROOT, 'bench/results/express-webhooks.json');
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const FIGURES = ['webhook deliveries/s, Express + PostgreSQL store, 1 instance', 'webhook deliveries/s, Express + PostgreSQL store, 3 instances'];

function skipped(reason) {
  return FIGURES.map((figure) => row({ figure, value: null, unit: 'deliveries/s', skipped: reason }));
}

/** Null when PostgreSQL answers, else why not. */
async function probePostgres() {
  let pg;
  try {
    pg = (await import('pg')).default;
  } catch {
    return 'the pg package is not installed (devDependency)';
  }
  const client = new pg.Client({ connectionString: DATABASE_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return null;
  } catch (error) {
    return `PostgreSQL at DATABASE_URL is unreachable (${error instanceof Error ? error.message : String(error)})`;
  } finally {
    await client.end().catch(() => undefined);
  }
}

function runScript(args, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, ...args], {
      cwd: ROOT,
      env: { ...process.env, DATABASE_URL },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, out });
    });
  });
}

/**
 * Runs the benchmark and returns its rows.
 * @param {{ json?: boolean, rounds?: number, events?: number, concurrency?: number }} [options]
 *   events: deliveries per setup per round.
 */
export async function run({ json = false, rounds = 5, events = 200, concurrency = 32 } = {}) {
  const templates = ['templates/express/siglume-checkout.ts', 'templates/schema/postgres/siglume-payments.sql', 'src/orders/postgres/index.ts'].map((f) => join(ROOT, f));
  const missing = [SCRIPT, ...templates].filter((f) => !existsSync(f));
  if (missing.length > 0) return skipped(`missing ${missing.map((f) => f.slice(ROOT.length)).join(', ')}`);
  const unreachable = await probePostgres();
  if (unreachable) return skipped(unreachable);

  const before = existsSync(RESULT) ? statSync(RESULT).mtimeMs : 0;
  const r = await runScript(['--rounds', String(rounds), '--events', String(events), '--concurrency', String(concurrency)], 300_000);
  if (r.code !== 0 || !existsSync(RESULT) || statSync(RESULT).mtimeMs <= before) {
    throw new Error(`bench/express-webhooks.ts failed (exit ${r.code}${r.signal ? `, ${r.signal}` : ''}):\n${r.out.slice(-3000)}`);
  }
  const result = JSON.parse(readFileSync(RESULT, 'utf8'));
  const one = result.rates?.['1 instance'];
  const three = result.rates?.['3 instances'];
  if (!one?.length || one.length !== three?.length) throw new Error(`unexpected ${RESULT}: ${JSON.stringify(result)}`);
  const failures = result.failures['1 instance'] + result.failures['3 instances'];
  const context = `${result.rounds} interleaved rounds of ${result.events_per_batch} distinct signed events per setup, keep-alive, concurrency ${result.concurrency}, ${result.cpus} CPUs shared by client, apps and PostgreSQL`;
  const rows = [
    row({
      figure: FIGURES[0],
      value: median(one),
      unit: 'deliveries/s',
      note: `${context}; ${result.failures['1 instance']} non-204 answers`,
    }),
    row({
      figure: FIGURES[1],
      value: median(three),
      unit: 'deliveries/s',
      floor: { name: '1 instance', value: median(one), unit: 'deliveries/s' },
      ratio: round(pairedRatio(three, one)),
      note: `${result.failures['3 instances']} non-204 answers; on this machine the instances compete with PostgreSQL and the client for the same cores`,
    }),
  ];
  if (failures > 0) for (const x of rows) x.pass = false;
  if (!json) for (const x of rows) console.log(`${x.figure}: ${x.value} ${x.unit}${x.ratio !== null ? ` (${x.ratio}x 1 instance)` : ''}`);
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const json = process.argv.includes('--json');
  const arg = (name) => {
    const i = process.argv.indexOf(name);
    return i !== -1 ? { [name.slice(2)]: Number(process.argv[i + 1]) } : {};
  };
  const rows = await run({ json, ...arg('--rounds'), ...arg('--events') });
  if (json) console.log(JSON.stringify(rows, null, 2));
}
