import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { inspect } from 'node:util';
import { DirectRequestPaymentClient } from '../../src/clients/buyer.js';
import { DirectRequestPaymentMerchantClient } from '../../src/clients/merchant.js';
import {
  SiglumeApiError,
  SiglumeAuthenticationError,
  SiglumeInvalidResponseError,
  SiglumeNotFoundError,
  SiglumeServerError,
  SiglumeValidationError,
} from '../../src/core/errors.js';
import { createSandbox, startSandbox, type SandboxHandle } from '../../src/sandbox/index.js';
import { DIRECT_REQUEST_PAYMENT_SDK_VERSION } from '../../src/version.js';
import { envelope, recordingFetch, type RecordedCall, type Reply } from './support/recording-fetch.js';

const TOKEN = 'tok_client_secret_0123456789';
const OTHER = 'tok_other_credential_abcdefgh';
const BASE = 'https://api.siglume.test/v1';
const UA = `@siglume/direct-request-payment/${DIRECT_REQUEST_PAYMENT_SDK_VERSION}`;

beforeEach(() => {
  vi.stubEnv('SIGLUME_AUTH_TOKEN', '');
  vi.stubEnv('SIGLUME_MERCHANT_AUTH_TOKEN', '');
  vi.stubEnv('SIGLUME_API_BASE', '');
  vi.stubEnv('SIGLUME_ENV', '');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

const KINDS = [
  { kind: 'merchant client', make: (o: object) => new DirectRequestPaymentMerchantClient(o) },
  { kind: 'buyer client', make: (o: object) => new DirectRequestPaymentClient(o) },
] as const;

describe.each(KINDS)('request on the $kind', ({ make }) => {
  function clientWith(replies: Reply[] | ((call: RecordedCall, index: number) => Reply), max_retries = 0) {
    const rec = recordingFetch(replies);
    const client = make({ auth_token: TOKEN, base_url: BASE, fetch: rec.fetch, max_retries }) as DirectRequestPaymentClient;
    return { client, calls: rec.calls };
  }

  describe('when the call succeeds', () => {
    it('appends the path as is and returns the envelope data', async () => {
      const { client, calls } = clientWith([{ body: envelope({ role: 'buyer' }) }]);
      const data = await client.request<{ role: string }>('get', '/sdrp/metered/my-summary?plan_type=micro&x=%2F');
      expect(data).toEqual({ role: 'buyer' });
      expect(calls[0]).toMatchObject({ method: 'GET', url: `${BASE}/sdrp/metered/my-summary?plan_type=micro&x=%2F`, body: undefined });
      expect(calls[0]!.headers).toEqual({ Accept: 'application/json', Authorization: `Bearer ${TOKEN}`, 'User-Agent': UA });
    });

    it('returns a body without data whole, and {} for an empty body', async () => {
      const { client } = clientWith([{ body: [1, 2] }, { body: { items: [] } }, { status: 204 }]);
      expect(await client.request('GET', '/a')).toEqual([1, 2]);
      expect(await client.request('GET', '/b')).toEqual({ items: [] });
      expect(await client.request('DELETE', '/c')).toEqual({});
    });

    it('sends a JSON body with Content-Type last, and null as "null"', async () => {
      const { client, calls } = clientWith([{ body: envelope({}) }, { body: envelope({}) }]);
      await client.request('POST', '/things', { b: 1, a: [true] }, { 'X-Trace': 't1' });
      expect(calls[0]!.rawBody).toBe('{"b":1,"a":[true]}');
      expect(Object.keys(calls[0]!.headers)).toEqual([
        'Accept',
        'Authorization',
        'User-Agent',
        'X-Trace',
        'Content-Type',
        'Idempotency-Key',
      ]);
      await client.request('PUT', '/things', null);
      expect(calls[1]!.rawBody).toBe('null');
      expect(calls[1]!.headers['Content-Type']).toBe('application/json');
    });

    it('lets extra_headers replace a header of any case, but never the body Content-Type', async () => {
      const { client, calls } = clientWith([{ body: envelope({}) }]);
      await client.request('POST', '/x', { a: 1 }, {
        authorization: `Bearer ${OTHER}`,
        'user-agent': 'my-agent/1',
        'content-type': 'text/plain',
      });
      expect(calls[0]!.headers).toMatchObject({ authorization: `Bearer ${OTHER}`, 'user-agent': 'my-agent/1', 'Content-Type': 'application/json' });
      expect(calls[0]!.headers).not.toHaveProperty('Authorization');
      expect(calls[0]!.headers).not.toHaveProperty('content-type');
      expect(JSON.stringify(calls[0]!.headers)).not.toContain(TOKEN);
    });

    it('takes the idempotency key from an Idempotency-Key header or the options', async () => {
      const { client, calls } = clientWith([{ body: envelope({}) }, { body: envelope({}) }]);
      await client.request('POST', '/x', {}, { 'idempotency-key': 'key-1' });
      await client.request('POST', '/x', {}, {}, { idempotency_key: 'key-2' });
      expect(calls.map((c) => c.headers['Idempotency-Key'])).toEqual(['key-1', 'key-2']);
      await expect(client.request('POST', '/x', {}, { 'Idempotency-Key': 'a' }, { idempotency_key: 'b' })).rejects.toMatchObject({
        field: 'extra_headers.Idempotency-Key',
      });
    });
  });

  describe('when the call fails', () => {
    it('throws the typed error with the server code, message and body', async () => {
      const { client } = clientWith([{ status: 404, body: { error: { code: 'NO_SUCH_THING', message: 'gone' } } }]);
      const error = await client.request('GET', '/missing').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SiglumeNotFoundError);
      expect(error).toMatchObject({ status: 404, code: 'NO_SUCH_THING', message: 'gone', data: { error: { code: 'NO_SUCH_THING' } } });
    });

    it('reports a body that is not JSON as INVALID_JSON_RESPONSE, also on an error status', async () => {
      const { client } = clientWith([{ body: '<html>' }, { status: 500, body: '<html>oops' }]);
      await expect(client.request('GET', '/a')).rejects.toMatchObject({ status: 502, code: 'INVALID_JSON_RESPONSE' });
      const error = await client.request('GET', '/b').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SiglumeInvalidResponseError);
    });

    it("keeps a path's query (which may hold a caller's secret) out of the error message", async () => {
      const { client } = clientWith([{ body: '<html>' }]);
      const error = (await client.request('GET', '/b?api_key=qk_live_private_123').catch((e: unknown) => e)) as Error;
      expect(error.message).toContain('GET /b ');
      expect(error.message).not.toContain('qk_live_private_123');
    });

    it('redacts a credential-named query parameter when the server echoes the URL', async () => {
      const { client } = clientWith([
        { status: 400, body: { error: { code: 'BAD', message: 'unknown key qk_live/secret 9 in /b?api_key=qk_live%2Fsecret+9' } } },
      ]);
      const error = (await client.request('GET', '/b?page=2&api_key=qk_live%2Fsecret+9').catch((e: unknown) => e)) as Error;
      const everything = `${error.message} ${JSON.stringify(error)} ${inspect(error, { depth: 10 })}`;
      expect(everything).not.toContain('qk_live/secret 9');
      expect(everything).not.toContain('qk_live%2Fsecret+9');
      expect(error.message).toBe('unknown key [redacted] in /b?api_key=[redacted]');
    });

    it('redacts a credential sent in extra_headers, and the client token, from the error', async () => {
      const echo = `Bearer ${OTHER} and ${TOKEN}`;
      const { client } = clientWith([
        { status: 401, body: { error: { code: 'UNAUTHORIZED', message: `bad ${echo}` }, echoed: { authorization: echo, raw: OTHER } } },
      ]);
      const error = await client.request('GET', '/x', undefined, { Authorization: `Bearer ${OTHER}`, 'X-Api-Key': 'k_abcdefgh12345' }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SiglumeAuthenticationError);
      const everything = `${(error as Error).message} ${JSON.stringify(error)} ${inspect(error, { depth: 10 })} ${(error as Error).stack}`;
      expect(everything).not.toContain(OTHER);
      expect(everything).not.toContain(TOKEN);
      expect((error as SiglumeApiError).message).toBe('bad [redacted] and [redacted]');
    });

    it('retries a GET after a 502, but a POST without an idempotency key only after a refusal', async () => {
      const reply = (status: number) => (status === 200 ? { body: envelope({ ok: true }) } : { status, body: { error: { code: `E${status}` } } });
      const get = clientWith([reply(502), reply(200)], 1);
      expect(await get.client.request('GET', '/x')).toEqual({ ok: true });
      const post = clientWith([reply(502), reply(200)], 1);
      await expect(post.client.request('POST', '/pay', {})).rejects.toBeInstanceOf(SiglumeServerError);
      expect(post.calls).toHaveLength(1);
      const refused = clientWith([reply(503), reply(200)], 1);
      expect(await refused.client.request('POST', '/pay', {})).toEqual({ ok: true });
      const keyed = clientWith([reply(502), reply(200)], 1);
      expect(await keyed.client.request('POST', '/pay', {}, {}, { idempotency_key: 'pay-1' })).toEqual({ ok: true });
      expect(keyed.calls.map((c) => c.headers['Idempotency-Key'])).toEqual(['pay-1', 'pay-1']);
    });
  });

  describe('when the arguments are invalid', () => {
    it.each([
      ['method', () => ['TRACE', '/x'], 'must be one of GET, POST, PUT, PATCH, DELETE'],
      ['path', () => ['GET', 'sdrp/x'], 'must start with "/"'],
      ['path', () => ['GET', '@evil.example/x'], 'must start with "/"'],
      ['path', () => ['GET', '/a b'], 'without spaces'],
      ['path', () => ['GET', '/a#frag'], 'fragment'],
      ['extra_headers.X-Bad', () => ['GET', '/x', undefined, { 'X-Bad': 'v\r\nInjected: 1' }], 'without line breaks'],
      ['extra_headers.Bad Name', () => ['GET', '/x', undefined, { 'Bad Name': 'v' }], 'not a valid header name'],
      ['json_body', () => ['POST', '/x', { n: 1n }], 'JSON-serializable'],
      ['json_body', () => ['GET', '/x', { q: 1 }], 'a GET request has no body'],
    ] as const)('refuses a bad %s before sending', async (field, args, reason) => {
      const { client, calls } = clientWith([]);
      const error = await (client.request as (...a: unknown[]) => Promise<unknown>)(...args()).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SiglumeValidationError);
      expect(error).toMatchObject({ field });
      expect((error as Error).message).toContain(reason);
      expect((error as Error).message).not.toContain('Injected');
      expect(calls).toHaveLength(0);
    });
  });
});

describe.each([
  { name: 'over a socket', inProcess: false },
  { name: 'in-process through handle.fetch', inProcess: true },
])('request against the sandbox ($name)', ({ inProcess }) => {
  let sandbox: SandboxHandle;
  beforeEach(async () => {
    sandbox = inProcess ? await createSandbox({ quiet: true }) : await startSandbox({ port: 0, quiet: true });
  });
  afterEach(async () => {
    await sandbox.close();
  });
  const fetchOption = () => (inProcess ? { fetch: (url: string, init: RequestInit) => sandbox.fetch(new Request(url, init)) } : {});

  it('reads a merchant, reaches the sandbox through SIGLUME_ENV=sandbox, and types a refusal', async () => {
    vi.stubEnv('SIGLUME_ENV', 'sandbox');
    vi.stubEnv('SIGLUME_SANDBOX_API_BASE', sandbox.api_base);
    const merchant = new DirectRequestPaymentMerchantClient({ auth_token: sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN, max_retries: 0, ...fetchOption() });
    expect(merchant.base_url).toBe(sandbox.api_base);
    const key = sandbox.env.SIGLUME_DIRECT_PAYMENT_MERCHANT;
    const data = await merchant.request<{ merchant_account: { merchant: string } }>('GET', `/sdrp/direct-payments/merchants/${key}`);
    expect(data.merchant_account.merchant).toBe(key);

    const buyer = new DirectRequestPaymentClient({ auth_token: sandbox.buyer_token, max_retries: 0, ...fetchOption() });
    const summary = await buyer.request<{ usage_event_count: number }>('GET', '/sdrp/metered/my-summary?plan_type=micro');
    expect(summary.usage_event_count).toBe(0);

    const error = await merchant
      .request('GET', `/sdrp/direct-payments/merchants/${key}`, undefined, { Authorization: `Bearer ${OTHER}` })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SiglumeAuthenticationError);
    expect(JSON.stringify(error) + (error as Error).message).not.toContain(OTHER);
  });
});
