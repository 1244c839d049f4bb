/**
 * `readiness --sandbox` says which sandbox it used and why (issue 11, item
 * 11), and a delivery probe that got no answer names the real cause from the
 * sandbox's delivery record with a fix for that cause (item 8).
 */
import { writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from '../../src/devtools/webhook-receiver.js';
import { startShopSandbox, type ShopSandbox } from '../readiness/support.js';
import { emptyDir, runCli } from './support.js';

/**
 * The address readiness --sandbox checks when none is named: 127.0.0.1:8787 unless a test sets another (a port
 * nothing listens on), through prepareSandboxReadiness's internal `default_base_url`.
 */
const defaultAddress = vi.hoisted(() => ({ url: undefined as string | undefined }));
vi.mock('../../src/devtools/sandbox-readiness.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/devtools/sandbox-readiness.js')>();
  return {
    ...real,
    prepareSandboxReadiness: (...[options, context]: Parameters<typeof real.prepareSandboxReadiness>) =>
      real.prepareSandboxReadiness(options, { ...(defaultAddress.url ? { default_base_url: defaultAddress.url } : {}), ...context }),
  };
});

afterEach(() => {
  defaultAddress.url = undefined;
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

interface JsonCheck {
  name: string;
  status: string;
  message: string;
  fix?: string;
  details?: Record<string, unknown>;
}
interface JsonReport {
  ok: boolean;
  base_url: string;
  sandbox: Record<string, unknown>;
  checks: JsonCheck[];
}

describe('readiness --sandbox: which sandbox and why', () => {
  describe('when nothing answers at an address you named', () => {
    const fixFor = (checked: string, port: number, from: string, drop: string) =>
      from === '--base-url'
        ? `Nothing answers at ${checked} (--base-url): start a sandbox there (siglume-sdrp sandbox --port ${port}) and run again, or drop --base-url to let readiness start one for this run.`
        : `Nothing answers at ${checked} (${from}), the API a shop set up with it calls: start a sandbox there (siglume-sdrp sandbox --port ${port}) and run again, or ${drop} to let readiness start one for this run.`;

    it('--base-url: checks that address, so hosted_checkout_readiness_api fails (exit 1) with the command that starts a sandbox there, and starts nothing', async () => {
      const port = await closedPort();
      const checked = `http://127.0.0.1:${port}/v1`;
      const fix = fixFor(checked, port, '--base-url', '');
      // The reviewer's run: `verify --sandbox --base-url <address where nothing listens>` went green against a stand-in.
      const text = await runCli(['verify', '--sandbox', '--base-url', checked], { env: {} });
      expect(text.code).toBe(1);
      expect(text.stdout).toContain(`sandbox · merchant sandbox_shop · API ${checked} · no sandbox answering\n`);
      expect(text.stdout).toContain(
        `\n  sandbox: Nothing answered at ${checked} (--base-url) within 500 ms, and no sandbox was started in its place: the checks run against the address you named.\n`,
      );
      const lines = text.stdout.split('\n');
      const at = lines.findIndex((l) => l.includes('✖ hosted_checkout_readiness_api'));
      expect(lines[at]).toContain(`could not connect to ${checked}`);
      expect(lines[at + 1]).toBe(`      fix: ${fix}`);
      expect(text.stdout).toMatch(/✖ Not ready: 1 check failed \(hosted_checkout_readiness_api\)/);
      expect(text.stdout).not.toContain('But:');
      expect(text.stdout).not.toContain('Your shop was not checked');

      const json = await runCli(['verify', '--sandbox', '--json', '--base-url', checked], { env: {} });
      expect(json.code).toBe(1);
      const report = JSON.parse(json.stdout) as JsonReport;
      expect(report.base_url).toBe(checked);
      expect(report.sandbox).toEqual({
        source: 'none',
        receiver: false,
        base_url: checked,
        reason: 'unreachable',
        checked_url: checked,
        checked_url_from: '--base-url',
        message: `Nothing answered at ${checked} (--base-url) within 500 ms, and no sandbox was started in its place: the checks run against the address you named.`,
      });
      const api = report.checks.find((c) => c.name === 'hosted_checkout_readiness_api')!;
      expect(api).toMatchObject({ status: 'fail', fix, details: { error_code: 'CONNECTION_ERROR' } });
      // Config passed on the sandbox's defaults, as it will once a sandbox answers there; every API check after it is skipped.
      expect(report.checks.filter((c) => c.status === 'fail').map((c) => c.name)).toEqual(['hosted_checkout_readiness_api']);
    });

    // SIGLUME_SANDBOX_API_BASE with --sandbox alone (no SIGLUME_ENV): --sandbox is sandbox mode, so that address is the one checked.
    it.each(['SIGLUME_API_BASE', 'SIGLUME_SANDBOX_API_BASE'])('%s in the environment: the same failure, and the fix says to unset it', async (variable) => {
      const port = await closedPort();
      const checked = `http://127.0.0.1:${port}/v1`;
      const json = await runCli(['readiness', '--sandbox', '--json'], { env: { [variable]: checked } });
      expect(json.code).toBe(1);
      const report = JSON.parse(json.stdout) as JsonReport;
      expect(report.base_url).toBe(checked);
      expect(report.sandbox).toMatchObject({ source: 'none', receiver: false, reason: 'unreachable', checked_url_from: variable });
      expect(report.checks.find((c) => c.name === 'hosted_checkout_readiness_api')).toMatchObject({
        status: 'fail',
        fix: fixFor(checked, port, variable, `unset ${variable}`),
      });
    });

    it('SIGLUME_API_BASE from .env: the same failure, and the fix names the file to remove it from', async () => {
      const port = await closedPort();
      const checked = `http://127.0.0.1:${port}/v1`;
      const cwd = emptyDir();
      const file = join(cwd, '.env');
      writeFileSync(file, `SIGLUME_API_BASE=${checked}\n`);
      const text = await runCli(['readiness', '--sandbox'], { env: {}, cwd });
      expect(text.code).toBe(1);
      const fix = fixFor(checked, port, `SIGLUME_API_BASE in ${file}`, `remove SIGLUME_API_BASE from ${file}`);
      expect(text.stdout).toContain(`\n      fix: ${fix}\n`);
      expect(text.stdout).not.toContain('in-process sandbox');

      const json = await runCli(['readiness', '--sandbox', '--json'], { env: {}, cwd });
      expect(json.code).toBe(1);
      const report = JSON.parse(json.stdout) as JsonReport;
      expect(report.base_url).toBe(checked);
      expect(report.sandbox).toMatchObject({ source: 'none', receiver: false, reason: 'unreachable', checked_url_from: `SIGLUME_API_BASE in ${file}` });
      expect(report.checks.find((c) => c.name === 'hosted_checkout_readiness_api')?.fix).toBe(fix);
    });
  });

  describe('when no address is named', () => {
    it('starts its own sandbox when nothing answers at the default address, and every check passes', async () => {
      const checked = `http://127.0.0.1:${await closedPort()}/v1`;
      defaultAddress.url = checked;
      const text = await runCli(['readiness', '--sandbox'], { env: {} });
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(
        new RegExp(
          `\\n  sandbox: Started its own in-process sandbox at http://127\\.0\\.0\\.1:\\d+/v1 and a local webhook receiver standing in for the shop: nothing answered at ${checked.replace(/[./]/g, '\\$&')} \\(the default sandbox address\\) within \\d+ ms\\.`,
        ),
      );
      expect(text.stdout).toContain('Ready: all 23 checks passed (sandbox).');

      const json = await runCli(['readiness', '--sandbox', '--json'], { env: {} });
      expect(json.code).toBe(0);
      const report = JSON.parse(json.stdout) as JsonReport;
      expect(report.sandbox).toMatchObject({
        source: 'started',
        receiver: true,
        reason: 'no_answer',
        checked_url: checked,
        checked_url_from: 'the default sandbox address',
        base_url: report.base_url,
      });
      expect(report.base_url).not.toBe(checked);
    });

    it('counts SIGLUME_ENV=sandbox without an address as naming none', async () => {
      const checked = `http://127.0.0.1:${await closedPort()}/v1`;
      defaultAddress.url = checked;
      const json = await runCli(['readiness', '--sandbox', '--json'], { env: { SIGLUME_ENV: 'sandbox' } });
      expect(json.code).toBe(0);
      expect((JSON.parse(json.stdout) as JsonReport).sandbox).toMatchObject({
        source: 'started',
        reason: 'no_answer',
        checked_url: checked,
        checked_url_from: 'the default sandbox address',
      });
    });

    it('names the default address', async () => {
      // The default 127.0.0.1:8787 may or may not be taken on this machine: either way the line names it.
      const run = await runCli(['readiness', '--sandbox', '--json', '--no-probe'], { env: {} });
      const report = JSON.parse(run.stdout) as JsonReport;
      expect(report.sandbox).toMatchObject({ checked_url: 'http://127.0.0.1:8787/v1', checked_url_from: 'the default sandbox address' });
      expect(report.sandbox.reason).not.toBe('unreachable');
    });
  });

  describe('when a sandbox already answers', () => {
    let shop: ShopSandbox;
    beforeAll(async () => {
      shop = await startShopSandbox();
    });
    afterAll(async () => {
      await shop.close();
    });

    it('attaches to it and says it answered at the address from SIGLUME_API_BASE', async () => {
      const text = await runCli(['readiness', '--sandbox'], { env: shop.env });
      expect(text.code).toBe(0);
      expect(text.stdout).toContain(
        `\n  sandbox: Attached to the sandbox already running at ${shop.sandbox.api_base}: it answered at that address (SIGLUME_API_BASE).\n`,
      );
      const json = await runCli(['readiness', '--sandbox', '--json'], { env: shop.env });
      expect((JSON.parse(json.stdout) as JsonReport).sandbox).toEqual({
        source: 'existing',
        receiver: false,
        base_url: shop.sandbox.api_base,
        reason: 'answered',
        checked_url: shop.sandbox.api_base,
        checked_url_from: 'SIGLUME_API_BASE',
        message: `Attached to the sandbox already running at ${shop.sandbox.api_base}: it answered at that address (SIGLUME_API_BASE).`,
      });
    });

    it('credits --base-url and a .env file when the address came from there', async () => {
      const { SIGLUME_API_BASE, ...rest } = shop.env;
      const flag = await runCli(['readiness', '--sandbox', '--json', '--base-url', SIGLUME_API_BASE!], { env: rest });
      expect((JSON.parse(flag.stdout) as JsonReport).sandbox).toMatchObject({ reason: 'answered', checked_url_from: '--base-url' });

      const cwd = emptyDir();
      writeFileSync(join(cwd, '.env'), `SIGLUME_API_BASE=${SIGLUME_API_BASE}\n`);
      const file = await runCli(['readiness', '--sandbox', '--json'], { env: rest, cwd });
      expect((JSON.parse(file.stdout) as JsonReport).sandbox).toMatchObject({
        reason: 'answered',
        checked_url_from: `SIGLUME_API_BASE in ${join(cwd, '.env')}`,
      });

      // SIGLUME_ENV=sandbox without SIGLUME_API_BASE takes SIGLUME_SANDBOX_API_BASE, and says so.
      const sandboxEnv = { ...rest, SIGLUME_ENV: 'sandbox', SIGLUME_SANDBOX_API_BASE: SIGLUME_API_BASE! };
      const named = await runCli(['readiness', '--sandbox', '--json'], { env: sandboxEnv });
      expect((JSON.parse(named.stdout) as JsonReport).sandbox).toMatchObject({
        reason: 'answered',
        checked_url: SIGLUME_API_BASE,
        checked_url_from: 'SIGLUME_SANDBOX_API_BASE',
      });
    });
  });
});

const NOT_CHECKED =
  'Your shop was not checked: no SHOP_WEBHOOK_URL (or --webhook-url), so a local webhook receiver stood in for it. Set SHOP_WEBHOOK_URL to check the shop (Next.js with its settings in .env.local beside a .env: add --dotenv .env.local).';

describe('readiness --sandbox when a local receiver stood in for the shop', () => {
  it('keeps exit 0 (the checks passed) but ends saying the shop was not checked and how to check it, in text and --json', async () => {
    defaultAddress.url = `http://127.0.0.1:${await closedPort()}/v1`;
    const env = {};
    const text = await runCli(['readiness', '--sandbox'], { env });
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    // The verdict, then that line last.
    expect(lines.at(-2)).toMatch(/^✔ Ready: all 23 checks passed \(sandbox\)\./);
    expect(lines.at(-1)).toBe(`! ${NOT_CHECKED}`);

    const json = await runCli(['readiness', '--sandbox', '--json'], { env });
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as JsonReport).sandbox).toMatchObject({ receiver: true, shop_not_checked: NOT_CHECKED });
  });

  it('does not suggest --dotenv .env.local to a run that named .env.local itself', async () => {
    const cwd = emptyDir();
    writeFileSync(join(cwd, '.env'), 'SIGLUME_DIRECT_PAYMENT_MERCHANT=other_shop\n');
    writeFileSync(join(cwd, '.env.local'), 'SIGLUME_DIRECT_PAYMENT_MERCHANT=nextjs_shop\n');
    defaultAddress.url = `http://127.0.0.1:${await closedPort()}/v1`;
    const env = {};
    const json = await runCli(['readiness', '--sandbox', '--json', '--dotenv', '.env.local'], { env, cwd });
    expect(json.code).toBe(0);
    const { shop_not_checked } = (JSON.parse(json.stdout) as JsonReport).sandbox as { shop_not_checked: string };
    expect(shop_not_checked).toContain('Set SHOP_WEBHOOK_URL (in .env.local, the file read) to check the shop.');
    expect(shop_not_checked).not.toContain('add --dotenv');
  });

  it('says nothing of the kind when the shop\'s webhook URL is set', async () => {
    const shop = await startWebhookReceiver({ secret: 'whsec_shop_secret_1234' });
    try {
      defaultAddress.url = `http://127.0.0.1:${await closedPort()}/v1`;
      const env = {
        SHOP_PUBLIC_ORIGIN: shop.origin,
        SHOP_WEBHOOK_URL: shop.url,
        SIGLUME_WEBHOOK_SECRET: 'whsec_shop_secret_1234',
      };
      const json = await runCli(['readiness', '--sandbox', '--json'], { env });
      expect(json.code).toBe(0);
      const report = JSON.parse(json.stdout) as JsonReport;
      expect(report.sandbox).toMatchObject({ receiver: false });
      expect(report.sandbox).not.toHaveProperty('shop_not_checked');
      expect(shop.events).toHaveLength(1);
    } finally {
      await shop.close();
    }
  });
});

describe("readiness --sandbox with a deployed shop's settings (SHOP_WEBHOOK_URL on another machine)", () => {
  const PRODUCTION = {
    SIGLUME_WEBHOOK_SECRET: 'whsec_the_live_shops_secret',
    SHOP_PUBLIC_ORIGIN: 'https://shop.example',
    SHOP_WEBHOOK_URL: 'https://shop.example/payments/webhooks/siglume',
  };

  it('starts no sandbox seeded with it (its test delivery would go to the live shop, signed): exit 2 naming the variable and --webhook-url', async () => {
    defaultAddress.url = `http://127.0.0.1:${await closedPort()}/v1`;
    const cwd = emptyDir();
    writeFileSync(join(cwd, '.env'), Object.entries(PRODUCTION).map(([k, v]) => `${k}=${v}\n`).join(''));
    for (const run of [
      await runCli(['readiness', '--sandbox', '--timeout', '1000'], { cwd }),
      await runCli(['verify', '--sandbox', '--json', '--timeout', '1000'], { env: PRODUCTION }),
    ]) {
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^error: SHOP_WEBHOOK_URL( in \S*\.env)? is https:\/\/shop\.example, not this machine: /);
      expect(run.stderr).toContain('Pass --webhook-url to send it there on purpose');
      expect(run.stderr).not.toContain(PRODUCTION.SIGLUME_WEBHOOK_SECRET);
    }
  });

  it('takes a URL given with --webhook-url instead', async () => {
    const shop = await startWebhookReceiver({ secret: PRODUCTION.SIGLUME_WEBHOOK_SECRET });
    try {
      defaultAddress.url = `http://127.0.0.1:${await closedPort()}/v1`;
      const run = await runCli(['readiness', '--sandbox', '--json', '--origin', shop.origin, '--webhook-url', shop.url], { env: PRODUCTION });
      expect(run.code).toBe(0);
      expect(shop.events).toHaveLength(1);
    } finally {
      await shop.close();
    }
  });
});

describe('readiness --sandbox in a Next.js project (settings in .env.local, no .env)', () => {
  let shop: WebhookReceiver;
  const secret = 'whsec_nextjs_shop_5678';
  beforeAll(async () => {
    shop = await startWebhookReceiver({ secret });
  });
  afterAll(async () => {
    await shop.close();
  });

  function nextjsProject(): string {
    const cwd = emptyDir();
    writeFileSync(
      join(cwd, '.env.local'),
      `SIGLUME_DIRECT_PAYMENT_MERCHANT=nextjs_shop\nSHOP_PUBLIC_ORIGIN=${shop.origin}\nSHOP_WEBHOOK_URL=${shop.url}\nSIGLUME_WEBHOOK_SECRET=${secret}\n`,
    );
    return cwd;
  }

  it('reads .env.local, says so in the head, and checks the shop itself (the test delivery reaches it)', async () => {
    defaultAddress.url = `http://127.0.0.1:${await closedPort()}/v1`;
    const env = {};
    const before = shop.events.length;
    const text = await runCli(['readiness', '--sandbox'], { env, cwd: nextjsProject() });
    expect(text.code).toBe(0);
    expect(text.stdout).toContain('\n  env file: Read .env.local: there is no .env here (--dotenv <path> names another file).\n');
    expect(text.stdout).toContain('sandbox · merchant nextjs_shop ·');
    expect(text.stdout).not.toContain('local webhook receiver');
    expect(text.stdout).not.toContain('Your shop was not checked');
    expect(shop.events).toHaveLength(before + 1);
    expect(text.stdout).not.toContain(secret);
  });

  it('with --json, says which file it read on stderr and keeps stdout pure JSON', async () => {
    defaultAddress.url = `http://127.0.0.1:${await closedPort()}/v1`;
    const env = {};
    const json = await runCli(['readiness', '--sandbox', '--json'], { env, cwd: nextjsProject() });
    expect(json.code).toBe(0);
    expect(json.stderr).toBe('note: Read .env.local: there is no .env here (--dotenv <path> names another file).\n');
    const report = JSON.parse(json.stdout) as JsonReport & { merchant: string };
    expect(report.merchant).toBe('nextjs_shop');
    expect(report.sandbox).toMatchObject({ receiver: false });
  });
});

describe('readiness --sandbox when something else answers at the address', () => {
  it('says it attached to a server that is not a Siglume sandbox, and how to point at the sandbox', async () => {
    const other = createHttpServer((_req, res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('not here'));
    await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(other.address() as { port: number }).port}/v1`;
    try {
      const run = await runCli(['readiness', '--sandbox', '--json', '--no-probe'], { env: { SIGLUME_API_BASE: base } });
      expect(run.code).toBe(1);
      const report = JSON.parse(run.stdout) as JsonReport;
      expect(report.sandbox).toMatchObject({ source: 'existing', reason: 'answered', checked_url: base });
      expect(report.sandbox.message).toBe(
        `Attached to the server answering at ${base} (SIGLUME_API_BASE), which is not a Siglume sandbox (no /__sandbox/ routes): the checks run against it as it is. Stop it, or point SIGLUME_API_BASE at the sandbox's address.`,
      );
    } finally {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    }
  });
});

describe('readiness --sandbox with the shop down', () => {
  it('reports the real cause of the failed delivery (ECONNREFUSED on the port) and a fix for that cause', async () => {
    const api = await closedPort();
    const shopPort = await closedPort();
    const origin = `http://127.0.0.1:${shopPort}`;
    const webhook = `${origin}/payments/webhooks/siglume`;
    defaultAddress.url = `http://127.0.0.1:${api}/v1`;
    const env = { SHOP_PUBLIC_ORIGIN: origin, SHOP_WEBHOOK_URL: webhook };

    const json = await runCli(['readiness', '--sandbox', '--json', '--timeout', '20000'], { env });
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as JsonReport;
    expect(report.sandbox).toMatchObject({ source: 'started', receiver: false });
    const probe = report.checks.find((c) => c.name === 'webhook_delivery_probe_passed')!;
    expect(probe.status).toBe('fail');
    expect(probe.message).toMatch(new RegExp(`no response \\(ECONNREFUSED 127\\.0\\.0\\.1:${shopPort}\\)$`));
    expect(probe.details).toMatchObject({ response_status: null, failure_reason: `ECONNREFUSED 127.0.0.1:${shopPort}` });
    expect(probe.fix).toBe(
      `Nothing is listening at 127.0.0.1:${shopPort}: start your shop's server there (it must serve POST ${webhook}), or, if it listens on another port, point SHOP_WEBHOOK_URL and the webhook subscription at that port.`,
    );
    expect(probe.fix).not.toMatch(/internet/);

    const verbose = await runCli(['readiness', '--sandbox', '--verbose', '--timeout', '20000'], { env });
    expect(verbose.code).toBe(1);
    const lines = verbose.stdout.split('\n');
    const at = lines.findIndex((l) => l.includes('✖ webhook_delivery_probe_passed'));
    expect(lines[at]).toContain(`no response (ECONNREFUSED 127.0.0.1:${shopPort})`);
    expect(lines[at + 1]).toBe(`      fix: ${probe.fix}`);
    expect(verbose.stdout).toContain(`      failure_reason: ECONNREFUSED 127.0.0.1:${shopPort}`);
  });
});
