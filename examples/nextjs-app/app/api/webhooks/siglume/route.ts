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
} from '@siglume/direct-request-payment';

// Node.js is the default runtime; no `runtime` / `dynamic` export, which `cacheComponents` (on in new projects) refuses.

export async function POST(request: Request): Promise<Response> {
  let event;
  try {
    ({ event } = await verifyDirectRequestPaymentWebhookRequest(request, process.env.SIGLUME_WEBHOOK_SECRET!));
  } catch (error) {
    if (error instanceof SiglumeWebhookSignatureError || error instanceof SiglumeWebhookPayloadError) {
      return Response.json({ error: error.code }, { status: 400 });
    }
    throw error;
  }
  const result = classifyDirectPaymentConfirmation(event);
  // A shop marks the order paid only on result.kind === 'standard_settled'.
  return Response.json({ id: event.id, kind: result.kind, runtime: 'nodejs' });
}
