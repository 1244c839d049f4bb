/**
 * POST /api/webhooks/siglume-edge on the Edge runtime: the same route as
 * ../siglume/route.ts. No config is needed: the package's `#platform` import
 * resolves to its fetch-only side under the `edge-light` condition, so the
 * edge bundle carries neither undici nor any `node:` module, and signatures
 * are checked with Web Crypto.
 */
import {
  SiglumeWebhookPayloadError,
  SiglumeWebhookSignatureError,
  classifyDirectPaymentConfirmation,
  verifyDirectRequestPaymentWebhookRequest,
  webhookErrorStatus,
} from '@siglume/direct-request-payment';

export const runtime = 'edge';
export const dynamic = 'force-dynamic';

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
  return Response.json({ id: event.id, kind: result.kind, runtime: 'edge' });
}
