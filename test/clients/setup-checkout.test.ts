import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DirectRequestPaymentMerchantClient } from '../../src/clients/merchant.js';
import { inspect } from 'node:util';
import { setupCheckoutProgress } from '../../src/clients/setup-checkout.js';
import { SiglumeApiError, SiglumeServerError, SiglumeValidationError } from '../../src/core/errors.js';
import { createSandbox, type SandboxHandle } from '../../src/sandbox/index.js';
import { DIRECT_REQUEST_PAYMENT_SDK_VERSION } from '../../src/version.js';
import { envelope, recordingFetch, type RecordedCall, type Reply } from './support/recording-fetch.js';

const BASE = 'https://api.siglume.test/v1';
const HOOK = 'https://shop.example/payments/webhooks/siglume';

beforeEach(() => {
  vi.stubEnv('SIGLUME_AUTH_TOKEN', '');
  vi.stubEnv('SIGLUME_MERCHANT_AUTH_TOKEN', '');
  vi.stubEnv('SIGLUME_API_BASE', '');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

interface ServerState {
  billing_currency?: string;
  challenge_secret?: string | null;
  signing_secret?: string | null;
  failMandate?: boolean;
  /** Leaves `merchant` out of the answer's merchant_account. */
  noAccountKey?: boolean;
  /** What GET /market/webhooks/subscriptions lists. */
  subscriptions?: unknown[];
  /** Answer of POST /market/webhooks/subscriptions, replacing the created subscription. */
  subscriptionReply?: Reply;
}

/** Answers like the API would, by route. */
function api(state: ServerState = {}) {
  return (call: RecordedCall): Reply => {
    const path = call.url.slice(BASE.length);
    if (path === '/sdrp/direct-payments/merchants') {
      return {
        body: envelope({
          merchant_account: {
            ...(state.noAccountKey ? {} : { merchant: 'shop_alpha' }),
            billing_currency: state.billing_currency ?? 'JPY',
          },
          challenge_secret: state.challenge_secret === undefined ? 'sdrp_cs_first' : state.challenge_secret,
          challenge_secret_created: Boolean(state.challenge_secret ?? true),
          created: true,
        }),
      };
    }
    if (path === '/sdrp/direct-payments/merchants/shop_alpha/billing-mandate') {
      if (state.failMandate) return { status: 500, body: { error: { code: 'MANDATE_FAILED', message: 'no' } } };
      return { body: envelope({ billing_mandate_id: 'bm_1', status: 'active' }) };
    }
    if (path === '/market/webhooks/subscriptions' && call.method === 'GET') {
      return { body: envelope(state.subscriptions ?? []) };
    }
    if (path === '/market/webhooks/subscriptions') {
      if (state.subscriptionReply) return state.subscriptionReply;
      return {
        body: envelope({
          id: 'whsub_1',
          callback_url: HOOK,
          status: 'active',
          ...(state.signing_secret === null ? {} : { signing_secret: state.signing_secret ?? 'whsec_new' }),
        }),
      };
    }
    return { status: 404, body: { error: { code: 'ROUTE_NOT_FOUND', message: path } } };
  };
}

function setup(state?: ServerState) {
  const rec = recordingFetch(api(state));
  const client = new DirectRequestPaymentMerchantClient({ auth_token: 'tok_m', base_url: BASE, fetch: rec.fetch, max_retries: 0 });
  return { client, calls: rec.calls };
}

const routes = (calls: RecordedCall[]) => calls.map((c) => `${c.method} ${c.url.slice(BASE.length)}`);

describe('DirectRequestPaymentMerchantClient.setupCheckout', () => {
  describe('when a webhook URL is given', () => {
    it('sets up the merchant, the billing mandate and the subscription, in that order', async () => {
      const { client, calls } = setup();
      const result = await client.setupCheckout({ merchant: 'Shop_Alpha', webhook_callback_url: HOOK, max_amount_minor: 30_000 });
      expect(routes(calls)).toEqual([
        'POST /sdrp/direct-payments/merchants',
        'POST /sdrp/direct-payments/merchants/shop_alpha/billing-mandate',
        'POST /market/webhooks/subscriptions',
        'GET /market/webhooks/subscriptions',
      ]);
      expect(calls[0]!.body).toEqual({
        merchant: 'shop_alpha',
        billing_plan: 'launch',
        billing_currency: 'JPY',
        webhook_callback_url: HOOK,
        max_amount_minor: 30_000,
      });
      expect(calls[1]!.body).toEqual({ billing_currency: 'JPY', max_amount_minor: 30_000 });
      expect(calls[2]!.body).toEqual({
        callback_url: HOOK,
        event_types: ['direct_payment.confirmed', 'direct_payment.spent'],
        description: 'shop_alpha Direct Request Payment',
        metadata: { merchant: 'shop_alpha', sdk: `@siglume/direct-request-payment/${DIRECT_REQUEST_PAYMENT_SDK_VERSION}` },
      });
      expect(result.billing_mandate).toEqual({ billing_mandate_id: 'bm_1', status: 'active' });
      expect(result.webhook_subscription).toMatchObject({ id: 'whsub_1', signing_secret: 'whsec_new' });
      expect(result.merchant.merchant_account.merchant).toBe('shop_alpha');
      expect(result.env).toEqual({
        SIGLUME_DIRECT_PAYMENT_MERCHANT: 'shop_alpha',
        SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET: 'sdrp_cs_first',
        SIGLUME_WEBHOOK_SECRET: 'whsec_new',
      });
      expect(result).not.toHaveProperty('notes');
    });

    it('uses webhook_description when given', async () => {
      const { client, calls } = setup();
      await client.setupCheckout({ merchant: 'shop_alpha', webhook_callback_url: HOOK, webhook_description: 'Alpha prod' });
      expect((calls[2]!.body as { description: string }).description).toBe('Alpha prod');
    });

    it('subscribes to webhook_event_types when given (the 0.4.20 option), never sending it to setupMerchant', async () => {
      const { client, calls } = setup();
      await client.setupCheckout({
        merchant: 'shop_alpha',
        webhook_callback_url: HOOK,
        webhook_event_types: ['direct_payment.confirmed', 'payment.failed', 'direct_payment.confirmed'],
      });
      expect(calls[0]!.body).not.toHaveProperty('webhook_event_types');
      expect((calls[2]!.body as { event_types: string[] }).event_types).toEqual(['direct_payment.confirmed', 'payment.failed']);
    });

    it('skips the subscription when create_webhook_subscription is false', async () => {
      const { client, calls } = setup();
      const result = await client.setupCheckout({ merchant: 'shop_alpha', webhook_callback_url: HOOK, create_webhook_subscription: false });
      expect(routes(calls)).toHaveLength(2);
      expect(result.webhook_subscription).toBeNull();
      expect(result.env).not.toHaveProperty('SIGLUME_WEBHOOK_SECRET');
    });

    it('gives each step its own idempotency key derived from the caller key', async () => {
      const { client, calls } = setup();
      await client.setupCheckout({ merchant: 'shop_alpha', webhook_callback_url: HOOK }, { idempotency_key: 'setup-1' });
      expect(calls.map((c) => c.headers['Idempotency-Key'])).toEqual([
        'setup-1-merchant',
        'setup-1-billing-mandate',
        'setup-1-webhook-subscription',
        undefined,
      ]);
    });
  });

  describe('when no webhook URL is given', () => {
    it('creates no subscription and leaves the webhook secret out of env', async () => {
      const { client, calls } = setup();
      const result = await client.setupCheckout({ merchant: 'shop_alpha' });
      expect(routes(calls)).toEqual([
        'POST /sdrp/direct-payments/merchants',
        'POST /sdrp/direct-payments/merchants/shop_alpha/billing-mandate',
      ]);
      expect(calls[1]!.body).toEqual({ billing_currency: 'JPY' });
      expect(result.webhook_subscription).toBeNull();
      expect(result.env).toEqual({
        SIGLUME_DIRECT_PAYMENT_MERCHANT: 'shop_alpha',
        SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET: 'sdrp_cs_first',
      });
    });

    it('rejects create_webhook_subscription: true before any request', async () => {
      const { client, calls } = setup();
      await expect(client.setupCheckout({ merchant: 'shop_alpha', create_webhook_subscription: true })).rejects.toThrow(
        /Invalid webhook_callback_url: is required when create_webhook_subscription is true/,
      );
      expect(calls).toHaveLength(0);
    });
  });

  describe('when prepare_billing_mandate is false', () => {
    it('skips the mandate and reports it as null', async () => {
      const { client, calls } = setup();
      const result = await client.setupCheckout({ merchant: 'shop_alpha', webhook_callback_url: HOOK, prepare_billing_mandate: false });
      expect(routes(calls)).toEqual([
        'POST /sdrp/direct-payments/merchants',
        'POST /market/webhooks/subscriptions',
        'GET /market/webhooks/subscriptions',
      ]);
      expect(result.billing_mandate).toBeNull();
    });
  });

  describe('when choosing the mandate currency and cap', () => {
    it("uses the account's billing currency over the input's", async () => {
      const { client, calls } = setup({ billing_currency: 'USD' });
      await client.setupCheckout({ merchant: 'shop_alpha', billing_currency: 'JPY' });
      expect(calls[1]!.body).toEqual({ billing_currency: 'USD' });
    });

    it("falls back to the input's billing currency when the account has none", async () => {
      const { client, calls } = setup({ billing_currency: '' });
      await client.setupCheckout({ merchant: 'shop_alpha', billing_currency: 'usd' });
      expect(calls[1]!.body).toEqual({ billing_currency: 'USD' });
    });

    it('caps with max_amount_minor before billing_mandate_cap_minor', async () => {
      const both = setup();
      await both.client.setupCheckout({ merchant: 'shop_alpha', max_amount_minor: 7_000, billing_mandate_cap_minor: 9_000 });
      expect(both.calls[1]!.body).toEqual({ billing_currency: 'JPY', max_amount_minor: 7_000 });
      const capOnly = setup();
      await capOnly.client.setupCheckout({ merchant: 'shop_alpha', billing_mandate_cap_minor: 9_000 });
      expect(capOnly.calls[1]!.body).toEqual({ billing_currency: 'JPY', max_amount_minor: 9_000 });
    });
  });

  describe('when the API answers with its own merchant key', () => {
    it('prepares the billing mandate, names the subscription and fills env for the key the API returned', async () => {
      // The fake API answers every setup with merchant "shop_alpha" and knows only that mandate route.
      const { client, calls } = setup();
      const result = await client.setupCheckout({ merchant: 'shop_beta', webhook_callback_url: HOOK });
      expect(routes(calls)).toEqual([
        'POST /sdrp/direct-payments/merchants',
        'POST /sdrp/direct-payments/merchants/shop_alpha/billing-mandate',
        'POST /market/webhooks/subscriptions',
        'GET /market/webhooks/subscriptions',
      ]);
      expect(result.billing_mandate).toEqual({ billing_mandate_id: 'bm_1', status: 'active' });
      expect(calls[2]!.body).toMatchObject({ description: 'shop_alpha Direct Request Payment', metadata: { merchant: 'shop_alpha' } });
      expect(result.env.SIGLUME_DIRECT_PAYMENT_MERCHANT).toBe('shop_alpha');
    });

    it('falls back to the key asked for when the answer carries none', async () => {
      const { client, calls } = setup({ noAccountKey: true });
      await client.setupCheckout({ merchant: 'Shop_Alpha' });
      expect(routes(calls)[1]).toBe('POST /sdrp/direct-payments/merchants/shop_alpha/billing-mandate');
    });
  });

  describe('when the merchant already existed', () => {
    it('leaves the challenge secret out of env (it is only shown at creation)', async () => {
      const { client } = setup({ challenge_secret: null });
      const result = await client.setupCheckout({ merchant: 'shop_alpha', webhook_callback_url: HOOK });
      expect(result.env).toEqual({ SIGLUME_DIRECT_PAYMENT_MERCHANT: 'shop_alpha', SIGLUME_WEBHOOK_SECRET: 'whsec_new' });
      expect(result.notes).toEqual([expect.stringContaining('rotateChallengeSecret("shop_alpha")')]);
      expect(result.notes![0]).toContain('env has no SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET');
    });
  });

  describe('when the input is invalid', () => {
    it.each([
      ['a bad webhook URL', { merchant: 'shop_alpha', webhook_callback_url: 'http://shop.example/hook' }, /webhook_callback_url/],
      ['a non-boolean step flag', { merchant: 'shop_alpha', prepare_billing_mandate: 'no' }, /Invalid prepare_billing_mandate: must be true or false/],
      ['an empty description', { merchant: 'shop_alpha', webhook_description: '' }, /Invalid webhook_description/],
      ['a float cap', { merchant: 'shop_alpha', billing_mandate_cap_minor: 0.5 }, /positive safe integer/],
      ['an empty webhook_event_types', { merchant: 'shop_alpha', webhook_event_types: [] }, /^Invalid webhook_event_types: must not be empty/],
      ['a webhook_event_types string', { merchant: 'shop_alpha', webhook_event_types: 'direct_payment.confirmed' }, /^Invalid webhook_event_types: must be an array of event types/],
      ['a camelCase spelling of an absent field', { merchant: 'shop_alpha', webhookCallbackUrl: HOOK }, /unknown field "webhookCallbackUrl" \(did you mean "webhook_callback_url"\?\)/],
    ])('rejects %s before any request', async (_t, input, message) => {
      const { client, calls } = setup();
      const error = await client.setupCheckout(input as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SiglumeValidationError);
      expect((error as Error).message).toMatch(message);
      expect(calls).toHaveLength(0);
    });
  });

  describe('when a step fails', () => {
    it("throws the step's own error, its message naming the step and what was done, and runs no later step", async () => {
      const { client, calls } = setup({ failMandate: true });
      const error = await client.setupCheckout({ merchant: 'shop_alpha', webhook_callback_url: HOOK }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SiglumeServerError);
      const apiError = error as SiglumeServerError;
      expect(apiError.status).toBe(500);
      expect(apiError.code).toBe('MANDATE_FAILED');
      expect(apiError.message).toMatch(/^setupCheckout failed at billing_mandate \(merchant done; save error\.env[^)]*\): no$/);
      expect(apiError.stack).toContain('setupCheckout failed at billing_mandate');
      expect(setupCheckoutProgress(error)).toEqual({
        step: 'billing_mandate',
        completed: { merchant: expect.objectContaining({ created: true }) },
        env: { SIGLUME_DIRECT_PAYMENT_MERCHANT: 'shop_alpha', SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET: 'sdrp_cs_first' },
      });
      expect(routes(calls)).toEqual([
        'POST /sdrp/direct-payments/merchants',
        'POST /sdrp/direct-payments/merchants/shop_alpha/billing-mandate',
      ]);
    });

    it('keeps the shown-once challenge secret on error.env, never in its message, JSON or inspect output', async () => {
      const { client } = setup({
        subscriptionReply: { status: 422, body: { error: { code: 'INVALID_CALLBACK_URL', message: 'callback_url is not reachable' } } },
      });
      const error = (await client
        .setupCheckout({ merchant: 'shop_alpha', webhook_callback_url: HOOK })
        .catch((e: unknown) => e)) as SiglumeApiError & { env?: Record<string, string>; setup_step?: string };
      expect(error).toBeInstanceOf(SiglumeApiError);
      expect(error.status).toBe(422);
      expect(error.code).toBe('INVALID_CALLBACK_URL');
      expect(error.message).toMatch(
        /^setupCheckout failed at webhook_subscription \(merchant and billing_mandate done; [^)]*\): callback_url is not reachable$/,
      );
      expect(error.setup_step).toBe('webhook_subscription');
      expect(error.env).toEqual({ SIGLUME_DIRECT_PAYMENT_MERCHANT: 'shop_alpha', SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET: 'sdrp_cs_first' });
      const progress = setupCheckoutProgress(error)!;
      expect(progress.completed.billing_mandate).toEqual({ billing_mandate_id: 'bm_1', status: 'active' });
      expect(progress.completed.merchant).not.toHaveProperty('challenge_secret');
      for (const shown of [error.message, error.stack, JSON.stringify(error), inspect(error, { depth: 10, showHidden: true })]) {
        expect(shown).not.toContain('sdrp_cs_first');
      }
      expect(Object.keys(error)).not.toContain('env');
      expect(Object.keys(error)).not.toContain('setup_step');
    });

    it('keeps the signing secret of a subscription answer that failed its shape check', async () => {
      const { client } = setup({
        subscriptionReply: {
          status: 201,
          body: envelope({ id: 'whsub_9', callback_url: HOOK, status: 'active', event_types: 'direct_payment.confirmed', signing_secret: 'whsec_drifted' }),
        },
      });
      const error = await client.setupCheckout({ merchant: 'shop_alpha', webhook_callback_url: HOOK }).catch((e: unknown) => e);
      expect(setupCheckoutProgress(error)?.step).toBe('webhook_subscription');
      expect((error as Error).message).toContain('may have been created (id "whsub_9")');
      expect(setupCheckoutProgress(error)?.env.SIGLUME_WEBHOOK_SECRET).toBe('whsec_drifted');
      expect(inspect(error, { depth: 10, showHidden: true })).not.toContain('whsec_drifted');
    });

    it('says nothing was done when the merchant step fails', async () => {
      const rec = recordingFetch(() => ({ status: 401, body: { error: { code: 'UNAUTHORIZED', message: 'bad token' } } }));
      const client = new DirectRequestPaymentMerchantClient({ auth_token: 'tok_m', base_url: BASE, fetch: rec.fetch, max_retries: 0 });
      const error = await client.setupCheckout({ merchant: 'shop_alpha' }).catch((e: unknown) => e);
      expect((error as SiglumeApiError).status).toBe(401);
      expect((error as Error).message).toBe('setupCheckout failed at merchant (nothing done): bad token');
      expect(setupCheckoutProgress(error)).toEqual({ step: 'merchant', completed: {}, env: { SIGLUME_DIRECT_PAYMENT_MERCHANT: 'shop_alpha' } });
    });

    it('throws a frozen error unchanged', async () => {
      const frozen = Object.freeze(new SiglumeApiError('frozen answer', { status: 500 }));
      const client = new DirectRequestPaymentMerchantClient({
        auth_token: 'tok_m',
        base_url: BASE,
        max_retries: 0,
        fetch: () => Promise.reject(frozen),
      });
      const error = await client.setupCheckout({ merchant: 'shop_alpha' }).catch((e: unknown) => e);
      expect(error).toBe(frozen);
      expect(frozen.message).toBe('frozen answer');
      expect(setupCheckoutProgress(error)).toBeNull();
    });

    it('reads no progress from an error setupCheckout did not throw', () => {
      expect(setupCheckoutProgress(new SiglumeApiError('x', { status: 500 }))).toBeNull();
      expect(setupCheckoutProgress('boom')).toBeNull();
      expect(setupCheckoutProgress(null)).toBeNull();
    });
  });

  describe('when the caller gives an idempotency key', () => {
    it('refuses one that would not fit the API limit with a step suffix, before any request', async () => {
      const { client, calls } = setup();
      const error = await client
        .setupCheckout({ merchant: 'shop_alpha', webhook_callback_url: HOOK }, { idempotency_key: 'k'.repeat(240) })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SiglumeValidationError);
      expect((error as SiglumeValidationError).field).toBe('options.idempotency_key');
      expect((error as Error).message).toMatch(/^Invalid options\.idempotency_key: setupCheckout must be given at most 234 characters/);
      expect(calls).toHaveLength(0);
    });

    it('names the same limit for a key over the API limit itself', async () => {
      const { client, calls } = setup();
      const error = await client.setupCheckout({ merchant: 'shop_alpha' }, { idempotency_key: 'k'.repeat(300) }).catch((e: unknown) => e);
      expect((error as Error).message).toContain('at most 234 characters');
      expect(calls).toHaveLength(0);
    });

    it('accepts 234 characters, whose longest step key is 255', async () => {
      const { client, calls } = setup();
      await client.setupCheckout({ merchant: 'shop_alpha', webhook_callback_url: HOOK }, { idempotency_key: 'k'.repeat(234) });
      expect(calls.at(-2)!.headers['Idempotency-Key']).toHaveLength(255);
    });
  });

  describe('when an active subscription to the same URL already exists', () => {
    const existing = { id: 'whsub_old', callback_url: HOOK, status: 'active', signing_secret_hint: 'b1x9' };

    it('still creates one, so env has its secret, and notes that events now arrive twice', async () => {
      const { client, calls } = setup({
        subscriptions: [{ ...existing, event_types: ['direct_payment.spent', 'direct_payment.confirmed'] }],
      });
      const result = await client.setupCheckout({ merchant: 'shop_alpha', webhook_callback_url: HOOK });
      expect(routes(calls).slice(-2)).toEqual(['POST /market/webhooks/subscriptions', 'GET /market/webhooks/subscriptions']);
      expect(result.webhook_subscription).toMatchObject({ id: 'whsub_1' });
      expect(result.env.SIGLUME_WEBHOOK_SECRET).toBe('whsec_new');
      expect(result.notes).toEqual([expect.stringMatching(/^Subscription whsub_old already delivers to this URL .* arrive twice/)]);
      expect(result.notes![0]).toContain('Delete the old one in Siglume');
    });

    it('notes nothing for one that is not active or gets none of these event types', async () => {
      const { client } = setup({
        subscriptions: [
          { ...existing, status: 'disabled', event_types: ['direct_payment.confirmed'] },
          { ...existing, id: 'whsub_other', event_types: ['payment.failed'] },
        ],
      });
      const result = await client.setupCheckout({ merchant: 'shop_alpha', webhook_callback_url: HOOK });
      expect(result.env.SIGLUME_WEBHOOK_SECRET).toBe('whsec_new');
      expect(result).not.toHaveProperty('notes');
    });

    it('subscribes without a note when the list fails', async () => {
      const rec = recordingFetch((call) =>
        call.method === 'GET' ? { status: 403, body: { error: { code: 'FORBIDDEN', message: 'no' } } } : api()(call),
      );
      const client = new DirectRequestPaymentMerchantClient({ auth_token: 'tok_m', base_url: BASE, fetch: rec.fetch, max_retries: 0 });
      const result = await client.setupCheckout({ merchant: 'shop_alpha', webhook_callback_url: HOOK });
      expect(routes(rec.calls).slice(-2)).toEqual(['POST /market/webhooks/subscriptions', 'GET /market/webhooks/subscriptions']);
      expect(result.env.SIGLUME_WEBHOOK_SECRET).toBe('whsec_new');
      expect(result).not.toHaveProperty('notes');
    });
  });
});

describe('DirectRequestPaymentMerchantClient.setupCheckout against the sandbox', () => {
  let sandbox: SandboxHandle;
  let client: DirectRequestPaymentMerchantClient;

  beforeEach(async () => {
    sandbox = await createSandbox({ quiet: true });
    client = new DirectRequestPaymentMerchantClient({
      auth_token: sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN,
      base_url: sandbox.api_base,
      max_retries: 0,
      fetch: (url: string, init: RequestInit) => sandbox.fetch(new Request(url, init)),
    });
  });
  afterEach(async () => {
    await sandbox.close();
  });

  const hook = () => `${sandbox.env.SHOP_PUBLIC_ORIGIN}/payments/webhooks/siglume`;

  describe('when webhook_event_types is given (the 0.4.20 option)', () => {
    it('creates the subscription with those event types', async () => {
      const result = await client.setupCheckout({
        merchant: 'compat_shop',
        webhook_callback_url: hook(),
        webhook_event_types: ['direct_payment.confirmed', 'subscription.created'],
      });
      const recorded = sandbox.listWebhookSubscriptions().find((s) => s.id === result.webhook_subscription?.id);
      expect(recorded?.event_types).toEqual(['direct_payment.confirmed', 'subscription.created']);
      expect(sandbox.getMerchant('compat_shop')).not.toBeNull();
    });

    it('refuses an invalid entry before any request, naming webhook_event_types', async () => {
      const before = sandbox.listWebhookSubscriptions().length;
      const error = await client
        .setupCheckout({ merchant: 'compat_shop', webhook_callback_url: hook(), webhook_event_types: ['direct_payment.confirmed', 'Not An Event'] })
        .catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SiglumeValidationError);
      expect((error as SiglumeValidationError).field).toBe('webhook_event_types[1]');
      expect((error as Error).message).toMatch(/^Invalid webhook_event_types\[1\]: must be an event type/);
      expect(sandbox.getMerchant('compat_shop')).toBeNull();
      expect(sandbox.listWebhookSubscriptions()).toHaveLength(before);
    });
  });

  describe('when webhook_event_types is absent', () => {
    it('creates the subscription with the default event types', async () => {
      const result = await client.setupCheckout({ merchant: 'compat_shop', webhook_callback_url: hook() });
      const recorded = sandbox.listWebhookSubscriptions().find((s) => s.id === result.webhook_subscription?.id);
      expect(recorded?.event_types).toEqual(['direct_payment.confirmed', 'direct_payment.spent']);
    });
  });

  describe('when run a second time for the same merchant and URL', () => {
    it('subscribes again, returning the new secret, and notes the first subscription', async () => {
      // Not hook(): the sandbox starts with a subscription to that URL.
      const url = `${sandbox.env.SHOP_PUBLIC_ORIGIN}/rerun/webhooks`;
      const input = { merchant: 'rerun_shop', webhook_callback_url: url, checkout_allowed_origins: [sandbox.env.SHOP_PUBLIC_ORIGIN] };
      const first = await client.setupCheckout(input);
      const second = await client.setupCheckout(input);
      expect(sandbox.listWebhookSubscriptions().filter((s) => s.callback_url === url)).toHaveLength(2);
      expect(first).not.toHaveProperty('notes');
      expect(second.env.SIGLUME_WEBHOOK_SECRET).toMatch(/^whsec_/);
      expect(second.env.SIGLUME_WEBHOOK_SECRET).not.toBe(first.env.SIGLUME_WEBHOOK_SECRET);
      expect(second.notes).toEqual([
        expect.stringContaining('rotateChallengeSecret("rerun_shop")'),
        expect.stringContaining(`Subscription ${first.webhook_subscription?.id} already delivers to this URL`),
      ]);
    });
  });
});
