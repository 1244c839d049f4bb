/**
 * The one HTTP path, as a user of the SDK meets it: both senders (undici's
 * `request`, and `fetch`) against real loopback servers. Redirects are never
 * followed, and a response body is never read past `max_response_bytes`.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import * as undici from 'undici';
import {
  SiglumeConnectionError,
  SiglumeRedirectError,
  SiglumeResponseTooLargeError,
  SiglumeTimeoutError,
} from '../../src/core/errors.js';
import { fetchSender, undiciSender, type SendInit, type SendLimits, type Sender } from '../../src/core/sender.js';
import { Transport } from '../../src/core/transport.js';
import type { FetchLikeInit } from '../../src/core/transport-types.js';
import { DirectRequestPaymentMerchantClient } from '../../src/clients/merchant.js';
import type { UndiciLike } from '../../src/core/platform/types.js';

type Route = (req: http.IncomingMessage, res: http.ServerResponse) => void;

interface Server {
  base: string;
  hits: string[];
  /** Bytes the server managed to write for the last streamed body before the client hung up. */
  streamed: { written: number; closedEarly: boolean };
  route: Route;
  close(): Promise<void>;
}

async function startServer(): Promise<Server> {
  const state: Server = {
    base: '',
    hits: [],
    streamed: { written: 0, closedEarly: false },
    route: (_req, res) => res.end('{}'),
    close: async () => {},
  };
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      state.hits.push(`${req.method} ${req.url} ${body}`);
      state.route(req, res);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = async () => {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  };
  return state;
}

/** Streams `total` bytes of JSON-ish filler in 16 KiB chunks, without Content-Length, honouring backpressure. */
function streamFiller(state: Server, total: number): Route {
  return (_req, res) => {
    state.streamed = { written: 0, closedEarly: false };
    res.writeHead(200, { 'content-type': 'application/json' });
    const chunk = Buffer.alloc(16 * 1024, 0x20);
    res.on('close', () => {
      if (!res.writableFinished) state.streamed.closedEarly = true;
    });
    const pump = () => {
      while (state.streamed.written < total) {
        state.streamed.written += chunk.length;
        if (!res.write(chunk)) return void res.once('drain', pump);
      }
      res.end();
    };
    pump();
  };
}

let api: Server;
let elsewhere: Server;

beforeAll(async () => {
  api = await startServer();
  elsewhere = await startServer();
});
afterAll(async () => {
  await api.close();
  await elsewhere.close();
});
beforeEach(() => {
  api.hits = [];
  elsewhere.hits = [];
  elsewhere.route = (_req, res) => res.end('{"data":{"stolen":true}}');
});

function init(method: string, body?: string): SendInit {
  return { method, headers: { Authorization: 'Bearer tok_do_not_forward', 'Content-Type': 'application/json' }, body };
}

function lim(max_response_bytes: number, extra: Partial<SendLimits> = {}): SendLimits {
  return { max_response_bytes, timeout_ms: 10_000, ...extra };
}

async function caught(promise: Promise<unknown>): Promise<any> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (error: unknown) => error,
  );
}

const SENDERS: Array<[string, () => Sender]> = [
  ['undici sender', () => undiciSender(undici as unknown as UndiciLike)],
  ['fetch sender (global fetch)', () => fetchSender((url, i) => fetch(url, i))],
];

describe.each(SENDERS)('%s', (_name, make) => {
  describe('when the server redirects', () => {
    it.each([301, 302, 303, 307, 308])('throws SiglumeRedirectError for %i and never contacts the Location host', async (status) => {
      api.route = (_req, res) => {
        res.writeHead(status, { location: `${elsewhere.base}/v1/steal?token=1` });
        res.end();
      };
      const err = await caught(make()(`${api.base}/v1/checkout-sessions`, init('POST', '{"amount_minor":4200}'), lim(1024)));
      expect(err).toBeInstanceOf(SiglumeRedirectError);
      expect(err.status).toBe(status);
      expect(err.code).toBe('UNEXPECTED_REDIRECT');
      expect(err.location_origin).toBe(elsewhere.base);
      expect(err.message).toContain(`HTTP ${status}`);
      expect(err.message).toContain(elsewhere.base);
      expect(err.message).not.toContain('steal');
      expect(elsewhere.hits).toEqual([]);
      expect(api.hits).toHaveLength(1);
    });

    it('reports a redirect without a Location header with a null origin', async () => {
      api.route = (_req, res) => {
        res.writeHead(302);
        res.end();
      };
      const err = await caught(make()(`${api.base}/v1/x`, init('GET'), lim(1024)));
      expect(err).toBeInstanceOf(SiglumeRedirectError);
      expect(err.location_origin).toBeNull();
    });
  });

  describe('when the server is too slow or the caller gives up', () => {
    it('ends an attempt at timeout_ms with a SiglumeTimeoutError, also while the body is still arriving', async () => {
      api.route = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.write('{"data":'); // ... and never finishes
      };
      const err = await caught(make()(`${api.base}/v1/x`, init('GET'), lim(1024, { timeout_ms: 150 })));
      expect(err).toBeInstanceOf(SiglumeTimeoutError);
      expect(err.timeout_ms).toBe(150);
    });

    it("stops at once on the caller's abort with REQUEST_ABORTED", async () => {
      api.route = () => {}; // never answers
      const controller = new AbortController();
      setTimeout(() => controller.abort(), 50);
      const err = await caught(make()(`${api.base}/v1/x`, init('GET'), lim(1024, { signal: controller.signal })));
      expect(err).toBeInstanceOf(SiglumeConnectionError);
      expect(err.code).toBe('REQUEST_ABORTED');
    });

    it('does not start when the signal is already aborted', async () => {
      const err = await caught(make()(`${api.base}/v1/x`, init('GET'), lim(1024, { signal: AbortSignal.abort() })));
      expect(err.code).toBe('REQUEST_ABORTED');
      expect(api.hits).toEqual([]);
    });
  });

  describe('when the body is larger than max_response_bytes', () => {
    it('refuses a Content-Length over the cap', async () => {
      api.route = (_req, res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': String(5000) });
        res.end('x'.repeat(5000));
      };
      const err = await caught(make()(`${api.base}/v1/x`, init('GET'), lim(4096)));
      expect(err).toBeInstanceOf(SiglumeResponseTooLargeError);
      expect(err.code).toBe('RESPONSE_TOO_LARGE');
      expect(err.status).toBe(502);
      expect(err.max_response_bytes).toBe(4096);
      expect(err.data).toEqual({ http_status: 200, max_response_bytes: 4096 });
    });

    it('stops reading a streamed body at the cap instead of buffering all of it', async () => {
      const total = 64 * 1024 * 1024;
      api.route = streamFiller(api, total);
      const err = await caught(make()(`${api.base}/v1/x`, init('GET'), lim(64 * 1024)));
      expect(err).toBeInstanceOf(SiglumeResponseTooLargeError);
      // The connection is dropped: the server could not finish its 64 MiB.
      await expect.poll(() => api.streamed.closedEarly, { timeout: 5000 }).toBe(true);
      expect(api.streamed.written).toBeLessThan(total / 4);
    });

    it('reads a body exactly at the cap', async () => {
      const body = JSON.stringify({ data: 'y'.repeat(1000) });
      api.route = (_req, res) => res.end(body);
      const sent = await make()(`${api.base}/v1/x`, init('GET'), lim(body.length));
      expect(sent.text).toBe(body);
      expect(sent.status).toBe(200);
    });

    it('reads a chunked body under the cap in full', async () => {
      api.route = (_req, res) => {
        res.write('{"data":');
        res.end('"ok"}');
      };
      expect((await make()(`${api.base}/v1/x`, init('GET'), lim(1024))).text).toBe('{"data":"ok"}');
    });
  });
});

describe('fetch sender', () => {
  it('caps the decompressed size, not the compressed Content-Length', async () => {
    const big = gzipSync(Buffer.alloc(8 * 1024 * 1024, 0x20));
    api.route = (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json', 'content-encoding': 'gzip', 'content-length': String(big.length) });
      res.end(big);
    };
    expect(big.length).toBeLessThan(64 * 1024);
    const err = await caught(fetchSender((u, i) => fetch(u, i))(`${api.base}/v1/x`, init('GET'), lim(64 * 1024)));
    expect(err).toBeInstanceOf(SiglumeResponseTooLargeError);
  });

  it('refuses a response that a custom fetch reached by following a redirect anyway', async () => {
    const following = fetchSender(async (url, i) => {
      const res = await fetch(url, { ...i, redirect: 'follow' });
      return res;
    });
    api.route = (_req, res) => {
      res.writeHead(307, { location: `${elsewhere.base}/v1/x` });
      res.end();
    };
    const err = await caught(following(`${api.base}/v1/x`, init('GET'), lim(1024)));
    expect(err).toBeInstanceOf(SiglumeRedirectError);
    expect(err.location_origin).toBe(elsewhere.base);
  });

  it('applies the cap to a fetch double that has no body stream', async () => {
    const double = fetchSender(async () => ({
      status: 200,
      headers: { get: () => null },
      text: async () => 'z'.repeat(2000),
    }));
    expect(await caught(double('https://api.test/v1/x', init('GET'), lim(1000)))).toBeInstanceOf(
      SiglumeResponseTooLargeError,
    );
  });
});

describe('fetch sender with a fetch that ignores its AbortSignal', () => {
  const timers = () => process.getActiveResourcesInfo().filter((kind) => kind === 'Timeout').length;
  const client = (fetch: (url: string, init: FetchLikeInit) => Promise<unknown>, extra: { timeout_ms?: number } = {}) =>
    new DirectRequestPaymentMerchantClient({ auth_token: 'tok_x', base_url: 'https://api.test/v1', timeout_ms: 200, max_retries: 0, fetch: fetch as never, ...extra });

  it('ends a fetch that never settles at timeout_ms, and leaves no timer behind', async () => {
    const before = timers();
    const started = Date.now();
    const err = await caught(client(() => new Promise(() => {})).getMerchant('shop_alpha'));
    expect(err).toBeInstanceOf(SiglumeTimeoutError);
    expect(err.timeout_ms).toBe(200);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(timers()).toBeLessThanOrEqual(before);
  });

  it('ends a body stream that never finishes at timeout_ms and cancels it', async () => {
    let cancelled = false;
    const fetch = async () =>
      new Response(
        new ReadableStream({
          start(c) {
            c.enqueue(new TextEncoder().encode('{"data":'));
          },
          cancel() {
            cancelled = true;
          },
        }),
        { status: 200 },
      );
    const err = await caught(client(fetch).getMerchant('shop_alpha'));
    expect(err).toBeInstanceOf(SiglumeTimeoutError);
    await expect.poll(() => cancelled, { timeout: 1000 }).toBe(true);
  });

  it('ends a text() that never resolves at timeout_ms', async () => {
    const fetch = async () => ({ status: 200, statusText: 'OK', headers: new Headers(), text: () => new Promise<string>(() => {}) });
    await expect(caught(client(fetch).getMerchant('shop_alpha'))).resolves.toBeInstanceOf(SiglumeTimeoutError);
  });

  it('ends a logging wrapper that rebuilds init without the signal, against a slow server', async () => {
    api.route = (_req, res) => void setTimeout(() => res.end('{"data":{"merchant_account":{"merchant":"shop_alpha"}}}'), 3000);
    const wrapper = (url: string, init: FetchLikeInit) => fetch(url, { method: init.method, headers: init.headers, body: init.body, redirect: 'manual' });
    const merchant = new DirectRequestPaymentMerchantClient({ auth_token: 'tok_x', base_url: `${api.base}/v1`, timeout_ms: 300, max_retries: 0, fetch: wrapper });
    const started = Date.now();
    await expect(caught(merchant.getMerchant('shop_alpha'))).resolves.toBeInstanceOf(SiglumeTimeoutError);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it("stops at once on the caller's abort, though the fetch ignores it", async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 50);
    const err = await caught(client(() => new Promise(() => {}), { timeout_ms: 10_000 }).getMerchant('shop_alpha', { signal: controller.signal }));
    expect(err).toBeInstanceOf(SiglumeConnectionError);
    expect(err.code).toBe('REQUEST_ABORTED');
  });
});

describe('many concurrent calls sharing one AbortSignal', () => {
  it('print no MaxListenersExceededWarning and still all stop on abort', async () => {
    const warnings: string[] = [];
    const onWarning = (w: Error) => warnings.push(w.name);
    process.on('warning', onWarning);
    try {
      const slow = () => new Promise<Response>((resolve) => setTimeout(() => resolve(new Response('{"data":{"merchant_account":{"merchant":"shop_alpha"}}}')), 50));
      const merchant = new DirectRequestPaymentMerchantClient({ auth_token: 'tok_x', base_url: 'https://api.test/v1', fetch: slow });
      const shared = new AbortController();
      await Promise.all(Array.from({ length: 30 }, () => merchant.getMerchant('shop_alpha', { signal: shared.signal })));
      const hanging = new DirectRequestPaymentMerchantClient({ auth_token: 'tok_x', base_url: 'https://api.test/v1', fetch: () => new Promise(() => {}) });
      const pending = Array.from({ length: 30 }, () => caught(hanging.getMerchant('shop_alpha', { signal: shared.signal })));
      setTimeout(() => shared.abort(), 20);
      const errors = await Promise.all(pending);
      expect(errors.map((e) => e.code)).toEqual(Array(30).fill('REQUEST_ABORTED'));
      await new Promise((resolve) => setTimeout(resolve, 10));
      expect(warnings).not.toContain('MaxListenersExceededWarning');
    } finally {
      process.off('warning', onWarning);
    }
  });
});

describe('fetch sender with a test double of the 0.4.20 kind', () => {
  const MERCHANT = '{"data":{"merchant_account":{"merchant":"shop_alpha"}}}';
  const client = (fetch: () => Promise<unknown>, max_retries = 2) =>
    new DirectRequestPaymentMerchantClient({ auth_token: 'tok_x', base_url: 'https://api.test/v1', max_retries, fetch: fetch as never });

  it('reads a response that has only status and text()', async () => {
    const merchant = await client(async () => ({ ok: true, status: 200, statusText: 'OK', text: async () => MERCHANT })).getMerchant('shop_alpha');
    expect(merchant).toMatchObject({ merchant_account: { merchant: 'shop_alpha' } });
  });

  it('throws the API error of a headerless error double, once, not a connection error', async () => {
    let calls = 0;
    const fetch = async () => (calls++, { status: 404, statusText: 'Not Found', text: async () => '{"error":{"code":"NOT_FOUND","message":"no merchant"}}' });
    const err = await caught(client(fetch).getMerchant('shop_alpha'));
    expect(err).not.toBeInstanceOf(SiglumeConnectionError);
    expect(err).toMatchObject({ status: 404, code: 'NOT_FOUND', message: 'no merchant' });
    expect(calls).toBe(1);
  });

  it('reads plain-object headers without regard to case', async () => {
    const fetch = async () => ({ status: 429, headers: { 'Retry-After': '3600', 'X-Request-Id': 'req_7' }, text: async () => '{}' });
    const err = await caught(client(fetch).getMerchant('shop_alpha'));
    expect(err).toMatchObject({ status: 429, retry_after_ms: 3_600_000, request_id: 'req_7' });
  });

  it('names what is missing when a double answers without status or text(), and does not retry it', async () => {
    let calls = 0;
    const noText = async () => (calls++, { status: 200, headers: new Headers(), json: async () => ({}) });
    const err = await caught(client(noText).getMerchant('shop_alpha'));
    expect(err).not.toBeInstanceOf(SiglumeConnectionError);
    expect(err.code).toBe('INVALID_RESPONSE_SHAPE');
    expect(err.message).toContain('text()');
    expect(calls).toBe(1);
    const notAResponse = await caught(client(async () => undefined).getMerchant('shop_alpha'));
    expect(notAResponse.code).toBe('INVALID_RESPONSE_SHAPE');
    expect(notAResponse.message).toContain('numeric status');
  });
});

describe('Transport with a redirecting or oversized answer', () => {
  it('sends redirect: "manual" to a custom fetch and does not retry the redirect', async () => {
    const seen: FetchLikeInit[] = [];
    api.route = (_req, res) => {
      res.writeHead(307, { location: `${elsewhere.base}/v1/checkout-sessions` });
      res.end();
    };
    const t = new Transport({
      base_url: `${api.base}/v1`,
      auth_token: 'tok_secret',
      max_retries: 2,
      fetch: (url, i) => {
        seen.push(i);
        return fetch(url, i);
      },
    });
    const err = await caught(t.request({ method: 'POST', path: '/checkout-sessions', body: { amount_minor: 1 } }));
    expect(err).toBeInstanceOf(SiglumeRedirectError);
    expect(seen).toHaveLength(1);
    expect(seen[0]!.redirect).toBe('manual');
    expect(elsewhere.hits).toEqual([]);
  });

  it('uses undici by default and does not retry an oversized body', async () => {
    api.route = (_req, res) => {
      res.writeHead(200, { 'content-length': '3000' });
      res.end('a'.repeat(3000));
    };
    const t = new Transport({ base_url: `${api.base}/v1`, auth_token: 'tok_secret', max_retries: 2, max_response_bytes: 1000 });
    const err = await caught(t.request({ method: 'GET', path: '/x' }));
    expect(err).toBeInstanceOf(SiglumeResponseTooLargeError);
    expect(api.hits).toHaveLength(1);
  });
});

describe('max_response_bytes client option', () => {
  it('applies to every call of the client', async () => {
    api.route = (_req, res) => res.end(JSON.stringify({ data: { session_id: 'cs_1', status: 'open', note: 'n'.repeat(4000) } }));
    const client = new DirectRequestPaymentMerchantClient({ base_url: `${api.base}/v1`, auth_token: 'tok_x', max_response_bytes: 2048 });
    expect(await caught(client.getCheckoutSession('cs_1'))).toBeInstanceOf(SiglumeResponseTooLargeError);
    const roomy = new DirectRequestPaymentMerchantClient({ base_url: `${api.base}/v1`, auth_token: 'tok_x' });
    expect((await roomy.getCheckoutSession('cs_1')).status).toBe('open');
  });

  it.each([0, -1, 1.5, '1000'])('rejects %p naming the option', (value) => {
    expect(() => new DirectRequestPaymentMerchantClient({ auth_token: 'tok_x', max_response_bytes: value as number })).toThrow(
      /Invalid max_response_bytes: must be a positive integer number of bytes/,
    );
  });
});
