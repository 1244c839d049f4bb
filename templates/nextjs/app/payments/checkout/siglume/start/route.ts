/**
 * POST /payments/checkout/siglume/start, JSON {order_id} -> 200 {checkout_url, session_id}.
 * Copied by `siglume-sdrp init nextjs`: the package's Fetch handler, mounted as is.
 */
import { withSiglumeCheckout } from '../../../../../siglume/siglume-checkout';

// The database drivers need Node.js; answers are never cached.
export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

export function POST(request: Request): Promise<Response> {
  return withSiglumeCheckout((checkout) => checkout.handleCheckoutRequest(request));
}
