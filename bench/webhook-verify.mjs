#!/usr/bin/env node
/**
 * Webhook verification throughput against its floors, on a realistic ~1.2 KB
 * `direct_payment.confirmed` body delivered as a Buffer (what express.raw()
 * hands a route).
 *
 *   a  floor: node:crypto createHmac + timingSafeEqual, header parsing included
 *   b  verifyWebhookSignature                             (ratio to a; target >= 1.0)
 *   c  floor + JSON.parse
 *   d  verifyDirectRequestPaymentWebhook                  (ratio to c)
 *   e  stripe.webhooks.constructEvent, same work          (ratio to c; for reference)
 *
 * Each figure is the median ops/s of `runs` timed runs of ~`run_ms` ms; the
 * cases are interleaved run by run (lib.interleavedOps) and every ratio is the
 * median of the run-by-run ratios (lib.pairedRatio), like every other module.
 *
 * Usage: `npm run build && node bench/webhook-verify.mjs [--json]`, or import
 * and call `run({ json })`, which returns the rows.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import Stripe from 'stripe';
import { buildWebhookSignatureHeader, verifyDirectRequestPaymentWebhook, verifyWebhookSignature } from '../dist/index.js';
import { interleavedOps, median, pairedRatio, round, row } from './lib.mjs';

const SECRET = 'whsec_9f2c4e7a1b3d5f60718293a4b5c6d7e8';
const TOLERANCE = 300;
const BATCH = 256;

function realisticBody() {
  const event = {
    id: 'evt_01JZ8Q4W3N7R5T2Y6U9I0O1P2A',
    type: 'direct_payment.confirmed',
    api_version: '2026-06-11',
    occurred_at: '2026-06-11T09:41:27.512Z',
    livemode: true,
    data: {
      mode: 'external_402',
      requirement_id: 'dreq_01JZ8Q3V8K2M4N6P8R0T2V4X6Z',
      merchant: 'shop_alpha',
      amount_minor: 4200,
      currency: 'JPY',
      token_symbol: 'JPYC',
      pricing_band: 'standard',
      settlement_cadence: 'per_payment',
      settlement_status: 'settled',
      finality: 'per_payment_onchain',
      challenge_hash: 'sha256:933ac70fe5d9eac86dcf6da3e324dd2dc4ef25243195b33edb055fff0783b6db',
      request_hash_v2: 'sha256:6c525ffb55ed60785c924ddf333e719ab34605ef0f164e00af617ef2b7474dee',
      chain_receipt_id: 'rcpt_01JZ8Q4W1H3J5K7L9M1N3P5Q7R',
      receipt_kind: 'sdrp_direct_payment',
      reference_type: 'sdrp_direct_payment_requirement',
      chain_id: 137,
      tx_hash: '0x8f3a1c9e7b5d2f4a6c8e0b1d3f5a7c9e1b3d5f7a9c1e3b5d7f9a1c3e5b7d9f1a',
      buyer_wallet: '0x4B0897b0513fdC7C541B6d9D7E929C4e5364D2dB',
      merchant_wallet: '0x14723A09ACff6D2A60DcdF7aA4AFf308FDDC160C',
      provider_gross_amount_minor: 4200,
      protocol_fee_minor: 76,
      provider_receivable_minor: 4124,
      buyer_debit_minor: 4200,
      settled_at: '2026-06-11T09:41:26.988Z',
      metadata: {
        order_id: 'order-77',
        cart_id: 'cart_5521',
        customer_ref: 'cus_8842',
        description: 'Premium API access, 1 month, team workspace',
      },
    },
  };
  return Buffer.from(JSON.stringify(event), 'utf8');
}

/** What a careful hand-written verifier does with node:crypto and nothing else. */
function floorVerify(body, header, secret, nowSeconds) {
  let t;
  const signatures = [];
  for (const item of header.split(',')) {
    const eq = item.indexOf('=');
    if (eq === -1) continue;
    const key = item.slice(0, eq).trim();
    const value = item.slice(eq + 1).trim();
    if (key === 't') t = value;
    else if (key === 'v1') signatures.push(value);
  }
  if (t === undefined || signatures.length === 0) throw new Error('malformed');
  if (Math.abs(nowSeconds - Number(t)) > TOLERANCE) throw new Error('stale');
  const expected = createHmac('sha256', secret).update(`${t}.`).update(body).digest();
  for (const sig of signatures) {
    const given = Buffer.from(sig, 'hex');
    if (given.length === expected.length && timingSafeEqual(given, expected)) return Number(t);
  }
  throw new Error('mismatch');
}

/**
 * Runs the benchmark and returns its rows.
 * @param {{ json?: boolean, runs?: number, run_ms?: number }} [options]
 *   json: print nothing (the caller prints); runs: timed runs per case;
 *   run_ms: length of one run.
 */
export async function run({ json = false, runs = 7, run_ms = 250 } = {}) {
  const body = realisticBody();
  const now = () => Math.floor(Date.now() / 1000);
  const header = await buildWebhookSignatureHeader(SECRET, body, { timestamp: now() });
  const stripe = new Stripe('sk_test_x');
  const stripeHeader = stripe.webhooks.generateTestHeaderString({ payload: body.toString('utf8'), secret: SECRET });

  let sink = 0;
  const cases = [
    { id: 'floor', fn: () => { sink += floorVerify(body, header, SECRET, Date.now() / 1000); } },
    { id: 'verify', async: true, fn: async () => { sink += (await verifyWebhookSignature(SECRET, body, header)).timestamp; } },
    { id: 'floor_json', fn: () => { floorVerify(body, header, SECRET, Date.now() / 1000); sink += JSON.parse(body.toString('utf8')).data.amount_minor; } },
    { id: 'verify_event', async: true, fn: async () => { sink += (await verifyDirectRequestPaymentWebhook(SECRET, body, header)).event.data.amount_minor; } },
    { id: 'stripe', fn: () => { sink += stripe.webhooks.constructEvent(body, stripeHeader, SECRET).data.amount_minor; } },
  ];
  // Every case must actually verify, or the numbers mean nothing.
  for (const c of cases) await c.fn();
  const ops = await interleavedOps(cases, { runs, runMs: run_ms, batch: BATCH });
  if (sink === 0) throw new Error('webhook bench: nothing ran');

  const FLOOR = 'node:crypto HMAC + timingSafeEqual + header parse';
  const FLOOR_JSON = 'the same + JSON.parse';
  const make = (id, floorId, figure, floorName, target) => {
    const ratio = pairedRatio(ops.get(id), ops.get(floorId));
    return row({
      figure,
      value: Math.round(median(ops.get(id))),
      unit: 'ops/s',
      floor: { name: floorName, value: Math.round(median(ops.get(floorId))), unit: 'ops/s' },
      ratio: round(ratio),
      target: target === null ? null : `>= ${target}x`,
      pass: target === null ? null : ratio >= target,
      ...(target === null ? { note: 'reference peer, no target' } : {}),
    });
  };
  const rows = [
    make('verify', 'floor', `webhook \`verifyWebhookSignature\` (${body.length} B body)`, FLOOR, 1.0),
    make('verify_event', 'floor_json', 'webhook `verifyDirectRequestPaymentWebhook`', FLOOR_JSON, 0.8),
    make('stripe', 'floor_json', 'webhook `stripe.webhooks.constructEvent` (reference)', FLOOR_JSON, null),
  ];
  if (!json) for (const r of rows) console.log(`${r.figure}: ${r.value} ops/s vs ${r.floor.value} (${r.ratio}x)`);
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const json = process.argv.includes('--json');
  const rows = await run({ json });
  if (json) console.log(JSON.stringify(rows, null, 2));
}
