import { existsSync, mkdirSync, mkdtempSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { CliError } from '../../src/cli/errors.js';
import { ENV_FILE_MAX_BYTES, envFileNote, envFileWarnings, mergeEnvFile } from '../../src/cli/env-file.js';
import { emptyDir, requireBuild, runBin, runCli } from './support.js';

function dirWith(envText: string | Buffer, name = '.env'): string {
  const dir = mkdtempSync(join(tmpdir(), 'sdrp-envfile-'));
  writeFileSync(join(dir, name), envText);
  return dir;
}

function usageMessage(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).kind).toBe('usage');
    return (error as CliError).message;
  }
  throw new Error('expected a usage error');
}

const BOM = '\uFEFF';

describe('mergeEnvFile', () => {
  it('adds the file values the real environment lacks and never overrides it', () => {
    const dir = dirWith('SIGLUME_DIRECT_PAYMENT_MERCHANT=from_file\nSHOP_PUBLIC_ORIGIN=https://file.example\n');
    const { env } = mergeEnvFile({ SIGLUME_DIRECT_PAYMENT_MERCHANT: 'real_shop' }, dir, undefined);
    expect(env).toMatchObject({ SIGLUME_DIRECT_PAYMENT_MERCHANT: 'real_shop', SHOP_PUBLIC_ORIGIN: 'https://file.example' });
  });

  describe('when the real environment has a token under either name', () => {
    it("ignores the file's token, even under the higher-priority name", () => {
      const dir = dirWith('SIGLUME_MERCHANT_AUTH_TOKEN=file_token_value\n');
      const { env } = mergeEnvFile({ SIGLUME_AUTH_TOKEN: 'real_token_value' }, dir, undefined);
      expect(env.SIGLUME_MERCHANT_AUTH_TOKEN).toBeUndefined();
      expect(env.SIGLUME_AUTH_TOKEN).toBe('real_token_value');
    });
  });

  it('uses the file token when the real environment has none', () => {
    const dir = dirWith('SIGLUME_MERCHANT_AUTH_TOKEN=file_token_value\n');
    expect(mergeEnvFile({}, dir, undefined).env.SIGLUME_MERCHANT_AUTH_TOKEN).toBe('file_token_value');
  });

  describe('when the file was saved as UTF-8 with a byte order mark', () => {
    it('keeps the first variable', () => {
      const dir = dirWith(`${BOM}SIGLUME_WEBHOOK_SECRET=whsec_first_line\nSHOP_PUBLIC_ORIGIN=https://bom.example\n`);
      const { env } = mergeEnvFile({}, dir, undefined);
      expect(env.SIGLUME_WEBHOOK_SECRET).toBe('whsec_first_line');
      expect(env.SHOP_PUBLIC_ORIGIN).toBe('https://bom.example');
      expect(Object.keys(env).some((k) => k.startsWith(BOM))).toBe(false);
    });
  });

  describe('when a line has no "=" (Node\'s parser then swallows the next line into the name)', () => {
    it('warns naming the file, the line and the variable lost, never the line itself', () => {
      const dir = dirWith('SIGLUME_DIRECT_PAYMENT_MERCHANT=shop_one\n# comment\nwhsec_pasted_secret_value\nSIGLUME_ENV=sandbox\nSHOP_PUBLIC_ORIGIN=https://a.example\n');
      const merged = mergeEnvFile({}, dir, undefined);
      expect(merged.env.SIGLUME_ENV).toBeUndefined();
      expect(envFileWarnings(merged)).toEqual([
        `${join(dir, '.env')} line 3 has no "=", so it was read together with the next line as one name: SIGLUME_ENV is not set from this file. Remove the line or write it as NAME=value.`,
      ]);
      expect(envFileWarnings(merged).join('')).not.toContain('whsec_pasted');
    });

    it('warns about a name with a space, and not at all for a well-formed file', () => {
      const bad = mergeEnvFile({}, dirWith('A=1\nMY NAME=2\n'), undefined);
      expect(envFileWarnings(bad)).toEqual([expect.stringMatching(/line 2 sets a name with whitespace in it/)]);
      expect(envFileWarnings(mergeEnvFile({}, dirWith('A=1\nB="two\nlines"\nexport C=3\n'), undefined))).toEqual([]);
    });

    it('says so on stderr when a command reads the file', async () => {
      const dir = dirWith('stray\nSIGLUME_DIRECT_PAYMENT_MERCHANT=shop_one\n');
      const run = await runCli(['readiness', '--no-api'], { cwd: dir });
      expect(run.stderr).toContain(`warning: ${join(dir, '.env')} line 1 has no "="`);
      expect(run.stderr).toContain('SIGLUME_DIRECT_PAYMENT_MERCHANT is not set from this file');
    });
  });

  describe('when there is no .env and no --dotenv', () => {
    it('returns the environment unchanged and says nothing was loaded', () => {
      expect(mergeEnvFile({ A: '1' }, emptyDir(), undefined)).toEqual({ env: { A: '1' }, loaded: null });
    });
  });

  describe('when there is no .env but a .env.local (a Next.js project)', () => {
    it('reads .env.local and says that is the file it read', () => {
      const dir = dirWith('SHOP_WEBHOOK_URL=http://localhost:3000/payments/webhooks/siglume\n', '.env.local');
      const merged = mergeEnvFile({}, dir, undefined);
      expect(merged).toEqual({
        env: { SHOP_WEBHOOK_URL: 'http://localhost:3000/payments/webhooks/siglume' },
        loaded: join(dir, '.env.local'),
        fallback: true,
      });
      expect(envFileNote(merged)).toBe('Read .env.local: there is no .env here (--dotenv <path> names another file).');
    });
  });

  describe('when both .env and .env.local exist', () => {
    it('reads .env only, and names (never shows) what only .env.local sets', () => {
      const dir = dirWith('SIGLUME_DIRECT_PAYMENT_MERCHANT=my_shop\n');
      writeFileSync(join(dir, '.env.local'), 'SIGLUME_DIRECT_PAYMENT_MERCHANT=other\nSHOP_WEBHOOK_URL=http://localhost:3000/w\nSIGLUME_WEBHOOK_SECRET=whsec_local_only_value\n');
      const merged = mergeEnvFile({ SIGLUME_WEBHOOK_SECRET: 'whsec_real_env' }, dir, undefined);
      expect(merged.loaded).toBe(join(dir, '.env'));
      expect(merged.env).toEqual({ SIGLUME_DIRECT_PAYMENT_MERCHANT: 'my_shop', SIGLUME_WEBHOOK_SECRET: 'whsec_real_env' });
      expect(merged.unread).toEqual({ file: join(dir, '.env.local'), names: ['SHOP_WEBHOOK_URL'] });
      const note = envFileNote(merged);
      expect(note).toBe('Read .env only; .env.local also sets SHOP_WEBHOOK_URL, which .env does not (--dotenv .env.local reads that file instead).');
      expect(note).not.toContain('localhost');
    });

    it('says nothing when .env.local adds nothing', () => {
      const dir = dirWith('SHOP_WEBHOOK_URL=http://localhost:3000/w\n');
      writeFileSync(join(dir, '.env.local'), 'SHOP_WEBHOOK_URL=http://localhost:4000/w\n');
      const merged = mergeEnvFile({}, dir, undefined);
      expect(merged).toEqual({ env: { SHOP_WEBHOOK_URL: 'http://localhost:3000/w' }, loaded: join(dir, '.env') });
      expect(envFileNote(merged)).toBeNull();
    });
  });

  describe('when --dotenv names a file', () => {
    it('reads that file alone, whatever .env.local holds', () => {
      const dir = dirWith('A=from_named\n', 'app.env');
      writeFileSync(join(dir, '.env.local'), 'B=from_local\n');
      const merged = mergeEnvFile({}, dir, 'app.env');
      expect(merged).toEqual({ env: { A: 'from_named' }, loaded: join(dir, 'app.env') });
      expect(envFileNote(merged)).toBeNull();
    });
  });

  describe('when the named file cannot be used', () => {
    it('refuses a missing file, naming it', () => {
      expect(usageMessage(() => mergeEnvFile({}, emptyDir(), 'nope.env'))).toBe('Cannot read --dotenv nope.env: no such file');
    });

    it('refuses a directory, and a default .env that is a directory', () => {
      const dir = emptyDir();
      mkdirSync(join(dir, 'conf'));
      mkdirSync(join(dir, '.env'));
      expect(usageMessage(() => mergeEnvFile({}, dir, 'conf'))).toBe('Cannot read --dotenv conf: it is a directory');
      expect(usageMessage(() => mergeEnvFile({}, dir, undefined))).toBe('Cannot read .env: it is a directory');
    });

    it('refuses a file over the size cap without reading it', () => {
      const dir = dirWith('');
      truncateSync(join(dir, '.env'), ENV_FILE_MAX_BYTES + 1); // sparse: no megabyte is written
      expect(usageMessage(() => mergeEnvFile({}, dir, undefined))).toMatch(/^Cannot read \.env: larger than 1 MiB/);
    });

    it.runIf(existsSync('/dev/zero'))('refuses an endless device after reading at most the cap', () => {
      expect(usageMessage(() => mergeEnvFile({}, emptyDir(), '/dev/zero'))).toMatch(/^Cannot read --dotenv \/dev\/zero: larger than 1 MiB/);
    });
  });
});

// The in-process tests above cannot see what Node does with the command line
// before the CLI starts; these run the real binary, as a user's shell does.
describe('bin/siglume-sdrp.cjs with an env file', () => {
  beforeAll(() => {
    requireBuild();
  });

  const ERROR_ONLY = /^error: [^\n]+\nRun `siglume-sdrp readiness --help` for usage\.\n$/;

  describe('when --dotenv names a file that cannot be used', () => {
    it('exits 2 with its own message for a missing file', async () => {
      const run = await runBin(['readiness', '--no-api', '--dotenv', 'missing.env']);
      expect(run).toMatchObject({ code: 2, stdout: '', signal: null });
      expect(run.stderr).toMatch(ERROR_ONLY);
      expect(run.stderr).toContain('Cannot read --dotenv missing.env: no such file');
    });

    it('exits 2 with its own message for a directory', async () => {
      const cwd = emptyDir();
      mkdirSync(join(cwd, 'conf.d'));
      const run = await runBin(['readiness', '--no-api', '--dotenv', 'conf.d'], { cwd });
      expect(run).toMatchObject({ code: 2, stdout: '', signal: null });
      expect(run.stderr).toContain('Cannot read --dotenv conf.d: it is a directory');
    });

    it('exits 2 for a file over the cap', async () => {
      const cwd = dirWith('', 'huge.env');
      truncateSync(join(cwd, 'huge.env'), 64 * ENV_FILE_MAX_BYTES);
      const run = await runBin(['readiness', '--no-api', '--dotenv', 'huge.env'], { cwd });
      expect(run).toMatchObject({ code: 2, signal: null });
      expect(run.stderr).toContain('Cannot read --dotenv huge.env: larger than 1 MiB');
    });

    it.runIf(existsSync('/dev/zero'))('exits 2 for /dev/zero instead of reading forever', async () => {
      const run = await runBin(['readiness', '--no-api', '--dotenv', '/dev/zero'], { timeoutMs: 20_000 });
      // A hang would end in the runner's SIGKILL (signal set, code -1).
      expect(run).toMatchObject({ code: 2, signal: null });
      expect(run.stderr).toContain('Cannot read --dotenv /dev/zero: larger than 1 MiB');
    });
  });

  describe('when the file starts with a UTF-8 byte order mark', () => {
    it('reads its first variable', async () => {
      const cwd = dirWith(`${BOM}SIGLUME_DIRECT_PAYMENT_MERCHANT=bom_shop\n`, 'bom.env');
      const run = await runBin(['readiness', '--no-api', '--json', '--dotenv', 'bom.env'], { cwd });
      expect(run.code).toBe(1); // --no-api is never "ready"
      expect((JSON.parse(run.stdout) as { merchant: string }).merchant).toBe('bom_shop');
    });
  });

  describe("when given Node's own --env-file", () => {
    it('exits 2 pointing at --dotenv when Node let the command line through', async () => {
      const cwd = dirWith('SIGLUME_DIRECT_PAYMENT_MERCHANT=node_loaded\n', 'app.env');
      const run = await runBin(['readiness', '--no-api', '--env-file', 'app.env'], { cwd });
      expect(run).toMatchObject({ code: 2, stdout: '', signal: null });
      expect(run.stderr).toContain('--env-file is read by Node itself before this CLI starts; name the dotenv file with --dotenv <path> instead');
    });

    it("shows Node 20's own refusal, or ours, for a missing file (the CLI cannot run before Node)", async () => {
      const run = await runBin(['readiness', '--no-api', '--env-file', 'missing.env']);
      // Node 20 scans the whole command line for --env-file and exits 9
      // before any JavaScript runs; a Node that leaves it alone reaches ours.
      if (run.code === 9) expect(run.stderr).toMatch(/node: missing\.env: not found/);
      else expect(run).toMatchObject({ code: 2, stderr: expect.stringContaining('--dotenv <path>') });
    });
  });
});

describe('--dotenv naming a directory', () => {
  it.each([
    ['readiness', '--no-api'],
    ['preflight', '--no-api'],
    ['webhook', 'sign'],
    ['webhook', 'trigger', 'unknown'],
    ['reconcile', '--store', 'siglume-store.js'],
    ['sandbox', '--port', '0'],
  ])('says a directory is a directory in %s %s, exit 2', async (...command) => {
    const cwd = emptyDir();
    mkdirSync(join(cwd, 'conf.d'));
    const run = await runCli([...command, '--dotenv', 'conf.d'], { cwd, signal: AbortSignal.abort() });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: Cannot read --dotenv conf\.d: it is a directory\n/);
    expect(run.stderr).not.toContain('no such file');
  });
});
