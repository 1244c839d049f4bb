/**
 * POST /payments/webhooks/siglume: the exact bytes Siglume signed -> 204.
 * Copied by `siglume-sdrp init nextjs`: the package's Fetch handler, mounted as is.
 */
import { withSiglumeCheckout } from '../../../../siglume/siglume-checkout';

// The database drivers need Node.js; answers are never cached.
export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export function POST(request: Request): Promise<Response> {
  return withSiglumeCheckout((checkout) => checkout.handleWebhookRequest(request));
}
