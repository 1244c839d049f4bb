/**
 * Recurring challenges (scheme `siglume-external-402-recurring-v1`), for a
 * subscription (`monthly`) or a scheduled autopay (`daily`). Same shape as a
 * one-time challenge, with the cadence signed too:
 * `<merchant>:<amount_minor>:<CURRENCY>:<cadence>:<nonce>`.
 *
 * A recurring challenge never verifies as a one-time one, nor the reverse:
 * the scheme is checked before the signature.
 */
import { DIRECT_REQUEST_PAYMENT_RECURRING_CHALLENGE_SCHEME, type RECURRING_CADENCES } from '../core/constants.js';
import { hmacSha256Hex, randomId } from '../core/crypto.js';
import type { DirectRequestPaymentCurrency } from '../core/validation.js';
import { parseInput, recurringCadenceSchema } from '../core/validation.js';
import {
  issueChallenge,
  challengeInput,
  parseChallengeFields,
  parseNonce,
  verifyChallengeString,
  type ChallengeFields,
} from '../internal/challenge-input.js';

/** `monthly` (subscription) or `daily` (scheduled autopay). */
export type DirectRequestPaymentRecurringCadence = (typeof RECURRING_CADENCES)[number];

/** Input of {@link createDirectRequestPaymentRecurringChallenge}. */
export interface DirectRequestPaymentRecurringChallengeCreateInput {
  /** The merchant's challenge secret. Never leaves the server. */
  secret: string;
  /** Merchant key, `^[a-z0-9][a-z0-9._-]{0,95}$` (lower-cased). */
  merchant: string;
  /** Price per period in minor units (positive safe integer). */
  amount_minor: number;
  /** `JPY` or `USD` (case-insensitive). */
  currency: string;
  /** Billing cadence. */
  cadence: DirectRequestPaymentRecurringCadence;
  /**
   * One-time value, non-empty, without `:`.
   * @default a random UUID
   */
  nonce?: string | undefined;
}

/** Input of {@link createDirectRequestPaymentRecurringChallengeSignature}: the nonce is required. */
export interface DirectRequestPaymentRecurringChallengeSignatureInput
  extends DirectRequestPaymentRecurringChallengeCreateInput {
  nonce: string;
}

/** Input of {@link verifyDirectRequestPaymentRecurringChallenge}. */
export interface DirectRequestPaymentRecurringChallengeVerifyInput {
  secret: string;
  merchant: string;
  amount_minor: number;
  currency: string;
  cadence: DirectRequestPaymentRecurringCadence;
  /** The challenge string that came back with the payment. */
  challenge: string;
}

/** The fields of {@link createDirectRequestPaymentRecurringChallengeSignature} when the secret comes first (0.4.20). */
export type DirectRequestPaymentRecurringChallengeSignatureFields = Omit<DirectRequestPaymentRecurringChallengeSignatureInput, 'secret'>;

/** The fields of {@link verifyDirectRequestPaymentRecurringChallenge} when the secret comes first (0.4.20). */
export type DirectRequestPaymentRecurringChallengeVerifyFields = Omit<DirectRequestPaymentRecurringChallengeVerifyInput, 'secret'>;

/** A recurring challenge and everything derived from it. */
export interface DirectRequestPaymentRecurringChallenge {
  scheme: typeof DIRECT_REQUEST_PAYMENT_RECURRING_CHALLENGE_SCHEME;
  merchant: string;
  amount_minor: number;
  currency: DirectRequestPaymentCurrency;
  cadence: DirectRequestPaymentRecurringCadence;
  nonce: string;
  /** HMAC-SHA256, lower-case hex. */
  signature: string;
  /** `<scheme>:<nonce>:<signature>`: what the buyer receives. */
  challenge: string;
  /** `sha256:` + hex SHA-256 of `challenge`. */
  challenge_hash: string;
}

function material(f: ChallengeFields, cadence: string, nonce: string): string {
  return `${f.merchant}:${f.amount_minor}:${f.currency}:${cadence}:${nonce}`;
}

/**
 * The signature of a recurring challenge: HMAC-SHA256 (hex) of
 * `<merchant>:<amount_minor>:<CURRENCY>:<cadence>:<nonce>`.
 *
 * @throws {SiglumeValidationError} naming the invalid field.
 */
export async function createDirectRequestPaymentRecurringChallengeSignature(
  input: DirectRequestPaymentRecurringChallengeSignatureInput,
): Promise<string>;
/** The 0.4.20 argument list: the secret first, then the fields. */
export async function createDirectRequestPaymentRecurringChallengeSignature(
  secret: string,
  input: DirectRequestPaymentRecurringChallengeSignatureFields,
): Promise<string>;
export async function createDirectRequestPaymentRecurringChallengeSignature(first: unknown, second?: unknown): Promise<string> {
  const fn = 'createDirectRequestPaymentRecurringChallengeSignature';
  const input = challengeInput(first, second, fn);
  const f = parseChallengeFields(input, fn);
  const cadence = parseInput(recurringCadenceSchema, input.cadence, 'cadence');
  const nonce = parseNonce(input.nonce);
  return hmacSha256Hex(f.secret, [material(f, cadence, nonce)]);
}

/**
 * Creates a recurring challenge for a price and cadence.
 *
 * @throws {SiglumeValidationError} naming the invalid field (`secret`, `merchant`,
 *   `amount_minor`, `currency`, `cadence`, `nonce`). The secret's value is never echoed.
 * @example
 * const c = await createDirectRequestPaymentRecurringChallenge({
 *   secret, merchant: 'shop_alpha', amount_minor: 980, currency: 'JPY', cadence: 'monthly',
 * });
 */
export async function createDirectRequestPaymentRecurringChallenge(
  input: DirectRequestPaymentRecurringChallengeCreateInput,
): Promise<DirectRequestPaymentRecurringChallenge> {
  const f = parseChallengeFields(input, 'createDirectRequestPaymentRecurringChallenge');
  const cadence = parseInput(recurringCadenceSchema, input.cadence, 'cadence');
  // No nonce, null or "" means "make one", as in 0.4.20.
  const nonce = input.nonce === undefined || input.nonce === null || input.nonce === '' ? randomId() : parseNonce(input.nonce);
  const { scheme, signature, challenge, challenge_hash } = await issueChallenge(
    DIRECT_REQUEST_PAYMENT_RECURRING_CHALLENGE_SCHEME,
    f.secret,
    nonce,
    material(f, cadence, nonce),
  );
  // Built field by field: spreading the issued object here measured ~2.5x slower.
  return {
    scheme,
    merchant: f.merchant,
    amount_minor: f.amount_minor,
    currency: f.currency,
    cadence,
    nonce,
    signature,
    challenge,
    challenge_hash,
  };
}

/**
 * Checks that `challenge` is a recurring challenge this merchant issued for
 * exactly this price and cadence. Returns false (never throws) for a
 * malformed challenge, a one-time challenge, or a signature that does not
 * match; the comparison is constant-time and ignores the case of the
 * signature's hex.
 *
 * @throws {SiglumeValidationError} only for invalid `secret`, `merchant`,
 *   `amount_minor`, `currency` or `cadence`.
 */
export async function verifyDirectRequestPaymentRecurringChallenge(
  input: DirectRequestPaymentRecurringChallengeVerifyInput,
): Promise<boolean>;
/** The 0.4.20 argument list: the secret first, then the fields and the challenge. */
export async function verifyDirectRequestPaymentRecurringChallenge(
  secret: string,
  input: DirectRequestPaymentRecurringChallengeVerifyFields,
): Promise<boolean>;
export async function verifyDirectRequestPaymentRecurringChallenge(first: unknown, second?: unknown): Promise<boolean> {
  const fn = 'verifyDirectRequestPaymentRecurringChallenge';
  const input = challengeInput(first, second, fn);
  const f = parseChallengeFields(input, fn);
  const cadence = parseInput(recurringCadenceSchema, input.cadence, 'cadence');
  return verifyChallengeString(DIRECT_REQUEST_PAYMENT_RECURRING_CHALLENGE_SCHEME, f.secret, input.challenge, (nonce) =>
    material(f, cadence, nonce),
  );
}

/**
 * Legacy name of {@link createDirectRequestPaymentRecurringChallenge}.
 * @deprecated Use `createDirectRequestPaymentRecurringChallenge`.
 */
export const createExternal402RecurringChallenge = createDirectRequestPaymentRecurringChallenge;

/**
 * Legacy name of {@link verifyDirectRequestPaymentRecurringChallenge}.
 * @deprecated Use `verifyDirectRequestPaymentRecurringChallenge`.
 */
export const verifyExternal402RecurringChallenge = verifyDirectRequestPaymentRecurringChallenge;
