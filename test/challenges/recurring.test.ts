import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadRuntimes, type Runtime } from '../support/runtimes.js';

const runtimes = await loadRuntimes();

const SECRET = 'test-challenge-secret';
const base = { secret: SECRET, merchant: 'shop_alpha', amount_minor: 980, currency: 'JPY', cadence: 'monthly' as const };
const NONCE = 'sub-setup-9';
const SIGNATURE = '9d8569e6876dde3cd07cb8ad52f0429aa7d70da3ef4ee604f450eb4ba59b17db';
const CHALLENGE = `siglume-external-402-recurring-v1:${NONCE}:${SIGNATURE}`;

describe.each(runtimes)('recurring challenges ($name backend)', (rt: Runtime) => {
  const r = rt.recurring;
  const one = rt.challenge;

  it('runs on the backend under test', () => {
    expect(rt.crypto.getCryptoBackend().name).toBe(rt.name);
  });

  describe('when given the contract vector', () => {
    it('produces the recurring signature byte for byte', async () => {
      expect(await r.createDirectRequestPaymentRecurringChallengeSignature({ ...base, nonce: NONCE })).toBe(SIGNATURE);
      const created = await r.createDirectRequestPaymentRecurringChallenge({ ...base, nonce: NONCE });
      expect(created).toMatchObject({
        scheme: 'siglume-external-402-recurring-v1',
        cadence: 'monthly',
        nonce: NONCE,
        signature: SIGNATURE,
        challenge: CHALLENGE,
      });
      expect(created.challenge_hash).toBe(await one.directRequestPaymentChallengeHash(CHALLENGE));
      expect(await r.verifyDirectRequestPaymentRecurringChallenge({ ...base, challenge: CHALLENGE })).toBe(true);
    });

    it('verifies an upper-case signature part, as 0.4.20 did (hex compare ignores case)', async () => {
      const upper = CHALLENGE.slice(0, CHALLENGE.lastIndexOf(':') + 1) + SIGNATURE.toUpperCase();
      expect(await r.verifyDirectRequestPaymentRecurringChallenge({ ...base, challenge: upper })).toBe(true);
      expect(await r.verifyDirectRequestPaymentRecurringChallenge({ ...base, cadence: 'daily', challenge: upper })).toBe(false);
    });

    it('takes the cadence in any case, as 0.4.20 did, and signs it lower-cased', async () => {
      const created = await r.createDirectRequestPaymentRecurringChallenge({ ...base, cadence: 'Monthly' as never, nonce: NONCE });
      expect(created).toMatchObject({ cadence: 'monthly', challenge: CHALLENGE });
      expect(await r.verifyDirectRequestPaymentRecurringChallenge({ ...base, cadence: 'MONTHLY' as never, challenge: CHALLENGE })).toBe(true);
      const empty = await r.createDirectRequestPaymentRecurringChallenge({ ...base, nonce: '' });
      expect(await r.verifyDirectRequestPaymentRecurringChallenge({ ...base, challenge: empty.challenge })).toBe(true);
    });

    it('returns false for the other cadence, amount or currency', async () => {
      for (const change of [{ cadence: 'daily' as const }, { amount_minor: 981 }, { currency: 'USD' }]) {
        expect(await r.verifyDirectRequestPaymentRecurringChallenge({ ...base, ...change, challenge: CHALLENGE })).toBe(false);
      }
    });
  });

  describe('when a one-time and a recurring challenge meet the other verifier', () => {
    it('never cross-verifies and never throws', async () => {
      const { cadence: _cadence, ...oneTimeInput } = base;
      const oneTime = await one.createDirectRequestPaymentChallenge({ ...oneTimeInput, nonce: NONCE });
      const recurring = await r.createDirectRequestPaymentRecurringChallenge({ ...base, nonce: NONCE });
      expect(await r.verifyDirectRequestPaymentRecurringChallenge({ ...base, challenge: oneTime.challenge })).toBe(false);
      expect(await one.verifyDirectRequestPaymentChallenge({ ...oneTimeInput, challenge: recurring.challenge })).toBe(false);
      // Relabelled: right scheme, signature of the other kind.
      const relabelledAsOneTime = `siglume-external-402-v1:${NONCE}:${recurring.signature}`;
      const relabelledAsRecurring = `siglume-external-402-recurring-v1:${NONCE}:${oneTime.signature}`;
      expect(await one.verifyDirectRequestPaymentChallenge({ ...oneTimeInput, challenge: relabelledAsOneTime })).toBe(false);
      expect(await r.verifyDirectRequestPaymentRecurringChallenge({ ...base, challenge: relabelledAsRecurring })).toBe(false);
    });

    it('holds for random prices and nonces', async () => {
      const nonce = fc.string({ minLength: 1, maxLength: 30 }).filter((s) => !s.includes(':'));
      await fc.assert(
        fc.asyncProperty(fc.integer({ min: 1, max: 10_000_000 }), fc.constantFrom('monthly', 'daily') as fc.Arbitrary<'monthly' | 'daily'>, nonce, async (amount, cadence, n) => {
          const input = { secret: SECRET, merchant: 'shop_alpha', amount_minor: amount, currency: 'USD' };
          const rec = await r.createDirectRequestPaymentRecurringChallenge({ ...input, cadence, nonce: n });
          const ot = await one.createDirectRequestPaymentChallenge({ ...input, nonce: n });
          expect(await r.verifyDirectRequestPaymentRecurringChallenge({ ...input, cadence, challenge: rec.challenge })).toBe(true);
          expect(await one.verifyDirectRequestPaymentChallenge({ ...input, challenge: rec.challenge })).toBe(false);
          expect(await r.verifyDirectRequestPaymentRecurringChallenge({ ...input, cadence, challenge: ot.challenge })).toBe(false);
        }),
        { numRuns: 300 },
      );
    });
  });

  describe('when the input is invalid', () => {
    it('rejects an unknown cadence, naming cadence', async () => {
      await expect(r.createDirectRequestPaymentRecurringChallenge({ ...base, cadence: 'weekly' as never })).rejects.toMatchObject({
        field: 'cadence',
      });
      await expect(r.createDirectRequestPaymentRecurringChallenge({ ...base, cadence: 'weekly' as never })).rejects.toBeInstanceOf(
        rt.errors.SiglumeValidationError,
      );
    });

    it('rejects an empty secret without echoing anything secret', async () => {
      await expect(r.createDirectRequestPaymentRecurringChallenge({ ...base, secret: '' })).rejects.toMatchObject({ field: 'secret' });
    });

    it('uses a random UUID nonce by default', async () => {
      const created = await r.createDirectRequestPaymentRecurringChallenge(base);
      expect(created.nonce).toMatch(/^[0-9a-f-]{36}$/);
      expect(await r.verifyDirectRequestPaymentRecurringChallenge({ ...base, challenge: created.challenge })).toBe(true);
    });
  });

  describe('legacy aliases', () => {
    it('createExternal402RecurringChallenge / verifyExternal402RecurringChallenge behave like the new names', async () => {
      const created = await r.createExternal402RecurringChallenge({ ...base, nonce: NONCE });
      expect(created.signature).toBe(SIGNATURE);
      expect(await r.verifyExternal402RecurringChallenge({ ...base, challenge: created.challenge })).toBe(true);
    });
  });
});
