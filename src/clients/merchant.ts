/**
 * The merchant client: self-service merchant setup, Hosted Checkout sessions
 * and webhook subscriptions (contract section 4). Each method validates its
 * input, builds the path and body, and hands the request to the transport.
 */
import { path } from '../core/path.js';
import { merchantKeySchema, parseInput, pathIdSchema } from '../core/validation.js';
import { parseKnownInput } from './schemas/known-fields.js';
import type { Transport } from '../core/transport.js';
import { connectClient, send, sendRaw } from './connection.js';
import { mapHostedCheckoutError } from '../internal/hosted-checkout.js';
import type { DirectRequestPaymentClientOptions, DirectRequestPaymentRequestOptions } from './schemas/client-options.js';
import { runSetupCheckout } from './setup-checkout.js';
import {
  checkoutSessionCreateResponseSchema,
  checkoutSessionSchema,
  clientCheckoutSessionInputSchema,
  type DirectRequestPaymentCheckoutSession,
  type DirectRequestPaymentCheckoutSessionCreateInput,
  type DirectRequestPaymentCheckoutSessionCreateResponse,
} from './schemas/checkout-session.js';
import type { DirectRequestPaymentCheckoutSetupInput, DirectRequestPaymentCheckoutSetupResult } from './schemas/checkout-setup.js';
import {
  billingMandateResponseSchema,
  challengeSecretRotationSchema,
  merchantResponseSchema,
  prepareBillingMandateInputSchema,
  setupMerchantInputSchema,
  type DirectRequestPaymentBillingMandateInput,
  type DirectRequestPaymentBillingMandateResponse,
  type DirectRequestPaymentChallengeSecretRotation,
  type DirectRequestPaymentMerchantResponse,
  type DirectRequestPaymentMerchantSetupInput,
} from './schemas/merchant-account.js';
import { merchantReadinessResponseSchema, type DirectRequestPaymentHostedCheckoutReadiness } from './schemas/merchant-readiness.js';
import {
  listWebhookDeliveriesInputSchema,
  queueWebhookTestDeliveryInputSchema,
  webhookDeliveryListSchema,
  webhookTestDeliverySchema,
  type DirectRequestPaymentWebhookDelivery,
  type DirectRequestPaymentWebhookDeliveryQuery,
  type DirectRequestPaymentWebhookTestDelivery,
  type DirectRequestPaymentWebhookTestDeliveryInput,
} from './schemas/webhook-delivery.js';
import {
  createWebhookSubscriptionInputSchema,
  webhookSubscriptionListSchema,
  webhookSubscriptionSchema,
  type DirectRequestPaymentWebhookSubscription,
  type DirectRequestPaymentWebhookSubscriptionCreateInput,
} from './schemas/webhook-subscription.js';

const MERCHANTS = '/sdrp/direct-payments/merchants';

/** Options of {@link DirectRequestPaymentMerchantClient}: the options of both clients. */
export type DirectRequestPaymentMerchantClientOptions = DirectRequestPaymentClientOptions;

/**
 * Client for a merchant's own Siglume account. Authenticates with a merchant
 * token: the `auth_token` option, else `SIGLUME_MERCHANT_AUTH_TOKEN`, else
 * `SIGLUME_AUTH_TOKEN` (Developer Portal `cli_` keys are refused). The token
 * is kept private: it is not a property, and never appears in
 * `JSON.stringify`, `util.inspect` or error messages.
 *
 * Webhook URLs must be https. Against a loopback base URL (the local sandbox,
 * e.g. `http://127.0.0.1:8787/v1`) plain http on localhost / 127.0.0.1 /
 * [::1] is accepted as well. Checkout success / cancel URLs may always be http
 * on those hosts, because shops run on localhost during development.
 *
 * @example
 * const merchant = new DirectRequestPaymentMerchantClient({ auth_token: process.env.SIGLUME_MERCHANT_AUTH_TOKEN });
 * const session = await merchant.createCheckoutSession({
 *   merchant: 'shop_alpha', amount_minor: 4200, currency: 'JPY', nonce: 'order-77-attempt-1',
 *   success_url: 'https://shop.example/checkout/siglume/success',
 *   cancel_url: 'https://shop.example/checkout/siglume/cancel',
 * });
 * // redirect the buyer to session.checkout_url
 */
export class DirectRequestPaymentMerchantClient {
  /** API base URL in use, without a trailing slash. */
  readonly base_url: string;
  /** Per-attempt timeout in milliseconds (the `timeout_ms` option, default 15000). */
  readonly timeout_ms: number;
  /** The User-Agent header sent (the `user_agent` option, or the SDK's own). */
  readonly user_agent: string;
  readonly #transport: Transport;
  readonly #loopback: boolean;

  constructor(options: DirectRequestPaymentMerchantClientOptions = {}) {
    const connection = connectClient(options, 'merchant');
    this.base_url = connection.base_url;
    this.timeout_ms = connection.timeout_ms;
    this.user_agent = connection.user_agent;
    this.#transport = connection.transport;
    this.#loopback = connection.loopback;
  }

  /**
   * Creates the merchant account, or returns the existing one. `billing_plan`
   * defaults to `launch`, `billing_currency` to `JPY`; `allowed_currencies` may
   * be `["JPY"]` or `{ JPY: "JPYC" }`. `challenge_secret` is in the answer only
   * when this call created it: store it then.
   */
  async setupMerchant(
    input: DirectRequestPaymentMerchantSetupInput,
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentMerchantResponse> {
    const body = parseKnownInput(setupMerchantInputSchema(this.#loopback), input);
    return send(this.#transport, { method: 'POST', path: MERCHANTS, body, schema: merchantResponseSchema(), options });
  }

  /** Reads a merchant account. Secrets are never replayed here. */
  async getMerchant(merchant: string, options?: DirectRequestPaymentRequestOptions): Promise<DirectRequestPaymentMerchantResponse> {
    const key = parseInput(merchantKeySchema, merchant, 'merchant');
    return send(this.#transport, {
      method: 'GET',
      path: path`/sdrp/direct-payments/merchants/${key}`,
      schema: merchantResponseSchema(),
      options,
    });
  }

  /**
   * Reads the merchant's Standard Hosted Checkout readiness: `ready`, the
   * `checks`, the `missing_requirements` and `blockers`. A 404 is a plain
   * `SiglumeNotFoundError`, not a Hosted Checkout error.
   *
   * @example
   * const readiness = await merchant.getMerchantReadiness('shop_alpha');
   * if (!readiness.ready) console.log(readiness.missing_requirements);
   */
  async getMerchantReadiness(
    merchant: string,
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentHostedCheckoutReadiness> {
    const key = parseInput(merchantKeySchema, merchant, 'merchant');
    return send(this.#transport, {
      method: 'GET',
      path: path`/sdrp/direct-payments/merchants/${key}/readiness`,
      schema: merchantReadinessResponseSchema(),
      options,
    });
  }

  /**
   * Issues a new challenge secret and returns it, once. Challenges signed with
   * the old secret stop verifying, so deploy the new one promptly.
   */
  async rotateChallengeSecret(
    merchant: string,
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentChallengeSecretRotation> {
    const key = parseInput(merchantKeySchema, merchant, 'merchant');
    return send(this.#transport, {
      method: 'POST',
      path: path`/sdrp/direct-payments/merchants/${key}/challenge-secret/rotate`,
      schema: challengeSecretRotationSchema(),
      options,
    });
  }

  /** Prepares the billing mandate Siglume charges platform fees against. */
  async prepareBillingMandate(
    merchant: string,
    input: DirectRequestPaymentBillingMandateInput = {},
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentBillingMandateResponse> {
    const key = parseInput(merchantKeySchema, merchant, 'merchant');
    const body = parseKnownInput(prepareBillingMandateInputSchema(), input);
    return send(this.#transport, {
      method: 'POST',
      path: path`/sdrp/direct-payments/merchants/${key}/billing-mandate`,
      body,
      schema: billingMandateResponseSchema(),
      options,
    });
  }

  /**
   * One call from nothing to a checkout-ready merchant: `setupMerchant`, then
   * `prepareBillingMandate` (unless `prepare_billing_mandate: false`), then
   * `createWebhookSubscription` (by default iff `webhook_callback_url` is
   * given; its event types are `webhook_event_types`, else the
   * `createWebhookSubscription` default). Returns every answer plus `env`,
   * the variables to give the shop.
   * Input and `options` are validated in full before the first request (an
   * `idempotency_key` gets a suffix per step, so it may have at most 234
   * characters). Each run that subscribes creates a new subscription with a
   * secret of its own; when an active subscription to the same URL already
   * gets these events, `notes` says so (the shop would get every event twice):
   * delete the old one once the shop uses the new secret, or re-run with
   * `create_webhook_subscription: false`. A merchant that already existed
   * returns no challenge secret: `env` then lacks it and `notes` says how to
   * get one (`rotateChallengeSecret`).
   * When a step fails, its own error is thrown (same class, `status`, `code`),
   * its message prefixed with the step and what was done. The challenge
   * secret the merchant step returned is shown only once, so the error keeps
   * it: `setupCheckoutProgress(error)` gives `{ step, completed, env }`
   * (also on the error's hidden `setup_step`, `setup_completed` and `env`,
   * which logging and `JSON.stringify` do not show). Re-running is safe.
   *
   * @example
   * const { env } = await merchant.setupCheckout({
   *   merchant: 'shop_alpha',
   *   webhook_callback_url: 'https://shop.example/payments/webhooks/siglume',
   *   checkout_allowed_origins: ['https://shop.example'],
   * });
   *
   * @example
   * try {
   *   await merchant.setupCheckout(input);
   * } catch (e) {
   *   const env = setupCheckoutProgress(e)?.env; // or (e as { env?: DirectRequestPaymentCheckoutSetupEnv }).env
   *   if (env) await secretStore.put(env); // before anything else: it may hold the challenge secret
   *   throw e;
   * }
   */
  async setupCheckout(
    input: DirectRequestPaymentCheckoutSetupInput,
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentCheckoutSetupResult> {
    return runSetupCheckout(this, input, { loopback: this.#loopback, options });
  }

  /**
   * Creates a Hosted Checkout session; redirect the buyer to `checkout_url`
   * and store `challenge_hash` with the order before redirecting.
   *
   * As in 0.4.20, `success_url` and `cancel_url` need only be non-empty (they
   * are sent trimmed; the API answers 422 for a URL it refuses), and keys of
   * `input` the call does not know are dropped, not sent.
   *
   * @throws HostedCheckoutNotAvailableError when Hosted Checkout is not enabled
   * @throws SiglumeHostedCheckoutReadinessRequiredError when the merchant asked
   *   for live mode and its readiness is incomplete (see `getMerchantReadiness`)
   */
  async createCheckoutSession(
    input: DirectRequestPaymentCheckoutSessionCreateInput,
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentCheckoutSessionCreateResponse> {
    const body = parseKnownInput(clientCheckoutSessionInputSchema(), input);
    return send(this.#transport, {
      method: 'POST',
      path: '/sdrp/direct-payments/checkout-sessions',
      body,
      schema: checkoutSessionCreateResponseSchema(),
      options,
      mapError: mapHostedCheckoutError,
    });
  }

  /**
   * Reads a checkout session. As the contract prescribes for both checkout
   * calls, a 404 with code `NOT_FOUND` (among others) is reported as
   * {@link HostedCheckoutNotAvailableError}.
   */
  async getCheckoutSession(
    session_id: string,
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentCheckoutSession> {
    const id = parseInput(pathIdSchema, session_id, 'session_id');
    return send(this.#transport, {
      method: 'GET',
      path: path`/sdrp/direct-payments/checkout-sessions/${id}`,
      schema: checkoutSessionSchema(),
      options,
      mapError: mapHostedCheckoutError,
    });
  }

  /**
   * Subscribes a URL to webhook events (default `direct_payment.confirmed` and
   * `direct_payment.spent`). The answer's `signing_secret` (`whsec_…`) is shown
   * only now: store it as `SIGLUME_WEBHOOK_SECRET`.
   */
  async createWebhookSubscription(
    input: DirectRequestPaymentWebhookSubscriptionCreateInput,
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentWebhookSubscription> {
    const body = parseKnownInput(createWebhookSubscriptionInputSchema(this.#loopback), input);
    return send(this.#transport, {
      method: 'POST',
      path: '/market/webhooks/subscriptions',
      body,
      schema: webhookSubscriptionSchema(),
      options,
    });
  }

  /** Lists webhook subscriptions; each carries `signing_secret_hint`, never the secret. */
  async listWebhookSubscriptions(options?: DirectRequestPaymentRequestOptions): Promise<DirectRequestPaymentWebhookSubscription[]> {
    return send(this.#transport, {
      method: 'GET',
      path: '/market/webhooks/subscriptions',
      schema: webhookSubscriptionListSchema(),
      options,
    });
  }

  /** Queues a signed test event to your subscriptions; poll `listWebhookDeliveries` for `event.id`. */
  async queueWebhookTestDelivery(
    input: DirectRequestPaymentWebhookTestDeliveryInput,
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentWebhookTestDelivery> {
    const body = parseKnownInput(queueWebhookTestDeliveryInputSchema(), input);
    return send(this.#transport, {
      method: 'POST',
      path: '/market/webhooks/test-deliveries',
      body,
      schema: webhookTestDeliverySchema(),
      options,
    });
  }

  /** Lists webhook delivery attempts, filtered by subscription, event type, status; at most `limit`. */
  async listWebhookDeliveries(
    query: DirectRequestPaymentWebhookDeliveryQuery = {},
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentWebhookDelivery[]> {
    const q = parseKnownInput(listWebhookDeliveriesInputSchema(), query);
    return send(this.#transport, {
      method: 'GET',
      path: '/market/webhooks/deliveries',
      query: [
        ['subscription_id', q.subscription_id],
        ['event_type', q.event_type],
        ['status', q.status],
        ['limit', q.limit],
      ],
      schema: webhookDeliveryListSchema(),
      options,
    });
  }

  /**
   * Calls any API route through this client's transport (retries,
   * idempotency keys, typed errors, token redaction): `path` is appended to
   * `base_url` as is (start it with `/`; encode segments; add `?query`
   * yourself). Returns the envelope's `data` (or the whole body when it has
   * none; `{}` for an empty one), unchecked. `extra_headers` replace headers
   * of the same name for this call, including `Authorization`; credential
   * headers are redacted from errors. A mutating call is repeated after a
   * timeout only when it has an idempotency key of yours
   * (`options.idempotency_key` or an `Idempotency-Key` header).
   *
   * @example
   * const account = await merchant.request<{ merchant_account: { status: string } }>('GET', '/sdrp/direct-payments/merchants/shop_alpha');
   */
  async request<T = unknown>(
    method: string,
    path: string,
    json_body?: unknown,
    extra_headers: Record<string, string> = {},
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<T> {
    return sendRaw<T>(this.#transport, { method, path, json_body, extra_headers, options });
  }
}
