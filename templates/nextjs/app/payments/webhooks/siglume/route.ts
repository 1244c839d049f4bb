/**
 * POST /payments/webhooks/siglume: the exact bytes Siglume signed -> 204.
 * Copied by `siglume-sdrp init nextjs`: the package's Fetch handler, mounted as is.
 */
import { withSiglumeCheckout } from '../../../../siglume/siglume-checkout';

// No `runtime` or `dynamic` export: Node.js, which the database drivers need, is the default runtime; handlers that
// read the request are never cached; and `cacheComponents`, on in new create-next-app projects, refuses both (500).

export function POST(request: Request): Promise<Response> {
  return withSiglumeCheckout((checkout) => checkout.handleWebhookRequest(request));
}
