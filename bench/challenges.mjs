#!/usr/bin/env node
/**
 * Challenge creation and verification throughput against raw node:crypto.
 *
 *   create floor: randomUUID nonce + createHmac over `<merchant>:<amount>:<currency>:<nonce>`
 *                 + the challenge string + its sha256 hash (what the SDK returns)
 *   create:       createDirectRequestPaymentChallenge (input validation included)
 *   verify floor: split the challenge, createHmac, timingSafeEqual
 *   verify:       verifyDirectRequestPaymentChallenge (input validation included)
 *
 * Usage: `npm run build && node bench/challenges.mjs [--json]`, or import `run`.
 */
import { createHash, createHmac, randomUUID, timingSafeEqual } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import {
  DIRECT_REQUEST_PAYMENT_CHALLENGE_SCHEME,
  createDirectRequestPaymentChallenge,
  verifyDirectRequestPaymentChallenge,
} from '../dist/index.js';
import { interleavedOps, median, pairedRatio, round, row } from './lib.mjs';

const SECRET = 'sdrp_chs_5b1f0e2d9c8a7b6f5e4d3c2b1a0f9e8d';
const MERCHANT = 'shop_alpha';
const AMOUNT = 4200;
const CURRENCY = 'JPY';
const SCHEME = DIRECT_REQUEST_PAYMENT_CHALLENGE_SCHEME;

function floorCreate() {
  const nonce = randomUUID();
  const signature = createHmac('sha256', SECRET).update(`${MERCHANT}:${AMOUNT}:${CURRENCY}:${nonce}`).digest('hex');
  const challenge = `${SCHEME}:${nonce}:${signature}`;
  return { nonce, signature, challenge, challenge_hash: `sha256:${createHash('sha256').update(challenge).digest('hex')}` };
}

function floorVerify(challenge) {
  const parts = challenge.split(':');
  if (parts.length !== 3 || parts[0] !== SCHEME) return false;
  const expected = createHmac('sha256', SECRET).update(`${MERCHANT}:${AMOUNT}:${CURRENCY}:${parts[1]}`).digest();
  const given = Buffer.from(parts[2], 'hex');
  return given.length === expected.length && timingSafeEqual(given, expected);
}

/**
 * Runs the benchmark and returns its rows.
 * @param {{ json?: boolean, runs?: number, run_ms?: number }} [options]
 */
export async function run({ json = false, runs = 7, run_ms = 250 } = {}) {
  const input = { secret: SECRET, merchant: MERCHANT, amount_minor: AMOUNT, currency: CURRENCY };
  const issued = await createDirectRequestPaymentChallenge(input);
  const verifyInput = { ...input, challenge: issued.challenge };
  // Both sides must agree on the same challenge, or the comparison means nothing.
  if (!floorVerify(issued.challenge) || !(await verifyDirectRequestPaymentChallenge(verifyInput))) {
    throw new Error('challenge bench: the SDK and the floor disagree on a valid challenge');
  }
  if (floorCreate().challenge_hash.length !== issued.challenge_hash.length) throw new Error('challenge bench: floor shape differs');

  let sink = 0;
  const ops = await interleavedOps(
    [
      { id: 'create_floor', fn: () => { sink += floorCreate().signature.length; } },
      { id: 'create', async: true, fn: async () => { sink += (await createDirectRequestPaymentChallenge(input)).signature.length; } },
      { id: 'verify_floor', fn: () => { sink += floorVerify(issued.challenge) ? 1 : 0; } },
      { id: 'verify', async: true, fn: async () => { sink += (await verifyDirectRequestPaymentChallenge(verifyInput)) ? 1 : 0; } },
    ],
    { runs, runMs: run_ms, batch: 128 },
  );
  if (sink === 0) throw new Error('challenge bench: nothing ran');

  const make = (id, figure, floorName) =>
    row({
      figure,
      value: Math.round(median(ops.get(id))),
      unit: 'ops/s',
      floor: { name: floorName, value: Math.round(median(ops.get(`${id}_floor`))), unit: 'ops/s' },
      ratio: round(pairedRatio(ops.get(id), ops.get(`${id}_floor`))),
      target: null,
      note: 'no target in the issue; the SDK also validates its input (zod) and goes through the async crypto seam',
    });
  const rows = [
    make('create', 'challenge create (createDirectRequestPaymentChallenge)', 'node:crypto HMAC + sha256 + randomUUID'),
    make('verify', 'challenge verify (verifyDirectRequestPaymentChallenge)', 'node:crypto HMAC + timingSafeEqual'),
  ];
  if (!json) for (const r of rows) console.log(`${r.figure}: ${r.value} ops/s vs ${r.floor.value} (${r.ratio}x)`);
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const json = process.argv.includes('--json');
  const rows = await run({ json });
  if (json) console.log(JSON.stringify(rows, null, 2));
}
