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
    // Refused: 400 (Siglume stops). An empty secret is this app's own fault: thrown, a 500, so Siglume retries.
    const refused = error instanceof SiglumeWebhookSignatureError && error.code !== 'WEBHOOK_SECRET_EMPTY';
    if (refused || error instanceof SiglumeWebhookPayloadError) return Response.json({ error: error.code }, { status: 400 });
    throw error;
  }
  const result = classifyDirectPaymentConfirmation(event);
  // A shop marks the order paid only on result.kind === 'standard_settled'.
  return Response.json({ id: event.id, kind: result.kind, runtime: 'nodejs' });
}
