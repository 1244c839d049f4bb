import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { Agent, createServer, request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { BIN, emptyDir, requireBuild, runCli } from './support.js';

async function until<T>(probe: () => T | undefined, timeoutMs = 10_000): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (performance.now() > deadline) throw new Error('timed out');
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Runs `siglume-sdrp <args>` in-process until `stop()`, collecting stdout; `stop()` resolves with the exit code. */
async function startCliSandbox(args: string[], env: Record<string, string> = {}, cwd = emptyDir(), isTTY = false) {
  const controller = new AbortController();
  let stdout = '';
  let stderr = '';
  const { main } = await import('../../src/cli/main.js');
  const done = main(args, {
    env,
    cwd,
    stdout: { write: (s: string) => (stdout += s), isTTY },
    stderr: { write: (s: string) => (stderr += s) },
    signal: controller.signal,
  });
  return {
    stdout: () => stdout,
    stderr: () => stderr,
    /** The first line of `--json` output, parsed, once it is there. */
    info: <T>() => until(() => (stdout.includes('\n') ? (JSON.parse(stdout.split('\n')[0]!) as T) : undefined)),
    stop: () => {
      controller.abort();
      return done;
    },
  };
}

const ENV_KEYS = [
  'SIGLUME_API_BASE',
  'SIGLUME_MERCHANT_AUTH_TOKEN',
  'SIGLUME_DIRECT_PAYMENT_MERCHANT',
  'SIGLUME_WEBHOOK_SECRET',
  'SHOP_PUBLIC_ORIGIN',
  'SHOP_WEBHOOK_URL',
];

describe('siglume-sdrp sandbox', () => {
  describe('when started in-process with --json', () => {
    it('prints the merchant env, serves the API until stopped, then exits 0', async () => {
      const cli = await startCliSandbox(['sandbox', '--port', '0', '--json', '--merchant', 'cli_test_shop']);
      const info = await cli.info<{ api_base: string; env: Record<string, string> }>();
      expect(Object.keys(info.env).sort()).toEqual(['SIGLUME_ENV', ...ENV_KEYS].sort());
      expect(info.env.SIGLUME_DIRECT_PAYMENT_MERCHANT).toBe('cli_test_shop');
      const res = await fetch(`${info.api_base}/sdrp/direct-payments/merchants/cli_test_shop`, {
        headers: { authorization: `Bearer ${info.env.SIGLUME_MERCHANT_AUTH_TOKEN}` },
      });
      expect(res.status).toBe(200);
      expect(await cli.stop()).toBe(0);
      await expect(fetch(`${info.api_base}/market/webhooks/subscriptions`)).rejects.toThrow();
    });

    it('gives a paid API the challenge secret and its buyer the token, outside the shop env', async () => {
      const cli = await startCliSandbox(['sandbox', '--port', '0', '--json']);
      type Info = { api_base: string; scenario: string; env: Record<string, string>; paid_api: { challenge_secret: string; buyer_token: string } };
      const info = await cli.info<Info>();
      expect(Object.keys(info.env).sort()).toEqual(['SIGLUME_ENV', ...ENV_KEYS].sort());
      // The scenario it runs, `ready` when none was asked for (it printed null).
      expect(info.scenario).toBe('ready');
      // What a 402 developer does with them: sign a challenge, then pay it as the buyer.
      const { createDirectRequestPaymentChallenge } = await import('../../src/index.js');
      const merchant = info.env.SIGLUME_DIRECT_PAYMENT_MERCHANT!;
      const terms = { merchant, amount_minor: 600, currency: 'JPY' };
      const { challenge } = await createDirectRequestPaymentChallenge({ ...terms, secret: info.paid_api.challenge_secret });
      const res = await fetch(`${info.api_base}/sdrp/direct-payments/requirements`, {
        method: 'POST',
        headers: { authorization: `Bearer ${info.paid_api.buyer_token}`, 'content-type': 'application/json' },
        body: JSON.stringify({ ...terms, challenge, mode: 'external_402' }),
      });
      expect(res.status).toBe(201);
      expect(await cli.stop()).toBe(0);
    });
  });

  describe("when the shop's environment sets what the flags would (CONTRACT-2 section 19.1)", () => {
    type Info = {
      api_base: string;
      merchant: string;
      webhook_url: string;
      webhook_secret: string | null;
      webhook_secret_from?: string;
      env: Record<string, string>;
    };
    /** The signing secret's hint of the seeded subscription: the sandbox signs with the shop's secret. */
    const subscriptionHint = async (info: Info) => {
      const res = await fetch(`${info.api_base}/market/webhooks/subscriptions`, {
        headers: { authorization: `Bearer ${info.env.SIGLUME_MERCHANT_AUTH_TOKEN}` },
      });
      return ((await res.json()) as { data: Array<{ signing_secret_hint: string }> }).data[0]!.signing_secret_hint;
    };
    const SHOP_ENV = {
      SIGLUME_DIRECT_PAYMENT_MERCHANT: 'my_shop',
      SHOP_PUBLIC_ORIGIN: 'http://127.0.0.1:4100',
      SHOP_WEBHOOK_URL: 'http://127.0.0.1:4100/hooks/siglume',
      SIGLUME_WEBHOOK_SECRET: 'whsec_from_the_shop_env',
    };

    it('seeds the merchant, origin, webhook URL and secret from it, --json has them at the top level, and the secret, being the shop\'s, is never printed', async () => {
      const cli = await startCliSandbox(['sandbox', '--port', '0', '--json'], SHOP_ENV);
      try {
        const info = await cli.info<Info>();
        expect(info).toMatchObject({ merchant: 'my_shop', webhook_url: SHOP_ENV.SHOP_WEBHOOK_URL, webhook_secret: null, webhook_secret_from: 'SIGLUME_WEBHOOK_SECRET' });
        const { SIGLUME_WEBHOOK_SECRET: secret, ...rest } = SHOP_ENV;
        expect(info.env).toMatchObject(rest);
        expect(info.env).not.toHaveProperty('SIGLUME_WEBHOOK_SECRET');
        expect(cli.stdout() + cli.stderr()).not.toContain(secret);
        expect(await subscriptionHint(info)).toBe(secret.slice(-4));
        const res = await fetch(`${info.api_base}/sdrp/direct-payments/merchants/my_shop`, {
          headers: { authorization: `Bearer ${info.env.SIGLUME_MERCHANT_AUTH_TOKEN}` },
        });
        expect(res.status).toBe(200);
      } finally {
        expect(await cli.stop()).toBe(0);
      }
    });

    it('lets the flags win over it', async () => {
      const cli = await startCliSandbox(['sandbox', '--port', '0', '--json', '--merchant', 'flag_shop', '--webhook-secret', 'whsec_from_the_flag'], SHOP_ENV);
      try {
        const info = await cli.info<Info>();
        expect(info).toMatchObject({ merchant: 'flag_shop', webhook_secret: 'whsec_from_the_flag', webhook_url: SHOP_ENV.SHOP_WEBHOOK_URL });
        expect(info.webhook_secret_from).toBeUndefined();
      } finally {
        expect(await cli.stop()).toBe(0);
      }
    });

    it('reads them from .env too, without overriding the real environment', async () => {
      const cwd = emptyDir();
      writeFileSync(join(cwd, '.env'), 'SIGLUME_DIRECT_PAYMENT_MERCHANT=file_shop\nSIGLUME_WEBHOOK_SECRET=whsec_from_the_env_file\n');
      const cli = await startCliSandbox(['sandbox', '--port', '0', '--json'], { SIGLUME_WEBHOOK_SECRET: 'whsec_from_the_real_env' }, cwd);
      try {
        const info = await cli.info<Info>();
        expect(info).toMatchObject({ merchant: 'file_shop', webhook_secret: null, webhook_secret_from: 'SIGLUME_WEBHOOK_SECRET' });
        expect(await subscriptionHint(info)).toBe('_env');
        expect(cli.stdout()).not.toContain('whsec_from_the_');
      } finally {
        expect(await cli.stop()).toBe(0);
      }
    });

    it('says in text mode whose secret it signs with, without printing it', async () => {
      const cwd = emptyDir();
      writeFileSync(join(cwd, '.env'), 'SIGLUME_WEBHOOK_SECRET=whsec_only_in_the_env_file\n');
      const cli = await startCliSandbox(['sandbox', '--port', '0'], {}, cwd);
      try {
        await until(() => (cli.stdout().includes('Check your shop against it') ? true : undefined));
        expect(cli.stdout()).toContain('# SIGLUME_WEBHOOK_SECRET: the sandbox signs with yours, from SIGLUME_WEBHOOK_SECRET in');
        expect(cli.stdout()).not.toMatch(/^SIGLUME_WEBHOOK_SECRET=/m);
        expect(cli.stdout() + cli.stderr()).not.toContain('whsec_only_in_the_env_file');
      } finally {
        expect(await cli.stop()).toBe(0);
      }
    });

    it('never prints a secret a state file was seeded with from the settings, and says which given values the state file replaced', async () => {
      const cwd = emptyDir();
      const first = await startCliSandbox(['sandbox', '--port', '0', '--json', '--state-file', 'state.json'], { SIGLUME_WEBHOOK_SECRET: 'whsec_first_shop_secret_A' }, cwd);
      expect((await first.info<Info>()).webhook_secret_from).toBe('SIGLUME_WEBHOOK_SECRET');
      expect(await first.stop()).toBe(0);

      // The state file wins: B is not used, and A (the shop's, from its settings then) is still not printed.
      const second = await startCliSandbox(['sandbox', '--port', '0', '--state-file', 'state.json'], { SIGLUME_WEBHOOK_SECRET: 'whsec_second_shop_secret_B' }, cwd);
      try {
        await until(() => (second.stdout().includes('Check your shop against it') ? true : undefined));
        expect(second.stdout()).not.toMatch(/^SIGLUME_WEBHOOK_SECRET=/m);
        expect(second.stdout() + second.stderr()).not.toMatch(/whsec_(first|second)_shop_secret/);
        expect(second.stdout()).toContain(`from the state file ${join(cwd, 'state.json')}`);
        expect(second.stderr()).toContain(`The state file ${join(cwd, 'state.json')} keeps what it was seeded with; not used: SIGLUME_WEBHOOK_SECRET.`);
      } finally {
        expect(await second.stop()).toBe(0);
      }

      const third = await startCliSandbox(['sandbox', '--port', '0', '--json', '--state-file', 'state.json'], {}, cwd);
      try {
        const info = await third.info<Info>();
        expect(info).toMatchObject({ webhook_secret: null, webhook_secret_from: `the state file ${join(cwd, 'state.json')}` });
        expect(third.stdout() + third.stderr()).not.toContain('whsec_first_shop_secret_A');
        expect(await subscriptionHint(info)).toBe('whsec_first_shop_secret_A'.slice(-4));
      } finally {
        expect(await third.stop()).toBe(0);
      }
    });

    it('names no replaced value when a given webhook URL is the state file\'s one spelt differently', async () => {
      const cwd = emptyDir();
      const first = await startCliSandbox(['sandbox', '--port', '0', '--json', '--state-file', 's.json', '--webhook-url', 'https://shop.example/hook'], {}, cwd);
      await first.info<Info>();
      expect(await first.stop()).toBe(0);
      const again = await startCliSandbox(['sandbox', '--port', '0', '--json', '--state-file', 's.json', '--webhook-url', 'https://SHOP.Example:443/hook'], {}, cwd);
      try {
        expect((await again.info<Info>()).webhook_url).toBe('https://shop.example/hook');
        expect(again.stderr()).not.toContain('not used');
      } finally {
        expect(await again.stop()).toBe(0);
      }
      const moved = await startCliSandbox(['sandbox', '--port', '0', '--json', '--state-file', 's.json', '--webhook-url', 'https://shop.example/other'], {}, cwd);
      try {
        await moved.info<Info>();
        expect(moved.stderr()).toContain('not used: --webhook-url.');
      } finally {
        expect(await moved.stop()).toBe(0);
      }
    });

    it('keeps its own defaults when neither a flag nor the environment sets them', async () => {
      const cli = await startCliSandbox(['sandbox', '--port', '0', '--json']);
      try {
        const info = await cli.info<Info>();
        expect(info).toMatchObject({
          merchant: 'sandbox_shop',
          webhook_url: 'http://127.0.0.1:3000/payments/webhooks/siglume',
          webhook_secret: 'whsec_sandbox_secret',
        });
        expect(info.api_base).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/v1$/);
      } finally {
        expect(await cli.stop()).toBe(0);
      }
    });

    it.each([
      ['SIGLUME_DIRECT_PAYMENT_MERCHANT', 'not a key!', '--merchant'],
      ['SHOP_PUBLIC_ORIGIN', 'ftp://shop.example', '--origin'],
      ['SHOP_WEBHOOK_URL', 'not a url', '--webhook-url'],
      ['SIGLUME_WEBHOOK_SECRET', 'notwhsec', '--webhook-secret'],
    ])('refuses a %s the sandbox would not take, naming the variable, exit 2', async (name, value, flag) => {
      const stopped = AbortSignal.abort();
      const run = await runCli(['sandbox', '--port', '0', '--json'], { env: { [name]: value }, signal: stopped });
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(new RegExp(`^error: ${name} `));
      expect(run.stderr).not.toContain(flag);
      if (name === 'SIGLUME_WEBHOOK_SECRET') expect(run.stderr).not.toContain(value);
    });

    describe("when the settings name a shop on another machine (a deployed project's .env)", () => {
      const PRODUCTION = {
        SIGLUME_WEBHOOK_SECRET: 'whsec_the_live_shops_secret',
        SHOP_PUBLIC_ORIGIN: 'https://shop.example',
        SHOP_WEBHOOK_URL: 'https://shop.example/payments/webhooks/siglume',
      };

      it.each([
        ['SHOP_WEBHOOK_URL', '--webhook-url'],
        ['SHOP_PUBLIC_ORIGIN', '--origin'],
      ])('refuses %s from .env before listening, exit 2, naming it and the flag that takes it on purpose', async (name, flag) => {
        const cwd = emptyDir();
        const local = { SHOP_PUBLIC_ORIGIN: 'http://127.0.0.1:3000', SHOP_WEBHOOK_URL: 'http://localhost:3000/payments/webhooks/siglume' };
        const file = { ...PRODUCTION, ...local, [name]: PRODUCTION[name as keyof typeof PRODUCTION] };
        writeFileSync(join(cwd, '.env'), Object.entries(file).map(([k, v]) => `${k}=${v}\n`).join(''));
        const run = await runCli(['sandbox', '--port', '0', '--json'], { cwd, signal: AbortSignal.abort() });
        expect(run.code).toBe(2);
        expect(run.stdout).toBe('');
        expect(run.stderr).toMatch(new RegExp(`^error: ${name} in \\S*\\.env is https://shop\\.example, not this machine: `));
        expect(run.stderr).toContain(`Pass ${flag} to use it on purpose`);
        expect(run.stderr).not.toContain(PRODUCTION.SIGLUME_WEBHOOK_SECRET);
      });

      it('refuses it from the environment too, with SIGLUME_ENV=sandbox as well', async () => {
        const run = await runCli(['sandbox', '--port', '0'], { env: { ...PRODUCTION, SIGLUME_ENV: 'sandbox' }, signal: AbortSignal.abort() });
        expect(run.code).toBe(2);
        expect(run.stdout).toBe('');
        expect(run.stderr).toMatch(/^error: SHOP_PUBLIC_ORIGIN is https:\/\/shop\.example, not this machine: /);
      });

      it('sends the webhooks of a shop served under a path (SHOP_BASE_PATH, as its templates read it) there, and refuses a bad one', async () => {
        const env = { SHOP_PUBLIC_ORIGIN: 'http://127.0.0.1:3100/', SHOP_BASE_PATH: '/store/' };
        const cli = await startCliSandbox(['sandbox', '--port', '0', '--json'], env);
        try {
          const info = await cli.info<Info>();
          expect(info).toMatchObject({ webhook_url: 'http://127.0.0.1:3100/store/payments/webhooks/siglume' });
          expect(info.env.SHOP_WEBHOOK_URL).toBe('http://127.0.0.1:3100/store/payments/webhooks/siglume');
        } finally {
          expect(await cli.stop()).toBe(0);
        }
        const bad = await runCli(['sandbox', '--port', '0'], { env: { SHOP_BASE_PATH: '/a/../b' }, signal: AbortSignal.abort() });
        expect(bad.code).toBe(2);
        expect(bad.stderr).toMatch(/^error: SHOP_BASE_PATH must be a path such as \/store/);
      });

      it('takes them from --webhook-url and --origin, given on purpose', async () => {
        const cli = await startCliSandbox(
          ['sandbox', '--port', '0', '--json', '--origin', PRODUCTION.SHOP_PUBLIC_ORIGIN, '--webhook-url', PRODUCTION.SHOP_WEBHOOK_URL],
          PRODUCTION,
        );
        try {
          expect(await cli.info<Info>()).toMatchObject({ webhook_url: PRODUCTION.SHOP_WEBHOOK_URL });
        } finally {
          expect(await cli.stop()).toBe(0);
        }
      });
    });

    it('names the .env file when the refused value came from there', async () => {
      const cwd = emptyDir();
      writeFileSync(join(cwd, '.env'), 'SIGLUME_DIRECT_PAYMENT_MERCHANT=not a key!\n');
      const run = await runCli(['sandbox', '--port', '0'], { cwd, signal: AbortSignal.abort() });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^error: SIGLUME_DIRECT_PAYMENT_MERCHANT in \S*\.env /);
    });

    it('lists the variables it reads in --help', async () => {
      const run = await runCli(['sandbox', '--help']);
      for (const name of ['SIGLUME_SANDBOX_PORT', ...Object.keys(SHOP_ENV)]) expect(run.stdout).toContain(name);
      expect(run.stdout).toMatch(/^Environment/m);
    });
  });

  describe('when a flag has a value the sandbox would not take', () => {
    it.each([
      ['--webhook-url', 'ftp://x', 'must use https'],
      ['--webhook-secret', 'nope', 'must start with "whsec_"'],
      ['--origin', 'ftp://shop.example', 'must use https'],
      ['--merchant', 'not a key!', 'must be 3-64 characters'],
      ['--token', 'short', 'must be 8-256 printable characters'],
      ['--scenario', 'nope', 'must be one of ready,'],
      ['--allowed-host', 'bad/host', 'must be a host name or address'],
      ['--allowed-host', 'foo:99999', 'must have a port from 1 to 65535 (the port is out of range) (got "foo:99999")'],
    ])('refuses %s %s naming the flag, not the option, and exits 2', async (flag, value, problem) => {
      const run = await runCli(['sandbox', '--port', '0', '--json', flag, value], { signal: AbortSignal.abort() });
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr.split('\n')[0]).toMatch(new RegExp(`^error: ${flag} ${problem.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`));
      expect(run.stderr).not.toMatch(/Invalid \w+/);
      if (flag === '--webhook-secret' || flag === '--token') expect(run.stderr).not.toContain(value);
    });
  });

  describe('when its env is saved to .env', () => {
    it('includes SIGLUME_ENV=sandbox, so readiness accepts the http shop origin', async () => {
      const cli = await startCliSandbox(['sandbox', '--port', '0', '--json']);
      try {
        const info = await cli.info<{ env: Record<string, string> }>();
        expect(info.env.SIGLUME_ENV).toBe('sandbox');
        const cwd = emptyDir();
        writeFileSync(join(cwd, '.env'), Object.entries(info.env).map(([k, v]) => `${k}=${v}\n`).join(''));
        const run = await runCli(['readiness', '--json', '--no-api'], { cwd });
        const report = JSON.parse(run.stdout) as { checks: Array<{ name: string; status: string }> };
        expect(report.checks.find((c) => c.name === 'shop_origin')?.status).toBe('pass');
      } finally {
        await cli.stop();
      }
    });
  });

  describe('in text mode', () => {
    it('says "Press Ctrl+C to stop" on a terminal only: not in captured output, nor in CI', async () => {
      const cases: Array<[Record<string, string>, boolean, boolean]> = [[{}, true, true], [{}, false, false], [{ CI: 'true' }, true, false]];
      for (const [env, tty, shown] of cases) {
        const cli = await startCliSandbox(['sandbox', '--port', '0'], env, emptyDir(), tty);
        try {
          await until(() => (cli.stdout().includes('Check your shop against it') ? true : undefined));
          expect(cli.stdout().includes('Press Ctrl+C to stop.'), JSON.stringify({ env, tty })).toBe(shown);
        } finally {
          await cli.stop();
        }
      }
    });
  });

  describe('when started on another port than 8787', () => {
    it('names that address in the readiness command it suggests', async () => {
      const cli = await startCliSandbox(['sandbox', '--port', '0']);
      try {
        await until(() => (cli.stdout().includes('Check your shop against it') ? true : undefined));
        const port = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(cli.stdout())![1];
        expect(cli.stdout()).toContain(`npx siglume-check readiness --sandbox --base-url http://127.0.0.1:${port}/v1\n`);
      } finally {
        await cli.stop();
      }
    });
  });

  describe('when given --allowed-host', () => {
    it('answers that Host as well as its own, and refuses others with 421', async () => {
      const cli = await startCliSandbox(['sandbox', '--port', '0', '--json', '--allowed-host', 'sandbox.test', '--allowed-host', 'other.test:1']);
      const info = await cli.info<{ url: string }>();
      const port = new URL(info.url).port;
      const status = (host: string) =>
        new Promise<number>((resolve, reject) => {
          const req = request({ host: '127.0.0.1', port, path: '/__sandbox/faults', headers: { Host: host }, setHost: false, agent: false }, (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          });
          req.on('error', reject);
          req.end();
        });
      expect(await status(`sandbox.test:${port}`)).toBe(200);
      expect(await status(`127.0.0.1:${port}`)).toBe(200);
      expect(await status(`other.test:${port}`)).toBe(421);
      expect(await status(`rebind.attacker.example:${port}`)).toBe(421);
      expect(await cli.stop()).toBe(0);
    });
  });

  describe('when asked to listen on an interface other than loopback', () => {
    it('warns first that anyone who can reach it can use its default tokens and its Pay button', async () => {
      // 192.0.2.1 (TEST-NET-1) is on no interface here: the warning is printed, then the start fails, so nothing
      // listens beyond loopback during the test.
      const run = await runCli(['sandbox', '--host', '192.0.2.1', '--port', '0']);
      expect(run.stderr).toMatch(/^warning: Listening on 192\.0\.2\.1: anyone who can reach this machine can call the sandbox's API with its default tokens/);
      expect(run.stderr).toContain('Pass --token and --webhook-secret of your own, or listen on 127.0.0.1.');
      expect(run.code).not.toBe(0);
    });

    it.each(['999.1.1.1', '[::1]', 'my host', 'http://127.0.0.1'])('refuses --host %s as a usage error naming --host, before any warning', async (host) => {
      const run = await runCli(['sandbox', '--port', '0', '--host', host]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^error: --host must be an IP address or host name of this machine/);
      expect(run.stderr).not.toContain('warning');
    });

    it('refuses a host name that does not resolve as a usage error naming --host, before any warning', async () => {
      const run = await runCli(['sandbox', '--port', '0', '--host', 'nosuchhost.invalid'], { signal: AbortSignal.abort() });
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^error: --host nosuchhost\.invalid does not resolve/);
      expect(run.stderr).not.toContain('warning');
    });

    it.each(['127.0.0.1', 'localhost', '::1'])('starts on %s without a warning', async (host) => {
      const cli = await startCliSandbox(['sandbox', '--host', host, '--port', '0', '--json']);
      await cli.info();
      expect(await cli.stop()).toBe(0);
      expect(cli.stderr()).toBe('');
    });
  });

  describe('when the state file cannot be written', () => {
    it('says so once, on stderr, and exits 1', async () => {
      // A name that reads as absent but whose temporary file (`.<name>.<pid>.<random>.tmp`) is longer than the
      // 255 bytes a file name may have: unwritable for root too, where a read-only directory is not.
      const name = `${'s'.repeat(240)}.json`;
      const run = await runCli(['sandbox', '--port', '0', '--state-file', name], { signal: AbortSignal.abort() });
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr.match(/Cannot write the sandbox state file/g)).toHaveLength(1);
      expect(run.stderr).toMatch(new RegExp(`^error: Cannot write the sandbox state file \\S*${name} \\(ENAMETOOLONG\\)`));
    });
  });

  describe('when another sandbox uses the state file', () => {
    it('says which process holds it and what to do, on stderr, and exits 1', async () => {
      const cwd = emptyDir();
      const first = await startCliSandbox(['sandbox', '--port', '0', '--json', '--state-file', 'state.json'], {}, cwd);
      try {
        await first.info();
        const run = await runCli(['sandbox', '--port', '0', '--state-file', 'state.json'], { cwd, signal: AbortSignal.abort() });
        expect(run.code).toBe(1);
        expect(run.stdout).toBe('');
        expect(run.stderr).toContain(`error: The sandbox state file ${join(cwd, 'state.json')} is in use by another sandbox (process ${process.pid}`);
        expect(run.stderr).toContain('Close that sandbox, or use another state file (--state-file); if that process is no sandbox, delete the lock file.');
      } finally {
        expect(await first.stop()).toBe(0);
      }
    });
  });

  describe('when given a bad port', () => {
    it('exits 2', async () => {
      expect((await runCli(['sandbox', '--port', '70000'])).code).toBe(2);
    });

    it('exits 2 naming --port or SIGLUME_SANDBOX_PORT for a port fetch refuses (6666, 9), before listening', async () => {
      for (const port of ['6666', '9']) {
        const flag = await runCli(['sandbox', '--port', port]);
        expect(flag.code).toBe(2);
        expect(flag.stderr).toContain(`--port ${port} is a port fetch refuses to connect to`);
        const env = await runCli(['sandbox'], { env: { SIGLUME_SANDBOX_PORT: port } });
        expect(env.code).toBe(2);
        expect(env.stderr).toContain(`SIGLUME_SANDBOX_PORT ${port} is a port fetch refuses to connect to`);
      }
    });

    it('exits 2 naming SIGLUME_SANDBOX_PORT when the environment gives a bad one', async () => {
      const run = await runCli(['sandbox'], { env: { SIGLUME_SANDBOX_PORT: 'eighty' } });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('SIGLUME_SANDBOX_PORT');
    });
  });

  describe('when SIGLUME_SANDBOX_PORT is set and --port is not', () => {
    it('listens on that port', async () => {
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const port = (probe.address() as { port: number }).port;
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      const cli = await startCliSandbox(['sandbox', '--json'], { SIGLUME_SANDBOX_PORT: String(port) });
      const info = await cli.info<{ api_base: string }>();
      expect(info.api_base).toBe(`http://127.0.0.1:${port}/v1`);
      expect(await cli.stop()).toBe(0);
    });
  });

  describe('when run as the binary and sent SIGINT', () => {
    it('prints the env a shop needs and stops cleanly with exit 0', async () => {
      requireBuild();
      const child = spawn(process.execPath, [BIN, 'sandbox', '--port', '0'], { env: {}, cwd: emptyDir(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      try {
        await until(() => (stdout.includes('SHOP_WEBHOOK_URL=') ? true : undefined));
        for (const key of ENV_KEYS) expect(stdout).toMatch(new RegExp(`^${key}=\\S+$`, 'm'));
        expect(stdout).toMatch(/^SIGLUME_ENV=sandbox$/m);
        // The paid-API values come in their own section, after the shop's block (which ends at a blank line).
        const [shopBlock, rest] = stdout.split(/^SHOP_WEBHOOK_URL=\S+\n\n/m);
        expect(shopBlock).not.toContain('CHALLENGE_SECRET');
        expect(rest).toMatch(/^SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET=sdrp_cs_\w+$/m);
        expect(rest).toMatch(/^buyer token: sdrp_sandbox_buyer_token$/m);
        child.kill('SIGINT');
        expect(await exited).toBe(0);
        expect(stdout).toContain('Sandbox stopped.');
      } finally {
        clearTimeout(killer);
        child.kill('SIGKILL');
      }
    });

    it('stops within its bound while a client keeps a connection alive and an upload is stuck mid-body', async () => {
      requireBuild();
      const child = spawn(process.execPath, [BIN, 'sandbox', '--port', '0', '--json'], { env: {}, cwd: emptyDir(), stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
      const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
      const killer = setTimeout(() => child.kill('SIGKILL'), 15_000);
      const agent = new Agent({ keepAlive: true });
      let stuck: Socket | undefined;
      try {
        const { url } = JSON.parse(await until(() => (stdout.includes('\n') ? stdout.split('\n')[0] : undefined))) as { url: string };
        const status = await new Promise((resolve, reject) =>
          request(`${url}/__sandbox/state`, { agent }, (res) => res.resume().on('end', () => resolve(res.statusCode))).on('error', reject).end(),
        );
        expect(status).toBe(200);
        const { host, port } = new URL(url);
        stuck = connect({ host: '127.0.0.1', port: Number(port) }).on('error', () => undefined);
        stuck.write(`POST /__sandbox/scenario HTTP/1.1\r\nHost: ${host}\r\nContent-Length: 1000\r\n\r\n{"scenario":`);
        await new Promise((r) => setTimeout(r, 200));
        const started = performance.now();
        child.kill('SIGINT');
        expect(await exited).toBe(0);
        // Its bound is 1 s; without it the stuck upload held the process for the request timeout (a minute).
        expect(performance.now() - started).toBeLessThan(5000);
      } finally {
        clearTimeout(killer);
        child.kill('SIGKILL');
        agent.destroy();
        stuck?.destroy();
      }
    });
  });
});
