/**
 * Next.js App Router routes for Siglume Hosted Checkout, on the package's
 * order core:
 *
 *   app/payments/checkout/siglume/start/route.ts   export { POST } from '...this module'
 *   app/payments/webhooks/siglume/route.ts         export { webhookPOST as POST } from '...this module'
 *
 * Route handlers receive a Fetch API `Request`, which the service's handlers
 * take directly: they read the raw bytes and the `Siglume-Signature` header
 * themselves (nothing may read the body before them), verify, confirm the
 * payment with Siglume and process each event exactly once in PostgreSQL
 * (tables from `siglume-payments.postgres.sql`, written by `siglume-sdrp init`).
 * Register `https://<your domain>/payments/webhooks/siglume` as the webhook URL.
 */
import pg from 'pg';
import { DirectRequestPaymentMerchantClient } from '@siglume/direct-request-payment';
import { createOrderCheckoutService } from '@siglume/direct-request-payment/orders';
import { PostgresOrderStore } from '@siglume/direct-request-payment/orders/postgres';

// pg needs Node.js, the default runtime. No `runtime` / `dynamic` export: `cacheComponents`, on in new
// create-next-app projects, refuses them, and handlers that read the request are never cached anyway.

/** Stand-in for your auth: the signed-in user's id, or null. */
declare function currentUserId(request: Request): Promise<string | null>;

const apiBase = process.env.SIGLUME_API_BASE;
const previousSecret = process.env.SIGLUME_WEBHOOK_SECRET_PREVIOUS;

// Module scope: one service (and one pool) per server instance, reused across requests.
const checkout = createOrderCheckoutService<string | null>({
  // The token comes from SIGLUME_MERCHANT_AUTH_TOKEN.
  merchant_client: new DirectRequestPaymentMerchantClient(apiBase ? { base_url: apiBase } : {}),
  order_store: new PostgresOrderStore({ pool: new pg.Pool({ connectionString: process.env.DATABASE_URL }) }),
  merchant: process.env.SIGLUME_DIRECT_PAYMENT_MERCHANT ?? '',
  webhook_secret: [process.env.SIGLUME_WEBHOOK_SECRET ?? '', ...(previousSecret ? [previousSecret] : [])],
  shop_public_origin: process.env.SHOP_PUBLIC_ORIGIN ?? '',
  currentUser: currentUserId,
  // Only the buyer who owns the order may pay it (orders.user_id).
  authorize_order: (order, userId) => userId !== null && order.owner_id === userId,
  onError: (error, context) => console.error('siglume checkout', context, error),
});

/** POST /payments/checkout/siglume/start: JSON `{ order_id }` in, `{ checkout_url, session_id }` out. */
export const POST = checkout.handleCheckoutRequest;

/** POST /payments/webhooks/siglume: 204 once processed (or a redelivery), 4xx for bad input, 5xx to be redelivered. */
export const webhookPOST = checkout.handleWebhookRequest;
