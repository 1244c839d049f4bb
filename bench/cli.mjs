#!/usr/bin/env node
/**
 * CLI figures, spawning the real binary (bin/siglume-sdrp.cjs, what both
 * `siglume-sdrp` and `siglume-check` run):
 *
 *   - `siglume-check --help` start-up time next to `node -e 0`, interleaved,
 *     medians of `help_runs` runs (target: at most 1.25x);
 *   - wall time of a full `siglume-check readiness --sandbox` on an empty
 *     environment, which starts an in-process sandbox and webhook receiver
 *     and runs every check including the delivery probe (target: under 1 s),
 *     interleaved with `node -e 0` for its paired ratio. Every run must be
 *     ready; the number of checks it passed is read from its JSON.
 *
 * hyperfine is not installed on these machines; spawnSync wall times are the
 * stand-in (the measuring process is idle while the child runs).
 *
 * Usage: `npm run build && node bench/cli.mjs [--json]`, or import `run`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, interleavedProcessTimes, median, pairedRatio, round, row, timeProcess } from './lib.mjs';

const BIN = join(ROOT, 'bin/siglume-sdrp.cjs');

/**
 * Runs the benchmark and returns its rows.
 * @param {{ json?: boolean, help_runs?: number, readiness_runs?: number }} [options]
 */
export async function run({ json = false, help_runs = 11, readiness_runs = 5 } = {}) {
  // An empty working directory (no stray .env) and a minimal environment:
  // the "fresh checkout, nothing configured" case the README promises.
  const cwd = mkdtempSync(join(tmpdir(), 'sdrp-bench-cli-'));
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd, NO_COLOR: '1' };
  try {
    const start = interleavedProcessTimes(
      { help: [BIN, '--help'], node: ['-e', '0'] },
      { runs: help_runs, cwd, env },
    );
    const helpRatio = pairedRatio(start.help, start.node);

    const readiness = [];
    const readinessFloor = [];
    let checks = null;
    timeProcess([BIN, 'readiness', '--sandbox', '--json'], { cwd, env }); // warm-up: file cache
    for (let i = 0; i < readiness_runs; i++) {
      readinessFloor.push(timeProcess(['-e', '0'], { cwd, env }).ms);
      const r = timeProcess([BIN, 'readiness', '--sandbox', '--json'], { cwd, env, allowFail: true });
      let report = null;
      try {
        report = JSON.parse(r.stdout);
      } catch {
        report = null;
      }
      const passed = report?.checks?.filter((c) => c.status === 'pass').length;
      if (r.status !== 0 || report?.ok !== true || passed !== report.checks.length) {
        throw new Error(`readiness --sandbox was not ready (exit ${r.status}): ${r.stdout.slice(0, 2000)}${r.stderr.slice(0, 2000)}`);
      }
      if (checks !== null && passed !== checks) throw new Error(`readiness --sandbox ran ${checks} checks, then ${passed}`);
      checks = passed;
      readiness.push(r.ms);
    }
    const readinessMs = median(readiness);

    const rows = [
      row({
        figure: '`siglume-check --help` start',
        value: round(median(start.help), 1),
        unit: 'ms',
        floor: { name: '`node -e 0`', value: round(median(start.node), 1), unit: 'ms' },
        ratio: round(helpRatio),
        target: '<= 1.25x',
        pass: helpRatio <= 1.25,
        note: `median of ${help_runs} interleaved spawns`,
      }),
      row({
        figure: '`siglume-check readiness --sandbox` wall time',
        value: round(readinessMs, 0),
        unit: 'ms',
        floor: { name: '`node -e 0`', value: round(median(readinessFloor), 1), unit: 'ms' },
        ratio: round(pairedRatio(readiness, readinessFloor)),
        target: '< 1000 ms',
        pass: readinessMs < 1000,
        note: `median of ${readiness_runs} full runs, each interleaved with \`node -e 0\` (all ${checks} checks passed in each)`,
      }),
    ];
    if (!json) for (const r of rows) console.log(`${r.figure}: ${r.value} ${r.unit} (floor ${r.floor.value} ms, ${r.ratio}x)`);
    return rows;
  } finally {
    rmSync(cwd, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const json = process.argv.includes('--json');
  const rows = await run({ json });
  if (json) console.log(JSON.stringify(rows, null, 2));
}
