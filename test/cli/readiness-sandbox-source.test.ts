/**
 * `readiness --sandbox` says which sandbox it used and why (issue 11, item
 * 11), and a delivery probe that got no answer names the real cause from the
 * sandbox's delivery record with a fix for that cause (item 8).
 */
import { writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from '../../src/devtools/webhook-receiver.js';
import { startShopSandbox, type ShopSandbox } from '../readiness/support.js';
import { emptyDir, runCli } from './support.js';

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
  describe('when nothing answers at SIGLUME_API_BASE', () => {
    it('starts its own sandbox and says so, naming the address it checked and where that came from, and that a shop using it is not covered', async () => {
      const port = await closedPort();
      const checked = `http://127.0.0.1:${port}/v1`;
      const env = { SIGLUME_API_BASE: checked };
      const text = await runCli(['readiness', '--sandbox'], { env });
      expect(text.code).toBe(0);
      expect(text.stdout).toMatch(
        new RegExp(
          `\\n  sandbox: Started its own in-process sandbox at http://127\\.0\\.0\\.1:\\d+/v1 and a local webhook receiver standing in for the shop: nothing answered at ${checked.replace(/[./]/g, '\\$&')} \\(SIGLUME_API_BASE\\) within \\d+ ms\\.`,
        ),
      );
      // The verdict covers the sandbox started for the run, not the named address a shop would call: said right after it
      // (and then that the receiver stood in for the shop).
      const caveat = `Nothing answers at ${checked} (SIGLUME_API_BASE), the API a shop set up with it calls: start the sandbox there (siglume-sdrp sandbox --port ${port}) before it takes a payment, or unset SIGLUME_API_BASE.`;
      expect(text.stdout.trimEnd().split('\n').at(-2)).toBe(`! But: ${caveat}`);

      const json = await runCli(['readiness', '--sandbox', '--json'], { env });
      expect(json.code).toBe(0);
      const report = JSON.parse(json.stdout) as JsonReport;
      expect(report.sandbox).toMatchObject({
        source: 'started',
        receiver: true,
        reason: 'no_answer',
        checked_url: checked,
        checked_url_from: 'SIGLUME_API_BASE',
        base_url: report.base_url,
      });
      expect(report.base_url).not.toBe(checked);
      expect(report.sandbox.message).toContain(`nothing answered at ${checked}`);
      expect(report.sandbox.caveat).toBe(caveat);
    });

    it('adds the caveat for an explicit --base-url where nothing answers too, keeping exit 0 (the verdict is the started sandbox\'s)', async () => {
      const port = await closedPort();
      const checked = `http://127.0.0.1:${port}/v1`;
      const caveat = `Nothing answers at ${checked} (--base-url): the checks ran against the sandbox started for this run, not that address. To check that address, start the sandbox there (siglume-sdrp sandbox --port ${port}) and run again; to use a started one, drop --base-url.`;
      const text = await runCli(['readiness', '--sandbox', '--base-url', checked], { env: {} });
      expect(text.code).toBe(0);
      const lines = text.stdout.trimEnd().split('\n');
      expect(lines.at(-3)).toMatch(/^✔ Ready: all 23 checks passed \(sandbox\)\./);
      expect(lines.at(-2)).toBe(`! But: ${caveat}`);

      const json = await runCli(['readiness', '--sandbox', '--json', '--base-url', checked], { env: {} });
      expect(json.code).toBe(0);
      const report = JSON.parse(json.stdout) as JsonReport;
      expect(report.sandbox).toMatchObject({ source: 'started', reason: 'no_answer', checked_url: checked, checked_url_from: '--base-url', caveat });
    });

    it('names the default address when nothing set one', async () => {
      // The default 127.0.0.1:8787 may or may not be taken on this machine: either way the line names it.
      const run = await runCli(['readiness', '--sandbox', '--json', '--no-probe'], { env: {} });
      const report = JSON.parse(run.stdout) as JsonReport;
      expect(report.sandbox).toMatchObject({ checked_url: 'http://127.0.0.1:8787/v1', checked_url_from: 'the default sandbox address' });
      // Nobody named the default address, so no shop is set up with it: nothing to warn about.
      expect(report.sandbox).not.toHaveProperty('caveat');
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
    const env = { SIGLUME_API_BASE: `http://127.0.0.1:${await closedPort()}/v1` };
    const text = await runCli(['readiness', '--sandbox'], { env });
    expect(text.code).toBe(0);
    const lines = text.stdout.trimEnd().split('\n');
    expect(lines.at(-3)).toMatch(/^✔ Ready: all 23 checks passed \(sandbox\)\./);
    expect(lines.at(-1)).toBe(`! ${NOT_CHECKED}`);

    const json = await runCli(['readiness', '--sandbox', '--json'], { env });
    expect(json.code).toBe(0);
    expect((JSON.parse(json.stdout) as JsonReport).sandbox).toMatchObject({ receiver: true, shop_not_checked: NOT_CHECKED });
  });

  it('does not suggest --dotenv .env.local to a run that named .env.local itself', async () => {
    const cwd = emptyDir();
    writeFileSync(join(cwd, '.env'), 'SIGLUME_DIRECT_PAYMENT_MERCHANT=other_shop\n');
    writeFileSync(join(cwd, '.env.local'), 'SIGLUME_DIRECT_PAYMENT_MERCHANT=nextjs_shop\n');
    const env = { SIGLUME_API_BASE: `http://127.0.0.1:${await closedPort()}/v1` };
    const json = await runCli(['readiness', '--sandbox', '--json', '--dotenv', '.env.local'], { env, cwd });
    expect(json.code).toBe(0);
    const { shop_not_checked } = (JSON.parse(json.stdout) as JsonReport).sandbox as { shop_not_checked: string };
    expect(shop_not_checked).toContain('Set SHOP_WEBHOOK_URL (in .env.local, the file read) to check the shop.');
    expect(shop_not_checked).not.toContain('add --dotenv');
  });

  it('says nothing of the kind when the shop\'s webhook URL is set', async () => {
    const shop = await startWebhookReceiver({ secret: 'whsec_shop_secret_1234' });
    try {
      const env = {
        SIGLUME_API_BASE: `http://127.0.0.1:${await closedPort()}/v1`,
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
    const env = { SIGLUME_API_BASE: `http://127.0.0.1:${await closedPort()}/v1` };
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
    const env = { SIGLUME_API_BASE: `http://127.0.0.1:${await closedPort()}/v1` };
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
    const env = { SIGLUME_API_BASE: `http://127.0.0.1:${api}/v1`, SHOP_PUBLIC_ORIGIN: origin, SHOP_WEBHOOK_URL: webhook };

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
