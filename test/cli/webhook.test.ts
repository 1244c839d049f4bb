import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from '../../src/devtools/webhook-receiver.js';
import { TEST_WEBHOOK_SECRET } from '../../src/testing/index.js';
import { classifyDirectPaymentConfirmation } from '../../src/webhooks/classify.js';
import { verifyWebhookSignature } from '../../src/webhooks/signature.js';
import { BIN, emptyDir, requireBuild, runBin, runCli } from './support.js';

const SECRET = 'whsec_trigger_test_51c2';

/** A working directory whose .env (or another file) holds `text`. */
function projectWith(text: string, name = '.env'): string {
  const dir = emptyDir();
  writeFileSync(join(dir, name), text);
  return dir;
}

interface TriggerJson {
  status: number;
  ok: boolean;
  secret_source: string;
  env_file?: string;
  signing_secret_hint: string;
  response_body: string;
}


/**
 * An endpoint that answers every POST with `body()`: 200 on `/accept`, else `status`. Started and stopped
 * around the describe block it is called in.
 */
function echoingEndpoint(status: number, type: string, body: () => string): { url: () => string } {
  let server: Server;
  let url = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(req.url === '/accept' ? 200 : status, { 'content-type': type });
        res.end(body());
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });
  return { url: () => url };
}

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

    it("names the shop's merchant (SIGLUME_DIRECT_PAYMENT_MERCHANT, from .env too) unless --merchant says otherwise: a handler ignores another merchant's events", async () => {
      const cwd = projectWith(`SIGLUME_WEBHOOK_SECRET=${SECRET}\nSIGLUME_DIRECT_PAYMENT_MERCHANT=my_shop\n`);
      expect((await runCli(['webhook', 'trigger', 'standard-settled', '--url', receiver.url], { cwd })).code).toBe(0);
      expect(receiver.events.at(-1)?.data).toMatchObject({ merchant: 'my_shop' });
      expect((await runCli(['webhook', 'trigger', 'batch-settled', '--url', receiver.url, '--merchant', 'other_shop'], { cwd })).code).toBe(0);
      expect(receiver.events.at(-1)?.data).toMatchObject({ merchant: 'other_shop' });
      expect((await runCli(['webhook', 'trigger', 'standard-settled', '--url', receiver.url, '--secret', SECRET], { cwd: emptyDir() })).code).toBe(0);
      expect(receiver.events.at(-1)?.data).toMatchObject({ merchant: 'shop_test' });
    });
  });

  describe('when the secret is short', () => {
    it.each([
      ['notwhsec', 'a short secret without the whsec_ prefix'],
      [`whsec_${'a'.repeat(15)}`, '15 characters after whsec_'],
    ])('does not show its last characters (%s: %s)', async (secret) => {
      const run = await runCli(['webhook', 'trigger', 'unknown', '--url', receiver.url], { env: { SIGLUME_WEBHOOK_SECRET: secret } });
      expect(run.stdout).toContain('signed with SIGLUME_WEBHOOK_SECRET from the environment');
      expect(run.stdout).not.toContain('ends "');
      expect(run.stdout).not.toContain(secret.slice(-4));
      const json = await runCli(['webhook', 'trigger', 'unknown', '--url', receiver.url, '--json'], { env: { SIGLUME_WEBHOOK_SECRET: secret } });
      expect(JSON.parse(json.stdout)).toMatchObject({ signing_secret_hint: '' });
    });

    it('shows the last 4 characters from 16 characters after whsec_ on', async () => {
      const secret = `whsec_${'a'.repeat(12)}b7c9`;
      const run = await runCli(['webhook', 'trigger', 'unknown', '--url', receiver.url], { env: { SIGLUME_WEBHOOK_SECRET: secret } });
      expect(run.stdout).toContain('signed with SIGLUME_WEBHOOK_SECRET from the environment (ends "b7c9")');
    });
  });

  describe('when the secret is configured in .env only (the sandbox variables saved to a file)', () => {
    it('signs with it, as readiness would read it, and says where it came from', async () => {
      const cwd = projectWith(`SIGLUME_WEBHOOK_SECRET=${SECRET}\n`);
      const run = await runCli(['webhook', 'trigger', 'standard-settled', '--url', receiver.url], { cwd });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`POST ${receiver.url} -> 204`);
      expect(run.stdout).toContain(`signed with SIGLUME_WEBHOOK_SECRET from ${join(cwd, '.env')} (ends "${SECRET.slice(-4)}")`);
      expect(run.stderr).toBe('');
    });

    it('reports the source in --json, and never the secret', async () => {
      const cwd = projectWith(`SIGLUME_WEBHOOK_SECRET=${SECRET}\n`, 'shop.env');
      const run = await runCli(['webhook', 'trigger', 'unknown', '--url', receiver.url, '--dotenv', 'shop.env', '--json'], { cwd });
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ status: 204, secret_source: 'env_file', env_file: join(cwd, 'shop.env'), signing_secret_hint: SECRET.slice(-4) });
      expect(run.stdout).not.toContain(SECRET);
    });

    it('lets the real environment win over the file', async () => {
      const cwd = projectWith('SIGLUME_WEBHOOK_SECRET=whsec_stale_file_value\n');
      const run = await runCli(['webhook', 'trigger', 'unknown', '--url', receiver.url, '--json'], { cwd, env: { SIGLUME_WEBHOOK_SECRET: SECRET } });
      expect(JSON.parse(run.stdout)).toMatchObject({ status: 204, secret_source: 'environment' });
    });

    it('works the same through the real binary', async () => {
      requireBuild();
      const cwd = projectWith(`SIGLUME_WEBHOOK_SECRET=${SECRET}\n`);
      const run = await runBin(['webhook', 'trigger', 'standard-settled', '--url', receiver.url], { cwd });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('-> 204');
      expect(run.stdout).toContain('from ');
    });
  });

  describe('when no secret is configured anywhere', () => {
    it('falls back to the test secret with a warning, and the real handler refuses it', async () => {
      const run = await runCli(['webhook', 'trigger', 'standard-settled', '--url', receiver.url]);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^warning: No webhook secret configured .*signing with the built-in TEST secret/);
      expect(run.stdout).toContain('-> 503');
      expect(run.stdout).toContain('signed with the built-in TEST secret: no secret is configured');
    });

    it('says test_secret_fallback in --json', async () => {
      const run = await runCli(['webhook', 'trigger', 'unknown', '--url', receiver.url, '--json']);
      expect(JSON.parse(run.stdout)).toMatchObject({ ok: false, secret_source: 'test_secret_fallback' });
    });
  });

  describe('when the test secret is asked for with --test-secret', () => {
    it('signs with it without a warning, even with a secret configured', async () => {
      const testReceiver = await startWebhookReceiver({ secret: TEST_WEBHOOK_SECRET });
      try {
        const run = await runCli(['webhook', 'trigger', 'unknown', '--url', testReceiver.url, '--test-secret', '--json'], {
          env: { SIGLUME_WEBHOOK_SECRET: SECRET },
        });
        expect(run.code).toBe(0);
        expect(run.stderr).toBe('');
        expect(JSON.parse(run.stdout)).toMatchObject({ status: 204, secret_source: 'test_secret' });
      } finally {
        await testReceiver.close();
      }
    });

    it('refuses --secret together with --test-secret', async () => {
      const run = await runCli(['webhook', 'trigger', 'unknown', '--url', receiver.url, '--test-secret', '--secret', SECRET]);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('Pass either --secret or --test-secret, not both');
    });
  });

  describe('when the endpoint echoes secrets in its answer', () => {
    const TOKEN = 'sdrp_live_token_echoed_7f3a';
    // A debugging endpoint that dumps its configuration, as some do.
    const echo = echoingEndpoint(400, 'application/json', () =>
      JSON.stringify({ error: 'bad signature', expected_secret: SECRET, token: TOKEN, note: `secret=${SECRET};` }),
    );

    it.each([
      ['text, refused', '/refuse', []],
      ['--json, refused', '/refuse', ['--json']],
      ['--json, accepted', '/accept', ['--json']],
    ])('prints neither the secret nor the token (%s)', async (_title, path, extra) => {
      const run = await runCli(['webhook', 'trigger', 'standard-settled', '--url', `${echo.url()}${path}`, ...extra], {
        env: { SIGLUME_WEBHOOK_SECRET: SECRET, SIGLUME_MERCHANT_AUTH_TOKEN: TOKEN },
      });
      const all = run.stdout + run.stderr;
      expect(all).toContain('[redacted]');
      expect(all).not.toContain(SECRET);
      expect(all).not.toContain(SECRET.slice('whsec_'.length));
      expect(all).not.toContain(TOKEN);
      if (extra.length > 0) expect((JSON.parse(run.stdout) as TriggerJson).response_body).toContain('"expected_secret":"[redacted]"');
    });
  });

  describe('when the endpoint echoes the whole environment in its answer', () => {
    const ENV = {
      SIGLUME_WEBHOOK_SECRET: SECRET,
      SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET: 'sdrp_cs_echoed_challenge_9d1e',
      SIGLUME_RECONCILE_TOKEN: 'reconcile-token-echoed-4b7c',
      DATABASE_URL: 'postgres://shop:db-pass-echoed-6a2f@db.internal:5432/shop',
      STRIPE_SECRET_KEY: 'other-vendor-key-echoed-3e8d',
      SESSION_SIGNING: 'Zx9kQ2mW7pL4vR8tY1nB6cH3',
    };
    const SHAPED = ['Bearer shaped-bearer-echoed-77', 'mysql://root:shaped-url-pass@h/x', 'password=shaped-field-pass'];
    const echo = echoingEndpoint(500, 'text/plain', () => `env dump: ${Object.entries(ENV).map(([k, v]) => `${k}=${v}`).join(' ')} ${SHAPED.join(' ')}`);

    it.each([
      ['text, failed', '/fail', []],
      ['--json, failed', '/fail', ['--json']],
      ['--json, accepted', '/accept', ['--json']],
    ])('prints no secret value of the environment and no credential-shaped text (%s)', async (_title, path, extra) => {
      const run = await runCli(['webhook', 'trigger', 'standard-settled', '--url', `${echo.url()}${path}`, ...extra], { env: ENV });
      const all = run.stdout + run.stderr;
      expect(all).toContain('SIGLUME_RECONCILE_TOKEN=[redacted]');
      expect(all).toContain('SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET=[redacted]');
      expect(all).toContain('postgres://shop:***@db.internal');
      for (const value of [...Object.values(ENV).filter((v) => !v.startsWith('postgres:')), 'db-pass-echoed-6a2f']) expect(all).not.toContain(value);
      for (const text of ['shaped-bearer-echoed-77', 'shaped-url-pass', 'shaped-field-pass']) expect(all).not.toContain(text);
      if (extra.length > 0) expect((JSON.parse(run.stdout) as TriggerJson).response_body).toContain('SIGLUME_RECONCILE_TOKEN=[redacted]');
    });

    it("masks a .env secret that the environment overrides with another value, and leaves a short password's word alone", async () => {
      // The endpoint echoes the file's reconcile token; the environment holds another one.
      const run = await runCli(['webhook', 'trigger', 'standard-settled', '--url', `${echo.url()}/fail`, '--json'], {
        env: { ...ENV, SIGLUME_RECONCILE_TOKEN: 'another-token-in-the-env-1f0c', DATABASE_URL: 'postgres://postgres:postgres@127.0.0.1:5432/test' },
        cwd: projectWith('SIGLUME_RECONCILE_TOKEN=reconcile-token-echoed-4b7c\n'),
      });
      const shown = JSON.parse(run.stdout) as TriggerJson;
      expect(shown.response_body).toContain('SIGLUME_RECONCILE_TOKEN=[redacted]');
      expect(run.stdout + run.stderr).not.toContain('reconcile-token-echoed-4b7c');
      // A development database's password "postgres" is not masked wherever the word appears (the URL, the event).
      expect((shown as TriggerJson & { url: string }).url).toBe(`${echo.url()}/fail`);
      expect(JSON.stringify(shown)).not.toMatch(/\[redacted\] (order|passed)|evt_\[redacted\]/);
    });
  });

  describe('when the secret has a space or line break in it', () => {
    it.each([
      ['in .env, quoted with a trailing space', [], {}, 'SIGLUME_WEBHOOK_SECRET="whsec_trigger_padded_51c2 "\n', 'SIGLUME_WEBHOOK_SECRET in .env'],
      ['in the environment, with a leading space', [], { SIGLUME_WEBHOOK_SECRET: ' whsec_trigger_padded_51c2' }, '', 'SIGLUME_WEBHOOK_SECRET'],
      ['typed with --secret, a space inside', ['--secret', 'whsec_trigger padded_51c2'], {}, '', '--secret'],
    ])('refuses it (%s), naming where it is set and not its value, sends nothing and exits 2', async (_title, extra, env, file, name) => {
      const received = receiver.events.length + receiver.rejected;
      const run = await runCli(['webhook', 'trigger', 'standard-settled', '--url', receiver.url, ...extra], { env, cwd: projectWith(file) });
      expect(run.code).toBe(2);
      expect(run.stderr.split('\n')[0]).toMatch(
        new RegExp(`^error: ${name.replace(' in .env', ' in \\S*\\.env')} contains a space or line break \\(leading, trailing or inside\\); Siglume's webhook secrets have none: check the quoting where it is set$`),
      );
      expect(run.stdout + run.stderr).not.toContain('padded');
      expect(receiver.events.length + receiver.rejected).toBe(received);
    });

    it('still signs with the test secret when --test-secret is given', async () => {
      const run = await runCli(['webhook', 'trigger', 'unknown', '--url', receiver.url, '--test-secret'], {
        env: { SIGLUME_WEBHOOK_SECRET: 'whsec_trigger_padded_51c2 ' },
      });
      expect(run.stderr).not.toContain('space');
    });
  });

  describe('when signed with a wrong secret', () => {
    it('prints the rejection status and exits 1', async () => {
      const rejected = receiver.rejected;
      const run = await runCli(['webhook', 'trigger', 'standard-settled', '--url', receiver.url, '--secret', 'whsec_wrong_secret_000']);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('-> 503');
      expect(run.stdout).toContain('WEBHOOK_SIGNATURE_MISMATCH');
      expect(run.stdout).toContain("hint: the signature did not verify: is the secret the shop's SIGLUME_WEBHOOK_SECRET, and the shop's clock right?");
      expect(receiver.rejected).toBe(rejected + 1);
    });
  });

  describe('when the endpoint takes more than 2 s to answer', () => {
    let slow: Server;
    let slowUrl = '';
    beforeAll(async () => {
      slow = createServer((req) => req.resume());
      await new Promise<void>((r) => slow.listen(0, '127.0.0.1', r));
      slowUrl = `http://127.0.0.1:${(slow.address() as AddressInfo).port}/hook`;
    });
    afterAll(async () => {
      slow.closeAllConnections();
      await new Promise<void>((r) => slow.close(() => r()));
    });
    const trigger = (extra: string[], tty: boolean) =>
      runCli(['webhook', 'trigger', 'standard-settled', '--url', slowUrl, '--test-secret', '--timeout', '2600', ...extra], { tty });

    it('says it is still waiting, on a terminal, once', async () => {
      const run = await trigger([], true);
      expect(run.code).toBe(1);
      expect(run.stderr.split(`still waiting for ${slowUrl}…`)).toHaveLength(2);
    });

    it('says nothing of it off a terminal or with --json', async () => {
      const [plain, json] = await Promise.all([trigger([], false), trigger(['--json'], true)]);
      expect(plain.code).toBe(1);
      expect(json.code).toBe(1);
      expect(plain.stderr + json.stderr + json.stdout).not.toContain('still waiting');
    });
  });

  describe('when the endpoint cannot be reached', () => {
    it('exits 1 with a one-line error', async () => {
      const server: Server = createServer();
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const { port } = server.address() as { port: number };
      await new Promise<void>((r) => server.close(() => r()));
      const run = await runCli(['webhook', 'trigger', 'unknown', '--url', `http://127.0.0.1:${port}/hook`, '--test-secret']);
      expect(run.code).toBe(1);
      expect(run.stderr).toMatch(/^error: Could not reach http:\/\/127\.0\.0\.1:\d+: ECONNREFUSED \(nothing is listening there: is the shop running, on that port\?\)\n/);
    });
  });

  describe('when the endpoint cannot be reached and --json is given', () => {
    let hanging: Server;
    let hangingUrl = '';
    beforeAll(async () => {
      // Accepts the request and never answers.
      hanging = createServer(() => undefined);
      await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
      hangingUrl = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/hook`;
    });
    afterAll(async () => {
      hanging.closeAllConnections();
      await new Promise<void>((r) => hanging.close(() => r()));
    });

    it.each([
      ['a blocked port', () => 'http://127.0.0.1:1/hook', 'BAD_PORT', 'fetch refuses reserved ports such as 1 and 6000'],
      ['a timeout', () => hangingUrl, 'TIMEOUT', 'no answer within 200 ms (the handler should answer as soon as the event is recorded, or raise --timeout)'],
      ['TLS to a plain http server', () => hangingUrl.replace('http:', 'https:'), 'ERR_SSL_WRONG_VERSION_NUMBER', 'TLS failed: fix the certificate, or use http://'],
    ])('prints one result on stdout for %s, with the cause and the event in it', async (_name, url, code, hint) => {
      const run = await runCli(['webhook', 'trigger', 'standard-settled', '--url', url(), '--test-secret', '--timeout', '200', '--json']);
      expect(run.code).toBe(1);
      expect(run.stderr).toBe('');
      const json = JSON.parse(run.stdout) as Record<string, unknown>;
      expect(json).toMatchObject({ ok: false, status: null, url: url(), kind: 'standard_settled', event_id: expect.stringMatching(/^evt_/), secret_source: 'test_secret' });
      expect(json.error).toMatchObject({ code, message: expect.stringContaining(hint) });
      // The same keys as an answered result.
      const answered = await runCli(['webhook', 'trigger', 'standard-settled', '--url', receiver.url, '--test-secret', '--json']);
      expect(Object.keys(json).sort()).toEqual(Object.keys(JSON.parse(answered.stdout) as object).sort());
    });

    it('says the same on stderr in text mode, with its hint', async () => {
      const run = await runCli(['webhook', 'trigger', 'unknown', '--url', hangingUrl, '--test-secret', '--timeout', '200']);
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^error: Could not reach http:\/\/127\.0\.0\.1:\d+: no answer within 200 ms \(the handler should answer/);
    });
  });

  describe('when the endpoint answers 400, 3xx or 5xx', () => {
    let server: Server;
    let origin = '';
    beforeAll(async () => {
      server = createServer((req, res) => {
        req.resume();
        req.on('end', () => res.writeHead(Number(req.url!.slice(1)), { location: '/elsewhere' }).end());
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    afterAll(async () => {
      await new Promise<void>((r) => server.close(() => r()));
    });

    it.each([
      [400, "hint: the handler refused the event, most often its signature: is the secret the shop's SIGLUME_WEBHOOK_SECRET?"],
      [308, 'hint: the endpoint redirects: use the final URL'],
      [500, "hint: the shop's handler failed: see its log"],
      [503, "hint: the shop's handler failed: see its log"],
    ])('answers %i with a hint line', async (status, hint) => {
      const run = await runCli(['webhook', 'trigger', 'unknown', '--url', `${origin}/${status}`, '--secret', SECRET]);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain(`-> ${status}`);
      expect(run.stdout).toContain(`\n  ${hint}\n`);
    });
  });

  describe('when --secret does not look like a webhook secret', () => {
    it('warns on stderr, without the value, and still sends the event', async () => {
      const run = await runCli(['webhook', 'trigger', 'unknown', '--url', receiver.url, '--secret', 'sdrp_cs_challenge_value']);
      expect(run.stderr).toBe(
        'warning: --secret does not start with "whsec_" like Siglume\'s webhook signing secrets (is it the challenge secret or a token?); signing with it anyway.\n',
      );
      expect(run.stdout).toContain('-> 503');
    });

    it('says nothing for a whsec_ secret', async () => {
      const run = await runCli(['webhook', 'trigger', 'unknown', '--url', receiver.url, '--secret', SECRET]);
      expect(run).toMatchObject({ code: 0, stderr: '' });
    });
  });

  describe('when the endpoint has no route at that path', () => {
    it('exits 1 and names the path the templates mount', async () => {
      const run = await runCli(['webhook', 'trigger', 'unknown', '--url', `${receiver.origin}/payments/webhook`, '--secret', SECRET]);
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('-> 404');
      expect(run.stdout).toContain('hint: no POST route at this path; the templates mount the webhook at /payments/webhooks/siglume');
    });
  });

  describe('when --url is left out', () => {
    it('posts to SHOP_WEBHOOK_URL from .env, as readiness reads it', async () => {
      const cwd = projectWith(`SIGLUME_WEBHOOK_SECRET=${SECRET}\nSHOP_WEBHOOK_URL=${receiver.url}\n`);
      const run = await runCli(['webhook', 'trigger', 'standard-settled'], { cwd });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`POST ${receiver.url} -> 204`);
    });

    it('reads .env.local when there is no .env (a Next.js project): the URL and the secret, and names the file', async () => {
      const cwd = projectWith(`SIGLUME_WEBHOOK_SECRET=${SECRET}\nSHOP_WEBHOOK_URL=${receiver.url}\n`, '.env.local');
      const run = await runCli(['webhook', 'trigger', 'standard-settled'], { cwd });
      expect(run.code).toBe(0);
      expect(run.stdout).toContain(`POST ${receiver.url} -> 204`);
      expect(run.stdout).toContain(`signed with SIGLUME_WEBHOOK_SECRET from ${join(cwd, '.env.local')} (ends "${SECRET.slice(-4)}")`);
      expect(run.stderr).toBe('note: Read .env.local: there is no .env here (--dotenv <path> names another file).\n');
      expect(run.stderr).not.toContain('TEST secret');
    });

    it('reads only .env when both exist, and names what .env.local would have added', async () => {
      const cwd = projectWith(`SHOP_WEBHOOK_URL=${receiver.url}\n`);
      writeFileSync(join(cwd, '.env.local'), `SIGLUME_WEBHOOK_SECRET=${SECRET}\n`);
      const run = await runCli(['webhook', 'trigger', 'unknown'], { cwd });
      expect(run.stdout).toContain('signed with the built-in TEST secret');
      expect(run.stderr).toContain(
        'note: Read .env only; .env.local also sets SIGLUME_WEBHOOK_SECRET, which .env does not (--dotenv .env.local reads that file instead).',
      );
      expect(run.stderr).not.toContain(SECRET);
    });

    it('prefers SHOP_WEBHOOK_URL from the environment over .env, and --url over both', async () => {
      const cwd = projectWith(`SHOP_WEBHOOK_URL=http://127.0.0.1:1/nowhere\n`);
      const env = { SIGLUME_WEBHOOK_SECRET: SECRET, SHOP_WEBHOOK_URL: receiver.url };
      expect((await runCli(['webhook', 'trigger', 'unknown'], { cwd, env })).stdout).toContain(`POST ${receiver.url} -> 204`);
      const flagged = await runCli(['webhook', 'trigger', 'unknown', '--url', `${receiver.origin}/other`], { cwd, env });
      expect(flagged.stdout).toContain(`POST ${receiver.origin}/other -> 404`);
    });

    it('does not post to a SHOP_WEBHOOK_URL off this machine (a deployed shop) unless --url names it', async () => {
      const cwd = projectWith(`SIGLUME_WEBHOOK_SECRET=${SECRET}\nSHOP_WEBHOOK_URL=https://shop.example/payments/webhooks/siglume?k=1\n`);
      const run = await runCli(['webhook', 'trigger', 'standard-settled'], { cwd });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('SHOP_WEBHOOK_URL is https://shop.example, not this machine: pass --url to send a test event there on purpose');
      expect(run.stderr).not.toContain('k=1');
    });

    it.each([
      ['--url', 'ftp://127.0.0.1/hook', 'Invalid --url: must use http or https, not ftp'],
      ['--url', 'http://127.0.0.1:99999/hook', 'Invalid --url: port 99999 is out of range (1-65535)'],
      ['--url', 'http://user:pw-9f3a@127.0.0.1:3000/hook', 'Invalid --url: must not carry a user name or password'],
      ['--url', 'not a url', 'Invalid --url: must be an absolute http(s) URL, e.g. http://127.0.0.1:3000/payments/webhooks/siglume'],
      ['--url', 'http://admin:9f3a123456789@127.0.0.1/x', 'Invalid --url: must not carry a user name or password'],
      ['--url', 'http://admin:pw-9f3a@127.0.0.1:99999/x', 'Invalid --url: port 99999 is out of range (1-65535)'],
      ['SHOP_WEBHOOK_URL', 'http://127.0.0.1:70000/payments/webhooks/siglume', 'Invalid SHOP_WEBHOOK_URL: port 70000 is out of range (1-65535)'],
    ])('names %s and what is wrong with %s, without quoting it (exit 2)', async (from, url, message) => {
      const cwd = projectWith(`SIGLUME_WEBHOOK_SECRET=${SECRET}\n${from === '--url' ? '' : `SHOP_WEBHOOK_URL=${url}\n`}`);
      const run = await runCli(['webhook', 'trigger', 'unknown', ...(from === '--url' ? ['--url', url] : [])], { cwd });
      expect(run.code).toBe(2);
      expect(run.stderr.split('\n')[0]).toBe(`error: ${message}`);
      for (const secret of ['pw-9f3a', '9f3a123456789']) expect(run.stderr).not.toContain(secret);
    });

    it('exits 2 naming both ways to give it when neither is set', async () => {
      const run = await runCli(['webhook', 'trigger', 'unknown']);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^error: No endpoint: pass --url or set SHOP_WEBHOOK_URL \(in the environment or \.env\)/);
    });
  });

  describe('when the kind is not one of the four', () => {
    it('says so first, listing the valid kinds, even with --url missing', async () => {
      const run = await runCli(['webhook', 'trigger', 'standard']);
      expect(run.code).toBe(2);
      expect(run.stderr).toBe(
        'error: Unknown kind "standard": use one of standard-settled, metered-accepted, batch-settled, unknown\n' +
          'Run `siglume-check webhook trigger --help` for usage.\n',
      );
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

  describe('when the secret is wrapped in quotes kept as part of it (docker --env-file)', () => {
    it.each([
      ['SIGLUME_WEBHOOK_SECRET', { SIGLUME_WEBHOOK_SECRET: '"whsec_example"' }, []],
      ['--secret', {}, ['--secret', "'whsec_example'"]],
    ])('refuses it from %s, naming where it is set and not its value, prints no header and exits 2', async (name, env, extra) => {
      const run = await runCli(['webhook', 'sign', '--timestamp', '1800000000', ...extra], { stdin: body, env });
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(new RegExp(`^error: ${name} starts or ends with a quote character; Siglume's webhook secrets have none`));
      expect(run.stderr).not.toContain('whsec_example');
      expect(run.stderr).not.toContain('warning');
    });

    it('refuses it for trigger too and sends nothing', async () => {
      const run = await runCli(['webhook', 'trigger', 'standard-settled', '--url', 'http://127.0.0.1:9/never'], {
        env: { SIGLUME_WEBHOOK_SECRET: '"whsec_example"' },
      });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^error: SIGLUME_WEBHOOK_SECRET starts or ends with a quote character/);
    });
  });

  describe('when the secret is in .env', () => {
    it('signs with it, like trigger and readiness', async () => {
      const run = await runCli(['webhook', 'sign', '--timestamp', '1800000000'], { stdin: body, cwd: projectWith('SIGLUME_WEBHOOK_SECRET=whsec_example\n') });
      expect(run.stdout).toBe('t=1800000000,v1=f45a559e90ca05b7f877694677a3dc893b3b6ace0d18951f99ebc47fb8c8e82e\n');
    });
  });

  describe('when the secret has a space or line break in it', () => {
    it.each([
      ['SIGLUME_WEBHOOK_SECRET in .env', 'SIGLUME_WEBHOOK_SECRET="whsec_example "\n', []],
      ['--secret', '', ['--secret', 'whsec_example\n']],
    ])('refuses it from %s, naming where it is set, prints no header and exits 2', async (name, file, extra) => {
      const run = await runCli(['webhook', 'sign', '--timestamp', '1800000000', ...extra], { stdin: body, cwd: projectWith(file) });
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(new RegExp(`^error: ${name.replace(' in .env', ' in \\S*\\.env')} contains a space or line break`));
      expect(run.stderr).not.toContain('whsec_example');
    });
  });

  describe('when there is no secret or no piped body', () => {
    it('exits 2 without a secret', async () => {
      expect((await runCli(['webhook', 'sign'], { stdin: body })).code).toBe(2);
    });
    it('exits 2 naming the limit when stdin does not end (as with < /dev/zero), having read no more than it', async () => {
      let read = 0;
      const endless = (function* () {
        for (;;) {
          read += 1;
          yield Buffer.alloc(1024 * 1024);
        }
      })();
      const run = await runCli(['webhook', 'sign', '--secret', SECRET], { stdin: endless });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('The body on stdin is over 16 MiB');
      expect(run.stdout).toBe('');
      expect(read).toBeLessThanOrEqual(18);
    });
    it.each([
      ['empty (< /dev/null, or closed)', { stdin: '' }],
      ['unreadable', { stdin: (function* () { throw Object.assign(new Error('EISDIR: illegal operation on a directory, read'), { code: 'EISDIR' }); })() }],
    ])('exits 2 saying to pipe the body when stdin is %s, and prints no signature', async (_name, opts) => {
      const run = await runCli(['webhook', 'sign', '--secret', SECRET], opts);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^error: (Nothing on stdin|Cannot read stdin \(EISDIR\)).*: pipe the raw webhook body, e\.g\. `siglume-sdrp webhook sign < body\.json`\n/);
    });
    it('warns about a secret without the whsec_ prefix but prints the header alone on stdout', async () => {
      const run = await runCli(['webhook', 'sign', '--timestamp', '1800000000'], { stdin: body, env: { SIGLUME_WEBHOOK_SECRET: 'not_a_whsec' } });
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^t=1800000000,v1=[0-9a-f]{64}\n$/);
      expect(run.stderr).toMatch(/^warning: SIGLUME_WEBHOOK_SECRET does not start with "whsec_"/);
      expect(run.stderr).not.toContain('not_a_whsec');
    });
    it('exits 2 when stdin is a terminal', async () => {
      const run = await runCli(['webhook', 'sign', '--secret', SECRET], { stdinIsTTY: true });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('Pipe the raw body on stdin');
    });
  });

  describe('when run through the binary', () => {
    it.each([['< /dev/null'], ['<&-'], ['< /']])('exits 2 with %s, a body that reads as nothing', async (redirect) => {
      requireBuild();
      const run = await new Promise<{ code: number | null; stdout: string; stderr: string }>((resolvePromise) => {
        execFile('/bin/sh', ['-c', `"${process.execPath}" "${BIN}" webhook sign ${redirect}`], { env: { SIGLUME_WEBHOOK_SECRET: SECRET }, timeout: 20_000 }, (error, stdout, stderr) =>
          resolvePromise({ code: error ? (error.code as number) : 0, stdout, stderr }),
        );
      });
      expect(run).toMatchObject({ code: 2, stdout: '' });
      expect(run.stderr).toContain('pipe the raw webhook body');
    });

    it('shows the secret coming from the environment in its help, not typed on the command line', async () => {
      const run = await runCli(['webhook', 'sign', '--help']);
      expect(run.stdout).toContain('siglume-sdrp webhook sign < body.json');
      expect(run.stdout).not.toContain('--secret whsec_');
    });

    it('reads stdin and prints a verifiable header on one line of its own', async () => {
      requireBuild();
      const run = await runBin(['webhook', 'sign', '--secret', SECRET, '--timestamp', '1800000000'], { stdin: body });
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/^t=1800000000,v1=[0-9a-f]{64}\n$/);
      await expect(verifyWebhookSignature(SECRET, body, run.stdout.trim(), { now: 1_800_000_000 })).resolves.toBeTruthy();
    });
  });
});
