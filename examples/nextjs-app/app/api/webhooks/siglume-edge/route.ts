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
} from '@siglume/direct-request-payment';

export const runtime = 'edge';
export const dynamic = 'force-dynamic';

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
  return Response.json({ id: event.id, kind: result.kind, runtime: 'edge' });
}
