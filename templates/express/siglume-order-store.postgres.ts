/**
 * PostgreSQL order store for siglume-sdrp-routes.ts, through `pg`
 * (`npm install pg`). Create the tables with schema.sql first.
 *
 * Exactly-once across app instances rests on two database facts, not on
 * anything in this process:
 *   1. `siglume_webhook_events.event_id` is a PRIMARY KEY, and the event row
 *      is inserted in the SAME transaction as the order update. A second
 *      instance inserting the same id blocks on that row until the first
 *      commits (-> conflict -> "duplicate") or rolls back (-> it processes).
 *   2. Order transitions are guarded UPDATEs (`WHERE status = 'pending'`), so
 *      two different events for one order cannot both mark it.
 *
 * @example
 * const store = new PostgresSiglumeOrderStore({
 *   pool: new pg.Pool({ connectionString: process.env.DATABASE_URL }),
 *   currentUserId: (req) => req.session?.userId ?? null,
 * });
 */
import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import type { Pool, PoolClient } from 'pg';
import { SIGLUME_DEFAULT_SESSION_LIFETIME_SECONDS } from './siglume-sdrp-routes.js';
import type {
  SiglumeCheckoutAttempt,
  SiglumeCheckoutOrder,
  SiglumeCheckoutSessionRecord,
  SiglumeOrderTransition,
  SiglumePaymentRecord,
  SiglumePaymentReview,
  SiglumeSdrpOrderStore,
  SiglumeSdrpWebhookTransaction,
  SiglumeSettlementBatchRecord,
} from './siglume-sdrp-routes.js';

/** Options of {@link PostgresSiglumeOrderStore}. */
export interface PostgresSiglumeOrderStoreOptions {
  pool: Pool;
  /** The signed-in user's id (compared with `orders.user_id`), or null when nobody is signed in. */
  currentUserId: (req: Request) => string | null | undefined | Promise<string | null | undefined>;
  /** Schema that holds the tables. @default the connection's search_path */
  schema?: string;
  /** A session expiring sooner than this is not handed out again; a new attempt is made. @default 120 */
  session_reuse_margin_seconds?: number;
  /**
   * Assumed lifetime of a session whose `expires_at` Siglume did not report,
   * counted from the attempt's last update (its creation, or when its session
   * was stored). @default SIGLUME_DEFAULT_SESSION_LIFETIME_SECONDS (1800)
   */
  default_session_lifetime_seconds?: number;
  /**
   * How long a webhook delivery waits for another instance holding the same
   * event (or order) before giving up with a 500 so Siglume retries later.
   * @default 10000
   */
  lock_timeout_ms?: number;
}

type Row = Record<string, unknown>;

/** {@link SiglumeSdrpOrderStore} on PostgreSQL. */
export class PostgresSiglumeOrderStore implements SiglumeSdrpOrderStore {
  readonly #pool: Pool;
  readonly #options: PostgresSiglumeOrderStoreOptions;
  readonly #t: (table: string) => string;

  constructor(options: PostgresSiglumeOrderStoreOptions) {
    this.#pool = options.pool;
    this.#options = options;
    const schema = options.schema;
    if (schema !== undefined && !/^[A-Za-z_][A-Za-z0-9_]{0,62}$/.test(schema)) {
      throw new Error('schema must be a plain SQL identifier');
    }
    this.#t = (table) => (schema ? `"${schema}".${table}` : table);
  }

  async beginCheckoutAttempt(orderId: string, req: Request): Promise<SiglumeCheckoutAttempt | null> {
    const userId = await this.#options.currentUserId(req);
    if (!userId) return null;
    const t = this.#t;
    return this.#transaction(async (c) => {
      // Why FOR UPDATE: concurrent starts for one order queue here, so the
      // second sees the attempt the first created instead of racing it.
      const order = (await c.query(
        `SELECT order_id, user_id, amount_minor, currency, status FROM ${t('orders')} WHERE order_id = $1 FOR UPDATE`,
        [orderId],
      )).rows[0];
      // Why: another user's order is reported exactly like a missing one.
      if (!order || order.user_id !== String(userId)) return null;

      // Why COALESCE: with no expires_at from Siglume, an expired or cancelled
      // session would otherwise be handed out forever. Assume it lives
      // default_session_lifetime_seconds from the attempt's last update.
      let attempt: Row | undefined = (await c.query(
        `SELECT attempt_id, nonce, amount_minor, currency, checkout_session_id, checkout_url,
                (COALESCE(expires_at, updated_at + make_interval(secs => $3)) < now() + make_interval(secs => $2)) AS stale
           FROM ${t('siglume_checkout_attempts')} WHERE order_id = $1 AND status = 'active'`,
        [orderId, this.#options.session_reuse_margin_seconds ?? 120,
          this.#options.default_session_lifetime_seconds ?? SIGLUME_DEFAULT_SESSION_LIFETIME_SECONDS],
      )).rows[0];
      if (attempt && order.status === 'pending') {
        // Why: never hand out a session for an old price (the cart changed)
        // or one about to expire; retire it and start a fresh attempt.
        const changed = Number(attempt.amount_minor) !== Number(order.amount_minor) || attempt.currency !== order.currency;
        if (changed || attempt.stale === true) {
          await c.query(`UPDATE ${t('siglume_checkout_attempts')} SET status = $2, updated_at = now() WHERE attempt_id = $1`, [
            attempt.attempt_id, changed ? 'superseded' : 'expired',
          ]);
          attempt = undefined;
        }
      }
      if (!attempt && order.status === 'pending') {
        attempt = (await c.query(
          `INSERT INTO ${t('siglume_checkout_attempts')} (order_id, nonce, amount_minor, currency)
           VALUES ($1, $2, $3, $4) RETURNING attempt_id, nonce, amount_minor, currency, checkout_session_id, checkout_url`,
          [orderId, `sdrp-${randomUUID()}`, order.amount_minor, order.currency],
        )).rows[0];
      }
      return {
        order_id: String(order.order_id),
        attempt_id: attempt ? String(attempt.attempt_id) : '',
        order_status: order.status as SiglumeCheckoutAttempt['order_status'],
        amount_minor: Number(attempt?.amount_minor ?? order.amount_minor),
        currency: (attempt?.currency ?? order.currency) as 'JPY' | 'USD',
        nonce: attempt ? String(attempt.nonce) : '',
        checkout_session_id: (attempt?.checkout_session_id as string | null | undefined) ?? null,
        checkout_url: (attempt?.checkout_url as string | null | undefined) ?? null,
      };
    });
  }

  async markCheckoutPending(attempt: SiglumeCheckoutAttempt, session: SiglumeCheckoutSessionRecord): Promise<SiglumeCheckoutSessionRecord> {
    const t = this.#t;
    const expires = session.expires_at ? new Date(session.expires_at) : null;
    // First writer wins: a concurrent start's session is kept, never overwritten.
    const updated = await this.#pool.query(
      `UPDATE ${t('siglume_checkout_attempts')}
          SET checkout_session_id = $2, checkout_url = $3, challenge_hash = $4, expires_at = $5, updated_at = now()
        WHERE attempt_id = $1 AND status = 'active' AND checkout_session_id IS NULL`,
      [attempt.attempt_id, session.checkout_session_id, session.checkout_url, session.challenge_hash,
        expires && !Number.isNaN(expires.getTime()) ? expires : null],
    );
    if (updated.rowCount === 1) return session;
    const row = (await this.#pool.query(
      `SELECT checkout_session_id, checkout_url, challenge_hash, expires_at FROM ${t('siglume_checkout_attempts')}
        WHERE attempt_id = $1 AND status = 'active' AND checkout_session_id IS NOT NULL`,
      [attempt.attempt_id],
    )).rows[0];
    if (!row) throw new Error(`checkout attempt ${attempt.attempt_id} is no longer active`);
    return {
      checkout_session_id: row.checkout_session_id,
      checkout_url: row.checkout_url,
      challenge_hash: row.challenge_hash,
      expires_at: row.expires_at ? new Date(row.expires_at).toISOString() : null,
    };
  }

  async processWebhookEventOnce(
    eventId: string,
    handler: (tx: SiglumeSdrpWebhookTransaction) => Promise<string>,
  ): Promise<'processed' | 'duplicate'> {
    const t = this.#t;
    return this.#transaction(async (c) => {
      // Why: bounded waits; a stuck peer turns into a 500 and a later retry, not a hung request.
      await c.query(`SELECT set_config('lock_timeout', $1, true)`, [`${this.#options.lock_timeout_ms ?? 10_000}ms`]);
      // Why the event row goes FIRST: a concurrent delivery of the same id
      // blocks here until this transaction ends, then sees the conflict.
      const inserted = await c.query(
        `INSERT INTO ${t('siglume_webhook_events')} (event_id) VALUES ($1) ON CONFLICT (event_id) DO NOTHING`,
        [eventId],
      );
      if (inserted.rowCount === 0) return 'duplicate';
      const outcome = await handler(this.#webhookTransaction(c));
      await c.query(`UPDATE ${t('siglume_webhook_events')} SET outcome = $2 WHERE event_id = $1`, [eventId, outcome]);
      return 'processed';
    });
  }

  #webhookTransaction(c: PoolClient): SiglumeSdrpWebhookTransaction {
    const t = this.#t;
    // Why a second look after a guarded UPDATE matched nothing: a repeat of
    // the same payment is harmless, a different payment needs a human.
    const settle = async (orderId: string, requirementId: string): Promise<SiglumeOrderTransition> => {
      const row = (await c.query(`SELECT requirement_id FROM ${t('orders')} WHERE order_id = $1`, [orderId])).rows[0];
      return row && row.requirement_id === requirementId ? 'already_marked' : 'conflict';
    };
    return {
      findOrderByChallengeHash: async (challengeHash): Promise<SiglumeCheckoutOrder | null> => {
        // Any attempt, active or not, so a payment on a retired session is still
        // found (and sent to review). Why the ORDER's amount / currency plus the
        // attempt's status and snapshot: the route marks paid only when the
        // active attempt charged what the order costs now; an old session paid
        // at an old price must not mark a re-priced order paid.
        // FOR UPDATE OF o: events for the same order serialize on the order row.
        const row = (await c.query(
          `SELECT o.order_id, o.status, o.requirement_id, o.amount_minor, o.currency,
                  a.status AS attempt_status, a.amount_minor AS attempt_amount_minor, a.currency AS attempt_currency
             FROM ${t('siglume_checkout_attempts')} a JOIN ${t('orders')} o ON o.order_id = a.order_id
            WHERE a.challenge_hash = $1 FOR UPDATE OF o`,
          [challengeHash],
        )).rows[0];
        if (!row) return null;
        return {
          order_id: row.order_id, status: row.status, requirement_id: row.requirement_id ?? null,
          amount_minor: Number(row.amount_minor), currency: row.currency,
          attempt_status: row.attempt_status, attempt_amount_minor: Number(row.attempt_amount_minor), attempt_currency: row.attempt_currency,
        };
      },
      markOrderPaidOnce: async (orderId: string, p: SiglumePaymentRecord) => {
        // Guarded transition: only a pending order, or one this same
        // requirement already fulfilled as unsettled usage, becomes paid.
        const r = await c.query(
          `UPDATE ${t('orders')}
              SET status = 'paid', requirement_id = $2, challenge_hash = $3, chain_receipt_id = $4,
                  pricing_band = $5, paid_event_id = $6, paid_at = now(), updated_at = now()
            WHERE order_id = $1 AND (status = 'pending' OR (status = 'fulfilled_unsettled' AND requirement_id = $2))`,
          [orderId, p.requirement_id, p.challenge_hash, p.chain_receipt_id, p.pricing_band, p.event_id],
        );
        return r.rowCount === 1 ? 'marked' : settle(orderId, p.requirement_id);
      },
      markOrderFulfilledUnsettledOnce: async (orderId: string, p: SiglumePaymentRecord) => {
        const r = await c.query(
          `UPDATE ${t('orders')}
              SET status = 'fulfilled_unsettled', requirement_id = $2, challenge_hash = $3,
                  pricing_band = $4, paid_event_id = $5, updated_at = now()
            WHERE order_id = $1 AND status = 'pending'`,
          [orderId, p.requirement_id, p.challenge_hash, p.pricing_band, p.event_id],
        );
        return r.rowCount === 1 ? 'marked' : settle(orderId, p.requirement_id);
      },
      flagPaymentReview: async (r: SiglumePaymentReview) => {
        await c.query(
          `INSERT INTO ${t('siglume_payment_reviews')}
             (event_id, event_type, kind, code, reason, order_id, requirement_id, challenge_hash, settlement_batch_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) ON CONFLICT (event_id) DO NOTHING`,
          [r.event_id, r.event_type, r.kind, r.code, r.reason, r.order_id, r.requirement_id, r.challenge_hash, r.settlement_batch_id],
        );
      },
      recordSettlementBatchOnce: async (b: SiglumeSettlementBatchRecord) => {
        const r = await c.query(
          `INSERT INTO ${t('siglume_settlement_batches')}
             (settlement_batch_id, event_id, chain_receipt_id, usage_event_digest, pricing_band, settled_at)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (settlement_batch_id) DO NOTHING`,
          [b.settlement_batch_id, b.event_id, b.chain_receipt_id, b.usage_event_digest, b.pricing_band, b.settled_at],
        );
        return r.rowCount === 1;
      },
    };
  }

  // BEGIN / COMMIT on one pooled connection. Any error rolls back and is
  // rethrown; a connection that failed to roll back is discarded, not reused.
  async #transaction<T>(fn: (c: PoolClient) => Promise<T>): Promise<T> {
    const c = await this.#pool.connect();
    let broken: Error | undefined;
    try {
      await c.query('BEGIN');
      const result = await fn(c);
      await c.query('COMMIT');
      return result;
    } catch (err) {
      await c.query('ROLLBACK').catch((rollbackError: Error) => {
        broken = rollbackError;
      });
      throw err;
    } finally {
      c.release(broken);
    }
  }
}
