import http from 'node:http';
import { inspect } from 'node:util';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  SiglumeApiError,
  SiglumeAuthenticationError,
  SiglumeConflictError,
  SiglumeConnectionError,
  SiglumeInvalidResponseError,
  SiglumeNotFoundError,
  SiglumeRateLimitError,
  SiglumeServerError,
  SiglumeTimeoutError,
  SiglumeValidationError,
} from '../../src/core/errors.js';
import { Transport } from '../../src/core/transport.js';
import type { FetchLike, FetchLikeInit } from '../../src/core/transport-types.js';
import { DirectRequestPaymentClient } from '../../src/clients/buyer.js';
import { DirectRequestPaymentMerchantClient } from '../../src/clients/merchant.js';

type Handler = (req: http.IncomingMessage, res: http.ServerResponse, body: string) => void;

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  socket: unknown;
}

let server: http.Server;
let base: string;
let script: Handler[] = [];
let seen: Seen[] = [];
const hung = new Set<http.ServerResponse>();

/** Resolves with the rejection reason; fails the test if the promise resolves. */
function caught(promise: Promise<unknown>): Promise<any> {
  return promise.then(
    () => {
      throw new Error('expected the request to fail');
    },
    (error: unknown) => error,
  );
}

function json(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(JSON.stringify(body));
}

beforeAll(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body, socket: req.socket });
      const handler = script.shift() ?? ((_q, r) => json(r, 200, { data: { ok: true } }));
      handler(req, res, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
});

afterAll(async () => {
  for (const res of hung) res.destroy();
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  script = [];
  seen = [];
});

function transport(extra: Partial<ConstructorParameters<typeof Transport>[0]> = {}) {
  // random() = 1 takes the shortest jittered delay (375 ms, 750 ms), keeping the suite quick.
  return new Transport({ base_url: base, auth_token: 'tok_secret_value', random: () => 1, ...extra });
}

describe('Transport', () => {
  describe('when the server answers 200', () => {
    it('sends the documented headers and unwraps the data envelope', async () => {
      script.push((_q, r) => json(r, 200, { data: { id: 'x' }, meta: { request_id: 'req_1' } }));
      const out = await transport().request({ method: 'POST', path: '/things', body: { a: 1 } });
      expect(out).toEqual({ id: 'x' });
      const h = seen[0]!.headers;
      expect(h.authorization).toBe('Bearer tok_secret_value');
      expect(h.accept).toBe('application/json');
      expect(h['content-type']).toBe('application/json');
      expect(h['user-agent']).toMatch(/^@siglume\/direct-request-payment\/\d+\.\d+\.\d+/);
      expect(h['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
      expect(JSON.parse(seen[0]!.body)).toEqual({ a: 1 });
    });

    it('sends no body, content type or idempotency key on a GET and keeps the query order', async () => {
      await transport().request({
        method: 'GET',
        path: '/q',
        query: [['b', 'two'], ['skip', undefined], ['a', 1], ['c', true]],
      });
      expect(seen[0]!.url).toBe('/v1/q?b=two&a=1&c=true');
      expect(seen[0]!.headers['content-type']).toBeUndefined();
      expect(seen[0]!.headers['idempotency-key']).toBeUndefined();
    });

    it('returns {} for an empty body and a body without data as is', async () => {
      script.push((_q, r) => r.writeHead(200).end());
      script.push((_q, r) => json(r, 200, { items: [1] }));
      expect(await transport().request({ method: 'GET', path: '/e' })).toEqual({});
      expect(await transport().request({ method: 'GET', path: '/e' })).toEqual({ items: [1] });
    });

    it('reuses keep-alive connections across sequential requests', async () => {
      const t = transport();
      for (let i = 0; i < 10; i++) await t.request({ method: 'GET', path: '/k' });
      // undici may open a second socket while the first is being released; without
      // keep-alive there would be ten.
      expect(new Set(seen.map((s) => s.socket)).size).toBeLessThanOrEqual(2);
    });

    it('raises INVALID_JSON_RESPONSE with status 502 for a body that is not JSON', async () => {
      script.push((_q, r) => r.writeHead(200, { 'content-type': 'text/html' }).end('<html>oops</html>'));
      const err = await caught(transport().request({ method: 'GET', path: '/h' }));
      expect(err).toBeInstanceOf(SiglumeApiError);
      expect(err).toMatchObject({ status: 502, code: 'INVALID_JSON_RESPONSE' });
      expect(seen).toHaveLength(1);
    });
  });

  describe('when the server answers an error envelope', () => {
    it.each([
      [400, SiglumeApiError],
      [401, SiglumeAuthenticationError],
      [404, SiglumeNotFoundError],
      [409, SiglumeConflictError],
    ])('does not retry a %i and throws its typed error with request ids', async (status, cls) => {
      script.push((_q, r) =>
        json(r, status, { error: { code: 'SOME_CODE', message: 'nope' }, meta: { request_id: 'req_9', trace_id: 'tr_9' } }),
      );
      const err = await caught(transport().request({ method: 'POST', path: '/x', body: {} }));
      expect(err).toBeInstanceOf(cls);
      expect(err).toMatchObject({ status, code: 'SOME_CODE', message: 'nope', request_id: 'req_9', trace_id: 'tr_9' });
      expect(seen).toHaveLength(1);
    });

    it('falls back to HTTP_<status> and the status text for a flat or empty error body', async () => {
      script.push((_q, r) => r.writeHead(404).end());
      const err = await caught(transport().request({ method: 'GET', path: '/x' }));
      expect(err).toMatchObject({ status: 404, code: 'HTTP_404', message: 'Not Found' });
    });

    it('reads a flat { code, message } body', async () => {
      script.push((_q, r) => json(r, 422, { code: 'VALIDATION_ERROR', message: 'amount_minor is bad' }));
      const err = await caught(transport().request({ method: 'GET', path: '/x' }));
      expect(err).toMatchObject({ status: 422, code: 'VALIDATION_ERROR', message: 'amount_minor is bad' });
    });

    it('names the field the API rejected as error.field (nested or flat), null when it names none', async () => {
      script.push((_q, r) => json(r, 422, { error: { code: 'VALIDATION_ERROR', message: 'bad', field: 'currency' } }));
      script.push((_q, r) => json(r, 422, { code: 'VALIDATION_ERROR', message: 'bad', field: 'amount_minor' }));
      script.push((_q, r) => json(r, 422, { error: { code: 'VALIDATION_ERROR', message: 'bad', field: 42 } }));
      const fields = [];
      for (let i = 0; i < 3; i += 1) fields.push((await caught(transport().request({ method: 'GET', path: '/x' }))).field);
      expect(fields).toEqual(['currency', 'amount_minor', null]);
    });

    it('throws the typed error for a body nested 100,000 levels deep, not a stack overflow', async () => {
      const deep = `{"error":{"code":"DEEP","message":"nope"},"detail":${'['.repeat(100_000)}1${']'.repeat(100_000)}}`;
      script.push((_q, r) => r.writeHead(400, { 'content-type': 'application/json' }).end(deep));
      const err = await caught(transport().request({ method: 'GET', path: '/x' }));
      expect(err).toBeInstanceOf(SiglumeApiError);
      expect(err).toMatchObject({ status: 400, code: 'DEEP', message: 'nope' });
    });

    it('applies the spec mapError before throwing', async () => {
      script.push((_q, r) => json(r, 404, { error: { code: 'ROUTE_NOT_FOUND', message: 'x' } }));
      const err = await caught(transport()
        .request({ method: 'GET', path: '/x', mapError: (e) => new SiglumeApiError({ status: 418, code: 'MAPPED', message: e.code }) }));
      expect(err).toMatchObject({ status: 418, code: 'MAPPED', message: 'ROUTE_NOT_FOUND' });
    });
  });

  describe('when the server fails transiently', () => {
    it('honours Retry-After on a 429 and then succeeds', async () => {
      script.push((_q, r) => json(r, 429, { error: { code: 'RATE_LIMITED', message: 'slow down' } }, { 'retry-after': '1' }));
      const started = Date.now();
      const out = await transport().request({ method: 'GET', path: '/r' });
      expect(out).toEqual({ ok: true });
      expect(seen).toHaveLength(2);
      expect(Date.now() - started).toBeGreaterThanOrEqual(950);
    });

    it('retries a POST after a 503 with the same Idempotency-Key', async () => {
      script.push((_q, r) => json(r, 503, { error: { code: 'UNAVAILABLE', message: 'down' } }));
      await transport().request({ method: 'POST', path: '/p', body: { n: 1 } });
      expect(seen).toHaveLength(2);
      expect(seen[0]!.headers['idempotency-key']).toBe(seen[1]!.headers['idempotency-key']);
    });

    it('retries a GET after a 500 (CONTRACT-2: every 5xx is transient) and returns the next answer', async () => {
      script.push((_q, r) => json(r, 500, { error: { code: 'INTERNAL', message: 'boom' } }));
      await expect(transport().request({ method: 'GET', path: '/r' })).resolves.toEqual({ ok: true });
      expect(seen).toHaveLength(2);
    });

    it('ends a status text without a full stop with one before saying an earlier attempt may have acted', async () => {
      for (const method of ['GET', 'POST'] as const) {
        script.push((_q, r) => void r.writeHead(500).end(), (_q, r) => void r.writeHead(500).end());
        const err = await caught(transport({ max_retries: 1 }).request({ method, path: '/r', ...(method === 'POST' ? { body: {} } : {}) }));
        expect(err.message).toMatch(/^Internal Server Error\. An earlier attempt may have reached Siglume/);
      }
      // An API message that is already a sentence gets no second full stop.
      script.push(
        (_q, r) => json(r, 500, { error: { code: 'INTERNAL', message: 'Boom.' } }),
        (_q, r) => json(r, 500, { error: { code: 'INTERNAL', message: 'Boom.' } }),
      );
      expect((await caught(transport({ max_retries: 1 }).request({ method: 'GET', path: '/r' }))).message).toMatch(/^Boom\. An earlier/);
    });

    it('does not retry a 501: the server cannot do it at all', async () => {
      script.push((_q, r) => json(r, 501, { error: { code: 'NOT_IMPLEMENTED', message: 'no' } }));
      await expect(caught(transport().request({ method: 'GET', path: '/r' }))).resolves.toBeInstanceOf(SiglumeServerError);
      expect(seen).toHaveLength(1);
    });

    it('keeps a caller-supplied Idempotency-Key on every attempt', async () => {
      script.push((_q, r) => json(r, 502, {}), (_q, r) => json(r, 504, {}));
      await transport().request({ method: 'POST', path: '/p', body: {}, options: { idempotency_key: 'order-7-attempt-1' } });
      expect(seen.map((s) => s.headers['idempotency-key'])).toEqual(['order-7-attempt-1', 'order-7-attempt-1', 'order-7-attempt-1']);
    });

    it('retries a dropped connection and then succeeds', async () => {
      script.push((req) => req.socket.destroy());
      const out = await transport().request({ method: 'POST', path: '/d', body: {} });
      expect(out).toEqual({ ok: true });
      expect(seen).toHaveLength(2);
      expect(seen[0]!.headers['idempotency-key']).toBe(seen[1]!.headers['idempotency-key']);
    });

    it('gives up after max_retries with a typed server error', async () => {
      for (let i = 0; i < 3; i++) script.push((_q, r) => json(r, 503, { error: { code: 'UNAVAILABLE', message: 'down' } }));
      const err = await caught(transport().request({ method: 'GET', path: '/g' }));
      expect(err).toBeInstanceOf(SiglumeServerError);
      expect(seen).toHaveLength(3);
    });

    it('makes exactly one attempt when max_retries is 0', async () => {
      script.push((_q, r) => json(r, 429, {}, { 'retry-after': '0' }));
      const err = await caught(transport({ max_retries: 0 }).request({ method: 'GET', path: '/g' }));
      expect(err).toBeInstanceOf(SiglumeRateLimitError);
      expect(err.retry_after_ms).toBe(0);
      expect(seen).toHaveLength(1);
    });

    it('does not wait out a Retry-After longer than a minute', async () => {
      script.push((_q, r) => json(r, 429, {}, { 'retry-after': '3600' }));
      const err = await caught(transport().request({ method: 'GET', path: '/g' }));
      expect(err).toBeInstanceOf(SiglumeRateLimitError);
      expect(err.retry_after_ms).toBe(3_600_000);
      expect(seen).toHaveLength(1);
    });
  });

  describe('when the server hangs', () => {
    it('times out each attempt and ends with a SiglumeTimeoutError, not an AbortError', async () => {
      const hang: Handler = (_q, r) => void hung.add(r);
      script.push(hang, hang);
      const err = await caught(transport({ timeout_ms: 150, max_retries: 1 }).request({ method: 'GET', path: '/slow' }));
      expect(err).toBeInstanceOf(SiglumeTimeoutError);
      expect(err).toBeInstanceOf(SiglumeConnectionError);
      expect(err.code).toBe('TIMEOUT');
      expect(err.name).not.toBe('AbortError');
      expect(seen).toHaveLength(2);
    });

    it('times out a custom fetch through the AbortSignal it is given', async () => {
      const hangingFetch = (_url: string, init: { signal: AbortSignal }) =>
        new Promise<never>((_resolve, reject) => init.signal.addEventListener('abort', () => reject(init.signal.reason)));
      let calls = 0;
      const t = transport({ timeout_ms: 100, max_retries: 1, fetch: (url, init) => (calls++, hangingFetch(url, init)) });
      const err = await caught(t.request({ method: 'GET', path: '/slow' }));
      expect(err).toBeInstanceOf(SiglumeTimeoutError);
      expect(calls).toBe(2);
    });

    it('stops at once when the caller aborts, with a typed error', async () => {
      script.push((_q, r) => void hung.add(r));
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const err = await caught(transport().request({ method: 'GET', path: '/slow', options: { signal: controller.signal } }));
      expect(err).toBeInstanceOf(SiglumeConnectionError);
      expect(err.code).toBe('REQUEST_ABORTED');
      expect(seen).toHaveLength(1);
    });
  });

  describe('when the caller aborts before anything could act', () => {
    const refusing = (onSend: () => void) => async () => {
      onSend();
      return new Response('{}', { status: 429, headers: { 'Retry-After': '5' } });
    };

    it('says nothing was sent when the signal was aborted before the first attempt', async () => {
      const controller = new AbortController();
      controller.abort();
      let sent = 0;
      const t = transport({ fetch: refusing(() => sent++) });
      const err = await caught(t.request({ method: 'POST', path: '/x', body: {}, options: { signal: controller.signal } }));
      expect([err.code, err.may_have_acted, err.attempts, sent]).toEqual(['REQUEST_ABORTED', false, 0, 0]);
      expect(err.message).toContain('Nothing was sent for POST /x.');
    });

    it('says nothing was carried out, not that nothing was sent, when aborted while waiting to repeat a 429', async () => {
      const controller = new AbortController();
      let sent = 0;
      const t = transport({ max_retries: 2, fetch: refusing(() => (sent++, setTimeout(() => controller.abort(), 20))) });
      const err = await caught(t.request({ method: 'POST', path: '/x', body: {}, options: { signal: controller.signal } }));
      expect([err.code, err.may_have_acted, err.attempts, sent]).toEqual(['REQUEST_ABORTED', false, 1, 1]);
      expect(err.message).toContain('Nothing was carried out: every attempt was refused or never sent.');
      expect(err.message).not.toContain('Nothing was sent');
    });
  });

  describe('when nothing listens', () => {
    it('throws a SiglumeConnectionError that keeps the cause and never the token', async () => {
      const closed = http.createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      const t = new Transport({ base_url: `http://127.0.0.1:${port}/v1`, auth_token: 'tok_secret_value', max_retries: 1, random: () => 1 });
      const err = await caught(t.request({ method: 'GET', path: '/x' }));
      expect(err).toBeInstanceOf(SiglumeConnectionError);
      expect(err.code).toBe('CONNECTION_ERROR');
      expect(err.cause).toBeDefined();
      expect(err.message).toContain('ECONNREFUSED');
      expect(`${err.message} ${err.stack}`).not.toContain('tok_secret_value');
    });
  });

  describe('when fetch refuses the port (6666: a port the Fetch standard blocks)', () => {
    it('says nothing was sent, naming the port, after one attempt', async () => {
      // Node's global fetch blocks the port (readiness sends with it); undici's request, the default sender, does not.
      const t = new Transport({
        base_url: 'http://127.0.0.1:6666/v1',
        auth_token: 'tok_secret_value',
        max_retries: 2,
        random: () => 1,
        fetch: (url, init) => fetch(url, init as RequestInit),
      });
      const err = await caught(t.request({ method: 'POST', path: '/x', body: {} }));
      expect(err).toBeInstanceOf(SiglumeConnectionError);
      expect(err).toMatchObject({ may_have_acted: false, attempts: 1 });
      expect(err.message).toContain('POST /x was not sent. fetch refuses port 6666');
      expect(err.message).not.toMatch(/may have reached|acted on/);
    });
  });

  describe('when a custom fetch fails with the request in its message', () => {
    it('keeps the token out of the SiglumeConnectionError message', async () => {
      const fetch: FetchLike = async (_url, init) => {
        const auth = (init?.headers as Record<string, string>).Authorization;
        throw new TypeError(`request failed: Authorization "${auth}" to ${String(_url)}`);
      };
      const err = await caught(transport({ fetch, max_retries: 0 }).request({ method: 'GET', path: '/x' }));
      expect(err).toBeInstanceOf(SiglumeConnectionError);
      expect(err.message).toContain('request failed: Authorization "Bearer [redacted]"');
      // What a logger prints of the error (console.error, pino's err serializer) includes the cause.
      expect(inspect(err, { depth: 5 })).not.toContain('tok_secret_value');
      expect(err.cause).toMatchObject({ name: 'TypeError', message: expect.stringContaining('Bearer [redacted]') });
    });

    it('keeps the token out of what a logger prints when the error carries the request as an object', async () => {
      // An axios-style error: the request's headers on a property, one as a plain object, one as a Headers instance.
      const fetch: FetchLike = async (url, init) => {
        const headers = init?.headers as Record<string, string>;
        const error = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', errno: -104 });
        throw Object.assign(error, { config: { url: String(url), headers }, request: new Headers(headers) });
      };
      const err = await caught(transport({ fetch, max_retries: 0 }).request({ method: 'GET', path: '/x' }));
      expect(err).toBeInstanceOf(SiglumeConnectionError);
      expect(inspect(err, { depth: Infinity, showHidden: true })).not.toContain('tok_secret_value');
      // What the retry rules and a person read survives: the code, the errno, the message.
      expect(err.cause).toMatchObject({ code: 'ECONNRESET', errno: -104, message: 'socket hang up' });
      expect(err.message).toContain('(ECONNRESET; 1 attempt)');
    });
  });

  describe('when a custom fetch throws something that is not an Error', () => {
    it('keeps the token out of a thrown text, a plain-object cause and a thrown plain object', async () => {
      const throwers: Array<(init: FetchLikeInit) => never> = [
        (init) => {
          throw `request failed: ${init.headers.Authorization}`;
        },
        (init) => {
          throw new TypeError('fetch failed', { cause: { headers: init.headers } });
        },
        (init) => {
          throw { message: 'bad', config: { headers: init.headers }, code: 'ECONNRESET' };
        },
      ];
      for (const thrower of throwers) {
        const fetch: FetchLike = async (_url, init) => thrower(init);
        const err = await caught(transport({ fetch, max_retries: 0 }).request({ method: 'GET', path: '/x' }));
        expect(err).toBeInstanceOf(SiglumeConnectionError);
        expect(`${err.message} ${inspect(err, { depth: Infinity, showHidden: true })}`).not.toContain('tok_secret_value');
      }
    });
  });

  describe('when a response misses a field the SDK relies on', () => {
    it('throws SiglumeInvalidResponseError naming the field', async () => {
      const { z } = await import('zod');
      script.push((_q, r) => json(r, 200, { data: { session_id: 's' } }));
      const schema = z.looseObject({ checkout_url: z.string().min(1), session_id: z.string() });
      const err = await caught(transport().request({ method: 'GET', path: '/s', schema }));
      expect(err).toBeInstanceOf(SiglumeInvalidResponseError);
      expect(err.code).toBe('INVALID_RESPONSE_SHAPE');
      expect(err.message).toContain('checkout_url');
    });

    it('passes unknown fields through', async () => {
      const { z } = await import('zod');
      script.push((_q, r) => json(r, 200, { data: { checkout_url: 'u', session_id: 's', extra: 1 } }));
      const schema = z.looseObject({ checkout_url: z.string(), session_id: z.string() });
      expect(await transport().request({ method: 'GET', path: '/s', schema })).toEqual({ checkout_url: 'u', session_id: 's', extra: 1 });
    });
  });

  it('is not a validation error class (sanity of the tree)', () => {
    expect(new SiglumeTimeoutError(1)).not.toBeInstanceOf(SiglumeValidationError);
  });
});

describe('Transport error data', () => {
  it('never carries a shown-once secret from a response that failed its schema', async () => {
    const { z } = await import('zod');
    script.push((_q, r) =>
      json(r, 200, { data: { merchant_account: 7, challenge_secret: 'sk_challenge_value', nested: [{ signing_secret: 'whsec_value', signing_secret_hint: 'alue' }] } }),
    );
    const schema = z.looseObject({ merchant_account: z.looseObject({}) });
    const err = await caught(transport().request({ method: 'POST', path: '/m', body: {}, schema }));
    expect(err).toBeInstanceOf(SiglumeInvalidResponseError);
    const dump = JSON.stringify(err.data);
    expect(dump).not.toContain('sk_challenge_value');
    expect(dump).not.toContain('whsec_value');
    expect(err.data).toMatchObject({ merchant_account: 7, nested: [{ signing_secret_hint: 'alue' }] });
  });
});

describe('Transport error text', () => {
  it('removes its own token when a server echoes it back', async () => {
    script.push((_q, r) =>
      json(r, 401, { error: { code: 'UNAUTHORIZED', message: 'bad token Bearer tok_secret_value' }, echo: { authorization: 'Bearer tok_secret_value' } }),
    );
    const err = await caught(transport().request({ method: 'GET', path: '/x' }));
    expect(err.code).toBe('UNAUTHORIZED');
    expect(`${err.message} ${JSON.stringify(err.data)}`).not.toContain('tok_secret_value');
    expect(err.message).toBe('bad token Bearer [redacted]');
  });
});

describe('Transport retry policy, seen through the clients', () => {
  const PAYLOAD = {
    transaction_request: { to: '0xabc', data: '0x01' },
    receipt_kind: 'direct_payment',
    reference_type: 'direct_payment_requirement',
    reference_id: 'req_1',
  };
  const EXECUTION = { status: 'submitted', receipt_id: 'rcpt_1' };
  const SESSION = { checkout_url: 'https://siglume.example/pay/cs_1', session_id: 'cs_1', challenge_hash: 'sha256:00' };
  const unavailable: Handler = (_q, r) => json(r, 503, { error: { code: 'UNAVAILABLE', message: 'down' } }, { 'retry-after': '0' });
  const buyer = (extra: { base_url?: string; timeout_ms?: number; fetch?: FetchLike } = {}) =>
    new DirectRequestPaymentClient({ auth_token: 'tok_secret_value', base_url: base, ...extra });

  describe('when an on-chain execution is refused before the server acted', () => {
    it('retries it after a 503 with the same Idempotency-Key', async () => {
      script.push(unavailable, (_q, r) => json(r, 200, { data: EXECUTION }));
      await expect(buyer().executePreparedTransaction(PAYLOAD)).resolves.toEqual(EXECUTION);
      expect(seen).toHaveLength(2);
      expect(seen[0]!.headers['idempotency-key']).toBe(seen[1]!.headers['idempotency-key']);
    });

    it("retries it after a 503 carrying the API's error envelope, even without Retry-After", async () => {
      script.push((_q, r) => json(r, 503, { error: { code: 'UNAVAILABLE', message: 'down' } }), (_q, r) => json(r, 200, { data: EXECUTION }));
      await expect(buyer().executePreparedTransaction(PAYLOAD)).resolves.toEqual(EXECUTION);
      expect(seen).toHaveLength(2);
    });

    it('retries it after a proxy 503 that carries Retry-After', async () => {
      script.push((_q, r) => r.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '0' }).end('service unavailable'));
      script.push((_q, r) => json(r, 200, { data: EXECUTION }));
      await expect(buyer().executePreparedTransaction(PAYLOAD)).resolves.toEqual(EXECUTION);
      expect(seen).toHaveLength(2);
    });

    it('retries it after a 429', async () => {
      script.push((_q, r) => json(r, 429, { error: { code: 'RATE_LIMITED', message: 'slow down' } }, { 'retry-after': '0' }));
      script.push((_q, r) => json(r, 200, { data: EXECUTION }));
      await expect(buyer().executePreparedTransaction(PAYLOAD)).resolves.toEqual(EXECUTION);
      expect(seen).toHaveLength(2);
    });

    it('retries it after ECONNREFUSED, once something listens', async () => {
      const late = http.createServer((req, res) => {
        req.resume();
        req.on('end', () => json(res, 200, { data: EXECUTION }));
      });
      const probe = http.createServer();
      await new Promise<void>((resolve) => probe.listen(0, '127.0.0.1', resolve));
      const port = (probe.address() as AddressInfo).port;
      await new Promise((resolve) => probe.close(resolve));
      const errors: unknown[] = [];
      // The real fetch over a real socket; the server starts only after the
      // first attempt was refused, so the retry finds it.
      const fetch: FetchLike = async (url, init) => {
        try {
          return await globalThis.fetch(url, init);
        } catch (error) {
          errors.push(error);
          await new Promise<void>((resolve) => late.listen(port, '127.0.0.1', resolve));
          throw error;
        }
      };
      try {
        await expect(buyer({ base_url: `http://127.0.0.1:${port}/v1`, fetch }).executePreparedTransaction(PAYLOAD)).resolves.toEqual(EXECUTION);
        expect(errors).toHaveLength(1);
        expect((errors[0] as { cause?: { code?: string } }).cause?.code).toBe('ECONNREFUSED');
      } finally {
        late.closeAllConnections();
        await new Promise((resolve) => late.close(resolve));
      }
    });
  });

  const AUTHORIZATION = {
    authorization_id: 'sapa_1', id: 'sapa_1', buyer_user_id: 'usr_1', product_listing_id: 'pl_1', listing_id: 'pl_1',
    capability_key: 'external_402.shop_alpha', expected_amount_minor: 300, max_amount_minor: 300, currency: 'JPY', token_symbol: 'JPYC', status: 'active',
  };
  const RUN = { status: 'executed', charge_status: 'settled', authorization: AUTHORIZATION };
  const INPUT = { schedule_token: 'sched_tok_0123456789abcdef', slot_id: 'slot-2026-11-27' };
  type MoneyCall = (client: DirectRequestPaymentClient, options?: { idempotency_key: string }) => Promise<unknown>;

  const SUBSCRIPTION = { subscription_status: 'created', merchant: 'shop_alpha', mandate: { mandate_id: 'm_1' }, initial_charge: { status: 'settled' } };
  const SUBSCRIBE = {
    merchant: 'shop_alpha',
    amount_minor: 980,
    currency: 'JPY',
    challenge: 'siglume-external-402-recurring-v1:r1:91500f2f68ec065115a36d0b00e28fcc0d3e2bbbda081aa550f111c9b09bc9fb',
  };

  // The calls that move money: a repeat after the server may have acted could pay twice.
  describe.each([
    { name: 'an on-chain execution', answer: EXECUTION, key: 'pay-req_1-1', call: ((c, o) => c.executePreparedTransaction(PAYLOAD, o)) as MoneyCall },
    { name: 'a scheduled auto-pay charge', answer: RUN, key: 'slot-2026-11-27', call: ((c, o) => c.executeScheduledAutoPay(INPUT, o)) as MoneyCall },
    { name: 'a subscription with its initial charge', answer: SUBSCRIPTION, key: 'sub-shop_alpha-1', call: ((c, o) => c.createSubscription(SUBSCRIBE, o)) as MoneyCall },
  ])('when the server may have acted on $name', ({ answer, key, call }) => {
    it('does not retry it after a timeout', async () => {
      script.push((_q, r) => void hung.add(r), (_q, r) => json(r, 200, { data: answer }));
      const err = await caught(call(buyer({ timeout_ms: 150 })));
      expect(err).toBeInstanceOf(SiglumeTimeoutError);
      expect(seen).toHaveLength(1);
    });

    it('does not retry it after a 500: the server may have acted half-way', async () => {
      script.push((_q, r) => json(r, 500, { error: { code: 'INTERNAL', message: 'boom' } }), (_q, r) => json(r, 200, { data: answer }));
      const err = await caught(call(buyer()));
      expect(err).toBeInstanceOf(SiglumeServerError);
      expect(seen).toHaveLength(1);
    });

    it('does not retry it after the connection was reset once the request was sent', async () => {
      script.push((req) => req.socket.destroy(), (_q, r) => json(r, 200, { data: answer }));
      const err = await caught(call(buyer()));
      expect(err).toBeInstanceOf(SiglumeConnectionError);
      expect(err).not.toBeInstanceOf(SiglumeTimeoutError);
      expect(seen).toHaveLength(1);
    });

    it('retries it after a timeout when the caller supplied the idempotency key', async () => {
      script.push((_q, r) => void hung.add(r), (_q, r) => json(r, 200, { data: answer }));
      await expect(call(buyer({ timeout_ms: 150 }), { idempotency_key: key })).resolves.toEqual(answer);
      expect(seen.map((s) => s.headers['idempotency-key'])).toEqual([key, key]);
    });
  });

  describe('when a proxy answers 503 without the API envelope or Retry-After', () => {
    const envoy: Handler = (_q, r) =>
      r.writeHead(503, { 'content-type': 'text/plain' }).end('upstream connect error or disconnect/reset before headers. reset reason: connection termination');

    it('does not retry an on-chain execution: the upstream may have acted', async () => {
      script.push(envoy, (_q, r) => json(r, 200, { data: EXECUTION }));
      const err = await caught(buyer().executePreparedTransaction(PAYLOAD));
      expect(err).toBeInstanceOf(SiglumeApiError);
      expect(err.data).toMatchObject({ http_status: 503 });
      expect(seen).toHaveLength(1);
    });

    it('does not retry a JSON 503 from a proxy that is not the API envelope', async () => {
      script.push((_q, r) => json(r, 503, { message: 'no healthy upstream' }), (_q, r) => json(r, 200, { data: EXECUTION }));
      await expect(caught(buyer().executePreparedTransaction(PAYLOAD))).resolves.toBeInstanceOf(SiglumeServerError);
      expect(seen).toHaveLength(1);
    });

    it('still retries it for a read', async () => {
      script.push(envoy, (_q, r) => json(r, 200, { data: { requirement_id: 'req_1' } }));
      await buyer().request('GET', '/sdrp/direct-payments/requirements/req_1', undefined, {}, { max_retries: 1 });
      expect(seen).toHaveLength(2);
    });
  });

  describe('when the connection fails, the error says whether Siglume may have acted', () => {
    it('says a payment whose connection was lost after the server read it may have been acted on', async () => {
      script.push((req) => req.socket.destroy());
      const err = await caught(buyer().executePreparedTransaction(PAYLOAD));
      expect(err).toBeInstanceOf(SiglumeConnectionError);
      expect(err).toMatchObject({
        code: 'CONNECTION_ERROR',
        method: 'POST',
        path: '/market/web3/transactions/execute-prepared',
        attempts: 1,
        may_have_acted: true,
      });
      expect(err.message).toContain('may have reached Siglume');
      expect(err.message).toContain('getPaymentRequirement');
      expect(err.message).not.toContain('Check SIGLUME_API_BASE');
      expect(seen).toHaveLength(1);
    });

    it('says a payment that timed out may have been acted on', async () => {
      script.push((_q, r) => void hung.add(r));
      const err = await caught(buyer({ timeout_ms: 150 }).executePreparedTransaction(PAYLOAD));
      expect(err).toBeInstanceOf(SiglumeTimeoutError);
      expect(err).toMatchObject({ code: 'TIMEOUT', timeout_ms: 150, method: 'POST', attempts: 1, may_have_acted: true });
      expect(err.message).toMatch(/^Request timed out after 150 ms \(POST \/market\/web3\/transactions\/execute-prepared, 1 attempt\)/);
      expect(err.message).toContain('Look up what it would have made (a payment: getPaymentRequirement;');
    });

    it('says a refusal of the retry (429) does not clear an earlier attempt that timed out: may_have_acted and look first', async () => {
      // Attempt 1 is held past the deadline (the server may have paid); the retry, with the same key, is refused.
      script.push((_q, r) => void hung.add(r));
      script.push((_q, r) => json(r, 429, { error: { code: 'RATE_LIMITED', message: 'Too many requests' } }, { 'retry-after': '0' }));
      const err = await caught(buyer({ timeout_ms: 150 }).executePreparedTransaction(PAYLOAD, { idempotency_key: 'pay-1', max_retries: 1 }));
      expect(err).toBeInstanceOf(SiglumeRateLimitError);
      expect(err).toMatchObject({ status: 429, code: 'RATE_LIMITED', may_have_acted: true });
      expect(err.message).toContain('Too many requests. An earlier attempt may have reached Siglume and been acted on. Look up what it would have made (a payment: getPaymentRequirement;');
      expect(seen.map((s) => s.headers['idempotency-key'])).toEqual(['pay-1', 'pay-1']);
      // A refusal with no lost attempt before it says nothing of the kind.
      script.push((_q, r) => json(r, 429, { error: { code: 'RATE_LIMITED', message: 'Too many requests' } }, { 'retry-after': '0' }));
      const plain = await caught(buyer().executePreparedTransaction(PAYLOAD, { idempotency_key: 'pay-2', max_retries: 0 }));
      expect(plain).toMatchObject({ status: 429, may_have_acted: false, message: 'Too many requests' });
    });

    it('keeps may_have_acted through a redirect answering the retry of an attempt whose connection was lost', async () => {
      script.push((req) => req.socket.destroy());
      script.push((_q, r) => void r.writeHead(302, { location: 'https://elsewhere.example/' }).end());
      const err = await caught(buyer().executePreparedTransaction(PAYLOAD, { idempotency_key: 'pay-3', max_retries: 1 }));
      expect(err.name).toBe('SiglumeRedirectError');
      expect(err.may_have_acted).toBe(true);
      expect(err.message).toContain('An earlier attempt may have reached Siglume and been acted on');
      expect(err.message.match(/An earlier attempt may have reached Siglume/g)).toHaveLength(1);
    });

    it('says a change answered with a 5xx, or with a success it could not read, may have been carried out; a read or a refusal did not', async () => {
      const failure = { error: { code: 'INTERNAL_ERROR', message: 'something went wrong' } };
      script.push((_q, r) => json(r, 500, failure));
      expect(await caught(buyer().executePreparedTransaction(PAYLOAD, { max_retries: 0 }))).toMatchObject({ status: 500, may_have_acted: true });
      script.push((_q, r) => void r.writeHead(200, { 'content-type': 'application/json' }).end('{"data": cut off'));
      expect(await caught(buyer().executePreparedTransaction(PAYLOAD, { max_retries: 0 }))).toMatchObject({ code: 'INVALID_JSON_RESPONSE', may_have_acted: true });
      script.push((_q, r) => json(r, 200, { data: 'not an object' }));
      expect(await caught(buyer().executePreparedTransaction(PAYLOAD, { max_retries: 0 }))).toMatchObject({ code: 'INVALID_RESPONSE_SHAPE', may_have_acted: true });
      script.push((_q, r) => json(r, 500, failure));
      expect(await caught(buyer().request('GET', '/sdrp/direct-payments/requirements/req_1', undefined, {}, { max_retries: 0 }))).toMatchObject({ status: 500, may_have_acted: false });
      script.push((_q, r) => json(r, 422, { error: { code: 'VALIDATION_ERROR', message: 'bad' } }));
      expect(await caught(buyer().executePreparedTransaction(PAYLOAD, { max_retries: 0 }))).toMatchObject({ status: 422, may_have_acted: false });
    });

    it("names a look-up the buyer can make for a subscription or a scheduled charge, not the merchant's webhook subscriptions", async () => {
      script.push((req) => req.socket.destroy());
      const sub = await caught(buyer().createSubscription({ merchant: 'shop_alpha', amount_minor: 980, currency: 'JPY', challenge: 'siglume-external-402-recurring-v1:r1:91500f2f68ec065115a36d0b00e28fcc0d3e2bbbda081aa550f111c9b09bc9fb' }));
      expect(sub).toMatchObject({ code: 'CONNECTION_ERROR', may_have_acted: true });
      expect(sub.message).toContain('Check with the merchant (or in your Siglume account) whether the subscription exists');
      expect(sub.message).not.toContain('listWebhookSubscriptions');
      script.push((req) => req.socket.destroy());
      const run = await caught(buyer().executeScheduledAutoPay({ schedule_token: 'sched_tok_1', slot_id: 'slot-1' }));
      expect(run.message).toContain('and been acted on. Send the same slot_id again, never a new slot_id for this period');
      expect(run.message).toContain('This call had no options.idempotency_key');
      expect(run.message).not.toContain('getPaymentRequirement');
      expect(run.message).not.toContain('before sending it again');
    });

    it('tells a scheduled charge that had a key to send the same slot with the same key, not to look anything up', async () => {
      script.push((req) => req.socket.destroy());
      const run = await caught(
        buyer().executeScheduledAutoPay({ schedule_token: 'sched_tok_1', slot_id: 'slot-1' }, { idempotency_key: 'sapa_1:slot-1', max_retries: 0 }),
      );
      expect(run).toMatchObject({ code: 'CONNECTION_ERROR', may_have_acted: true });
      expect(run.message).toMatch(/and been acted on\. Send the same slot_id again with the same options\.idempotency_key and the same body, never a new slot_id for this period: .*the repeat gets the first run\.$/);
    });

    it('says a payment that could not connect was not sent, and points at SIGLUME_API_BASE', async () => {
      const closed = http.createServer();
      await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
      const port = (closed.address() as AddressInfo).port;
      await new Promise((resolve) => closed.close(resolve));
      const client = new DirectRequestPaymentClient({ auth_token: 'tok_secret_value', base_url: `http://127.0.0.1:${port}/v1`, max_retries: 1 });
      const err = await caught(client.executePreparedTransaction(PAYLOAD));
      expect(err).toBeInstanceOf(SiglumeConnectionError);
      expect(err).toMatchObject({ code: 'CONNECTION_ERROR', attempts: 2, may_have_acted: false });
      expect(err.message).toContain('ECONNREFUSED');
      expect(err.message).toContain('POST /market/web3/transactions/execute-prepared was not sent');
      expect(err.message).toContain('Check SIGLUME_API_BASE');
    });

    it("names SIGLUME_ENV and the sandbox command when the unreachable address is the local sandbox's default", async () => {
      // SIGLUME_ENV=sandbox left in a shop's environment with SIGLUME_API_BASE unset: "Check SIGLUME_API_BASE" named a variable that is not set.
      const refused: FetchLike = async () => {
        throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:8787'), { code: 'ECONNREFUSED' }) });
      };
      const client = new DirectRequestPaymentMerchantClient({ auth_token: 'tok_secret_value', base_url: 'http://127.0.0.1:8787/v1', fetch: refused, max_retries: 0 });
      const err = await caught(client.getMerchant('shop_alpha'));
      expect(err).toMatchObject({ code: 'CONNECTION_ERROR', may_have_acted: false });
      expect(err.message).toContain("That is the local sandbox's default address: start it with `siglume-sdrp sandbox`.");
      expect(err.message).toContain('unset SIGLUME_API_BASE if it names this address, and SIGLUME_ENV, whose value sandbox selects it when SIGLUME_API_BASE is unset');
      expect(err.message).toContain('siglume-sdrp sandbox');
      expect(err.message).not.toContain('tok_secret_value');
    });

    it('keeps may_have_acted when an earlier attempt may have acted and a later one could not connect', async () => {
      let calls = 0;
      const fetch: FetchLike = async () => {
        calls += 1;
        if (calls === 1) throw new TypeError('fetch failed', { cause: Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' }) });
        throw new TypeError('fetch failed', { cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' }) });
      };
      const err = await caught(buyer({ fetch }).executePreparedTransaction(PAYLOAD, { idempotency_key: 'pay-req_1-1', max_retries: 1 }));
      expect(calls).toBe(2);
      expect(err).toMatchObject({ attempts: 2, may_have_acted: true });
      expect(err.message).toContain('An earlier attempt may have reached Siglume');
    });

    it('says a GET whose connection was lost may be read again', async () => {
      script.push((req) => req.socket.destroy(), (req) => req.socket.destroy(), (req) => req.socket.destroy());
      const err = await caught(buyer().getPaymentRequirement('req_1'));
      expect(err).toMatchObject({ method: 'GET', path: '/sdrp/direct-payments/requirements/req_1', attempts: 3, may_have_acted: true });
      expect(err.message).toContain('reading again is safe');
    });
  });

  describe('when a scheduled auto-pay charge is refused or waits', () => {
    it('retries it after a 503', async () => {
      script.push(unavailable, (_q, r) => json(r, 200, { data: RUN }));
      await expect(buyer().executeScheduledAutoPay(INPUT)).resolves.toMatchObject({ status: 'executed' });
      expect(seen).toHaveLength(2);
    });

    it('waits out await_timeout_seconds on top of timeout_ms instead of timing out first', async () => {
      script.push((_q, r) => void setTimeout(() => json(r, 200, { data: RUN }), 400));
      await expect(buyer({ timeout_ms: 150 }).executeScheduledAutoPay({ ...INPUT, await_finality: true, await_timeout_seconds: 1 })).resolves.toMatchObject({ status: 'executed' });
      expect(seen).toHaveLength(1);
    });
  });

  describe('when a checkout-session POST times out', () => {
    it('retries it with the same Idempotency-Key and returns the session', async () => {
      script.push((_q, r) => void hung.add(r), (_q, r) => json(r, 200, { data: SESSION }));
      const merchant = new DirectRequestPaymentMerchantClient({ auth_token: 'tok_secret_value', base_url: base, timeout_ms: 150 });
      const session = await merchant.createCheckoutSession({
        merchant: 'shop_alpha',
        amount_minor: 4200,
        currency: 'JPY',
        nonce: 'order-1',
        success_url: 'https://shop.example/ok',
        cancel_url: 'https://shop.example/cancel',
      });
      expect(session).toMatchObject(SESSION);
      expect(seen).toHaveLength(2);
      expect(seen[0]!.headers['idempotency-key']).toMatch(/^[0-9a-f-]{36}$/);
      expect(seen[1]!.headers['idempotency-key']).toBe(seen[0]!.headers['idempotency-key']);
    });
  });
});
