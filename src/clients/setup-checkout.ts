/**
 * The composite `setupCheckout` (contract section 4): merchant, billing
 * mandate, webhook subscription, in that order, then the env block a shop
 * needs. Kept apart from the client so the client file stays thin.
 */
import { DEFAULT_WEBHOOK_EVENT_TYPES } from '../core/constants.js';
import { SiglumeApiError, SiglumeInvalidResponseError, SiglumeValidationError } from '../core/errors.js';
import { currencySchema, merchantKeySchema, parseInput } from '../core/validation.js';
import { DIRECT_REQUEST_PAYMENT_SDK_ID } from '../version.js';
import { requestOptionsSchema, type DirectRequestPaymentRequestOptions } from './schemas/client-options.js';
import {
  SiglumeSetupCheckoutStepError,
  type DirectRequestPaymentSetupCheckoutCompleted,
  type DirectRequestPaymentSetupCheckoutStep,
} from './setup-checkout-error.js';
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

function sameUrl(a: string | null | undefined, b: string): boolean {
  if (a === undefined || a === null) return false;
  if (a === b) return true;
  try {
    return new URL(a).href === new URL(b).href;
  } catch {
    return false;
  }
}

// Statuses of a subscription that receives events, read as examples/setup-merchant.ts always has.
const ACTIVE = /^(active|enabled)$/i;

function sameTypes(a: readonly string[] | null | undefined, b: readonly string[]): boolean {
  if (!a) return false;
  const set = new Set(a);
  return set.size === new Set(b).size && b.every((t) => set.has(t));
}

/** The webhook step: reuse an active subscription with the same URL and event types, else create one. */
async function subscribe(
  client: SetupSteps,
  request: DirectRequestPaymentWebhookSubscriptionCreateInput & { callback_url: string },
  options: DirectRequestPaymentRequestOptions | undefined,
  notes: string[],
  progress: { call: string },
): Promise<DirectRequestPaymentWebhookSubscription> {
  const types = request.event_types ?? DEFAULT_WEBHOOK_EVENT_TYPES;
  const { idempotency_key: _unused, ...readOptions } = options ?? {};
  progress.call = 'listWebhookSubscriptions';
  const listed = await client.listWebhookSubscriptions(options && readOptions).catch((error: unknown) => {
    // A token the list is closed to (or an API without it) leaves nothing to reuse: subscribe as before.
    if (!(error instanceof SiglumeApiError) || (error.status !== 403 && error.status !== 404)) throw error;
    notes.push(
      `listWebhookSubscriptions was refused (HTTP ${error.status}), so a subscription was created without looking ` +
        `for an existing one to ${request.callback_url}; if there is one, the shop gets its events twice.`,
    );
    return [];
  });
  const active = listed.filter((s) => ACTIVE.test(s.status ?? '') && sameUrl(s.callback_url, request.callback_url));
  const same = active.find((s) => sameTypes(s.event_types, types));
  if (same) {
    const hint = nonEmpty(same.signing_secret_hint);
    notes.push(
      `Reused the active webhook subscription "${same.id}" to ${request.callback_url}, which already receives these event types, ` +
        'instead of adding a second one (the shop would get every event twice). Its signing secret is shown only when it is created, ' +
        'so env has no SIGLUME_WEBHOOK_SECRET: keep the one from the run that created it' +
        `${hint ? ` (it ends in "${hint}", the signing_secret_hint of listWebhookSubscriptions)` : ''}.`,
    );
    return same;
  }
  progress.call = 'createWebhookSubscription';
  const created = await client.createWebhookSubscription(request, stepOptions(options, '-webhook-subscription'));
  for (const other of active) {
    const overlap = (other.event_types ?? []).filter((t) => types.includes(t));
    if (overlap.length === 0) continue;
    notes.push(
      `The active webhook subscription "${other.id}" also sends ${overlap.join(', ')} to ${request.callback_url}, ` +
        `so the shop gets those events twice, each copy signed with its own subscription's secret.`,
    );
  }
  return created;
}

/** The error that replaces a failed step's own: names the step, keeps what earlier steps returned. */
function stepFailure(
  step: DirectRequestPaymentSetupCheckoutStep,
  call: string,
  cause: unknown,
  key: string,
  merchant: DirectRequestPaymentMerchantResponse | null,
  billing_mandate: DirectRequestPaymentBillingMandateResponse | null,
): SiglumeSetupCheckoutStepError {
  const completed: DirectRequestPaymentSetupCheckoutCompleted = {};
  const done: string[] = [];
  const env: DirectRequestPaymentCheckoutSetupEnv = { SIGLUME_DIRECT_PAYMENT_MERCHANT: key };
  if (merchant) {
    const { challenge_secret, ...publicPart } = merchant;
    completed.merchant = publicPart;
    const secret = nonEmpty(challenge_secret);
    if (secret) env.SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET = secret;
    done.push(`merchant "${key}" set up${secret ? ' (its challenge secret, shown only now, is on error.env)' : ''}`);
  }
  if (billing_mandate) {
    completed.billing_mandate = billing_mandate;
    done.push('billing mandate prepared');
  }
  // An answer that failed its shape check may still hold the step's shown-once secret.
  if (cause instanceof SiglumeInvalidResponseError) {
    const withheld = cause.response_secrets;
    if (step === 'merchant' && withheld['challenge_secret']) env.SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET = withheld['challenge_secret'];
    if (step === 'webhook_subscription' && withheld['signing_secret']) env.SIGLUME_WEBHOOK_SECRET = withheld['signing_secret'];
  }
  const causeMessage = (cause instanceof Error ? cause.message : String(cause)).trim();
  const causeText = /[.!?]$/.test(causeMessage) ? causeMessage : `${causeMessage}.`;
  const code = (cause as { code?: unknown } | null)?.code;
  return new SiglumeSetupCheckoutStepError({
    step,
    completed,
    env,
    cause,
    message:
      `setupCheckout failed at step "${step}" (${call})${typeof code === 'string' ? ` with ${code}` : ''}: ${causeText} ` +
      `Already done: ${done.length > 0 ? done.join('; ') : 'nothing'}. ` +
      `${Object.keys(env).length > 1 ? 'Store error.env first (it holds what Siglume shows once). ' : ''}` +
      'Fix the cause and run setupCheckout again; the steps that succeeded are safe to repeat.',
  });
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
  } = parseInput(setupCheckoutInputSchema(context.loopback), input);
  const options = checkOptions(context.options);

  let step: DirectRequestPaymentSetupCheckoutStep = 'merchant';
  const progress = { call: 'setupMerchant' };
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
      progress.call = 'prepareBillingMandate';
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
      webhook_subscription = await subscribe(client, request, options, notes, progress);
    }
  } catch (error) {
    throw stepFailure(step, progress.call, error, key, merchant, billing_mandate);
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
