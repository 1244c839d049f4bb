/**
 * An explicitly empty value flag (`--base-url ""`, typically `--base-url "$UNSET_VAR"`) is a usage error, not
 * "unset": falling back to the environment or the live default would send the merchant token (or a signed event)
 * somewhere the caller did not name (CONTRACT-2 section 13: an empty base_url is not skipped).
 */
import { readdirSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { emptyDir, runCli } from './support.js';

/** Counts every request it gets: the "somewhere unintended" an empty flag used to fall back to. */
let server: Server;
let received = 0;
let base = '';
beforeAll(async () => {
  server = createServer((req, res) => {
    received += 1;
    req.resume();
    res.writeHead(500, { 'content-type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});
beforeEach(() => {
  received = 0;
});

/** Settings that point everything at the counting server, so a silent fallback would reach it. */
const settings = () => ({
  SIGLUME_API_BASE: `${base}/v1`,
  SIGLUME_MERCHANT_AUTH_TOKEN: 'sdrp_token_that_must_stay_home',
  SIGLUME_DIRECT_PAYMENT_MERCHANT: 'my_shop',
  SIGLUME_WEBHOOK_SECRET: 'whsec_shop_secret_1234',
  SHOP_PUBLIC_ORIGIN: base,
  SHOP_WEBHOOK_URL: `${base}/payments/webhooks/siglume`,
});

async function expectRefused(argv: string[], flag: string): Promise<void> {
  const run = await runCli(argv, { env: settings() });
  expect(run.code).toBe(2);
  expect(run.stdout).toBe('');
  const [first, ...rest] = run.stderr.trimEnd().split('\n');
  expect(first).toBe(`error: ${flag} must not be empty (an unset variable?)`);
  expect(rest.every((line) => line.startsWith('Run `'))).toBe(true);
  expect(received).toBe(0);
}

const CHECK_FLAGS = ['--merchant', '--origin', '--webhook-url', '--currency', '--amount-minor', '--base-url', '--dotenv'];

describe('readiness, preflight, verify and doctor with an empty value flag', () => {
  it.each(['readiness', 'doctor', 'preflight', 'verify'])('%s --base-url "" exits 2 before anything is sent', async (command) => {
    await expectRefused([command, '--base-url', ''], '--base-url');
  });

  it.each(CHECK_FLAGS)('readiness %s "" exits 2 naming the flag', async (flag) => {
    await expectRefused(['readiness', flag, ''], flag);
  });

  it.each(CHECK_FLAGS)('verify %s "   " (blank) exits 2 naming the flag', async (flag) => {
    await expectRefused(['verify', '--sandbox', flag, '   '], flag);
  });

  it('refuses --timeout "" and the --flag= form too', async () => {
    await expectRefused(['verify', '--timeout', ''], '--timeout');
    await expectRefused(['readiness', '--base-url='], '--base-url');
    await expectRefused(['preflight', '--json', '--merchant='], '--merchant');
  });
});

describe('other commands whose empty flag would fall back to a credential going elsewhere', () => {
  it('reconcile --base-url "" exits 2 before loading the store or calling any API', async () => {
    await expectRefused(['reconcile', '--store', './missing-store.js', '--base-url', ''], '--base-url');
    await expectRefused(['reconcile', '--store', './missing-store.js', '--merchant', ''], '--merchant');
    await expectRefused(['reconcile', '--store', '', '--dry-run'], '--store');
  });

  it('webhook trigger --url "" exits 2 instead of sending a signed event to SHOP_WEBHOOK_URL', async () => {
    await expectRefused(['webhook', 'trigger', 'standard-settled', '--url', ''], '--url');
    await expectRefused(['webhook', 'trigger', 'standard-settled', '--secret', ''], '--secret');
  });

  it('webhook sign --secret "" exits 2 instead of signing with the configured secret', async () => {
    await expectRefused(['webhook', 'sign', '--secret', ''], '--secret');
  });
});

describe('init and sandbox with an empty value flag', () => {
  it('init --target= exits 2 instead of copying into the current directory', async () => {
    const cwd = emptyDir();
    const run = await runCli(['init', 'express', '--target='], { env: {}, cwd });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe('error: --target must not be empty (an unset variable?)');
    expect(readdirSync(cwd)).toEqual([]);
  });

  it.each(['--state-file', '--merchant', '--webhook-secret'])('sandbox %s "" exits 2 naming the flag, before it listens', async (flag) => {
    const run = await runCli(['sandbox', '--port', '0', flag, ''], { env: {}, signal: AbortSignal.abort() });
    expect(run.code).toBe(2);
    expect(run.stderr.split('\n')[0]).toBe(`error: ${flag} must not be empty (an unset variable?)`);
  });
});
