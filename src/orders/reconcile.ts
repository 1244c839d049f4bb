/**
 * Reconciliation: finding orders whose buyer paid while the webhook never
 * arrived (the endpoint was down past Siglume's redelivery window, a deploy
 * rejected signatures, a firewall dropped traffic) and repairing them.
 *
 * For each checkout attempt that has a session and no payment, Siglume's API
 * is asked about the session. A `paid` session becomes the confirmation event
 * Siglume would have delivered and goes through exactly the webhook's path:
 * the same classifier, {@link decideOrderPayment}, the same store transaction
 * and guards, the same review codes. Nothing here decides about money.
 *
 * Exactly-once: the store records the payment on the order (at most one
 * payment per order, guarded transitions, the order row locked while
 * deciding). The reconciliation's own event id is derived from the session
 * (`reconcile:<session id>`), so two reconciliations of one session are one
 * event; the real event delivered later finds the payment already recorded by
 * the same requirement and changes nothing (`ignored:already_applied`).
 */
import { DIRECT_PAYMENT_CONFIRMED_EVENT, DIRECT_REQUEST_PAYMENT_MODE } from '../core/constants.js';
import { sha256Hex, timingSafeEqualString } from '../core/crypto.js';
import {
  SiglumeApiError,
  SiglumeAuthenticationError,
  SiglumeConnectionError,
  SiglumeDirectRequestPaymentError,
  SiglumePermissionError,
  SiglumeRateLimitError,
  SiglumeValidationError,
} from '../core/errors.js';
import { parseInput, merchantKeySchema } from '../core/validation.js';
import type { DirectRequestPaymentCheckoutSession } from '../clients/schemas/checkout-session.js';
import { classifyDirectPaymentConfirmation } from '../webhooks/classify.js';
import { confirmCheckoutSession, sessionCannotBePaid, type OrderCheckoutClient } from './confirm.js';
import { decideOrderPayment, orderDecisionLabel, orderLabelOutcome, orderLookupHash, type OrderPaymentDecision, type OrderPaymentPolicy } from './decide.js';
import { ORDER_RECONCILE_STUCK, OrderPaymentConfirmationUnavailableError } from './errors.js';
import { redactCredentialText } from '../core/redact-text.js';
import { isStorableId } from './ids.js';
import { reviewNotifier, type OrderReviewContext } from './options.js';
import type { OrderCheckoutAttemptCursor, OrderPaymentReview, OrderRecordedPayment, OrderStore, OrderUnpaidCheckoutAttempt } from './store.js';
import { parseReconcileSince, reconcileSinceProblem } from './since.js';
import { applyOrderDecision, type AppliedOrderDecision } from './webhook.js';

/** Default look-back of a reconciliation, hours (Siglume's redelivery window, with margin). */
export const ORDER_RECONCILE_DEFAULT_SINCE_HOURS = 72;
/** Default number of attempts one reconciliation examines at most. */
export const ORDER_RECONCILE_DEFAULT_LIMIT = 500;
/** Largest `limit` of one reconciliation. */
export const ORDER_RECONCILE_MAX_LIMIT = 10_000;
/** Default minimum age of an attempt, seconds: younger ones are left to their webhook. */
export const ORDER_RECONCILE_DEFAULT_MIN_AGE_SECONDS = 300;

/** Options of one reconciliation run. */
export interface OrderReconcileOptions {
  /** Examine attempts created, or whose session was stored, at or after this time: a Date, a duration before now (`30m`, `72h`, `7d`) or an ISO 8601 time. @default 72 hours ago */
  since?: Date | string | undefined;
  /** Leave attempts younger than this, and sessions stored less than this ago, to their webhook, seconds (0-86400). @default 300 */
  min_age_seconds?: number | undefined;
  /** Examine at most this many attempts (1-10000). @default 500 */
  limit?: number | undefined;
  /** Attempts read from the store per page (1-1000). @default 100 */
  page_size?: number | undefined;
  /** Report what would happen; write nothing (each decision runs in a transaction that is rolled back). @default false */
  dry_run?: boolean | undefined;
  /** Called after each examined attempt. */
  onProgress?: ((progress: { examined: number; limit: number }) => void) | undefined;
  /**
   * Called before Siglume is asked about an attempt's checkout session: the read a slow or silent API holds up,
   * which a progress display names while it waits (`examined` counts the attempts done before this one).
   */
  onReading?: ((reading: { order_id: string; checkout_session_id: string; examined: number; limit: number }) => void) | undefined;
  /**
   * Ends the run once aborted, and the report says `stopped: 'interrupted'`. The read of Siglume's session in
   * progress (a GET, safe to drop) is aborted with it, so a silent API does not hold the run for all its
   * retries; that attempt is left unexamined. Store writes already under way (the attempt whose read returned)
   * are finished. A CLI aborts it on Ctrl-C so that what was done is printed.
   */
  signal?: AbortSignal | undefined;
}

/** What happened to one attempt. */
export type OrderReconcileOutcome = 'repaired' | 'consistent' | 'retired' | 'review' | 'error';

/** One examined attempt in a {@link OrderReconcileReport}. */
export interface OrderReconcileEntry {
  order_id: string;
  attempt_id: string;
  checkout_session_id: string;
  outcome: OrderReconcileOutcome;
  /** Why, for people: the decision label (`marked_paid`, `review:PAYMENT_MISMATCH`, ...), the session status, or the error. */
  detail: string;
  /** The event id the repair or review was recorded under, when one was. */
  event_id: string | null;
}

/**
 * What a reconciliation found and did. `ok` is true when nothing went to
 * review, nothing failed and the run examined its whole window: not when it
 * stopped at its `limit` (`stopped: 'limit'`), nor when the API (rate limited
 * or unavailable) or the store (`store_repeated`, `store_failed`) cut it short. A run
 * takes the window's newest slice first, so one stopped at its limit left
 * older attempts unexamined. A run that stops early still reports every
 * attempt it examined: what is listed was done.
 */
export interface OrderReconcileReport {
  ok: boolean;
  dry_run: boolean;
  /** The window examined: attempts created, or whose session was stored, in [since, until), none with a session stored after it. ISO 8601. */
  since: string;
  until: string;
  examined: number;
  /** Paid at Siglume, now paid here (in a dry run: would be). */
  repaired: OrderReconcileEntry[];
  /** Nothing to do: the session is open, or already retired, or the order was paid meanwhile. */
  consistent: OrderReconcileEntry[];
  /** The session expired or was cancelled: the attempt is retired (in a dry run: would be). */
  retired: OrderReconcileEntry[];
  /** Paid at Siglume but not payable here (mismatch, not confirmed, ...): a review row for a person. */
  review: OrderReconcileEntry[];
  /**
   * Could not be examined or repaired. When Siglume could not be asked, nothing was written for them. When the
   * store failed, `detail` says what is known: a repair whose commit failed and whose event row is then not found
   * (or cannot be read) has an unknown outcome (`the outcome is unknown (the store failed: ...); run reconcile
   * again`), since the database may have committed it before its answer was lost: the next run examines the
   * attempt again if it is still unpaid, and lists it no more if it was paid. A repair whose event row is found
   * after such a failure is listed where it belongs (`repaired`, ...).
   */
  errors: OrderReconcileEntry[];
  /**
   * Why the run ended before examining every attempt of the window, or null:
   * `limit` (more are waiting), `rate_limited` (still 429 after the client's
   * retries), `api_unavailable` (the token was refused or the API could not be
   * reached: every further call would fail the same way), `store_repeated`
   * (the order store listed only attempts it had already returned after the
   * cursor: its `listUnpaidCheckoutAttempts` does not honour `after`, often
   * because it compares timestamps finer than the cursor's milliseconds),
   * `store_failed` (the store failed to list the next attempts after some
   * were examined: what was examined is reported, the rest of the window was
   * not examined; a failure before the first attempt throws instead),
   * `interrupted` (the `signal` was aborted).
   */
  stopped: null | 'limit' | 'rate_limited' | 'api_unavailable' | 'store_repeated' | 'store_failed' | 'interrupted';
  /**
   * For `rate_limited`, `api_unavailable` and `store_failed`: the failure that stopped the run,
   * e.g. `401 UNAUTHORIZED: ...`, `Could not reach the Siglume API at ... (ECONNREFUSED)` or the store's error
   * (credentials in it masked); null otherwise.
   */
  stopped_detail: string | null;
}

/** Settings of {@link reconcileOrderPayments} when used without a checkout service. */
export interface OrderReconcileSettings {
  /** A merchant client (`getCheckoutSession` is the only call made). */
  merchant_client: Pick<OrderCheckoutClient, 'getCheckoutSession'>;
  order_store: OrderStore;
  /** Your merchant key. */
  merchant: string;
  /** As in the checkout service. @default false */
  allow_metered_payments?: boolean | undefined;
  /** Called with every error reported as `errors` in the report. */
  onError?: ((error: unknown, context: { operation: 'reconcile'; order_id?: string }) => void) | undefined;
  /** As in the checkout service: called with each review this run recorded (not in a dry run, not for one recorded before). */
  onReview?: ((review: OrderPaymentReview, context: OrderReviewContext) => void) | undefined;
}

/** What the reconciliation needs from a resolved service. */
export interface OrderReconcileContext {
  client: Pick<OrderCheckoutClient, 'getCheckoutSession'>;
  store: OrderStore;
  policy: OrderPaymentPolicy;
  report: (error: unknown, context: { operation: 'reconcile'; order_id?: string }) => void;
  /** Hands a review this run committed to `onReview`; never throws. */
  notifyReview?: ((review: OrderPaymentReview, context: OrderReviewContext) => void) | undefined;
}

const PREFIX = 'reconcile:';

/**
 * The event id a reconciliation records for `session_id`: the same for every
 * run, so concurrent runs are one event. Hashed when the session id is too long to prefix.
 */
export async function orderReconcileEventId(session_id: string): Promise<string> {
  const id = `${PREFIX}${session_id}`;
  return isStorableId(id) ? id : `${PREFIX}sha256:${await sha256Hex(session_id)}`;
}

function integer(value: unknown, field: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < min || value > max) {
    throw new SiglumeValidationError(field, `Invalid ${field}: must be an integer from ${min} to ${max}`);
  }
  return value;
}

function sinceOf(value: unknown, now: Date): Date {
  if (value === undefined) return new Date(now.getTime() - ORDER_RECONCILE_DEFAULT_SINCE_HOURS * 3600_000);
  // Text is read as the CLI's --since and the route's query are: a duration (72h) or an ISO 8601 time.
  if (typeof value === 'string') {
    const parsed = parseReconcileSince(value, now);
    if (!parsed.ok) throw new SiglumeValidationError('since', `Invalid since: ${parsed.reason}`);
    return parsed.since;
  }
  if (!(value instanceof Date)) throw new SiglumeValidationError('since', 'Invalid since: must be a Date, a duration (30m, 72h, 7d) or an ISO 8601 time');
  const problem = reconcileSinceProblem(value, now);
  if (problem) throw new SiglumeValidationError('since', `Invalid since: ${problem}`);
  return value;
}

// The event Siglume would have delivered for the session, built from Siglume's
// own record of it. Only fields the session reports are set: an absent one is
// not checked, a present one must match the attempt (as for a real event).
// The challenge hash is the attempt's own, so the decision is about this
// attempt: a session reporting another hash fails rule 10 instead of paying
// whichever attempt has that hash.
function sessionEvent(id: string, s: DirectRequestPaymentCheckoutSession, a: OrderUnpaidCheckoutAttempt) {
  const data: Record<string, unknown> = { mode: DIRECT_REQUEST_PAYMENT_MODE, checkout_session_id: a.checkout_session_id };
  const copy = ['requirement_id', 'chain_receipt_id', 'pricing_band', 'settlement_cadence', 'settlement_status', 'finality', 'merchant', 'amount_minor', 'currency'] as const;
  for (const key of copy) if (s[key] !== undefined && s[key] !== null) data[key] = s[key];
  data.challenge_hash = a.challenge_hash ?? s.challenge_hash;
  return { id, type: DIRECT_PAYMENT_CONFIRMED_EVENT, data };
}

/** What an earlier run (or a concurrent one) recorded for the session's event, read on a redelivery. */
interface Recorded {
  /** The outcome label stored with the event, when the store can say (`marked_paid`, `review:ORDER_STATE_CONFLICT`, ...). */
  outcome: string | null;
  /** The order's recorded payment, found through the attempt's challenge hash. */
  payment: OrderRecordedPayment | null;
}

interface Decided {
  decision: OrderPaymentDecision;
  recorded: Recorded | null;
  /** What was done with a review: recorded by this run, or found under an earlier event (the webhook's). */
  applied: AppliedOrderDecision | null;
}

// A database error may quote a connection string; the report goes to whoever holds the reconcile token.
const storeMessage = (error: unknown) => redactCredentialText(error instanceof Error ? error.message : String(error), []);

/** Whether the event row of `event_id` is committed, by a fresh read; false when the store cannot say. */
async function eventRecorded(store: OrderStore, event_id: string): Promise<boolean> {
  // Typed as required, but reconcileOrderPayments checks only the methods a run needs: a plain-JS store may lack it.
  if (typeof store.previewWebhookEvent !== 'function') return false;
  try {
    return (await store.previewWebhookEvent(event_id, null)).event_recorded;
  } catch {
    return false;
  }
}

class DryRun extends Error {
  constructor(readonly decided: Decided) {
    super('dry run: rolled back');
  }
}

// A session recorded before is reported by what was recorded, not by the order's status: a paid order
// says nothing about whether THIS session paid it or went to review as a second payment.
function recordedEntry(r: Recorded, s: DirectRequestPaymentCheckoutSession, event_id: string): Examined {
  // The row is this event's, or an earlier event's with the same finding about the payment (the webhook's).
  const see = `see the review of event ${event_id} or of the payment's earlier event`;
  const recorded = orderLabelOutcome(r.outcome);
  if (recorded === 'review') return { outcome: 'review', detail: `${r.outcome}: recorded by an earlier reconciliation; ${see}`, event_id };
  if (recorded === 'applied') return { outcome: 'consistent', detail: `already reconciled (${r.outcome})`, event_id };
  // A store that cannot say what it recorded: consistent only when the order's payment is this session's.
  if (r.payment && s.requirement_id != null && r.payment.requirement_id === s.requirement_id) {
    return { outcome: 'consistent', detail: `already reconciled (order ${r.payment.status} by this session)`, event_id };
  }
  return { outcome: 'review', detail: `recorded by an earlier reconciliation and not this order's payment: ${see}`, event_id };
}

type Stop = { stop: 'rate_limited' | 'api_unavailable' | 'interrupted'; detail: string | null };
type Examined = Omit<OrderReconcileEntry, 'order_id' | 'attempt_id' | 'checkout_session_id'> | Stop;

/** What stopped the run, as one line: the API's status and code, or the connection failure. */
const failureText = (error: unknown): string =>
  error instanceof SiglumeApiError ? `${error.status} ${error.code}: ${error.message}` : error instanceof Error ? error.message : String(error);

async function examine(c: OrderReconcileContext, a: OrderUnpaidCheckoutAttempt, dry_run: boolean, signal?: AbortSignal): Promise<Examined> {
  let confirmation;
  try {
    confirmation = await confirmCheckoutSession(c.client, a.checkout_session_id, signal ? { signal } : undefined);
  } catch (error) {
    // The run's own interruption cut the read short: nothing was written, and it is no failure to report.
    if (signal?.aborted) return { stop: 'interrupted', detail: null };
    c.report(error, { operation: 'reconcile', order_id: a.order_id });
    const cause = error instanceof OrderPaymentConfirmationUnavailableError ? error.cause : error;
    if (cause instanceof SiglumeRateLimitError) return { stop: 'rate_limited', detail: failureText(cause) };
    if (cause instanceof SiglumeAuthenticationError || cause instanceof SiglumePermissionError || cause instanceof SiglumeConnectionError) {
      return { stop: 'api_unavailable', detail: failureText(cause) };
    }
    return { outcome: 'error', detail: `Siglume's API could not be asked about the session: ${cause instanceof Error ? cause.message : String(cause)}`, event_id: null };
  }
  if (confirmation.kind !== 'session') {
    return { outcome: 'error', detail: 'Siglume has no such checkout session (another environment or account?)', event_id: null };
  }
  const session = confirmation.session;
  if (sessionCannotBePaid(session.status)) {
    if (a.status !== 'active') return { outcome: 'consistent', detail: `session ${session.status}; attempt already ${a.status}`, event_id: null };
    const retired = dry_run || (await c.store.retireCheckoutAttempt(a.attempt_id));
    return retired
      ? { outcome: 'retired', detail: `session ${session.status}`, event_id: null }
      : { outcome: 'consistent', detail: `session ${session.status}; the attempt changed meanwhile`, event_id: null };
  }
  if (session.status !== 'paid') return { outcome: 'consistent', detail: `session ${session.status}`, event_id: null };

  const event_id = await orderReconcileEventId(a.checkout_session_id);
  const event = sessionEvent(event_id, session, a);
  const classification = classifyDirectPaymentConfirmation(event);
  const hash = orderLookupHash(classification);
  let decided: Decided;
  // What the transaction was about to commit, for a failure at its end (see below).
  let committing: Decided | null = null;
  // Whether `decided` was committed (a dry run rolls back): only then is a review announced.
  let committed = true;
  try {
    decided = await c.store.processWebhookEvent({ event_id, event_type: event.type }, async (tx): Promise<{ outcome: string; result: Decided }> => {
      if (!tx.first_delivery) {
        // Recorded before (by an earlier run, or a concurrent one that just committed): read what it recorded.
        const found = hash !== null ? await tx.findPayment(hash) : null;
        const recorded: Recorded = { outcome: (await tx.recordedOutcome?.()) ?? null, payment: found?.payment ?? null };
        committing = { decision: { kind: 'duplicate' }, recorded, applied: null };
        return { outcome: 'duplicate', result: committing };
      }
      const found = hash !== null ? await tx.findPayment(hash) : null;
      // Only this attempt may be paid by its session (an attempt without a hash is looked up by the session's).
      const payment = found && found.attempt.attempt_id === a.attempt_id ? found : null;
      const decided = decideOrderPayment({
        event: { id: event.id, type: event.type }, classification, first_delivery: tx.first_delivery, payment, confirmation, policy: c.policy,
      });
      if (dry_run) throw new DryRun({ decision: decided, recorded: null, applied: null }); // rolls back the event row too
      committing = { decision: decided, recorded: null, applied: await applyOrderDecision(tx, decided) };
      return { outcome: orderDecisionLabel(decided), result: committing };
    });
  } catch (error) {
    if (error instanceof DryRun) {
      decided = error.decided;
      committed = false;
    } else {
      c.report(error, { operation: 'reconcile', order_id: a.order_id });
      // A failure at COMMIT may come after the database committed (the connection was cut, or timed out, before
      // its answer arrived): the event row, written in the same transaction, says whether it did. Not found, or not
      // readable, the outcome is unknown (a COMMIT still in flight may yet land): the next run examines the attempt
      // again if it is still unpaid.
      if (committing === null || !(await eventRecorded(c.store, event_id))) {
        return { outcome: 'error', detail: `the outcome is unknown (the store failed: ${storeMessage(error)}); run reconcile again`, event_id: null };
      }
      decided = committing;
    }
  }
  const { decision, recorded, applied } = decided;
  // A redelivery decides `duplicate`, and a finding the webhook recorded already is not new: each review is
  // announced by the run or delivery that recorded it.
  if (committed && applied?.new_review && decision.kind === 'review') {
    c.notifyReview?.(decision.review, { operation: 'reconcile', order_id: a.order_id });
  }
  const label = orderDecisionLabel(decision);
  switch (decision.kind) {
    case 'mark_paid':
    case 'mark_fulfilled_unsettled':
      return { outcome: 'repaired', detail: label, event_id };
    case 'review': {
      // Found under an earlier event (the webhook's): that event's row is the one to read.
      const recorded_as = applied?.review_event_id ?? event_id;
      const earlier = recorded_as === event_id ? '' : ` (reviewed already, under event ${recorded_as})`;
      return { outcome: 'review', detail: `${label}: ${decision.review.reason}${earlier}`, event_id: recorded_as };
    }
    case 'ignore':
      return { outcome: 'consistent', detail: label, event_id };
    case 'duplicate':
      return recordedEntry(recorded ?? { outcome: null, payment: null }, session, event_id);
    default:
      return { outcome: 'error', detail: `unexpected decision ${label}`, event_id: null };
  }
}

/** Where the window's slices end before `until`, minutes: the newest quarter of an hour, then ever longer ones. */
const SLICE_MINUTES = [15, 60, 180, 360, 720, 1440, 2880];

/**
 * The window `[since, until)` cut into slices, newest slice first (within one, the store's order: oldest first).
 * A store lists an attempt in the slice its session was stored in (and, were that before its creation, also in
 * the one it was created in; the run skips the repeat). A run that stops at its limit has then
 * examined the slices most likely to hold a payment whose webhook was just lost; older ones had their turn in
 * earlier runs, while they were recent.
 */
function newestFirst(since: Date, until: Date): Array<[from: Date, to: Date]> {
  const slices: Array<[Date, Date]> = [];
  let to = until;
  for (const minutes of [...SLICE_MINUTES, Infinity]) {
    const from = new Date(Math.max(since.getTime(), until.getTime() - minutes * 60_000));
    if (from < to) slices.push([from, to]);
    to = from;
  }
  return slices;
}

const cursorOf = (a: OrderUnpaidCheckoutAttempt): OrderCheckoutAttemptCursor => ({ created_at: a.created_at, attempt_id: a.attempt_id });

/**
 * The window `[since, until)` of a run at `now`: `until` is now minus `min_age_seconds`.
 * @throws {SiglumeValidationError} for a bad `since` or `min_age_seconds`, or a `since` after `until`: an empty
 *   window examines nothing and would read "consistent" while paid orders stay pending.
 */
function windowOf(options: Pick<OrderReconcileOptions, 'since' | 'min_age_seconds'>, now: Date): { since: Date; until: Date } {
  const since = sinceOf(options.since, now);
  const until = new Date(now.getTime() - integer(options.min_age_seconds, 'min_age_seconds', ORDER_RECONCILE_DEFAULT_MIN_AGE_SECONDS, 0, 86_400) * 1000);
  if (since.getTime() > until.getTime()) {
    const reason = `must be before the window's end, now minus min_age_seconds (${until.toISOString()}): this window is empty, so nothing would be examined`;
    throw new SiglumeValidationError('since', `Invalid since: ${reason}`);
  }
  return { since, until };
}

/** Runs a reconciliation with a resolved service's client, store and policy. */
export async function reconcileOrders(c: OrderReconcileContext, options: OrderReconcileOptions = {}): Promise<OrderReconcileReport> {
  if (options === null || typeof options !== 'object') throw new SiglumeValidationError('options', 'Invalid options: must be an object');
  const { since, until } = windowOf(options, new Date());
  const limit = integer(options.limit, 'limit', ORDER_RECONCILE_DEFAULT_LIMIT, 1, ORDER_RECONCILE_MAX_LIMIT);
  const page_size = integer(options.page_size, 'page_size', 100, 1, 1000);
  const dry_run = options.dry_run === true;
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new SiglumeValidationError('onProgress', 'Invalid onProgress: must be a function');
  if (options.onReading !== undefined && typeof options.onReading !== 'function') throw new SiglumeValidationError('onReading', 'Invalid onReading: must be a function');
  const signal = options.signal;
  if (signal !== undefined && typeof signal?.aborted !== 'boolean') throw new SiglumeValidationError('signal', 'Invalid signal: must be an AbortSignal');

  const report: OrderReconcileReport = {
    ok: true, dry_run, since: since.toISOString(), until: until.toISOString(), examined: 0,
    repaired: [], consistent: [], retired: [], review: [], errors: [], stopped: null, stopped_detail: null,
  };
  const lists: Record<OrderReconcileOutcome, OrderReconcileEntry[]> = {
    repaired: report.repaired, consistent: report.consistent, retired: report.retired, review: report.review, error: report.errors,
  };
  // Every attempt is examined once per run. A store lists one twice in a slice when its timestamps are finer than
  // the cursor's milliseconds, and in two slices when its session time is before its creation (app servers whose
  // clocks differ): the repeat is skipped. A page that holds only attempts of its own slice already listed means
  // the store ignores the cursor: the run ends as not ok (the rest of the window is unreachable).
  const seen = new Set<string>();
  /** A page, or null when the store failed after attempts were examined: the run then ends with what it did. */
  const list = async (from: Date, to: Date, limit: number, after: OrderCheckoutAttemptCursor | null) => {
    try {
      return await c.store.listUnpaidCheckoutAttempts({ created_after: from, created_before: to, limit, after });
    } catch (error) {
      // Before the first attempt nothing was done, and the store could not be read at all: thrown (the route's 500).
      if (report.examined === 0) throw error;
      // After, the repairs already committed must be reported, not thrown away with the run.
      c.report(error, { operation: 'reconcile' });
      report.stopped = 'store_failed';
      report.stopped_detail = storeMessage(error);
      return null;
    }
  };
  /** Whether `[from, to)` holds, past `after`, an attempt this run has not examined (only repeats are skipped over). */
  const holdsMore = async (from: Date, to: Date, after: OrderCheckoutAttemptCursor | null) => {
    for (let pages = Math.ceil(seen.size / page_size) + 1; pages > 0; pages--) {
      const page = await list(from, to, page_size, after);
      if (page === null) return false; // the run ends as store_failed
      if (page.some((a) => !seen.has(a.attempt_id))) return true;
      if (page.length < page_size) return false;
      after = cursorOf(page[page.length - 1]!);
    }
    return false;
  };
  const slices = newestFirst(since, until);
  outer: for (const [index, [from, to]] of slices.entries()) {
    let after: OrderCheckoutAttemptCursor | null = null;
    const listed = new Set<string>();
    for (;;) {
      if (signal?.aborted) {
        report.stopped = 'interrupted';
        break outer;
      }
      if (report.examined >= limit) {
        // Only "stopped" when the window really has more: in this slice past the cursor, or in an older one.
        for (let older = index; older < slices.length && report.stopped === null; older++) {
          const [a, b] = slices[older]!;
          if (await holdsMore(a, b, older === index ? after : null)) report.stopped = 'limit';
        }
        break outer;
      }
      const want = Math.min(page_size, limit - report.examined);
      const listing = await list(from, to, want, after);
      if (listing === null) break outer;
      // Never more than asked for, even from a store that returns more: the limit holds.
      const page = listing.slice(0, want);
      if (page.length > 0 && page.every((a) => listed.has(a.attempt_id))) {
        report.stopped = 'store_repeated';
        break outer;
      }
      for (const a of page) {
        if (signal?.aborted) {
          report.stopped = 'interrupted';
          break outer;
        }
        const repeat = seen.has(a.attempt_id);
        listed.add(a.attempt_id);
        if (repeat) continue;
        seen.add(a.attempt_id);
        let r: Examined;
        options.onReading?.({ order_id: a.order_id, checkout_session_id: a.checkout_session_id, examined: report.examined, limit });
        try {
          r = await examine(c, a, dry_run, signal);
        } catch (error) {
          // A store failure on one attempt (retiring it, reading its order) is that attempt's error, not the run's.
          c.report(error, { operation: 'reconcile', order_id: a.order_id });
          r = { outcome: 'error', detail: `the store failed: ${storeMessage(error)}`, event_id: null };
        }
        if ('stop' in r) {
          report.stopped = r.stop;
          report.stopped_detail = r.detail;
          break outer;
        }
        lists[r.outcome].push({ order_id: a.order_id, attempt_id: a.attempt_id, checkout_session_id: a.checkout_session_id, ...r });
        report.examined += 1;
        options.onProgress?.({ examined: report.examined, limit });
      }
      if (page.length > 0) after = cursorOf(page[page.length - 1]!);
      if (page.length < want) break;
    }
  }
  report.ok = report.review.length === 0 && report.errors.length === 0 && report.stopped === null;
  return report;
}

/**
 * Reconciles a shop with Siglume without building a checkout service (the
 * CLI's way). With a service at hand, call `service.reconcile()` instead.
 *
 * @throws {SiglumeValidationError} for a bad setting or option (naming it).
 * @example
 * const report = await reconcileOrderPayments(
 *   { merchant_client: client, order_store: store, merchant: 'my_shop' },
 *   { since: new Date(Date.now() - 24 * 3600_000), limit: 200 },
 * );
 * if (!report.ok) console.error(report.review, report.errors);
 */
export async function reconcileOrderPayments(settings: OrderReconcileSettings, options: OrderReconcileOptions = {}): Promise<OrderReconcileReport> {
  if (settings === null || typeof settings !== 'object') throw new SiglumeValidationError('settings', 'Invalid settings: must be an object');
  const client = settings.merchant_client as unknown as Record<string, unknown> | null;
  if (!client || typeof client.getCheckoutSession !== 'function') {
    throw new SiglumeValidationError('merchant_client', 'Invalid merchant_client: must be a DirectRequestPaymentMerchantClient');
  }
  const store = settings.order_store as unknown as Record<string, unknown> | null;
  const missing = ['listUnpaidCheckoutAttempts', 'retireCheckoutAttempt', 'processWebhookEvent', 'findOrder'].filter((m) => typeof store?.[m] !== 'function');
  if (missing.length > 0) throw new SiglumeValidationError('order_store', `Invalid order_store: must implement OrderStore (missing ${missing.join(', ')})`);
  const onError = settings.onError;
  if (onError !== undefined && typeof onError !== 'function') throw new SiglumeValidationError('onError', 'Invalid onError: must be a function');
  const onReview = settings.onReview;
  if (onReview !== undefined && typeof onReview !== 'function') throw new SiglumeValidationError('onReview', 'Invalid onReview: must be a function');
  return reconcileOrders({
    client: settings.merchant_client,
    store: settings.order_store,
    policy: {
      merchant: parseInput(merchantKeySchema, settings.merchant, 'merchant'),
      allow_metered_payments: settings.allow_metered_payments === true,
      confirm_payments: true,
    },
    report: (error, context) => {
      try {
        onError?.(error, context);
      } catch {
        // A throwing reporter must not end the run.
      }
    },
    notifyReview: reviewNotifier(onReview),
  }, options);
}

/** Path of the scheduled reconciliation route in the templates. */
export const ORDER_RECONCILE_PATH = '/payments/siglume/reconcile';

/** Error codes of the reconciliation route. */
export type OrderReconcileErrorCode =
  | 'reconcile_disabled'
  | 'unauthorized'
  | 'invalid_request'
  | 'reconcile_in_progress'
  | 'reconcile_failed';

/** `retry_after_seconds` (and `Retry-After`) of the route's 409 `reconcile_in_progress`. */
export const ORDER_RECONCILE_RETRY_AFTER_SECONDS = 60;

/**
 * A route run that has examined no attempt for this long, seconds, no longer holds the route: it is taken to be
 * stuck (a store or database call without a timeout), reported to `onError` (code `RECONCILE_STUCK`), and the
 * next call runs. Counted from its last progress, not its start: a long healthy run (10,000 attempts, a slow API)
 * keeps moving, while one attempt's lookup is bounded by the client's timeout and retries, far below this.
 */
export const ORDER_RECONCILE_STUCK_AFTER_SECONDS = 30 * 60;

/**
 * Answer of the reconciliation route: 200 with the report when the run
 * completed (check `report.ok`: false when something went to review or
 * failed), 400 `invalid_request` for a bad query parameter, 401
 * `unauthorized` without the right bearer token, 404 `reconcile_disabled`
 * when no `reconcile_token` is configured, 409 `reconcile_in_progress` while
 * another call of the route on the same service has been running since
 * `running_since` and examined an attempt in the last 30 minutes (send it again after
 * `retry_after_seconds`), 500 `reconcile_failed` when the store
 * could not be read before any attempt was examined (a store failure after
 * that is a 200 report with `stopped: 'store_failed'`).
 */
export type OrderReconcileResult =
  | { kind: 'reconciled'; status: 200; body: OrderReconcileReport }
  | { kind: 'refused'; status: 400 | 401 | 404 | 500; body: { error: OrderReconcileErrorCode; message: string } }
  | { kind: 'refused'; status: 409; body: { error: 'reconcile_in_progress'; message: string; retry_after_seconds: number; running_since: string } };

/** The run of the route going on, if any: one per checkout service, so two overlapping calls are one run. */
export interface OrderReconcileFlight {
  /** When it started, and when it last examined an attempt (epoch ms). */
  run: { started_at: number; progress_at: number } | null;
}

// The scheme is case-insensitive (RFC 9110 section 11.1).
const BEARER = /^Bearer ([^\s]{1,512})$/i;
const QUERY_MAX = 1024;

/**
 * Options from the route's query string (without `?`): `since` (30m, 72h, 7d
 * or ISO 8601), `min_age_seconds`, `limit`, `dry_run` (`true` / `false`).
 * Anything else is refused, so a typo never silently runs the defaults.
 */
export function orderReconcileOptionsFromQuery(query: string): { ok: true; options: Omit<OrderReconcileOptions, 'onProgress'> } | { ok: false; message: string } {
  if (query.length > QUERY_MAX) return { ok: false, message: `The query string exceeds ${QUERY_MAX} characters` };
  const options: Omit<OrderReconcileOptions, 'onProgress'> = {};
  const seen = new Set<string>();
  const int = (v: string, max: number) => (/^\d{1,6}$/.test(v) && Number(v) <= max ? Number(v) : null);
  for (const [key, value] of new URLSearchParams(query)) {
    if (seen.has(key)) return { ok: false, message: `${key} is given twice` };
    seen.add(key);
    if (key === 'since') {
      const parsed = parseReconcileSince(value);
      if (!parsed.ok) return { ok: false, message: `since ${parsed.reason}` };
      options.since = parsed.since;
    } else if (key === 'min_age_seconds') {
      const n = int(value, 86_400);
      if (n === null) return { ok: false, message: 'min_age_seconds must be an integer from 0 to 86400' };
      options.min_age_seconds = n;
    } else if (key === 'limit') {
      const n = int(value, ORDER_RECONCILE_MAX_LIMIT);
      if (n === null || n < 1) return { ok: false, message: `limit must be an integer from 1 to ${ORDER_RECONCILE_MAX_LIMIT}` };
      options.limit = n;
    } else if (key === 'dry_run') {
      if (value !== 'true' && value !== 'false') return { ok: false, message: 'dry_run must be true or false' };
      options.dry_run = value === 'true';
    } else {
      return { ok: false, message: 'Unknown query parameter: only since, min_age_seconds, limit and dry_run are accepted' };
    }
  }
  return { ok: true, options };
}

/**
 * Checks the bearer token (constant time) and the query, then runs a reconciliation unless `flight` says one is
 * running. Never throws.
 */
export async function handleOrderReconcile(
  c: OrderReconcileContext,
  flight: OrderReconcileFlight,
  token: string | null,
  authorization: string | null | undefined,
  query: string,
): Promise<OrderReconcileResult> {
  if (token === null) return { kind: 'refused', status: 404, body: { error: 'reconcile_disabled', message: 'Reconciliation over HTTP is not enabled: set the reconcile_token option (SIGLUME_RECONCILE_TOKEN in the templates)' } };
  const presented = typeof authorization === 'string' ? BEARER.exec(authorization.trim())?.[1] : undefined;
  if (presented === undefined || !timingSafeEqualString(presented, token)) {
    return { kind: 'refused', status: 401, body: { error: 'unauthorized', message: 'Send Authorization: Bearer <reconcile token>' } };
  }
  const parsed = orderReconcileOptionsFromQuery(typeof query === 'string' ? query.replace(/^\?/, '') : '');
  if (!parsed.ok) return { kind: 'refused', status: 400, body: { error: 'invalid_request', message: parsed.message } };
  try {
    windowOf(parsed.options, new Date()); // each value parsed; together they must make a window
  } catch (error) {
    return { kind: 'refused', status: 400, body: { error: 'invalid_request', message: (error as Error).message } };
  }
  // A second call while one runs (a retrying scheduler, a manual run beside the cron) would ask Siglume about every
  // session again, and its report could disagree with the first's. Checked and taken with no await in between.
  const now = Date.now();
  const current = flight.run;
  if (current !== null) {
    const running_since = new Date(current.started_at).toISOString();
    // A clock stepped back counts as progress just made; one stepped forward can only start a second run early.
    if (now - current.progress_at < ORDER_RECONCILE_STUCK_AFTER_SECONDS * 1000) {
      const message = `A reconciliation has been running since ${running_since}; try again when it has finished`;
      const retry_after_seconds = ORDER_RECONCILE_RETRY_AFTER_SECONDS;
      return { kind: 'refused', status: 409, body: { error: 'reconcile_in_progress', message, retry_after_seconds, running_since } };
    }
    // Stuck runs must not close the route until a restart, where every scheduled call would read "busy".
    const minutes = ORDER_RECONCILE_STUCK_AFTER_SECONDS / 60;
    const last = new Date(current.progress_at).toISOString();
    const message = `The reconciliation started at ${running_since} has made no progress since ${last} (${minutes} minutes); starting another. Look for a store or database call without a timeout.`;
    c.report(new SiglumeDirectRequestPaymentError(message, { code: ORDER_RECONCILE_STUCK }), { operation: 'reconcile' });
  }
  const mine = { started_at: now, progress_at: now };
  flight.run = mine;
  try {
    const onProgress = () => void (mine.progress_at = Date.now());
    return { kind: 'reconciled', status: 200, body: await reconcileOrders(c, { ...parsed.options, onProgress }) };
  } catch (error) {
    c.report(error, { operation: 'reconcile' });
    return { kind: 'refused', status: 500, body: { error: 'reconcile_failed', message: 'The reconciliation could not run; see the server log' } };
  } finally {
    if (flight.run === mine) flight.run = null; // a stuck run that ends late leaves a newer run's guard alone
  }
}
