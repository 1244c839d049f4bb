/**
 * The Siglume webhook route in Fastify.
 *
 * Fastify parses JSON bodies before the handler runs, and a signature can
 * only be verified over the exact bytes that were sent. The plugin below
 * registers a `Buffer` parser for `application/json` inside its own
 * encapsulated scope, so only the webhook route receives raw bytes and the
 * rest of the app keeps Fastify's JSON parser.
 *
 * Usage in your app:
 *
 *   import Fastify from 'fastify';
 *   import { siglumeWebhookPlugin } from './fastify-webhook.js';
 *
 *   const app = Fastify();
 *   await app.register(siglumeWebhookPlugin, {
 *     secrets: [process.env.SIGLUME_WEBHOOK_SECRET!],
 *     processEventOnce: (event) => orders.processOnce(event), // one DB transaction, keyed by event.id
 *   });
 *   await app.listen({ port: 3000 });
 *
 * Fastify is not a dependency of this package, so the few Fastify types the
 * plugin touches are declared structurally below; in your app, use
 * `FastifyInstance`, `FastifyRequest` and `FastifyReply` from 'fastify'.
 */
import {
  SiglumeWebhookPayloadError,
  SiglumeWebhookSignatureError,
  classifyDirectPaymentConfirmation,
  verifyDirectRequestPaymentWebhook,
  webhookErrorStatus,
  type DirectPaymentConfirmationClassification,
  type DirectRequestPaymentWebhookEvent,
} from '@siglume/direct-request-payment';

/** The part of `FastifyRequest` used here. */
interface FastifyRequestLike {
  body: unknown;
  headers: Record<string, string | string[] | undefined>;
  log: { error(detail: unknown, message?: string): void };
}

/** The part of `FastifyReply` used here. */
interface FastifyReplyLike {
  code(statusCode: number): FastifyReplyLike;
  send(payload?: unknown): FastifyReplyLike;
}

/** The part of `FastifyInstance` used here. */
interface FastifyInstanceLike {
  addContentTypeParser(
    contentType: string,
    options: { parseAs: 'buffer'; bodyLimit?: number },
    parser: (request: FastifyRequestLike, body: Buffer, done: (error: Error | null, body?: unknown) => void) => void,
  ): void;
  post(path: string, handler: (request: FastifyRequestLike, reply: FastifyReplyLike) => Promise<FastifyReplyLike>): void;
}

export interface SiglumeWebhookPluginOptions {
  /** Signing secret(s), `whsec_...`: the current one first, the previous one too while rotating. */
  secrets: readonly string[];
  /**
   * Records `event.id` and applies the classification in ONE database
   * transaction; resolves once committed (a redelivered id is a no-op).
   * Throwing makes the route answer 500, and Siglume delivers again.
   */
  processEventOnce(event: DirectRequestPaymentWebhookEvent, classification: DirectPaymentConfirmationClassification): Promise<void>;
  /** @default '/payments/webhooks/siglume' */
  path?: string;
}

/** A Fastify plugin (`app.register(siglumeWebhookPlugin, options)`) serving the Siglume webhook route. */
export async function siglumeWebhookPlugin(app: FastifyInstanceLike, options: SiglumeWebhookPluginOptions): Promise<void> {
  // Raw bytes for JSON in this plugin's scope only (Fastify encapsulates content-type parsers per plugin).
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit: 1024 * 1024 }, (_request, body, done) => {
    done(null, body);
  });

  app.post(options.path ?? '/payments/webhooks/siglume', async (request, reply) => {
    const header = request.headers['siglume-signature'];
    let event: DirectRequestPaymentWebhookEvent;
    try {
      ({ event } = await verifyDirectRequestPaymentWebhook(
        options.secrets,
        // A Buffer from the parser above. Anything else (a parsed object, no body) is
        // refused by the verifier with WEBHOOK_RAW_BODY_REQUIRED, never re-serialized.
        request.body as Buffer,
        typeof header === 'string' ? header : undefined,
      ));
    } catch (error) {
      // Nothing is written. 400 for a request Siglume did not send (Siglume stops); 503 for a signature that does not
      // verify and 500 for this server's setup (an empty secret), so Siglume keeps the event until it is fixed.
      if (!(error instanceof SiglumeWebhookSignatureError || error instanceof SiglumeWebhookPayloadError)) throw error;
      return reply.code(webhookErrorStatus(error)).send({ error: error.code });
    }

    try {
      await options.processEventOnce(event, classifyDirectPaymentConfirmation(event));
      return reply.code(204).send();
    } catch (error) {
      request.log.error(error, `siglume webhook ${event.id} not processed; Siglume will retry`);
      return reply.code(500).send({ error: 'webhook_processing_failed' });
    }
  });
}
