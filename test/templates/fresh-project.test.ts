/**
 * Every template in a project made the way a merchant starts one:
 * `npm init -y`, `npx tsc --init` (TypeScript 5.9 defaults: strict,
 * exactOptionalPropertyTypes, verbatimModuleSyntax, module nodenext), the two
 * settings each template's README asks for ("type": "module",
 * "types": ["node"]), the packed package, `siglume-sdrp init <template>
 * --database <database>` (each template into its own folder, the three
 * databases spread over them), and each README's server and test code. The whole
 * project must typecheck with no error.
 *
 * The Next.js template is checked the same way in a project set up as
 * create-next-app 16 sets one up: its tsconfig.json ("module": "esnext",
 * "moduleResolution": "bundler"), no "type": "module". Its relative imports
 * carry no .js suffix there (Turbopack does not map x.js to x.ts).
 *
 * Offline and fast: the packed tarball is unpacked into the project's
 * node_modules, and the frameworks, drivers, zod and the @types resolve from
 * the repository's node_modules (the project sits inside the repository's .tmp/).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { scanMarkdown } from '../docs/support/markdown.js';

const run = promisify(execFile);
/** Each template with one of the databases: every template and every store is typechecked. */
const COPIES = [['express', 'postgres'], ['fastify', 'mysql'], ['hono', 'sqlite']] as const;
/** create-next-app 16's tsconfig.json (TypeScript 5.9, App Router, no src/). */
const NEXT_TSCONFIG = {
  compilerOptions: {
    target: 'ES2017',
    lib: ['dom', 'dom.iterable', 'esnext'],
    allowJs: true,
    skipLibCheck: true,
    strict: true,
    noEmit: true,
    esModuleInterop: true,
    module: 'esnext',
    moduleResolution: 'bundler',
    resolveJsonModule: true,
    isolatedModules: true,
    jsx: 'react-jsx',
    incremental: true,
    plugins: [{ name: 'next' }],
    paths: { '@/*': ['./*'] },
  },
  include: ['next-env.d.ts', '**/*.ts', '**/*.tsx', '.next/types/**/*.ts', '.next/dev/types/**/*.ts', '**/*.mts'],
  exclude: ['node_modules'],
};
const root = resolve(__dirname, '../..');
const tsc = join(root, 'node_modules/typescript/bin/tsc');
let project: string;
let nextProject: string;

async function typecheck(dir = project): Promise<string> {
  const r = await run(process.execPath, [tsc, '-p', dir, '--noEmit', '--pretty', 'false'], { cwd: dir }).catch((e: { stdout: string }) => e);
  return r.stdout.trim();
}

/** Unpacks the packed package into `dir`'s node_modules; returns its directory. */
async function unpack(tarball: string, dir: string): Promise<string> {
  const pkgDir = join(dir, 'node_modules/@siglume/direct-request-payment');
  mkdirSync(pkgDir, { recursive: true });
  await run('tar', ['-xzf', tarball, '-C', pkgDir, '--strip-components=1']);
  return pkgDir;
}

beforeAll(async () => {
  expect(existsSync(join(root, 'dist/orders.js')), 'dist/ is missing: run `npm run build` first').toBe(true);
  project = join(root, '.tmp', `fresh-project-${process.pid}`);
  rmSync(project, { recursive: true, force: true });
  mkdirSync(project, { recursive: true });
  await run('npm', ['init', '-y'], { cwd: project });
  await run(process.execPath, [tsc, '--init'], { cwd: project });
  // The packed package, unpacked where `npm install <tarball>` would put it.
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', project], { cwd: root });
  const { filename } = (JSON.parse(stdout) as Array<{ filename: string }>)[0]!;
  const pkgDir = await unpack(join(project, filename), project);
  for (const [template, database] of COPIES) {
    const target = `src/${template}`;
    const init = await run(process.execPath, [join(pkgDir, 'bin/siglume-sdrp.cjs'), 'init', template, '--database', database, '--target', target, '--json'], { cwd: project });
    expect(JSON.parse(init.stdout)).toMatchObject({ kind: 'copied', template, database });
    // The README's server code (and its test's set-up), as the merchant copies it next to the template.
    const readmeDir = join(project, target);
    const blocks = scanMarkdown(join(readmeDir, 'SIGLUME-README.md')).blocks.filter((b) => b.lang === 'ts' && !b.attributes.includes('fragment'));
    expect(blocks).toHaveLength(2);
    blocks.forEach((block, i) => writeFileSync(join(readmeDir, ['server.ts', 'server.test.ts'][i]!), block.code));
  }
  // The Next.js project: create-next-app's package.json (no "type") and tsconfig.json, `init nextjs --target .`.
  nextProject = join(root, '.tmp', `fresh-next-project-${process.pid}`);
  rmSync(nextProject, { recursive: true, force: true });
  mkdirSync(nextProject, { recursive: true });
  writeFileSync(join(nextProject, 'package.json'), JSON.stringify({ name: 'shop', version: '0.1.0', private: true }, null, 2));
  writeFileSync(join(nextProject, 'tsconfig.json'), JSON.stringify(NEXT_TSCONFIG, null, 2));
  const nextPkg = await unpack(join(project, filename), nextProject);
  const init = await run(process.execPath, [join(nextPkg, 'bin/siglume-sdrp.cjs'), 'init', 'nextjs', '--database', 'postgres', '--target', '.', '--json'], { cwd: nextProject });
  expect(JSON.parse(init.stdout)).toMatchObject({ kind: 'copied', template: 'nextjs', database: 'postgres' });
  // Next.js needs no server code of the README's.
  expect(scanMarkdown(join(nextProject, 'siglume/SIGLUME-README.md')).blocks.filter((b) => b.lang === 'ts' && !b.attributes.includes('fragment'))).toHaveLength(0);
}, 120_000);

afterAll(() => {
  if (project) rmSync(project, { recursive: true, force: true });
  if (nextProject) rmSync(nextProject, { recursive: true, force: true });
});

describe('the templates in a fresh `npm init -y` + `tsc --init` project', () => {
  it('uses the TypeScript 5.9 defaults the README assumes', () => {
    const tsconfig = readFileSync(join(project, 'tsconfig.json'), 'utf8');
    for (const option of ['"strict": true', '"exactOptionalPropertyTypes": true', '"verbatimModuleSyntax": true', '"module": "nodenext"', '"types": []']) {
      expect(tsconfig).toContain(option);
    }
  });

  it('fails without the README\'s settings (so this check can fail), and typechecks with them', async () => {
    const bare = await typecheck();
    expect(bare).toMatch(/TS1295|TS2591|TS2580/); // ESM syntax in a CommonJS package; `process` unknown without @types/node
    const pkg = JSON.parse(readFileSync(join(project, 'package.json'), 'utf8')) as Record<string, unknown>;
    writeFileSync(join(project, 'package.json'), JSON.stringify({ ...pkg, type: 'module' }, null, 2));
    const tsconfig = join(project, 'tsconfig.json');
    writeFileSync(tsconfig, readFileSync(tsconfig, 'utf8').replace('"types": []', '"types": ["node"]'));
    expect(await typecheck()).toBe('');
    // The check saw every template: a type error planted in each copy is reported.
    for (const [template] of COPIES) {
      const file = join(project, `src/${template}`, 'siglume-checkout.ts');
      writeFileSync(file, `${readFileSync(file, 'utf8')}\nexport const planted: number = 'not a number';\n`);
    }
    const planted = await typecheck();
    for (const [template] of COPIES) expect(planted).toContain(`src/${template}/`);
  }, 120_000);
});

describe('the Next.js template in a create-next-app project (bundler resolution)', () => {
  it('typechecks with no edit, and the check sees every copied file', async () => {
    expect(await typecheck(nextProject)).toBe('');
    const files = ['app/payments/checkout/siglume/start/route.ts', 'app/payments/webhooks/siglume/route.ts', 'app/payments/siglume/reconcile/route.ts', 'siglume/siglume-checkout.ts', 'siglume/siglume-config.ts', 'siglume/siglume-store.ts'];
    for (const file of files) writeFileSync(join(nextProject, file), `${readFileSync(join(nextProject, file), 'utf8')}\nexport const planted: number = 'not a number';\n`);
    const planted = await typecheck(nextProject);
    for (const file of files) expect(planted).toContain(`${file}(`);
  }, 120_000);
});
