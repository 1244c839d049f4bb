import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { inspect } from 'node:util';
import { DirectRequestPaymentMerchantClient } from '../../src/clients/merchant.js';
import { SiglumeInvalidResponseError, SiglumeServerError, SiglumeValidationError } from '../../src/core/errors.js';
import type { DirectRequestPaymentRequestOptions as RequestOptions } from '../../src/clients/schemas/client-options.js';
import { DIRECT_REQUEST_PAYMENT_SDK_VERSION } from '../../src/version.js';
import { envelope, recordingFetch, type RecordedCall, type Reply } from './support/recording-fetch.js';

const TOKEN = 'tok_merchant_secret_1234567890';
const BASE = 'https://api.siglume.test/v1';
const UA = `@siglume/direct-request-payment/${DIRECT_REQUEST_PAYMENT_SDK_VERSION}`;

function clientWith(replies: Reply[] | ((call: RecordedCall, index: number) => Reply), base = BASE) {
  const rec = recordingFetch(replies);
  const client = new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, base_url: base, fetch: rec.fetch, max_retries: 0 });
  return { client, calls: rec.calls };
}

const ACCOUNT = { merchant: 'shop_alpha', billing_currency: 'JPY', status: 'active' };
const SESSION = { checkout_url: 'https://siglume.test/checkout/cs_1', session_id: 'cs_1', challenge_hash: 'sha256:abc', status: 'open' };
const SUBSCRIPTION = {
  id: 'whsub_1',
  callback_url: 'https://shop.example/payments/webhooks/siglume',
  status: 'active',
  event_types: ['direct_payment.confirmed', 'direct_payment.spent'],
  signing_secret: 'whsec_created_once',
};

beforeEach(() => {
  vi.stubEnv('SIGLUME_AUTH_TOKEN', '');
  vi.stubEnv('SIGLUME_MERCHANT_AUTH_TOKEN', '');
  vi.stubEnv('SIGLUME_API_BASE', '');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

interface MethodCase {
  name: string;
  call: (c: DirectRequestPaymentMerchantClient, o?: RequestOptions) => Promise<unknown>;
  method: 'GET' | 'POST';
  url: string;
  body?: unknown;
  data: unknown;
  expected?: unknown;
}

const METHOD_CASES: MethodCase[] = [
  {
    name: 'setupMerchant',
    call: (c, o) =>
      c.setupMerchant(
        {
        merchant: 'Shop_Alpha',
        display_name: 'Shop Alpha',
        allowed_currencies: ['jpy', 'USD'],
        webhook_callback_url: 'https://shop.example/payments/webhooks/siglume',
        billing_mandate_cap_minor: 50_000,
        max_amount_minor: 20_000,
        checkout_allowed_origins: ['https://Shop.Example', 'https://shop.example/', 'http://localhost:3000'],
        },
        o,
      ),
    method: 'POST',
    url: `${BASE}/sdrp/direct-payments/merchants`,
    body: {
      merchant: 'shop_alpha',
      billing_plan: 'launch',
      billing_currency: 'JPY',
      display_name: 'Shop Alpha',
      allowed_currencies: { JPY: 'JPYC', USD: 'USDC' },
      webhook_callback_url: 'https://shop.example/payments/webhooks/siglume',
      billing_mandate_cap_minor: 50_000,
      max_amount_minor: 20_000,
      checkout_allowed_origins: ['https://shop.example', 'http://localhost:3000'],
    },
    data: { merchant_account: ACCOUNT, challenge_secret: 'sdrp_cs_1', challenge_secret_created: true, created: true },
  },
  {
    name: 'getMerchant',
    call: (c, o) => c.getMerchant('SHOP_ALPHA', o),
    method: 'GET',
    url: `${BASE}/sdrp/direct-payments/merchants/shop_alpha`,
    data: { merchant_account: ACCOUNT },
  },
  {
    name: 'rotateChallengeSecret',
    call: (c, o) => c.rotateChallengeSecret('shop_alpha', o),
    method: 'POST',
    url: `${BASE}/sdrp/direct-payments/merchants/shop_alpha/challenge-secret/rotate`,
    data: { challenge_secret: 'sdrp_cs_2', merchant_account: ACCOUNT },
  },
  {
    name: 'prepareBillingMandate',
    call: (c, o) => c.prepareBillingMandate('shop_alpha', { currency: 'usd', max_amount_minor: 9_000 }, o),
    method: 'POST',
    url: `${BASE}/sdrp/direct-payments/merchants/shop_alpha/billing-mandate`,
    body: { currency: 'USD', max_amount_minor: 9_000 },
    data: { billing_mandate_id: 'bm_1', status: 'active' },
  },
  {
    name: 'createCheckoutSession',
    call: (c, o) =>
      c.createCheckoutSession(
        {
        merchant: 'shop_alpha',
        amount_minor: 4200,
        currency: 'jpy',
        nonce: 'order-77-attempt-1',
        success_url: 'https://shop.example/checkout/siglume/success',
        cancel_url: 'https://shop.example/checkout/siglume/cancel',
        metadata: { order_id: 'o-77', lines: [{ sku: 'A', qty: 2 }] },
        },
        o,
      ),
    method: 'POST',
    url: `${BASE}/sdrp/direct-payments/checkout-sessions`,
    body: {
      merchant: 'shop_alpha',
      amount_minor: 4200,
      currency: 'JPY',
      nonce: 'order-77-attempt-1',
      success_url: 'https://shop.example/checkout/siglume/success',
      cancel_url: 'https://shop.example/checkout/siglume/cancel',
      metadata: { order_id: 'o-77', lines: [{ sku: 'A', qty: 2 }] },
    },
    data: SESSION,
  },
  {
    name: 'getCheckoutSession',
    call: (c, o) => c.getCheckoutSession('cs/1?x=#y', o),
    method: 'GET',
    url: `${BASE}/sdrp/direct-payments/checkout-sessions/cs%2F1%3Fx%3D%23y`,
    data: { ...SESSION, status: 'paid', protocol_fee_minor: 76, amount_minor: 4200 },
    expected: { ...SESSION, status: 'paid', protocol_fee_minor: '76', amount_minor: 4200 },
  },
  {
    name: 'createWebhookSubscription',
    call: (c, o) => c.createWebhookSubscription({ callback_url: 'https://shop.example/payments/webhooks/siglume' }, o),
    method: 'POST',
    url: `${BASE}/market/webhooks/subscriptions`,
    body: {
      callback_url: 'https://shop.example/payments/webhooks/siglume',
      event_types: ['direct_payment.confirmed', 'direct_payment.spent'],
    },
    data: SUBSCRIPTION,
  },
  {
    name: 'listWebhookSubscriptions',
    call: (c, o) => c.listWebhookSubscriptions(o),
    method: 'GET',
    url: `${BASE}/market/webhooks/subscriptions`,
    data: [{ webhook_subscription_id: 'whsub_9', status: 'active', signing_secret_hint: 'abcd' }],
    expected: [{ id: 'whsub_9', webhook_subscription_id: 'whsub_9', status: 'active', signing_secret_hint: 'abcd' }],
  },
  {
    name: 'queueWebhookTestDelivery',
    call: (c, o) =>
      c.queueWebhookTestDelivery(
        { event_type: 'direct_payment.confirmed', data: { mode: 'readiness_probe' }, subscription_ids: ['whsub_1'] },
        o,
      ),
    method: 'POST',
    url: `${BASE}/market/webhooks/test-deliveries`,
    body: { event_type: 'direct_payment.confirmed', data: { mode: 'readiness_probe' }, subscription_ids: ['whsub_1'] },
    data: { event: { id: 'evt_test_1', type: 'direct_payment.confirmed' }, deliveries: [] },
  },
  {
    name: 'listWebhookDeliveries',
    call: (c, o) =>
      c.listWebhookDeliveries(
        { limit: 5, status: 'delivered', event_type: 'direct_payment.confirmed', subscription_id: 'whsub_1' },
        o,
      ),
    method: 'GET',
    url: `${BASE}/market/webhooks/deliveries?subscription_id=whsub_1&event_type=direct_payment.confirmed&status=delivered&limit=5`,
    data: [{ id: 'd1', event_id: 'evt_test_1', delivery_status: 'delivered', response_status: 204 }],
  },
];

describe('DirectRequestPaymentMerchantClient', () => {
  describe.each(METHOD_CASES)('$name', (tc) => {
    it(`sends ${tc.method} to the contract path with the expected body and headers`, async () => {
      const { client, calls } = clientWith([{ body: envelope(tc.data) }]);
      const result = await tc.call(client);
      expect(calls).toHaveLength(1);
      const [call] = calls;
      expect(call!.method).toBe(tc.method);
      expect(call!.url).toBe(tc.url);
      expect(call!.body).toEqual(tc.body);
      expect(call!.headers.Authorization).toBe(`Bearer ${TOKEN}`);
      expect(call!.headers.Accept).toBe('application/json');
      expect(call!.headers['User-Agent']).toBe(UA);
      expect(call!.headers['Content-Type']).toBe(tc.body === undefined ? undefined : 'application/json');
      if (tc.method === 'POST') expect(call!.headers['Idempotency-Key']).toMatch(/\S+/);
      else expect(call!.headers['Idempotency-Key']).toBeUndefined();
      expect(result).toEqual(tc.expected ?? tc.data);
    });

    it('passes request options through to the transport', async () => {
      const { client, calls } = clientWith([{ body: envelope(tc.data) }]);
      await tc.call(client, { idempotency_key: 'idem-fixed-1', timeout_ms: 5000 });
      expect(calls).toHaveLength(1);
      if (tc.method === 'POST') expect(calls[0]!.headers['Idempotency-Key']).toBe('idem-fixed-1');
    });

    it('rejects invalid request options before any request', async () => {
      const { client, calls } = clientWith([{ body: envelope(tc.data) }]);
      await expect(tc.call(client, { max_retries: -1 })).rejects.toThrow(/Invalid options\.max_retries/);
      await expect(tc.call(client, { idempotency_key: 'has space' })).rejects.toThrow(/Invalid options\.idempotency_key/);
      await expect(tc.call(client, { retries: 1 } as RequestOptions)).rejects.toThrow(/unknown option "retries"/);
      await expect(tc.call(client, { retries: 1 } as RequestOptions)).rejects.toMatchObject({ field: 'options.retries' });
      expect(calls).toHaveLength(0);
    });

    it('stops when the caller aborts', async () => {
      const { client, calls } = clientWith([{ body: envelope(tc.data) }]);
      const controller = new AbortController();
      controller.abort();
      await expect(tc.call(client, { signal: controller.signal })).rejects.toMatchObject({ code: 'REQUEST_ABORTED' });
      expect(calls).toHaveLength(0);
    });
  });

  describe('when the API answers without an envelope', () => {
    it('returns a body without data as is', async () => {
      const { client } = clientWith([{ body: SESSION }]);
      await expect(client.getCheckoutSession('cs_1')).resolves.toEqual(SESSION);
    });

    it('returns {} for an empty body', async () => {
      const { client } = clientWith([{ status: 200, body: '' }]);
      await expect(client.prepareBillingMandate('shop_alpha')).resolves.toEqual({});
    });
  });

  describe('when a response lacks a field the SDK relies on', () => {
    const cases: Array<[string, (c: DirectRequestPaymentMerchantClient) => Promise<unknown>, unknown, string]> = [
      ['createCheckoutSession without checkout_url', (c) => c.createCheckoutSession(validSession()), { session_id: 's', challenge_hash: 'h' }, 'checkout_url'],
      ['createCheckoutSession with an empty session_id', (c) => c.createCheckoutSession(validSession()), { checkout_url: 'https://x', session_id: '', challenge_hash: 'h' }, 'session_id'],
      ['getCheckoutSession without status', (c) => c.getCheckoutSession('cs_1'), { session_id: 'cs_1' }, 'status'],
      ['getMerchant without merchant_account', (c) => c.getMerchant('shop_alpha'), { merchant: 'shop_alpha' }, 'merchant_account'],
      ['rotateChallengeSecret without challenge_secret', (c) => c.rotateChallengeSecret('shop_alpha'), { merchant_account: ACCOUNT }, 'challenge_secret'],
      ['queueWebhookTestDelivery without event.id', (c) => c.queueWebhookTestDelivery({ event_type: 'direct_payment.confirmed' }), { event: { type: 'x' } }, 'event.id'],
      ['createWebhookSubscription without any id', (c) => c.createWebhookSubscription({ callback_url: 'https://shop.example/h' }), { callback_url: 'https://shop.example/h' }, 'id'],
      ['listWebhookSubscriptions that is not a list', (c) => c.listWebhookSubscriptions(), { subscriptions: [] }, '(body)'],
    ];
    it.each(cases)('throws SiglumeInvalidResponseError for %s', async (_title, call, data, field) => {
      const { client } = clientWith([{ body: envelope(data) }]);
      const error = await call(client).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SiglumeInvalidResponseError);
      expect((error as SiglumeInvalidResponseError).code).toBe('INVALID_RESPONSE_SHAPE');
      expect((error as Error).message).toContain(field);
    });
  });

  describe('when a create route answers with success but an unusable shape', () => {
    const drifted = { id: 'wh_1', callback_url: 'https://s.example/wh', status: 'active', event_types: 'direct_payment.confirmed', signing_secret: 'whsec_SHOWNONCE123' };

    it('says the object may have been created, with its id, and what the field should have been', async () => {
      const { client } = clientWith([{ status: 201, body: envelope(drifted) }]);
      const error = (await client.createWebhookSubscription({ callback_url: 'https://s.example/wh' }).catch((e: unknown) => e)) as SiglumeInvalidResponseError;
      expect(error).toBeInstanceOf(SiglumeInvalidResponseError);
      expect(error.message).toContain('POST /market/webhooks/subscriptions: event_types must be an array, not a string.');
      expect(error.message).toContain('It answered HTTP 201, so the request may have been carried out and the object may have been created (id "wh_1")');
      expect(error.message).not.toContain('Invalid input');
    });

    it('keeps the shown-once secret on response_secrets only, never in message, data, JSON or inspect output', async () => {
      const { client } = clientWith([{ status: 201, body: envelope(drifted) }]);
      const error = (await client.createWebhookSubscription({ callback_url: 'https://s.example/wh' }).catch((e: unknown) => e)) as SiglumeInvalidResponseError;
      expect(error.response_secrets).toEqual({ signing_secret: 'whsec_SHOWNONCE123' });
      expect(error.message).toContain('signing_secret is kept on error.response_secrets');
      for (const shown of [error.message, JSON.stringify(error), JSON.stringify(error.data), inspect(error, { depth: 10, showHidden: true })]) {
        expect(shown).not.toContain('SHOWNONCE');
      }
    });

    it('claims nothing was created for a read', async () => {
      const { client } = clientWith([{ body: envelope([{ ...drifted, signing_secret: undefined }]) }]);
      const error = (await client.listWebhookSubscriptions().catch((e: unknown) => e)) as SiglumeInvalidResponseError;
      expect(error.message).toContain('GET /market/webhooks/subscriptions: 0.event_types must be an array, not a string.');
      expect(error.message).not.toContain('may have been created');
      expect(error.response_secrets).toEqual({});
    });
  });

  describe('when listing subscriptions', () => {
    it('unwraps { items } and fills id from subscription_id', async () => {
      const { client } = clientWith([{ body: envelope({ items: [{ subscription_id: 'sub_3', callback_url: 'https://a.example/h' }] }) }]);
      const subs = await client.listWebhookSubscriptions();
      expect(subs).toEqual([{ id: 'sub_3', subscription_id: 'sub_3', callback_url: 'https://a.example/h' }]);
    });

    it('keeps unknown fields of each subscription, readable by name (typecheck: the type keeps its index signature)', async () => {
      const { client } = clientWith([{ body: envelope([{ id: 'a', future_field: { x: 1 } }]) }]);
      const subs = await client.listWebhookSubscriptions();
      expect(subs).toEqual([{ id: 'a', future_field: { x: 1 } }]);
      const future: unknown = subs[0]!.future_field;
      expect(future).toEqual({ x: 1 });
    });
  });

  describe('when listing deliveries without filters', () => {
    it('sends no query string and unwraps { items }', async () => {
      const { client, calls } = clientWith([{ body: envelope({ items: [{ id: 'd1' }] }) }]);
      await expect(client.listWebhookDeliveries()).resolves.toEqual([{ id: 'd1' }]);
      expect(calls[0]!.url).toBe(`${BASE}/market/webhooks/deliveries`);
    });
  });

  describe('when the allowed currencies are a map', () => {
    it('sends the validated map with upper-case keys and tokens', async () => {
      const { client, calls } = clientWith([{ body: envelope({ merchant_account: ACCOUNT }) }]);
      await client.setupMerchant({ merchant: 'shop_alpha', allowed_currencies: { usd: 'usdc' } });
      expect((calls[0]!.body as Record<string, unknown>).allowed_currencies).toEqual({ USD: 'USDC' });
    });
  });

  describe('when the base URL is the local sandbox', () => {
    const SANDBOX = 'http://127.0.0.1:8787/v1';

    it('accepts an http loopback webhook URL for setupMerchant and createWebhookSubscription', async () => {
      const { client, calls } = clientWith(
        [{ body: envelope({ merchant_account: ACCOUNT }) }, { body: envelope(SUBSCRIPTION) }],
        SANDBOX,
      );
      await client.setupMerchant({ merchant: 'shop_alpha', webhook_callback_url: 'http://localhost:3000/payments/webhooks/siglume' });
      await client.createWebhookSubscription({ callback_url: 'http://127.0.0.1:3000/hook' });
      expect(calls.map((c) => c.url)).toEqual([
        `${SANDBOX}/sdrp/direct-payments/merchants`,
        `${SANDBOX}/market/webhooks/subscriptions`,
      ]);
    });

    it('still rejects an http webhook URL on a public host', async () => {
      const { client, calls } = clientWith([], SANDBOX);
      await expect(client.createWebhookSubscription({ callback_url: 'http://shop.example/hook' })).rejects.toThrow(
        /Invalid callback_url: must use https/,
      );
      expect(calls).toHaveLength(0);
    });
  });

  describe('when the base URL is public', () => {
    it('rejects an http loopback webhook URL', async () => {
      const { client, calls } = clientWith([]);
      await expect(client.createWebhookSubscription({ callback_url: 'http://localhost:3000/hook' })).rejects.toThrow(
        /Invalid callback_url: must be an absolute https URL/,
      );
      await expect(
        client.setupMerchant({ merchant: 'shop_alpha', webhook_callback_url: 'http://127.0.0.1/hook' }),
      ).rejects.toThrow(/Invalid webhook_callback_url/);
      expect(calls).toHaveLength(0);
    });

    it('accepts http loopback success and cancel URLs (shops develop on localhost)', async () => {
      const { client, calls } = clientWith([{ body: envelope(SESSION) }]);
      await client.createCheckoutSession({
        ...validSession(),
        success_url: 'http://localhost:3000/checkout/siglume/success',
        cancel_url: 'http://[::1]:3000/checkout/siglume/cancel',
      });
      expect(calls).toHaveLength(1);
    });
  });

  describe('when the input is invalid', () => {
    const session = (over: Record<string, unknown>) => (c: DirectRequestPaymentMerchantClient) =>
      c.createCheckoutSession({ ...validSession(), ...over } as never);
    const setup = (over: Record<string, unknown>) => (c: DirectRequestPaymentMerchantClient) =>
      c.setupMerchant({ merchant: 'shop_alpha', ...over } as never);
    class OrderRef {
      constructor(readonly id: string) {}
    }
    const cases: Array<[string, (c: DirectRequestPaymentMerchantClient) => Promise<unknown>, RegExp]> = [
      ['a float amount', session({ amount_minor: 42.5 }), /Invalid amount_minor: .*positive safe integer/],
      ['a string amount', session({ amount_minor: '4200' }), /Invalid amount_minor: .*positive safe integer/],
      ['a boolean amount', session({ amount_minor: true }), /Invalid amount_minor: .*positive safe integer/],
      ['a zero amount', session({ amount_minor: 0 }), /Invalid amount_minor: .*positive safe integer/],
      ['an unsafe integer amount', session({ amount_minor: 2 ** 53 }), /Invalid amount_minor: .*positive safe integer/],
      ['a missing amount', session({ amount_minor: undefined }), /Invalid amount_minor: is required/],
      ['a missing nonce', session({ nonce: undefined }), /Invalid nonce: is required/],
      ['currency EUR', session({ currency: 'EUR' }), /Invalid currency: must be "JPY" or "USD"/],
      ['a nonce with ":"', session({ nonce: 'order:1' }), /Invalid nonce: must not contain ":"/],
      ['an empty nonce', session({ nonce: '' }), /Invalid nonce: must not be empty/],
      ['a merchant key with a dot', session({ merchant: 'shop.alpha' }), /Invalid merchant: must be 3-64 characters/],
      ['a two-letter merchant key', session({ merchant: 'ab' }), /Invalid merchant: must be 3-64 characters/],
      ['a merchant key with a slash', session({ merchant: 'shop/../x' }), /Invalid merchant/],
      ['a blank success URL', session({ success_url: '  ' }), /Invalid success_url: is required/],
      ['a missing cancel URL', session({ cancel_url: undefined }), /Invalid cancel_url: is required/],
      ['a cancel URL carrying CR/LF', session({ cancel_url: 'https://shop.example/c\r\nSet-Cookie: x=1' }), /Invalid cancel_url: must not contain control characters/],
      ['metadata with a function', session({ metadata: { cb: () => 1 } }), /Invalid metadata: must be JSON-serializable \(the value at "cb"/],
      ['metadata with a class instance', session({ metadata: { ref: new OrderRef('o') } }), /Invalid metadata: must be JSON-serializable \(the value at "ref"/],
      ['metadata that is an array', session({ metadata: ['a'] }), /Invalid metadata: must be a plain JSON object/],
      ['a misspelt field standing for an absent one', session({ amountMinor: 4200, amount_minor: undefined }), /Invalid input: unknown field "amountMinor" \(did you mean "amount_minor"\?\)/],
      ['a missing input', (c) => c.createCheckoutSession(undefined as never), /Invalid input: must be an object/],
      ['an http webhook URL against a public base', setup({ webhook_callback_url: 'http://shop.example/hook' }), /Invalid webhook_callback_url: must be an absolute https URL/],
      ['a webhook URL with userinfo', setup({ webhook_callback_url: 'https://a:b@shop.example/hook' }), /Invalid webhook_callback_url: must not contain a username or password/],
      ['an origin with a path', setup({ checkout_allowed_origins: ['https://shop.example/shop'] }), /Invalid checkout_allowed_origins\[0\]: must be an origin only/],
      ['an http public origin', setup({ checkout_allowed_origins: ['https://ok.example', 'http://shop.example'] }), /Invalid checkout_allowed_origins\[1\]: must use https/],
      ['an origin with userinfo', setup({ checkout_allowed_origins: ['https://u@shop.example'] }), /Invalid checkout_allowed_origins\[0\]: must not contain a username/],
      ['an unknown billing plan', setup({ billing_plan: 'enterprise' }), /Invalid billing_plan: must be one of launch, free, starter, growth, pro/],
      ['billing currency EUR', setup({ billing_currency: 'EUR' }), /Invalid billing_currency/],
      ['allowed currency EUR', setup({ allowed_currencies: ['JPY', 'EUR'] }), /Invalid allowed_currencies\[1\]: must be "JPY" or "USD"/],
      ['a mismatched token map', setup({ allowed_currencies: { JPY: 'USDC' } }), /Invalid allowed_currencies\.JPY: must be "JPYC"/],
      ['an unknown currency in the map', setup({ allowed_currencies: { EUR: 'EURC' } }), /Invalid allowed_currencies\.EUR/],
      ['an empty allowed currency list', setup({ allowed_currencies: [] }), /Invalid allowed_currencies: must not be empty/],
      ['a string allowed currency', setup({ allowed_currencies: 'JPY' }), /Invalid allowed_currencies: must be an array of currencies/],
      ['a float mandate cap', setup({ billing_mandate_cap_minor: 1.5 }), /Invalid billing_mandate_cap_minor: .*positive safe integer/],
      ['a string max amount', setup({ max_amount_minor: '100' }), /Invalid max_amount_minor: .*positive safe integer/],
      ['an empty display name', setup({ display_name: '  ' }), /Invalid display_name: must not be empty/],
      ['a bad merchant key for getMerchant', (c) => c.getMerchant('Shop Alpha'), /Invalid merchant: must be 3-64/],
      ['a non-string merchant for rotateChallengeSecret', (c) => c.rotateChallengeSecret(42 as never), /Invalid merchant: must be a string/],
      ['a string cap for prepareBillingMandate', (c) => c.prepareBillingMandate('shop_alpha', { max_amount_minor: '5' as never }), /Invalid max_amount_minor: .*positive safe integer/],
      ['currency EUR for prepareBillingMandate', (c) => c.prepareBillingMandate('shop_alpha', { billing_currency: 'EUR' }), /Invalid billing_currency/],
      ['an empty session id', (c) => c.getCheckoutSession(''), /Invalid session_id: must not be empty/],
      // Percent-encoding keeps dot segments as they are; the URL parser would resolve them to the collection route.
      ['a ".." session id', (c) => c.getCheckoutSession('..'), /Invalid session_id: must not be "\." or "\.\."/],
      ['a "." session id', (c) => c.getCheckoutSession('.'), /Invalid session_id: must not be "\." or "\.\."/],
      ['an http callback URL', (c) => c.createWebhookSubscription({ callback_url: 'http://shop.example/h' }), /Invalid callback_url/],
      ['an empty event type list', (c) => c.createWebhookSubscription({ callback_url: 'https://shop.example/h', event_types: [] }), /Invalid event_types: must not be empty/],
      ['a malformed event type', (c) => c.createWebhookSubscription({ callback_url: 'https://shop.example/h', event_types: ['Direct Payment'] }), /Invalid event_types\[0\]/],
      ['a test delivery without event_type', (c) => c.queueWebhookTestDelivery({} as never), /Invalid event_type: is required/],
      ['test delivery data with a function', (c) => c.queueWebhookTestDelivery({ event_type: 'direct_payment.confirmed', data: { f: () => 0 } }), /Invalid data: must be JSON-serializable/],
      ['an empty subscription id list', (c) => c.queueWebhookTestDelivery({ event_type: 'direct_payment.confirmed', subscription_ids: [] }), /Invalid subscription_ids: must not be empty/],
      ['a float delivery limit', (c) => c.listWebhookDeliveries({ limit: 2.5 }), /Invalid limit: .*positive safe integer/],
      ['a zero delivery limit', (c) => c.listWebhookDeliveries({ limit: 0 }), /Invalid limit: .*positive safe integer/],
    ];

    it.each(cases)('rejects %s before any request, naming the field', async (_title, call, message) => {
      const { client, calls } = clientWith([]);
      const error = await call(client).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SiglumeValidationError);
      expect((error as Error).message).toMatch(message);
      expect(calls).toHaveLength(0);
    });

    it('takes what 0.4.20 took: any non-empty return URL (the API judges it), unknown keys dropped, metadata as a JSON round trip', async () => {
      const { client, calls } = clientWith(() => ({ body: envelope(SESSION) }));
      await client.createCheckoutSession({
        ...validSession(),
        success_url: ' http://shop.example/ok ',
        cancel_url: '/checkout/cancel',
        order_id: 'o-1',
        metadata: { order_id: 'o-1', coupon: undefined, placed_at: new Date(0) },
      } as never);
      await client.queueWebhookTestDelivery({ event_type: 'direct_payment.confirmed', data: { at: new Date(0), gone: undefined } }).catch(() => undefined);
      const body = calls[0]!.body as Record<string, unknown>;
      expect(body).toMatchObject({ success_url: 'http://shop.example/ok', cancel_url: '/checkout/cancel' });
      expect(body).not.toHaveProperty('order_id');
      expect(body.metadata).toEqual({ order_id: 'o-1', placed_at: '1970-01-01T00:00:00.000Z' });
      expect((calls[1]!.body as { data: unknown }).data).toEqual({ at: '1970-01-01T00:00:00.000Z' });
    });

    it('deep-copies metadata, so later changes by the caller are not sent', async () => {
      const { client, calls } = clientWith(() => ({ body: envelope(SESSION) }));
      const metadata = { order: { id: 'o-1' } };
      const pending = client.createCheckoutSession({ ...validSession(), metadata });
      metadata.order.id = 'changed';
      await pending;
      expect((calls[0]!.body as { metadata: unknown }).metadata).toEqual({ order: { id: 'o-1' } });
    });
  });

  describe('when constructed', () => {
    it('normalizes the base URL by dropping trailing slashes', () => {
      const client = new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, base_url: 'http://localhost:8787/v1/' });
      expect(client.base_url).toBe('http://localhost:8787/v1');
    });

    it('defaults to the production API, or SIGLUME_API_BASE when set', () => {
      expect(new DirectRequestPaymentMerchantClient({ auth_token: TOKEN }).base_url).toBe('https://siglume.com/v1');
      vi.stubEnv('SIGLUME_API_BASE', 'http://[::1]:9000/v1//');
      expect(new DirectRequestPaymentMerchantClient({ auth_token: TOKEN }).base_url).toBe('http://[::1]:9000/v1');
    });

    describe('when base_url is null (as 0.4.20 accepted)', () => {
      it('treats it as absent: SIGLUME_API_BASE, then the sandbox with SIGLUME_ENV=sandbox, then production', () => {
        vi.stubEnv('SIGLUME_ENV', '');
        vi.stubEnv('SIGLUME_SANDBOX_API_BASE', '');
        const build = () => new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, base_url: null });
        expect(build().base_url).toBe('https://siglume.com/v1');
        vi.stubEnv('SIGLUME_ENV', 'sandbox');
        expect(build().base_url).toBe('http://127.0.0.1:8787/v1');
        vi.stubEnv('SIGLUME_API_BASE', 'https://api.siglume.test/v1/');
        expect(build().base_url).toBe('https://api.siglume.test/v1');
      });

      it('still refuses an empty string, which is not skipped', () => {
        vi.stubEnv('SIGLUME_API_BASE', 'https://api.siglume.test/v1');
        expect(() => new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, base_url: '' })).toThrow(
          /Invalid base_url: must be an absolute URL/,
        );
      });
    });

    it.each([
      ['http on a public host', 'http://siglume.com/v1', /Invalid base_url: must use https/],
      ['userinfo', 'https://user:hunter2@siglume.com/v1', /Invalid base_url: must not contain a username or password/],
      ['a relative URL', '/v1', /Invalid base_url: must be an absolute URL/],
    ])('rejects a base URL with %s', (_t, base_url, message) => {
      const build = () => new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, base_url });
      expect(build).toThrow(SiglumeValidationError);
      expect(build).toThrow(message);
      try {
        build();
      } catch (error) {
        expect((error as Error).message).not.toContain('hunter2');
      }
    });

    it('reads SIGLUME_MERCHANT_AUTH_TOKEN before SIGLUME_AUTH_TOKEN', async () => {
      vi.stubEnv('SIGLUME_MERCHANT_AUTH_TOKEN', 'tok_from_merchant_env');
      vi.stubEnv('SIGLUME_AUTH_TOKEN', 'tok_from_generic_env');
      const rec = recordingFetch([{ body: envelope({ merchant_account: ACCOUNT }) }]);
      await new DirectRequestPaymentMerchantClient({ fetch: rec.fetch }).getMerchant('shop_alpha');
      expect(rec.calls[0]!.headers.Authorization).toBe('Bearer tok_from_merchant_env');
    });

    it('falls back to SIGLUME_AUTH_TOKEN, and prefers the auth_token option over both', async () => {
      vi.stubEnv('SIGLUME_AUTH_TOKEN', 'tok_from_generic_env');
      const rec = recordingFetch(() => ({ body: envelope({ merchant_account: ACCOUNT }) }));
      await new DirectRequestPaymentMerchantClient({ fetch: rec.fetch }).getMerchant('shop_alpha');
      vi.stubEnv('SIGLUME_MERCHANT_AUTH_TOKEN', 'tok_from_merchant_env');
      await new DirectRequestPaymentMerchantClient({ fetch: rec.fetch, auth_token: 'tok_option' }).getMerchant('shop_alpha');
      expect(rec.calls.map((c) => c.headers.Authorization)).toEqual(['Bearer tok_from_generic_env', 'Bearer tok_option']);
    });

    it('treats timeout_ms, user_agent and fetch given as null as absent (as 0.4.20 did)', () => {
      const client = new DirectRequestPaymentMerchantClient({ auth_token: 'tok_option', timeout_ms: null, user_agent: null, fetch: null });
      expect(client.timeout_ms).toBe(15_000);
      expect(client.user_agent).toMatch(/^@siglume\/direct-request-payment\//);
    });

    it('treats auth_token: null as absent and reads the environment (as 0.4.20 did)', async () => {
      vi.stubEnv('SIGLUME_MERCHANT_AUTH_TOKEN', 'tok_from_merchant_env');
      const rec = recordingFetch([{ body: envelope({ merchant_account: ACCOUNT }) }]);
      await new DirectRequestPaymentMerchantClient({ auth_token: null, fetch: rec.fetch }).getMerchant('shop_alpha');
      expect(rec.calls[0]!.headers.Authorization).toBe('Bearer tok_from_merchant_env');
    });

    it.each(['', '   '])('refuses auth_token %j instead of using a token from the environment', (auth_token) => {
      vi.stubEnv('SIGLUME_MERCHANT_AUTH_TOKEN', 'tok_from_merchant_env');
      vi.stubEnv('SIGLUME_AUTH_TOKEN', 'tok_from_generic_env');
      let error: unknown;
      try {
        new DirectRequestPaymentMerchantClient({ auth_token });
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SiglumeValidationError);
      expect((error as SiglumeValidationError).field).toBe('auth_token');
      expect((error as Error).message).toMatch(/^Invalid auth_token: must not be empty/);
    });

    it('refuses to start without a token, naming both variables', () => {
      expect(() => new DirectRequestPaymentMerchantClient()).toThrow(
        /SIGLUME_MERCHANT_AUTH_TOKEN or SIGLUME_AUTH_TOKEN/,
      );
    });

    it.each([
      ['the option', () => new DirectRequestPaymentMerchantClient({ auth_token: 'cli_portal_key_987' })],
      [
        'the environment',
        () => {
          vi.stubEnv('SIGLUME_MERCHANT_AUTH_TOKEN', 'cli_portal_key_987');
          return new DirectRequestPaymentMerchantClient();
        },
      ],
    ])('refuses a Developer Portal cli_ key from %s without echoing it', (_t, build) => {
      let error: unknown;
      try {
        build();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SiglumeValidationError);
      expect((error as Error).message).toMatch(/Developer Portal key/);
      expect((error as Error).message).not.toContain('portal_key_987');
    });

    it.each([
      ['timeout_ms', { timeout_ms: Number.NaN }],
      ['timeout_ms', { timeout_ms: Number.POSITIVE_INFINITY }],
      ['timeout_ms', { timeout_ms: 2 ** 31 }],
      ['timeout_ms', { timeout_ms: '1000' }],
      ['max_retries', { max_retries: -1 }],
      ['max_retries', { max_retries: 0.5 }],
      ['fetch', { fetch: 'https://siglume.com' }],
      ['user_agent', { user_agent: 'bad\r\nX-Injected: 1' }],
      ['input', { baseUrl: 'http://localhost:8787/v1' }],
    ])('rejects an invalid %s option', (field, extra) => {
      const build = () => new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, ...(extra as object) });
      expect(build).toThrow(SiglumeValidationError);
      expect(build).toThrow(new RegExp(`Invalid ${field}`));
    });

    it('names an unknown option such as baseUrl, as the field, with the name it stands for', () => {
      const error = (() => {
        try {
          new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, baseUrl: 'x' } as never);
        } catch (e) {
          return e as SiglumeValidationError;
        }
        throw new Error('no error');
      })();
      expect(error).toBeInstanceOf(SiglumeValidationError);
      expect(error.field).toBe('baseUrl');
      expect(error.message).toBe('Invalid input: unknown option "baseUrl" (did you mean "base_url"?)');
    });

    it.each([
      [0, 1],
      [-5, 1],
      [0.4, 1],
      [2500.5, 2500],
      [30_000 / 7, 4285],
      [2_147_483_647, 2_147_483_647],
    ])('reads timeout_ms %p as 0.4.20 did, max(1, trunc(x)): %p', (timeout_ms, expected) => {
      expect(new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, timeout_ms }).timeout_ms).toBe(expected);
    });

    it('drops an option it does not know (an app config reused as options), as 0.4.20 did', async () => {
      const rec = recordingFetch([{ body: envelope({ merchant_account: ACCOUNT }) }]);
      const appConfig: Record<string, unknown> = { auth_token: TOKEN, fetch: rec.fetch, merchant: 'shop_alpha', port: 3000, user: 'admin', timeout: 5 };
      const client = new DirectRequestPaymentMerchantClient(appConfig as never);
      await client.getMerchant('shop_alpha');
      expect(rec.calls).toHaveLength(1);
    });

    it('accepts max_retries 0 and sends the custom user agent', async () => {
      const rec = recordingFetch([{ body: envelope({ merchant_account: ACCOUNT }) }]);
      const client = new DirectRequestPaymentMerchantClient({
        auth_token: TOKEN,
        fetch: rec.fetch,
        max_retries: 0,
        user_agent: 'my-shop/1.0',
      });
      await client.getMerchant('shop_alpha');
      expect(rec.calls[0]!.headers['User-Agent']).toBe('my-shop/1.0');
    });
  });

  describe('the auth token', () => {
    it('is not readable from the client object', () => {
      const { client } = clientWith([]);
      expect(JSON.stringify(client)).not.toContain(TOKEN);
      expect(inspect(client, { showHidden: true, depth: Infinity, getters: true })).not.toContain(TOKEN);
      expect(Object.values(client).join(' ')).not.toContain(TOKEN);
      expect(Reflect.ownKeys(client).map(String)).not.toContain('auth_token');
      expect(client.base_url).toBe(BASE);
    });

    it('does not appear in error messages', async () => {
      const { client } = clientWith([{ status: 500, body: { error: { code: 'BOOM', message: 'exploded' } } }]);
      const error = await client.getMerchant('shop_alpha').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SiglumeServerError);
      expect(String(error)).not.toContain(TOKEN);
      expect(inspect(error, { depth: Infinity })).not.toContain(TOKEN);
    });
  });
});

function validSession() {
  return {
    merchant: 'shop_alpha',
    amount_minor: 4200,
    currency: 'JPY',
    nonce: 'order-1',
    success_url: 'https://shop.example/checkout/siglume/success',
    cancel_url: 'https://shop.example/checkout/siglume/cancel',
  };
}
