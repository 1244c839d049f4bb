/**
 * `@siglume/direct-request-payment/orders`: the framework-neutral
 * order-processing core. One decision function for the merchant rule, a
 * checkout service with both routes (as data and as Fetch handlers), and the
 * store interface that database adapters implement. Re-exports only.
 *
 * Left out on purpose: the stores, each on its own subpath so the core never
 * loads a driver: `/orders/postgres`, `/orders/mysql`, `/orders/sqlite`, and
 * `/orders/sql` (the store in portable SQL, and the generic adapter for any
 * driver or ORM).
 */
export {
  decideOrderPayment,
  orderBatchOf,
  orderDecisionLabel,
  orderLookupHash,
  orderPaymentNeedsConfirmation,
  orderPaymentOf,
} from './decide.js';
export { isStorableId, ORDER_MAX_ID_LENGTH } from './ids.js';
export type {
  OrderPaymentPolicy,
  OrderPaymentConfirmation,
  OrderPaymentFacts,
  OrderPaymentDecision,
  OrderIgnoreReason,
} from './decide.js';
export { createOrderCheckoutService, ORDER_CHECKOUT_START_PATH, ORDER_WEBHOOK_PATH } from './service.js';
export type { OrderCheckoutService, OrderStoreCheck } from './service.js';
export type { OrderCheckoutServiceOptions, OrderErrorContext, OrderReviewContext } from './options.js';
export type { OrderCheckoutStartResult, OrderCheckoutErrorCode } from './checkout.js';
export { ORDER_WEBHOOK_MAX_BODY_BYTES } from './webhook.js';
export type { OrderWebhookResult, OrderWebhookErrorCode } from './webhook.js';
export { ORDER_CHECKOUT_MAX_BODY_BYTES, checkoutResponse, webhookResponse } from './fetch.js';
export { confirmCheckoutSession } from './confirm.js';
export {
  reconcileOrderPayments,
  orderReconcileEventId,
  orderReconcileOptionsFromQuery,
  ORDER_RECONCILE_PATH,
  ORDER_RECONCILE_DEFAULT_LIMIT,
  ORDER_RECONCILE_DEFAULT_MIN_AGE_SECONDS,
  ORDER_RECONCILE_DEFAULT_SINCE_HOURS,
  ORDER_RECONCILE_MAX_LIMIT,
  ORDER_RECONCILE_RETRY_AFTER_SECONDS,
  ORDER_RECONCILE_STUCK_AFTER_SECONDS,
} from './reconcile.js';
export type {
  OrderReconcileOptions,
  OrderReconcileReport,
  OrderReconcileEntry,
  OrderReconcileOutcome,
  OrderReconcileSettings,
  OrderReconcileResult,
  OrderReconcileErrorCode,
} from './reconcile.js';
export type { OrderCheckoutClient } from './confirm.js';
export {
  ORDER_AUTHORIZATION_REQUIRED,
  OrderAuthorizationRequiredError,
  ORDER_STORE_MISCONFIGURED,
  OrderStoreMisconfiguredError,
  ORDER_RECONCILE_STUCK,
  OrderPaymentConfirmationUnavailableError,
  OrderPaymentConfirmationPendingError,
  ORDER_CONFIRMATION_PENDING_WINDOW_SECONDS,
} from './errors.js';
export type {
  OrderStore,
  OrderStoreTransaction,
  OrderRecord,
  OrderPaymentStatus,
  OrderCheckoutAttempt,
  OrderCheckoutAttemptStatus,
  OrderCheckoutAttemptPolicy,
  OrderCheckoutAttemptStart,
  OrderCheckoutSession,
  OrderPaymentAttempt,
  OrderRecordedPayment,
  OrderPaymentContext,
  OrderPaymentRecord,
  OrderReviewCode,
  OrderPaymentReview,
  OrderSettlementBatchRecord,
  OrderWebhookPreview,
  OrderCheckoutAttemptCursor,
  OrderUnpaidCheckoutAttemptQuery,
  OrderUnpaidCheckoutAttempt,
  OrderStoreProblem,
  OrderStoreProblemCode,
} from './store.js';
export type { OrdersTableMapping } from './mapping.js';
