/**
 * The package as a merchant installs it: `npm pack` the built tree, install
 * the tarball into a fresh project, then load it with `import` and with
 * `require`. Also runs publint and Are The Types Wrong on the same build.
 * Needs `dist/` (npm test builds it first through the `pretest` script).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = resolve(__dirname, '../..');
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; name: string };

/** Names a merchant copies from the contract; each must load from both bundles. */
const CONTRACT_NAMES = [
  'DirectRequestPaymentMerchantClient',
  'DirectRequestPaymentClient',
  'SiglumeDirectRequestPaymentError',
  'SiglumeApiError',
  'HostedCheckoutNotAvailableError',
  'SiglumeWebhookSignatureError',
  'SiglumeWebhookPayloadError',
  'verifyWebhookSignature',
  'verifyDirectRequestPaymentWebhook',
  'parseDirectRequestPaymentWebhookEvent',
  'computeWebhookSignature',
  'buildWebhookSignatureHeader',
  'classifyDirectPaymentConfirmation',
  'createDirectRequestPaymentChallenge',
  'verifyDirectRequestPaymentChallenge',
  'createExternal402Challenge',
  'verifyExternal402RecurringChallenge',
  'directRequestPaymentRequestHashV2',
  'buildPaymentExecutionPayload',
  'DEFAULT_WEBHOOK_TOLERANCE_SECONDS',
  'DEFAULT_SIGLUME_API_BASE',
  'DIRECT_REQUEST_PAYMENT_SDK_VERSION',
];

let work: string;

beforeAll(async () => {
  expect(existsSync(join(root, 'dist/index.js')), 'dist/ is missing: run `npm run build` first').toBe(true);
  work = mkdtempSync(join(tmpdir(), 'sdrp-pack-'));
  // --ignore-scripts: dist/ is already built; rebuilding here would race other suites that read it.
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: root });
  const { filename } = (JSON.parse(stdout) as Array<{ filename: string }>)[0]!;
  writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'sdrp-consumer', private: true, type: 'module' }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, filename)], { cwd: work });
}, 240_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

async function node(code: string, input: 'module' | 'commonjs'): Promise<string> {
  const { stdout } = await run(process.execPath, [`--input-type=${input}`, '-e', code], { cwd: work });
  return stdout.trim();
}

describe('the packed package', () => {
  it('loads with import and exposes every contract name', async () => {
    const out = await node(
      `const m = await import('${pkg.name}'); console.log(JSON.stringify(${JSON.stringify(CONTRACT_NAMES)}.filter((n) => m[n] === undefined)), m.DIRECT_REQUEST_PAYMENT_SDK_VERSION);`,
      'module',
    );
    expect(out).toBe(`[] ${pkg.version}`);
  });

  it('loads with require and exposes every contract name', async () => {
    const out = await node(
      `const m = require('${pkg.name}'); console.log(JSON.stringify(${JSON.stringify(CONTRACT_NAMES)}.filter((n) => m[n] === undefined)), m.DIRECT_REQUEST_PAYMENT_SDK_VERSION);`,
      'commonjs',
    );
    expect(out).toBe(`[] ${pkg.version}`);
  });

  it('verifies a webhook signed by its own testing subpath, from both module systems', async () => {
    const esm = await node(
      `const t = await import('${pkg.name}/testing'); const m = await import('${pkg.name}');
       const e = await t.createTestWebhookEvent('standard_settled');
       const { event } = await m.verifyDirectRequestPaymentWebhook(t.TEST_WEBHOOK_SECRET, e.rawBody, e.header);
       console.log(m.classifyDirectPaymentConfirmation(event).kind);`,
      'module',
    );
    const cjs = await node(
      `const t = require('${pkg.name}/testing'); const m = require('${pkg.name}');
       t.createTestWebhookEvent('metered_usage_accepted').then(async (e) => {
         const { event } = await m.verifyDirectRequestPaymentWebhook(t.TEST_WEBHOOK_SECRET, e.rawBody, e.header);
         console.log(m.classifyDirectPaymentConfirmation(event).kind);
       });`,
      'commonjs',
    );
    expect([esm, cjs]).toEqual(['standard_settled', 'metered_usage_accepted']);
  });

  it('exposes the order core and the PostgreSQL store from both module systems, without pg installed', async () => {
    const esm = await node(
      `const o = await import('${pkg.name}/orders'); const p = await import('${pkg.name}/orders/postgres');
       console.log(typeof o.createOrderCheckoutService, typeof o.decideOrderPayment, typeof p.PostgresOrderStore);`,
      'module',
    );
    const cjs = await node(
      `const o = require('${pkg.name}/orders'); const p = require('${pkg.name}/orders/postgres');
       console.log(typeof o.createOrderCheckoutService, typeof o.decideOrderPayment, typeof p.PostgresOrderStore);`,
      'commonjs',
    );
    expect([esm, cjs]).toEqual(Array(2).fill('function function function'));
    expect(existsSync(join(work, 'node_modules/pg'))).toBe(false);
  });

  it('exposes the sandbox subpath and a working siglume-check binary', async () => {
    expect(await node(`const s = await import('${pkg.name}/sandbox'); console.log(typeof s.startSandbox);`, 'module')).toBe('function');
    const { stdout } = await run(join(work, 'node_modules/.bin/siglume-check'), ['--version'], { cwd: work });
    expect(stdout.trim()).toBe(pkg.version);
  });
});

describe('package metadata', () => {
  it('passes publint with no errors', async () => {
    const { publint } = await import('publint');
    const { messages } = await publint({ pkgDir: root, strict: false });
    expect(messages.filter((m) => m.type === 'error')).toEqual([]);
  });

  it('passes Are The Types Wrong for every entry under node16 (CJS and ESM) and bundler resolution', async () => {
    const bin = join(root, 'node_modules/.bin/attw');
    // attw exits 1 when it finds problems; its JSON lists them either way.
    const result = await run(bin, ['--pack', '.', '--format', 'json', '--profile', 'node16'], { cwd: root, maxBuffer: 64 << 20 }).catch(
      (e: { stdout: string }) => e,
    );
    const report = JSON.parse(result.stdout) as { analysis: { problems: Array<{ resolutionKind?: string }> } };
    // node10 resolution predates `exports` and cannot see subpaths; engines.node >= 20 rules it out.
    expect(report.analysis.problems.filter((p) => p.resolutionKind !== 'node10')).toEqual([]);
  }, 120_000);
});
