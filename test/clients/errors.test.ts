import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { inspect } from 'node:util';
import { DirectRequestPaymentClient } from '../../src/clients/buyer.js';
import { DirectRequestPaymentMerchantClient } from '../../src/clients/merchant.js';
import {
  HostedCheckoutNotAvailableError,
  SiglumeApiError,
  SiglumeAuthenticationError,
  SiglumeConflictError,
  SiglumeInvalidResponseError,
  SiglumeNotFoundError,
  SiglumePermissionError,
  SiglumeRateLimitError,
  SiglumeServerError,
} from '../../src/core/errors.js';
import { recordingFetch, type Reply } from './support/recording-fetch.js';

const TOKEN = 'tok_merchant_do_not_leak_42';
const BASE = 'https://api.siglume.test/v1';

beforeEach(() => {
  vi.stubEnv('SIGLUME_AUTH_TOKEN', '');
  vi.stubEnv('SIGLUME_MERCHANT_AUTH_TOKEN', '');
  vi.stubEnv('SIGLUME_API_BASE', '');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

function merchantWith(reply: Reply) {
  const rec = recordingFetch(() => reply);
  return {
    client: new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, base_url: BASE, fetch: rec.fetch, max_retries: 0 }),
    calls: rec.calls,
  };
}

async function failure(promise: Promise<unknown>): Promise<SiglumeApiError> {
  const error = await promise.then(
    () => {
      throw new Error('expected the call to fail');
    },
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(SiglumeApiError);
  return error as SiglumeApiError;
}

const SESSION_INPUT = {
  merchant: 'shop_alpha',
  amount_minor: 4200,
  currency: 'JPY',
  nonce: 'order-1',
  success_url: 'https://shop.example/checkout/siglume/success',
  cancel_url: 'https://shop.example/checkout/siglume/cancel',
};

const CHECKOUT_CALLS: Array<[string, (c: DirectRequestPaymentMerchantClient) => Promise<unknown>]> = [
  ['createCheckoutSession', (c) => c.createCheckoutSession(SESSION_INPUT)],
  ['getCheckoutSession', (c) => c.getCheckoutSession('cs_1')],
];

describe('API errors raised by the clients', () => {
  describe('when the API answers with an error envelope', () => {
    it('carries status, code, message, data, request_id and trace_id', async () => {
      const body = { error: { code: 'MERCHANT_SUSPENDED', message: 'Merchant is suspended' }, meta: { request_id: 'req_9', trace_id: 'tr_9' } };
      const { client } = merchantWith({ status: 403, body });
      const error = await failure(client.getMerchant('shop_alpha'));
      expect(error).toBeInstanceOf(SiglumePermissionError);
      expect(error).toMatchObject({ status: 403, code: 'MERCHANT_SUSPENDED', message: 'Merchant is suspended', request_id: 'req_9', trace_id: 'tr_9' });
      expect(error.data).toEqual(body);
    });

    it('reads a flat { code, message } body', async () => {
      const { client } = merchantWith({ status: 400, body: { code: 'INVALID_MERCHANT', message: 'nope' } });
      const error = await failure(client.getMerchant('shop_alpha'));
      expect(error).toMatchObject({ status: 400, code: 'INVALID_MERCHANT', message: 'nope' });
    });

    it('falls back to HTTP_<status> and the status text', async () => {
      const { client } = merchantWith({ status: 422, statusText: 'Unprocessable Entity', body: {} });
      const error = await failure(client.getMerchant('shop_alpha'));
      expect(error).toMatchObject({ status: 422, code: 'HTTP_422', message: 'Unprocessable Entity', request_id: null });
    });
  });

  describe('when the API refuses the token without a message', () => {
    it('says the merchant client sent the buyer variable SIGLUME_AUTH_TOKEN, and what to check', async () => {
      vi.stubEnv('SIGLUME_AUTH_TOKEN', 'sdrp_buyer_tok_abc123');
      const rec = recordingFetch(() => ({ status: 401, body: '', headers: { 'x-request-id': 'req_77' } }));
      const client = new DirectRequestPaymentMerchantClient({ base_url: BASE, fetch: rec.fetch, max_retries: 0 });
      const error = await failure(client.getMerchant('shop_alpha'));
      expect(error).toBeInstanceOf(SiglumeAuthenticationError);
      expect(error).toMatchObject({ status: 401, code: 'HTTP_401', request_id: 'req_77' });
      expect(error.message).toBe(
        'HTTP 401 from GET /sdrp/direct-payments/merchants/shop_alpha: the Siglume API refused the token in SIGLUME_AUTH_TOKEN ' +
          '(the buyer variable, read because SIGLUME_MERCHANT_AUTH_TOKEN is not set); the merchant routes need a merchant token. ' +
          `Check that the token is for the API at ${BASE}: sandbox and live tokens each work only against their own base URL.`,
      );
      expect(error.message).not.toContain('sdrp_buyer_tok');
    });

    it('names the auth_token option on a bare 403', async () => {
      const { client } = merchantWith({ status: 403, statusText: 'Forbidden', body: {} });
      const error = await failure(client.getMerchant('shop_alpha'));
      expect(error).toBeInstanceOf(SiglumePermissionError);
      expect(error.message).toMatch(/^Forbidden: HTTP 403 from GET /);
      expect(error.message).toContain('accepted the merchant token passed as the auth_token option but does not allow it on this route');
      expect(error.message).not.toContain(TOKEN);
    });

    it('names the Authorization header of a call that sent its own', async () => {
      const { client } = merchantWith({ status: 401, body: '' });
      const error = await failure(client.request('GET', '/custom', undefined, { Authorization: 'Bearer other_token_1234' }));
      expect(error.message).toContain('refused the Authorization header given for this call');
      expect(error.message).not.toContain('other_token_1234');
    });

    it("keeps the API's own message, and says nothing about tokens for other statuses", async () => {
      const own = await failure(merchantWith({ status: 401, body: { error: { code: 'TOKEN_REVOKED', message: 'Token revoked' } } }).client.getMerchant('shop_alpha'));
      expect(own.message).toBe('Token revoked');
      const other = await failure(merchantWith({ status: 404, statusText: 'Not Found', body: {} }).client.getMerchant('shop_alpha'));
      expect(other.message).toBe('Not Found');
    });
  });

  describe('when choosing the error class by status', () => {
    it.each([
      [401, SiglumeAuthenticationError],
      [403, SiglumePermissionError],
      [404, SiglumeNotFoundError],
      [409, SiglumeConflictError],
      [429, SiglumeRateLimitError],
      [500, SiglumeServerError],
      [503, SiglumeServerError],
    ])('maps %i to %o', async (status, ErrorClass) => {
      const { client, calls } = merchantWith({ status, body: { error: { code: 'X', message: 'x' } } });
      const error = await failure(client.getMerchant('shop_alpha'));
      expect(error).toBeInstanceOf(ErrorClass);
      expect(calls).toHaveLength(1);
    });
  });

  describe('when the body is not JSON', () => {
    it.each([200, 500])('throws INVALID_JSON_RESPONSE with status 502 for an HTTP %i answer', async (status) => {
      const { client } = merchantWith({ status, body: '<html>gateway</html>' });
      const error = await failure(client.getMerchant('shop_alpha'));
      expect(error).toBeInstanceOf(SiglumeInvalidResponseError);
      expect(error).toMatchObject({ status: 502, code: 'INVALID_JSON_RESPONSE' });
    });

    it("says a proxy's HTML 503 is a temporarily unavailable Siglume, not a wrong SIGLUME_API_BASE", async () => {
      const { client } = merchantWith({ status: 503, body: '<html><h1>503 Service Temporarily Unavailable</h1></html>', headers: { 'content-type': 'text/html', 'retry-after': '120' } });
      const error = await failure(client.getMerchant('shop_alpha'));
      expect(error).toBeInstanceOf(SiglumeInvalidResponseError);
      expect(error).toMatchObject({ status: 502, code: 'INVALID_JSON_RESPONSE', retry_after_ms: 120_000, data: { http_status: 503, retry_after_ms: 120_000 } });
      expect(error.message).toContain('Siglume or a proxy in front of it answered GET /sdrp/direct-payments/merchants/shop_alpha with HTTP 503 and a non-JSON page (temporarily unavailable?)');
      expect(error.message).not.toContain('SIGLUME_API_BASE');
    });

    // By its value: it came from the base_url option, SIGLUME_API_BASE or a sandbox variable (the CLI's --base-url).
    it('still points at the base URL for a non-JSON 2xx or 4xx page', async () => {
      const { client } = merchantWith({ status: 200, body: '<html>welcome</html>' });
      const error = await failure(client.getMerchant('shop_alpha'));
      expect(error.message).toContain(`Check that the base URL ${client.base_url} points at the Siglume API (…/v1).`);
      expect(error).toMatchObject({ retry_after_ms: null, data: { http_status: 200 } });
    });

    it('does not turn INVALID_JSON_RESPONSE on a checkout call into HostedCheckoutNotAvailableError', async () => {
      const { client } = merchantWith({ status: 404, body: 'Not Found' });
      const error = await failure(client.getCheckoutSession('cs_1'));
      expect(error).not.toBeInstanceOf(HostedCheckoutNotAvailableError);
      expect(error.code).toBe('INVALID_JSON_RESPONSE');
    });
  });

  describe('when Hosted Checkout is not available', () => {
    const PAIRS: Array<[number, string]> = [
      [409, 'HOSTED_CHECKOUT_NOT_ENABLED'],
      [409, 'FEATURE_DISABLED'],
      [404, 'HTTP_404'],
      [404, 'NOT_FOUND'],
      [404, 'ROUTE_NOT_FOUND'],
      [404, 'FEATURE_DISABLED'],
    ];
    const cases = CHECKOUT_CALLS.flatMap(([name, call]) => PAIRS.map(([status, code]) => [name, status, code, call] as const));

    it.each(cases)('%s maps %i %s to HostedCheckoutNotAvailableError, keeping ids and body', async (_n, status, code, call) => {
      const body =
        code === 'HTTP_404'
          ? { meta: { request_id: 'req_h', trace_id: 'tr_h' } }
          : { error: { code, message: 'off' }, meta: { request_id: 'req_h', trace_id: 'tr_h' } };
      const { client } = merchantWith({ status, statusText: 'Nope', body });
      const error = await failure(call(client));
      expect(error).toBeInstanceOf(HostedCheckoutNotAvailableError);
      expect(error).toMatchObject({
        status: 409,
        code: 'HOSTED_CHECKOUT_NOT_ENABLED',
        upstream_status: status,
        upstream_code: code,
        request_id: 'req_h',
        trace_id: 'tr_h',
      });
      expect(error.data).toEqual(body);
    });

    it.each(CHECKOUT_CALLS)('%s keeps a 404 MERCHANT_NOT_FOUND as SiglumeNotFoundError', async (_n, call) => {
      const { client } = merchantWith({ status: 404, body: { error: { code: 'MERCHANT_NOT_FOUND', message: 'no' } } });
      const error = await failure(call(client));
      expect(error).not.toBeInstanceOf(HostedCheckoutNotAvailableError);
      expect(error).toBeInstanceOf(SiglumeNotFoundError);
      expect(error.code).toBe('MERCHANT_NOT_FOUND');
    });

    it.each(CHECKOUT_CALLS)('%s keeps a 409 with another code as SiglumeConflictError', async (_n, call) => {
      const { client } = merchantWith({ status: 409, body: { error: { code: 'NONCE_REUSED', message: 'used' } } });
      const error = await failure(call(client));
      expect(error).not.toBeInstanceOf(HostedCheckoutNotAvailableError);
      expect(error).toBeInstanceOf(SiglumeConflictError);
    });

    it.each([
      ['getMerchant', (c: DirectRequestPaymentMerchantClient) => c.getMerchant('shop_alpha')],
      ['listWebhookSubscriptions', (c: DirectRequestPaymentMerchantClient) => c.listWebhookSubscriptions()],
      ['setupMerchant', (c: DirectRequestPaymentMerchantClient) => c.setupMerchant({ merchant: 'shop_alpha' })],
    ])('does not map a 409 FEATURE_DISABLED or 404 NOT_FOUND on %s', async (_n, call) => {
      for (const [status, code] of [
        [409, 'FEATURE_DISABLED'],
        [404, 'NOT_FOUND'],
      ] as const) {
        const { client } = merchantWith({ status, body: { error: { code, message: 'x' } } });
        const error = await failure(call(client));
        expect(error).not.toBeInstanceOf(HostedCheckoutNotAvailableError);
        expect(error.code).toBe(code);
      }
    });

    it('does not map errors of the buyer client', async () => {
      const rec = recordingFetch(() => ({ status: 404, body: { error: { code: 'NOT_FOUND', message: 'x' } } }));
      const buyer = new DirectRequestPaymentClient({ auth_token: 'tok_b', base_url: BASE, fetch: rec.fetch, max_retries: 0 });
      const error = await failure(buyer.getPaymentRequirement('req_1'));
      expect(error).toBeInstanceOf(SiglumeNotFoundError);
    });
  });

  describe('when an error is thrown', () => {
    it('never contains the auth token', async () => {
      const { client } = merchantWith({ status: 401, body: { error: { code: 'UNAUTHORIZED', message: 'bad token' } } });
      const error = await failure(client.getMerchant('shop_alpha'));
      expect(`${error.message} ${error.stack} ${inspect(error, { depth: Infinity })} ${JSON.stringify(error)}`).not.toContain(TOKEN);
    });

    it('never contains the auth token when the connection fails', async () => {
      const client = new DirectRequestPaymentMerchantClient({
        auth_token: TOKEN,
        base_url: BASE,
        max_retries: 0,
        fetch: async () => {
          throw new TypeError('fetch failed');
        },
      });
      const error = await client.getMerchant('shop_alpha').catch((e: unknown) => e);
      expect((error as Error).name).toBe('SiglumeConnectionError');
      expect(inspect(error, { depth: Infinity })).not.toContain(TOKEN);
    });
  });
});

describe('the 0.4.20 error constructors', () => {
  it('builds a SiglumeApiError from (message, { status, code?, data? }), code defaulting to SIGLUME_API_ERROR', () => {
    const plain = new SiglumeApiError('teapot', { status: 418 });
    expect(plain).toMatchObject({ name: 'SiglumeApiError', message: 'teapot', status: 418, code: 'SIGLUME_API_ERROR', data: null });
    const coded = new SiglumeApiError('gone', { status: 410, code: 'GONE', data: { a: 1 } });
    expect(coded).toMatchObject({ status: 410, code: 'GONE', data: { a: 1 } });
  });

  it('builds a HostedCheckoutNotAvailableError from an optional message', () => {
    const bare = new HostedCheckoutNotAvailableError();
    expect(bare).toMatchObject({ status: 409, code: 'HOSTED_CHECKOUT_NOT_ENABLED', upstream_status: 409, upstream_code: 'HOSTED_CHECKOUT_NOT_ENABLED' });
    expect(bare.message).toContain('rollout');
    expect(new HostedCheckoutNotAvailableError('not for you').message).toBe('not for you');
  });
});
