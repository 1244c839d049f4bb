/**
 * The package as a merchant installs it: `npm pack` the built tree, install
 * the tarball into a fresh project, then load it with `import` and with
 * `require`. Also runs publint and Are The Types Wrong on the same build.
 * Needs `dist/` (npm test builds it first through the `pretest` script).
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { linksIn } from '../docs/support/markdown.js';
import { packAndInstall, pkg, root, run } from './support/pack.js';

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
  work = await packAndInstall('sdrp-pack-');
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
       const { event } = await m.verifyDirectRequestPaymentWebhook(t.TEST_WEBHOOK_SECRET, e.raw_body, e.header);
       console.log(m.classifyDirectPaymentConfirmation(event).kind);`,
      'module',
    );
    const cjs = await node(
      `const t = require('${pkg.name}/testing'); const m = require('${pkg.name}');
       t.createTestWebhookEvent('metered_usage_accepted').then(async (e) => {
         const { event } = await m.verifyDirectRequestPaymentWebhook(t.TEST_WEBHOOK_SECRET, e.raw_body, e.header);
         console.log(m.classifyDirectPaymentConfirmation(event).kind);
       });`,
      'commonjs',
    );
    expect([esm, cjs]).toEqual(['standard_settled', 'metered_usage_accepted']);
  });

  it('exposes the order core and every store from both module systems, without any database driver installed', async () => {
    const names = `typeof o.createOrderCheckoutService, typeof o.decideOrderPayment, typeof p.PostgresOrderStore, typeof m.MysqlOrderStore,
       typeof s.SqliteOrderStore, typeof g.createSqlOrderStore, typeof g.SqlOrderStore`;
    const esm = await node(
      `const o = await import('${pkg.name}/orders'); const p = await import('${pkg.name}/orders/postgres');
       const m = await import('${pkg.name}/orders/mysql'); const s = await import('${pkg.name}/orders/sqlite'); const g = await import('${pkg.name}/orders/sql');
       console.log(${names});`,
      'module',
    );
    const cjs = await node(
      `const o = require('${pkg.name}/orders'); const p = require('${pkg.name}/orders/postgres');
       const m = require('${pkg.name}/orders/mysql'); const s = require('${pkg.name}/orders/sqlite'); const g = require('${pkg.name}/orders/sql');
       console.log(${names});`,
      'commonjs',
    );
    expect([esm, cjs]).toEqual(Array(2).fill(Array(7).fill('function').join(' ')));
    for (const driver of ['pg', 'mysql2', 'better-sqlite3']) expect(existsSync(join(work, 'node_modules', driver)), driver).toBe(false);
  });

  it('matches an error from one module system with instanceof of the other, as an app that loads both sees it', async () => {
    // A CommonJS library verifies; the ESM app classifies what it throws (the catch in docs/webhooks.md).
    const out = await node(
      `import { createRequire } from 'node:module';
       const cjs = createRequire(process.cwd() + '/')('${pkg.name}/webhooks'); const esm = await import('${pkg.name}');
       const sandbox = await import('${pkg.name}/sandbox');
       const thrown = await cjs.verifyDirectRequestPaymentWebhook('whsec_abcdefghijklmnop', '{}', 't=1,v1=00').catch((e) => e);
       const mine = new esm.SiglumeValidationError('amount_minor', 'Invalid amount_minor');
       console.log(JSON.stringify([
         thrown instanceof esm.SiglumeWebhookSignatureError, thrown instanceof esm.SiglumeDirectRequestPaymentError,
         thrown instanceof esm.SiglumeWebhookPayloadError, thrown instanceof esm.SiglumeValidationError, thrown instanceof Error,
         mine instanceof cjs.SiglumeValidationError, mine instanceof esm.SiglumeApiError,
         new sandbox.SandboxStartError('x') instanceof cjs.SiglumeDirectRequestPaymentError,
         ({ name: 'SiglumeValidationError' }) instanceof esm.SiglumeValidationError,
       ]));`,
      'module',
    );
    expect(JSON.parse(out)).toEqual([true, true, false, false, true, true, false, true, false]);
  });

  it('exposes the sandbox subpath and a working siglume-check binary', async () => {
    expect(await node(`const s = await import('${pkg.name}/sandbox'); console.log(typeof s.startSandbox);`, 'module')).toBe('function');
    const { stdout } = await run(join(work, 'node_modules/.bin/siglume-check'), ['--version'], { cwd: work });
    expect(stdout.trim()).toBe(pkg.version);
  });
});

/** The installed package directory in the consumer project. */
function installed(): string {
  return join(work, 'node_modules', ...pkg.name.split('/'));
}

/** True when `path` is `dir` or inside it. */
function inside(dir: string, path: string): boolean {
  const rel = relative(dir, path);
  return rel === '' || (!rel.startsWith('..') && !isAbsolute(rel) && !rel.startsWith(`..${sep}`));
}

/** Command names listed under "Commands:" in a help text (aliases dropped). */
function subcommands(help: string): string[] {
  const section = help.split(/\nCommands:\n/)[1];
  if (!section) return [];
  const names: string[] = [];
  for (const line of section.split('\n')) {
    if (line.trim() === '') break;
    const m = /^ {2}([a-z][\w-]*)/.exec(line); // continuation lines are indented further
    if (m) names.push(m[1]!);
  }
  return names;
}

describe('the docs as installed', () => {
  it('resolve every relative link of README.md and of the shipped guides inside the package', () => {
    const dir = installed();
    const docs = readdirSync(join(dir, 'docs')).filter((f) => f.endsWith('.md'));
    expect(docs).toContain('sandbox.md');
    const broken: string[] = [];
    let checked = 0;
    for (const file of [join(dir, 'README.md'), ...docs.map((f) => join(dir, 'docs', f))]) {
      for (const link of linksIn(file)) {
        if (/^(?:[a-z][a-z0-9+.-]*:|\/\/|#)/i.test(link.target)) continue;
        checked++;
        const target = resolve(dirname(file), decodeURIComponent(link.target.split('#')[0]!));
        if (!inside(dir, target) || !existsSync(target)) broken.push(`${relative(dir, file)}:${link.line} -> ${link.target}`);
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(broken, 'links that lead nowhere after npm install').toEqual([]);
  });

  it('resolve every doc path a --help prints inside the package', async () => {
    const bin = join(work, 'node_modules/.bin/siglume-sdrp');
    const pending: string[][] = [[]];
    const printed: string[] = [];
    let helps = 0;
    while (pending.length > 0) {
      const path = pending.shift()!;
      const { stdout } = await run(bin, [...path, '--help'], { cwd: work });
      helps++;
      printed.push(...(stdout.match(/\S*docs\/[\w./-]+\.md/g) ?? []));
      for (const name of subcommands(stdout)) pending.push([...path, name]);
    }
    expect(helps, 'root, readiness, init, sandbox, webhook, trigger, sign').toBeGreaterThanOrEqual(7);
    expect(printed.length, 'sandbox --help names its guide').toBeGreaterThan(0);
    for (const doc of printed) {
      expect(isAbsolute(doc), `${doc} is not a path a reader can open from anywhere`).toBe(true);
      expect(inside(installed(), doc), `${doc} is outside the installed package`).toBe(true);
      expect(statSync(doc).isFile()).toBe(true);
    }
  });

  it('leaves the generated API reference and the examples in the repository', () => {
    expect(existsSync(join(installed(), 'docs/api'))).toBe(false);
    expect(existsSync(join(installed(), 'examples'))).toBe(false);
  });
});

describe('package metadata', () => {
  it('names the repository, homepage and issue tracker, all in one repository', () => {
    const meta = JSON.parse(readFileSync(join(installed(), 'package.json'), 'utf8')) as {
      repository: { type: string; url: string };
      homepage: string;
      bugs: { url: string };
    };
    const repo = meta.homepage.replace(/#readme$/, '');
    expect(repo).toMatch(/^https:\/\/github\.com\/[\w.-]+\/[\w.-]+$/);
    expect(meta.repository).toEqual({ type: 'git', url: `git+${repo}.git` });
    expect(meta.bugs.url).toBe(`${repo}/issues`);
  });

  it('ships the licence text package.json names', () => {
    const meta = JSON.parse(readFileSync(join(installed(), 'package.json'), 'utf8')) as { license: string };
    const text = readFileSync(join(installed(), 'LICENSE'), 'utf8');
    expect(text.split('\n')[0]).toBe(`${meta.license} License`);
    expect(text).toMatch(/^Copyright \(c\) \d{4} \S/m);
  });

  it('passes publint with no errors', async () => {
    const { publint } = await import('publint');
    const { messages } = await publint({ pkgDir: root, strict: false });
    expect(messages.filter((m) => m.type === 'error')).toEqual([]);
  });

  it('passes Are The Types Wrong for every entry under node10, node16 (CJS and ESM) and bundler resolution', async () => {
    const bin = join(root, 'node_modules/.bin/attw');
    // attw exits 1 when it finds problems; its JSON lists them either way.
    const result = await run(bin, ['--pack', '.', '--format', 'json'], { cwd: root, maxBuffer: 64 << 20 }).catch(
      (e: { stdout: string }) => e,
    );
    const report = JSON.parse(result.stdout) as { analysis: { problems: Array<{ resolutionKind?: string }> } };
    // node10 is TypeScript's `moduleResolution` of a tsconfig with `"module": "commonjs"` and nothing else, whatever
    // Node runs the code: it predates `exports` and finds the subpaths' types through `typesVersions`.
    expect(report.analysis.problems).toEqual([]);
  }, 120_000);
});
