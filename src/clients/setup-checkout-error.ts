/**
 * The error `setupCheckout` throws when one of its steps fails after the
 * input check: which step, what was already done, and the shown-once secrets
 * of the steps that succeeded, which the caller would otherwise lose.
 */
import { SiglumeDirectRequestPaymentError } from '../core/errors.js';
import type { DirectRequestPaymentCheckoutSetupEnv } from './schemas/checkout-setup.js';
import type { DirectRequestPaymentBillingMandateResponse, DirectRequestPaymentMerchantResponse } from './schemas/merchant-account.js';

/**
 * A step of `setupCheckout`, in the order they run: `setupMerchant`,
 * `prepareBillingMandate`, then the webhook subscription (listing the
 * existing ones, then creating one when none fits).
 */
export type DirectRequestPaymentSetupCheckoutStep = 'merchant' | 'billing_mandate' | 'webhook_subscription';

/**
 * What `setupCheckout` finished before a step failed. A key is present only
 * when its step ran and succeeded. Secrets are left out (the merchant's
 * `challenge_secret`); they are on {@link SiglumeSetupCheckoutStepError.env}.
 */
export interface DirectRequestPaymentSetupCheckoutCompleted {
  /** Answer of `setupMerchant`, without `challenge_secret`. */
  merchant?: DirectRequestPaymentMerchantResponse;
  /** Answer of `prepareBillingMandate`. */
  billing_mandate?: DirectRequestPaymentBillingMandateResponse;
}

// Outside the class: a module-level store, so the secrets are no property of
// the error at all (not even a hidden one that inspect's showHidden prints).
const secretEnv = new WeakMap<object, DirectRequestPaymentCheckoutSetupEnv>();

/**
 * A step of `setupCheckout` failed after the steps before it succeeded.
 * `step` names the failed step, `completed` holds the answers of the steps
 * that succeeded (without secrets), and `cause` is the step's own error (a
 * `SiglumeApiError`, `SiglumeConnectionError`, ...). The message names the
 * step and what was already done; it never contains a secret.
 *
 * A merchant's challenge secret is returned only by the call that creates
 * the merchant, so a failure of a later step would lose it: `env` keeps it,
 * together with the merchant key (and a webhook secret the failed step's
 * answer carried, see `SiglumeInvalidResponseError.response_secrets`). `env`
 * is an accessor, not an own property: logging or `JSON.stringify` of the
 * error never shows it. Store it, fix the cause, then run `setupCheckout`
 * again: the merchant and the mandate are set up again without harm.
 *
 * @example
 * try {
 *   await merchant.setupCheckout({ merchant: 'shop_alpha', webhook_callback_url: 'https://shop.example/payments/webhooks/siglume' });
 * } catch (e) {
 *   if (!(e instanceof SiglumeSetupCheckoutStepError)) throw e;
 *   // Save what was shown once before anything else.
 *   await secretStore.put(e.env); // SIGLUME_DIRECT_PAYMENT_MERCHANT, SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET, ...
 *   console.error(`setupCheckout failed at ${e.step}:`, e.cause);
 * }
 */
export class SiglumeSetupCheckoutStepError extends SiglumeDirectRequestPaymentError {
  /** The step that failed. */
  readonly step: DirectRequestPaymentSetupCheckoutStep;
  /** Answers of the steps that succeeded before it, without secrets. */
  readonly completed: DirectRequestPaymentSetupCheckoutCompleted;
  /** The failed step's own error. */
  declare readonly cause: unknown;

  constructor(init: {
    step: DirectRequestPaymentSetupCheckoutStep;
    message: string;
    completed: DirectRequestPaymentSetupCheckoutCompleted;
    env: DirectRequestPaymentCheckoutSetupEnv;
    cause: unknown;
  }) {
    super(init.message, { code: 'SETUP_CHECKOUT_STEP_FAILED', cause: init.cause });
    this.step = init.step;
    this.completed = init.completed;
    secretEnv.set(this, { ...init.env });
  }

  /**
   * The shop's variables as far as this run got them: always
   * `SIGLUME_DIRECT_PAYMENT_MERCHANT`, and each secret a successful step
   * returned (`SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET` when the merchant was
   * created by this run). A fresh copy on each read.
   */
  get env(): DirectRequestPaymentCheckoutSetupEnv {
    return { ...secretEnv.get(this)! };
  }
}
