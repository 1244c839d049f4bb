/**
 * The README's first command, as a new user meets it: `npm run demo` in a
 * fresh clone after `npm ci` (node_modules, no dist/) builds the JavaScript
 * only (tsup.demo.config.ts), runs `readiness --sandbox` against the embedded
 * sandbox and passes every check, printing nothing before the report but
 * npm's banner. How long it takes is measured by bench/demo.mjs (target 6 s),
 * never asserted here.
 */
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { freshClone, noiseBefore, REPORT_TITLE } from '../../bench/demo.mjs';
import { READINESS_CHECK_NAMES } from '../../src/readiness/types.js';

const clones: string[] = [];

afterAll(() => {
  for (const dir of clones) rmSync(dir, { recursive: true, force: true });
});

/** `npm run demo` in `cwd` with a reader's bare environment, killed after `timeoutMs`. */
function npmRunDemo(cwd: string, timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', 'demo'], {
      cwd,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? cwd, NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        // already gone
      }
    }, timeoutMs);
    child.once('close', (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

describe('npm run demo in a fresh clone', () => {
  it('builds, passes every readiness check against the embedded sandbox, and is quiet until the report', async () => {
    const dir = freshClone();
    clones.push(dir);
    expect(existsSync(join(dir, 'dist'))).toBe(false);
    const r = await npmRunDemo(dir, 120_000);
    expect(r.code, `${r.stdout}\n${r.stderr}`).toBe(0);
    expect(r.stdout).toContain(REPORT_TITLE);
    expect(r.stdout).toContain(`Ready: all ${READINESS_CHECK_NAMES.length} checks passed`);
    expect(r.stdout).toMatch(/sandbox: (Started its own in-process sandbox|Attached to the sandbox already running) at /);
    expect(noiseBefore(r.stdout)).toBe(0);
    expect(r.stderr.trim()).toBe('');
    // The demo built the JavaScript only: no type declarations.
    expect(existsSync(join(dir, 'dist/cli.js'))).toBe(true);
    expect(existsSync(join(dir, 'dist/index.d.ts'))).toBe(false);
  }, 150_000);
});
