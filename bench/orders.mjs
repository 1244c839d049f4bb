#!/usr/bin/env node
/**
 * Webhook deliveries/s through the order core for each store adapter, 1 vs 3
 * app instances, with and without confirming each payment with Siglume,
 * beside a bare driver loop doing the same statements in one transaction per
 * event (the floor). Target: the core at >= 0.7x its floor on PostgreSQL.
 *
 * The measurement is bench/orders-webhooks.ts (it uses the conformance
 * suite's adapters and a sandbox, through tsx); this module runs it as a
 * child process, reads bench/results/orders-webhooks.json, and turns it into
 * runner rows. Every ratio is the median of the run-by-run ratios of
 * interleaved runs (lib.pairedRatio).
 *
 * Usage: `npm run build && node bench/orders.mjs [--json] [--rounds N] [--events N]`, or import `run`.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, median, pairedRatio, round, row } from './lib.mjs';

const SCRIPT = join(ROOT, 'bench/orders-webhooks.ts');
const RESULT = join(ROOT, 'bench/results/orders-webhooks.json');

const ADAPTERS = [
  { key: 'postgres', label: 'PostgreSQL store (pg)', floor: 'bare pg loop', target: true },
  { key: 'mysql', label: 'MariaDB store (mysql2)', floor: 'bare mysql2 loop', target: false },
  { key: 'sqlite', label: 'SQLite store (better-sqlite3)', floor: 'bare better-sqlite3 loop', target: false },
  { key: 'kysely', label: 'generic SQL store via Kysely on PostgreSQL', floor: 'bare pg loop', target: false },
];
const SETUPS = [
  { core: 'core-1', floor: 'floor-1', what: '1 instance' },
  { core: 'core-3', floor: 'floor-3', what: '3 instances' },
  { core: 'core-1-confirmed', floor: 'floor-1', what: '1 instance, confirmed with Siglume' },
  { core: 'core-3-confirmed', floor: 'floor-3', what: '3 instances, confirmed with Siglume' },
];
const TARGET = 0.7;

const figure = (a, s) => `webhook deliveries/s through the order core, ${a.label}, ${s.what}`;

function runScript(args, timeoutMs) {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', SCRIPT, ...args], { cwd: ROOT, env: process.env, stdio: ['ignore', 'pipe', 'pipe'] });
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

function note(a, s, result, failures) {
  const parts = [];
  if (s.core.endsWith('confirmed')) parts.push('each delivery also reads the session from a sandbox over loopback HTTP (getCheckoutSession) and the event row before its transaction; the floor does neither');
  if (s.core === 'core-1' && a.key === 'sqlite') parts.push('SQLite runs 1 instance only: one writer per database file, and better-sqlite3 blocks the event loop of a process waiting for another process\'s lock');
  if (s.core === 'core-1' && a.key === 'mysql') parts.push('each transaction also sets READ COMMITTED and sets / restores the lock wait timeout (four round trips the bare loop skips)');
  if (s.core === 'core-1' && a.key === 'postgres') {
    parts.push(`${result.rounds} interleaved rounds of ${result.events_per_batch} distinct signed events per setup, concurrency ${result.concurrency} per instance, ${result.cpus} CPUs shared by the instances, the database and the bench`);
  }
  if (failures > 0) parts.push(`${failures} deliveries not marked paid`);
  return parts.join('; ');
}

/**
 * Runs the benchmark and returns its rows.
 * @param {{ json?: boolean, rounds?: number, events?: number, concurrency?: number }} [options]
 */
export async function run({ json = false, rounds = 5, events = 300, concurrency = 8 } = {}) {
  const before = existsSync(RESULT) ? statSync(RESULT).mtimeMs : 0;
  const r = await runScript(['--rounds', String(rounds), '--events', String(events), '--concurrency', String(concurrency)], 1_500_000);
  if (r.code !== 0 || !existsSync(RESULT) || statSync(RESULT).mtimeMs <= before) {
    throw new Error(`bench/orders-webhooks.ts failed (exit ${r.code}${r.signal ? `, ${r.signal}` : ''}):\n${r.out.slice(-3000)}`);
  }
  const result = JSON.parse(readFileSync(RESULT, 'utf8'));
  const rows = [];
  for (const a of ADAPTERS) {
    const res = result.adapters?.[a.key];
    for (const s of SETUPS) {
      if (a.key === 'sqlite' && s.core.startsWith('core-3')) continue;
      if (!res || res.skipped) {
        rows.push(row({ figure: figure(a, s), value: null, unit: 'deliveries/s', skipped: res?.skipped ?? 'not measured' }));
        continue;
      }
      const core = res.rates[s.core];
      const floor = res.rates[s.floor];
      if (!core?.length || core.length !== floor?.length) throw new Error(`unexpected ${RESULT} for ${a.key} ${s.core}`);
      const failures = res.failures[s.core] ?? 0;
      const ratio = round(pairedRatio(core, floor));
      const target = a.target && s.core === 'core-1' ? `>= ${TARGET}x` : null;
      const n = note(a, s, result, failures);
      rows.push(row({
        figure: figure(a, s),
        value: median(core),
        unit: 'deliveries/s',
        floor: { name: `${a.floor}, ${s.core.startsWith('core-3') ? '3 instances' : '1 instance'}`, value: median(floor), unit: 'deliveries/s' },
        ratio,
        target,
        pass: failures > 0 ? false : target ? ratio >= TARGET : null,
        ...(n ? { note: n } : {}),
      }));
    }
  }
  if (!json) for (const x of rows) console.log(`${x.figure}: ${x.value ?? '-'} ${x.unit}${x.ratio !== null ? ` (${x.ratio}x its floor)` : ''}`);
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
