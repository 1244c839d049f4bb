/**
 * The composite `setupCheckout` (contract section 4): merchant, billing
 * mandate, webhook subscription, in that order, then the env block a shop
 * needs. Kept apart from the client so the client file stays thin.
 */
import { currencySchema, merchantKeySchema, parseInput } from '../core/validation.js';
import { DIRECT_REQUEST_PAYMENT_SDK_ID } from '../version.js';
import type { DirectRequestPaymentRequestOptions } from './schemas/client-options.js';
import {
  setupCheckoutInputSchema,
  type DirectRequestPaymentCheckoutSetupEnv,
  type DirectRequestPaymentCheckoutSetupInput,
  type DirectRequestPaymentCheckoutSetupResult,
} from './schemas/checkout-setup.js';
import type {
  DirectRequestPaymentBillingMandateInput,
  DirectRequestPaymentBillingMandateResponse,
  DirectRequestPaymentMerchantResponse,
  DirectRequestPaymentMerchantSetupInput,
} from './schemas/merchant-account.js';
import type {
  DirectRequestPaymentWebhookSubscription,
  DirectRequestPaymentWebhookSubscriptionCreateInput,
} from './schemas/webhook-subscription.js';


/**
 * The three merchant-client calls setupCheckout makes, written out here
 * (not picked from the client class) so this module does not import the
 * client that imports it.
 */
interface SetupSteps {
  setupMerchant(
    input: DirectRequestPaymentMerchantSetupInput,
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentMerchantResponse>;
  prepareBillingMandate(
    merchant: string,
    input?: DirectRequestPaymentBillingMandateInput,
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentBillingMandateResponse>;
  createWebhookSubscription(
    input: DirectRequestPaymentWebhookSubscriptionCreateInput,
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentWebhookSubscription>;
}

// Each step is a different request, so a caller's idempotency key is
// specialised per step: reusing one key for three bodies would be a conflict.
function stepOptions(options: DirectRequestPaymentRequestOptions | undefined, step: string): DirectRequestPaymentRequestOptions | undefined {
  if (!options?.idempotency_key) return options;
  return { ...options, idempotency_key: `${options.idempotency_key}-${step}` };
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

/** Runs the setupCheckout steps through `client`. */
export async function runSetupCheckout(
  client: SetupSteps,
  input: DirectRequestPaymentCheckoutSetupInput,
  context: { loopback: boolean; options: DirectRequestPaymentRequestOptions | undefined },
): Promise<DirectRequestPaymentCheckoutSetupResult> {
  const { options } = context;
  const {
    prepare_billing_mandate,
    create_webhook_subscription,
    webhook_event_types,
    webhook_description,
    ...merchantInput
  } = parseInput(setupCheckoutInputSchema(context.loopback), input);
  const merchant = await client.setupMerchant(merchantInput, stepOptions(options, 'merchant'));
  // The account the API answered with (CONTRACT-2 section 15: the mandate goes to its key), else (absent or
  // unusable) the one asked for; the subscription and the shop's env name the same account.
  const fromAccountKey = merchantKeySchema.safeParse(merchant.merchant_account.merchant);
  const key = fromAccountKey.success ? fromAccountKey.data : merchantInput.merchant;

  let billing_mandate: DirectRequestPaymentBillingMandateResponse | null = null;
  if (prepare_billing_mandate) {
    // The account's billing currency wins: an existing account keeps the one it was created with.
    // Sent as `billing_currency` (CONTRACT-2 section 15), never as `currency`.
    const fromAccount = currencySchema.safeParse(merchant.merchant_account.billing_currency);
    const billing_currency = fromAccount.success ? fromAccount.data : merchantInput.billing_currency;
    const cap = merchantInput.max_amount_minor ?? merchantInput.billing_mandate_cap_minor;
    billing_mandate = await client.prepareBillingMandate(
      key,
      cap === undefined ? { billing_currency } : { billing_currency, max_amount_minor: cap },
      stepOptions(options, 'billing-mandate'),
    );
  }

  let webhook_subscription: DirectRequestPaymentWebhookSubscription | null = null;
  const callback_url = merchantInput.webhook_callback_url;
  if ((create_webhook_subscription ?? callback_url !== undefined) && callback_url !== undefined) {
    webhook_subscription = await client.createWebhookSubscription(
      {
        callback_url,
        // Left out when not given, so createWebhookSubscription applies its default.
        ...(webhook_event_types === undefined ? {} : { event_types: webhook_event_types }),
        description: webhook_description ?? `${key} Direct Request Payment`,
        metadata: { merchant: key, sdk: DIRECT_REQUEST_PAYMENT_SDK_ID },
      },
      stepOptions(options, 'webhook-subscription'),
    );
  }

  const env: DirectRequestPaymentCheckoutSetupEnv = { SIGLUME_DIRECT_PAYMENT_MERCHANT: key };
  const challengeSecret = nonEmpty(merchant.challenge_secret);
  if (challengeSecret) env.SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET = challengeSecret;
  const webhookSecret = nonEmpty(webhook_subscription?.signing_secret);
  if (webhookSecret) env.SIGLUME_WEBHOOK_SECRET = webhookSecret;

  return { merchant, billing_mandate, webhook_subscription, env };
}
