/**
 * Errors of the order-processing core. Both are configuration or
 * availability problems, never a buyer's input: bad input is answered with a
 * 4xx result, not thrown.
 */
import { SiglumeDirectRequestPaymentError } from '../core/errors.js';

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
