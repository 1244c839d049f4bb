/**
 * What a webhook route answers when verification throws. Siglume delivers an
 * event again after a 5xx (or 408 / 429, or no answer) and gives it up after
 * any other 4xx, so the status decides whether the event is kept or lost.
 */
import { SiglumeWebhookPayloadError, SiglumeWebhookSignatureError } from '../core/errors.js';

/**
 * A signature that is well formed but does not verify. From Siglume this means this server's secret or clock is
 * wrong (a secret deployed late in a rotation, a drifting clock), so the event must be kept for a retry.
 */
export const NOT_VERIFIED_YET: ReadonlySet<string> = new Set(['WEBHOOK_SIGNATURE_MISMATCH', 'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE']);

/** This server's setup, not the delivery: an empty secret, a body a framework parsed or read before the verifier (or whose stream failed). */
const SETUP = new Set(['WEBHOOK_SECRET_EMPTY', 'WEBHOOK_RAW_BODY_REQUIRED', 'WEBHOOK_BODY_UNREADABLE']);

/**
 * The HTTP status for a webhook delivery whose verification (or processing) threw `error`:
 * - **400**: a request Siglume did not send as it arrived: no or a malformed `Siglume-Signature`, a body that is
 *   not an event. Siglume does not deliver it again.
 * - **413**: `WEBHOOK_BODY_TOO_LARGE`.
 * - **503**: a well-formed signature that does not verify (`WEBHOOK_SIGNATURE_MISMATCH`,
 *   `WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE`): from Siglume that is this server's wrong secret or clock, for example
 *   between a rotation at Siglume and the deploy of the new secret, so Siglume keeps the event and delivers it again.
 *   A forged request gets the same answer and changes nothing. Alert on it.
 * - **500**: this server's setup (`WEBHOOK_SECRET_EMPTY`; `WEBHOOK_RAW_BODY_REQUIRED` or `WEBHOOK_BODY_UNREADABLE`:
 *   a body parser or middleware read the body first; the latter also when the body's stream failed mid-read) and any
 *   other error, such as your database failing.
 *
 * @example
 * try {
 *   const { event } = await verifyDirectRequestPaymentWebhookRequest(request, secret);
 *   // ... process event once ...
 *   return new Response(null, { status: 204 });
 * } catch (error) {
 *   return new Response(null, { status: webhookErrorStatus(error) });
 * }
 */
export function webhookErrorStatus(error: unknown): 400 | 413 | 500 | 503 {
  if (!(error instanceof SiglumeWebhookSignatureError || error instanceof SiglumeWebhookPayloadError)) return 500;
  const code = error.code;
  if (SETUP.has(code)) return 500;
  if (NOT_VERIFIED_YET.has(code)) return 503;
  return code === 'WEBHOOK_BODY_TOO_LARGE' ? 413 : 400;
}
