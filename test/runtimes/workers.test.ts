/**
 * The package where a merchant's webhook lands when it is not Node: Cloudflare
 * workerd (through miniflare) and Vercel's edge-runtime, for real.
 *
 * Every worker is bundled from the PACKED package (npm pack -> npm install in
 * a temp project -> esbuild with the worker conditions, no externals), then
 * verifies a signed delivery, classifies it, rejects a tampered and an
 * unsigned one, and creates a checkout session through the merchant client
 * against the sandbox on loopback, using the runtime's global fetch. The
 * sandbox is the built package's `startSandbox({ port: 0 })`, in this process.
 */
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { readFileSync, writeFileSync } from 'node:fs';
import { EdgeRuntime } from 'edge-runtime';
import { Miniflare } from 'miniflare';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleWorker, packedPackage } from '../../scripts/packed-package.mjs';

const root = resolve(__dirname, '../..');
const fixture = (name: string) => readFileSync(join(__dirname, 'fixtures', name), 'utf8');
const SECRET = 'whsec_runtime_test_secret';

interface Sandbox {
  api_base: string;
  env: Record<string, string>;
  close(): Promise<void>;
}
interface TestingModule {
  createStandardSettledTestEvent(opts: { secret: string }): Promise<{ raw_body: string; header: string; event: { id: string } }>;
}

let consumerDir: string;
let packageDir: string;
let sandbox: Sandbox;
let testing: TestingModule;
let bindings: Record<string, string>;

beforeAll(async () => {
  ({ consumerDir, packageDir } = await packedPackage(root));
  const built = (file: string) => import(pathToFileURL(join(packageDir, 'dist', file)).href);
  const { startSandbox } = (await built('sandbox.js')) as { startSandbox(o: { port: number; quiet?: boolean }): Promise<Sandbox> };
  testing = (await built('testing.js')) as TestingModule;
  sandbox = await startSandbox({ port: 0, quiet: true });
  bindings = {
    SIGLUME_WEBHOOK_SECRET: SECRET,
    SIGLUME_API_BASE: sandbox.api_base,
    SIGLUME_MERCHANT_AUTH_TOKEN: sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN!,
    SIGLUME_DIRECT_PAYMENT_MERCHANT: sandbox.env.SIGLUME_DIRECT_PAYMENT_MERCHANT!,
    SHOP_PUBLIC_ORIGIN: sandbox.env.SHOP_PUBLIC_ORIGIN!,
  };
}, 240_000);

afterAll(async () => {
  await sandbox?.close();
});

/** The three deliveries every runtime must tell apart. */
async function deliveries() {
  const signed = await testing.createStandardSettledTestEvent({ secret: SECRET });
  const tampered = signed.raw_body.replace('"amount_minor":', '"amount_minor":1');
  return { signed, tampered };
}

type Dispatch = (path: string, init: { method: string; headers?: Record<string, string>; body?: string }) => Promise<Response>;

/** Runs the shared behaviour against one runtime's dispatch function. */
function behavesLikeAWebhookEndpoint(name: string, dispatch: () => Dispatch) {
  describe(`the packed package in ${name}`, () => {
    it('verifies and classifies a signed delivery', async () => {
      const { signed } = await deliveries();
      const res = await dispatch()('/webhook', {
        method: 'POST',
        headers: { 'siglume-signature': signed.header, 'content-type': 'application/json' },
        body: signed.raw_body,
      });
      expect(res.status).toBe(200);
      expect(await res.json()).toEqual({ id: signed.event.id, kind: 'standard_settled' });
    });

    it('rejects a tampered delivery with 503 WEBHOOK_SIGNATURE_MISMATCH (a wrong secret keeps the event)', async () => {
      const { signed, tampered } = await deliveries();
      expect(tampered).not.toBe(signed.raw_body);
      const res = await dispatch()('/webhook', { method: 'POST', headers: { 'siglume-signature': signed.header }, body: tampered });
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ error: 'WEBHOOK_SIGNATURE_MISMATCH' });
    });

    it('rejects an unsigned delivery with 400 WEBHOOK_SIGNATURE_MISSING', async () => {
      const { signed } = await deliveries();
      const res = await dispatch()('/webhook', { method: 'POST', body: signed.raw_body });
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error: 'WEBHOOK_SIGNATURE_MISSING' });
    });

    it('creates and reads a checkout session in the sandbox through the merchant client and the global fetch', async () => {
      const res = await dispatch()('/checkout', { method: 'POST', body: JSON.stringify({ order_id: `${name}-${Date.now()}` }) });
      const body = (await res.json()) as { session_id: string; checkout_url: string; status: string };
      expect(res.status).toBe(200);
      expect(body.status).toBe('open');
      expect(body.checkout_url.startsWith(new URL(sandbox.api_base).origin)).toBe(true);
      // The sandbox really holds it: the worker did not invent an answer.
      const check = await fetch(`${sandbox.api_base}/sdrp/direct-payments/checkout-sessions/${body.session_id}`, {
        headers: { authorization: `Bearer ${bindings.SIGLUME_MERCHANT_AUTH_TOKEN}` },
      });
      expect(check.status).toBe(200);
    });
  });
}

describe('worker bundles built from the packed package without externals', () => {
  it('bundles verify + classify without undici, zod or the clients', async () => {
    const out = await bundleWorker(consumerDir, {
      entry: 'verify.mjs',
      files: {
        'verify.mjs': `import { verifyDirectRequestPaymentWebhookRequest, classifyDirectPaymentConfirmation } from '@siglume/direct-request-payment';
export default { async fetch(r, env) { const { event } = await verifyDirectRequestPaymentWebhookRequest(r, env.S); return Response.json(classifyDirectPaymentConfirmation(event)); } };`,
      },
    });
    const modules = Object.keys(out.inputs).join('\n');
    expect(modules).not.toMatch(/node_modules\/(undici|zod)\//);
    expect(out.code).not.toContain('undici');
    expect(out.code).not.toContain('createCheckoutSession');
    expect(out.code).toContain('WEBHOOK_SIGNATURE_MISMATCH');
  });

  it('keeps every error class apart, and its name, in a minified bundle of the entry and /orders', async () => {
    // A minifier renames classes per module: two different classes both became `x`, and `instanceof` matched them
    // by that name (OrderPaymentConfirmationPendingError instanceof SiglumeHostedCheckoutReadinessRequiredError).
    const out = await bundleWorker(consumerDir, {
      entry: 'errors.mjs',
      files: {
        'errors.mjs': `import * as main from '@siglume/direct-request-payment';
import * as orders from '@siglume/direct-request-payment/orders';
const base = main.SiglumeDirectRequestPaymentError;
const classes = Object.entries({ ...main, ...orders }).filter(([, v]) => typeof v === 'function' && (v === base || v.prototype instanceof base));
export const names = classes.map(([n]) => n);
export const wrong = [];
for (const [name, C] of classes) {
  const e = Reflect.construct(base, ['x'], C);
  if (e.name !== name) wrong.push(name + ' is named ' + e.name);
  for (const [other, D] of classes) if ((e instanceof D) !== (C === D || C.prototype instanceof D)) wrong.push(name + ' instanceof ' + other);
}`,
      },
    });
    const file = join(consumerDir, `errors-bundle-${Date.now()}.mjs`);
    writeFileSync(file, out.code);
    const { names, wrong } = (await import(pathToFileURL(file).href)) as { names: string[]; wrong: string[] };
    expect(names.length).toBeGreaterThanOrEqual(20);
    expect(names).toContain('OrderPaymentConfirmationPendingError');
    expect(wrong).toEqual([]);
  });

  it('bundles the merchant client with only the global fetch as its HTTP layer', async () => {
    const out = await bundleWorker(consumerDir, { entry: 'worker.mjs', files: { 'worker.mjs': fixture('worker.mjs') } });
    expect(Object.keys(out.inputs).join('\n')).not.toMatch(/undici|platform-node/);
    expect(out.code).toContain('createCheckoutSession');
  });

  it('bundles under the edge-light condition too', async () => {
    const out = await bundleWorker(
      consumerDir,
      { entry: 'edge-entry.mjs', files: { 'worker.mjs': fixture('worker.mjs'), 'edge-entry.mjs': fixture('edge-entry.mjs') } },
      { conditions: ['edge-light', 'worker', 'browser'], format: 'iife' },
    );
    expect(Object.keys(out.inputs).join('\n')).not.toMatch(/undici|platform-node/);
  });
});

describe('Cloudflare workerd (miniflare)', () => {
  let mf: Miniflare;
  let base: URL;
  beforeAll(async () => {
    const { code } = await bundleWorker(consumerDir, { entry: 'worker.mjs', files: { 'worker.mjs': fixture('worker.mjs') } });
    mf = new Miniflare({ modules: true, script: code, compatibilityDate: '2025-09-01', bindings });
    base = await mf.ready;
  }, 120_000);
  afterAll(async () => {
    await mf?.dispose();
  });
  behavesLikeAWebhookEndpoint('workerd', () => (path, init) => mf.dispatchFetch(new URL(path, base), init) as unknown as Promise<Response>);
});

describe("Vercel's edge-runtime", () => {
  let runtime: EdgeRuntime;
  beforeAll(async () => {
    const { code } = await bundleWorker(
      consumerDir,
      { entry: 'edge-entry.mjs', files: { 'worker.mjs': fixture('worker.mjs'), 'edge-entry.mjs': fixture('edge-entry.mjs') } },
      { conditions: ['edge-light', 'worker', 'browser'], format: 'iife' },
    );
    runtime = new EdgeRuntime({ initialCode: code, extend: (context) => Object.assign(context, { SDRP_ENV: bindings }) });
  }, 120_000);
  behavesLikeAWebhookEndpoint('edge-runtime', () => (path, init) => runtime.dispatchFetch(`http://edge.test${path}`, init));
});

describe('examples/hono-worker.ts on workerd', () => {
  let mf: Miniflare;
  let base: URL;
  beforeAll(async () => {
    // hono comes from this repository's node_modules; the SDK from the packed install.
    const { code } = await bundleWorker(
      consumerDir,
      { entry: 'hono-worker.ts', files: { 'hono-worker.ts': readFileSync(join(root, 'examples/hono-worker.ts'), 'utf8') } },
      { nodePaths: [join(root, 'node_modules')] },
    );
    mf = new Miniflare({ modules: true, script: code, compatibilityDate: '2025-09-01', bindings });
    base = await mf.ready;
  }, 120_000);
  afterAll(async () => {
    await mf?.dispose();
  });

  it('answers a signed delivery with its classification and a tampered one with 503', async () => {
    const { signed, tampered } = await deliveries();
    const ok = await mf.dispatchFetch(new URL('/payments/webhooks/siglume', base), {
      method: 'POST',
      headers: { 'siglume-signature': signed.header },
      body: signed.raw_body,
    });
    expect(ok.status).toBe(200);
    expect(await ok.json()).toEqual({ id: signed.event.id, kind: 'standard_settled' });
    const bad = await mf.dispatchFetch(new URL('/payments/webhooks/siglume', base), {
      method: 'POST',
      headers: { 'siglume-signature': signed.header },
      body: tampered,
    });
    expect(bad.status).toBe(503);
  });

  it('answers 500 (Siglume delivers again) when its webhook secret binding is empty, never 400', async () => {
    const { signed } = await deliveries();
    const empty = new Miniflare({
      modules: true,
      script: (await bundleWorker(consumerDir, { entry: 'hono-worker.ts', files: { 'hono-worker.ts': readFileSync(join(root, 'examples/hono-worker.ts'), 'utf8') } }, { nodePaths: [join(root, 'node_modules')] })).code,
      compatibilityDate: '2025-09-01',
      bindings: { ...bindings, SIGLUME_WEBHOOK_SECRET: '' },
    });
    try {
      const res = await empty.dispatchFetch(new URL('/payments/webhooks/siglume', await empty.ready), {
        method: 'POST',
        headers: { 'siglume-signature': signed.header },
        body: signed.raw_body,
      });
      // A 400 told Siglume to stop: every confirmation was lost while the binding was empty.
      expect(res.status).toBe(500);
    } finally {
      await empty.dispose();
    }
  });

  it('starts a checkout against the sandbox', async () => {
    const res = await mf.dispatchFetch(new URL('/payments/checkout/siglume/start', base), {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ order_id: `hono-${Date.now()}` }),
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { checkout_url: string; session_id: string };
    expect(body.session_id).toMatch(/\S/);
    expect(body.checkout_url.startsWith(new URL(sandbox.api_base).origin)).toBe(true);
  });
});
