import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import { call, sandboxFor, startReceiver, type WebhookReceiver } from './helpers.js';

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

interface BadCase {
  family: string;
  name: string;
  method: 'GET' | 'POST';
  path: string;
  buyer?: boolean;
  /** A function when the body needs the receiver's origin (known only once the suites run). */
  body?: unknown;
  rawBody?: string;
  status: number;
  code: string;
  field?: string;
  message?: string;
}

const checkout = (over: Record<string, unknown>) => () => ({
  merchant: 'sandbox_shop',
  amount_minor: 4200,
  currency: 'JPY',
  nonce: 'bad-input',
  success_url: `${receiver.origin}/ok`,
  cancel_url: `${receiver.origin}/cancel`,
  ...over,
});

const cases = (): BadCase[] => [
  { family: 'merchants', name: 'an invalid merchant key', method: 'POST', path: '/sdrp/direct-payments/merchants', body: { merchant: 'A!' }, status: 422, code: 'VALIDATION_ERROR', field: 'merchant' },
  { family: 'merchants', name: 'an unknown billing plan', method: 'POST', path: '/sdrp/direct-payments/merchants', body: { merchant: 'shop_x', billing_plan: 'gold' }, status: 422, code: 'VALIDATION_ERROR', field: 'billing_plan' },
  { family: 'merchants', name: 'a currency mapped to the wrong token', method: 'POST', path: '/sdrp/direct-payments/merchants', body: { merchant: 'shop_x', allowed_currencies: { JPY: 'USDC' } }, status: 422, code: 'VALIDATION_ERROR', field: 'allowed_currencies.JPY' },
  { family: 'merchants', name: 'an origin with a path', method: 'POST', path: '/sdrp/direct-payments/merchants', body: { merchant: 'shop_x', checkout_allowed_origins: ['https://a.example/shop'] }, status: 422, code: 'VALIDATION_ERROR', field: 'checkout_allowed_origins[0]' },
  { family: 'merchants', name: 'a fractional limit', method: 'POST', path: '/sdrp/direct-payments/merchants', body: { merchant: 'shop_x', max_amount_minor: 1.5 }, status: 422, code: 'VALIDATION_ERROR', field: 'max_amount_minor', message: 'positive safe integer' },
  { family: 'merchants', name: 'a plain-http public webhook URL', method: 'POST', path: '/sdrp/direct-payments/merchants', body: { merchant: 'shop_x', webhook_callback_url: 'http://shop.example/hook' }, status: 422, code: 'VALIDATION_ERROR', field: 'webhook_callback_url' },
  { family: 'merchants', name: 'an unknown merchant', method: 'GET', path: '/sdrp/direct-payments/merchants/nobody_here', status: 404, code: 'MERCHANT_NOT_FOUND' },
  { family: 'merchants', name: 'an invalid merchant in the path', method: 'GET', path: '/sdrp/direct-payments/merchants/A%20B', status: 422, code: 'VALIDATION_ERROR', field: 'merchant' },
  { family: 'merchants', name: 'an unsupported mandate currency', method: 'POST', path: '/sdrp/direct-payments/merchants/sandbox_shop/billing-mandate', body: { currency: 'EUR' }, status: 422, code: 'VALIDATION_ERROR', field: 'currency' },
  { family: 'merchants', name: 'rotating the secret of an unknown merchant', method: 'POST', path: '/sdrp/direct-payments/merchants/nobody_here/challenge-secret/rotate', status: 404, code: 'MERCHANT_NOT_FOUND' },
  { family: 'checkout', name: 'a string amount', method: 'POST', path: '/sdrp/direct-payments/checkout-sessions', body: checkout({ amount_minor: '4200' }), status: 422, code: 'VALIDATION_ERROR', field: 'amount_minor', message: 'positive safe integer' },
  { family: 'checkout', name: 'a nonce with ":"', method: 'POST', path: '/sdrp/direct-payments/checkout-sessions', body: checkout({ nonce: 'a:b' }), status: 422, code: 'VALIDATION_ERROR', field: 'nonce' },
  { family: 'checkout', name: 'a success URL on a foreign origin', method: 'POST', path: '/sdrp/direct-payments/checkout-sessions', body: checkout({ success_url: 'https://evil.example/ok' }), status: 422, code: 'VALIDATION_ERROR', field: 'success_url' },
  { family: 'checkout', name: 'a cancel URL on a foreign origin', method: 'POST', path: '/sdrp/direct-payments/checkout-sessions', body: checkout({ cancel_url: 'http://localhost:1/x' }), status: 422, code: 'VALIDATION_ERROR', field: 'cancel_url' },
  { family: 'checkout', name: 'an unsupported currency', method: 'POST', path: '/sdrp/direct-payments/checkout-sessions', body: checkout({ currency: 'EUR' }), status: 422, code: 'VALIDATION_ERROR', field: 'currency' },
  { family: 'checkout', name: 'metadata that is not an object', method: 'POST', path: '/sdrp/direct-payments/checkout-sessions', body: checkout({ metadata: [1] }), status: 422, code: 'VALIDATION_ERROR', field: 'metadata' },
  { family: 'checkout', name: 'a missing merchant', method: 'POST', path: '/sdrp/direct-payments/checkout-sessions', body: checkout({ merchant: undefined }), status: 422, code: 'VALIDATION_ERROR', field: 'merchant', message: 'is required' },
  { family: 'checkout', name: 'an unknown session', method: 'GET', path: '/sdrp/direct-payments/checkout-sessions/cs_missing', status: 404, code: 'CHECKOUT_SESSION_NOT_FOUND' },
  { family: 'webhooks', name: 'an unknown event type', method: 'POST', path: '/market/webhooks/subscriptions', body: { callback_url: 'https://shop.example/h', event_types: ['nope'] }, status: 422, code: 'VALIDATION_ERROR', field: 'event_types[0]' },
  { family: 'webhooks', name: 'a missing callback URL', method: 'POST', path: '/market/webhooks/subscriptions', body: {}, status: 422, code: 'VALIDATION_ERROR', field: 'callback_url', message: 'is required' },
  { family: 'webhooks', name: 'a test delivery of an unknown type', method: 'POST', path: '/market/webhooks/test-deliveries', body: { event_type: 'nope' }, status: 422, code: 'VALIDATION_ERROR', field: 'event_type' },
  { family: 'webhooks', name: 'a test delivery to an unknown subscription', method: 'POST', path: '/market/webhooks/test-deliveries', body: { event_type: 'direct_payment.confirmed', subscription_ids: ['whsub_missing'] }, status: 422, code: 'VALIDATION_ERROR', field: 'subscription_ids[0]' },
  { family: 'webhooks', name: 'a zero limit', method: 'GET', path: '/market/webhooks/deliveries?limit=0', status: 422, code: 'VALIDATION_ERROR', field: 'limit', message: 'positive safe integer' },
  { family: 'webhooks', name: 'an unknown delivery status', method: 'GET', path: '/market/webhooks/deliveries?status=weird', status: 422, code: 'VALIDATION_ERROR', field: 'status' },
  { family: 'requirements', name: 'a challenge the merchant never issued', method: 'POST', path: '/sdrp/direct-payments/requirements', buyer: true, body: { merchant: 'sandbox_shop', amount_minor: 4200, currency: 'JPY', challenge: 'siglume-external-402-v1:n:deadbeef' }, status: 422, code: 'INVALID_CHALLENGE', field: 'challenge' },
  { family: 'requirements', name: 'an unknown merchant', method: 'POST', path: '/sdrp/direct-payments/requirements', buyer: true, body: { merchant: 'nobody_here', amount_minor: 4200, currency: 'JPY', challenge: 'x:y:z' }, status: 404, code: 'MERCHANT_NOT_FOUND' },
  { family: 'requirements', name: 'a boolean amount', method: 'POST', path: '/sdrp/direct-payments/requirements', buyer: true, body: { merchant: 'sandbox_shop', amount_minor: true, currency: 'JPY', challenge: 'x:y:z' }, status: 422, code: 'VALIDATION_ERROR', field: 'amount_minor', message: 'positive safe integer' },
  { family: 'requirements', name: 'another mode', method: 'POST', path: '/sdrp/direct-payments/requirements', buyer: true, body: { mode: 'other', merchant: 'sandbox_shop', amount_minor: 1, currency: 'JPY', challenge: 'x:y:z' }, status: 422, code: 'VALIDATION_ERROR', field: 'mode' },
  { family: 'requirements', name: 'a token that does not match the currency', method: 'POST', path: '/sdrp/direct-payments/requirements', buyer: true, body: { merchant: 'sandbox_shop', amount_minor: 1, currency: 'JPY', token_symbol: 'USDC', challenge: 'x:y:z' }, status: 422, code: 'VALIDATION_ERROR', field: 'token_symbol' },
  { family: 'requirements', name: 'an unknown requirement', method: 'GET', path: '/sdrp/direct-payments/requirements/dpr_missing', buyer: true, status: 404, code: 'REQUIREMENT_NOT_FOUND' },
  { family: 'requirements', name: 'verifying an unknown requirement', method: 'POST', path: '/sdrp/direct-payments/requirements/dpr_missing/verify', buyer: true, body: {}, status: 404, code: 'REQUIREMENT_NOT_FOUND' },
  { family: 'requirements', name: 'a negative await timeout', method: 'POST', path: '/sdrp/direct-payments/requirements/dpr_missing/verify', buyer: true, body: { await_timeout_seconds: -1 }, status: 422, code: 'VALIDATION_ERROR', field: 'await_timeout_seconds' },
  { family: 'execution', name: 'an unknown receipt kind', method: 'POST', path: '/market/web3/transactions/execute-prepared', buyer: true, body: { transaction_request: {}, receipt_kind: 'x', reference_type: 'sdrp_direct_payment_requirement', reference_id: 'dpr_1' }, status: 422, code: 'VALIDATION_ERROR', field: 'receipt_kind' },
  { family: 'execution', name: 'an unknown requirement reference', method: 'POST', path: '/market/web3/transactions/execute-prepared', buyer: true, body: { transaction_request: {}, receipt_kind: 'sdrp_direct_payment', reference_type: 'sdrp_direct_payment_requirement', reference_id: 'dpr_missing' }, status: 422, code: 'VALIDATION_ERROR', field: 'reference_id' },
  { family: 'metered', name: 'an unknown plan type', method: 'GET', path: '/sdrp/metered/my-usage-events?plan_type=giga', buyer: true, status: 422, code: 'VALIDATION_ERROR', field: 'plan_type' },
  { family: 'metered', name: 'a forged cursor', method: 'GET', path: '/sdrp/metered/my-settlement-batches?cursor=zzz', buyer: true, status: 422, code: 'VALIDATION_ERROR', field: 'cursor' },
  { family: 'metered', name: 'a negative limit', method: 'GET', path: '/sdrp/metered/provider/usage-events?limit=-1', status: 422, code: 'VALIDATION_ERROR', field: 'limit' },
  { family: 'metered', name: 'an unknown token', method: 'GET', path: '/sdrp/metered/provider/summary?token_symbol=EURC', status: 422, code: 'VALIDATION_ERROR', field: 'token_symbol' },
  { family: 'metered', name: 'a repeated filter', method: 'GET', path: '/sdrp/metered/my-summary?plan_type=micro&plan_type=nano', buyer: true, status: 422, code: 'VALIDATION_ERROR', field: 'plan_type' },
  { family: 'metered', name: 'an unknown settlement batch', method: 'GET', path: '/sdrp/metered/provider/settlement-batches/msb_missing', status: 404, code: 'SETTLEMENT_BATCH_NOT_FOUND' },
  { family: 'body', name: 'malformed JSON', method: 'POST', path: '/sdrp/direct-payments/merchants', rawBody: '{"merchant":', status: 400, code: 'INVALID_JSON' },
  { family: 'body', name: 'a JSON array body', method: 'POST', path: '/sdrp/direct-payments/checkout-sessions', rawBody: '[]', status: 422, code: 'VALIDATION_ERROR', field: 'body' },
  { family: 'body', name: 'a value nested 5000 levels deep (was a 500: the stack ran out in the schema)', method: 'POST', path: '/market/webhooks/test-deliveries', rawBody: `{"event_type":"direct_payment.confirmed","data":{"x":${'['.repeat(5000)}1${']'.repeat(5000)}}}`, status: 422, code: 'VALIDATION_ERROR', field: 'data', message: '64 levels deep' },
  { family: 'body', name: 'metadata nested 2000 levels deep (was stored, then every state view was a 500)', method: 'POST', path: '/market/webhooks/subscriptions', rawBody: `{"callback_url":"https://shop.example/h","metadata":${'{"a":'.repeat(2000)}1${'}'.repeat(2000)}}`, status: 422, code: 'VALIDATION_ERROR', field: 'metadata', message: '64 levels deep' },
  { family: 'body', name: 'a body over 64 KiB', method: 'POST', path: '/market/webhooks/subscriptions', rawBody: JSON.stringify({ description: 'x'.repeat(70 * 1024) }), status: 413, code: 'PAYLOAD_TOO_LARGE' },
];

describe('sandbox input validation', () => {
  describe.each(['merchants', 'checkout', 'webhooks', 'requirements', 'execution', 'metered', 'body'])('when a %s request is bad', (family) => {
    it.each(cases().filter((c) => c.family === family).map((c) => [c.name, c] as const))('answers %s with a 4xx envelope', async (_name, c) => {
      const answer = await call(sandbox, c.method, c.path, {
        token: c.buyer ? sandbox.buyer_token : undefined,
        body: typeof c.body === 'function' ? c.body() : c.body,
        rawBody: c.rawBody,
      });
      expect(answer.status).toBe(c.status);
      expect(answer.body.error.code).toBe(c.code);
      expect(typeof answer.body.error.message).toBe('string');
      expect(answer.body.meta.request_id).toMatch(/^req_/);
      if (c.field) expect(answer.body.error.field).toBe(c.field);
      if (c.message) expect(answer.body.error.message).toContain(c.message);
    });
  });
});

function rawRequest(port: number, text: string): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let out = '';
    socket.on('data', (d) => (out += d.toString()));
    socket.on('close', () => resolve(out));
    socket.on('error', () => resolve(out));
  });
}

describe('sandbox under a burst of malformed requests', () => {
  it('answers each with a 4xx (or drops an oversized upload) and keeps serving', async () => {
    const port = Number(new URL(sandbox.url).port);
    const huge = 'x'.repeat(1024 * 1024);
    const attempts: Array<Promise<number>> = [];
    for (let i = 0; i < 120; i++) {
      const kind = i % 6;
      const p =
        kind === 0
          ? call(sandbox, 'POST', '/sdrp/direct-payments/checkout-sessions', { rawBody: '{"amount_minor": 4' })
          : kind === 1
            ? call(sandbox, 'POST', '/market/webhooks/subscriptions', { rawBody: huge })
            : kind === 2
              ? call(sandbox, 'PATCH', '/sdrp/direct-payments/checkout-sessions')
              : kind === 3
                ? call(sandbox, 'GET', '/sdrp/direct-payments/merchants/%E0%A4%A')
                : kind === 4
                  ? call(sandbox, 'POST', '/sdrp/direct-payments/requirements', { token: sandbox.buyer_token, rawBody: 'null' })
                  : call(sandbox, 'POST', '/market/webhooks/test-deliveries', { rawBody: '\u0000\u0001' });
      attempts.push(p.then((a) => a.status));
    }
    const statuses = await Promise.all(attempts);
    for (const s of statuses) expect(s >= 400 && s < 500).toBe(true);
    expect(new Set(statuses)).toEqual(new Set([400, 413, 405, 422]));

    const garbage = await rawRequest(port, 'NOT HTTP AT ALL\r\n\r\n');
    expect(garbage).toMatch(/^HTTP\/1\.1 400/);

    const tooBig = await fetch(`${sandbox.api_base}/market/webhooks/subscriptions`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN}`, 'Content-Type': 'application/json' },
      body: 'x'.repeat(9 * 1024 * 1024),
    }).then(
      (r) => r.status,
      () => 'connection closed',
    );
    expect([413, 'connection closed']).toContain(tooBig);

    const healthy = await call(sandbox, 'GET', '/market/webhooks/subscriptions');
    expect(healthy.status).toBe(200);
  });
});
