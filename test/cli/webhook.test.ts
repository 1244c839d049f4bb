import { createServer, type Server } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from '../../src/devtools/webhook-receiver.js';
import { classifyDirectPaymentConfirmation } from '../../src/webhooks/classify.js';
import { verifyWebhookSignature } from '../../src/webhooks/signature.js';
import { requireBuild, runBin, runCli } from './support.js';

const SECRET = 'whsec_trigger_test_51c2';

describe('siglume-sdrp webhook trigger', () => {
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver({ secret: SECRET });
  });
  afterAll(async () => {
    await receiver.close();
  });

  describe('when signed with the endpoint secret', () => {
    it.each([
      ['standard-settled', 'standard_settled'],
      ['metered-accepted', 'metered_usage_accepted'],
      ['batch-settled', 'metered_batch_settled'],
      ['unknown', 'unknown'],
    ])('delivers a %s event the core verifier accepts and the classifier labels %s', async (kind, classified) => {
      const before = receiver.events.length;
      const run = await runCli(['webhook', 'trigger', kind, '--url', receiver.url, '--secret', SECRET]);
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`POST ${receiver.url} -> 204`);
      expect(receiver.events).toHaveLength(before + 1);
      expect(classifyDirectPaymentConfirmation(receiver.events.at(-1)!).kind).toBe(classified);
    });

    it('takes the secret from SIGLUME_WEBHOOK_SECRET and the amount from --amount-minor', async () => {
      const run = await runCli(['webhook', 'trigger', 'standard-settled', '--url', receiver.url, '--amount-minor', '9800', '--currency', 'usd', '--json'], {
        env: { SIGLUME_WEBHOOK_SECRET: SECRET },
      });
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ status: 204, ok: true, kind: 'standard_settled' });
      expect(receiver.events.at(-1)?.data).toMatchObject({ amount_minor: 9800, currency: 'USD' });
    });
  });

  describe('when signed with a wrong secret', () => {
    it('prints the rejection status and exits 1', async () => {
      const rejected = receiver.rejected;
      const run = await runCli(['webhook', 'trigger', 'standard-settled', '--url', receiver.url, '--secret', 'whsec_wrong_secret_000']);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('-> 400');
      expect(run.stdout).toContain('WEBHOOK_SIGNATURE_MISMATCH');
      expect(receiver.rejected).toBe(rejected + 1);
    });
  });

  describe('when the endpoint cannot be reached', () => {
    it('exits 1 with a one-line error', async () => {
      const server: Server = createServer();
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const { port } = server.address() as { port: number };
      await new Promise<void>((r) => server.close(() => r()));
      const run = await runCli(['webhook', 'trigger', 'unknown', '--url', `http://127.0.0.1:${port}/hook`]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^error: Could not reach http:\/\/127\.0\.0\.1:\d+/);
    });
  });

  describe('when the kind or URL is bad', () => {
    it.each([
      [['webhook', 'trigger', 'refunded', '--url', 'http://127.0.0.1:1/']],
      [['webhook', 'trigger', 'standard-settled']],
      [['webhook', 'trigger', 'standard-settled', '--url', 'ftp://127.0.0.1/']],
      [['webhook', 'trigger', 'standard-settled', '--url', 'http://127.0.0.1:1/', '--amount-minor', '1.5']],
    ])('exits 2 for %j', async (argv) => {
      const run = await runCli(argv);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^error: /);
    });
  });
});

describe('siglume-sdrp webhook sign', () => {
  const body = '{"id":"evt_1","type":"direct_payment.confirmed","api_version":"2026-06-11","occurred_at":"2026-06-11T00:00:00Z","data":{"mode":"external_402"}}';

  describe('when given a body on stdin', () => {
    it('prints the contract header for the contract vector', async () => {
      const run = await runCli(['webhook', 'sign', '--secret', 'whsec_example', '--timestamp', '1800000000'], { stdin: body });
      expect(run).toMatchObject({
        code: 0,
        stdout: 't=1800000000,v1=f45a559e90ca05b7f877694677a3dc893b3b6ace0d18951f99ebc47fb8c8e82e\n',
      });
    });

    it('prints a header that verifies against the exact bytes', async () => {
      const raw = Buffer.from('{"a":"ü"}\n');
      const run = await runCli(['webhook', 'sign'], { stdin: raw, env: { SIGLUME_WEBHOOK_SECRET: SECRET } });
      expect(run.code).toBe(0);
      await expect(verifyWebhookSignature(SECRET, raw, run.stdout.trim())).resolves.toMatchObject({ timestamp: expect.any(Number) });
    });
  });

  describe('when there is no secret or no piped body', () => {
    it('exits 2 without a secret', async () => {
      expect((await runCli(['webhook', 'sign'], { stdin: body })).code).toBe(2);
    });
    it('exits 2 when stdin is a terminal', async () => {
      const run = await runCli(['webhook', 'sign', '--secret', SECRET], { stdinIsTTY: true });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('Pipe the raw body on stdin');
    });
  });

  describe('when run through the binary', () => {
    it('reads stdin and prints a verifiable header', async () => {
      requireBuild();
      const run = await runBin(['webhook', 'sign', '--secret', SECRET, '--timestamp', '1800000000'], { stdin: body });
      expect(run.code).toBe(0);
      await expect(verifyWebhookSignature(SECRET, body, run.stdout.trim(), { now: 1_800_000_000 })).resolves.toBeTruthy();
    });
  });
});
