/**
 * A Hono app on Cloudflare Workers: the webhook route and a checkout start.
 *
 * Deploy with wrangler as is; the package needs no `nodejs_compat` flag and
 * no bundler config. Under the `workerd` / `worker` conditions its HTTP layer
 * is the Worker's global `fetch` and signatures are checked with Web Crypto.
 *
 * Bindings (wrangler secrets / vars): SIGLUME_WEBHOOK_SECRET,
 * SIGLUME_MERCHANT_AUTH_TOKEN, SIGLUME_DIRECT_PAYMENT_MERCHANT,
 * SHOP_PUBLIC_ORIGIN and, against the local sandbox only, SIGLUME_API_BASE.
 * (npm test bundles this file from the packed package and runs it in workerd.)
 */
import { Hono } from 'hono';
import {
  DirectRequestPaymentMerchantClient,
  HostedCheckoutNotAvailableError,
  SiglumeWebhookPayloadError,
  SiglumeWebhookSignatureError,
  classifyDirectPaymentConfirmation,
  verifyDirectRequestPaymentWebhookRequest,
  webhookErrorStatus,
} from '@siglume/direct-request-payment';

type Bindings = {
  SIGLUME_WEBHOOK_SECRET: string;
  SIGLUME_MERCHANT_AUTH_TOKEN: string;
  SIGLUME_DIRECT_PAYMENT_MERCHANT: string;
  SHOP_PUBLIC_ORIGIN: string;
  SIGLUME_API_BASE?: string;
};

const app = new Hono<{ Bindings: Bindings }>();

app.post('/payments/webhooks/siglume', async (c) => {
  let verified;
  try {
    // The original request, before any validator or c.req.json() reads the body.
    verified = await verifyDirectRequestPaymentWebhookRequest(c.req.raw, c.env.SIGLUME_WEBHOOK_SECRET);
  } catch (error) {
    // 400 for a request Siglume did not send (Siglume stops); 503 for a signature that does not verify and 500 for
    // this worker's setup (an empty secret binding), so Siglume keeps the event until it is fixed.
    if (!(error instanceof SiglumeWebhookSignatureError || error instanceof SiglumeWebhookPayloadError)) throw error;
    return c.json({ error: error.code }, webhookErrorStatus(error));
  }
  const { event } = verified;
  const confirmation = classifyDirectPaymentConfirmation(event);
  // A real shop hands the event to its order store (the order core in
  // `@siglume/direct-request-payment/orders` decides), recording event.id in
  // the same transaction; only `standard_settled` marks a Standard order paid.
  return c.json({ id: event.id, kind: confirmation.kind });
});

app.post('/payments/checkout/siglume/start', async (c) => {
  const { order_id } = await c.req.json<{ order_id: string }>();
  // A real shop loads the order, authorizes the buyer and takes the amount from
  // its own records; a fixed 4200 JPY keeps the example short.
  const merchant = new DirectRequestPaymentMerchantClient({
    auth_token: c.env.SIGLUME_MERCHANT_AUTH_TOKEN,
    ...(c.env.SIGLUME_API_BASE ? { base_url: c.env.SIGLUME_API_BASE } : {}),
  });
  try {
    const session = await merchant.createCheckoutSession({
      merchant: c.env.SIGLUME_DIRECT_PAYMENT_MERCHANT,
      amount_minor: 4200,
      currency: 'JPY',
      nonce: `order-${order_id}-attempt-1`,
      success_url: `${c.env.SHOP_PUBLIC_ORIGIN}/checkout/siglume/success`,
      cancel_url: `${c.env.SHOP_PUBLIC_ORIGIN}/checkout/siglume/cancel`,
    });
    return c.json({ checkout_url: session.checkout_url, session_id: session.session_id });
  } catch (error) {
    if (error instanceof HostedCheckoutNotAvailableError) return c.json({ error: 'hosted_checkout_not_enabled' }, 409);
    throw error;
  }
});

export default app;
