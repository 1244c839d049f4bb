import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emptyDir, REPO_ROOT, runCli } from './support.js';

const TEMPLATES = join(REPO_ROOT, 'templates');

/** Relative paths of every file under `dir`. */
function filesUnder(dir: string, prefix = ''): string[] {
  return readdirSync(dir, { withFileTypes: true })
    .flatMap((e) => (e.isDirectory() ? filesUnder(join(dir, e.name), `${prefix}${e.name}/`) : [`${prefix}${e.name}`]))
    .sort();
}

/**
 * Where each copied file of `init <template> --database <database>` comes
 * from: the template's wiring, the shared config, the database's store, and
 * its schema (renamed `<name>.<database>.sql`); for Next.js the last three
 * go under siglume/.
 */
function sourcesOf(template: string, database: string): Map<string, string> {
  const support = template === 'nextjs' ? 'siglume/' : '';
  const dir = (d: string) => join(TEMPLATES, d);
  return new Map<string, string>([
    ...filesUnder(dir(template)).map((f) => [f, join(dir(template), f)] as [string, string]),
    ...filesUnder(dir('shared')).map((f) => [`${support}${f}`, join(dir('shared'), f)] as [string, string]),
    ...filesUnder(dir(`store/${database}`)).map((f) => [`${support}${f}`, join(dir(`store/${database}`), f)] as [string, string]),
    ...filesUnder(dir(`schema/${database}`)).map((f) => [`${support}${f.replace(/\.sql$/, `.${database}.sql`)}`, join(dir(`schema/${database}`), f)] as [string, string]),
  ]);
}

/**
 * What init writes for a copied file: the source, byte for byte, except that
 * the Next.js copy's shared config and store import their neighbours without
 * the `.js` suffix (Turbopack under create-next-app's bundler resolution does
 * not map x.js to x.ts).
 */
function expectedContent(template: string, path: string, source: string): Buffer {
  const bytes = readFileSync(source);
  if (template !== 'nextjs' || !path.endsWith('.ts')) return bytes;
  return Buffer.from(bytes.toString('utf8').replace(/from '(\.{1,2}\/[^']*)\.js'/g, "from '$1'"));
}

/** Relative import specifiers (`from './x'`, `from '../x'`) of a file. */
function relativeImports(text: string): string[] {
  return [...text.matchAll(/\bfrom\s+['"](\.{1,2}\/[^'"]*)['"]/g)].map((m) => m[1]!);
}

const sources = sourcesOf('express', 'postgres');

describe('siglume-sdrp init', () => {
  const templateFiles = [...sources.keys()].sort();

  describe('when the target directory is empty', () => {
    it('copies exactly the template files, byte for byte, and prints next steps', async () => {
      const cwd = emptyDir();
      const run = await runCli(['init', 'express', '--target', 'shop'], { cwd, name: 'siglume-sdrp' });
      expect(run.code).toBe(0);
      const target = join(cwd, 'shop');
      expect(filesUnder(target)).toEqual(templateFiles);
      for (const f of templateFiles) expect(readFileSync(join(target, f))).toEqual(readFileSync(sources.get(f)!));
      expect(templateFiles).toEqual(expect.arrayContaining(['siglume-checkout.ts', 'siglume-payments.postgres.sql', 'orders.postgres.sql']));
      expect(run.stdout).toContain(`Copied the express template into ${target} (${templateFiles.length} files)`);
      expect(run.stdout).toContain('Next steps:');
      expect(run.stdout).toContain('siglume-check verify');
    });
  });

  describe('when another framework and database are asked for', () => {
    it.each([
      ['fastify', 'mysql', 'siglume-checkout.ts', 'npm install @siglume/direct-request-payment fastify mysql2'],
      ['hono', 'sqlite', 'siglume-checkout.ts', 'npm install @siglume/direct-request-payment hono @hono/node-server better-sqlite3@12'],
      ['nextjs', 'sqlite', 'app/payments/webhooks/siglume/route.ts', 'npm install @siglume/direct-request-payment better-sqlite3@12'],
      ['express', 'mysql', 'siglume-checkout.ts', 'npm install @siglume/direct-request-payment express mysql2'],
    ])('copies the %s wiring with the %s store and schema, byte for byte (Next.js: imports without .js), and names the packages to install', async (template, database, wiring, install) => {
      const cwd = emptyDir();
      const run = await runCli(['init', template, '--database', database, '--target', 'shop', '--json'], { cwd });
      expect(run.code).toBe(0);
      const expected = sourcesOf(template, database);
      const target = join(cwd, 'shop');
      expect(filesUnder(target)).toEqual([...expected.keys()].sort());
      for (const [f, source] of expected) expect(readFileSync(join(target, f)), f).toEqual(expectedContent(template, f, source));
      const support = template === 'nextjs' ? 'siglume/' : '';
      expect([...expected.keys()]).toEqual(expect.arrayContaining([wiring, `${support}siglume-config.ts`, `${support}siglume-store.ts`, `${support}siglume-payments.${database}.sql`]));
      const result = JSON.parse(run.stdout) as { database: string; next_steps: string[] };
      expect(result.database).toBe(database);
      expect(result.next_steps[0]).toContain(install);
      expect(result.next_steps.join('\n')).toContain(`siglume-payments.${database}.sql`);
    });
  });

  describe('when the project path holds a space and a quote', () => {
    it.each([
      ['express', 'sqlite', 'sqlite3 "$SQLITE_PATH" < '],
      ['nextjs', 'postgres', 'psql "$DATABASE_URL" -f '],
    ])('quotes every path of the %s next steps (%s) so each command pastes into a shell as it is, text and --json', async (template, database, command) => {
      const cwd = join(emptyDir(), "Bob's shop");
      mkdirSync(cwd);
      const quoted = (path: string) => `'${path.replaceAll("'", "'\\''")}'`;
      const dir = template === 'nextjs' ? join(cwd, 'siglume') : cwd;
      const run = await runCli(['init', template, '--database', database, '--json'], { cwd });
      expect(run.code).toBe(0);
      const steps = (JSON.parse(run.stdout) as { next_steps: string[] }).next_steps;
      const create = steps.find((step) => step.startsWith('Create the payment tables'))!;
      expect(create).toBe(`Create the payment tables (all or nothing): ${command}${quoted(join(dir, `siglume-payments.${database}.sql`))}`);
      // The command pasted into a shell reads the file: its one word is the path.
      const word = create.slice(create.indexOf(command) + command.length);
      expect(execFileSync('sh', ['-c', `printf %s ${word}`], { encoding: 'utf8' })).toBe(join(dir, `siglume-payments.${database}.sql`));
      if (template === 'nextjs') expect(steps.join('\n')).toContain(`${quoted(join(cwd, 'siglume/siglume-checkout.ts'))} to read your session`);
      const text = await runCli(['init', template, '--database', database, '--force'], { cwd });
      expect(text.stdout).toContain(`${command}${quoted(join(dir, `orders.${database}.sql`))}`);
    });
  });

  describe('when the Next.js template is copied', () => {
    it('ends its next steps saying how the checks read settings kept in .env.local', async () => {
      const run = await runCli(['init', 'nextjs', '--database', 'sqlite', '--json'], { cwd: emptyDir() });
      expect(run.code).toBe(0);
      const steps = (JSON.parse(run.stdout) as { next_steps: string[] }).next_steps;
      expect(steps.at(-1)).toContain('npx siglume-check verify');
      expect(steps.at(-1)).toContain('--dotenv .env.local');
      const express = await runCli(['init', 'express', '--json'], { cwd: emptyDir() });
      expect((JSON.parse(express.stdout) as { next_steps: string[] }).next_steps.join('\n')).not.toContain('.env.local');
    });

    it.each(['postgres', 'mysql', 'sqlite'])(
      'writes every relative import (%s) without a .js suffix, each naming a copied .ts file, as bundler resolution and Turbopack need',
      async (database) => {
        const cwd = emptyDir();
        const run = await runCli(['init', 'nextjs', '--database', database, '--json'], { cwd });
        expect(run.code).toBe(0);
        const files = filesUnder(cwd).filter((f) => f.endsWith('.ts'));
        const imports = files.flatMap((f) => relativeImports(readFileSync(join(cwd, f), 'utf8')).map((spec) => [f, spec] as const));
        // The three routes, siglume-checkout.ts and the shared siglume-config.ts.
        expect(imports.map(([f]) => f).sort()).toEqual([
          'app/payments/checkout/siglume/start/route.ts',
          'app/payments/siglume/reconcile/route.ts',
          'app/payments/webhooks/siglume/route.ts',
          'siglume/siglume-checkout.ts',
          'siglume/siglume-config.ts',
        ]);
        for (const [f, spec] of imports) {
          expect(spec, f).not.toMatch(/\.[cm]?js$/);
          expect(existsSync(join(cwd, f, '..', `${spec}.ts`)), `${f} imports ${spec}`).toBe(true);
        }
      },
    );

    it('leaves the other templates\' imports with the .js suffix NodeNext requires', async () => {
      const cwd = emptyDir();
      expect((await runCli(['init', 'hono', '--database', 'sqlite', '--json'], { cwd })).code).toBe(0);
      expect(relativeImports(readFileSync(join(cwd, 'siglume-config.ts'), 'utf8'))).toEqual(['./siglume-store.js']);
    });
  });

  describe('when the Next.js project keeps its routes where the target would not put them', () => {
    it.each(['src/app', 'src/pages'])(
      'refuses the project directory of a --src-dir project (%s), names --target src, writes nothing and exits 2',
      async (routes) => {
        const cwd = emptyDir();
        mkdirSync(join(cwd, routes), { recursive: true });
        const run = await runCli(['init', 'nextjs'], { cwd, name: 'siglume-sdrp' });
        expect(run.code).toBe(2);
        expect(run.stderr.split('\n')[0]).toBe(
          `error: This project keeps its routes in ${routes}, the only place Next.js serves them from: run with --target src`,
        );
        expect(run.stdout).toBe('');
        expect(filesUnder(cwd)).toEqual([]);
        expect(readdirSync(join(cwd, 'src'))).toEqual([routes.slice(4)]);
      },
    );

    it.each(['app', 'pages'])('refuses --target src when the project has %s/ at its root, naming --target .', async (routes) => {
      const cwd = emptyDir();
      mkdirSync(join(cwd, routes));
      mkdirSync(join(cwd, 'src'));
      const run = await runCli(['init', 'nextjs', '--target', 'src'], { cwd, name: 'siglume-sdrp' });
      expect(run.code).toBe(2);
      expect(run.stderr.split('\n')[0]).toBe(
        `error: This project keeps its routes in ${routes}/ at its root, the only place Next.js serves them from: run with --target .`,
      );
      expect(readdirSync(join(cwd, 'src'))).toEqual([]);
    });

    it('names the target from where it runs when the project is elsewhere', async () => {
      const cwd = emptyDir();
      mkdirSync(join(cwd, 'shop/src/app'), { recursive: true });
      const run = await runCli(['init', 'nextjs', '--target', 'shop'], { cwd });
      expect(run.code).toBe(2);
      expect(run.stderr.split('\n')[0]).toMatch(/run with --target shop\/src$/);
    });

    it('copies into src when the routes are in src/app, and names the copied paths in its next steps', async () => {
      const cwd = emptyDir();
      mkdirSync(join(cwd, 'src/app'), { recursive: true });
      const run = await runCli(['init', 'nextjs', '--target', 'src', '--json'], { cwd });
      expect(run.code).toBe(0);
      expect(existsSync(join(cwd, 'src/app/payments/webhooks/siglume/route.ts'))).toBe(true);
      expect(existsSync(join(cwd, 'app'))).toBe(false);
      const steps = (JSON.parse(run.stdout) as { next_steps: string[] }).next_steps.join('\n');
      expect(steps).toContain(`${join(cwd, 'src/siglume/siglume-checkout.ts')} to read your session`);
      expect(steps).toContain(`${join(cwd, 'src/app/payments')}/ are mounted`);
    });

    it('copies into the project when its app/ is at the root beside a src/ folder', async () => {
      const cwd = emptyDir();
      mkdirSync(join(cwd, 'app'));
      mkdirSync(join(cwd, 'src/lib'), { recursive: true });
      const run = await runCli(['init', 'nextjs', '--json'], { cwd });
      expect(run.code).toBe(0);
      expect(existsSync(join(cwd, 'app/payments/webhooks/siglume/route.ts'))).toBe(true);
    });
  });

  describe('when some template files already exist', () => {
    it('refuses, lists the conflicts, writes nothing and exits 1', async () => {
      const cwd = emptyDir();
      const [first, ...rest] = templateFiles;
      writeFileSync(join(cwd, first!), 'my own file\n');
      const run = await runCli(['init', 'express', '--target', '.'], { cwd, name: 'siglume-sdrp' });
      expect(run.code).toBe(1);
      expect(run.stderr).toContain('Refusing to overwrite 1 existing file');
      expect(run.stderr).toContain(`    ${first}`);
      expect(run.stderr).toContain('--force');
      expect(readFileSync(join(cwd, first!), 'utf8')).toBe('my own file\n');
      for (const f of rest) expect(existsSync(join(cwd, f))).toBe(false);
    });
  });

  describe('when the project already has a README.md of its own', () => {
    it.each(['express', 'fastify', 'hono', 'nextjs'])('copies %s without --force and leaves that README untouched', async (template) => {
      const cwd = emptyDir();
      writeFileSync(join(cwd, 'README.md'), '# my shop\n');
      mkdirSync(join(cwd, 'siglume'));
      writeFileSync(join(cwd, 'siglume', 'README.md'), '# my siglume notes\n');
      const run = await runCli(['init', template], { cwd, name: 'siglume-sdrp' });
      expect(run.stderr).toBe('');
      expect(run.code).toBe(0);
      expect(readFileSync(join(cwd, 'README.md'), 'utf8')).toBe('# my shop\n');
      expect(readFileSync(join(cwd, 'siglume', 'README.md'), 'utf8')).toBe('# my siglume notes\n');
      expect(run.stdout).toContain(template === 'nextjs' ? 'siglume/SIGLUME-README.md' : 'SIGLUME-README.md');
    });
  });

  describe('when --force is given', () => {
    it('overwrites the existing files and reports them as overwritten', async () => {
      const cwd = emptyDir();
      const first = templateFiles[0]!;
      writeFileSync(join(cwd, first), 'my own file\n');
      const run = await runCli(['init', 'express', '--force'], { cwd });
      expect(run.code).toBe(0);
      expect(readFileSync(join(cwd, first))).toEqual(readFileSync(sources.get(first)!));
      expect(run.stdout).toContain(`~ ${first} (overwritten)`);
      expect(filesUnder(cwd)).toEqual(templateFiles);
    });
  });

  describe('when a file cannot be written', () => {
    it('names the file and the reason in words, lists what was already written and what was not, and exits 1', async () => {
      const cwd = emptyDir();
      const blocked = 'siglume-store.ts';
      const index = templateFiles.indexOf(blocked);
      // The plan's order: wiring, shared config, store, schema.
      const planned = [...sources.keys()];
      const before = planned.slice(0, planned.indexOf(blocked));
      const after = planned.slice(planned.indexOf(blocked) + 1);
      expect(index >= 0 && before.length > 0 && after.length > 0).toBe(true);
      let reason: string;
      if (process.getuid?.() === 0) {
        // root writes through any mode bits: a directory where the file is expected cannot be overwritten either.
        mkdirSync(join(cwd, blocked));
        reason = 'a directory is in the way';
      } else {
        writeFileSync(join(cwd, blocked), 'mine\n');
        chmodSync(join(cwd, blocked), 0o444);
        reason = 'permission denied';
      }
      const run = await runCli(['init', 'express', '--force'], { cwd, name: 'siglume-sdrp' });
      expect(run.code).toBe(1);
      expect(run.stdout).toBe('');
      expect(run.stderr).toContain(`Could not write ${blocked}: ${reason}`);
      expect(run.stderr).not.toMatch(/copyfile|EACCES:|EISDIR:/);
      expect(run.stderr).toContain(`Already written (${before.length}):`);
      for (const f of before) expect(run.stderr).toContain(`    ${f}`);
      expect(run.stderr).toContain(`Not written (${after.length + 1}):`);
      for (const f of after) expect(existsSync(join(cwd, f))).toBe(false);
    });
  });

  describe('when a database without a schema is asked for', () => {
    it('exits 2 naming the database option and writes nothing', async () => {
      const cwd = emptyDir();
      const run = await runCli(['init', 'express', '--database', 'oracle'], { cwd });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('Unknown database "oracle"');
      expect(readdirSync(cwd)).toEqual([]);
    });

    it.each(['__proto__', 'constructor'])('refuses %s as a database name', async (database) => {
      const run = await runCli(['init', 'express', '--database', database], { cwd: emptyDir() });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`Unknown database "${database}"`);
    });
  });

  describe('when the database is named another common way', () => {
    it.each([
      ['postgresql', 'postgres'],
      ['PG', 'postgres'],
      ['mariadb', 'mysql'],
      ['sqlite3', 'sqlite'],
    ])('takes --database %s as %s', async (given, database) => {
      const cwd = emptyDir();
      const run = await runCli(['init', 'express', '--database', given, '--json'], { cwd });
      expect(run.code).toBe(0);
      expect(JSON.parse(run.stdout)).toMatchObject({ database });
      expect(readdirSync(cwd)).toContain(`siglume-payments.${database}.sql`);
    });
  });

  describe('when the FastAPI template is asked for', () => {
    it('says plainly it is not shipped yet and exits 2', async () => {
      const cwd = emptyDir();
      const run = await runCli(['init', 'fastapi'], { cwd });
      expect(run.code).toBe(2);
      expect(run.stderr).toMatch(/^error: The FastAPI template is not shipped yet/);
      expect(readdirSync(cwd)).toEqual([]);
    });
  });

  describe('when the target is a file', () => {
    it('exits 2 naming the target', async () => {
      const cwd = emptyDir();
      writeFileSync(join(cwd, 'taken'), '');
      const run = await runCli(['init', 'express', '--target', 'taken'], { cwd });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('is a file');
    });
  });

  describe('when a file of the template is a symbolic link in the target', () => {
    it('refuses, names the link, writes nothing and exits 2', async () => {
      const cwd = emptyDir();
      mkdirSync(join(cwd, 'shop'));
      mkdirSync(join(cwd, 'outside'));
      symlinkSync('../outside/planted.ts', join(cwd, 'shop/siglume-store.ts'));
      const run = await runCli(['init', 'express', '--target', 'shop'], { cwd, name: 'siglume-sdrp' });
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(`Refusing to write through the symbolic link siglume-store.ts in ${join(cwd, 'shop')}`);
      expect(run.stderr).toContain('Remove the link, or choose another target.');
      expect(run.stdout).toBe('');
      expect(readdirSync(join(cwd, 'outside'))).toEqual([]);
      expect(readdirSync(join(cwd, 'shop'))).toEqual(['siglume-store.ts']);
    });
  });

  describe('when --json is given', () => {
    it('prints the copy result as JSON', async () => {
      const cwd = emptyDir();
      mkdirSync(join(cwd, 'out'));
      const run = await runCli(['init', 'express', '--target', 'out', '--json'], { cwd });
      const result = JSON.parse(run.stdout) as { kind: string; files: Array<{ path: string; action: string }> };
      expect(result.kind).toBe('copied');
      expect(result.files.map((f) => f.path).sort()).toEqual(templateFiles);
      expect(result.files.every((f) => f.action === 'created')).toBe(true);
    });
  });
});
