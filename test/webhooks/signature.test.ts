import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadRuntimes, type Runtime } from '../support/runtimes.js';
import { buildWebhookSignatureHeader, computeWebhookSignature } from '../../src/webhooks/signature.js';

const runtimes = await loadRuntimes();

const SECRET = 'whsec_example';
const T = 1800000000;
const BODY =
  '{"id":"evt_1","type":"direct_payment.confirmed","api_version":"2026-06-11","occurred_at":"2026-06-11T00:00:00Z","data":{"mode":"external_402"}}';
const SIG = 'f45a559e90ca05b7f877694677a3dc893b3b6ace0d18951f99ebc47fb8c8e82e';
const HEADER = `t=${T},v1=${SIG}`;
const AT = { now: T };
const encoder = new TextEncoder();

async function rejectionOf(promise: Promise<unknown>): Promise<Error & { code?: string; field?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

const secretArb = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 40 });
const bodyArb = fc.oneof(
  fc.uint8Array({ maxLength: 2048 }),
  fc.string({ unit: 'grapheme', maxLength: 600 }),
);
const timestampArb = fc.integer({ min: 1_000_000_000, max: 4_000_000_000 });
const skewArb = fc.integer({ min: -300, max: 300 });

describe.each(runtimes)('webhook signatures ($name backend)', (rt: Runtime) => {
  const s = rt.signature;
  const { SiglumeWebhookSignatureError, SiglumeWebhookPayloadError, SiglumeValidationError } = rt.errors;

  async function expectSignatureError(promise: Promise<unknown>, code: string) {
    const err = await rejectionOf(promise);
    expect(err).toBeInstanceOf(SiglumeWebhookSignatureError);
    expect(err.code).toBe(code);
    expect(err.message).not.toContain(SECRET);
    return err;
  }

  it('runs on the backend under test', () => {
    expect(rt.crypto.getCryptoBackend().name).toBe(rt.name);
  });

  describe('when given the contract vector', () => {
    it.each([
      ['a string', () => BODY],
      ['a Buffer', () => Buffer.from(BODY)],
      ['a Uint8Array', () => encoder.encode(BODY)],
      ['an ArrayBuffer', () => encoder.encode(BODY).buffer],
    ])('computes the v1 signature byte for byte from %s', async (_label, body) => {
      expect(await s.computeWebhookSignature(SECRET, body(), { timestamp: T })).toBe(SIG);
    });

    it('builds the header, also from an object (signed as JSON.stringify)', async () => {
      expect(await s.buildWebhookSignatureHeader(SECRET, BODY, { timestamp: T })).toBe(HEADER);
      expect(await s.buildWebhookSignatureHeader(SECRET, JSON.parse(BODY), { timestamp: T })).toBe(HEADER);
    });

    it('verifies it and reports the timestamp and matching signature', async () => {
      expect(await s.verifyWebhookSignature(SECRET, BODY, HEADER, AT)).toEqual({ timestamp: T, signature: SIG });
      expect(await s.verifyWebhookSignature(SECRET, Buffer.from(BODY), HEADER, AT)).toEqual({ timestamp: T, signature: SIG });
      expect(await s.verifyWebhookSignature(SECRET, encoder.encode(BODY).buffer, HEADER, AT)).toEqual({ timestamp: T, signature: SIG });
    });

    it('signs with the current time when no timestamp is given', async () => {
      const before = Math.floor(Date.now() / 1000);
      const header = await s.buildWebhookSignatureHeader(SECRET, BODY);
      const t = Number(/^t=(\d+),/.exec(header)![1]);
      expect(t).toBeGreaterThanOrEqual(before);
      expect(t).toBeLessThanOrEqual(before + 2);
      expect((await s.verifyWebhookSignature(SECRET, BODY, header)).timestamp).toBe(t);
    });
  });

  describe('when the timestamp to sign is not a whole number (0.4.20 code passes Date.now() / 1000)', () => {
    it('truncates it, in the signed string and in t=', async () => {
      expect(await s.computeWebhookSignature(SECRET, BODY, { timestamp: T + 0.999 })).toBe(SIG);
      expect(await s.buildWebhookSignatureHeader(SECRET, BODY, { timestamp: T + 0.5 })).toBe(HEADER);
    });

    it.each([
      ['a negative number', -1],
      ['a negative fraction', -0.5],
      ['NaN', Number.NaN],
      ['Infinity', Number.POSITIVE_INFINITY],
      ['a numeric string', String(T)],
    ])('still rejects %s, naming timestamp', async (_label, timestamp) => {
      const computed = await rejectionOf(s.computeWebhookSignature(SECRET, BODY, { timestamp: timestamp as never }));
      expect(computed).toBeInstanceOf(SiglumeValidationError);
      expect(computed.field).toBe('timestamp');
      const built = await rejectionOf(s.buildWebhookSignatureHeader(SECRET, BODY, { timestamp: timestamp as never }));
      expect(built.field).toBe('timestamp');
    });

    it('rejects Date.now() milliseconds, which every receiver would refuse as out of tolerance', async () => {
      for (const sign of [
        () => s.buildWebhookSignatureHeader(SECRET, BODY, { timestamp: T * 1000 }),
        () => s.computeWebhookSignature(SECRET, BODY, { timestamp: Date.now() }),
      ]) {
        const error = await rejectionOf(sign());
        expect(error).toBeInstanceOf(SiglumeValidationError);
        expect(error.field).toBe('timestamp');
        expect(error.message).toContain('seconds, not milliseconds');
      }
    });
  });

  describe('when the header has spaces, unknown keys or several v1 entries', () => {
    it.each([
      ['spaces around entries', ` t=${T} ,  v1=${SIG} `],
      ['an unknown v0 entry', `t=${T},v0=deadbeef,v1=${SIG}`],
      ['a wrong v1 before the right one (sender rotating)', `t=${T},v1=${'0'.repeat(64)},v1=${SIG}`],
      ['the right v1 before a wrong one', `t=${T},v1=${SIG},v1=${'1'.repeat(64)}`],
      ['v1 before t', `v1=${SIG},t=${T}`],
      ['a repeated identical t', `t=${T},t=${T},v1=${SIG}`],
    ])('accepts %s', async (_label, header) => {
      expect((await s.verifyWebhookSignature(SECRET, BODY, header, AT)).signature).toBe(SIG);
    });
  });

  describe('when several secrets are given (merchant rotating its secret)', () => {
    it('passes when any secret matches any v1', async () => {
      expect((await s.verifyWebhookSignature(['whsec_old', SECRET], BODY, HEADER, AT)).signature).toBe(SIG);
      expect((await s.verifyWebhookSignature([SECRET, 'whsec_new'], BODY, HEADER, AT)).signature).toBe(SIG);
      const newSig = await s.computeWebhookSignature('whsec_new', BODY, { timestamp: T });
      const both = `t=${T},v1=${SIG},v1=${newSig}`;
      expect((await s.verifyWebhookSignature(['whsec_new'], BODY, both, AT)).signature).toBe(newSig);
    });

    it('rejects when no secret matches', async () => {
      await expectSignatureError(s.verifyWebhookSignature(['whsec_a', 'whsec_b'], BODY, HEADER, AT), 'WEBHOOK_SIGNATURE_MISMATCH');
    });
  });

  describe('when the secret has leading or trailing whitespace (a newline from a file or secret mount)', () => {
    it('still uses it as given (0.4.20), and says in the mismatch which secret to trim, without the secret', async () => {
      for (const padded of [`${SECRET}\n`, ` ${SECRET}`, `${SECRET}\r\n`]) {
        const err = await expectSignatureError(s.verifyWebhookSignature(padded, BODY, HEADER, AT), 'WEBHOOK_SIGNATURE_MISMATCH');
        expect(err.message).toContain('The signing secret (secret) has leading or trailing whitespace');
        expect(err.message).toContain('trim it');
      }
      const err = await expectSignatureError(s.verifyWebhookSignature(['whsec_other', `${SECRET}\n`], BODY, HEADER, AT), 'WEBHOOK_SIGNATURE_MISMATCH');
      expect(err.message).toContain('The signing secret (secret[1]) has leading or trailing whitespace');
    });

    it('verifies a header signed with the same padded secret, and does not mention whitespace for a clean secret', async () => {
      const padded = `${SECRET}\n`;
      const header = await s.buildWebhookSignatureHeader(padded, BODY, { timestamp: T });
      expect((await s.verifyWebhookSignature(padded, BODY, header, AT)).timestamp).toBe(T);
      const err = await expectSignatureError(s.verifyWebhookSignature('whsec_other', BODY, HEADER, AT), 'WEBHOOK_SIGNATURE_MISMATCH');
      expect(err.message).not.toContain('whitespace');
    });

    it('rejects an empty list or an empty entry, naming the secret field', async () => {
      const empty = await rejectionOf(s.verifyWebhookSignature([], BODY, HEADER, AT));
      expect(empty).toBeInstanceOf(SiglumeValidationError);
      expect(empty.field).toBe('secret');
      const blank = await expectSignatureError(s.verifyWebhookSignature([SECRET, ''], BODY, HEADER, AT), 'WEBHOOK_SECRET_EMPTY');
      expect(blank.message).toContain('secret[1]');
      const wrong = await rejectionOf(s.verifyWebhookSignature([SECRET, 42 as never], BODY, HEADER, AT));
      expect(wrong).toBeInstanceOf(SiglumeValidationError);
      expect(wrong.field).toBe('secret[1]');
    });
  });

  describe('when the header is what 0.4.20 accepted (CONTRACT-2 21.3)', () => {
    it('compares the hex in either case', async () => {
      const upper = `t=${T},v1=${SIG.toUpperCase()}`;
      expect((await s.verifyWebhookSignature(SECRET, BODY, upper, AT)).timestamp).toBe(T);
      const mixed = `t=${T},v1=${SIG.slice(0, 10).toUpperCase()}${SIG.slice(10)}`;
      expect((await s.verifyWebhookSignature(SECRET, BODY, mixed, AT)).timestamp).toBe(T);
    });

    it('takes the last of several t=, and the HMAC still covers it', async () => {
      expect((await s.verifyWebhookSignature(SECRET, BODY, `t=${T + 7},t=${T},v1=${SIG}`, AT)).timestamp).toBe(T);
      expect(s.parseWebhookSignatureHeader(`t=1,t=${T},v1=${SIG}`).timestamp).toBe(T);
      await expectSignatureError(s.verifyWebhookSignature(SECRET, BODY, `t=${T},t=${T + 1},v1=${SIG}`, { now: T + 1 }), 'WEBHOOK_SIGNATURE_MISMATCH');
    });
  });

  describe('when the timestamp is outside the tolerance', () => {
    it('accepts the edges and rejects one second past them, in both directions', async () => {
      expect(await s.verifyWebhookSignature(SECRET, BODY, HEADER, { now: T + 300 })).toBeTruthy();
      expect(await s.verifyWebhookSignature(SECRET, BODY, HEADER, { now: T - 300 })).toBeTruthy();
      const stale = await expectSignatureError(s.verifyWebhookSignature(SECRET, BODY, HEADER, { now: T + 301 }), 'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE');
      expect(stale.message).toContain('in the past');
      const future = await expectSignatureError(s.verifyWebhookSignature(SECRET, BODY, HEADER, { now: T - 301 }), 'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE');
      expect(future.message).toContain('in the future');
    });

    it('honours tolerance_seconds and a Date for now', async () => {
      const now = new Date((T + 10) * 1000);
      expect(await s.verifyWebhookSignature(SECRET, BODY, HEADER, { now, tolerance_seconds: 10 })).toBeTruthy();
      await expectSignatureError(
        s.verifyWebhookSignature(SECRET, BODY, HEADER, { now, tolerance_seconds: 9 }),
        'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE',
      );
    });

    it('counts whole seconds as 0.4.20 did: tolerance_seconds 0 is one second, fractions are dropped', async () => {
      expect(await s.verifyWebhookSignature(SECRET, BODY, HEADER, { now: T + 1, tolerance_seconds: 0 })).toBeTruthy();
      expect(await s.verifyWebhookSignature(SECRET, BODY, HEADER, { now: T - 1, tolerance_seconds: 0.5 })).toBeTruthy();
      await expectSignatureError(
        s.verifyWebhookSignature(SECRET, BODY, HEADER, { now: T + 2, tolerance_seconds: 0 }),
        'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE',
      );
      // now T+300.9 is second T+300: inside a tolerance of 300 (or 300.7, used as 300).
      expect(await s.verifyWebhookSignature(SECRET, BODY, HEADER, { now: T + 300.9 })).toBeTruthy();
      expect(await s.verifyWebhookSignature(SECRET, BODY, HEADER, { now: T + 300.9, tolerance_seconds: 300.7 })).toBeTruthy();
      expect(await s.verifyWebhookSignature(SECRET, BODY, HEADER, { now: new Date((T + 300) * 1000 + 900) })).toBeTruthy();
      await expectSignatureError(
        s.verifyWebhookSignature(SECRET, BODY, HEADER, { now: T + 301, tolerance_seconds: 300.7 }),
        'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE',
      );
    });

    it('uses the real clock by default, so an hour-old delivery is stale', async () => {
      const old = await s.buildWebhookSignatureHeader(SECRET, BODY, { timestamp: Math.floor(Date.now() / 1000) - 3600 });
      await expectSignatureError(s.verifyWebhookSignature(SECRET, BODY, old), 'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE');
    });

    it('rejects options that cannot be right', async () => {
      expect((await rejectionOf(s.verifyWebhookSignature(SECRET, BODY, HEADER, { now: T * 1000 }))).field).toBe('now');
      expect((await rejectionOf(s.verifyWebhookSignature(SECRET, BODY, HEADER, { now: new Date('nope') }))).field).toBe('now');
      for (const tolerance_seconds of [-1, -0.5, Number.NaN, Number.POSITIVE_INFINITY, '300']) {
        const err = await rejectionOf(s.verifyWebhookSignature(SECRET, BODY, HEADER, { tolerance_seconds: tolerance_seconds as never, now: T }));
        expect(err).toBeInstanceOf(SiglumeValidationError);
        expect(err.field).toBe('tolerance_seconds');
      }
    });
  });

  describe('when the header is missing or malformed', () => {
    it.each([undefined, null, ''])('rejects %j as missing', async (header) => {
      await expectSignatureError(s.verifyWebhookSignature(SECRET, BODY, header, AT), 'WEBHOOK_SIGNATURE_MISSING');
    });

    it.each([
      ['no t', `v1=${SIG}`],
      ['no v1', `t=${T}`],
      ['an empty v1', `t=${T},v1=`],
      ['only v0', `t=${T},v0=${SIG}`],
      ['a non-numeric t', `t=abc,v1=${SIG}`],
      ['a negative t', `t=-5,v1=${SIG}`],
      ['a fractional t', `t=1800000000.5,v1=${SIG}`],
      ['a last t that is not a number', `t=${T},t=later,v1=${SIG}`],
      ['garbage', 'not a signature header'],
      ['a non-string header', ['t=1'] as unknown as string],
    ])('rejects a header with %s as malformed', async (_label, header) => {
      await expectSignatureError(s.verifyWebhookSignature(SECRET, BODY, header, AT), 'WEBHOOK_SIGNATURE_MALFORMED');
    });
  });

  describe('when the body is not the raw body', () => {
    it.each([
      ['the parsed object', () => JSON.parse(BODY)],
      ['an array', () => [1, 2]],
      ['a number', () => 42],
      ['null', () => null],
      ['undefined', () => undefined],
      ['a Uint16Array', () => new Uint16Array(4)],
    ])('refuses %s with SiglumeWebhookPayloadError saying how to get the raw body in each framework', async (_label, body) => {
      const err = await rejectionOf(s.verifyWebhookSignature(SECRET, body() as never, HEADER, AT));
      expect(err).toBeInstanceOf(SiglumeWebhookPayloadError);
      expect(err.code).toBe('WEBHOOK_RAW_BODY_REQUIRED');
      expect(err.message).toContain('express.raw(');
      // Fastify and Hono users were told only to mount express.raw.
      expect(err.message).toContain("in Fastify add a content-type parser with { parseAs: 'buffer' }");
      expect(err.message).toContain('(Hono, Next.js, Workers) pass await request.arrayBuffer()');
    });
  });

  describe('when the secret is invalid', () => {
    it.each([undefined, null, 42, new TextEncoder().encode(SECRET)])('rejects %j naming secret', async (secret) => {
      for (const call of [
        () => s.verifyWebhookSignature(secret as never, BODY, HEADER, AT),
        () => s.computeWebhookSignature(secret as never, BODY, { timestamp: T }),
        () => s.buildWebhookSignatureHeader(secret as never, BODY, { timestamp: T }),
      ]) {
        const err = await rejectionOf(call());
        expect(err).toBeInstanceOf(SiglumeValidationError);
        expect(err.field).toBe('secret');
        expect(err.message).toMatch(/secret/);
        // A missing one is most often an unset variable: the message names it.
        if (secret === undefined || secret === null) expect(err.message).toBe('Invalid secret: is required (is SIGLUME_WEBHOOK_SECRET set?)');
      }
    });

    it('rejects an empty secret with SiglumeWebhookSignatureError, as 0.4.20 did, saying where the secret comes from', async () => {
      for (const call of [
        () => s.verifyWebhookSignature('', BODY, HEADER, AT),
        () => s.computeWebhookSignature('', BODY, { timestamp: T }),
        () => s.buildWebhookSignatureHeader('', BODY, { timestamp: T }),
      ]) {
        const err = await expectSignatureError(call(), 'WEBHOOK_SECRET_EMPTY');
        expect(err.message).toContain('signing secret is empty');
        expect(err.message).toContain('SIGLUME_WEBHOOK_SECRET');
      }
    });
  });

  describe('error messages', () => {
    it('never contain the secret', async () => {
      const secret = 'whsec_super_private_value';
      const failures = [
        () => s.verifyWebhookSignature(secret, BODY, HEADER, AT),
        () => s.verifyWebhookSignature(secret, BODY, `t=${T},v1=${SIG}`, { now: T + 9999 }),
        () => s.verifyWebhookSignature(secret, BODY, 'garbage', AT),
        () => s.verifyWebhookSignature(secret, BODY, undefined, AT),
        () => s.verifyWebhookSignature(secret, {} as never, HEADER, AT),
        () => s.verifyWebhookSignature([secret, ''], BODY, HEADER, AT),
        () => s.computeWebhookSignature(secret, BODY, { timestamp: -1 }),
      ];
      for (const failure of failures) {
        const err = await rejectionOf(failure());
        expect(`${err.message} ${String(err.stack)} ${JSON.stringify(err)}`).not.toContain(secret);
      }
    });
  });

  describe('properties', () => {
    const opts = { numRuns: 300 };

    it('a correctly signed body always verifies within the tolerance', async () => {
      await fc.assert(
        fc.asyncProperty(secretArb, bodyArb, timestampArb, skewArb, async (secret, body, t, skew) => {
          const header = await s.buildWebhookSignatureHeader(secret, body, { timestamp: t });
          const result = await s.verifyWebhookSignature(secret, body, header, { now: t + skew });
          expect(result.timestamp).toBe(t);
        }),
        opts,
      );
    });

    it('flipping any single byte of the body always rejects', async () => {
      await fc.assert(
        fc.asyncProperty(secretArb, fc.uint8Array({ minLength: 1, maxLength: 2048 }), fc.nat(), fc.integer({ min: 1, max: 255 }), timestampArb, async (secret, body, at, xor, t) => {
          const header = await s.buildWebhookSignatureHeader(secret, body, { timestamp: t });
          const tampered = body.slice();
          const i = at % body.length;
          tampered[i] = tampered[i]! ^ xor;
          await expectSignatureError(s.verifyWebhookSignature(secret, tampered, header, { now: t }), 'WEBHOOK_SIGNATURE_MISMATCH');
        }),
        opts,
      );
    });

    it('changing any single hex character of the signature always rejects', async () => {
      await fc.assert(
        fc.asyncProperty(secretArb, bodyArb, fc.nat({ max: 63 }), fc.integer({ min: 1, max: 15 }), timestampArb, async (secret, body, at, delta, t) => {
          const sig = await s.computeWebhookSignature(secret, body, { timestamp: t });
          const flipped = ((parseInt(sig[at]!, 16) + delta) % 16).toString(16);
          const bad = sig.slice(0, at) + flipped + sig.slice(at + 1);
          await expectSignatureError(s.verifyWebhookSignature(secret, body, `t=${t},v1=${bad}`, { now: t }), 'WEBHOOK_SIGNATURE_MISMATCH');
        }),
        opts,
      );
    });

    it('changing the timestamp always rejects', async () => {
      await fc.assert(
        fc.asyncProperty(secretArb, bodyArb, timestampArb, fc.integer({ min: -100_000, max: 100_000 }).filter((d) => d !== 0), async (secret, body, t, delta) => {
          const sig = await s.computeWebhookSignature(secret, body, { timestamp: t });
          // now follows the forged t, so only the signature can catch the change.
          const err = await rejectionOf(s.verifyWebhookSignature(secret, body, `t=${t + delta},v1=${sig}`, { now: t + delta }));
          expect(err).toBeInstanceOf(SiglumeWebhookSignatureError);
          expect(err.code).toBe('WEBHOOK_SIGNATURE_MISMATCH');
          // and at the real clock, a large change is also out of tolerance
          await expect(s.verifyWebhookSignature(secret, body, `t=${t + delta},v1=${sig}`, { now: t })).rejects.toBeInstanceOf(
            SiglumeWebhookSignatureError,
          );
        }),
        opts,
      );
    });

    it('a parsed body is always refused, even when it was signed correctly', async () => {
      await fc.assert(
        fc.asyncProperty(secretArb, fc.dictionary(fc.string({ maxLength: 10 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 6 }), timestampArb, async (secret, obj, t) => {
          const body = JSON.stringify(obj);
          const header = await s.buildWebhookSignatureHeader(secret, body, { timestamp: t });
          const err = await rejectionOf(s.verifyWebhookSignature(secret, JSON.parse(body), header, { now: t }));
          expect(err).toBeInstanceOf(SiglumeWebhookPayloadError);
          expect(err.code).toBe('WEBHOOK_RAW_BODY_REQUIRED');
        }),
        opts,
      );
    });

    it('a correctly signed body verifies among several v1 entries and several secrets', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.uniqueArray(secretArb, { minLength: 1, maxLength: 4 }),
          fc.nat(),
          fc.array(fc.stringMatching(/^[0-9a-f]{64}$/), { maxLength: 3 }),
          bodyArb,
          timestampArb,
          async (secrets, pick, decoys, body, t) => {
            const signer = secrets[pick % secrets.length]!;
            const sig = await s.computeWebhookSignature(signer, body, { timestamp: t });
            const entries = [...decoys.map((d) => `v1=${d}`), `v1=${sig}`, 'v0=ignored'].sort();
            const header = [`t=${t}`, ...entries].join(', ');
            expect((await s.verifyWebhookSignature(secrets, body, header, { now: t })).signature).toBe(sig);
          },
        ),
        { numRuns: 200 },
      );
    });
  });
});

describe('computeWebhookSignature with an object body (0.4.20)', () => {
  it('signs JSON.stringify(body), as the header builder does', async () => {
    const event = { id: 'evt_1', type: 'direct_payment.confirmed' };
    const header = await buildWebhookSignatureHeader('whsec_obj', event, { timestamp: 1_800_000_000 });
    const signature = await computeWebhookSignature('whsec_obj', event, { timestamp: 1_800_000_000 });
    expect(header).toBe(`t=1800000000,v1=${signature}`);
    expect(signature).toBe(await computeWebhookSignature('whsec_obj', JSON.stringify(event), { timestamp: 1_800_000_000 }));
  });
});
