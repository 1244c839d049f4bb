/**
 * Runs the CLI in-process (`main()` with captured streams and an explicit
 * environment) or as the real binary (`node bin/siglume-sdrp.cjs`), always
 * with bounded time.
 */
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { main } from '../../src/cli/main.js';

export const REPO_ROOT = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const BIN = join(REPO_ROOT, 'bin/siglume-sdrp.cjs');
export const BUILT_CLI = join(REPO_ROOT, 'dist/cli.js');

/** An empty temporary directory (no stray .env). */
export function emptyDir(prefix = 'sdrp-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunCliOptions {
  env?: Record<string, string | undefined>;
  cwd?: string;
  /** What stdin yields: one chunk, or the chunks of an iterable (an endless one stands for `< /dev/zero`). */
  stdin?: Buffer | string | Iterable<Buffer>;
  stdinIsTTY?: boolean;
  tty?: boolean;
  signal?: AbortSignal;
  name?: string;
}

/** Runs `main(argv)` in-process with captured output. */
export async function runCli(argv: string[], opts: RunCliOptions = {}): Promise<CliRun> {
  let stdout = '';
  let stderr = '';
  const stdin = Object.assign(Readable.from(
      opts.stdin === undefined ? [] : typeof opts.stdin === 'string' || Buffer.isBuffer(opts.stdin) ? [Buffer.from(opts.stdin)] : opts.stdin,
    ), {
    isTTY: opts.stdinIsTTY ?? false,
  });
  const code = await main(argv, {
    name: opts.name ?? 'siglume-check',
    env: opts.env ?? {},
    cwd: opts.cwd ?? emptyDir(),
    stdout: { write: (s: string) => (stdout += s), isTTY: opts.tty ?? false },
    stderr: { write: (s: string) => (stderr += s), isTTY: opts.tty ?? false },
    stdin,
    signal: opts.signal,
  });
  return { code, stdout, stderr };
}

export interface BinRun extends CliRun {
  signal: NodeJS.Signals | null;
  ms: number;
}

/** The built CLI must exist for binary tests (`npm test` builds it first). */
export function requireBuild(): void {
  if (!existsSync(BUILT_CLI)) throw new Error(`${BUILT_CLI} is missing: run \`npm run build\` before the binary tests`);
}

/** Runs `node bin/siglume-sdrp.cjs ...args` with exactly `env`, killed after `timeoutMs`. */
export function runBin(
  args: string[],
  opts: { env?: Record<string, string>; cwd?: string; timeoutMs?: number; stdin?: string; script?: string; nodeArgs?: string[] } = {},
): Promise<BinRun> {
  const started = performance.now();
  return new Promise((resolvePromise) => {
    const child = execFile(
      process.execPath,
      [...(opts.nodeArgs ?? []), opts.script ?? BIN, ...args],
      { env: opts.env ?? {}, cwd: opts.cwd ?? emptyDir(), timeout: opts.timeoutMs ?? 20_000, killSignal: 'SIGKILL' },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolvePromise({ code, signal: (error?.signal as NodeJS.Signals | undefined) ?? null, stdout, stderr, ms: performance.now() - started });
      },
    );
    if (opts.stdin !== undefined) child.stdin?.end(opts.stdin);
    else child.stdin?.end();
  });
}

export { spawn };
