/**
 * The merchant rule of CONTRACT section 8, as a function: what to do with an
 * order once its confirmation is classified. Keeping it next to the
 * classifier means a merchant's webhook handler is a `switch` on `action`,
 * and the rule ("Standard is paid only when settled; Micro / Nano only for
 * integrations that opted in") is written once.
 */
import type { DirectPaymentConfirmationClassification, DirectPaymentUnknownReason } from './classify.js';

/** Review code for a Micro / Nano confirmation on an integration that did not opt in. */
export const METERED_INTEGRATION_REQUIRED = 'METERED_INTEGRATION_REQUIRED';

/** Why an order goes to manual review: an unknown-confirmation reason or {@link METERED_INTEGRATION_REQUIRED}. */
export type DirectPaymentReviewCode = DirectPaymentUnknownReason | typeof METERED_INTEGRATION_REQUIRED;

/**
 * What the merchant should do, tagged by `action`:
 *
 * - `mark_paid`: a Standard payment settled on-chain; mark the order for
 *   `requirement_id` paid.
 * - `fulfill_unsettled`: a Micro / Nano payment was accepted but settles later
 *   in a batch; deliver, and book the money as pending.
 * - `reconcile_batch`: a settlement batch settled; mark the batch's payments
 *   settled by `settlement_batch_id` (never by challenge hash).
 * - `review`: do not fulfil; hand it to a person, with `code` saying why.
 */
export type DirectPaymentFulfillmentAction =
  | { action: 'mark_paid'; requirement_id: string }
  | { action: 'fulfill_unsettled'; requirement_id: string }
  | { action: 'reconcile_batch'; settlement_batch_id: string }
  | { action: 'review'; code: DirectPaymentReviewCode };

/** Options of {@link directPaymentFulfillmentAction}. */
export interface DirectPaymentFulfillmentOptions {
  /**
   * True only for integrations that explicitly enabled Micro / Nano pricing
   * and can live with fulfilment before on-chain settlement.
   * @default false
   */
  allow_metered_payments?: boolean;
}

/**
 * Maps a classification to the merchant's next step. Metered payments are
 * refused unless `allow_metered_payments` is `true`: a Standard-only shop that
 * suddenly receives a Micro confirmation should look at it, not ship.
 *
 * @example
 * const result = classifyDirectPaymentConfirmation(event);
 * const next = directPaymentFulfillmentAction(result, { allow_metered_payments: false });
 * if (next.action === 'mark_paid') await orders.markPaid(next.requirement_id);
 * else if (next.action === 'review') await orders.flag(event.id, next.code);
 */
export function directPaymentFulfillmentAction(
  classification: DirectPaymentConfirmationClassification<unknown>,
  options: DirectPaymentFulfillmentOptions = {},
): DirectPaymentFulfillmentAction {
  switch (classification.kind) {
    case 'standard_settled':
      return { action: 'mark_paid', requirement_id: classification.requirement_id };
    case 'metered_usage_accepted':
      return options.allow_metered_payments === true
        ? { action: 'fulfill_unsettled', requirement_id: classification.requirement_id }
        : { action: 'review', code: METERED_INTEGRATION_REQUIRED };
    case 'metered_batch_settled':
      return { action: 'reconcile_batch', settlement_batch_id: classification.settlement_batch_id };
    case 'unknown':
      return { action: 'review', code: classification.reason };
    default: {
      // A classification from a newer SDK (or a hand-built object) goes to review rather than through.
      const unexpected: never = classification;
      void unexpected;
      return { action: 'review', code: 'unknown_confirmation_shape' };
    }
  }
}
