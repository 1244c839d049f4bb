/**
 * Errors of the order-processing core. All are configuration or
 * availability problems, never a buyer's input: bad input is answered with a
 * 4xx result, not thrown.
 */
import { SiglumeDirectRequestPaymentError, ownErrorClasses } from '../core/errors.js';
import type { OrderStoreProblem } from './store.js';

/** Code of {@link OrderAuthorizationRequiredError}. */
export const ORDER_AUTHORIZATION_REQUIRED = 'ORDER_AUTHORIZATION_REQUIRED';

/**
 * Thrown by `createOrderCheckoutService` when neither `authorize_order` nor
 * `allow_unverified_order_lookup: true` is given. Fail closed: without a way
 * to tell whose order it is, anyone could start a checkout for any order id.
 */
export class OrderAuthorizationRequiredError extends SiglumeDirectRequestPaymentError {
  constructor(
    message = 'authorize_order is required: pass authorize_order(order, user) to decide who may pay an order, ' +
      'or set allow_unverified_order_lookup: true if every order id is a secret only its buyer knows.',
  ) {
    super(message, { code: ORDER_AUTHORIZATION_REQUIRED });
  }
}

/**
 * Siglume's API could not be asked whether a checkout session is paid
 * (connection, timeout, 5xx, rate limit, rejected token). The webhook answers
 * 503 and records nothing, so Siglume delivers the event again later.
 * The original error is in `cause`.
 */
export class OrderPaymentConfirmationUnavailableError extends SiglumeDirectRequestPaymentError {
  constructor(options: { cause: unknown }) {
    super('Could not confirm the payment with Siglume; the event is left for redelivery', {
      code: 'PAYMENT_CONFIRMATION_UNAVAILABLE',
      cause: options.cause,
    });
  }
}

/**
 * Siglume signed a payment event less than
 * {@link ORDER_CONFIRMATION_PENDING_WINDOW_SECONDS} ago, but its record of the
 * checkout session does not show it paid yet (`open` / `authenticated`), or
 * the attempt got its session while the event was being checked. The webhook
 * answers 503 and records nothing, so the redelivery asks again; an event older
 * than the window becomes a `PAYMENT_NOT_CONFIRMED` review. Handed to
 * `onError`: seen often, it may be test deliveries queued with your merchant
 * token.
 */
export class OrderPaymentConfirmationPendingError extends SiglumeDirectRequestPaymentError {
  constructor(session_id: string | null, status: string | null) {
    const which = session_id === null ? 'The checkout session' : `Checkout session ${session_id}`;
    const now = status === null ? 'was stored while the event was being checked' : `is ${status}, not paid, in Siglume's record`;
    super(`${which} ${now}; the payment event is left for redelivery`, { code: 'PAYMENT_CONFIRMATION_PENDING' });
  }
}

/** How long after an event Siglume's record of its session may still catch up (15 minutes). */
export const ORDER_CONFIRMATION_PENDING_WINDOW_SECONDS = 900;

/**
 * Code of the error `onError` gets when a run of the reconcile route made no progress for
 * `ORDER_RECONCILE_STUCK_AFTER_SECONDS` (30 minutes) and the next call started another.
 */
export const ORDER_RECONCILE_STUCK = 'RECONCILE_STUCK';

/** Code of {@link OrderStoreMisconfiguredError}. */
export const ORDER_STORE_MISCONFIGURED = 'ORDER_STORE_MISCONFIGURED';

/**
 * Thrown by the service's `assertStoreReady()` (the start-up check) when the
 * store's tables do not match its configuration: a mapped column of the
 * orders table that cannot be selected, a missing `siglume_*` table (its
 * migration not run), a column an older migration lacks. `problems` lists
 * each with the mapping field, table, column and fix; the message lists them
 * too, so the error printed by a server that refuses to start says what to
 * change. Names only tables, columns and options: no connection string, no
 * driver message.
 */
export class OrderStoreMisconfiguredError extends SiglumeDirectRequestPaymentError {
  readonly problems: readonly OrderStoreProblem[];

  constructor(problems: readonly OrderStoreProblem[]) {
    const list = problems.map((p) => `- ${p.message}. Fix: ${p.fix}.`).join('\n');
    super(`The order store's tables do not match its settings (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${list}`, {
      code: ORDER_STORE_MISCONFIGURED,
    });
    this.problems = Object.freeze([...problems]);
  }
}

ownErrorClasses({
  OrderAuthorizationRequiredError,
  OrderPaymentConfirmationUnavailableError,
  OrderPaymentConfirmationPendingError,
  OrderStoreMisconfiguredError,
});
