/**
 * examples/nextjs-app, built and served by Next.js 16 as a merchant would,
 * with the PACKED package: once with Turbopack (`next build`) and once with
 * webpack (`next build --webpack`). No next.config, no alias, no external
 * list, no polyfill. Each build is started on loopback and sent a signed, a
 * tampered and an unsigned delivery on its Node and its Edge route, and its
 * edge function is weighed against an empty edge route built alongside.
 *
 * The app is copied into .tmp/ inside this repository so `next`, `react` and
 * the package's own dependencies resolve from this repository's node_modules
 * (as they would from the app's own); the package itself is the tarball's
 * content. Each variant is built once per run (about a minute each).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { packedPackage } from '../../scripts/packed-package.mjs';

const root = resolve(__dirname, '../..');
const NEXT_BIN = join(root, 'node_modules/next/dist/bin/next');
const SECRET = 'whsec_nextjs_example_secret';
/** Largest gzip weight the SDK may add to an edge function (issue 13). */
const EDGE_BUDGET_BYTES = 15 * 1024;

const BASELINE_ROUTE = `// An empty edge route: the weight every edge function carries without the SDK.
export const runtime = 'edge';
export const dynamic = 'force-dynamic';
export async function POST(): Promise<Response> {
  return new Response(null, { status: 204 });
}
`;

interface TestingModule {
  createStandardSettledTestEvent(opts: { secret: string }): Promise<{ raw_body: string; header: string; event: { id: string } }>;
}

let packageDir: string;
let testing: TestingModule;

beforeAll(async () => {
  ({ packageDir } = await packedPackage(root));
  testing = (await import(pathToFileURL(join(packageDir, 'dist/testing.js')).href)) as TestingModule;
}, 240_000);

function run(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, args, { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolvePromise(out) : reject(new Error(`next ${args.slice(1).join(' ')} exited ${code}:\n${out}`))));
  });
}

/** Starts `next start` on a free loopback port; resolves with its origin and the child. */
function start(cwd: string, env: NodeJS.ProcessEnv): Promise<{ origin: string; child: ChildProcess }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [NEXT_BIN, 'start', '-p', '0', '-H', '127.0.0.1'], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`next start did not report a URL in 60 s:\n${out}`));
    }, 60_000);
    const onData = (d: Buffer) => {
      out += d;
      const m = /http:\/\/127\.0\.0\.1:(\d+)/.exec(out);
      if (m && /Ready/.test(out)) {
        clearTimeout(timer);
        resolvePromise({ origin: `http://127.0.0.1:${m[1]}`, child });
      }
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`next start exited ${code}:\n${out}`));
    });
  });
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, new Promise((r) => setTimeout(r, 5000))]);
  if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** Gzip (-9) weight of every file Next lists for an edge function, and their text. */
function edgeFunction(appDir: string, name: string): { gzipBytes: number; text: string } {
  const manifest = JSON.parse(readFileSync(join(appDir, '.next/server/middleware-manifest.json'), 'utf8')) as {
    functions: Record<string, { files: string[] }>;
  };
  const fn = manifest.functions[name];
  if (!fn) throw new Error(`no edge function ${name} in the build (have: ${Object.keys(manifest.functions).join(', ')})`);
  let gzipBytes = 0;
  let text = '';
  for (const file of fn.files) {
    const bytes = readFileSync(join(appDir, '.next', file));
    gzipBytes += gzipSync(bytes, { level: 9 }).length;
    text += bytes.toString('utf8');
  }
  return { gzipBytes, text };
}

const VARIANTS = [
  { name: 'Turbopack (next build)', flags: [] as string[], dir: 'turbopack' },
  { name: 'webpack (next build --webpack)', flags: ['--webpack'], dir: 'webpack' },
];

describe('examples/nextjs-app', () => {
  it('is a plain App Router app: no next.config of any kind', () => {
    const files = readdirSync(join(root, 'examples/nextjs-app'));
    expect(files.filter((f) => f.startsWith('next.config'))).toEqual([]);
    expect(existsSync(join(root, 'examples/nextjs-app/app/api/webhooks/siglume-edge/route.ts'))).toBe(true);
  });
});

describe.each(VARIANTS)('examples/nextjs-app built with $name', (variant) => {
  const appDir = join(root, '.tmp', `nextjs-${variant.dir}-${process.pid}`);
  const env = { ...process.env, NEXT_TELEMETRY_DISABLED: '1', SIGLUME_WEBHOOK_SECRET: SECRET, NODE_ENV: 'production' };
  let server: { origin: string; child: ChildProcess } | undefined;
  let buildLog = '';

  beforeAll(async () => {
    rmSync(appDir, { recursive: true, force: true });
    mkdirSync(appDir, { recursive: true });
    cpSync(join(root, 'examples/nextjs-app'), appDir, {
      recursive: true,
      filter: (src) => !/[/\\](\.next|node_modules)([/\\]|$)|next-env\.d\.ts$/.test(src),
    });
    mkdirSync(join(appDir, 'app/api/edge-baseline'), { recursive: true });
    writeFileSync(join(appDir, 'app/api/edge-baseline/route.ts'), BASELINE_ROUTE);
    // The package as npm installed it from the tarball; its dependencies resolve upwards.
    cpSync(packageDir, join(appDir, 'node_modules/@siglume/direct-request-payment'), { recursive: true });
    buildLog = await run([NEXT_BIN, 'build', ...variant.flags], appDir, env);
    server = await start(appDir, env);
  }, 600_000);

  afterAll(async () => {
    await stop(server?.child);
    rmSync(appDir, { recursive: true, force: true });
  });

  it('builds', () => {
    expect(buildLog).toMatch(variant.flags.includes('--webpack') ? /\(webpack\)/ : /\(Turbopack\)/);
    expect(buildLog).toContain('/api/webhooks/siglume-edge');
  });

  it(`keeps the edge function within ${EDGE_BUDGET_BYTES / 1024} KB gzip of an empty edge route, without undici`, () => {
    const edge = edgeFunction(appDir, '/api/webhooks/siglume-edge/route');
    const baseline = edgeFunction(appDir, '/api/edge-baseline/route');
    expect(edge.text).toContain('WEBHOOK_SIGNATURE_MISMATCH');
    expect(edge.text).not.toContain('undici');
    expect(edge.gzipBytes - baseline.gzipBytes).toBeLessThanOrEqual(EDGE_BUDGET_BYTES);
  });

  for (const [route, runtime] of [
    ['/api/webhooks/siglume', 'nodejs'],
    ['/api/webhooks/siglume-edge', 'edge'],
  ] as const) {
    describe(`${route} (${runtime} runtime)`, () => {
      it('verifies and classifies a signed delivery', async () => {
        const signed = await testing.createStandardSettledTestEvent({ secret: SECRET });
        const res = await fetch(server!.origin + route, {
          method: 'POST',
          headers: { 'siglume-signature': signed.header, 'content-type': 'application/json' },
          body: signed.raw_body,
        });
        expect(res.status).toBe(200);
        expect(await res.json()).toEqual({ id: signed.event.id, kind: 'standard_settled', runtime });
      });

      it('answers a tampered delivery 503 WEBHOOK_SIGNATURE_MISMATCH (a wrong secret keeps the event)', async () => {
        const signed = await testing.createStandardSettledTestEvent({ secret: SECRET });
        const tampered = signed.raw_body.replace('"amount_minor":', '"amount_minor":1');
        expect(tampered).not.toBe(signed.raw_body);
        const res = await fetch(server!.origin + route, { method: 'POST', headers: { 'siglume-signature': signed.header }, body: tampered });
        expect(res.status).toBe(503);
        expect(await res.json()).toEqual({ error: 'WEBHOOK_SIGNATURE_MISMATCH' });
      });

      it('answers an unsigned delivery 400 WEBHOOK_SIGNATURE_MISSING', async () => {
        const signed = await testing.createStandardSettledTestEvent({ secret: SECRET });
        const res = await fetch(server!.origin + route, { method: 'POST', body: signed.raw_body });
        expect(res.status).toBe(400);
        expect(await res.json()).toEqual({ error: 'WEBHOOK_SIGNATURE_MISSING' });
      });
    });
  }
});
