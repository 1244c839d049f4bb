#!/usr/bin/env node
/**
 * `npm run bench`: runs every bench module in turn and prints one table with
 * each figure beside its floor or peer (measured in the same run), the ratio,
 * the target and a verdict. `npm run bench -- --json` prints the same rows as
 * JSON instead. Expects a fresh `npm run build` (the npm script does it).
 *
 *   node bench/run.mjs [--json] [--only webhook,challenges,client,cli,express,orders,runtimes,footprint,demo] [--quick] [--strict]
 *
 * --quick: fewer and shorter runs (a smoke test of the bench itself; the
 * figures are noisier).
 *
 * A complete run (no --only, no --quick) also writes its report to
 * bench/results/latest.json (committed) and regenerates the tables of
 * docs/performance.md from it (bench/docs.mjs, also `npm run bench:docs`).
 *
 * Every row has the shape of lib.row() plus `module` and `verdict`; the page
 * generator reads nothing else, so a new module only has to return rows.
 *
 * Exit code: 1 when a module fails, and with --strict also when a figure
 * misses its target; 0 otherwise. A missed target is always printed as
 * MISSED. Skipped figures (e.g. no PostgreSQL) never fail the run.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, totalmem } from 'node:os';
import { parseArgs } from 'node:util';
import { writePerformancePage } from './docs.mjs';
import { verdictOf } from './lib.mjs';

const { values: flags } = parseArgs({
  options: {
    json: { type: 'boolean', default: false },
    only: { type: 'string' },
    quick: { type: 'boolean', default: false },
    strict: { type: 'boolean', default: false },
  },
});

/** Each module exports `run(options)` returning rows (lib.row()). */
const MODULES = [
  { key: 'webhook', load: () => import('./webhook-verify.mjs'), options: (q) => (q ? { runs: 3, run_ms: 150 } : { runs: 7, run_ms: 250 }) },
  { key: 'challenges', load: () => import('./challenges.mjs'), options: (q) => (q ? { runs: 3, run_ms: 120 } : {}) },
  { key: 'client', load: () => import('./merchant-client.mjs'), options: (q) => (q ? { runs: 3, run_ms: 200 } : {}) },
  { key: 'cli', load: () => import('./cli.mjs'), options: (q) => (q ? { help_runs: 5, readiness_runs: 2 } : {}) },
  { key: 'express', load: () => import('./express.mjs'), options: (q) => (q ? { rounds: 2, events: 100 } : { rounds: 5, events: 200 }) },
  { key: 'runtimes', load: () => import('./runtimes.mjs'), options: (q) => (q ? { runs: 3, n: 1000 } : {}) },
  { key: 'orders', load: () => import('./orders.mjs'), options: (q) => (q ? { rounds: 1, events: 100 } : { rounds: 5, events: 300 }) },
  { key: 'footprint', load: () => import('./footprint.mjs'), options: (q) => (q ? { runs: 5 } : {}) },
  { key: 'demo', load: () => import('./demo.mjs'), options: (q) => (q ? { runs: 1 } : {}) },
];

function fmtNumber(v) {
  if (v === null || v === undefined) return '-';
  if (Math.abs(v) >= 1000) return Math.round(v).toLocaleString('en-US');
  return String(v);
}

function table(rows) {
  const head = ['figure', 'value', 'floor / peer', 'ratio', 'target', 'verdict'];
  const cells = rows.map((r) => [
    r.figure,
    r.skipped ? '-' : `${fmtNumber(r.value)} ${r.unit}`,
    r.floor ? `${fmtNumber(r.floor.value)} ${r.floor.unit} (${r.floor.name})` : '-',
    r.ratio === null ? '-' : `${r.ratio.toFixed(2)}x`,
    r.target ?? '-',
    r.verdict,
  ]);
  const widths = head.map((h, i) => Math.max(h.length, ...cells.map((c) => c[i].length)));
  const line = (c) => c.map((x, i) => (i === 1 || i === 3 ? x.padStart(widths[i]) : x.padEnd(widths[i]))).join('  ').trimEnd();
  const out = [line(head), widths.map((w) => '-'.repeat(w)).join('  ')];
  for (const c of cells) out.push(line(c));
  const notes = rows.filter((r) => r.skipped || r.note);
  if (notes.length) {
    out.push('', 'notes:');
    for (const r of notes) out.push(`  ${r.figure}: ${r.skipped ? `skipped: ${r.skipped}` : r.note}`);
  }
  return out.join('\n');
}

function round1(v) {
  return Math.round(v * 10) / 10;
}

function machine() {
  const c = cpus();
  return {
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
    cpus: availableParallelism(),
    cpu_model: c[0]?.model?.trim() ?? 'unknown',
    memory_gib: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
  };
}

const only = flags.only ? new Set(flags.only.split(',').map((s) => s.trim())) : null;
const selected = MODULES.filter((m) => !only || only.has(m.key));
if (only && selected.length !== only.size) {
  console.error(`unknown --only entry; use: ${MODULES.map((m) => m.key).join(', ')}`);
  process.exit(2);
}

const started = performance.now();
const rows = [];
const errors = [];
// The machine is shared: the 1-minute load average is kept with the figures.
const load = [loadavg()[0]];
for (const m of selected) {
  load.push(loadavg()[0]);
  const t0 = performance.now();
  if (!flags.json) process.stderr.write(`bench: ${m.key} ...`);
  try {
    const mod = await m.load();
    const result = await mod.run({ json: true, ...m.options(flags.quick) });
    rows.push(...result.map((r) => ({ module: m.key, ...r, verdict: verdictOf(r) })));
  } catch (error) {
    errors.push({ module: m.key, error: error instanceof Error ? error.message : String(error) });
    const failed = { figure: `${m.key} bench`, value: null, unit: '', floor: null, ratio: null, target: null, pass: false, note: `failed: ${String(error?.message ?? error).split('\n')[0]}` };
    rows.push({ module: m.key, ...failed, verdict: verdictOf(failed) });
  }
  if (!flags.json) process.stderr.write(` ${((performance.now() - t0) / 1000).toFixed(1)} s\n`);
}
const seconds = Math.round((performance.now() - started) / 100) / 10;
load.push(loadavg()[0]);
const missed = rows.filter((r) => r.pass === false);
const info = {
  ...machine(),
  load_average: { start: round1(load[0]), end: round1(load.at(-1)), max: round1(Math.max(...load)) },
};
const report = { date: new Date().toISOString(), command: 'npm run bench', machine: info, seconds, quick: flags.quick, rows, errors };
if (!only && !flags.quick) {
  // Only a complete run replaces the figures docs/performance.md is written from.
  mkdirSync(new URL('./results/', import.meta.url), { recursive: true });
  writeFileSync(new URL('./results/latest.json', import.meta.url), `${JSON.stringify(report, null, 2)}\n`);
  writePerformancePage(report);
  if (!flags.json) process.stderr.write('bench: wrote bench/results/latest.json and the tables of docs/performance.md\n');
}

if (flags.json) {
  console.log(JSON.stringify(report, null, 2));
} else {
  console.log(`\n@siglume/direct-request-payment bench, ${new Date().toISOString().slice(0, 10)}, node ${info.node}, ${info.cpus} CPUs (${info.cpu_model}), ${info.memory_gib} GiB${flags.quick ? ', --quick' : ''}`);
  console.log('Ratios are the figure over its floor or peer measured in the same run: the median of run-by-run ratios of interleaved runs.\n');
  console.log(table(rows));
  for (const e of errors) console.log(`\n${e.module} failed:\n${e.error}`);
  console.log(`\n${rows.length} figures in ${seconds} s; ${missed.length === 0 ? 'every target met' : `${missed.length} missed: ${missed.map((r) => r.figure).join('; ')}`}.`);
}
process.exitCode = errors.length > 0 || (flags.strict && missed.length > 0) ? 1 : 0;
