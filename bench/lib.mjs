/**
 * Shared measuring helpers for the bench modules. Every figure is a median of
 * several runs, and every floor or peer is measured in the same process and
 * the same run, interleaved with the figure, so machine noise hits both alike.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** Repository root (bench/..). */
export const ROOT = fileURLToPath(new URL('..', import.meta.url));

/** Median of a non-empty list. */
export function median(values) {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Nearest-rank percentile (p in 0..100) of a non-empty list. */
export function percentile(values, p) {
  const sorted = [...values].sort((x, y) => x - y);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[rank];
}

/** Rounds to `digits` significant decimals, for display and JSON. */
export function round(value, digits = 3) {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}

/**
 * Ops/s of `fn` over one run of about `runMs` milliseconds, in batches so the
 * clock is read rarely. `fn` may be async (awaited one call at a time).
 */
export async function opsPerSecond(fn, { runMs, batch = 128, async = false }) {
  const start = performance.now();
  let ops = 0;
  let elapsed = 0;
  do {
    if (async) for (let i = 0; i < batch; i++) await fn();
    else for (let i = 0; i < batch; i++) fn();
    ops += batch;
    elapsed = performance.now() - start;
  } while (elapsed < runMs);
  return ops / (elapsed / 1000);
}

/**
 * Runs every case `runs` times, interleaved case by case, after one short
 * warm-up each; returns every run's ops/s per case id (use {@link median} and
 * {@link pairedRatio} on them).
 * @param {Array<{ id: string, fn: () => unknown, async?: boolean }>} cases
 * @returns {Promise<Map<string, number[]>>}
 */
export async function interleavedOps(cases, { runs, runMs, batch }) {
  for (const c of cases) await opsPerSecond(c.fn, { runMs: Math.min(150, runMs), batch, async: c.async });
  const samples = new Map(cases.map((c) => [c.id, []]));
  for (let r = 0; r < runs; r++) {
    for (const c of cases) samples.get(c.id).push(await opsPerSecond(c.fn, { runMs, batch, async: c.async }));
  }
  return samples;
}

/**
 * Median of the run-by-run ratios a[i] / b[i]. Runs i of both cases were
 * measured back to back, so a slow patch of a shared machine cancels out of
 * each ratio instead of skewing one side's median.
 */
export function pairedRatio(a, b) {
  return median(a.map((x, i) => x / b[i]));
}

/**
 * Wall time in ms of one child process run to completion (spawnSync, so the
 * measuring process does nothing else meanwhile). Throws on a non-zero exit
 * unless `allowFail`.
 */
export function timeProcess(args, { cwd = ROOT, env = process.env, allowFail = false, timeoutMs = 60_000 } = {}) {
  const start = performance.now();
  const r = spawnSync(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'], timeout: timeoutMs });
  const ms = performance.now() - start;
  if (!allowFail && (r.status !== 0 || r.error)) {
    const why = r.error ? r.error.message : `exit ${r.status}${r.signal ? ` (${r.signal})` : ''}`;
    throw new Error(`node ${args.join(' ')} failed: ${why}\n${String(r.stderr).slice(0, 2000)}`);
  }
  return { ms, status: r.status, stdout: String(r.stdout), stderr: String(r.stderr) };
}

/**
 * Wall times of several commands, run `runs` times each, interleaved
 * (a, b, a, b, ...) so drift on a shared machine hits them alike. One
 * untimed warm-up run each fills the OS file cache.
 * @param {Record<string, string[]>} commands name -> node args
 * @returns {Record<string, number[]>} wall times (ms) per command, run by run
 */
export function interleavedProcessTimes(commands, { runs, ...opts }) {
  const names = Object.keys(commands);
  for (const name of names) timeProcess(commands[name], opts);
  const samples = Object.fromEntries(names.map((n) => [n, []]));
  for (let r = 0; r < runs; r++) for (const name of names) samples[name].push(timeProcess(commands[name], opts).ms);
  return samples;
}

/**
 * A result row, the shape every bench module returns and bench/run.mjs prints.
 *
 * @param {object} r
 * @param {string} r.figure       what is measured
 * @param {number|null} r.value   the measurement (null when skipped)
 * @param {string} r.unit         e.g. 'ops/s', 'ms', 'KiB'
 * @param {{ name: string, value: number, unit: string } | null} [r.floor] floor or peer measured in the same run
 * @param {number|null} [r.ratio] value / floor (for throughput) or value / floor (for times: lower is better)
 * @param {string|null} [r.target] e.g. '>= 0.7x', '<= 1.25x', '< 1000 ms'
 * @param {boolean|null} [r.pass] verdict against the target; null when there is no target
 * @param {string} [r.note]       one line of context
 * @param {string} [r.skipped]    why the figure could not be measured
 */
export function row(r) {
  return {
    figure: r.figure,
    value: r.value ?? null,
    unit: r.unit,
    floor: r.floor ?? null,
    ratio: r.ratio ?? null,
    target: r.target ?? null,
    pass: r.pass ?? null,
    ...(r.note ? { note: r.note } : {}),
    ...(r.skipped ? { skipped: r.skipped } : {}),
  };
}

/**
 * The verdict of a row, as printed and as stored in the JSON: `skipped`,
 * `ok` (target met), `MISSED` (target missed), `FAILED` (no target, but the
 * measurement itself went wrong) or `info` (no target).
 */
export function verdictOf(r) {
  if (r.skipped) return 'skipped';
  if (r.pass === true) return 'ok';
  if (r.pass === false) return r.target ? 'MISSED' : 'FAILED';
  return 'info';
}
