/**
 * The 0.4.20 argument lists of the challenge functions (CONTRACT-2 section
 * 21.3): `(secret, input)` for the signature and verify functions, next to
 * this package's `(input)` with `input.secret`.
 */
import { describe, expect, it } from 'vitest';
import {
  createDirectRequestPaymentChallenge,
  createDirectRequestPaymentChallengeSignature,
  verifyDirectRequestPaymentChallenge,
} from '../../src/challenges/challenge.js';
import {
  createDirectRequestPaymentRecurringChallenge,
  createDirectRequestPaymentRecurringChallengeSignature,
  verifyDirectRequestPaymentRecurringChallenge,
} from '../../src/challenges/recurring.js';
import { SiglumeValidationError } from '../../src/core/errors.js';

const SECRET = 'cs_argument_lists_secret_01';
const FIELDS = { merchant: 'shop_alpha', amount_minor: 4200, currency: 'JPY' };

describe('createDirectRequestPaymentChallengeSignature', () => {
  it('signs the same with the secret first (0.4.20) and inside the input', async () => {
    const positional = await createDirectRequestPaymentChallengeSignature(SECRET, { ...FIELDS, nonce: 'n1' });
    expect(positional).toBe(await createDirectRequestPaymentChallengeSignature({ ...FIELDS, secret: SECRET, nonce: 'n1' }));
    expect(positional).not.toBe(await createDirectRequestPaymentChallengeSignature(SECRET, { ...FIELDS, nonce: 'n2' }));
  });

  it('lets the positional secret win over one in the input', async () => {
    const withOther = await createDirectRequestPaymentChallengeSignature(SECRET, { ...FIELDS, nonce: 'n1', secret: 'cs_other' } as never);
    expect(withOther).toBe(await createDirectRequestPaymentChallengeSignature({ ...FIELDS, secret: SECRET, nonce: 'n1' }));
  });

  it('trims the secret, as 0.4.20 did, and refuses a blank one without echoing it', async () => {
    expect(await createDirectRequestPaymentChallengeSignature(`${SECRET}\n`, { ...FIELDS, nonce: 'n1' })).toBe(
      await createDirectRequestPaymentChallengeSignature(SECRET, { ...FIELDS, nonce: 'n1' }),
    );
    await expect(createDirectRequestPaymentChallengeSignature('   ', { ...FIELDS, nonce: 'n1' })).rejects.toMatchObject({ field: 'secret' });
  });

  it('names the secret when the 0.4.20 list is given an unset one', async () => {
    for (const secret of [undefined, null, 42]) {
      const error = await (createDirectRequestPaymentChallengeSignature as (...a: unknown[]) => Promise<string>)(secret, { ...FIELDS, nonce: 'n1' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SiglumeValidationError);
      expect(error).toMatchObject({ field: 'secret' });
    }
  });

  it('names the input when the second argument is missing', async () => {
    const error = await (createDirectRequestPaymentChallengeSignature as (...a: unknown[]) => Promise<string>)(SECRET).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SiglumeValidationError);
    expect(error).toMatchObject({ field: 'input' });
  });
});

describe('verifyDirectRequestPaymentChallenge', () => {
  it('verifies with either argument list and refuses another price or secret', async () => {
    const { challenge } = await createDirectRequestPaymentChallenge({ ...FIELDS, secret: SECRET });
    expect(await verifyDirectRequestPaymentChallenge(SECRET, { ...FIELDS, challenge })).toBe(true);
    expect(await verifyDirectRequestPaymentChallenge({ ...FIELDS, secret: SECRET, challenge })).toBe(true);
    expect(await verifyDirectRequestPaymentChallenge(SECRET, { ...FIELDS, amount_minor: 4201, challenge })).toBe(false);
    expect(await verifyDirectRequestPaymentChallenge('cs_wrong_secret_000', { ...FIELDS, challenge })).toBe(false);
  });
});

describe('recurring challenges', () => {
  it('sign and verify with either argument list, bound to the cadence', async () => {
    const a = await createDirectRequestPaymentRecurringChallengeSignature(SECRET, { ...FIELDS, cadence: 'monthly', nonce: 'r1' });
    expect(a).toBe(await createDirectRequestPaymentRecurringChallengeSignature({ ...FIELDS, secret: SECRET, cadence: 'monthly', nonce: 'r1' }));
    const { challenge } = await createDirectRequestPaymentRecurringChallenge({ ...FIELDS, secret: SECRET, cadence: 'daily' });
    expect(await verifyDirectRequestPaymentRecurringChallenge(SECRET, { ...FIELDS, cadence: 'daily', challenge })).toBe(true);
    expect(await verifyDirectRequestPaymentRecurringChallenge({ ...FIELDS, secret: SECRET, cadence: 'daily', challenge })).toBe(true);
    expect(await verifyDirectRequestPaymentRecurringChallenge(SECRET, { ...FIELDS, cadence: 'monthly', challenge })).toBe(false);
  });
});
