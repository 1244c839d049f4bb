import { writeFileSync } from 'node:fs';
import { createServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { READINESS_CHECK_NAMES } from '../../src/readiness/types.js';
import { SCENARIO_EXPECTATIONS, startShopSandbox, TEST_SECRET, TEST_TOKEN, type ShopSandbox } from '../readiness/support.js';
import { emptyDir, runCli } from './support.js';
import { DIRECT_REQUEST_PAYMENT_SDK_VERSION } from '../../src/version.js';

interface JsonCheck {
  name: string;
  group: string;
  status: string;
  message: string;
  fix?: string;
  reason?: string;
  duration_ms: number;
  details?: Record<string, unknown>;
}
interface JsonReport {
  ok: boolean;
  mode: string;
  checks: JsonCheck[];
  summary: Record<string, unknown>;
}

describe('siglume-check readiness', () => {
  let shop: ShopSandbox;
  /** The environment a merchant would have for the test sandbox. */
  let env: Record<string, string>;

  beforeAll(async () => {
    shop = await startShopSandbox();
    env = { ...shop.env };
  });
  afterAll(async () => {
    await shop.close();
  });
  beforeEach(() => {
    shop.sandbox.setScenario('ready');
  });

  describe('when run with --sandbox in an empty environment', () => {
    it('starts what it needs, passes every check and exits 0', async () => {
      const run = await runCli(['readiness', '--sandbox'], { env: {} });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Ready: all 23 checks passed (sandbox).');
      expect(run.stdout).toContain('in-process sandbox · local webhook receiver');
      for (const name of READINESS_CHECK_NAMES) expect(run.stdout).toMatch(new RegExp(`✔ ${name}\\b`));
      expect(run.stdout).not.toContain('\x1b[');
    });
  });

  describe('when the environment points at a ready sandbox', () => {
    it('prints grouped sections in order and exits 0', async () => {
      const run = await runCli(['readiness', '--sandbox'], { env });
      expect(run.code).toBe(0);
      const positions = ['Config', 'Readiness gates', 'Account', 'Webhook subscription', 'Probes'].map((t) => run.stdout.indexOf(`\n${t}\n`));
      expect(positions.every((p) => p > 0)).toBe(true);
      expect([...positions].sort((a, b) => a - b)).toEqual(positions);
    });

    it('prints valid JSON with the documented shape', async () => {
      const run = await runCli(['readiness', '--sandbox', '--json'], { env });
      expect(run.code).toBe(0);
      const report = JSON.parse(run.stdout) as JsonReport;
      expect(Object.keys(report)).toEqual([
        'ok',
        'command',
        'environment',
        'mode',
        'base_url',
        'merchant',
        'sandbox',
        'checks',
        'summary',
        'duration_ms',
      ]);
      expect(report).toMatchObject({
        ok: true,
        command: 'readiness',
        environment: 'sandbox',
        mode: 'full',
        sandbox: { source: 'existing', receiver: false },
      });
      expect(report.checks.map((c) => c.name)).toEqual(READINESS_CHECK_NAMES);
      for (const check of report.checks) {
        expect(check).toEqual({
          name: expect.any(String),
          group: expect.stringMatching(/^(config|readiness|account|subscription|probe|delivery)$/),
          status: 'pass',
          message: expect.any(String),
          duration_ms: expect.any(Number),
          ...(check.details ? { details: expect.any(Object) } : {}),
        });
      }
    });

    it('preflight does not count the delivery probe it skipped as a check that passed, and points to verify', async () => {
      const run = await runCli(['preflight', '--sandbox'], { env });
      expect(run.code).toBe(0);
      expect(run.stdout).toMatch(/✔ webhook_delivery_probe_skipped\b/);
      expect(run.stdout).toContain(
        '✔ Preflight passed: 22 checks passed and the webhook delivery probe is left to verify (sandbox). Mount the checkout and webhook routes, then run verify.',
      );
      expect(run.stdout).not.toContain('all 23 checks passed');
    });

    it('shows details and timings with --verbose', async () => {
      const run = await runCli(['readiness', '--sandbox', '--verbose'], { env });
      expect(run.stdout).toMatch(/hosted_checkout_probe .* \(\d+ ms\)/);
      expect(run.stdout).toMatch(/\n {6}session_id: cs_/);
    });
  });

  describe.each(SCENARIO_EXPECTATIONS)('when the sandbox scenario is $scenario', ({ scenario, failing }) => {
    it(`exits 1 naming ${failing.join(', ')}, each with its fix right under it`, async () => {
      shop.sandbox.setScenario(scenario);
      const human = await runCli(['readiness', '--sandbox'], { env });
      shop.sandbox.setScenario(scenario);
      const json = await runCli(['readiness', '--sandbox', '--json'], { env });
      const report = JSON.parse(json.stdout) as JsonReport;
      const lines = human.stdout.split('\n');
      expect([human.code, json.code]).toEqual([1, 1]);
      expect(report.ok).toBe(false);
      expect(report.checks.filter((c) => c.status === 'fail').map((c) => c.name)).toEqual(failing);
      for (const name of failing) {
        const failed = report.checks.find((c) => c.name === name)!;
        expect(failed.fix).toEqual(expect.any(String));
        const at = lines.findIndex((l) => l.includes(`✖ ${name} `));
        expect(at).toBeGreaterThan(0);
        // One line per requirement, aligned under the first.
        const fixLines = failed.fix!.split('\n');
        expect(lines.slice(at + 1, at + 1 + fixLines.length)).toEqual(fixLines.map((l, i) => `${i === 0 ? '      fix: ' : '           '}${l}`));
      }
      expect(human.stdout).toContain(`Not ready: ${failing.length} check${failing.length === 1 ? '' : 's'} failed (${failing.join(', ')})`);
    });
  });

  describe('when the sandbox drops the connection after it handled the request', () => {
    it.each([
      [['--sandbox'], {}],
      [[], { SIGLUME_ENV: 'sandbox' }],
    ] as Array<[string[], Record<string, string>]>)('says the server may have acted and to run again, not to start a sandbox (%j %j)', async (flags, more) => {
      shop.sandbox.setFaults({ drop_after_commit: 3 });
      try {
        const run = await runCli(['readiness', ...flags, '--json'], { env: { ...env, ...more } });
        expect(run.code).toBe(1);
        const probe = (JSON.parse(run.stdout) as JsonReport).checks.find((c) => c.name === 'hosted_checkout_probe')!;
        expect(probe).toMatchObject({ status: 'fail', details: { connection: 'lost' } });
        expect(probe.message).toContain('was lost after the request was sent');
        expect(probe.fix).toContain('may have acted on the request before the connection dropped: run readiness again.');
        expect(probe.fix).not.toMatch(/start the sandbox/i);
      } finally {
        shop.sandbox.resetFaults();
      }
    });
  });

  describe('when run with --no-api', () => {
    it('exits 1 and reports mode no_api, even with a complete configuration', async () => {
      const run = await runCli(['readiness', '--sandbox', '--no-api', '--json'], { env });
      expect(run.code).toBe(1);
      const report = JSON.parse(run.stdout) as JsonReport;
      expect(report).toMatchObject({ ok: false, mode: 'no_api' });
      expect(report.checks.filter((c) => c.group === 'config').every((c) => c.status === 'pass')).toBe(true);
    });
  });

  describe('when run with --no-probe', () => {
    it('exits 1 and reports mode no_probe with the probes skipped', async () => {
      const run = await runCli(['readiness', '--sandbox', '--no-probe'], { env });
      expect(run.code).toBe(1);
      expect(run.stdout).toContain('- hosted_checkout_probe');
      expect(run.stdout).toContain('Not ready: the Hosted Checkout and webhook delivery probes did not run (--no-probe).');
    });
  });

  describe('when an .env file is present', () => {
    it('fills what the environment lacks and never overrides it', async () => {
      const cwd = emptyDir();
      writeFileSync(
        join(cwd, '.env'),
        'SIGLUME_DIRECT_PAYMENT_MERCHANT=from_file\nSHOP_PUBLIC_ORIGIN="https://file.example"\n# comment\n',
      );
      const run = await runCli(['readiness', '--no-api', '--json'], { cwd, env: { SIGLUME_DIRECT_PAYMENT_MERCHANT: 'from_env' } });
      const report = JSON.parse(run.stdout) as JsonReport & { merchant: string };
      expect(report.merchant).toBe('from_env');
      expect(report.checks.find((c) => c.name === 'shop_origin')?.message).toBe('Shop origin is https://file.example');
    });

    it('reads the file named by --dotenv', async () => {
      const cwd = emptyDir();
      writeFileSync(join(cwd, 'staging.env'), 'SIGLUME_DIRECT_PAYMENT_MERCHANT=staging_shop\n');
      const run = await runCli(['readiness', '--no-api', '--json', '--dotenv', 'staging.env'], { cwd });
      expect((JSON.parse(run.stdout) as { merchant: string }).merchant).toBe('staging_shop');
    });
  });

  describe('when the output could leak secrets', () => {
    it('never prints the token or the webhook secret, in any scenario or format', async () => {
      const outputs: string[] = [];
      const secretBody = TEST_SECRET.slice('whsec_'.length);
      const modes = [[], ['--json'], ['--verbose'], ['--json', '--verbose'], ['--no-probe', '--verbose'], ['--no-api', '--json']];
      for (const { scenario } of [{ scenario: 'ready' as const }, ...SCENARIO_EXPECTATIONS]) {
        for (const mode of modes) {
          shop.sandbox.setScenario(scenario);
          const run = await runCli(['readiness', '--sandbox', ...mode], { env });
          outputs.push(run.stdout, run.stderr);
        }
      }
      // Wrong-but-similar inputs must not be echoed either.
      const wrong = await runCli(['readiness', '--sandbox', '--verbose'], {
        env: { ...env, SIGLUME_MERCHANT_AUTH_TOKEN: 'cli_abcdef0123456789', SIGLUME_WEBHOOK_SECRET: 'sk_not_a_webhook_secret_77' },
      });
      outputs.push(wrong.stdout, wrong.stderr);
      const all = outputs.join('\n');
      expect(all.length).toBeGreaterThan(10_000);
      expect(all).not.toContain(TEST_TOKEN);
      expect(all).not.toContain(TEST_SECRET);
      expect(all).not.toContain(secretBody);
      expect(all).not.toContain('cli_abcdef0123456789');
      expect(all).not.toContain('sk_not_a_webhook_secret_77');
    });

    it('masks the password of a shop URL it refuses for carrying credentials, from flags and from the environment', async () => {
      const password = 'Pw_in_url_8c41';
      const outputs: string[] = [];
      for (const format of [[], ['--json'], ['--verbose']]) {
        for (const command of ['preflight', 'readiness']) {
          const flags = await runCli(
            [command, '--origin', `http://shop:${password}@127.0.0.1:3000`, '--webhook-url', `http://shop:${password}@127.0.0.1:3000/hook`, ...format],
            { env },
          );
          const fromEnv = await runCli([command, '--sandbox', ...format], {
            env: { ...env, SHOP_PUBLIC_ORIGIN: `http://shop:${password}@127.0.0.1:3000`, SHOP_WEBHOOK_URL: `https://shop:${password}@shop.example/hook` },
          });
          for (const run of [flags, fromEnv]) {
            expect(run.code).toBe(1);
            outputs.push(run.stdout, run.stderr);
          }
        }
      }
      const all = outputs.join('\n');
      expect(all).not.toContain(password);
      expect(all).toContain('SHOP_PUBLIC_ORIGIN http://***@127.0.0.1:3000 contains a username or password');
      expect(all).toContain('--origin http://***@127.0.0.1:3000 contains a username or password');
      expect(all).toContain('--webhook-url http://***@127.0.0.1:3000/hook contains a username or password');
      expect(all).toContain('SHOP_WEBHOOK_URL https://***@shop.example/hook contains a username or password');
    });
  });

  describe('when a value given as a flag is wrong', () => {
    it('names the flag, not the variable, even while the variable holds a valid value', async () => {
      const run = await runCli(['readiness', '--no-api', '--json', '--origin', 'https://shop.example/path', '--webhook-url', 'ftp://x/y'], {
        env: { ...env, SHOP_PUBLIC_ORIGIN: 'https://shop.example', SHOP_WEBHOOK_URL: 'https://shop.example/payments/webhooks/siglume' },
      });
      expect(run.code).toBe(1);
      const checks = (JSON.parse(run.stdout) as JsonReport).checks;
      expect(checks.find((c) => c.name === 'shop_origin')).toMatchObject({
        status: 'fail',
        message: '--origin https://shop.example/path has something after the origin',
      });
      expect(checks.find((c) => c.name === 'webhook_url')).toMatchObject({ status: 'fail', message: '--webhook-url ftp://x/y uses ftp instead of https' });
    });

    it('names --base-url in the fix when the flag gave the address nothing answers at, not SIGLUME_API_BASE', async () => {
      const probe = createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const port = (probe.address() as AddressInfo).port;
      await new Promise<void>((resolve) => probe.close(() => resolve()));
      const base = `http://127.0.0.1:${port}/v1`;
      const shopEnv = { ...env, SHOP_PUBLIC_ORIGIN: 'https://shop.example', SHOP_WEBHOOK_URL: 'https://shop.example/payments/webhooks/siglume' };
      const run = await runCli(['readiness', '--no-probe', '--json', '--base-url', base], { env: shopEnv });
      expect(run.code).toBe(1);
      const api = (JSON.parse(run.stdout) as JsonReport).checks.find((c) => c.name === 'hosted_checkout_readiness_api');
      expect(api).toMatchObject({ status: 'fail', details: { connection: 'refused' } });
      expect((api as { fix?: string }).fix).toContain(`check --base-url (now ${base})`);
      expect((api as { fix?: string }).fix).not.toContain('SIGLUME_API_BASE');
    });

    it('names the flag in a warning about its value too, and the variable when the value came from it', async () => {
      const flag = await runCli(['readiness', '--no-api', '--json', '--origin', 'https://shop.example/'], { env });
      expect((JSON.parse(flag.stdout) as JsonReport).checks.find((c) => c.name === 'shop_origin')?.message).toBe(
        '--origin ends with "/"; using https://shop.example',
      );
      const variable = await runCli(['readiness', '--no-api', '--json'], { env: { ...env, SHOP_PUBLIC_ORIGIN: 'https://shop.example/path' } });
      expect((JSON.parse(variable.stdout) as JsonReport).checks.find((c) => c.name === 'shop_origin')?.message).toBe(
        'SHOP_PUBLIC_ORIGIN https://shop.example/path has something after the origin',
      );
    });
  });

  describe('when a shop URL has a port past 65535', () => {
    it('says the port is out of range, as it does for SIGLUME_API_BASE, instead of "not an absolute URL"', async () => {
      const run = await runCli(['readiness', '--no-api', '--json'], {
        env: { ...env, SHOP_PUBLIC_ORIGIN: 'https://shop.example:99999', SHOP_WEBHOOK_URL: 'https://u:pw@shop.example:70000/hook' },
      });
      expect(run.code).toBe(1);
      const checks = (JSON.parse(run.stdout) as JsonReport).checks;
      expect(checks.find((c) => c.name === 'shop_origin')).toMatchObject({
        status: 'fail',
        message: 'SHOP_PUBLIC_ORIGIN https://shop.example:99999 is not valid: port 99999 is out of range (1-65535)',
        fix: expect.stringContaining('Use a port from 1 to 65535'),
      });
      expect(checks.find((c) => c.name === 'webhook_url')).toMatchObject({
        status: 'fail',
        message: 'SHOP_WEBHOOK_URL https://***@shop.example:70000/hook is not valid: port 70000 is out of range (1-65535)',
      });
      expect(run.stdout).not.toContain('pw@');
    });
  });

  describe('when a flag or value is bad', () => {
    const cases: Array<[string, string[], Record<string, string>]> = [
      ['an unknown flag', ['readiness', '--bogus'], {}],
      ['an unknown currency', ['readiness', '--currency', 'EUR'], {}],
      ['a fractional amount', ['readiness', '--amount-minor', '1.5'], {}],
      ['a zero amount', ['readiness', '--amount-minor', '0'], {}],
      ['a non-numeric amount', ['readiness', '--amount-minor', 'abc'], {}],
      ['a non-numeric timeout', ['readiness', '--timeout', 'soon'], {}],
      ['a zero timeout', ['readiness', '--timeout', '0'], {}],
      ['a flag without its value', ['readiness', '--merchant'], {}],
      ['an unusable base URL', ['readiness', '--base-url', 'ftp://example.com/v1'], {}],
      ['a missing --dotenv file', ['readiness', '--dotenv', 'nope.env'], {}],
      ["Node's own --env-file", ['readiness', '--env-file', 'nope.env'], {}],
      ['a bad currency in the environment', ['readiness'], { SIGLUME_DIRECT_PAYMENT_TEST_CURRENCY: 'EUR' }],
      ['a bad amount in the environment', ['readiness'], { SIGLUME_DIRECT_PAYMENT_TEST_AMOUNT_MINOR: '12abc' }],
      ['an unknown command', ['frobnicate'], {}],
      ['an unexpected argument', ['readiness', 'extra'], {}],
    ];
    it.each(cases)('exits 2 on %s with a one-line message and no stack', async (_title, argv, envVars) => {
      const run = await runCli(argv, { env: envVars });
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^error: /);
      expect(run.stderr).not.toMatch(/\n\s+at /);
      expect(run.stderr.trim().split('\n').length).toBeLessThanOrEqual(2);
    });
  });

  describe('when the API base is not a URL', () => {
    // The engine's option is `base_url`; the message names what the user set instead.
    it.each([
      ['--base-url', ['readiness', '--base-url', 'not-a-url'], {}],
      ['SIGLUME_API_BASE', ['readiness'], { SIGLUME_API_BASE: 'not-a-url' }],
      ['SIGLUME_API_BASE', ['readiness', '--sandbox'], { SIGLUME_API_BASE: 'not-a-url' }],
      ['SIGLUME_SANDBOX_API_BASE', ['readiness'], { SIGLUME_ENV: 'sandbox', SIGLUME_SANDBOX_API_BASE: 'not-a-url' }],
    ] as Array<[string, string[], Record<string, string>]>)('names %s (%j), not base_url, and exits 2', async (source, argv, envVars) => {
      const run = await runCli(argv, { env: envVars });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`error: Invalid ${source}: must be an absolute URL`);
      expect(run.stderr).not.toContain('base_url');
    });

    it('leaves --no-api alone: the local checks run and the base URL is never read', async () => {
      const run = await runCli(['readiness', '--no-api', '--json'], { env: { ...env, SIGLUME_API_BASE: 'not-a-url' } });
      expect(run.code).toBe(1);
      expect((JSON.parse(run.stdout) as JsonReport).mode).toBe('no_api');
    });
  });

  describe('when asked for help', () => {
    it.each([['readiness'], ['doctor'], ['verify'], ['preflight']])('%s --help lists every flag, variable and exit code and exits 0', async (cmd) => {
      const run = await runCli([cmd, '--help']);
      expect(run.code).toBe(0);
      const flags = ['--merchant', '--origin', '--webhook-url', '--currency', '--amount-minor', '--base-url', '--no-api', '--no-probe', '--dotenv', '--sandbox', '--json', '--verbose'];
      for (const flag of flags) expect(run.stdout).toContain(flag);
      // preflight sends no test delivery, so it has nothing to wait for.
      expect(run.stdout.includes('--timeout')).toBe(cmd !== 'preflight');
      expect(run.stdout).toMatch(/Exit codes: 0 .*, 1 .*, 2 usage error/s);
      if (cmd === 'preflight') expect(run.stdout).toContain('then run verify');
      for (const v of ['SIGLUME_WEBHOOK_SECRET', 'SIGLUME_MERCHANT_AUTH_TOKEN', 'SHOP_WEBHOOK_URL', 'SIGLUME_DIRECT_PAYMENT_TEST_AMOUNT_MINOR']) {
        expect(run.stdout).toContain(v);
      }
    });

    it.each([[['--version']], [['-v']]])('prints the version for %j', async (argv) => {
      const run = await runCli(argv);
      expect(run).toMatchObject({ code: 0, stdout: `${DIRECT_REQUEST_PAYMENT_SDK_VERSION}\n` });
    });

    // `siglume-check verify -v` printed the version and exited 0 without checking anything: a pass in CI.
    it.each([
      [['verify', '-v'], 'verify', true],
      [['readiness', '--sandbox', '-v'], 'readiness', true],
      [['webhook', 'sign', '-v'], 'webhook sign', false],
      [['sandbox', '-v'], 'sandbox', false],
    ])('runs nothing for %j: -v after a command is a usage error, exit 2, with a hint', async (argv, path, verbose) => {
      const run = await runCli(argv as string[]);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      const hint = verbose ? ' (did you mean --verbose?)' : '';
      expect(run.stderr).toBe(
        `error: unknown option '-v' for ${path}${hint}; the version is \`siglume-check --version\`\nRun \`siglume-check ${path} --help\` for usage.\n`,
      );
    });

    it.each([[['readiness', '--version']], [['webhook', 'trigger', 'unknown', '--version']]])('refuses --version after a command for %j, exit 2', async (argv) => {
      const run = await runCli(argv);
      expect(run.code).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^error: unknown option '--version'/);
    });
  });
});
