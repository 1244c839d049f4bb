import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import { call, createSession, sandboxFor, startReceiver, type WebhookReceiver } from './helpers.js';

let receiver: WebhookReceiver;
let sandbox: SandboxHandle;

beforeAll(async () => {
  receiver = await startReceiver();
  sandbox = await sandboxFor(receiver);
});

afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

describe('sandbox server', () => {
  describe('when started', () => {
    it('exposes the URL, the /v1 API base and the env a merchant app needs', () => {
      expect(sandbox.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
      expect(sandbox.api_base).toBe(`${sandbox.url}/v1`);
      expect(sandbox.env).toEqual({
        SIGLUME_API_BASE: sandbox.api_base,
        SIGLUME_MERCHANT_AUTH_TOKEN: 'sdrp_sandbox_merchant_token',
        SIGLUME_DIRECT_PAYMENT_MERCHANT: 'sandbox_shop',
        SIGLUME_WEBHOOK_SECRET: 'whsec_sandbox_secret',
        SHOP_PUBLIC_ORIGIN: receiver.origin,
        SHOP_WEBHOOK_URL: receiver.url,
      });
    });

    it('starts with a ready merchant: active billing, a mandate, and an active subscription to the webhook URL', async () => {
      const merchant = await call(sandbox, 'GET', '/sdrp/direct-payments/merchants/sandbox_shop');
      expect(merchant.status).toBe(200);
      expect(merchant.body.data.merchant_account).toMatchObject({
        merchant: 'sandbox_shop',
        status: 'active',
        billing_status: 'active',
        billing_plan: 'launch',
        billing_currency: 'JPY',
        allowed_currencies: { JPY: 'JPYC', USD: 'USDC' },
        checkout_allowed_origins: [receiver.origin],
        hosted_checkout_enabled: true,
      });
      expect(merchant.body.data.merchant_account.billing_mandate_id).toMatch(/^mandate_/);
      expect(JSON.stringify(merchant.body)).not.toContain(sandbox.getMerchant('sandbox_shop')!.challenge_secret);

      const subs = await call(sandbox, 'GET', '/market/webhooks/subscriptions');
      expect(subs.body.data).toHaveLength(1);
      expect(subs.body.data[0]).toMatchObject({
        callback_url: receiver.url,
        status: 'active',
        event_types: ['direct_payment.confirmed', 'direct_payment.spent'],
        signing_secret_hint: 'cret',
      });
      expect('whsec_sandbox_secret'.endsWith(subs.body.data[0].signing_secret_hint)).toBe(true);
      expect(JSON.stringify(subs.body)).not.toContain('whsec_sandbox_secret');
    });
  });

  describe('when answering', () => {
    it('wraps data in { data, meta } and sets X-Request-Id to meta.request_id', async () => {
      const answer = await call(sandbox, 'GET', '/market/webhooks/subscriptions');
      expect(answer.body.meta.request_id).toMatch(/^req_/);
      expect(answer.body.meta.trace_id).toMatch(/^trace_/);
      expect(answer.headers.get('x-request-id')).toBe(answer.body.meta.request_id);
    });

    it('answers an unknown route with 404 ROUTE_NOT_FOUND in the error envelope', async () => {
      const answer = await call(sandbox, 'GET', '/sdrp/nothing-here');
      expect(answer.status).toBe(404);
      expect(answer.body.error.code).toBe('ROUTE_NOT_FOUND');
      expect(answer.headers.get('x-request-id')).toBe(answer.body.meta.request_id);
    });

    it('answers a known route with the wrong method with 405 and Allow', async () => {
      const answer = await call(sandbox, 'DELETE', '/market/webhooks/subscriptions');
      expect(answer.status).toBe(405);
      expect(answer.body.error.code).toBe('METHOD_NOT_ALLOWED');
      expect(answer.headers.get('allow')).toBe('POST, GET');
    });

    it('answers paths outside /v1 with a 404 envelope that points at /v1', async () => {
      const res = await fetch(`${sandbox.url}/sdrp/direct-payments/merchants/sandbox_shop`);
      const body = await res.json();
      expect(res.status).toBe(404);
      expect(body.error.message).toContain('/v1');
    });
  });

  describe('when the bearer token is missing or wrong', () => {
    it('rejects a request without Authorization with 401 UNAUTHORIZED naming the token needed', async () => {
      const answer = await call(sandbox, 'GET', '/market/webhooks/subscriptions', { token: null });
      expect(answer.status).toBe(401);
      expect(answer.body.error.code).toBe('UNAUTHORIZED');
      expect(answer.body.error.message).toContain('merchant token');
    });

    it('rejects an unknown token with 401 without echoing it', async () => {
      const answer = await call(sandbox, 'GET', '/market/webhooks/subscriptions', { token: 'not_the_token_123' });
      expect(answer.status).toBe(401);
      expect(JSON.stringify(answer.body)).not.toContain('not_the_token_123');
    });

    it('rejects the buyer token on a merchant route with 403', async () => {
      const answer = await call(sandbox, 'GET', '/market/webhooks/subscriptions', { token: sandbox.buyer_token });
      expect(answer.status).toBe(403);
      expect(answer.body.error.code).toBe('FORBIDDEN');
    });

    it('rejects the merchant token on a buyer route with 403', async () => {
      const answer = await call(sandbox, 'GET', '/sdrp/metered/my-summary');
      expect(answer.status).toBe(403);
    });
  });

  describe('when a POST carries an Idempotency-Key', () => {
    it('replays the first answer for the same key instead of creating a second session', async () => {
      const body = {
        merchant: 'sandbox_shop',
        amount_minor: 1200,
        currency: 'JPY',
        nonce: 'idem-1',
        success_url: `${receiver.origin}/ok`,
        cancel_url: `${receiver.origin}/cancel`,
      };
      const before = sandbox.listCheckoutSessions().length;
      const headers = { 'Idempotency-Key': 'key-abc-1' };
      const [a, b] = await Promise.all([
        call(sandbox, 'POST', '/sdrp/direct-payments/checkout-sessions', { body, headers }),
        call(sandbox, 'POST', '/sdrp/direct-payments/checkout-sessions', { body, headers }),
      ]);
      const c = await call(sandbox, 'POST', '/sdrp/direct-payments/checkout-sessions', { body, headers });
      expect(a.status).toBe(201);
      expect(b.body.data.session_id).toBe(a.body.data.session_id);
      expect(c.body.data.session_id).toBe(a.body.data.session_id);
      expect(c.headers.get('idempotent-replayed')).toBe('true');
      expect(sandbox.listCheckoutSessions().length).toBe(before + 1);
    });

    it('rejects the same key with a different body with 409 IDEMPOTENCY_KEY_REUSED_WITH_DIFFERENT_PAYLOAD', async () => {
      const headers = { 'Idempotency-Key': 'key-abc-2' };
      await call(sandbox, 'POST', '/market/webhooks/subscriptions', { body: { callback_url: 'https://a.example/hook' }, headers });
      const second = await call(sandbox, 'POST', '/market/webhooks/subscriptions', {
        body: { callback_url: 'https://b.example/hook' },
        headers,
      });
      expect(second.status).toBe(409);
      expect(second.body.error.code).toBe('IDEMPOTENCY_KEY_REUSED_WITH_DIFFERENT_PAYLOAD');
      expect(second.body.error.field).toBe('Idempotency-Key');
    });

    it('creates a new object for each distinct key', async () => {
      const a = await createSession(sandbox, { nonce: 'distinct-1' });
      const b = await createSession(sandbox, { nonce: 'distinct-1' });
      expect(a.session_id).not.toBe(b.session_id);
      expect(a.challenge_hash).toBe(b.challenge_hash);
    });
  });

  describe('control endpoints', () => {
    it('report the state without any secret', async () => {
      const res = await fetch(`${sandbox.url}/__sandbox/state`);
      const text = await res.text();
      expect(res.status).toBe(200);
      expect(JSON.parse(text).data.scenario).toBe('ready');
      expect(text).not.toContain('whsec_sandbox_secret');
      expect(text).not.toContain(sandbox.getMerchant('sandbox_shop')!.challenge_secret);
      expect(text).not.toContain(sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN);
      expect(text).not.toContain(sandbox.buyer_token);
      expect(Object.keys(JSON.parse(text).data.seed).sort()).toEqual(['created_at', 'merchant', 'origin', 'subscription_id', 'webhook_url']);
    });

    it('reject an unknown scenario with 422 naming the field', async () => {
      const res = await fetch(`${sandbox.url}/__sandbox/scenario`, { method: 'POST', body: JSON.stringify({ scenario: 'nope' }) });
      const body = await res.json();
      expect(res.status).toBe(422);
      expect(body.error.field).toBe('scenario');
    });
  });
});
