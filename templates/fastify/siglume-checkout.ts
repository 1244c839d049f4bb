/**
 * Siglume Hosted Checkout for a Fastify app: the three routes as a plugin,
 * wired to the checkout service of `@siglume/direct-request-payment/orders`.
 *
 *   POST /payments/checkout/siglume/start   JSON {order_id} -> 200 {checkout_url, session_id}
 *   POST /payments/webhooks/siglume         raw body signed by Siglume -> 204
 *   POST /payments/siglume/reconcile        Authorization: Bearer $SIGLUME_RECONCILE_TOKEN -> 200 report
 *                                           (for your scheduler; 404 while the token is unset)
 *
 * Copied into your project by `siglume-sdrp init fastify`. This file only
 * moves bytes between Fastify and the service: every decision about money
 * (signature, merchant rule, confirmation with Siglume, exactly-once) lives in
 * the package, so `npm update` keeps it current. The plugin is encapsulated:
 * its body parsers and error handler apply to these routes only.
 */
import type { FastifyError, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
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

const JSON_ONLY = 'Send the body as JSON {"order_id": "..."} with Content-Type: application/json';

async function send(reply: FastifyReply, result: OrderCheckoutStartResult | OrderWebhookResult): Promise<void> {
  reply.header('cache-control', 'no-store');
  if (result.kind === 'processed') await reply.code(result.status).send();
  else await reply.code(result.status).send(result.body);
}

/**
 * The three routes as one plugin: `await app.register(siglumeCheckoutPlugin(service, currentUser))`.
 *
 * @param service - from `await startSiglumeCheckout()` in siglume-config.ts
 *   (or `createSiglumeCheckout()`, without the start-up check of the tables).
 * @param currentUser - the signed-in user of a request (your session), or null;
 *   `authorize_order` in siglume-config.ts decides whose order it is.
 */
export function siglumeCheckoutPlugin<U>(service: OrderCheckoutService<U>, currentUser: (request: FastifyRequest) => U | Promise<U>): FastifyPluginAsync {
  return async (app) => {
    // Body-parser failures are the caller's fault: a 4xx with a code, never a 500.
    app.setErrorHandler(async (error: FastifyError, _request, reply) => {
      if (error.code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
        return reply.code(413).send({ error: 'payload_too_large', message: 'The request body is too large' });
      }
      if (error.code?.startsWith('FST_ERR_CTP_')) return reply.code(400).send({ error: 'invalid_request', message: JSON_ONLY });
      // Anything else (a 4xx your currentUser chose, a failure outside the checkout start) goes on to your app's handler.
      throw error;
    });

    // The webhook needs the exact bytes Siglume signed: in its own scope, any content type is read as a Buffer.
    await app.register(async (webhook) => {
      webhook.removeAllContentTypeParsers();
      webhook.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: ORDER_WEBHOOK_MAX_BODY_BYTES }, (_request, body, done) => done(null, body));
      webhook.post(ORDER_WEBHOOK_PATH, async (request, reply) => {
        const signature = request.headers['siglume-signature'];
        // The buffer parser above is this route's, so no body at all (none was sent) is an empty one, not a missing reader.
        await send(reply, await service.handleWebhook(request.body ?? '', typeof signature === 'string' ? signature : undefined));
      });
    });

    // Only the order id comes from the browser; the service reads the price from your orders table.
    app.post(ORDER_CHECKOUT_START_PATH, { bodyLimit: ORDER_CHECKOUT_MAX_BODY_BYTES }, async (request, reply) => {
      // JSON only: Fastify also parses text/plain, and a body without a Content-Type is left unread.
      if (!/^application\/json\s*(?:;|$)/i.test(request.headers['content-type'] ?? '')) {
        return reply.code(400).send({ error: 'invalid_request', message: JSON_ONLY });
      }
      const body: unknown = request.body;
      const orderId = body !== null && typeof body === 'object' ? (body as { order_id?: unknown }).order_id : undefined;
      let user: U;
      try {
        user = await currentUser(request);
      } catch (error) {
        // A 4xx your currentUser chose (e.g. 401 from your auth): Fastify answers it with its own status.
        const status = (error as { statusCode?: unknown } | null)?.statusCode;
        if (typeof status === 'number' && status >= 400 && status < 500) throw error;
        // Your currentUser failed. Fastify's own 500 would send its message (a database URL, say) to the browser:
        // it goes to your log instead, and the browser gets the 500 the service gives when your store fails.
        request.log.error({ err: error }, 'Siglume checkout: the route failed');
        return reply.code(500).header('cache-control', 'no-store').send({ error: 'checkout_failed', message: 'Could not start the checkout; try again' });
      }
      await send(reply, await service.startCheckout(orderId, user));
    });

    // Repairs orders whose webhook was lost; only a caller holding the reconcile token gets past the service's check.
    // It reads no body, so in its own scope any content type is taken and dropped unparsed: schedulers send a Content-Type
    // with no body (`curl -d ''` says form-urlencoded; others octet-stream or an empty JSON), which Fastify's own
    // parsers refuse. The 1 KiB cap keeps Fastify from reading a large body before the token check.
    await app.register(async (reconcile) => {
      reconcile.removeAllContentTypeParsers();
      reconcile.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: 1024 }, (_request, _body, done) => done(null, undefined));
      reconcile.post(ORDER_RECONCILE_PATH, { bodyLimit: 1024 }, async (request, reply) => {
        const query = request.url.includes('?') ? request.url.slice(request.url.indexOf('?') + 1) : '';
        const authorization = request.headers.authorization;
        const result = await service.handleReconcile(typeof authorization === 'string' ? authorization : undefined, query);
        // 409 while a run of this service is still going: the scheduler may try again after Retry-After.
        if (result.status === 409) reply.header('retry-after', String(result.body.retry_after_seconds));
        await reply.header('cache-control', 'no-store').code(result.status).send(result.body);
      });
    });
  };
}
