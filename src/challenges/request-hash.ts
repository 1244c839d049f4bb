/**
 * Request hashes: a digest binding a payment request to its price and
 * challenge, so both sides can check they are talking about the same request.
 *
 * - v1: `sha256:` + hex SHA-256 of `<merchant><amount_minor><CURRENCY><challenge>`
 *   (plain concatenation, no separators).
 * - v2: `sha256:` + hex SHA-256 of
 *   `JSON.stringify({ amount_minor, challenge, currency, merchant, version: 2 })`,
 *   keys in exactly that order. Prefer v2: its fields cannot run into each other.
 */
import * as z from 'zod/mini';
import { sha256Tagged } from '../core/crypto.js';
import {
  challengeMerchantKeySchema,
  currencySchema,
  parseInput,
  positiveSafeIntegerSchema,
} from '../core/validation.js';

/** Input of {@link directRequestPaymentRequestHash} and {@link directRequestPaymentRequestHashV2}. */
export interface DirectRequestPaymentRequestHashInput {
  /** Merchant key (lower-cased before hashing). */
  merchant: string;
  /** Price in minor units (positive safe integer). */
  amount_minor: number;
  /** `JPY` or `USD` (upper-cased before hashing). */
  currency: string;
  /** The challenge string. */
  challenge: string;
}

// Built on first use (z.lazy), so importing the package builds nothing.
const requestHashInputSchema = z.lazy(() => z.object(
  {
    merchant: challengeMerchantKeySchema,
    amount_minor: positiveSafeIntegerSchema,
    currency: currencySchema,
    challenge: z.string({ error: 'must be a string' }).check(z.minLength(1, { error: 'must not be empty' })),
  },
  { error: 'must be an object with merchant, amount_minor, currency and challenge' },
));

/**
 * Request hash v1.
 *
 * @throws {SiglumeValidationError} naming the invalid field.
 * @example
 * await directRequestPaymentRequestHash({ merchant: 'shop_alpha', amount_minor: 4200, currency: 'JPY', challenge });
 * // 'sha256:b7dc...'
 */
export async function directRequestPaymentRequestHash(input: DirectRequestPaymentRequestHashInput): Promise<string> {
  const v = parseInput(requestHashInputSchema, input);
  return sha256Tagged(`${v.merchant}${v.amount_minor}${v.currency}${v.challenge}`);
}

/**
 * Request hash v2.
 *
 * @throws {SiglumeValidationError} naming the invalid field.
 */
export async function directRequestPaymentRequestHashV2(input: DirectRequestPaymentRequestHashInput): Promise<string> {
  const v = parseInput(requestHashInputSchema, input);
  // Built literally so the key order is fixed by this source, not by the caller's object.
  const canonical = JSON.stringify({
    amount_minor: v.amount_minor,
    challenge: v.challenge,
    currency: v.currency,
    merchant: v.merchant,
    version: 2,
  });
  return sha256Tagged(canonical);
}
