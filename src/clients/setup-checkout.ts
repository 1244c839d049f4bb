/**
 * The composite `setupCheckout` (contract section 4): merchant, billing
 * mandate, webhook subscription, in that order, then the env block a shop
 * needs. Kept apart from the client so the client file stays thin.
 */
import { DEFAULT_WEBHOOK_EVENT_TYPES } from '../core/constants.js';
import { SiglumeInvalidResponseError, SiglumeValidationError } from '../core/errors.js';
import { currencySchema, merchantKeySchema, parseInput, sameUrl } from '../core/validation.js';
import { parseKnownInput } from './schemas/known-fields.js';
import { DIRECT_REQUEST_PAYMENT_SDK_ID } from '../version.js';
import { requestOptionsSchema, type DirectRequestPaymentRequestOptions } from './schemas/client-options.js';
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
 * The merchant-client calls setupCheckout makes, written out here
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
  listWebhookSubscriptions(options?: DirectRequestPaymentRequestOptions): Promise<DirectRequestPaymentWebhookSubscription[]>;
}

// Each step is a different request, so a caller's idempotency key is
// specialised per step: reusing one key for three bodies would be a conflict.
const STEP_KEY_SUFFIXES = ['-merchant', '-billing-mandate', '-webhook-subscription'] as const;
type StepKeySuffix = (typeof STEP_KEY_SUFFIXES)[number];
const MAX_IDEMPOTENCY_KEY = 255;
const LONGEST_SUFFIX = Math.max(...STEP_KEY_SUFFIXES.map((s) => s.length));

function stepOptions(options: DirectRequestPaymentRequestOptions | undefined, suffix: StepKeySuffix): DirectRequestPaymentRequestOptions | undefined {
  if (!options?.idempotency_key) return options;
  return { ...options, idempotency_key: `${options.idempotency_key}${suffix}` };
}

// Checked before the first request: a key that fits the API's limit only
// without its suffix would fail a later step after the merchant was created.
function checkOptions(options: DirectRequestPaymentRequestOptions | undefined): DirectRequestPaymentRequestOptions | undefined {
  if (options === undefined) return undefined;
  const max = MAX_IDEMPOTENCY_KEY - LONGEST_SUFFIX;
  // Before the schema, whose own limit (255) is not this call's.
  const key: unknown = (options as { idempotency_key?: unknown } | null)?.idempotency_key;
  if (typeof key === 'string' && key.length > max) {
    throw new SiglumeValidationError(
      'options.idempotency_key',
      `Invalid options.idempotency_key: setupCheckout must be given at most ${max} characters, because it appends up to ` +
        `${LONGEST_SUFFIX} ("-webhook-subscription") for each step's own key and the API takes ${MAX_IDEMPOTENCY_KEY}; use a shorter key`,
    );
  }
  parseInput(requestOptionsSchema(), options, 'options');
  return options;
}

function nonEmpty(value: unknown): string | undefined {
  return typeof value === 'string' && value !== '' ? value : undefined;
}

// Statuses of a subscription that receives events, read as examples/setup-merchant.ts always has.
const ACTIVE = /^(active|enabled)$/i;

/**
 * Active subscriptions to `callback_url` that already get some of `types`, looked up
 * after subscribing. Only for a note: any failure of the list gives none.
 */
async function subscriptionsToSameUrl(
  client: SetupSteps,
  callback_url: string,
  types: readonly string[],
  options: DirectRequestPaymentRequestOptions | undefined,
): Promise<DirectRequestPaymentWebhookSubscription[]> {
  const { idempotency_key: _unused, ...readOptions } = options ?? {};
  try {
    // A short look, never retried: a slow API must not hold a finished setup.
    const listed = await client.listWebhookSubscriptions({ ...readOptions, timeout_ms: 3000, max_retries: 0 });
    return listed.filter(
      (s) =>
        ACTIVE.test(s.status ?? '') &&
        sameUrl(s.callback_url, callback_url) &&
        // Unknown event types count as overlapping.
        (!Array.isArray(s.event_types) || s.event_types.length === 0 || s.event_types.some((t) => types.includes(t))),
    );
  } catch {
    return [];
  }
}

/** A step of `setupCheckout`, in the order they run. */
export type DirectRequestPaymentSetupCheckoutStep = 'merchant' | 'billing_mandate' | 'webhook_subscription';

/**
 * What `setupCheckout` finished before a step failed. A key is present only
 * when its step ran and succeeded. The merchant answer has no
 * `challenge_secret`: that is in `env`.
 */
export interface DirectRequestPaymentSetupCheckoutCompleted {
  /** Answer of `setupMerchant`, without `challenge_secret`. */
  merchant?: DirectRequestPaymentMerchantResponse | undefined;
  /** Answer of `prepareBillingMandate`. */
  billing_mandate?: DirectRequestPaymentBillingMandateResponse | undefined;
}

/** What {@link setupCheckoutProgress} reads from an error `setupCheckout` threw. */
export interface DirectRequestPaymentSetupCheckoutProgress {
  /** The step that failed. */
  step: DirectRequestPaymentSetupCheckoutStep;
  /** Answers of the steps that succeeded before it, without secrets. */
  completed: DirectRequestPaymentSetupCheckoutCompleted;
  /**
   * The shop's variables as far as the run got: always
   * `SIGLUME_DIRECT_PAYMENT_MERCHANT`, plus `SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET`
   * when the merchant step returned it (Siglume shows it only once), and a
   * secret the failed step's answer carried (see
   * `SiglumeInvalidResponseError.response_secrets`).
   */
  env: DirectRequestPaymentCheckoutSetupEnv;
}

const STEPS: readonly string[] = ['merchant', 'billing_mandate', 'webhook_subscription'];

/**
 * The progress `setupCheckout` attached to the error it threw: the failed
 * step, what was done before it, and `env` with the secrets already returned.
 * `null` for any other error. The error itself is the failed step's own
 * (`SiglumeApiError`, `SiglumeConnectionError`, ...), with a message that
 * starts with the step and what was done; the progress is kept on hidden
 * properties (`setup_step`, `setup_completed`, `env`), so logging the error
 * or `JSON.stringify` never shows a secret.
 *
 * @example
 * try {
 *   await merchant.setupCheckout({ merchant: 'shop_alpha', webhook_callback_url: 'https://shop.example/payments/webhooks/siglume' });
 * } catch (e) {
 *   const progress = setupCheckoutProgress(e);
 *   // Save what was shown once before anything else, then fix the cause and run setupCheckout again.
 *   if (progress) await secretStore.put(progress.env);
 *   throw e;
 * }
 */
export function setupCheckoutProgress(error: unknown): DirectRequestPaymentSetupCheckoutProgress | null {
  if (typeof error !== 'object' || error === null) return null;
  const found = error as { setup_step?: unknown; setup_completed?: unknown; env?: unknown };
  if (typeof found.setup_step !== 'string' || !STEPS.includes(found.setup_step)) return null;
  return {
    step: found.setup_step as DirectRequestPaymentSetupCheckoutStep,
    completed: { ...(found.setup_completed as DirectRequestPaymentSetupCheckoutCompleted) },
    env: { ...(found.env as DirectRequestPaymentCheckoutSetupEnv) },
  };
}

/**
 * The failed step's own error, its message prefixed with the step and what was
 * done, and the progress on non-enumerable properties. An error that cannot
 * take them (frozen, sealed, not an object) is returned unchanged.
 */
function withProgress(
  error: unknown,
  step: DirectRequestPaymentSetupCheckoutStep,
  key: string,
  merchant: DirectRequestPaymentMerchantResponse | null,
  billing_mandate: DirectRequestPaymentBillingMandateResponse | null,
): unknown {
  if (typeof error !== 'object' || error === null || !Object.isExtensible(error) || Object.isFrozen(error)) return error;
  const completed: DirectRequestPaymentSetupCheckoutCompleted = {};
  const env: DirectRequestPaymentCheckoutSetupEnv = { SIGLUME_DIRECT_PAYMENT_MERCHANT: key };
  if (merchant) {
    const { challenge_secret, ...publicPart } = merchant;
    completed.merchant = publicPart;
    const secret = nonEmpty(challenge_secret);
    if (secret) env.SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET = secret;
  }
  if (billing_mandate) completed.billing_mandate = billing_mandate;
  // An answer that failed its shape check may still hold the step's shown-once secret.
  if (error instanceof SiglumeInvalidResponseError) {
    const withheld = error.response_secrets;
    if (step === 'merchant' && withheld['challenge_secret']) env.SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET = withheld['challenge_secret'];
    if (step === 'webhook_subscription' && withheld['signing_secret']) env.SIGLUME_WEBHOOK_SECRET = withheld['signing_secret'];
  }
  const done = Object.keys(completed);
  const secrets = Object.keys(env).length > 1 ? '; save error.env, it holds secrets Siglume shows once' : '';
  const prefix = `setupCheckout failed at ${step} (${done.length > 0 ? `${done.join(' and ')} done` : 'nothing done'}${secrets}): `;
  const hidden = { enumerable: false, configurable: true } as const;
  try {
    Object.defineProperty(error, 'setup_step', { ...hidden, value: step });
    Object.defineProperty(error, 'setup_completed', { ...hidden, value: completed });
    // A getter: inspect (even with showHidden) prints [Getter], never the secrets.
    Object.defineProperty(error, 'env', { ...hidden, get: () => ({ ...env }) });
    const target = error as { message?: unknown; stack?: unknown; name?: unknown };
    if (typeof target.message === 'string') {
      const old = target.message;
      target.message = `${prefix}${old}`;
      const head = `${String(target.name)}: ${old}`;
      if (typeof target.stack === 'string' && target.stack.startsWith(head)) {
        target.stack = `${String(target.name)}: ${prefix}${old}${target.stack.slice(head.length)}`;
      }
    }
  } catch {
    // Read-only properties: the error goes out as it was, maybe with part of the progress.
  }
  return error;
}

/** Runs the setupCheckout steps through `client`. */
export async function runSetupCheckout(
  client: SetupSteps,
  input: DirectRequestPaymentCheckoutSetupInput,
  context: { loopback: boolean; options: DirectRequestPaymentRequestOptions | undefined },
): Promise<DirectRequestPaymentCheckoutSetupResult> {
  const {
    prepare_billing_mandate,
    create_webhook_subscription,
    webhook_event_types,
    webhook_description,
    ...merchantInput
  } = parseKnownInput(setupCheckoutInputSchema(context.loopback), input);
  const options = checkOptions(context.options);

  let step: DirectRequestPaymentSetupCheckoutStep = 'merchant';
  let key = merchantInput.merchant;
  let merchant: DirectRequestPaymentMerchantResponse | null = null;
  let billing_mandate: DirectRequestPaymentBillingMandateResponse | null = null;
  let webhook_subscription: DirectRequestPaymentWebhookSubscription | null = null;
  const notes: string[] = [];
  try {
    merchant = await client.setupMerchant(merchantInput, stepOptions(options, '-merchant'));
    // The account the API answered with (CONTRACT-2 section 15: the mandate goes to its key), else (absent or
    // unusable) the one asked for; the subscription and the shop's env name the same account.
    const fromAccountKey = merchantKeySchema.safeParse(merchant.merchant_account.merchant);
    if (fromAccountKey.success) key = fromAccountKey.data;

    if (prepare_billing_mandate) {
      step = 'billing_mandate';
      // The account's billing currency wins: an existing account keeps the one it was created with.
      // Sent as `billing_currency` (CONTRACT-2 section 15), never as `currency`.
      const fromAccount = currencySchema.safeParse(merchant.merchant_account.billing_currency);
      const billing_currency = fromAccount.success ? fromAccount.data : merchantInput.billing_currency;
      const cap = merchantInput.max_amount_minor ?? merchantInput.billing_mandate_cap_minor;
      billing_mandate = await client.prepareBillingMandate(
        key,
        cap === undefined ? { billing_currency } : { billing_currency, max_amount_minor: cap },
        stepOptions(options, '-billing-mandate'),
      );
    }

    const callback_url = merchantInput.webhook_callback_url;
    if ((create_webhook_subscription ?? callback_url !== undefined) && callback_url !== undefined) {
      step = 'webhook_subscription';
      const request = {
        callback_url,
        // Left out when not given, so createWebhookSubscription applies its default.
        ...(webhook_event_types === undefined ? {} : { event_types: webhook_event_types }),
        description: webhook_description ?? `${key} Direct Request Payment`,
        metadata: { merchant: key, sdk: DIRECT_REQUEST_PAYMENT_SDK_ID },
      };
      // Always a new subscription (contract section 4): its secret is in env, which callers write out as is.
      const types = webhook_event_types ?? DEFAULT_WEBHOOK_EVENT_TYPES;
      const created = await client.createWebhookSubscription(request, stepOptions(options, '-webhook-subscription'));
      webhook_subscription = created;
      // Listed after the three contract steps (section 4), for a note only.
      const existing = await subscriptionsToSameUrl(client, callback_url, types, options);
      for (const old of existing) {
        if (old.id === created.id) continue;
        notes.push(
          `Subscription ${old.id} already delivers to this URL (${callback_url}): events will now arrive twice, ` +
            'signed with different secrets. Delete the old one in Siglume (this SDK has no call for it) once the shop uses the new secret.',
        );
      }
    }
  } catch (error) {
    throw withProgress(error, step, key, merchant, billing_mandate);
  }

  const env: DirectRequestPaymentCheckoutSetupEnv = { SIGLUME_DIRECT_PAYMENT_MERCHANT: key };
  const challengeSecret = nonEmpty(merchant.challenge_secret);
  if (challengeSecret) env.SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET = challengeSecret;
  else {
    notes.unshift(
      `Siglume returned no challenge secret for merchant "${key}" (it is shown only when it is created), ` +
        'so env has no SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET: keep the one from the run that created the merchant, ' +
        `or call rotateChallengeSecret("${key}") for a new one (the old one then stops working; give the shop the new one).`,
    );
  }
  const webhookSecret = nonEmpty(webhook_subscription?.signing_secret);
  if (webhookSecret) env.SIGLUME_WEBHOOK_SECRET = webhookSecret;

  return { merchant, billing_mandate, webhook_subscription, env, ...(notes.length > 0 ? { notes } : {}) };
}
