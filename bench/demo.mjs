#!/usr/bin/env node
/**
 * "demo after npm ci": wall time of `npm run demo` in a fresh copy of the
 * repository that has `node_modules` but no `dist/`, which is where a new
 * user is after `git clone && npm ci`. The demo builds the JavaScript and
 * runs `readiness --sandbox` (target: at most 6 s), and must print nothing
 * before the readiness report except npm's own two-line banner.
 *
 * The copy holds the files git would check out (tracked and new, not
 * ignored ones), taken from this working tree; its node_modules is a link to
 * this checkout's, installed by `npm ci` from the same lockfile, so the
 * figure leaves out the install itself. Each run starts from no dist/ (the
 * demo script removes it first).
 *
 * Usage: `node bench/demo.mjs [--json]`, or import `run`.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { ROOT, median, round, row } from './lib.mjs';

const TARGET_MS = 6000;
export const REPORT_TITLE = 'Siglume Direct Request Payment readiness';

/** A fresh checkout of this working tree (no dist/, no ignored files) with node_modules linked. */
export function freshClone() {
  const dir = mkdtempSync(join(tmpdir(), 'sdrp-bench-demo-'));
  const files = execFileSync('git', ['ls-files', '-z', '--cached', '--others', '--exclude-standard'], { cwd: ROOT, encoding: 'utf8' })
    .split('\0')
    .filter(Boolean);
  for (const file of files) {
    mkdirSync(dirname(join(dir, file)), { recursive: true });
    try {
      copyFileSync(join(ROOT, file), join(dir, file));
    } catch (error) {
      if (error?.code !== 'ENOENT') throw error; // deleted in the working tree, not yet in the index
    }
  }
  symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'), 'dir');
  return dir;
}

/** Lines printed before the report that are not npm's `> script` banner. */
export function noiseBefore(stdout) {
  const head = stdout.split(REPORT_TITLE)[0] ?? '';
  return head.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('> ')).length;
}

/**
 * Runs the measurement and returns its row.
 * @param {{ json?: boolean, runs?: number }} [options]
 */
export async function run({ json = false, runs = 3 } = {}) {
  const dir = freshClone();
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const env = { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? dir, NO_COLOR: '1' };
  try {
    const times = [];
    let noise = 0;
    let checks = null;
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const r = spawnSync(npm, ['run', 'demo'], { cwd: dir, env, encoding: 'utf8', timeout: 120_000 });
      const ms = performance.now() - started;
      const ready = /Ready: all (\d+) checks passed\b/.exec(r.stdout ?? '');
      if (r.status !== 0 || !ready) {
        throw new Error(`npm run demo failed (exit ${r.status}${r.signal ? `, ${r.signal}` : ''}):\n${String(r.stdout).slice(-2000)}${String(r.stderr).slice(-2000)}`);
      }
      times.push(ms);
      noise = Math.max(noise, noiseBefore(r.stdout) + String(r.stderr).split('\n').filter((l) => l.trim() !== '').length);
      checks = Number(ready[1]);
    }
    const value = median(times);
    const result = row({
      figure: '`npm run demo` after `npm ci` (fresh clone, no dist/)',
      value: round(value, 0),
      unit: 'ms',
      target: `<= ${TARGET_MS} ms, quiet`,
      pass: value <= TARGET_MS && noise === 0,
      note:
        `median of ${runs} run${runs === 1 ? '' : 's'}: JavaScript-only build, then readiness --sandbox (all ${checks} checks passed); ` +
        `${noise} line${noise === 1 ? '' : 's'} of output before the report besides npm's banner`,
    });
    if (!json) console.log(`${result.figure}: ${result.value} ms (${result.note})`);
    return [result];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const json = process.argv.includes('--json');
  const rows = await run({ json });
  if (json) console.log(JSON.stringify(rows, null, 2));
}
