#!/usr/bin/env node
/**
 * The package outside Node, from the PACKED package (npm pack -> npm install
 * in a temp project; scripts/packed-package.mjs):
 *
 *   - weight of a worker bundle (esbuild --bundle --minify --platform=browser,
 *     conditions workerd/worker/browser, no externals, as wrangler builds) that
 *     imports verify + classify (target <= 12 KB gzip) and one that uses the
 *     merchant client (target <= 35 KB gzip); gzip -9, KB = 1000 bytes;
 *   - `verifyWebhookSignature` inside workerd (miniflare) against a
 *     hand-written crypto.subtle verifier in the same worker (header parse,
 *     tolerance, HMAC with the key imported once per secret, constant-time
 *     compare): target >= 0.8x. workerd freezes its clocks while code runs,
 *     so each sample is timed from outside: one request runs `n`
 *     verifications; the cases are interleaved request by request.
 *
 * Usage: `npm run build && node bench/runtimes.mjs [--json]`, or import `run`.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { bundleWorker, packedPackage } from '../scripts/packed-package.mjs';
import { ROOT, median, pairedRatio, round, row } from './lib.mjs';

const SECRET = 'whsec_9f2c4e7a1b3d5f60718293a4b5c6d7e8';

const VERIFY_ENTRY = `import { verifyDirectRequestPaymentWebhookRequest, classifyDirectPaymentConfirmation } from '@siglume/direct-request-payment';
export default {
  async fetch(request, env) {
    const { event } = await verifyDirectRequestPaymentWebhookRequest(request, env.SIGLUME_WEBHOOK_SECRET);
    return Response.json(classifyDirectPaymentConfirmation(event));
  },
};
`;

const CLIENT_ENTRY = `import { DirectRequestPaymentMerchantClient } from '@siglume/direct-request-payment';
export default {
  async fetch(request, env) {
    const merchant = new DirectRequestPaymentMerchantClient({ base_url: env.SIGLUME_API_BASE, auth_token: env.SIGLUME_MERCHANT_AUTH_TOKEN });
    return Response.json(await merchant.createCheckoutSession(await request.json()));
  },
};
`;

function sizeRow(figure, bundle, limitBytes) {
  return row({
    figure,
    value: bundle.gzipBytes,
    unit: 'B gzip',
    target: `<= ${limitBytes.toLocaleString('en-US')} B gzip`,
    pass: bundle.gzipBytes <= limitBytes,
    note: `${bundle.bytes.toLocaleString('en-US')} B minified; built from the packed package, no externals`,
  });
}

/** A realistic ~1.2 KB direct_payment.confirmed body and its header, signed now. */
async function delivery(packageDir) {
  const { buildWebhookSignatureHeader } = await import(pathToFileURL(join(packageDir, 'dist/index.js')).href);
  const body = JSON.stringify({
    id: 'evt_01JZ8Q4W3N7R5T2Y6U9I0O1P2A',
    type: 'direct_payment.confirmed',
    api_version: '2026-06-11',
    occurred_at: '2026-06-11T09:41:27.512Z',
    data: {
      mode: 'external_402',
      requirement_id: 'dreq_01JZ8Q3V8K2M4N6P8R0T2V4X6Z',
      merchant: 'shop_alpha',
      amount_minor: 4200,
      currency: 'JPY',
      pricing_band: 'standard',
      settlement_status: 'settled',
      finality: 'per_payment_onchain',
      challenge_hash: 'sha256:933ac70fe5d9eac86dcf6da3e324dd2dc4ef25243195b33edb055fff0783b6db',
      request_hash_v2: 'sha256:6c525ffb55ed60785c924ddf333e719ab34605ef0f164e00af617ef2b7474dee',
      chain_receipt_id: 'rcpt_01JZ8Q4W1H3J5K7L9M1N3P5Q7R',
      tx_hash: '0x8f3a1c9e7b5d2f4a6c8e0b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a',
      metadata: { order_id: 'order-77', description: 'Premium API access, 1 month, team workspace' },
      padding: 'x'.repeat(600),
    },
  });
  return { body, header: await buildWebhookSignatureHeader(SECRET, body) };
}

/**
 * Runs the measurements and returns their rows.
 * @param {{ json?: boolean, runs?: number, n?: number }} [options] runs: timed requests per case; n: verifications per request
 */
export async function run({ json = false, runs = 9, n = 4000 } = {}) {
  const { consumerDir, packageDir } = await packedPackage(ROOT);
  const verifyBundle = await bundleWorker(consumerDir, { entry: 'verify.mjs', files: { 'verify.mjs': VERIFY_ENTRY } });
  const clientBundle = await bundleWorker(consumerDir, { entry: 'client.mjs', files: { 'client.mjs': CLIENT_ENTRY } });
  const rows = [
    sizeRow('worker bundle: verify + classify (workerd conditions)', verifyBundle, 12_000),
    sizeRow('worker bundle: merchant client (workerd conditions)', clientBundle, 35_000),
  ];

  const { Miniflare } = await import('miniflare');
  const worker = await bundleWorker(consumerDir, {
    entry: 'worker.mjs',
    files: { 'worker.mjs': readFileSync(join(ROOT, 'test/runtimes/fixtures/worker.mjs'), 'utf8') },
  });
  const mf = new Miniflare({
    modules: true,
    script: worker.code,
    compatibilityDate: '2025-09-01',
    bindings: { SIGLUME_WEBHOOK_SECRET: SECRET },
  });
  try {
    const base = await mf.ready;
    const { body, header } = await delivery(packageDir);
    const timed = async (kind, count) => {
      const t0 = performance.now();
      const res = await mf.dispatchFetch(new URL(`/bench?case=${kind}&n=${count}`, base), {
        method: 'POST',
        headers: { 'siglume-signature': header },
        body,
      });
      const out = await res.json();
      if (res.status !== 200 || out.n !== count) throw new Error(`workerd bench ${kind} failed: ${res.status} ${JSON.stringify(out)}`);
      return performance.now() - t0;
    };
    // Warm-up: JIT, key caches, the dispatch path itself.
    for (const kind of ['sdk', 'floor']) await timed(kind, Math.min(n, 1000));
    const ops = { sdk: [], floor: [] };
    for (let r = 0; r < runs; r++) {
      for (const kind of ['sdk', 'floor']) ops[kind].push(n / ((await timed(kind, n)) / 1000));
    }
    const ratio = round(pairedRatio(ops.sdk, ops.floor));
    rows.push(
      row({
        figure: 'workerd: verifyWebhookSignature (1.2 KB body)',
        value: Math.round(median(ops.sdk)),
        unit: 'ops/s',
        floor: { name: 'crypto.subtle HMAC + compare, same worker', value: Math.round(median(ops.floor)), unit: 'ops/s' },
        ratio,
        target: '>= 0.8x',
        pass: ratio >= 0.8,
        note: `miniflare ${(await import('miniflare/package.json', { with: { type: 'json' } })).default.version}; ${n} verifications per request, median of ${runs} interleaved requests`,
      }),
    );
  } finally {
    await mf.dispose();
  }
  if (!json) for (const r of rows) console.log(`${r.figure}: ${r.value} ${r.unit}${r.ratio !== null ? ` (${r.ratio}x ${r.floor.name})` : ''}  ${r.pass ? 'ok' : 'MISSED'}`);
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const json = process.argv.includes('--json');
  const rows = await run({ json });
  if (json) console.log(JSON.stringify(rows, null, 2));
}
