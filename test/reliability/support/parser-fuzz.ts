/**
 * Part (a) of the reliability suite: the public parsers under thousands of
 * random and mutated inputs. Each must either return a well-formed value or
 * throw a SiglumeDirectRequestPaymentError; nothing else may escape (no
 * TypeError, RangeError, SyntaxError...). Where an input is accepted, the
 * property also checks it was right to accept it.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { SiglumeDirectRequestPaymentError } from '../../../src/core/errors.js';
import {
  createDirectRequestPaymentChallenge,
  parseDirectRequestPaymentChallenge,
  verifyDirectRequestPaymentChallenge,
} from '../../../src/challenges/challenge.js';
import { classifyDirectPaymentConfirmation, DIRECT_PAYMENT_UNKNOWN_REASONS } from '../../../src/webhooks/classify.js';
import { parseDirectRequestPaymentWebhookEvent, verifyDirectRequestPaymentWebhook } from '../../../src/webhooks/event.js';
import { parseWebhookSignatureHeader, verifyWebhookSignature } from '../../../src/webhooks/signature.js';
import { createTestWebhookEvent } from '../../../src/testing/index.js';
import { counts } from './counters.js';
import { anyString, anyValue, mutated } from './mutate.js';

const SECRET = 'whsec_reliability_fuzz';
const T = 1_800_000_000;
const SEED = Number(process.env.RELIABILITY_SEED ?? 20_260_611);
const params = (numRuns: number) => ({ numRuns, seed: SEED + numRuns });

/** Runs `fn`; a throw must be an SDK error. Returns the value, or the SDK error. */
function outcome<T>(fn: () => T): { ok: true; value: T } | { ok: false; error: SiglumeDirectRequestPaymentError } {
  counts.badInputs += 1;
  try {
    return { ok: true, value: fn() };
  } catch (error) {
    if (!(error instanceof SiglumeDirectRequestPaymentError)) throw error;
    return { ok: false, error };
  }
}

async function outcomeAsync<T>(fn: () => Promise<T>): Promise<{ ok: true; value: T } | { ok: false; error: SiglumeDirectRequestPaymentError }> {
  counts.badInputs += 1;
  try {
    return { ok: true, value: await fn() };
  } catch (error) {
    if (!(error instanceof SiglumeDirectRequestPaymentError)) throw error;
    return { ok: false, error };
  }
}

const KINDS = ['standard_settled', 'metered_usage_accepted', 'metered_batch_settled', 'unknown'] as const;

export function describeParserFuzz(): void {
  describe('public parsers under random and mutated input', () => {
    it('parseWebhookSignatureHeader returns a numeric t= and v1= list, or throws a typed error', async () => {
      const { header } = await createTestWebhookEvent('standard_settled', { secret: SECRET, timestamp: T });
      const input = fc.oneof(anyString(80), mutated(header), mutated(`${header},v1=${'a'.repeat(64)}`), anyValue);
      fc.assert(
        fc.property(input, (h) => {
          const r = outcome(() => parseWebhookSignatureHeader(h as string));
          if (r.ok) {
            expect(Number.isSafeInteger(r.value.timestamp)).toBe(true);
            expect(r.value.signatures.length).toBeGreaterThan(0);
            expect(r.value.timestamp_text).toMatch(/^\d+$/);
            expect(String(h)).toContain(r.value.timestamp_text);
          }
        }),
        params(2000),
      );
    });

    it('verifyWebhookSignature accepts only the signed bytes with their own signature, and rejects the rest with a typed error', async () => {
      const signed = await createTestWebhookEvent('standard_settled', { secret: SECRET, timestamp: T });
      const signature = signed.header.split('v1=')[1]!;
      const body = fc.oneof(
        { weight: 3, arbitrary: fc.constant<unknown>(signed.raw_body) },
        { weight: 3, arbitrary: mutated(signed.raw_body) },
        { weight: 1, arbitrary: fc.constant<unknown>(Buffer.from(signed.raw_body)) },
        { weight: 1, arbitrary: fc.uint8Array({ maxLength: 64 }) },
        { weight: 1, arbitrary: fc.constant<unknown>(JSON.parse(signed.raw_body)) }, // a parsed object: always refused
        { weight: 1, arbitrary: anyValue },
      );
      const header = fc.oneof({ weight: 3, arbitrary: mutated(signed.header) }, { weight: 1, arbitrary: fc.constant(signed.header) }, { weight: 1, arbitrary: anyString(80) });
      const secret = fc.oneof({ weight: 4, arbitrary: fc.constant<unknown>(SECRET) }, { weight: 1, arbitrary: anyValue }, { weight: 1, arbitrary: fc.array(anyString(12), { maxLength: 3 }) });
      await fc.assert(
        fc.asyncProperty(secret, body, header, async (s, b, h) => {
          const r = await outcomeAsync(() => verifyWebhookSignature(s as string, b as string, h, { now: T }));
          if (r.ok) {
            // Accepted: it must be exactly the signed body, under the real secret, with the real signature.
            const bytes = typeof b === 'string' ? b : Buffer.isBuffer(b) ? b.toString('utf8') : null;
            expect(bytes).toBe(signed.raw_body);
            expect(r.value.signature).toBe(signature);
            expect(r.value.timestamp).toBe(T);
          }
        }),
        params(1500),
      );
    });

    it('parseDirectRequestPaymentWebhookEvent returns an event with its required fields, or throws a typed error', async () => {
      const samples = await Promise.all(KINDS.map((k) => createTestWebhookEvent(k, { secret: SECRET, timestamp: T })));
      const input = fc.oneof(
        fc.constantFrom(...samples.map((s) => s.raw_body)).chain((raw) => mutated(raw)),
        fc.json().map((j) => j as unknown),
        fc.jsonValue().map((v) => v as unknown),
        fc.uint8Array({ maxLength: 48 }),
        fc.constantFrom(...samples.map((s) => s.raw_body)).chain((raw) => mutated(raw)).map((s) => new TextEncoder().encode(s).buffer as unknown),
        anyValue,
      );
      fc.assert(
        fc.property(input, (payload) => {
          const r = outcome(() => parseDirectRequestPaymentWebhookEvent(payload as string));
          if (r.ok) {
            for (const f of ['id', 'type', 'api_version', 'occurred_at'] as const) {
              expect(typeof r.value[f] === 'string' && r.value[f].length > 0).toBe(true);
            }
            expect(r.value.data !== null && typeof r.value.data === 'object' && !Array.isArray(r.value.data)).toBe(true);
          }
        }),
        params(2000),
      );
    });

    it('verifyDirectRequestPaymentWebhook never lets a mutated body through', async () => {
      const signed = await createTestWebhookEvent('metered_batch_settled', { secret: SECRET, timestamp: T });
      await fc.assert(
        fc.asyncProperty(mutated(signed.raw_body), async (raw) => {
          const r = await outcomeAsync(() => verifyDirectRequestPaymentWebhook(SECRET, raw, signed.header, { now: T }));
          expect(r.ok).toBe(raw === signed.raw_body);
        }),
        params(800),
      );
    });

    it('parseDirectRequestPaymentChallenge splits three non-empty parts, or throws a typed error', async () => {
      const { challenge } = await createDirectRequestPaymentChallenge({ secret: 'chs_fuzz', merchant: 'shop_alpha', amount_minor: 4200, currency: 'JPY', nonce: 'order-77' });
      fc.assert(
        fc.property(fc.oneof(mutated(challenge), anyString(60), anyValue), (c) => {
          const r = outcome(() => parseDirectRequestPaymentChallenge(c as string));
          if (r.ok) {
            expect(`${r.value.scheme}:${r.value.nonce}:${r.value.signature}`).toBe(c);
            expect([r.value.scheme, r.value.nonce, r.value.signature].every((p) => p.length > 0 && !p.includes(':'))).toBe(true);
          }
        }),
        params(1500),
      );
    });

    it('verifyDirectRequestPaymentChallenge answers true only for the issued challenge, false for other strings, and throws only typed errors', async () => {
      const input = { secret: 'chs_fuzz', merchant: 'shop_alpha', amount_minor: 4200, currency: 'JPY' as const };
      const { challenge } = await createDirectRequestPaymentChallenge({ ...input, nonce: 'order-77' });
      const config = fc.oneof(
        { weight: 4, arbitrary: fc.constant<Record<string, unknown>>(input) },
        { weight: 1, arbitrary: fc.record({ secret: anyValue, merchant: anyValue, amount_minor: anyValue, currency: anyValue }) },
        { weight: 1, arbitrary: fc.record({ merchant: fc.oneof(anyString(20), fc.constant('SHOP_ALPHA')), amount_minor: fc.oneof(fc.integer(), fc.double()), currency: fc.constantFrom('jpy', 'USD', 'EUR', '') }).map((x) => ({ ...input, ...x })) },
      );
      await fc.assert(
        fc.asyncProperty(config, fc.oneof(mutated(challenge), anyValue), async (cfg, c) => {
          const r = await outcomeAsync(() => verifyDirectRequestPaymentChallenge({ ...cfg, challenge: c } as never));
          if (r.ok) {
            expect(typeof r.value).toBe('boolean');
            if (r.value) expect(c).toBe(challenge);
          }
        }),
        params(800),
      );
    });

    it('classifyDirectPaymentConfirmation never throws and always answers a known kind (and a known reason for unknown)', async () => {
      const samples = await Promise.all(KINDS.map((k) => createTestWebhookEvent(k, { secret: SECRET, timestamp: T })));
      const fields = ['mode', 'pricing_band', 'settlement_cadence', 'settlement_status', 'finality', 'requirement_id', 'challenge_hash', 'chain_receipt_id', 'settlement_batch_id', 'usage_event_digest'];
      const tweakedEvent = fc
        .record({
          base: fc.constantFrom(...samples.map((s) => s.event)),
          field: fc.constantFrom(...fields),
          value: fc.oneof(anyValue, anyString(12), fc.constantFrom('', '  ', 'micro', 'nano', 'standard', 'weekly', 'monthly', 'settled')),
          type: fc.oneof(fc.constant(undefined), anyValue),
        })
        .map(({ base, field, value, type }) => ({ ...base, ...(type !== undefined ? { type } : {}), data: { ...base.data, [field]: value } }));
      const kinds = new Set(KINDS);
      fc.assert(
        fc.property(fc.oneof(tweakedEvent, fc.record({ type: anyValue, data: anyValue }), anyValue), (event) => {
          const r = outcome(() => classifyDirectPaymentConfirmation(event as never));
          expect(r.ok).toBe(true); // the classifier never throws, not even a typed error
          if (r.ok) {
            expect(kinds.has(r.value.kind)).toBe(true);
            if (r.value.kind === 'unknown') expect(DIRECT_PAYMENT_UNKNOWN_REASONS).toContain(r.value.reason);
          }
        }),
        params(2000),
      );
    });
  });
}
