/**
 * Verifying a webhook delivered as a Fetch API `Request` (Next.js route
 * handlers, workers, Hono, Deno, Bun): reads the raw bytes and the
 * `siglume-signature` header itself, so there is no body parser to get wrong.
 */
import { WEBHOOK_SIGNATURE_HEADER } from '../core/constants.js';
import { SiglumeValidationError, SiglumeWebhookPayloadError, SiglumeWebhookSignatureError } from '../core/errors.js';
import { normalizeSecrets } from '../internal/secrets.js';
import { verifyDirectRequestPaymentWebhook, type DirectRequestPaymentVerifiedWebhook } from './event.js';
import type { WebhookVerifyOptions } from './signature.js';

/** The part of a Fetch API `Request` this module reads. */
type RequestLike = Pick<Request, 'headers' | 'arrayBuffer' | 'bodyUsed'>;

/**
 * Verifies a webhook `Request` and returns its event. Consumes the request
 * body.
 *
 * @param request - The incoming Fetch API `Request`, unread.
 * @param secret - The endpoint's signing secret (`whsec_...`), or several while rotating.
 * @throws {SiglumeWebhookSignatureError} `WEBHOOK_SIGNATURE_MISSING` when the request has no
 *   `Siglume-Signature` header, or any other verification failure.
 * @throws {SiglumeWebhookPayloadError} `WEBHOOK_BODY_UNREADABLE` when the body was already read,
 *   or the body is not a valid event.
 * @example
 * // app/api/webhooks/siglume/route.ts (Next.js)
 * export async function POST(request: Request) {
 *   try {
 *     const { event } = await verifyDirectRequestPaymentWebhookRequest(request, process.env.SIGLUME_WEBHOOK_SECRET!);
 *     // handle event ...
 *     return new Response(null, { status: 200 });
 *   } catch {
 *     return new Response('invalid webhook', { status: 400 });
 *   }
 * }
 */
export async function verifyDirectRequestPaymentWebhookRequest(
  request: Request,
  secret: string | readonly string[],
  opts?: WebhookVerifyOptions,
): Promise<DirectRequestPaymentVerifiedWebhook> {
  const secrets = normalizeSecrets(secret);
  const req = request as RequestLike | null | undefined;
  if (!req || typeof req.headers?.get !== 'function' || typeof req.arrayBuffer !== 'function') {
    throw new SiglumeValidationError('request', 'Invalid request: must be a Fetch API Request');
  }
  const header = req.headers.get(WEBHOOK_SIGNATURE_HEADER);
  // Checked before reading the body: a request without a signature is not worth buffering.
  if (header === null || header === '') {
    throw new SiglumeWebhookSignatureError(
      'The request has no Siglume-Signature header, so it cannot be verified as a Siglume webhook',
      { code: 'WEBHOOK_SIGNATURE_MISSING' },
    );
  }
  let body: ArrayBuffer;
  try {
    body = await req.arrayBuffer();
  } catch (cause) {
    throw new SiglumeWebhookPayloadError(
      req.bodyUsed
        ? 'The request body was already read; verify the webhook before anything else reads the body (or pass a request.clone())'
        : 'The request body could not be read',
      { code: 'WEBHOOK_BODY_UNREADABLE', cause },
    );
  }
  return verifyDirectRequestPaymentWebhook(secrets, body, header, opts);
}
