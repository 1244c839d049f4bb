/**
 * The two routes as Fetch API handlers, `(Request) => Promise<Response>`, so
 * Next.js route handlers, Hono, workers, Deno and Bun mount them directly.
 * Bodies are read with a cap; a body that cannot be read or parsed is a 4xx.
 */
import { readCappedBytes } from '../core/bytes.js';
import { WEBHOOK_SIGNATURE_HEADER } from '../core/constants.js';
import { SiglumeWebhookPayloadError } from '../core/errors.js';
import { refuseCheckout, startOrderCheckout, type OrderCheckoutStartResult } from './checkout.js';
import type { ResolvedOrderCheckoutOptions } from './options.js';
import { ORDER_WEBHOOK_MAX_BODY_BYTES, handleOrderWebhook, refuseWebhook, type OrderWebhookResult } from './webhook.js';

/** Largest checkout-start body accepted, bytes (16 KiB). */
export const ORDER_CHECKOUT_MAX_BODY_BYTES = 16 * 1024;

type BodyRead = { kind: 'ok'; bytes: Uint8Array } | { kind: 'too_large' } | { kind: 'used' } | { kind: 'unreadable' };

/** Reads at most `cap` bytes of a request body; stops reading as soon as the cap is passed. */
export async function readRequestBody(request: Request, cap: number): Promise<BodyRead> {
  const declared = Number(request.headers.get('content-length'));
  if (Number.isFinite(declared) && declared > cap) return { kind: 'too_large' };
  // Locked: a middleware took a reader without reading it all, which is the same setup error as a body read first.
  if (request.bodyUsed || request.body?.locked) return { kind: 'used' };
  if (!request.body) return { kind: 'ok', bytes: new Uint8Array(0) };
  const tooLarge = new RangeError('body over the cap');
  try {
    return { kind: 'ok', bytes: await readCappedBytes(request.body.getReader(), cap, () => tooLarge) };
  } catch (error) {
    return error === tooLarge ? { kind: 'too_large' } : { kind: 'unreadable' };
  }
}

/** The answer of a checkout start as a `Response` (JSON body, no caching). */
export function checkoutResponse(result: OrderCheckoutStartResult): Response {
  return Response.json(result.body, { status: result.status, headers: { 'cache-control': 'no-store' } });
}

/** The answer of a webhook delivery as a `Response` (204 without a body, else JSON). */
export function webhookResponse(result: OrderWebhookResult): Response {
  return result.kind === 'processed' ? new Response(null, { status: 204 }) : Response.json(result.body, { status: result.status });
}

/**
 * True for a JSON media type (`application/json`, `application/*+json`, with or without parameters). A page on
 * another site can send a form or a no-cors `fetch` (`text/plain`) with the buyer's cookies, but not
 * `application/json` without a CORS preflight the shop does not allow.
 */
const isJsonContentType = (value: string | null) => /^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(value ?? '');

/** `POST /payments/checkout/siglume/start` as a Fetch handler; JSON `{ order_id }` in, as `application/json` only. */
export async function handleCheckoutFetch<U>(o: ResolvedOrderCheckoutOptions<U>, request: Request): Promise<Response> {
  if (!isJsonContentType(request.headers.get('content-type'))) {
    return checkoutResponse(refuseCheckout(400, 'invalid_request', 'Send the body as JSON {"order_id": "..."} with Content-Type: application/json'));
  }
  const read = await readRequestBody(request, ORDER_CHECKOUT_MAX_BODY_BYTES);
  if (read.kind === 'too_large') return checkoutResponse(refuseCheckout(413, 'payload_too_large', `The body exceeds ${ORDER_CHECKOUT_MAX_BODY_BYTES} bytes`));
  let body: unknown;
  try {
    if (read.kind !== 'ok') throw new Error('unreadable');
    body = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(read.bytes));
  } catch {
    return checkoutResponse(refuseCheckout(400, 'invalid_request', 'The body must be JSON {"order_id": "..."}'));
  }
  const orderId = body !== null && typeof body === 'object' && !Array.isArray(body) ? (body as Record<string, unknown>).order_id : undefined;
  let user: U;
  try {
    user = o.currentUser ? await o.currentUser(request) : (undefined as U);
  } catch (error) {
    o.report(error, { operation: 'checkout' });
    return checkoutResponse(refuseCheckout(500, 'checkout_failed', 'Could not start the checkout; try again'));
  }
  return checkoutResponse(await startOrderCheckout(o, orderId, user));
}

/** `POST /payments/webhooks/siglume` as a Fetch handler: raw bytes and the signature header, read here. */
export async function handleWebhookFetch<U>(o: ResolvedOrderCheckoutOptions<U>, request: Request): Promise<Response> {
  const read = await readRequestBody(request, ORDER_WEBHOOK_MAX_BODY_BYTES);
  if (read.kind === 'too_large') return webhookResponse(refuseWebhook(413, 'payload_too_large', `The body exceeds ${ORDER_WEBHOOK_MAX_BODY_BYTES} bytes`));
  if (read.kind === 'used') {
    // A setup error, as a JSON parser before the Express route is: something (a body parser, a logging middleware)
    // read the body first. A 400 would tell Siglume to stop delivering; 500 keeps the event until it is fixed.
    const message =
      'The webhook request body was already read before the Siglume handler (a body parser or logging middleware ran first): mount the Siglume routes before it';
    o.report(new SiglumeWebhookPayloadError(message, { code: 'WEBHOOK_RAW_BODY_REQUIRED' }), { operation: 'webhook' });
    return webhookResponse(refuseWebhook(500, 'webhook_raw_body_unavailable', message));
  }
  if (read.kind !== 'ok') {
    // The stream failed mid-read (the sender went away, a proxy cut it): nothing was verified, so Siglume must deliver
    // again. Not reported: anyone can open a request and drop it, and Siglume's own retry arrives whole.
    return webhookResponse(refuseWebhook(500, 'webhook_processing_failed', 'The request body could not be read; Siglume delivers it again'));
  }
  return webhookResponse(await handleOrderWebhook(o, read.bytes, request.headers.get(WEBHOOK_SIGNATURE_HEADER)));
}
