/**
 * Shops as separate processes (tsx running app-process.ts), sharing one
 * database: what "three app servers behind a load balancer" looks like.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('./app-process.ts', import.meta.url));

export interface ShopProcess {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote to stderr. */
  stderr(): string;
  /** True while the process runs. */
  alive(): boolean;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function spawnShop(env: Record<string, string>): Promise<ShopProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    env: { ...process.env, ...env },
    // The IPC channel is how a shop knows its test worker is gone: a test's setup can time out while a spawn
    // is pending, so no test holds the handle to kill it, and vitest stops its workers with SIGTERM, which
    // runs no exit hook. The channel closes however the worker ends, and the shop exits on that.
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const fail = (error: Error) => {
      child.kill('SIGKILL'); // a shop that did not start is not left behind
      reject(error);
    };
    let out = '';
    const timer = setTimeout(() => fail(new Error(`shop process did not start in 30 s: ${err}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        clearTimeout(timer);
        resolve((JSON.parse(line) as { url: string }).url);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      fail(new Error(`shop process exited (${code}) before listening: ${err}`));
    });
  });
  return {
    url,
    child,
    stderr: () => err,
    alive: () => child.exitCode === null && child.signalCode === null,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    },
  };
}
