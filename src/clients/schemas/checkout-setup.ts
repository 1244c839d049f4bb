/**
 * Input and result of the composite `setupCheckout` (contract section 4).
 */
import * as z from 'zod/mini';
import type { DirectRequestPaymentBillingMandateResponse, DirectRequestPaymentMerchantResponse } from './merchant-account.js';
import { setupMerchantInputSchema } from './merchant-account.js';
import { booleanInput, strictInput, textInput, lazyLoopbackSchema } from './common.js';
import { eventTypesSchema, type DirectRequestPaymentWebhookSubscription } from './webhook-subscription.js';

/**
 * Input of `setupCheckout`: everything `setupMerchant` takes, plus the steps
 * to run and the subscription's settings. The step and subscription options
 * are never sent to `setupMerchant`.
 */
export const setupCheckoutInputSchema = /* @__PURE__ */ lazyLoopbackSchema((allowLoopbackHttp: boolean) =>
  strictInput({
    ...setupMerchantInputSchema(allowLoopbackHttp).shape,
    prepare_billing_mandate: z._default(booleanInput(), true),
    create_webhook_subscription: z.optional(booleanInput()),
    /**
     * Event types of the subscription setupCheckout creates, checked like
     * `createWebhookSubscription`'s `event_types` (the 0.4.20 option).
     * @default ["direct_payment.confirmed", "direct_payment.spent"]
     */
    webhook_event_types: z.optional(eventTypesSchema()),
    webhook_description: z.optional(textInput(500)),
  }).check(
    z.superRefine((input, ctx) => {
      if (input.create_webhook_subscription === true && input.webhook_callback_url === undefined) {
        ctx.addIssue({
          code: 'custom',
          path: ['webhook_callback_url'],
          message: 'is required when create_webhook_subscription is true',
        });
      }
    }),
  ),
);

/**
 * Input of `setupCheckout`.
 *
 * @interface
 */
export type DirectRequestPaymentCheckoutSetupInput = z.input<ReturnType<typeof setupCheckoutInputSchema>>;

/**
 * Environment variables for the shop, ready to paste into its secret store.
 * Secrets are included only when this run received them: the challenge secret
 * when the merchant was created (or on rotation), the webhook secret when a
 * subscription was created. The result's `notes` say when the challenge
 * secret is missing and how to get one.
 */
export interface DirectRequestPaymentCheckoutSetupEnv {
  SIGLUME_DIRECT_PAYMENT_MERCHANT: string;
  SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET?: string;
  SIGLUME_WEBHOOK_SECRET?: string;
}

/** Result of `setupCheckout`. */
export interface DirectRequestPaymentCheckoutSetupResult {
  /** Answer of `setupMerchant`. */
  merchant: DirectRequestPaymentMerchantResponse;
  /** Answer of `prepareBillingMandate`, or `null` when `prepare_billing_mandate` was false. */
  billing_mandate: DirectRequestPaymentBillingMandateResponse | null;
  /** The created subscription (with its `signing_secret`), or `null` when none was created. */
  webhook_subscription: DirectRequestPaymentWebhookSubscription | null;
  env: DirectRequestPaymentCheckoutSetupEnv;
  /**
   * What the caller should know about this run, in plain sentences: that
   * the challenge secret was not returned (the merchant already existed), so
   * `env` lacks it, and how to get one; that an older active subscription
   * to the same URL also gets these events, so they now arrive twice.
   * Absent when there is nothing to say. Never contains a secret.
   */
  notes?: string[];
}

/** Alias of {@link DirectRequestPaymentCheckoutSetupResult}. */
export type DirectRequestPaymentMerchantSetupResponse = DirectRequestPaymentCheckoutSetupResult;
