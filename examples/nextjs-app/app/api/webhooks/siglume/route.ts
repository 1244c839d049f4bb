/**
 * POST /api/webhooks/siglume on the Node.js runtime: verify, then classify.
 *
 * `verifyDirectRequestPaymentWebhookRequest` reads the raw body and the
 * `Siglume-Signature` header itself; nothing may read the body before it.
 * A real shop records `event.id` in the same transaction as the order update
 * (see examples/nextjs-route-handler.ts and docs/webhooks.md).
 */
import {
  SiglumeWebhookPayloadError,
  SiglumeWebhookSignatureError,
  classifyDirectPaymentConfirmation,
  verifyDirectRequestPaymentWebhookRequest,
  webhookErrorStatus,
} from '@siglume/direct-request-payment';

// Node.js is the default runtime; no `runtime` / `dynamic` export, which `cacheComponents` (on in new projects) refuses.

export async function POST(request: Request): Promise<Response> {
  let event;
  try {
    ({ event } = await verifyDirectRequestPaymentWebhookRequest(request, process.env.SIGLUME_WEBHOOK_SECRET!));
  } catch (error) {
    // 400 for a request Siglume did not send (Siglume stops); 503 for a signature that does not verify and 500 for
    // this app's setup (an empty secret, a body read first), so Siglume keeps the event until it is fixed.
    if (!(error instanceof SiglumeWebhookSignatureError || error instanceof SiglumeWebhookPayloadError)) throw error;
    return Response.json({ error: error.code }, { status: webhookErrorStatus(error) });
  }
  const result = classifyDirectPaymentConfirmation(event);
  // A shop marks the order paid only on result.kind === 'standard_settled'.
  return Response.json({ id: event.id, kind: result.kind, runtime: 'nodejs' });
}
