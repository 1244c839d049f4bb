import { createServer as createHttpServer, type IncomingHttpHeaders } from 'node:http';
import { createServer, type Socket } from 'node:net';
import { DirectRequestPaymentMerchantClient } from '../../src/clients/merchant.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { runReadiness } from '../../src/readiness/runner.js';
import { startLocalSandbox } from '../../src/devtools/local-sandbox.js';
import { applyUnreachableFix, probeApi, prepareSandboxReadiness } from '../../src/devtools/sandbox-readiness.js';
import { startWebhookReceiver } from '../../src/devtools/webhook-receiver.js';
import { startShopSandbox, TEST_TOKEN, type ShopSandbox } from '../readiness/support.js';

// Spies that start the real thing: to see whether a run started a sandbox or a receiver.
vi.mock('../../src/devtools/local-sandbox.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/devtools/local-sandbox.js')>();
  return { ...real, startLocalSandbox: vi.fn(real.startLocalSandbox) };
});
vi.mock('../../src/devtools/webhook-receiver.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/devtools/webhook-receiver.js')>();
  return { ...real, startWebhookReceiver: vi.fn(real.startWebhookReceiver) };
});

/** A loopback port nothing listens on. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('prepareSandboxReadiness', () => {
  beforeEach(() => {
    vi.mocked(startLocalSandbox).mockClear();
    vi.mocked(startWebhookReceiver).mockClear();
  });

  describe('when no sandbox answers at the default address (none was named)', () => {
    it('starts one in-process with a verifying receiver, and every check passes', async () => {
      const port = await closedPort();
      const setup = await prepareSandboxReadiness({}, { default_base_url: `http://127.0.0.1:${port}/v1` });
      try {
        expect(setup).toMatchObject({ sandbox: 'started', receiver: true, reason: 'no_answer' });
        expect(setup.base_url).not.toContain(`:${port}/`);
        expect(setup).not.toHaveProperty('unreachable_fix');
        const report = await runReadiness(setup.options);
        expect(report.ok).toBe(true);
      } finally {
        await setup.close();
        await setup.close();
      }
      expect(await probeApi(setup.base_url)).not.toBe('answered');
    });

    it('still starts when a given shop origin is invalid, and reports it as the failing check', async () => {
      const port = await closedPort();
      const setup = await prepareSandboxReadiness({ shop_origin: 'http://shop.example' }, { default_base_url: `http://127.0.0.1:${port}/v1` });
      try {
        expect(setup.sandbox).toBe('started');
        const report = await runReadiness(setup.options);
        expect(report.ok).toBe(false);
        expect(report.checks.find((c) => c.name === 'shop_origin')?.status).toBe('fail');
      } finally {
        await setup.close();
      }
    });

    it('keeps a given webhook URL instead of starting a receiver', async () => {
      const port = await closedPort();
      const setup = await prepareSandboxReadiness(
        { webhook_url: 'http://127.0.0.1:9/payments/webhooks/siglume' },
        { default_base_url: `http://127.0.0.1:${port}/v1` },
      );
      try {
        expect(setup.receiver).toBe(false);
        expect(setup.options.webhook_url).toBe('http://127.0.0.1:9/payments/webhooks/siglume');
      } finally {
        await setup.close();
      }
    });
  });

  describe('when nothing answers at an address the caller named', () => {
    it('starts nothing and runs the checks against that address, whose API check fails with a fix naming the command that starts a sandbox there', async () => {
      const port = await closedPort();
      const named = `http://127.0.0.1:${port}/v1`;
      const setup = await prepareSandboxReadiness({ base_url: named }, { base_url_from: '--base-url' });
      expect(startLocalSandbox).not.toHaveBeenCalled();
      expect(startWebhookReceiver).not.toHaveBeenCalled();
      expect(setup).toMatchObject({ sandbox: 'none', receiver: false, reason: 'unreachable', base_url: named, checked_url: named });
      expect(setup.options).toMatchObject({ base_url: named, sandbox: true, merchant: 'sandbox_shop' });
      const fix = `Nothing answers at ${named} (--base-url): start a sandbox there (siglume-sdrp sandbox --port ${port}) and run again, or drop --base-url to let readiness start one for this run.`;
      expect(setup.unreachable_fix).toBe(fix);

      const report = applyUnreachableFix(await runReadiness(setup.options), setup.unreachable_fix);
      await setup.close();
      expect(report.ok).toBe(false);
      expect(report.base_url).toBe(named);
      const api = report.checks.find((c) => c.name === 'hosted_checkout_readiness_api');
      expect(api).toMatchObject({ status: 'fail', fix, details: { error_code: 'CONNECTION_ERROR' } });
    });

    it.each([
      ['http://[::1]:PORT/v1', 'siglume-sdrp sandbox --host ::1 --port PORT'],
      ['http://localhost:PORT/v1', 'siglume-sdrp sandbox --host localhost --port PORT'],
    ])('names the command that starts a sandbox at %s', async (template, command) => {
      const port = String(await closedPort());
      const setup = await prepareSandboxReadiness({ base_url: template.replace('PORT', port) }, { base_url_from: 'SIGLUME_API_BASE' });
      expect(setup.sandbox).toBe('none');
      expect(setup.unreachable_fix).toContain(`(${command.replace('PORT', port)})`);
      expect(setup.unreachable_fix).toContain('or unset SIGLUME_API_BASE to let readiness start one for this run.');
    });

    it('says the sandbox speaks http only for an https address, and names no port for one', async () => {
      const setup = await prepareSandboxReadiness({ base_url: 'https://127.0.0.1:1/v1' }, { base_url_from: 'SIGLUME_API_BASE' });
      expect(setup.unreachable_fix).toBe(
        'Nothing answers at https://127.0.0.1:1/v1 (SIGLUME_API_BASE), and the sandbox speaks http only: start one (siglume-sdrp sandbox) and set SIGLUME_API_BASE to its address, or unset SIGLUME_API_BASE to let readiness start one for this run.',
      );
    });

    it('leaves every other failure alone', async () => {
      const setup = await prepareSandboxReadiness({ base_url: `http://127.0.0.1:${await closedPort()}/v1` });
      const report = await runReadiness({ ...setup.options, auth_token: 'cli_developer_portal_key' });
      expect(applyUnreachableFix(report, undefined)).toBe(report);
      const fixed = applyUnreachableFix(report, setup.unreachable_fix);
      const other = (r: typeof report) => r.checks.filter((c) => c.name !== 'hosted_checkout_readiness_api');
      expect(other(fixed)).toEqual(other(report));
    });
  });

  describe('when something at an address the caller named takes the connection and closes it unanswered', () => {
    it('says something took the connection, not that nothing answered, and starts nothing', async () => {
      const closing = createServer((socket) => socket.destroy());
      await new Promise<void>((resolve) => closing.listen(0, '127.0.0.1', resolve));
      const named = `http://127.0.0.1:${(closing.address() as { port: number }).port}/v1`;
      try {
        const setup = await prepareSandboxReadiness({ base_url: named }, { base_url_from: '--base-url' });
        expect(startLocalSandbox).not.toHaveBeenCalled();
        expect(setup).toMatchObject({ sandbox: 'none', reason: 'unreachable', base_url: named });
        expect(setup).not.toHaveProperty('unreachable_fix');
        expect(setup.message).toContain(`Something at ${named} (--base-url) took the connection but gave no HTTP answer`);
      } finally {
        await new Promise<void>((resolve) => closing.close(() => resolve()));
      }
    });
  });

  describe('when something at an address the caller named takes the connection but never answers', () => {
    it('starts nothing, gives no start command, and leaves the timeout its own fix', async () => {
      const sockets: Socket[] = [];
      const silent = createServer((socket) => void sockets.push(socket.on('data', () => {})));
      await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
      const named = `http://127.0.0.1:${(silent.address() as { port: number }).port}/v1`;
      try {
        const setup = await prepareSandboxReadiness({ base_url: named }, { base_url_from: '--base-url' });
        expect(startLocalSandbox).not.toHaveBeenCalled();
        expect(setup).toMatchObject({ sandbox: 'none', reason: 'unreachable', base_url: named });
        expect(setup).not.toHaveProperty('unreachable_fix');
        expect(setup.message).toContain(`Something at ${named} (--base-url) took the connection but gave no HTTP answer (within 500 ms)`);
        const client = new DirectRequestPaymentMerchantClient({ auth_token: TEST_TOKEN, base_url: named, timeout_ms: 150, max_retries: 0 });
        const report = applyUnreachableFix(await runReadiness({ ...setup.options, client }), setup.unreachable_fix);
        const api = report.checks.find((c) => c.name === 'hosted_checkout_readiness_api');
        expect(api).toMatchObject({ status: 'fail', details: { connection: 'timed_out' } });
        const fix = api?.status === 'fail' ? api.fix : '';
        expect(fix).toContain("is the sandbox's address (siglume-sdrp sandbox prints it), not another server");
        expect(fix).not.toMatch(/start/i);
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((resolve) => silent.close(() => resolve()));
      }
    });

    it('keeps a refused-connection fix off a timeout and a connection lost after sending', async () => {
      const setup = await prepareSandboxReadiness({ base_url: `http://127.0.0.1:${await closedPort()}/v1` });
      const report = await runReadiness(setup.options);
      const asKind = (connection: string) => ({
        ...report,
        checks: report.checks.map((c) => (c.status === 'fail' ? { ...c, fix: 'own fix', details: { ...c.details, connection } } : c)),
      });
      for (const kind of ['timed_out', 'lost']) {
        const api = applyUnreachableFix(asKind(kind), setup.unreachable_fix).checks.find((c) => c.name === 'hosted_checkout_readiness_api');
        expect(api).toMatchObject({ fix: 'own fix' });
      }
      const refused = applyUnreachableFix(asKind('refused'), setup.unreachable_fix).checks.find((c) => c.name === 'hosted_checkout_readiness_api');
      expect(refused).toMatchObject({ fix: setup.unreachable_fix });
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

    it('uses it and fills only the missing inputs with sandbox defaults', async () => {
      const setup = await prepareSandboxReadiness({ base_url: shop.sandbox.api_base, auth_token: TEST_TOKEN });
      expect(setup).toMatchObject({ sandbox: 'existing', receiver: false, base_url: shop.sandbox.api_base });
      expect(setup.options).toMatchObject({
        sandbox: true,
        auth_token: TEST_TOKEN,
        merchant: 'sandbox_shop',
        webhook_secret: 'whsec_sandbox_secret',
        shop_origin: 'http://127.0.0.1:3000',
      });
      await setup.close();
      expect(await probeApi(shop.sandbox.api_base)).toBe('answered');
    });
  });

  describe('when a server that is not a sandbox answers', () => {
    let other: ReturnType<typeof createHttpServer>;
    let otherBase = '';
    const received: IncomingHttpHeaders[] = [];
    beforeAll(async () => {
      other = createHttpServer((req, res) => {
        received.push(req.headers);
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
      });
      await new Promise<void>((resolve) => other.listen(0, '127.0.0.1', resolve));
      otherBase = `http://127.0.0.1:${(other.address() as { port: number }).port}/v1`;
    });
    afterAll(async () => {
      await new Promise<void>((resolve) => other.close(() => resolve()));
    });

    it('at the default address, sends it nothing and starts its own sandbox instead', async () => {
      received.length = 0;
      const setup = await prepareSandboxReadiness({ auth_token: 'sdrp_live_token_of_the_shop' }, { default_base_url: otherBase });
      try {
        expect(setup).toMatchObject({ sandbox: 'started', reason: 'not_sandbox', checked_url: otherBase });
        expect(setup.base_url).not.toBe(otherBase);
        expect(setup.message).toContain(`the server answering at ${otherBase} (the default sandbox address) is not a Siglume sandbox`);
        const report = await runReadiness(setup.options);
        expect(report.ok).toBe(true);
      } finally {
        await setup.close();
      }
      // Only the two unauthenticated probes reached it.
      expect(received).toHaveLength(2);
      expect(received.every((h) => h.authorization === undefined)).toBe(true);
    });

    it('at an address the caller named, runs against it as asked', async () => {
      const setup = await prepareSandboxReadiness({ base_url: otherBase });
      expect(setup).toMatchObject({ sandbox: 'existing', reason: 'answered', base_url: otherBase });
      await setup.close();
    });
  });

  describe('when the base URL is not loopback', () => {
    it('fills in no sandbox defaults, so config checks judge only what was given', async () => {
      const setup = await prepareSandboxReadiness({ base_url: 'https://siglume.example/v1' });
      expect(setup).toMatchObject({ sandbox: 'existing', receiver: false, base_url: 'https://siglume.example/v1', reason: 'not_loopback' });
      expect(setup.message).toContain('it is not on this machine');
      expect(setup.options).toEqual({ base_url: 'https://siglume.example/v1', sandbox: true });
      await setup.close();
    });
  });
});
