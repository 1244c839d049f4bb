/**
 * Input checks and signed-material helpers shared by the one-time and the
 * recurring challenge modules.
 */
import { hmacSha256Hex, sha256Tagged, timingSafeEqualString } from '../core/crypto.js';
import { SiglumeValidationError } from '../core/errors.js';
import {
  challengeMerchantKeySchema,
  currencySchema,
  nonceSchema,
  parseInput,
  positiveSafeIntegerSchema,
  type DirectRequestPaymentCurrency,
} from '../core/validation.js';
import { assertSecret } from './secrets.js';

/** The priced fields every challenge signs, normalized. */
export interface ChallengeFields {
  secret: string;
  merchant: string;
  amount_minor: number;
  currency: DirectRequestPaymentCurrency;
}

/** Throws unless the argument is an object, so field checks can name fields. */
export function assertInputObject(input: unknown, fn: string): asserts input is Record<string, unknown> {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw new SiglumeValidationError('input', `Invalid input: ${fn} takes an input object`);
  }
}

/**
 * The one input object of a challenge function, from either argument list:
 * `(input)` with `input.secret`, or the 0.4.20 `(secret, input)`, whose
 * positional secret wins over an `input.secret`.
 */
export function challengeInput(first: unknown, second: unknown, fn: string): Record<string, unknown> {
  // Two arguments mean the 0.4.20 list whatever the first holds, so an unset
  // secret (`fn(process.env.X, input)`) is reported as the secret, not as a bad input.
  if (second !== undefined || typeof first === 'string') {
    assertInputObject(second, fn);
    return { ...second, secret: first };
  }
  assertInputObject(first, fn);
  return first;
}

/** Checks and normalizes secret, merchant (lower-cased), amount_minor and currency (upper-cased). */
export function parseChallengeFields(input: unknown, fn: string): ChallengeFields {
  assertInputObject(input, fn);
  // Trimmed, as 0.4.20 did: a secret read with its trailing newline signs the same.
  const secret = typeof input.secret === 'string' ? input.secret.trim() : input.secret;
  assertSecret(secret, 'secret', 'SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET');
  return {
    secret,
    merchant: parseInput(challengeMerchantKeySchema, input.merchant, 'merchant'),
    amount_minor: parseInput(positiveSafeIntegerSchema, input.amount_minor, 'amount_minor'),
    currency: parseInput(currencySchema, input.currency, 'currency'),
  };
}

/** Checks a caller-supplied nonce: non-empty, no `:`. */
export function parseNonce(value: unknown): string {
  return parseInput(nonceSchema, value, 'nonce');
}

/** A challenge string split into its parts, or null when it does not have exactly three non-empty parts. */
export function splitChallenge(challenge: unknown): { scheme: string; nonce: string; signature: string } | null {
  if (typeof challenge !== 'string') return null;
  const first = challenge.indexOf(':');
  if (first <= 0) return null;
  const second = challenge.indexOf(':', first + 1);
  if (second === -1 || second === first + 1 || second === challenge.length - 1) return null;
  if (challenge.indexOf(':', second + 1) !== -1) return null;
  return {
    scheme: challenge.slice(0, first),
    nonce: challenge.slice(first + 1, second),
    signature: challenge.slice(second + 1),
  };
}

/** `sha256:` + hex SHA-256 of a challenge string (no input checks). */
export async function hashChallenge(challenge: string): Promise<string> {
  return sha256Tagged(challenge);
}

/**
 * Signs `material` and builds the challenge string and its hash: the steps a
 * one-time and a recurring challenge share; only scheme and material differ.
 */
export async function issueChallenge<S extends string>(
  scheme: S,
  secret: string,
  nonce: string,
  material: string,
): Promise<{ scheme: S; nonce: string; signature: string; challenge: string; challenge_hash: string }> {
  const signature = await hmacSha256Hex(secret, [material]);
  const challenge = `${scheme}:${nonce}:${signature}`;
  return { scheme, nonce, signature, challenge, challenge_hash: await hashChallenge(challenge) };
}

/** The signature's hex in lower case (ASCII A-F only: nothing else lower-cases into a hex digit). */
const lowerHex = (signature: string) => signature.replace(/[A-F]+/g, (hex) => hex.toLowerCase());

/**
 * The challenge as its issuer wrote it: the signature part in lower-case hex. Verification ignores
 * the hex's case, so a server that keeps challenges single-use must look them up in this form: an
 * upper-cased variant of a redeemed challenge verifies too, and must not count as a new one.
 */
export function canonicalChallenge(challenge: string): string {
  const parts = splitChallenge(challenge);
  return parts ? `${parts.scheme}:${parts.nonce}:${lowerHex(parts.signature)}` : challenge;
}

/**
 * True when `challenge` has the given scheme and a signature over
 * `materialFor(nonce)` made with `secret`; false (never a throw) for any
 * malformed string or another scheme. Constant-time comparison; the hex of
 * the signature part may be in any case, as 0.4.20 accepted.
 */
export async function verifyChallengeString(
  scheme: string,
  secret: string,
  challenge: unknown,
  materialFor: (nonce: string) => string,
): Promise<boolean> {
  const parts = splitChallenge(challenge);
  if (!parts || parts.scheme !== scheme) return false;
  const expected = await hmacSha256Hex(secret, [materialFor(parts.nonce)]);
  // The compare stays a single constant-time call on equal-length strings.
  return timingSafeEqualString(expected, lowerHex(parts.signature));
}
