/**
 * The examples are code merchants copy, so they are held to the same bar as
 * the package: they compile against the built package (examples/tsconfig.json)
 * and the Express shop really takes a payment against the sandbox. The shop's
 * `src/siglume/` is not committed: like a merchant's app it gets the templates
 * from `siglume-sdrp init express` (here `copyTemplate`, the library function
 * behind it), so the example can never drift from templates/express/.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import pg from 'pg';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { copyTemplate } from '../../src/init/copy-template.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { DATABASE_URL, postgresAdapter } from '../orders/support/postgres.js';
import { root } from './support/markdown.js';
import { formatDiagnostics, requireDist } from './support/typescript.js';

const skipPostgres = (await postgresAdapter.unavailable()) !== null;

beforeAll(async () => {
  const result = await copyTemplate({
    template: 'express',
    target: join(root, 'examples/express-checkout/src/siglume'),
    force: true,
    templates_dir: join(root, 'templates'),
  });
  expect(result.kind).toBe('copied');
});

describe('examples/', () => {
  it('compile against the built package (tsc -p examples/tsconfig.json)', () => {
    requireDist();
    const config = ts.getParsedCommandLineOfConfigFile(join(root, 'examples/tsconfig.json'), {}, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(formatDiagnostics([d]));
      },
    });
    if (!config) throw new Error('cannot read examples/tsconfig.json');
    const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
    const files = program.getRootFileNames().map((f) => f.slice(root.length + 1));
    expect(files).toEqual(
      expect.arrayContaining([
        'examples/setup-merchant.ts',
        'examples/nextjs-route-handler.ts',
        'examples/fastify-webhook.ts',
        'examples/express-checkout/src/app.ts',
        'examples/express-checkout/src/siglume/siglume-checkout.ts',
      ]),
    );
    // The package must come from dist/, not from the sources, or this would prove nothing about the build.
    const sources = program.getSourceFiles().map((f) => f.fileName);
    expect(sources).toContain(join(root, 'dist/index.d.ts'));
    expect(sources.some((f) => f.startsWith(join(root, 'src/')))).toBe(false);
    expect(formatDiagnostics(ts.getPreEmitDiagnostics(program))).toBe('');
  });
});

/** What the test uses of examples/express-checkout/src/demo.ts. */
interface DemoModule {
  runCheckoutDemo(options: {
    database_url: string;
    schema: string;
    startSandbox: typeof startSandbox;
  }): Promise<Array<{ step: string; ok: boolean; detail: string }>>;
}

describe.skipIf(skipPostgres)('examples/express-checkout against the sandbox', () => {
  const schema = `sdrp_example_${randomBytes(5).toString('hex')}`;

  afterAll(async () => {
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    } finally {
      await client.end();
    }
  });

  it('takes a payment through the hosted page and handles redelivery, forgery and a Micro amount', async () => {
    // Imported by path at run time: the example is compiled by examples/tsconfig.json
    // (against dist/), not by the repository's tsconfig (against src/).
    const demo = join(root, 'examples/express-checkout/src/demo.ts');
    const { runCheckoutDemo } = (await import(demo)) as DemoModule;
    const steps = await runCheckoutDemo({ database_url: DATABASE_URL, schema, startSandbox });
    expect(steps.map((s) => s.step)).toEqual([
      'start checkout',
      'pay on the hosted page',
      'order paid by the webhook',
      'redelivery is a no-op',
      'forged webhook refused',
      'Micro amount refused',
    ]);
    expect(steps.filter((s) => !s.ok)).toEqual([]);
  }, 60_000);
});
