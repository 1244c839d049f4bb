/**
 * Siglume Hosted Checkout for an Express app: the three routes, wired to the
 * checkout service of `@siglume/direct-request-payment/orders`.
 *
 *   POST /payments/checkout/siglume/start   JSON {order_id} -> 200 {checkout_url, session_id}
 *   POST /payments/webhooks/siglume         raw body signed by Siglume -> 204
 *   POST /payments/siglume/reconcile        Authorization: Bearer $SIGLUME_RECONCILE_TOKEN -> 200 report
 *                                           (for your scheduler; 404 while the token is unset)
 *
 * Copied into your project by `siglume-sdrp init express`. This file only
 * moves bytes between Express and the service: every decision about money
 * (signature, merchant rule, confirmation with Siglume, exactly-once) lives in
 * the package, so `npm update` keeps it current. Mount the router BEFORE
 * `app.use(express.json())`: the webhook needs the exact bytes Siglume signed.
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response, type Router } from 'express';
import {
  ORDER_CHECKOUT_MAX_BODY_BYTES,
  ORDER_CHECKOUT_START_PATH,
  ORDER_RECONCILE_PATH,
  ORDER_WEBHOOK_MAX_BODY_BYTES,
  ORDER_WEBHOOK_PATH,
  type OrderCheckoutService,
  type OrderCheckoutStartResult,
  type OrderWebhookResult,
} from '@siglume/direct-request-payment/orders';

function sendResult(res: Response, result: OrderCheckoutStartResult | OrderWebhookResult): void {
  res.set('cache-control', 'no-store');
  if (result.kind === 'processed') res.status(result.status).end();
  else res.status(result.status).json(result.body);
}

// Body-parser failures are the caller's fault: answer 4xx with a code, never Express's HTML error page.
// Only the parser's own failures come here (see readBody): a 4xx your currentUser throws is yours, for your handler.
function bodyError(error: { type?: unknown; status?: unknown }, res: Response, next: NextFunction): void {
  if (error.type === 'entity.too.large') {
    res.status(413).json({ error: 'payload_too_large', message: 'The request body is too large' });
  } else if (error.type === 'entity.parse.failed') {
    res.status(400).json({ error: 'invalid_request', message: 'The body must be JSON {"order_id": "..."}' });
  } else if (typeof error.status === 'number' && error.status >= 400 && error.status < 500) {
    // A corrupt gzip body, an unsupported encoding or charset, a body shorter than its Content-Length.
    res.status(error.status).json({ error: 'invalid_request', message: 'The request body could not be read (encoding, charset or length)' });
  } else {
    next(error);
  }
}

/**
 * `parser` (express.json / express.raw) with its failures answered by bodyError. Told apart by where they come
 * from, not by their shape: a corrupt gzip body fails with zlib's own error (no body-parser `type`), and an error
 * of yours with a `status` looks like a parser's.
 */
const readBody = (parser: RequestHandler): RequestHandler => (req, res, next) =>
  parser(req, res, (error?: unknown) => (error ? bodyError(error as { type?: unknown; status?: unknown }, res, next) : next()));

/**
 * The three routes on one router.
 *
 * @param service - from `await startSiglumeCheckout()` in siglume-config.ts
 *   (or `createSiglumeCheckout()`, without the start-up check of the tables).
 * @param currentUser - the signed-in user of a request (your session), or null;
 *   `authorize_order` in siglume-config.ts decides whose order it is.
 */
export function siglumeCheckoutRouter<U>(service: OrderCheckoutService<U>, currentUser: (req: Request) => U | Promise<U>): Router {
  const router = express.Router();

  // `type: () => true`: the signature covers the bytes whatever the Content-Type says.
  router.post(ORDER_WEBHOOK_PATH, readBody(express.raw({ type: () => true, limit: ORDER_WEBHOOK_MAX_BODY_BYTES })), async (req, res) => {
    // The sender went away before the body was read (its timeout, while an earlier middleware awaited): express.raw
    // then leaves req.body undefined. Nothing to verify and nobody to answer: not handed on, so not reported as a
    // setup error; Siglume delivers the event again. The answer is the one the Fetch routes give a body cut short.
    if (req.readableAborted) {
      res.status(500).json({ error: 'webhook_processing_failed', message: 'The request body could not be read; Siglume delivers it again' });
      return;
    }
    // express.raw ran on this route, so no body at all (none was sent) is an empty one, not a missing raw-body reader.
    sendResult(res, await service.handleWebhook(req.body ?? Buffer.alloc(0), req.get('siglume-signature')));
  });

  // Only the order id comes from the browser; the service reads the price from your orders table.
  router.post(ORDER_CHECKOUT_START_PATH, readBody(express.json({ limit: ORDER_CHECKOUT_MAX_BODY_BYTES })), async (req, res, next) => {
    // JSON only: express.json() leaves any other body unread, which would surface as a missing order id.
    if (!req.is('application/json')) {
      res.status(400).json({ error: 'invalid_request', message: 'Send the body as JSON {"order_id": "..."} with Content-Type: application/json' });
      return;
    }
    try {
      const body: unknown = req.body;
      const orderId = body !== null && typeof body === 'object' ? (body as { order_id?: unknown }).order_id : undefined;
      sendResult(res, await service.startCheckout(orderId, await currentUser(req)));
    } catch (error) {
      // Only your currentUser can throw here. A 4xx it chose (e.g. 401 from your auth) goes on, untouched, to your
      // app's error handler (or Express's).
      const status = (error as { status?: unknown } | null)?.status;
      if (typeof status === 'number' && status >= 400 && status < 500) return next(error);
      // Express's own 500 is an HTML page with the stack outside production: it goes to your log instead, and the
      // browser gets the 500 the service gives when your store fails.
      console.error('siglume checkout: the route failed:', error);
      res.set('cache-control', 'no-store').status(500).json({ error: 'checkout_failed', message: 'Could not start the checkout; try again' });
    }
  });

  // Repairs orders whose webhook was lost; only a caller holding the reconcile token gets past the service's check.
  router.post(ORDER_RECONCILE_PATH, async (req, res) => {
    const query = req.originalUrl.includes('?') ? req.originalUrl.slice(req.originalUrl.indexOf('?') + 1) : '';
    const result = await service.handleReconcile(req.get('authorization'), query);
    // 409 while a run of this service is still going: the scheduler may try again after Retry-After.
    if (result.status === 409) res.set('retry-after', String(result.body.retry_after_seconds));
    res.set('cache-control', 'no-store').status(result.status).json(result.body);
  });

  return router;
}
