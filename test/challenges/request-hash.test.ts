import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadRuntimes, type Runtime } from '../support/runtimes.js';

const runtimes = await loadRuntimes();

const CHALLENGE =
  'siglume-external-402-v1:order-77-attempt-1:91500f2f68ec065115a36d0b00e28fcc0d3e2bbbda081aa550f111c9b09bc9fb';
const input = { merchant: 'shop_alpha', amount_minor: 4200, currency: 'JPY', challenge: CHALLENGE };

describe.each(runtimes)('request hashes ($name backend)', (rt: Runtime) => {
  const h = rt.requestHash;

  it('runs on the backend under test', () => {
    expect(rt.crypto.getCryptoBackend().name).toBe(rt.name);
  });

  describe('when given the contract vector', () => {
    it('computes v1 byte for byte', async () => {
      expect(await h.directRequestPaymentRequestHash(input)).toBe(
        'sha256:b7dc5093305cef873493e80490f8d04bcda5a19d9ff46bf5d945f7c7c102ed1a',
      );
    });

    it('computes v2 byte for byte', async () => {
      expect(await h.directRequestPaymentRequestHashV2(input)).toBe(
        'sha256:6c525ffb55ed60785c924ddf333e719ab34605ef0f164e00af617ef2b7474dee',
      );
    });

    it('normalizes merchant and currency case first', async () => {
      const loud = { ...input, merchant: 'Shop_Alpha', currency: 'jpy' };
      expect(await h.directRequestPaymentRequestHash(loud)).toBe(await h.directRequestPaymentRequestHash(input));
      expect(await h.directRequestPaymentRequestHashV2(loud)).toBe(await h.directRequestPaymentRequestHashV2(input));
    });
  });

  describe('when the caller object has its own key order or extra keys', () => {
    it('v2 still hashes the canonical key order', async () => {
      const shuffled = { challenge: CHALLENGE, currency: 'JPY', extra: 'ignored', amount_minor: 4200, merchant: 'shop_alpha' };
      expect(await h.directRequestPaymentRequestHashV2(shuffled)).toBe(await h.directRequestPaymentRequestHashV2(input));
    });
  });

  describe('for random inputs', () => {
    it('matches the documented formulas', async () => {
      await fc.assert(
        fc.asyncProperty(
          fc.stringMatching(/^[a-z0-9][a-z0-9._-]{0,30}$/),
          fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }),
          fc.constantFrom('JPY', 'USD'),
          fc.string({ unit: 'grapheme', minLength: 1, maxLength: 80 }),
          async (merchant, amount_minor, currency, challenge) => {
            const sha = (s: string) => `sha256:${createHash('sha256').update(s, 'utf8').digest('hex')}`;
            const args = { merchant, amount_minor, currency, challenge };
            expect(await h.directRequestPaymentRequestHash(args)).toBe(sha(`${merchant}${amount_minor}${currency}${challenge}`));
            expect(await h.directRequestPaymentRequestHashV2(args)).toBe(
              sha(JSON.stringify({ amount_minor, challenge, currency, merchant, version: 2 })),
            );
          },
        ),
        { numRuns: 300 },
      );
    });
  });

  describe('when the input is invalid', () => {
    it.each([
      ['a float amount', { amount_minor: 1.5 }, 'amount_minor'],
      ['an unsupported currency', { currency: 'EUR' }, 'currency'],
      ['a bad merchant', { merchant: '-bad' }, 'merchant'],
      ['an empty challenge', { challenge: '' }, 'challenge'],
      ['a missing challenge', { challenge: undefined }, 'challenge'],
    ])('rejects %s, naming the field', async (_label, change, field) => {
      for (const fn of [h.directRequestPaymentRequestHash, h.directRequestPaymentRequestHashV2]) {
        const attempt = fn({ ...input, ...(change as object) } as never);
        await expect(attempt).rejects.toBeInstanceOf(rt.errors.SiglumeValidationError);
        await expect(fn({ ...input, ...(change as object) } as never)).rejects.toMatchObject({ field });
      }
    });
  });
});
