/**
 * The one check every webhook entry point makes first: the body must be the
 * raw bytes or text that was signed, never a parsed object.
 */
import { SiglumeWebhookPayloadError } from '../core/errors.js';

const OBJECT_TAG = Object.prototype.toString;

/**
 * Returns the body as something the HMAC can consume, or throws: anything but
 * the raw bytes/text is refused, because verifying a re-serialized object
 * fails (JSON.stringify does not reproduce the sender's bytes).
 */
export function rawBodyPart(body: unknown): string | Uint8Array {
  if (typeof body === 'string' || body instanceof Uint8Array) return body;
  if (body instanceof ArrayBuffer) return new Uint8Array(body);
  // Buffers and ArrayBuffers from another realm (vm contexts, test sandboxes) fail instanceof.
  const tag = OBJECT_TAG.call(body);
  if (tag === '[object Uint8Array]') return body as Uint8Array;
  if (tag === '[object ArrayBuffer]') return new Uint8Array(body as ArrayBuffer);
  const what =
    body === undefined || body === null
      ? 'no body was given'
      : typeof body === 'object'
        ? 'got an object instead (a JSON body parser ran first, or express.raw() did not match the Content-Type)'
        : `got a ${typeof body}`;
  throw new SiglumeWebhookPayloadError(
    `The webhook body must be the raw request body (string, Buffer/Uint8Array or ArrayBuffer); ${what}. ` +
      'A signature is computed over the exact bytes sent, which re-serializing a parsed object does not reproduce. ' +
      "In Express mount express.raw({ type: 'application/json' }) on the webhook route (with the Siglume router, which " +
      'does, mount the router before app.use(express.json())); ' +
      "in Fastify add a content-type parser with { parseAs: 'buffer' } in the webhook route's own scope; " +
      'in a Fetch handler (Hono, Next.js, Workers) pass await request.arrayBuffer() or use verifyDirectRequestPaymentWebhookRequest.',
    { code: 'WEBHOOK_RAW_BODY_REQUIRED' },
  );
}
