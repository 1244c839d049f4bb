/**
 * The Idempotency-Key of a checkout start's `createCheckoutSession`. A start
 * whose answer from Siglume was lost (Siglume made the session, the shop never
 * heard) releases its attempt; the next start reuses the attempt, and under
 * the same key Siglume hands that session back instead of making a second one.
 */
import { sha256Hex } from '../core/crypto.js';
import type { DirectRequestPaymentCheckoutSessionCreateInput } from '../clients/schemas/checkout-session.js';

/** Attempt ids put into the key as they are; any other storable id (spaces, non-ASCII, 256 characters) is hashed. */
const PLAIN_ATTEMPT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * `sdrp-order-checkout-<attempt>-<16 hex of the request's SHA-256>`, at most
 * 101 printable ASCII characters (keys may have 255). `<attempt>` is the
 * attempt id, or `sha256.` and 32 hex of its hash when it has other
 * characters (the `.` keeps the two forms apart). The request hash makes a
 * changed request (the shop moved to another origin, another merchant key) a
 * new key, so Siglume makes a new session for it instead of answering 409
 * `IDEMPOTENCY_KEY_REUSED_WITH_DIFFERENT_PAYLOAD` to every start of the attempt.
 *
 * @param input exactly what is sent: the same object, in the same key order.
 */
export async function checkoutIdempotencyKey(attempt_id: string, input: DirectRequestPaymentCheckoutSessionCreateInput): Promise<string> {
  const attempt = PLAIN_ATTEMPT_ID.test(attempt_id) ? attempt_id : `sha256.${(await sha256Hex(attempt_id)).slice(0, 32)}`;
  const request = (await sha256Hex(JSON.stringify(input))).slice(0, 16);
  return `sdrp-order-checkout-${attempt}-${request}`;
}
