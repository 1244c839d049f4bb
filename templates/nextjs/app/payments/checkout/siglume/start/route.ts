/**
 * POST /payments/checkout/siglume/start, JSON {order_id} -> 200 {checkout_url, session_id}.
 * Copied by `siglume-sdrp init nextjs`: the package's Fetch handler, mounted as is.
 */
import { withSiglumeCheckout } from '../../../../../siglume/siglume-checkout';

// No `runtime` or `dynamic` export: Node.js, which the database drivers need, is the default runtime; handlers that
// read the request are never cached; and `cacheComponents`, on in new create-next-app projects, refuses both (500).

export function POST(request: Request): Promise<Response> {
  return withSiglumeCheckout((checkout) => checkout.handleCheckoutRequest(request));
}
