/**
 * A minimal local webhook endpoint that verifies deliveries with the core
 * library and records them. `readiness --sandbox` uses it as the "shop"
 * when no SHOP_WEBHOOK_URL is given; tests use it as a realistic receiver.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { WEBHOOK_SIGNATURE_HEADER } from '../core/constants.js';
import { SiglumeDirectRequestPaymentError } from '../core/errors.js';
import type { DirectRequestPaymentWebhookEvent } from '../webhooks/event.js';
import { verifyDirectRequestPaymentWebhook } from '../webhooks/event.js';
import { webhookErrorStatus } from '../webhooks/status.js';

/** Path the receiver (and the Express template) serves webhooks on. */
export const DEFAULT_WEBHOOK_PATH = '/payments/webhooks/siglume';

const MAX_BODY_BYTES = 1024 * 1024;
const DRAIN_LIMIT_BYTES = 8 * MAX_BODY_BYTES;

/** Options of {@link startWebhookReceiver}. */
export interface WebhookReceiverOptions {
  /** Signing secret(s) deliveries must be signed with. */
  secret: string | readonly string[];
  /** @default '127.0.0.1' */
  host?: string;
  /** 0 picks a free port. @default 0 */
  port?: number;
  /** @default '/payments/webhooks/siglume' */
  path?: string;
  /**
   * Status answered for a verified delivery (set e.g. 500 to simulate a broken handler).
   * @default 204
   */
  status?: number;
}

/** A running receiver. */
export interface WebhookReceiver {
  /** Full webhook URL, e.g. `http://127.0.0.1:53121/payments/webhooks/siglume`. */
  url: string;
  /** Origin of the receiver, e.g. `http://127.0.0.1:53121`. */
  origin: string;
  /** Verified events, in arrival order. */
  events: DirectRequestPaymentWebhookEvent[];
  /** Deliveries refused (bad signature or body), each answered as `webhookErrorStatus` says. */
  readonly rejected: number;
  /** Stops listening and drops open connections. */
  close(): Promise<void>;
}

/**
 * The body, or null when it is over 1 MiB. A larger body is still read and dropped up to 8 MiB, so the
 * sender sees the 413 instead of a reset connection; past that (or a declared length past it) the
 * connection is cut.
 */
function readBody(req: IncomingMessage): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    if (Number(req.headers['content-length']) > DRAIN_LIMIT_BYTES) return resolve(null);
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
      else if (size > DRAIN_LIMIT_BYTES) req.socket.destroy();
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks)));
    req.on('close', () => resolve(null));
    req.on('error', reject);
  });
}

function answer(res: ServerResponse, status: number, body?: Record<string, unknown>): void {
  if (body === undefined) {
    res.writeHead(status).end();
    return;
  }
  res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/**
 * Starts a webhook receiver on loopback. Verified deliveries are answered with
 * `status` (204 by default) and kept in `events`; a bad signature or body gets
 * `webhookErrorStatus`'s answer (400, or 503 for a signature that does not
 * verify, so the sender retries) with `{ error: { code, message } }`.
 *
 * @example
 * const receiver = await startWebhookReceiver({ secret: 'whsec_sandbox_secret' });
 * // ... point a subscription at receiver.url ...
 * await receiver.close();
 */
export async function startWebhookReceiver(options: WebhookReceiverOptions): Promise<WebhookReceiver> {
  const path = options.path ?? DEFAULT_WEBHOOK_PATH;
  const okStatus = options.status ?? 204;
  const events: DirectRequestPaymentWebhookEvent[] = [];
  const state = { rejected: 0 };
  const server = createServer((req, res) => {
    const pathname = new URL(req.url ?? '/', 'http://receiver').pathname;
    if (pathname !== path) return answer(res, 404, { error: { code: 'NOT_FOUND', message: `No route ${pathname}` } });
    if (req.method !== 'POST') return answer(res, 405, { error: { code: 'METHOD_NOT_ALLOWED', message: 'Use POST' } });
    readBody(req).then(
      async (body) => {
        if (body === null) {
          res.setHeader('connection', 'close');
          return answer(res, 413, { error: { code: 'BODY_TOO_LARGE', message: 'Body over 1 MiB' } });
        }
        try {
          const header = req.headers[WEBHOOK_SIGNATURE_HEADER.toLowerCase()];
          const { event } = await verifyDirectRequestPaymentWebhook(options.secret, body, Array.isArray(header) ? header[0] : header);
          events.push(event);
          answer(res, okStatus);
        } catch (error) {
          state.rejected += 1;
          const code = error instanceof SiglumeDirectRequestPaymentError ? error.code : 'INTERNAL';
          const message = error instanceof Error ? error.message : 'Invalid webhook';
          answer(res, webhookErrorStatus(error), { error: { code, message } });
        }
      },
      () => answer(res, 400, { error: { code: 'BAD_REQUEST', message: 'Could not read the body' } }),
    );
  });
  // Deliveries come from the same process or machine; do not keep idle sockets past close().
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const origin = `http://${host}:${address.port}`;
  return {
    url: `${origin}${path}`,
    origin,
    events,
    get rejected() {
      return state.rejected;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
