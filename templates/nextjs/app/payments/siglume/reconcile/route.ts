/**
 * GET or POST /payments/siglume/reconcile with `Authorization: Bearer
 * $SIGLUME_RECONCILE_TOKEN` -> 200 with the reconciliation report: repairs
 * orders whose buyer paid while the webhook was lost. For a scheduler (Vercel
 * Cron sends GET with `Bearer $CRON_SECRET`: give both variables the same
 * value); 404 while SIGLUME_RECONCILE_TOKEN is unset, 401 without the token,
 * 409 with Retry-After while an earlier run in this server instance is going.
 * Copied by `siglume-sdrp init nextjs`: the package's Fetch handler, mounted as is.
 */
import { withSiglumeCheckout } from '../../../../siglume/siglume-checkout';

// No `runtime` or `dynamic` export: Node.js, which the database drivers need, is the default runtime; handlers that
// read the request are never cached; and `cacheComponents`, on in new create-next-app projects, refuses both (500).
// One run asks Siglume about each open session (default at most 500): allow it time.
export const maxDuration = 300;

export function GET(request: Request): Promise<Response> {
  return withSiglumeCheckout((checkout) => checkout.handleReconcileRequest(request));
}

export function POST(request: Request): Promise<Response> {
  return withSiglumeCheckout((checkout) => checkout.handleReconcileRequest(request));
}
