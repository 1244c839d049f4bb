import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadRuntimes, type Runtime } from '../support/runtimes.js';

const runtimes = await loadRuntimes();

const SECRET = 'test-challenge-secret';
const VECTOR = {
  merchant: 'shop_alpha',
  amount_minor: 4200,
  currency: 'JPY',
  nonce: 'order-77-attempt-1',
  signature: '91500f2f68ec065115a36d0b00e28fcc0d3e2bbbda081aa550f111c9b09bc9fb',
  challenge_hash: 'sha256:933ac70fe5d9eac86dcf6da3e324dd2dc4ef25243195b33edb055fff0783b6db',
};
const VECTOR_CHALLENGE = `siglume-external-402-v1:${VECTOR.nonce}:${VECTOR.signature}`;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

async function rejectionOf(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (err) {
    return err;
  }
  throw new Error('expected a rejection');
}

describe.each(runtimes)('one-time challenges ($name backend)', (rt: Runtime) => {
  const c = rt.challenge;
  const base = { secret: SECRET, merchant: VECTOR.merchant, amount_minor: VECTOR.amount_minor, currency: VECTOR.currency };

  it('runs on the backend under test', () => {
    expect(rt.crypto.getCryptoBackend().name).toBe(rt.name);
  });

  async function expectInvalid(promise: Promise<unknown>, field: string, mustContain?: string) {
    const err = await rejectionOf(promise);
    expect(err).toBeInstanceOf(rt.errors.SiglumeValidationError);
    expect((err as { field: string }).field).toBe(field);
    if (mustContain) expect((err as Error).message).toContain(mustContain);
    expect((err as Error).message).not.toContain(SECRET);
  }

  describe('when given the contract vector', () => {
    it('produces the signature, challenge string and challenge_hash byte for byte', async () => {
      const created = await c.createDirectRequestPaymentChallenge({ ...base, nonce: VECTOR.nonce });
      expect(created).toEqual({
        scheme: 'siglume-external-402-v1',
        merchant: 'shop_alpha',
        amount_minor: 4200,
        currency: 'JPY',
        nonce: VECTOR.nonce,
        signature: VECTOR.signature,
        challenge: VECTOR_CHALLENGE,
        challenge_hash: VECTOR.challenge_hash,
      });
      expect(await c.createDirectRequestPaymentChallengeSignature({ ...base, nonce: VECTOR.nonce })).toBe(VECTOR.signature);
      expect(await c.directRequestPaymentChallengeHash(VECTOR_CHALLENGE)).toBe(VECTOR.challenge_hash);
    });

    it('normalizes merchant case and currency case before signing', async () => {
      const created = await c.createDirectRequestPaymentChallenge({ ...base, merchant: 'SHOP_Alpha', currency: 'jpy', nonce: VECTOR.nonce });
      expect(created.merchant).toBe('shop_alpha');
      expect(created.currency).toBe('JPY');
      expect(created.signature).toBe(VECTOR.signature);
    });

    it('verifies the vector challenge', async () => {
      expect(await c.verifyDirectRequestPaymentChallenge({ ...base, challenge: VECTOR_CHALLENGE })).toBe(true);
    });

    it('verifies an upper- or mixed-case signature part, as 0.4.20 did (hex compare ignores case)', async () => {
      const mixed = VECTOR.signature.replace(/[a-f]/g, (ch, i: number) => (i % 2 === 0 ? ch.toUpperCase() : ch));
      for (const signature of [VECTOR.signature.toUpperCase(), mixed]) {
        const challenge = `siglume-external-402-v1:${VECTOR.nonce}:${signature}`;
        expect(await c.verifyDirectRequestPaymentChallenge({ ...base, challenge })).toBe(true);
        expect(await c.verifyDirectRequestPaymentChallenge({ ...base, amount_minor: 4201, challenge })).toBe(false);
      }
      // Only the comparison ignores case; the nonce is signed as given.
      const upperNonce = `siglume-external-402-v1:${VECTOR.nonce.toUpperCase()}:${VECTOR.signature}`;
      expect(await c.verifyDirectRequestPaymentChallenge({ ...base, challenge: upperNonce })).toBe(false);
    });
  });

  describe('when no nonce is given', () => {
    it('uses a fresh random UUID that verifies', async () => {
      const a = await c.createDirectRequestPaymentChallenge(base);
      const b = await c.createDirectRequestPaymentChallenge(base);
      expect(a.nonce).toMatch(UUID);
      expect(a.nonce).not.toBe(b.nonce);
      expect(a.challenge).toBe(`siglume-external-402-v1:${a.nonce}:${a.signature}`);
      expect(await c.verifyDirectRequestPaymentChallenge({ ...base, challenge: a.challenge })).toBe(true);
    });

    it.each([['""', ''], ['null', null]])('makes one for a nonce of %s too, as 0.4.20 did', async (_label, nonce) => {
      const a = await c.createDirectRequestPaymentChallenge({ ...base, nonce } as never);
      expect(a.nonce).toMatch(UUID);
      expect(await c.verifyDirectRequestPaymentChallenge({ ...base, challenge: a.challenge })).toBe(true);
    });
  });

  describe('when the price or the challenge does not match', () => {
    it.each([
      ['another amount', { amount_minor: 4201 }],
      ['another currency', { currency: 'USD' }],
      ['another merchant', { merchant: 'shop_beta' }],
      ['another secret', { secret: 'other-secret' }],
    ])('returns false for %s', async (_label, change) => {
      expect(await c.verifyDirectRequestPaymentChallenge({ ...base, ...change, challenge: VECTOR_CHALLENGE })).toBe(false);
    });

    it.each([
      ['an empty string', ''],
      ['a string without separators', 'garbage'],
      ['two parts', 'siglume-external-402-v1:abc'],
      ['four parts', `siglume-external-402-v1:a:b:${VECTOR.signature}`],
      ['an empty nonce', `siglume-external-402-v1::${VECTOR.signature}`],
      ['an empty signature', `siglume-external-402-v1:${VECTOR.nonce}:`],
      ['an unknown scheme', `siglume-external-402-v9:${VECTOR.nonce}:${VECTOR.signature}`],
      ['the recurring scheme', `siglume-external-402-recurring-v1:${VECTOR.nonce}:${VECTOR.signature}`],
      ['a truncated signature', `siglume-external-402-v1:${VECTOR.nonce}:${VECTOR.signature.slice(0, 63)}`],
      ['a changed nonce', `siglume-external-402-v1:order-77-attempt-2:${VECTOR.signature}`],
      ['a non-string', 42 as unknown as string],
      ['null', null as unknown as string],
    ])('returns false (does not throw) for %s', async (_label, challenge) => {
      expect(await c.verifyDirectRequestPaymentChallenge({ ...base, challenge })).toBe(false);
    });

    it('returns false for any single changed signature character', async () => {
      await fc.assert(
        fc.asyncProperty(fc.nat({ max: 63 }), fc.constantFrom(...'0123456789abcdef'), async (i, ch) => {
          fc.pre(VECTOR.signature[i] !== ch);
          const sig = VECTOR.signature.slice(0, i) + ch + VECTOR.signature.slice(i + 1);
          const ok = await c.verifyDirectRequestPaymentChallenge({ ...base, challenge: `siglume-external-402-v1:${VECTOR.nonce}:${sig}` });
          expect(ok).toBe(false);
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('when created for random prices', () => {
    it('verifies for exactly that price and no other', async () => {
      const merchant = fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,20}$/);
      const nonce = fc.string({ minLength: 1, maxLength: 40 }).filter((s) => !s.includes(':'));
      await fc.assert(
        fc.asyncProperty(merchant, fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER - 1 }), fc.constantFrom('JPY', 'USD'), nonce, async (m, amount, currency, n) => {
          const input = { secret: SECRET, merchant: m, amount_minor: amount, currency };
          const { challenge } = await c.createDirectRequestPaymentChallenge({ ...input, nonce: n });
          expect(await c.verifyDirectRequestPaymentChallenge({ ...input, challenge })).toBe(true);
          expect(await c.verifyDirectRequestPaymentChallenge({ ...input, amount_minor: amount + 1, challenge })).toBe(false);
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('when the input is invalid', () => {
    it.each([
      ['a float amount', { amount_minor: 4200.5 }, 'amount_minor', 'positive safe integer'],
      ['a string amount', { amount_minor: '4200' }, 'amount_minor', 'positive safe integer'],
      ['a boolean amount', { amount_minor: true }, 'amount_minor', 'positive safe integer'],
      ['a zero amount', { amount_minor: 0 }, 'amount_minor', 'positive safe integer'],
      ['an unsupported currency', { currency: 'EUR' }, 'currency', 'JPY'],
      ['a merchant with spaces', { merchant: 'shop alpha' }, 'merchant', undefined],
      ['a missing merchant', { merchant: undefined }, 'merchant', 'required'],
      ['a nonce containing ":"', { nonce: 'a:b' }, 'nonce', ':'],
      ['a missing secret', { secret: undefined }, 'secret', 'is required (is SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET set?)'],
      ['an empty secret', { secret: '' }, 'secret', 'non-empty'],
      ['a non-string secret', { secret: 12345 }, 'secret', 'non-empty'],
    ])('rejects %s, naming the field', async (_label, change, field, text) => {
      await expectInvalid(c.createDirectRequestPaymentChallenge({ ...base, ...(change as object) } as never), field, text);
    });

    it('never echoes the secret in an error', async () => {
      const secret = 'whsec_do-not-print-me';
      for (const change of [{ merchant: '!' }, { amount_minor: -1 }, { currency: 'XXX' }, { nonce: ':' }]) {
        const err = await rejectionOf(c.createDirectRequestPaymentChallenge({ ...base, secret, ...(change as object) } as never));
        expect(String((err as Error).message)).not.toContain(secret);
        expect(JSON.stringify(err)).not.toContain(secret);
      }
    });

    it('rejects a missing nonce in the signature function', async () => {
      await expectInvalid(c.createDirectRequestPaymentChallengeSignature(base as never), 'nonce', 'required');
    });

    it('throws from verify for a missing secret instead of silently returning false', async () => {
      await expectInvalid(
        c.verifyDirectRequestPaymentChallenge({ ...base, secret: '', challenge: VECTOR_CHALLENGE }),
        'secret',
      );
    });

    it('rejects a non-object argument', async () => {
      await expectInvalid(c.createDirectRequestPaymentChallenge(null as never), 'input');
    });
  });

  describe('parseDirectRequestPaymentChallenge', () => {
    it('splits a challenge into scheme, nonce and signature', () => {
      expect(c.parseDirectRequestPaymentChallenge(VECTOR_CHALLENGE)).toEqual({
        scheme: 'siglume-external-402-v1',
        nonce: VECTOR.nonce,
        signature: VECTOR.signature,
      });
    });

    it.each(['', 'a:b', 'a:b:c:d', ':b:c', 'a::c', 'a:b:'])('rejects %j, naming challenge', (bad) => {
      expect(() => c.parseDirectRequestPaymentChallenge(bad)).toThrow(rt.errors.SiglumeValidationError);
      expect(() => c.parseDirectRequestPaymentChallenge(bad)).toThrow(/challenge/);
    });
  });

  describe('directRequestPaymentChallengeHash', () => {
    it('rejects an empty challenge', async () => {
      await expectInvalid(c.directRequestPaymentChallengeHash(''), 'challenge');
    });
  });

  describe('legacy aliases', () => {
    it('createExternal402Challenge / verifyExternal402Challenge behave like the new names', async () => {
      const created = await c.createExternal402Challenge({ ...base, nonce: VECTOR.nonce });
      expect(created.signature).toBe(VECTOR.signature);
      expect(await c.verifyExternal402Challenge({ ...base, challenge: created.challenge })).toBe(true);
      expect(await c.verifyExternal402Challenge({ ...base, amount_minor: 1, challenge: created.challenge })).toBe(false);
    });
  });
});
