/**
 * The {@link OrderStore} written once in portable SQL, over a
 * {@link SqlConnection} and a {@link SqlDialect}. Database adapters
 * (`orders/postgres`, ...) are a connection and a dialect around it.
 *
 * Exactly-once rests on database facts, not on this process:
 * - the event row is inserted first, under its primary key, in the same
 *   transaction as the order write: a concurrent duplicate blocks on that key
 *   until the first transaction ends, then inserts nothing;
 * - `findPayment` locks the order row, so events for one order are decided
 *   one after the other; transitions are guarded (`WHERE status = pending`);
 * - an attempt records at most one payment, and the schema allows at most one
 *   paid attempt per order.
 * Timestamps are computed here and bound as parameters, so every dialect
 * compares them the same way.
 */
import { randomId } from '../../core/crypto.js';
import { SiglumeDirectRequestPaymentError } from '../../core/errors.js';
import type { DirectRequestPaymentCurrency } from '../../core/validation.js';
import { orderStatusOf, resolveOrdersTable, sqlIdentifier, type OrdersTableMapping, type ResolvedOrdersTable } from '../mapping.js';
import type {
  OrderCheckoutAttempt,
  OrderCheckoutAttemptPolicy,
  OrderCheckoutAttemptStart,
  OrderCheckoutSession,
  OrderPaymentContext,
  OrderPaymentRecord,
  OrderRecord,
  OrderStore,
  OrderStoreProblem,
  OrderStoreTransaction,
  OrderUnpaidCheckoutAttempt,
  OrderUnpaidCheckoutAttemptQuery,
  OrderWebhookPreview,
} from '../store.js';
import { expiresWithinReuseMargin } from '../session-reuse.js';
import { checkSqlTables } from './check-tables.js';
import type { SqlConnection, SqlDialect, SqlExecutor } from './dialect.js';

/** Options shared by the SQL adapters. */
export interface SqlOrderStoreOptions {
  /** Your orders table. @default the sample `orders` table */
  orders?: OrdersTableMapping | undefined;
  /** Schema holding the package's payment tables. @default the connection's default (search_path) */
  schema?: string | undefined;
  /**
   * How long a write waits for a row lock held by another session before failing, ms: a webhook then answers 500
   * (and is redelivered), a checkout start 500 `checkout_failed`. Every write of the store waits at most this long
   * (the webhook's transaction, the checkout start's, and the checkout attempt updates). @default 10000
   */
  lock_timeout_ms?: number | undefined;
}

type Row = Record<string, unknown>;

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));
const num = (v: unknown): number => (typeof v === 'number' ? v : typeof v === 'bigint' || typeof v === 'string' ? Number(v) : Number.NaN);
const currency = (v: unknown): DirectRequestPaymentCurrency => String(v ?? '').toUpperCase() as DirectRequestPaymentCurrency;
const date = (v: unknown): Date | null => {
  if (v === null || v === undefined) return null;
  const d = v instanceof Date ? v : new Date(typeof v === 'number' ? v : String(v));
  return Number.isNaN(d.getTime()) ? null : d;
};
/**
 * The amount of the order `order_id` as read from the mapped `column`: an integer count of minor units. pg and
 * mysql2 return NUMERIC / DECIMAL as text ("500.00"), and reading that as 500 would charge a hundredth of the
 * price; so text with a decimal point or an exponent, a fraction, or anything else not an integer (Prisma's
 * Decimal object) is refused, naming the mapping field, the column, the order and the value. A null stays NaN
 * (no valid amount), as before.
 */
function amountMinor(v: unknown, column: string, order_id: unknown): number {
  if (v === null || v === undefined) return Number.NaN;
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number' ? Number.isInteger(v) : typeof v === 'string' && /^-?[0-9]+$/.test(v)) return Number(v);
  const shown = typeof v === 'string' ? JSON.stringify(v.slice(0, 40)) : typeof v === 'number' ? String(v) : `a value of type ${typeof v}`;
  throw new SiglumeDirectRequestPaymentError(
    `The orders table's column ${column} (orders.amount_column) holds ${shown} for order ${String(order_id)}, which is not an ` +
      'integer: amounts are integer minor units (JPY yen, USD cents), so 500.00 USD must be stored as 50000; map a column of ' +
      'integer minor units, or convert the column',
    { code: 'ORDER_AMOUNT_NOT_MINOR_UNITS' },
  );
}

/**
 * True when the key `found` is the id `requested`: the same text, another
 * spelling of the same integer (`01000`, ` 1000`), or a text key its
 * collation matched (`ORD_A` for `ord_a`). MySQL also compares `abc` equal to
 * 0 and `1e3` or `1000abc` to 1000 for an integer key: not the same order.
 */
function sameId(found: unknown, requested: string): boolean {
  const key = String(found);
  if (key === requested || !/^-?[0-9]+$/.test(key)) return true;
  return /^\s*[+-]?[0-9]+\s*$/.test(requested) && BigInt(requested.trim()) === BigInt(key);
}

// Stored messages are for operators; keep them short and storable.
// eslint-disable-next-line no-control-regex
const message = (m: string) => m.replace(/[\u0000-\u001f\u007f]/g, ' ').slice(0, 500);

/** {@link OrderStore} over any SQL database with row locks and unique keys. */
export class SqlOrderStore implements OrderStore {
  readonly #db: SqlConnection;
  readonly #d: SqlDialect;
  readonly #o: ResolvedOrdersTable;
  /** The orders table's names as written into SQL (quoted by the dialect). */
  readonly #n: { table: string; id: string; amount: string; currency: string; status: string; owner: string | null; paid_at: string | null };
  readonly #lockTimeoutMs: number;
  readonly #t: { attempts: string; events: string; reviews: string; batches: string };
  /** Schema of the payment tables as configured (unquoted), '' for the connection's default. */
  readonly #schema: string;
  readonly #quote: (name: string) => string;

  constructor(db: SqlConnection, dialect: SqlDialect, options: SqlOrderStoreOptions = {}) {
    this.#db = db;
    this.#d = dialect;
    this.#o = resolveOrdersTable(options.orders);
    // Quoted, so `user` or `current_date` is the column, never the SQL function of that name.
    const q = (name: string) => name.split('.').map((part) => dialect.quoteIdentifier?.(part) ?? part).join('.');
    const o = this.#o;
    this.#n = {
      table: q(o.table), id: q(o.id), amount: q(o.amount), currency: q(o.currency), status: q(o.status),
      owner: o.owner && q(o.owner), paid_at: o.paid_at && q(o.paid_at),
    };
    this.#quote = q;
    this.#schema = options.schema === undefined ? '' : sqlIdentifier(options.schema, 'schema');
    const schema = this.#schema === '' ? '' : `${q(this.#schema)}.`;
    this.#t = {
      attempts: `${schema}${q('siglume_checkout_attempts')}`,
      events: `${schema}${q('siglume_webhook_events')}`,
      reviews: `${schema}${q('siglume_payment_reviews')}`,
      batches: `${schema}${q('siglume_settlement_batches')}`,
    };
    const lock = options.lock_timeout_ms ?? 10_000;
    if (!Number.isSafeInteger(lock) || lock < 1 || lock > 600_000) throw new RangeError('lock_timeout_ms must be an integer from 1 to 600000');
    this.#lockTimeoutMs = lock;
  }

  /**
   * Runs `fn` in a transaction whose lock waits end after `lock_timeout_ms` (the dialect's setup). Every write goes
   * through here, also a single UPDATE: without it PostgreSQL waits for a row lock for ever (MySQL 50 s), so one
   * session holding an order row would hang each checkout start for that order until the pool is used up.
   */
  #locked<T>(fn: (tx: SqlExecutor) => Promise<T>): Promise<T> {
    return this.#db.transaction(fn, this.#d.transactionSetup(this.#lockTimeoutMs));
  }

  /** `text` with `?` replaced by the dialect's numbered placeholders. */
  #sql(text: string): string {
    let i = 0;
    return text.replace(/\?/g, () => this.#d.placeholder(++i));
  }

  #q(ex: SqlExecutor, text: string, params: unknown[]) {
    return ex.query(this.#sql(text), params);
  }

  /** Inserts the row unless its key exists; true when it was inserted. Any other failure throws. */
  async #insertIgnore(ex: SqlExecutor, table: string, values: Record<string, unknown>): Promise<boolean> {
    const cols = Object.keys(values);
    try {
      const r = await ex.query(this.#d.insertIgnore(table, cols, cols.map((_, i) => this.#d.placeholder(i + 1))), Object.values(values));
      return r.affected_rows === 1;
    } catch (error) {
      if (this.#d.duplicateKey?.(error)) return false;
      throw error;
    }
  }

  /**
   * The first row of a lookup by an id from outside (the browser's order id, an event's id or challenge hash), or
   * undefined. A value its column cannot hold (the dialect's `rejectsValue`: "abc" for an integer key on
   * PostgreSQL; "💥" for a utf8mb3 or latin1 column on MySQL, an illegal mix of collations) cannot match a
   * stored row: that is "not found", not a failure.
   */
  async #lookup(ex: SqlExecutor, text: string, params: unknown[]): Promise<Row | undefined> {
    try {
      return (await this.#q(ex, text, params)).rows[0];
    } catch (error) {
      if (this.#d.rejectsValue?.(error)) return undefined;
      throw error;
    }
  }

  #orderSelect(lock: boolean): string {
    const o = this.#n;
    const owner = o.owner ? `, ${o.owner} AS owner_id` : '';
    return `SELECT ${o.id} AS order_id, ${o.amount} AS amount_minor, ${o.currency} AS currency, ${o.status} AS status${owner}
      FROM ${o.table} WHERE ${o.id} = ?${lock ? this.#d.lock_rows : ''}`;
  }

  /** The order of `row`, found by the id `requested`; null for none, or for a row the database matched to an id that is not its own. */
  #order(row: Row | undefined, requested: string): OrderRecord | null {
    if (!row) return null;
    // A driver that reads a BIGINT key as a JS number rounds it past 2^53: that id would name another order.
    if (typeof row.order_id === 'number' && !Number.isSafeInteger(row.order_id)) {
      throw new SiglumeDirectRequestPaymentError(
        `The orders table returned the id ${row.order_id} as a number beyond 2^53, which is rounded and may name another order; have the driver return big integers as strings (mysql2: supportBigNumbers and bigNumberStrings)`,
        { code: 'ORDER_ID_NOT_EXACT' },
      );
    }
    if (!sameId(row.order_id, requested)) return null;
    return {
      order_id: String(row.order_id),
      amount_minor: amountMinor(row.amount_minor, this.#o.amount, row.order_id),
      currency: currency(row.currency),
      status: orderStatusOf(row.status, this.#o),
      owner_id: this.#o.owner ? str(row.owner_id) : null,
    };
  }

  /**
   * Checks, once at start-up, that the tables are what this store was
   * configured for: the orders table and each mapped column (`orders.table`,
   * `orders.amount_column`, ...), and the package's four `siglume_*` tables
   * with every column the store uses. Read only, no transaction, no row
   * locks, nothing written: `SELECT <columns> FROM <table> WHERE 1 = 0`, one
   * statement per table, and when one fails, one per column, so each problem
   * names the mapping field or table to fix by which statement failed (the
   * database's error text is never copied into a problem). A table being altered makes it wait like any read (the
   * statements take PostgreSQL's ACCESS SHARE lock and MySQL's metadata lock;
   * no statement timeout is set, as PostgreSQL's `SET LOCAL` needs a
   * transaction). A failed probe is a problem only when the dialect's
   * `missingObject` says the table, column or schema is not there or may not
   * be read. Then it reads the amount column's type where the database tells
   * it (information_schema.columns, SQLite's `pragma_table_info`): a NUMERIC /
   * DECIMAL with digits after the point or a floating-point column is an
   * `orders_column_type` problem, as the store reads
   * integer minor units; a payment table's column an earlier migration made
   * narrower than what the store writes (MySQL's `settled_at`) is a
   * `payment_column_type` problem.
   *
   * @returns every problem found; empty when the store can run.
   * @throws the driver's error when the database cannot be reached, or when a
   *   probe fails for another reason (a connection reset, too many clients, a
   *   cancelled statement, a lock wait): that says nothing about the tables.
   */
  async checkTables(): Promise<OrderStoreProblem[]> {
    return checkSqlTables({ db: this.#db, dialect: this.#d, orders: this.#o, schema: this.#schema, quote: this.#quote });
  }

  async findOrder(order_id: string): Promise<OrderRecord | null> {
    return this.#order(await this.#lookup(this.#db, this.#orderSelect(false), [order_id]), order_id);
  }

  async beginCheckoutAttempt(order_id: string, policy: OrderCheckoutAttemptPolicy): Promise<OrderCheckoutAttemptStart> {
    const A = this.#t.attempts;
    const ts = (d: Date) => this.#d.timestamp(d);
    return this.#locked(async (tx) => {
      // The order row lock queues concurrent starts: the second sees what the first did.
      const order = this.#order(await this.#lookup(tx, this.#orderSelect(true), [order_id]), order_id);
      if (!order) return { kind: 'not_found' };
      if (order.status !== 'pending') return { kind: 'not_payable', order };
      // The table's spelling of the id from here on (`01000` may have found order 1000): the webhook finds the order by it.
      const id = order.order_id;
      const now = new Date();
      const active = (await this.#q(tx,
        `SELECT attempt_id, nonce, amount_minor, currency, checkout_session_id, checkout_url, challenge_hash, expires_at,
                session_stored_at, creation_lease_until FROM ${A} WHERE order_id = ? AND status = 'active'`, [id])).rows[0];
      if (active) {
        const attempt: OrderCheckoutAttempt = {
          attempt_id: String(active.attempt_id), order_id: id, nonce: String(active.nonce),
          amount_minor: num(active.amount_minor), currency: currency(active.currency),
        };
        const changed = attempt.amount_minor !== order.amount_minor || attempt.currency !== order.currency;
        if (active.checkout_session_id !== null && active.checkout_session_id !== undefined) {
          // Without expires_at from Siglume, assume the default lifetime from when the session was stored.
          const stored = date(active.session_stored_at) ?? now;
          const expires = date(active.expires_at) ?? new Date(stored.getTime() + policy.default_session_lifetime_seconds * 1000);
          return {
            kind: 'reuse', order, attempt,
            session: {
              checkout_session_id: String(active.checkout_session_id), checkout_url: String(active.checkout_url),
              challenge_hash: String(active.challenge_hash), expires_at: date(active.expires_at)?.toISOString() ?? null,
            },
            near_end: expiresWithinReuseMargin(expires, policy.session_reuse_margin_seconds, now),
            changed,
          };
        }
        if (changed) {
          await this.#q(tx, `UPDATE ${A} SET status = 'superseded', updated_at = ? WHERE attempt_id = ?`, [ts(now), attempt.attempt_id]);
        } else {
          const lease = date(active.creation_lease_until);
          if (lease && lease.getTime() > now.getTime()) return { kind: 'creating', order, attempt };
          await this.#q(tx, `UPDATE ${A} SET creation_lease_until = ?, updated_at = ? WHERE attempt_id = ?`,
            [ts(new Date(now.getTime() + policy.creation_lease_seconds * 1000)), ts(now), attempt.attempt_id]);
          return { kind: 'create', order, attempt };
        }
      }
      const attempt: OrderCheckoutAttempt = {
        attempt_id: `att_${randomId().replaceAll('-', '')}`, order_id: id, nonce: policy.new_nonce,
        amount_minor: order.amount_minor, currency: order.currency,
      };
      await this.#q(tx,
        `INSERT INTO ${A} (attempt_id, order_id, nonce, amount_minor, currency, status, creation_lease_until, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, 'active', ?, ?, ?)`,
        [attempt.attempt_id, id, attempt.nonce, attempt.amount_minor, attempt.currency,
          ts(new Date(now.getTime() + policy.creation_lease_seconds * 1000)), ts(now), ts(now)]);
      return { kind: 'create', order, attempt };
    });
  }

  async markCheckoutPending(attempt: OrderCheckoutAttempt, session: OrderCheckoutSession): Promise<OrderCheckoutSession | null> {
    const A = this.#t.attempts;
    const now = new Date();
    const expires = session.expires_at === null ? null : date(session.expires_at);
    return this.#locked(async (tx) => {
      // First writer wins: a session stored by a concurrent start is kept, never overwritten.
      const updated = await this.#q(tx,
        `UPDATE ${A} SET checkout_session_id = ?, checkout_url = ?, challenge_hash = ?, expires_at = ?, session_stored_at = ?,
                creation_lease_until = NULL, updated_at = ?
          WHERE attempt_id = ? AND status = 'active' AND checkout_session_id IS NULL`,
        [session.checkout_session_id, session.checkout_url, session.challenge_hash, expires && this.#d.timestamp(expires),
          this.#d.timestamp(now), this.#d.timestamp(now), attempt.attempt_id]);
      if (updated.affected_rows === 1) return { ...session, expires_at: expires?.toISOString() ?? null };
      const row = (await this.#q(tx,
        `SELECT checkout_session_id, checkout_url, challenge_hash, expires_at FROM ${A}
          WHERE attempt_id = ? AND status = 'active' AND checkout_session_id IS NOT NULL`, [attempt.attempt_id])).rows[0];
      if (!row) return null;
      return {
        checkout_session_id: String(row.checkout_session_id), checkout_url: String(row.checkout_url),
        challenge_hash: String(row.challenge_hash), expires_at: date(row.expires_at)?.toISOString() ?? null,
      };
    });
  }

  async markCheckoutFailed(attempt: OrderCheckoutAttempt, error_message: string): Promise<void> {
    await this.#locked((tx) => this.#q(tx, `UPDATE ${this.#t.attempts} SET creation_lease_until = NULL, last_error = ?, updated_at = ? WHERE attempt_id = ?`,
      [message(error_message), this.#d.timestamp(new Date()), attempt.attempt_id]));
  }

  async previewWebhookEvent(event_id: string, challenge_hash: string | null): Promise<OrderWebhookPreview> {
    const E = this.#t.events;
    const A = this.#t.attempts;
    let row: Row | undefined;
    try {
      row = (await this.#q(this.#db,
        `SELECT (SELECT 1 FROM ${E} WHERE event_id = ?) AS recorded, (SELECT checkout_session_id FROM ${A} WHERE challenge_hash = ?) AS session_id`,
        [event_id, challenge_hash])).rows[0];
    } catch (error) {
      if (!this.#d.rejectsValue?.(error)) throw error;
      // One of the two values fits no row of its table: each lookup on its own says which found nothing.
      const recorded = await this.#lookup(this.#db, `SELECT 1 AS recorded FROM ${E} WHERE event_id = ?`, [event_id]);
      const attempt = challenge_hash === null
        ? undefined
        : await this.#lookup(this.#db, `SELECT checkout_session_id FROM ${A} WHERE challenge_hash = ?`, [challenge_hash]);
      row = { recorded: recorded?.recorded, session_id: attempt?.checkout_session_id };
    }
    return { event_recorded: row?.recorded !== null && row?.recorded !== undefined, checkout_session_id: str(row?.session_id) };
  }

  async listUnpaidCheckoutAttempts(query: OrderUnpaidCheckoutAttemptQuery): Promise<OrderUnpaidCheckoutAttempt[]> {
    const { limit, after } = query;
    // Inlined, so no driver has to bind a LIMIT parameter; checked first.
    if (!Number.isSafeInteger(limit) || limit < 1 || limit > 1000) throw new RangeError('limit must be an integer from 1 to 1000');
    const ts = (d: Date) => this.#d.timestamp(d);
    const [from, to] = [ts(query.created_after), ts(query.created_before)];
    // In the window by creation or by when its session was stored (an attempt whose first session creation failed is
    // reused days later), and never with a session stored at or after created_before: that one is left to its webhook.
    const params: unknown[] = [from, to, from, to, to];
    let page = '';
    if (after) {
      const at = date(after.created_at);
      if (!at) throw new RangeError('after.created_at must be an ISO 8601 time');
      page = ' AND (created_at > ? OR (created_at = ? AND attempt_id > ?))';
      params.push(ts(at), ts(at), after.attempt_id);
    }
    const rows = (await this.#q(this.#db,
      `SELECT attempt_id, order_id, status, amount_minor, currency, checkout_session_id, challenge_hash, created_at FROM ${this.#t.attempts}
        WHERE checkout_session_id IS NOT NULL AND requirement_id IS NULL
          AND ((created_at >= ? AND created_at < ?) OR (session_stored_at >= ? AND session_stored_at < ?))
          AND (session_stored_at IS NULL OR session_stored_at < ?)${page}
        ORDER BY created_at, attempt_id LIMIT ${limit}`, params)).rows;
    return rows.map((r) => ({
      attempt_id: String(r.attempt_id), order_id: String(r.order_id),
      status: String(r.status) as OrderUnpaidCheckoutAttempt['status'],
      amount_minor: num(r.amount_minor), currency: currency(r.currency), checkout_session_id: String(r.checkout_session_id),
      challenge_hash: str(r.challenge_hash), created_at: (date(r.created_at) ?? new Date(0)).toISOString(),
    }));
  }

  async retireCheckoutAttempt(attempt_id: string, status: 'expired' | 'superseded' = 'expired'): Promise<boolean> {
    const updated = await this.#locked((tx) => this.#q(tx,
      `UPDATE ${this.#t.attempts} SET status = ?, creation_lease_until = NULL, updated_at = ?
        WHERE attempt_id = ? AND status = 'active' AND requirement_id IS NULL`,
      [status === 'superseded' ? 'superseded' : 'expired', this.#d.timestamp(new Date()), attempt_id]));
    return updated.affected_rows === 1;
  }

  async processWebhookEvent<T>(
    event: { event_id: string; event_type: string },
    work: (tx: OrderStoreTransaction) => Promise<{ outcome: string; result: T }>,
  ): Promise<T> {
    const E = this.#t.events;
    return this.#locked(async (ex) => {
      // The event row goes FIRST: a concurrent delivery of the same id blocks here until this transaction ends.
      const first = await this.#insertIgnore(ex, E, { event_id: event.event_id, event_type: event.event_type, received_at: this.#d.timestamp(new Date()) });
      const { outcome, result } = await work(this.#transaction(ex, first, event.event_id));
      if (first) await this.#q(ex, `UPDATE ${E} SET outcome = ? WHERE event_id = ?`, [outcome, event.event_id]);
      return result;
    });
  }

  #transaction(ex: SqlExecutor, first_delivery: boolean, event_id: string): OrderStoreTransaction {
    const { attempts: A, reviews: R, batches: B } = this.#t;
    const o = this.#n;
    const statusValues = this.#o.values;
    const ts = (d: Date) => this.#d.timestamp(d);
    const insertIgnore = (table: string, values: Record<string, unknown>) => this.#insertIgnore(ex, table, values);
    const transition = async (order_id: string, p: OrderPaymentRecord, to: 'paid' | 'fulfilled_unsettled') => {
      const now = new Date();
      const paidAt = to === 'paid' && o.paid_at ? `, ${o.paid_at} = ?` : '';
      const updated = await this.#q(ex, `UPDATE ${o.table} SET ${o.status} = ?${paidAt} WHERE ${o.id} = ? AND ${o.status} = ?`,
        [statusValues[to], ...(paidAt ? [ts(now)] : []), order_id, statusValues.pending]);
      if (updated.affected_rows !== 1) return false;
      // By attempt id alone: findPayment found the order through this attempt, under the order lock. An attempt kept
      // under another spelling of the id (`01000`) by an earlier version still names it, so its payment applies now.
      const recorded = await this.#q(ex,
        `UPDATE ${A} SET requirement_id = ?, chain_receipt_id = ?, pricing_band = ?, payment_status = ?, paid_event_id = ?,
                paid_at = ?, updated_at = ? WHERE attempt_id = ? AND requirement_id IS NULL`,
        [p.requirement_id, p.chain_receipt_id, p.pricing_band, to, p.event_id, ts(now), ts(now), p.attempt_id]);
      return recorded.affected_rows === 1;
    };
    return {
      first_delivery,
      recordedOutcome: async () => {
        // A plain read: the duplicate insert returned only once the first delivery committed, and MySQL's snapshot
        // starts at the transaction's first plain read, after that. Locking it (the duplicate already holds a shared
        // lock on the row) would let two concurrent reconcile runs deadlock.
        const row = (await this.#q(ex, `SELECT outcome FROM ${this.#t.events} WHERE event_id = ?`, [event_id])).rows[0];
        return str(row?.outcome);
      },
      findPayment: async (challenge_hash): Promise<OrderPaymentContext | null> => {
        const a = await this.#lookup(ex, `SELECT attempt_id, order_id, status, amount_minor, currency, checkout_session_id FROM ${A} WHERE challenge_hash = ?`,
          [challenge_hash]);
        if (!a) return null;
        // Locks the order: two events for one order are decided one after the other.
        const order = this.#order((await this.#q(ex, this.#orderSelect(true), [String(a.order_id)])).rows[0], String(a.order_id));
        if (!order) return null;
        // A locking read: under MySQL's REPEATABLE READ a plain SELECT would see the snapshot taken before the order lock.
        const paid = (await this.#q(ex, `SELECT requirement_id, payment_status FROM ${A} WHERE order_id = ? AND requirement_id IS NOT NULL${this.#d.lock_rows}`,
          [order.order_id])).rows[0];
        return {
          order,
          attempt: {
            attempt_id: String(a.attempt_id), status: String(a.status) as OrderPaymentContext['attempt']['status'],
            amount_minor: num(a.amount_minor), currency: currency(a.currency), checkout_session_id: str(a.checkout_session_id),
          },
          payment: paid ? { requirement_id: String(paid.requirement_id), status: paid.payment_status === 'paid' ? 'paid' : 'fulfilled_unsettled' } : null,
        };
      },
      markOrderPaid: (order_id, p) => transition(order_id, p, 'paid'),
      markOrderFulfilledUnsettled: (order_id, p) => transition(order_id, p, 'fulfilled_unsettled'),
      recordReview: async (r) => {
        await insertIgnore(R, {
          event_id: r.event_id, event_type: r.event_type, kind: r.kind, code: r.code, reason: message(r.reason), order_id: r.order_id,
          requirement_id: r.requirement_id, challenge_hash: r.challenge_hash, settlement_batch_id: r.settlement_batch_id, created_at: ts(new Date()),
        });
      },
      findEarlierReview: async (r) => {
        if (r.requirement_id === null || r.challenge_hash === null || r.order_id === null) return null;
        // A plain read: the order's lock (findPayment) already puts two decisions about this payment one after the
        // other, and the stores read at READ COMMITTED, so it sees what the first committed. A locking read would
        // scan the table (no index on these columns) and wait on every row another transaction holds, so on MySQL
        // one order's review would queue behind another's, or behind a person resolving a review in a SQL tool.
        const row = (await this.#q(ex,
          `SELECT event_id FROM ${R} WHERE requirement_id = ? AND challenge_hash = ? AND order_id = ? AND code = ? AND reason = ?
            ORDER BY created_at, event_id LIMIT 1`,
          [r.requirement_id, r.challenge_hash, r.order_id, r.code, message(r.reason)])).rows[0];
        return str(row?.event_id);
      },
      recordSettlementBatch: (b) =>
        insertIgnore(B, {
          settlement_batch_id: b.settlement_batch_id, event_id: b.event_id, chain_receipt_id: b.chain_receipt_id,
          usage_event_digest: b.usage_event_digest, pricing_band: b.pricing_band, settled_at: b.settled_at, recorded_at: ts(new Date()),
        }),
    };
  }
}
