/**
 * The persistence contract of the order-processing core: everything the
 * checkout service reads and writes, as one interface an adapter implements
 * for its database (`@siglume/direct-request-payment/orders/postgres`, or your
 * own). The core never sees SQL; an adapter never decides about money.
 *
 * Two guarantees carry exactly-once, and every adapter must keep them:
 * 1. `processWebhookEvent` records the event id and applies the order
 *    transition in ONE transaction: both commit or neither does, and a
 *    concurrent second delivery of the same id waits for the first and then
 *    sees `first_delivery: false`.
 * 2. `findPayment` locks the order row for the rest of that transaction, so
 *    two different events for one order are decided one after the other.
 *
 * The merchant's orders table is the merchant's: an adapter maps its table and
 * column names (id, amount, currency, status, owner) through options. The
 * payment tables (checkout attempts, webhook events, reviews, settlement
 * batches) belong to the package.
 */
import type { DirectRequestPaymentCurrency } from '../core/validation.js';
import type { DirectPaymentMeteredBand } from '../webhooks/classify.js';

/**
 * Payment state of an order as the core sees it. `other` is any status value
 * of the merchant's table that is none of the three (cancelled, shipped, ...):
 * such an order is not payable, and a payment for it goes to review.
 */
export type OrderPaymentStatus = 'pending' | 'paid' | 'fulfilled_unsettled' | 'other';

/** An order as the store reads it from the merchant's orders table. */
export interface OrderRecord {
  order_id: string;
  /** The order's current price in minor units (JPY yen, USD cents): the server's, never the browser's. */
  amount_minor: number;
  currency: DirectRequestPaymentCurrency;
  status: OrderPaymentStatus;
  /** Value of the mapped owner column (e.g. `user_id`), for `authorize_order`; null when none is mapped. */
  owner_id: string | null;
}

/** Lifecycle of a checkout attempt. Only an `active` attempt is handed out again. */
export type OrderCheckoutAttemptStatus = 'active' | 'superseded' | 'expired';

/** A checkout attempt: one price snapshot and one nonce (so a retried start signs the same challenge). */
export interface OrderCheckoutAttempt {
  attempt_id: string;
  order_id: string;
  nonce: string;
  /** What this attempt charges: the order's price when the attempt was made. */
  amount_minor: number;
  currency: DirectRequestPaymentCurrency;
}

/** A Hosted Checkout session stored on an attempt. */
export interface OrderCheckoutSession {
  checkout_session_id: string;
  checkout_url: string;
  challenge_hash: string;
  expires_at: string | null;
}

/** Settings the service hands to {@link OrderStore.beginCheckoutAttempt}. */
export interface OrderCheckoutAttemptPolicy {
  /** Nonce for a new attempt, if one has to be made (no `:`). */
  new_nonce: string;
  /** How long one request may create the session before another may take over, seconds. */
  creation_lease_seconds: number;
  /** A stored session expiring sooner than this is `near_end`: not handed out again unless Siglume says it was paid, seconds. */
  session_reuse_margin_seconds: number;
  /** Assumed lifetime of a session whose `expires_at` Siglume did not report, from when it was stored, seconds. */
  default_session_lifetime_seconds: number;
}

/**
 * What {@link OrderStore.beginCheckoutAttempt} found and did, in one
 * transaction with the order row locked:
 * - `not_found`: no such order.
 * - `not_payable`: the order is not `pending`; nothing was written.
 * - `reuse`: the active attempt has a session: hand it out again. `near_end`
 *   when it expires within the reuse margin, `changed` when the order's price
 *   or currency is no longer the attempt's: the service then asks Siglume and
 *   retires the attempt (`retireCheckoutAttempt`, as `superseded` when
 *   `changed`) only when that session was not paid, so a paid session whose
 *   webhook was lost never gets a second.
 * - `creating`: another request holds the attempt's creation lease: answer 202.
 * - `create`: this request now holds the lease: create the session with the
 *   attempt's nonce, then `markCheckoutPending` or `markCheckoutFailed`.
 *
 * Before answering, the store retires the active attempt when the order's
 * price changed and it has no session yet (`superseded`), and makes a new
 * attempt with `new_nonce` when none is active. It never retires one that has
 * a session: only Siglume knows whether that session was paid.
 */
export type OrderCheckoutAttemptStart =
  | { kind: 'not_found' }
  | { kind: 'not_payable'; order: OrderRecord }
  | { kind: 'reuse'; order: OrderRecord; attempt: OrderCheckoutAttempt; session: OrderCheckoutSession; near_end?: boolean; changed?: boolean }
  | { kind: 'creating'; order: OrderRecord; attempt: OrderCheckoutAttempt }
  | { kind: 'create'; order: OrderRecord; attempt: OrderCheckoutAttempt };

/** The attempt a confirmation's challenge hash belongs to (active or retired). */
export interface OrderPaymentAttempt {
  attempt_id: string;
  status: OrderCheckoutAttemptStatus;
  amount_minor: number;
  currency: DirectRequestPaymentCurrency;
  checkout_session_id: string | null;
}

/** The payment already recorded for an order (on whichever of its attempts was paid). */
export interface OrderRecordedPayment {
  requirement_id: string;
  status: 'paid' | 'fulfilled_unsettled';
}

/** An order found by challenge hash, with the matched attempt and the order's recorded payment. */
export interface OrderPaymentContext {
  order: OrderRecord;
  attempt: OrderPaymentAttempt;
  payment: OrderRecordedPayment | null;
}

/** Payment facts written when an order is marked paid or fulfilled-unsettled. */
export interface OrderPaymentRecord {
  event_id: string;
  attempt_id: string;
  requirement_id: string;
  challenge_hash: string;
  /** Null for accepted Micro / Nano usage (nothing settled on-chain yet). */
  chain_receipt_id: string | null;
  pricing_band: 'standard' | DirectPaymentMeteredBand;
}

/** Review codes: why an event needs a person. */
export type OrderReviewCode =
  | 'UNKNOWN_CONFIRMATION'
  | 'METERED_INTEGRATION_REQUIRED'
  | 'ORDER_NOT_FOUND'
  | 'PAYMENT_MISMATCH'
  | 'PAYMENT_NOT_CONFIRMED'
  | 'ORDER_STATE_CONFLICT';

/** A payment-review row. A review never changes the order. */
export interface OrderPaymentReview {
  event_id: string;
  event_type: string;
  code: OrderReviewCode;
  reason: string;
  /** Classifier kind of the event. */
  kind: string;
  order_id: string | null;
  requirement_id: string | null;
  challenge_hash: string | null;
  settlement_batch_id: string | null;
  /**
   * True when Siglume's API confirmed the payment this review is about, and its terms (`confirm_payments` on,
   * decided after that check: `PAYMENT_MISMATCH`, `ORDER_STATE_CONFLICT`): a refund may be owed. False when the
   * review is of what an event claimed, which a test delivery forged with the merchant token can claim: check the
   * requirement with Siglume before refunding. Set by the core on every review it makes; not stored in the table.
   */
  confirmed?: boolean;
}

/** A settled Micro / Nano batch, recorded by batch id (never matched to an order). */
export interface OrderSettlementBatchRecord {
  event_id: string;
  settlement_batch_id: string;
  chain_receipt_id: string;
  usage_event_digest: string;
  pricing_band: DirectPaymentMeteredBand;
  settled_at: string | null;
}

/** Operations inside {@link OrderStore.processWebhookEvent}; all run in its transaction. */
export interface OrderStoreTransaction {
  /** False when the event id was recorded before (a redelivery): the core then writes nothing. */
  readonly first_delivery: boolean;
  /**
   * On a redelivery (`first_delivery: false`): the outcome label the first
   * delivery stored with the event (`marked_paid`, `review:ORDER_STATE_CONFLICT`,
   * ...), null when none was stored. Reconciliation reports a session an
   * earlier run recorded by it, so a second payment that went to review is
   * reported as review again. Optional: without it, reconciliation reports
   * such a session as consistent only when the order's payment is the session's
   * own requirement, and as review otherwise.
   */
  recordedOutcome?(): Promise<string | null>;
  /** The order and attempt of a challenge hash, order row locked; null when no attempt has it. */
  findPayment(challenge_hash: string): Promise<OrderPaymentContext | null>;
  /**
   * Guarded transition `pending` -> `paid` (the core asks for it only when the
   * order is `pending` and has no payment). Records the payment on the
   * attempt. False when the guard did not match (the core then rolls back).
   */
  markOrderPaid(order_id: string, payment: OrderPaymentRecord): Promise<boolean>;
  /** Guarded transition `pending` -> `fulfilled_unsettled`; false when the guard did not match. */
  markOrderFulfilledUnsettled(order_id: string, payment: OrderPaymentRecord): Promise<boolean>;
  /** Adds a review row (at most one per event id). */
  recordReview(review: OrderPaymentReview): Promise<void>;
  /**
   * The event id of a review recorded earlier with the same finding about the
   * same payment: the same `requirement_id`, `challenge_hash` and `order_id`
   * (none of them null), the same `code` and the same `reason` as stored;
   * null when there is none. Read fresh (READ COMMITTED) but without locking
   * rows: the core asks it under the order's lock. The core then records no second row and
   * does not call `onReview` again, so a payment its webhook and a later
   * reconciliation both found wanting is one review (one refund). Another
   * code or reason is another finding and gets its own row: a test delivery
   * forged with the merchant token cannot hide a real review by naming its
   * payment first. Optional: without it, each event's review is a row of its
   * own and is heard.
   */
  findEarlierReview?(review: OrderPaymentReview): Promise<string | null>;
  /** Records a settled batch; false when that batch id was recorded before. */
  recordSettlementBatch(batch: OrderSettlementBatchRecord): Promise<boolean>;
}

/** What the webhook asks before confirming a payment with Siglume (read only, no transaction). */
export interface OrderWebhookPreview {
  /** True when the event id is already recorded: no need to ask Siglume anything. */
  event_recorded: boolean;
  /** Session of the attempt with the challenge hash, or null. */
  checkout_session_id: string | null;
}

/** Where a page of {@link OrderStore.listUnpaidCheckoutAttempts} continues: the last attempt of the previous page. */
export interface OrderCheckoutAttemptCursor {
  /** `created_at` of the last attempt, ISO 8601. */
  created_at: string;
  attempt_id: string;
}

/**
 * What {@link OrderStore.listUnpaidCheckoutAttempts} selects: attempts that were
 * created in `[created_after, created_before)` or whose session was stored in
 * it (an attempt whose first session creation failed keeps its `created_at`
 * and may get its session days later), and whose session was not stored at
 * or after `created_before`.
 */
export interface OrderUnpaidCheckoutAttemptQuery {
  /** Start of the window: attempts created, or whose session was stored, at or after this time. */
  created_after: Date;
  /**
   * End of the window: attempts created, or whose session was stored, before
   * this time; an attempt whose session was stored at or after it is left out
   * whenever it was created (leave the newest sessions to their webhooks).
   */
  created_before: Date;
  /** At most this many attempts (1-1000). */
  limit: number;
  /** Attempts after this one in (created_at, attempt_id) order, whichever bound let them in; null for the first page. */
  after: OrderCheckoutAttemptCursor | null;
}

/**
 * A checkout attempt with a Hosted Checkout session and no recorded payment,
 * in any status: a retired attempt's session may still have been paid.
 */
export interface OrderUnpaidCheckoutAttempt {
  attempt_id: string;
  order_id: string;
  status: OrderCheckoutAttemptStatus;
  amount_minor: number;
  currency: DirectRequestPaymentCurrency;
  checkout_session_id: string;
  challenge_hash: string | null;
  /** ISO 8601. */
  created_at: string;
}

/** What {@link OrderStore.checkTables} found wrong, by kind. */
export type OrderStoreProblemCode =
  /** The mapped orders table cannot be read: `orders.table` names no table the store's database user can see. */
  | 'orders_table_unreadable'
  /** A mapped column of the orders table cannot be selected: the `orders.*_column` named in `field` is wrong. */
  | 'orders_column_unreadable'
  /**
   * A mapped column has a type that cannot hold what the store reads from it: `orders.amount_column` is a
   * NUMERIC / DECIMAL with digits after the point or a floating-point column, where the store reads
   * integer minor units (500.00 USD would be charged as 500 cents).
   */
  | 'orders_column_type'
  /** One of the package's `siglume_*` tables cannot be read: its migration has not been run here. */
  | 'payment_table_unreadable'
  /** A `siglume_*` table lacks a column the store uses: it was made by another version of the migration. */
  | 'payment_column_unreadable'
  /**
   * A column of a `siglume_*` table is narrower than what the store writes into it: made by an earlier version
   * of the migration (MySQL's `settled_at` was VARCHAR(64)); a longer value would fail its webhook on every delivery.
   */
  | 'payment_column_type';

/**
 * One thing {@link OrderStore.checkTables} found wrong. Names only what the
 * store was configured with (tables, columns, mapping fields): never a
 * driver's message, a connection string or a value from a row.
 */
export interface OrderStoreProblem {
  code: OrderStoreProblemCode;
  /** The mapping option to correct (`orders.table`, `orders.amount_column`, ...); null for the package's own tables. */
  field: string | null;
  /** The table as the store names it (`orders`, `shop.orders`, `siglume_webhook_events`). */
  table: string;
  /** The column that cannot be selected or has the wrong type; null when the whole table cannot be read. */
  column: string | null;
  /** What is wrong, naming the table, the column and the mapping field. */
  message: string;
  /** What to do about it, e.g. `Set orders.amount_column to ...` or `Run the whole migration siglume-payments.postgres.sql ...`. */
  fix: string;
  /**
   * The driver's error code for the failed probe (SQLSTATE `42703`, `ER_BAD_FIELD_ERROR`, `SQLITE_ERROR`; the
   * database's code, not `P2010`, under Prisma), null when it had none or no probe failed (a column of the wrong type).
   */
  driver_code: string | null;
}

/**
 * Persistence for {@link createOrderCheckoutService}. Every method either
 * completes or throws; a throw inside `processWebhookEvent` rolls back
 * everything it wrote, including the event row.
 */
export interface OrderStore {
  /**
   * Reads an order (for authorization); null when there is none, including
   * for an id the table's key column cannot hold (text for an integer key).
   * The record's `order_id` is the id as the table has it, which may be
   * spelled differently from the one asked for (`01000` finds order `1000`
   * in an integer column, `ORD_A` finds `ord_a` under a case-insensitive
   * collation).
   */
  findOrder(order_id: string): Promise<OrderRecord | null>;
  /**
   * See {@link OrderCheckoutAttemptStart}. One transaction, order row locked.
   * Attempts are kept under the locked order's own `order_id`, never under
   * another spelling of it: the webhook finds the order by that id, and two
   * spellings must not hold two active attempts.
   */
  beginCheckoutAttempt(order_id: string, policy: OrderCheckoutAttemptPolicy): Promise<OrderCheckoutAttemptStart>;
  /**
   * Stores the created session on the attempt and releases the lease. First
   * writer wins: when the attempt already has a session, returns that one.
   * Null when the attempt is no longer active (the order changed meanwhile).
   */
  markCheckoutPending(attempt: OrderCheckoutAttempt, session: OrderCheckoutSession): Promise<OrderCheckoutSession | null>;
  /** Releases the creation lease after `createCheckoutSession` failed, keeping the message for operators. */
  markCheckoutFailed(attempt: OrderCheckoutAttempt, error_message: string): Promise<void>;
  /** See {@link OrderWebhookPreview}. */
  previewWebhookEvent(event_id: string, challenge_hash: string | null): Promise<OrderWebhookPreview>;
  /**
   * Runs `work` in one transaction after inserting `event_id` (a duplicate id
   * waits for the first transaction, then runs with `first_delivery: false`).
   * Stores `work`'s `outcome` label on a first delivery, then commits. Any
   * throw rolls everything back and propagates.
   */
  processWebhookEvent<T>(
    event: { event_id: string; event_type: string },
    work: (tx: OrderStoreTransaction) => Promise<{ outcome: string; result: T }>,
  ): Promise<T>;
  /**
   * For reconciliation: attempts that have a checkout session and no recorded
   * payment, created or with their session stored in `[created_after,
   * created_before)`, none with a session stored at or after `created_before`
   * (see {@link OrderUnpaidCheckoutAttemptQuery}), in a stable
   * (created_at, attempt_id) order, at most `limit`, after the cursor. Read only.
   */
  listUnpaidCheckoutAttempts(query: OrderUnpaidCheckoutAttemptQuery): Promise<OrderUnpaidCheckoutAttempt[]>;
  /**
   * Retires an `active` attempt without a payment, as `status` (default
   * `expired`): Siglume reports its session expired, cancelled or unpaid near
   * its end, or (`superseded`) unpaid after the order was re-priced; a new
   * checkout then makes a new attempt. False when the attempt is no longer
   * active or has a payment.
   */
  retireCheckoutAttempt(attempt_id: string, status?: 'expired' | 'superseded'): Promise<boolean>;
  /**
   * Optional start-up check: probes, read only (no row locks, nothing
   * written; a table being altered makes it wait like any read), that the
   * orders table and each mapped column can be selected and that the
   * package's tables have the columns the store uses. Resolves to every
   * problem found (empty when none); throws the driver's error when the
   * database cannot be reached or a probe fails for any reason but a missing
   * table, column or permission. The service exposes it as
   * `checkStore()` / `assertStoreReady()`; a store without it is reported
   * `not_checked`.
   */
  checkTables?(): Promise<OrderStoreProblem[]>;
}
