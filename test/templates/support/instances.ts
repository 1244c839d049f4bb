/**
 * App instances as separate processes (tsx running app-instance.ts), all
 * sharing one PostgreSQL schema: what "three app servers behind a load
 * balancer" looks like to the database.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const ENTRY = fileURLToPath(new URL('./app-instance.ts', import.meta.url));
const TSCONFIG = fileURLToPath(new URL('./tsconfig.instance.json', import.meta.url));

export interface AppInstance {
  url: string;
  child: ChildProcess;
  /** Everything the process wrote to stderr (for failure messages). */
  stderr: () => string;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

export async function spawnAppInstance(env: { DATABASE_URL: string; SDRP_TEST_SCHEMA: string }): Promise<AppInstance> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY], {
    env: { ...process.env, ...env, TSX_TSCONFIG_PATH: TSCONFIG },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr!.on('data', (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error(`app instance did not start in 30 s: ${err}`)), 30_000);
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const line = out.split('\n')[0];
      if (out.includes('\n') && line) {
        clearTimeout(timer);
        resolve(JSON.parse(line).url);
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`app instance exited (${code}) before listening: ${err}`));
    });
  });
  return {
    url,
    child,
    stderr: () => err,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    },
  };
}

/**
 * Posts one signed delivery to an instance's webhook route and returns the
 * status; a refused or cut connection (a killed instance) is reported as 0.
 */
export async function deliver(instance: AppInstance, e: { raw_body: string; header: string }, timeoutMs = 20_000): Promise<number> {
  try {
    const res = await fetch(`${instance.url}/payments/webhooks/siglume`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'siglume-signature': e.header },
      body: e.raw_body,
      signal: AbortSignal.timeout(timeoutMs),
    });
    await res.arrayBuffer();
    return res.status;
  } catch {
    return 0;
  }
}
