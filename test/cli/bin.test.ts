import { copyFileSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startShopSandbox, TEST_SECRET, TEST_TOKEN, type ShopSandbox } from '../readiness/support.js';
import { BIN, emptyDir, REPO_ROOT, requireBuild, runBin } from './support.js';

const TRACE = fileURLToPath(new URL('./fixtures/trace-imports.mjs', import.meta.url));

/** Every ES module URL a run of the binary loaded. */
async function loadedModules(args: string[]): Promise<string[]> {
  const file = join(emptyDir(), 'trace.txt');
  const run = await runBin(args, { env: { SDRP_TRACE_FILE: file }, nodeArgs: ['--import', TRACE] });
  expect(run.code).toBe(0);
  return readFileSync(file, 'utf8').trim().split('\n');
}

describe('bin/siglume-sdrp.cjs', () => {
  beforeAll(() => {
    requireBuild();
  });

  describe('when run as `readiness --sandbox` with an empty environment', () => {
    it('passes every check, exits 0 on its own and shuts everything down', async () => {
      const run = await runBin(['readiness', '--sandbox'], { env: {}, timeoutMs: 20_000 });
      expect(run.signal).toBeNull();
      expect(run.code).toBe(0);
      expect(run.stdout).toContain('Ready: all 23 checks passed (sandbox).');
      // Generous bound: the bench measures the real figure; this catches hangs and stray timers.
      expect(run.ms).toBeLessThan(8000);
    });
  });

  describe('when the sandbox is switched to a failing scenario through its control endpoint', () => {
    let shop: ShopSandbox;
    beforeAll(async () => {
      shop = await startShopSandbox();
    });
    afterAll(async () => {
      await shop.close();
    });

    it('exits 1 with exactly the failing checks, their fixes, and the later checks skipped', async () => {
      const res = await fetch(`${shop.sandbox.url}/__sandbox/scenario`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ scenario: 'no_mandate' }),
      });
      expect(res.ok).toBe(true);
      const run = await runBin(['readiness', '--sandbox', '--json'], { env: { ...shop.env } });
      expect(run.code).toBe(1);
      const report = JSON.parse(run.stdout) as { ok: boolean; checks: Array<{ name: string; status: string; fix?: string }> };
      expect(report.ok).toBe(false);
      // The readiness API names the open gate, and the account check says exactly what is missing.
      expect(report.checks.filter((c) => c.status === 'fail').map((c) => c.name)).toEqual([
        'hosted_checkout_readiness_ready',
        'hosted_checkout_missing_requirements',
        'billing_mandate',
      ]);
      expect(report.checks.find((c) => c.name === 'hosted_checkout_missing_requirements')?.fix).toMatch(/^billing_mandate: .*prepareBillingMandate/);
      expect(report.checks.find((c) => c.name === 'billing_mandate')?.fix).toContain('prepareBillingMandate');
      // The other account checks read the same answer and pass; everything after the account group is skipped.
      const after = report.checks.slice(report.checks.findIndex((c) => c.name === 'merchant_status_active') + 1);
      expect(report.checks.filter((c) => ['billing_status_active', 'merchant_status_active'].includes(c.name)).map((c) => c.status)).toEqual(['pass', 'pass']);
      expect(after.length).toBeGreaterThan(0);
      expect(after.every((c) => c.status === 'skip')).toBe(true);
      expect(`${run.stdout}${run.stderr}`).not.toContain(TEST_TOKEN);
      expect(`${run.stdout}${run.stderr}`).not.toContain(TEST_SECRET);
    });
  });

  describe('when given a bad flag', () => {
    it('exits 2 with one error line and no stack trace', async () => {
      const run = await runBin(['readiness', '--amount-minor', '-5']);
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^error: /);
      expect(run.stderr).not.toMatch(/\n\s+at /);
    });
  });

  describe('when started under either bin name', () => {
    it('runs the same program and names itself after the bin', async () => {
      const dir = emptyDir();
      const link = join(dir, 'siglume-check');
      symlinkSync(BIN, link);
      const check = await runBin(['--help'], { script: link });
      const sdrp = await runBin(['--help']);
      expect(check.code).toBe(0);
      expect(check.stdout).toMatch(/^Usage: siglume-check /);
      expect(sdrp.stdout).toMatch(/^Usage: siglume-sdrp /);
      expect(check.stdout.replaceAll('siglume-check', 'X')).toBe(sdrp.stdout.replaceAll('siglume-sdrp', 'X'));
    });
  });

  describe('when init runs from the built CLI', () => {
    it("copies the package's own templates/express files, with the shared config and the PostgreSQL store and schema", async () => {
      const cwd = emptyDir();
      const run = await runBin(['init', 'express', '--target', 'app', '--json'], { cwd });
      expect(run.code).toBe(0);
      const result = JSON.parse(run.stdout) as { files: Array<{ path: string }> };
      const schema = readdirSync(join(REPO_ROOT, 'templates/schema/postgres')).map((f) => f.replace(/\.sql$/, '.postgres.sql'));
      const expected = [
        ...readdirSync(join(REPO_ROOT, 'templates/express')),
        ...readdirSync(join(REPO_ROOT, 'templates/shared')),
        ...readdirSync(join(REPO_ROOT, 'templates/store/postgres')),
        ...schema,
      ].sort();
      expect(result.files.map((f) => f.path).sort()).toEqual(expected);
      expect(readdirSync(join(cwd, 'app')).sort()).toEqual(expected);
    });
  });

  describe('when only help is asked for', () => {
    it.each([[['--help']], [['-v']]])('%j is answered by the CommonJS fast path: no ES module of the package loads', async (args) => {
      const urls = await loadedModules(args);
      expect(urls.filter((u) => u.startsWith(`file://${REPO_ROOT}/dist/`))).toEqual([]);
      const run = await runBin(args);
      expect(run.stdout).toMatch(args[0] === '--help' ? /^Usage: siglume-sdrp / : /^\d+\.\d+\.\d+\n$/);
    });

    it.each([[['readiness', '--help']], [['sandbox', '--help']]])(
      '%j loads no sandbox, HTML, zod or undici code',
      async (args) => {
        const urls = await loadedModules(args);
        expect(urls.some((u) => u.endsWith('/dist/cli.js'))).toBe(true);
        expect(urls.filter((u) => /node_modules\/(zod|undici)\//.test(u))).toEqual([]);
        for (const url of urls.filter((u) => u.startsWith(`file://${REPO_ROOT}/dist/`))) {
          const source = readFileSync(fileURLToPath(url), 'utf8');
          expect(source, url).not.toMatch(/<!doctype html|siglume-sdrp-sandbox|hosted_checkout_routes/i);
        }
      },
    );
  });

  describe('when the package\'s dist/ is missing or half-built', () => {
    /** A copy of the package with bin/ and only `files` of dist/. */
    function brokenPackage(files: string[]): string {
      const root = emptyDir();
      mkdirSync(join(root, 'bin'));
      mkdirSync(join(root, 'dist'));
      writeFileSync(join(root, 'package.json'), '{"type":"module"}\n');
      copyFileSync(BIN, join(root, 'bin/siglume-sdrp.cjs'));
      for (const file of files) copyFileSync(join(REPO_ROOT, 'dist', file), join(root, 'dist', file));
      return join(root, 'bin/siglume-sdrp.cjs');
    }

    it.each([
      ['no dist/ at all', [] as string[], ['--help']],
      ['only the fast path', ['cli-fast.cjs'], ['webhook', 'sign']],
      ['the CLI entry without its chunks', ['cli-fast.cjs', 'cli.js'], ['sandbox', '--help']],
    ])('with %s, says so in one line and exits 1', async (_name, files, args) => {
      const run = await runBin(args, { script: brokenPackage(files) });
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toMatch(/^error: the CLI of @siglume\/direct-request-payment is missing or broken in its dist\/ \((ERR_)?MODULE_NOT_FOUND\); reinstall the package\n$/);
    });
  });
});
