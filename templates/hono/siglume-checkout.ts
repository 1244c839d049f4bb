/**
 * Siglume Hosted Checkout for a Hono app: the three routes, wired to the
 * checkout service of `@siglume/direct-request-payment/orders`.
 *
 *   POST /payments/checkout/siglume/start   JSON {order_id} -> 200 {checkout_url, session_id}
 *   POST /payments/webhooks/siglume         raw body signed by Siglume -> 204
 *   POST /payments/siglume/reconcile        Authorization: Bearer $SIGLUME_RECONCILE_TOKEN -> 200 report
 *                                           (for your scheduler; 404 while the token is unset)
 *
 * Copied into your project by `siglume-sdrp init hono`. This file only moves
 * bytes between Hono and the service: every decision about money (signature,
 * merchant rule, confirmation with Siglume, exactly-once) lives in the
 * package, so `npm update` keeps it current. Runs wherever Hono runs with
 * Node's database drivers (Node.js, Bun).
 */
import { Hono, type Context } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import {
  ORDER_CHECKOUT_MAX_BODY_BYTES,
  ORDER_CHECKOUT_START_PATH,
  ORDER_RECONCILE_PATH,
  ORDER_WEBHOOK_PATH,
  checkoutResponse,
  type OrderCheckoutService,
} from '@siglume/direct-request-payment/orders';

/**
 * The three routes on one Hono app: `app.route('/', siglumeCheckoutRoutes(service, currentUser))`.
 *
 * @param service - from `await startSiglumeCheckout()` in siglume-config.ts
 *   (or `createSiglumeCheckout()`, without the start-up check of the tables).
 * @param currentUser - the signed-in user of a request (e.g. `c.get('user')` set
 *   by your auth middleware), or null; `authorize_order` in siglume-config.ts
 *   decides whose order it is.
 */
export function siglumeCheckoutRoutes<U>(service: OrderCheckoutService<U>, currentUser: (c: Context) => U | Promise<U>): Hono {
  const app = new Hono();

  // The service's Fetch handler reads the exact bytes Siglume signed itself, capped at 1 MiB.
  app.post(ORDER_WEBHOOK_PATH, (c) => service.handleWebhookRequest(c.req.raw));

  // Only the order id comes from the browser; the service reads the price from your orders table.
  app.post(
    ORDER_CHECKOUT_START_PATH,
    bodyLimit({
      maxSize: ORDER_CHECKOUT_MAX_BODY_BYTES,
      onError: (c) => c.json({ error: 'payload_too_large', message: 'The request body is too large' }, 413),
    }),
    async (c) => {
      // JSON only: a page on another site can post a form or text/plain with the buyer's cookies, not application/json.
      if (!/^application\/(?:[\w.+-]+\+)?json\s*(?:;|$)/i.test(c.req.header('content-type') ?? '')) {
        return c.json({ error: 'invalid_request', message: 'Send the body as JSON {"order_id": "..."} with Content-Type: application/json' }, 400);
      }
      let body: unknown;
      try {
        body = await c.req.json();
      } catch {
        return c.json({ error: 'invalid_request', message: 'The body must be JSON {"order_id": "..."}' }, 400);
      }
      const orderId = body !== null && typeof body === 'object' ? (body as { order_id?: unknown }).order_id : undefined;
      try {
        return checkoutResponse(await service.startCheckout(orderId, await currentUser(c)));
      } catch (error) {
        // Only your currentUser can throw here (the service answers its own failures). A 4xx it chose (e.g.
        // `throw new HTTPException(401)` from your auth) goes on to Hono as it is. Hono's own 500 is text/plain: the
        // browser gets the JSON 500 the service gives when your store fails instead, and the error goes to your log.
        if (error instanceof HTTPException && error.status >= 400 && error.status < 500) throw error;
        console.error('siglume checkout: the route failed:', error);
        return c.json({ error: 'checkout_failed', message: 'Could not start the checkout; try again' }, 500, { 'cache-control': 'no-store' });
      }
    },
  );

  // Repairs orders whose webhook was lost; only a caller holding the reconcile token gets past the service's check.
  app.post(ORDER_RECONCILE_PATH, (c) => service.handleReconcileRequest(c.req.raw));
  return app;
}
