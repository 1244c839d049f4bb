/**
 * A Next.js App Router webhook route: app/api/webhooks/siglume/route.ts
 *
 * The route receives a Fetch API `Request`, so
 * `verifyDirectRequestPaymentWebhookRequest` reads the raw bytes and the
 * `Siglume-Signature` header itself: no body parser to configure, and
 * nothing may read the body before it.
 *
 * Processing is exactly-once by event id: the event row and the order update
 * commit in one PostgreSQL transaction (tables from
 * templates/express/schema.sql, created by `siglume-sdrp init express`).
 * Register `https://<your domain>/api/webhooks/siglume` as the webhook URL.
 */
import pg from 'pg';
import {
  SiglumeWebhookPayloadError,
  SiglumeWebhookSignatureError,
  classifyDirectPaymentConfirmation,
  READINESS_PROBE_MODE,
  pricingBandFor,
  verifyDirectRequestPaymentWebhookRequest,
  type DirectRequestPaymentWebhookEvent,
} from '@siglume/direct-request-payment';

// pg needs Node. The verifier alone also runs on the Edge runtime (Web Crypto).
export const runtime = 'nodejs';
export const dynamic = 'force-dynamic';

// Module scope: one pool per server instance, reused across requests.
const pool = new pg.Pool({ connectionString: process.env.DATABASE_URL });

// The current secret first; the previous one only while a rotation is under way.
const secrets = [process.env.SIGLUME_WEBHOOK_SECRET, process.env.SIGLUME_WEBHOOK_SECRET_PREVIOUS].filter(
  (s): s is string => typeof s === 'string' && s !== '',
);

export async function POST(request: Request): Promise<Response> {
  let event: DirectRequestPaymentWebhookEvent;
  try {
    ({ event } = await verifyDirectRequestPaymentWebhookRequest(request, secrets));
  } catch (error) {
    // Forged, replayed (stale timestamp) or corrupted: refuse before touching the database.
    if (error instanceof SiglumeWebhookSignatureError || error instanceof SiglumeWebhookPayloadError) {
      return Response.json({ error: error.code }, { status: 400 });
    }
    throw error; // e.g. no secret configured: a setup error, answered 500 by Next.js
  }

  try {
    await processEventOnce(event);
    return new Response(null, { status: 204 }); // processed now, or a redelivery of a processed event
  } catch (error) {
    // Nothing was committed: a 5xx makes Siglume deliver again later.
    console.error(`siglume webhook ${event.id} not processed`, error);
    return Response.json({ error: 'webhook_processing_failed' }, { status: 500 });
  }
}

type Db = pg.PoolClient;

async function processEventOnce(event: DirectRequestPaymentWebhookEvent): Promise<'processed' | 'duplicate'> {
  const db = await pool.connect();
  try {
    await db.query('BEGIN');
    // The event row first: a concurrent delivery of the same id waits here for
    // this transaction, then sees the conflict.
    const fresh = await db.query('INSERT INTO siglume_webhook_events (event_id) VALUES ($1) ON CONFLICT (event_id) DO NOTHING', [
      event.id,
    ]);
    if (fresh.rowCount === 0) {
      await db.query('ROLLBACK');
      return 'duplicate';
    }
    const outcome = await applyEvent(db, event);
    await db.query('UPDATE siglume_webhook_events SET outcome = $2 WHERE event_id = $1', [event.id, outcome]);
    await db.query('COMMIT');
    return 'processed';
  } catch (error) {
    await db.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    db.release();
  }
}

async function review(db: Db, event: DirectRequestPaymentWebhookEvent, kind: string, code: string, reason: string, orderId: string | null = null) {
  await db.query(
    `INSERT INTO siglume_payment_reviews (event_id, event_type, kind, code, reason, order_id)
     VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (event_id) DO NOTHING`,
    [event.id, event.type, kind, code, reason, orderId],
  );
  return `review:${code}`;
}

/** The merchant rule for a Standard-only shop. Returns the outcome stored with the event. */
async function applyEvent(db: Db, event: DirectRequestPaymentWebhookEvent): Promise<string> {
  const result = classifyDirectPaymentConfirmation(event);
  switch (result.kind) {
    case 'unknown':
      // direct_payment.spent, subscription.*: recorded, nothing to do. Any confirmation
      // the rules cannot prove goes to a person.
      if (result.reason === 'not_direct_payment_confirmed') return 'ignored';
      // `siglume-check readiness` sends a signed, harmless probe; it is not a payment.
      if (result.data.mode === READINESS_PROBE_MODE) return 'ignored:readiness_probe';
      return review(db, event, result.kind, 'UNKNOWN_CONFIRMATION', result.reason);
    case 'metered_usage_accepted':
    case 'metered_batch_settled':
      // This shop sells Standard amounts only: Micro / Nano money is not settled per payment.
      return review(db, event, result.kind, 'METERED_INTEGRATION_REQUIRED', `${result.kind} on a Standard-only shop`);
    case 'standard_settled': {
      // The order is found by the challenge hash stored before the redirect,
      // and locked so events for one order run one after the other.
      const found = await db.query(
        `SELECT o.order_id, o.status, o.requirement_id, o.amount_minor, o.currency,
                a.status AS attempt_status, a.amount_minor AS attempt_amount_minor, a.currency AS attempt_currency
           FROM siglume_checkout_attempts a JOIN orders o ON o.order_id = a.order_id
          WHERE a.challenge_hash = $1 FOR UPDATE OF o`,
        [result.challenge_hash],
      );
      const order = found.rows[0] as
        | {
            order_id: string;
            status: string;
            requirement_id: string | null;
            amount_minor: string;
            currency: 'JPY' | 'USD';
            attempt_status: string;
            attempt_amount_minor: string;
            attempt_currency: string;
          }
        | undefined;
      if (!order) return review(db, event, result.kind, 'ORDER_NOT_FOUND', 'no checkout attempt has this challenge_hash');
      const data = result.data;
      // Compare with what the order costs NOW: a session started before a price
      // change stays payable until it expires, and must not pay the new total.
      if (
        order.attempt_status !== 'active' ||
        Number(order.attempt_amount_minor) !== Number(order.amount_minor) ||
        order.attempt_currency !== order.currency ||
        pricingBandFor(order.currency, Number(order.amount_minor)) !== 'standard' ||
        (data.amount_minor !== undefined && Number(data.amount_minor) !== Number(order.amount_minor)) ||
        (typeof data.currency === 'string' && data.currency !== order.currency)
      ) {
        return review(db, event, result.kind, 'PAYMENT_MISMATCH', 'amount or currency differs from the order', order.order_id);
      }
      // Guarded transition: only a pending order becomes paid.
      const updated = await db.query(
        `UPDATE orders SET status = 'paid', requirement_id = $2, challenge_hash = $3, chain_receipt_id = $4,
                pricing_band = 'standard', paid_event_id = $5, paid_at = now(), updated_at = now()
          WHERE order_id = $1 AND status = 'pending'`,
        [order.order_id, result.requirement_id, result.challenge_hash, result.chain_receipt_id, event.id],
      );
      if (updated.rowCount === 1) return 'marked_paid';
      if (order.requirement_id === result.requirement_id) return 'already_marked';
      return review(db, event, result.kind, 'ORDER_STATE_CONFLICT', `order is ${order.status}; a second payment may need a refund`, order.order_id);
    }
  }
}
