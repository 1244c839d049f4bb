/**
 * Seeded, bounded fuzzing of the socket adapter (`node-server.ts`), for the rule "bad input never becomes a
 * 500" one layer below `fuzz.test.ts`: raw HTTP/1.1 bytes over `node:net` to a sandbox on 127.0.0.1. Each
 * malformed input must get a 4xx or a closed connection (never a 5xx, a crash or a hang), and a fresh
 * `GET /__sandbox/state` must still answer 200 afterwards. Hand-written cases cover the request line,
 * header block, message framing (Content-Length / Transfer-Encoding / chunked), the body cap, aborted and
 * slow clients, pipelining, the path and the Host rule; then `SANDBOX_SOCKET_FUZZ_CASES` (default 150, at
 * most 1000, and at most 20 s) seeded random inputs: raw bytes and mutated valid requests. A failure prints
 * the seed and the input; rerun with `SANDBOX_FUZZ_SEED=<seed>`.
 *
 * Every socket has a deadline and is destroyed; every loop is bounded; nothing leaves the loopback (webhook
 * deliveries are dropped by the fault and never retried).
 */
import { connect, type Socket } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { mulberry32 } from '../../src/sandbox/faults.js';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.js';

const SEED = Number(process.env.SANDBOX_FUZZ_SEED ?? 20240611) >>> 0;
const RANDOM_CASES = Math.min(Math.max(Number(process.env.SANDBOX_SOCKET_FUZZ_CASES ?? 150) || 0, 0), 1000);
const RANDOM_BUDGET_MS = 20_000;
const SOCKET_TIMEOUT_MS = 3000;
const MiB = 1024 * 1024;

let sandbox: SandboxHandle;
let port: number;
let HOST: string;
const errors: string[] = [];
const open = new Set<Socket>();
const consoleError = vi.spyOn(console, 'error');

beforeAll(async () => {
  sandbox = await startSandbox({
    port: 0,
    host: '127.0.0.1',
    delivery_retries: 0,
    onLog: (e) => void (e.kind === 'error' && errors.push(e.message)),
  });
  sandbox.setFaults({ drop_webhook_deliveries: true });
  port = Number(new URL(sandbox.url).port);
  HOST = `127.0.0.1:${port}`;
});

/** Sockets a test left open (each exchange closes its own): counted here, asserted by the last test. */
let leftOpen = 0;
afterEach(() => {
  leftOpen += open.size;
  for (const socket of open) socket.destroy();
  open.clear();
});

afterAll(async () => {
  await sandbox?.close();
  consoleError.mockRestore();
});

// ---------------------------------------------------------------------------------------------------------
// A raw HTTP/1.1 client.

/** One answer as read off the wire. */
interface Answer {
  status: number;
  headers: Record<string, string>;
  body: Buffer;
}

/** What a connection got: the answers, the bytes left over, and how it ended. */
interface Exchange {
  answers: Answer[];
  rest: Buffer;
  /** The server closed (or reset) the connection. */
  closed: boolean;
  /** The deadline passed with the connection still open: a hang. */
  timedOut: boolean;
  /** Bytes the socket accepted from us. */
  written: number;
}

type Part = string | Buffer | { delay: number };

interface Plan {
  parts: Part[];
  /** After the last part: half-close (default; the server must then answer and close), destroy (an abort), or keep open. */
  then?: 'end' | 'destroy' | 'open';
  /** Stop once this many answers have arrived. */
  answers?: number;
  timeoutMs?: number;
  /** After `parts`: stream up to this many bytes, with backpressure, stopping when the server closes. */
  flood?: { bytes: number; chunk: Buffer };
}

/** Splits complete responses off `buf` (Content-Length or chunked framing; the sandbox always sends a length). */
function parseAnswers(buf: Buffer): { answers: Answer[]; rest: Buffer } {
  const answers: Answer[] = [];
  let at = 0;
  for (let guard = 0; guard < 10_000; guard++) {
    const headEnd = buf.indexOf('\r\n\r\n', at);
    if (headEnd < 0) break;
    const [statusLine, ...lines] = buf.subarray(at, headEnd).toString('latin1').split('\r\n');
    const status = /^HTTP\/1\.[01] (\d{3})/.exec(statusLine!)?.[1];
    if (!status) break;
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      const name = line.slice(0, colon).trim().toLowerCase();
      headers[name] =
        headers[name] === undefined
          ? line.slice(colon + 1).trim()
          : `${headers[name]}, ${line.slice(colon + 1).trim()}`;
    }
    let next = headEnd + 4;
    let body: Buffer;
    if (headers['transfer-encoding']?.includes('chunked')) {
      const parts: Buffer[] = [];
      for (;;) {
        const lineEnd = buf.indexOf('\r\n', next);
        if (lineEnd < 0) return { answers, rest: buf.subarray(at) };
        const size = parseInt(buf.subarray(next, lineEnd).toString('latin1'), 16);
        if (!(size >= 0) || lineEnd + 2 + size + 2 > buf.length) return { answers, rest: buf.subarray(at) };
        parts.push(buf.subarray(lineEnd + 2, lineEnd + 2 + size));
        next = lineEnd + 2 + size + 2;
        if (size === 0) break;
      }
      body = Buffer.concat(parts);
    } else {
      const length = Number(headers['content-length'] ?? 0);
      if (next + length > buf.length) break;
      body = buf.subarray(next, next + length);
      next += length;
    }
    answers.push({ status: Number(status), headers, body });
    at = next;
  }
  return { answers, rest: buf.subarray(at) };
}

/** Resolves when `socket` can take more, or has closed. */
function drained(socket: Socket): Promise<void> {
  return new Promise((resolve) => {
    const done = () => {
      socket.off('drain', done).off('close', done);
      resolve();
    };
    socket.on('drain', done).on('close', done);
  });
}

/** Opens a connection to the sandbox, sends the plan, and reads until it closes, the answers are in, or the deadline. */
function exchange(plan: Plan): Promise<Exchange> {
  const { parts, then = 'end', timeoutMs = SOCKET_TIMEOUT_MS } = plan;
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    open.add(socket);
    const chunks: Buffer[] = [];
    let closed = false;
    let timedOut = false;
    let settled = false;
    const finish = () => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      socket.destroy();
      open.delete(socket);
      const { answers, rest } = parseAnswers(Buffer.concat(chunks));
      resolve({ answers, rest, closed, timedOut, written: socket.bytesWritten });
    };
    const deadline = setTimeout(() => ((timedOut = true), finish()), timeoutMs);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      if (plan.answers !== undefined && parseAnswers(Buffer.concat(chunks)).answers.length >= plan.answers) finish();
    });
    socket.on('error', () => ((closed = true), finish()));
    socket.on('end', () => ((closed = true), finish()));
    socket.on('close', () => ((closed = true), finish()));
    socket.once('connect', async () => {
      for (const part of parts) {
        if (settled || socket.destroyed) return;
        if (typeof part === 'object' && !Buffer.isBuffer(part)) await new Promise((r) => setTimeout(r, part.delay));
        else socket.write(part);
      }
      if (plan.flood) {
        for (let sent = 0; sent < plan.flood.bytes && !settled && !socket.destroyed && socket.writable;) {
          sent += plan.flood.chunk.length;
          if (!socket.write(plan.flood.chunk)) await drained(socket);
        }
      }
      if (settled || socket.destroyed) return;
      if (then === 'end') socket.end();
      else if (then === 'destroy') finish();
    });
  });
}

const request = (head: string, body: string | Buffer = '') =>
  Buffer.concat([Buffer.from(head, 'latin1'), Buffer.from(body)]);
const get = (path = '/__sandbox/state', host = HOST, extra = '') =>
  `GET ${path} HTTP/1.1\r\nHost: ${host}\r\n${extra}\r\n`;
const post = (path: string, body: string | Buffer, extra = '') =>
  request(
    `POST ${path} HTTP/1.1\r\nHost: ${HOST}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n${extra}\r\n`,
    body,
  );
const statuses = (x: Exchange) => x.answers.map((a) => a.status);
const show = (x: Exchange) =>
  `answers ${JSON.stringify(statuses(x))}${x.closed ? ', closed' : ''}${x.timedOut ? ', TIMED OUT' : ''}, rest ${JSON.stringify(x.rest.subarray(0, 120).toString('latin1'))}`;

/** Why the exchange breaks the rule for a malformed input (a 4xx or a close, nothing else), or null. */
function refusal(x: Exchange): string | null {
  if (x.timedOut) return `hang: ${show(x)}`;
  if (x.answers.some((a) => a.status < 400 || a.status >= 500)) return `not a 4xx: ${show(x)}`;
  if (/HTTP\/1\.[01] 5\d\d/.test(x.rest.toString('latin1'))) return `a 5xx: ${show(x)}`;
  if (x.answers.length === 0 && !x.closed) return `no answer and still open: ${show(x)}`;
  return null;
}

/** Why the exchange breaks the weaker rule for odd but acceptable input (anything but a 5xx or a hang), or null. */
function tolerance(x: Exchange): string | null {
  if (x.timedOut) return `hang: ${show(x)}`;
  if (x.answers.some((a) => a.status >= 500) || /HTTP\/1\.[01] 5\d\d/.test(x.rest.toString('latin1')))
    return `a 5xx: ${show(x)}`;
  return null;
}

/** A normal request on a new connection still gets the state. */
async function healthy(): Promise<string | null> {
  const x = await exchange({
    parts: [get('/__sandbox/state', HOST, 'Connection: close\r\n')],
    then: 'open',
    answers: 1,
  });
  const answer = x.answers[0];
  if (answer?.status !== 200) return `then GET /__sandbox/state: ${show(x)}`;
  try {
    return JSON.parse(answer.body.toString('utf8')).data.scenario === 'ready' ? null : 'then the state is not "ready"';
  } catch {
    return `then GET /__sandbox/state is not JSON: ${answer.body.subarray(0, 120).toString('latin1')}`;
  }
}

async function expectRefused(plan: Plan, what = 'refused'): Promise<Exchange> {
  const x = await exchange(plan);
  expect(refusal(x), what).toBeNull();
  expect(await healthy()).toBeNull();
  return x;
}

async function expectTolerated(plan: Plan): Promise<Exchange> {
  const x = await exchange(plan);
  expect(tolerance(x)).toBeNull();
  expect(await healthy()).toBeNull();
  return x;
}

// ---------------------------------------------------------------------------------------------------------
// The cases.

describe(`sandbox socket fuzz (seed ${SEED}; SANDBOX_FUZZ_SEED to change)`, () => {
  it('answers a well-formed request over a raw socket (the baseline)', async () => {
    const x = await exchange({ parts: [get()], then: 'open', answers: 1 });
    expect(statuses(x)).toEqual([200]);
    expect(await healthy()).toBeNull();
  });

  describe('the request line', () => {
    it.each([
      ['a garbage line', 'HELLO\r\n\r\n'],
      ['an unknown method', `FOO / HTTP/1.1\r\nHost: ${'h'}\r\n\r\n`],
      ['a lowercase method', 'get / HTTP/1.1\r\nHost: h\r\n\r\n'],
      ['a method with a space', 'G ET / HTTP/1.1\r\nHost: h\r\n\r\n'],
      ['a 10 KiB method', `${'A'.repeat(10 * 1024)} / HTTP/1.1\r\n\r\n`],
      ['no version (HTTP/0.9)', 'GET /\r\n'],
      ['version HTTP/1.x', 'GET / HTTP/1.x\r\nHost: h\r\n\r\n'],
      ['version HTTP/11', 'GET / HTTP/11\r\nHost: h\r\n\r\n'],
      ['the HTTP/2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'],
      [
        'the HTTP/2 preface and a SETTINGS frame',
        Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4, 0, 0, 0, 0, 0])]),
      ],
      [
        'a TLS ClientHello',
        Buffer.from([0x16, 0x03, 0x01, 0x00, 0xa5, 0x01, 0x00, 0x00, 0xa1, 0x03, 0x03, ...Array(32).fill(7)]),
      ],
      ['the asterisk form', 'OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n'],
      ['an empty target', 'GET  HTTP/1.1\r\nHost: h\r\n\r\n'],
      ['a relative target', 'GET __sandbox/state HTTP/1.1\r\nHost: h\r\n\r\n'],
      ['bare LF line ends', 'GET /__sandbox/state HTTP/1.1\nHost: h\n\n'],
      ['bare CR line ends', 'GET /__sandbox/state HTTP/1.1\rHost: h\r\r'],
      ['a NUL in the method', 'G\u0000T / HTTP/1.1\r\nHost: h\r\n\r\n'],
      ['only CRLFs', '\r\n'.repeat(64)],
      ['a request line without CRLF at EOF', 'GET /__sandbox/state HTTP/1.1'],
    ])('refuses %s', async (_name, bytes) => {
      await expectRefused({
        parts: [typeof bytes === 'string' ? bytes.replaceAll('Host: h', `Host: ${HOST}`) : bytes],
      });
    });

    it('refuses a CONNECT (authority form) by closing the connection', async () => {
      await expectRefused({ parts: [`CONNECT ${HOST} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`] });
    });

    it.each([
      ['a method hono has no route for (PROPFIND)', 'PROPFIND'],
      ['TRACE', 'TRACE'],
      ['PATCH', 'PATCH'],
    ])('answers %s with a 4xx', async (_name, method) => {
      await expectRefused({
        parts: [`${method} /__sandbox/state HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: 0\r\n\r\n`],
      });
    });

    it.each([
      ['empty lines before the request line (ignored, RFC 9112 2.2)', () => `\r\n\r\n${get()}`],
      // Node's parser reads these two as HTTP/1.0-style requests and answers them, closing the connection.
      ['no version, then headers', () => `GET /__sandbox/state\r\nHost: ${HOST}\r\n\r\n`],
      ['version HTTP/2.0', () => `GET /__sandbox/state HTTP/2.0\r\nHost: ${HOST}\r\n\r\n`],
    ])('answers %s without a 5xx', async (_name, bytes) => {
      await expectTolerated({ parts: [bytes()] });
    });
  });

  describe('the header block', () => {
    it.each([
      ['one 20 KiB header', `X-Big: ${'a'.repeat(20 * 1024)}\r\n`],
      ['4000 small headers', Array.from({ length: 4000 }, (_, i) => `X-${i}: v\r\n`).join('')],
      ['a 20 KiB header name', `${'X'.repeat(20 * 1024)}: v\r\n`],
      ['a space before the colon', 'X-Bad : v\r\n'],
      ['a space in the name', 'X Bad: v\r\n'],
      ['a line without a colon', 'NoColonHere\r\n'],
      ['an empty name', ': v\r\n'],
      ['an obsolete line fold', 'X-A: one\r\n two\r\n'],
      ['a NUL in a value', 'X-A: a\u0000b\r\n'],
      ['a CR alone in a value', 'X-A: a\rb\r\n'],
      ['a DEL in a name', 'X\u007fA: v\r\n'],
    ])('refuses %s', async (_name, header) => {
      await expectRefused({ parts: [`GET /__sandbox/state HTTP/1.1\r\nHost: ${HOST}\r\n${header}\r\n`] });
    });

    it('refuses a header block that never ends (bounded: 64 KiB of headers, then close)', async () => {
      const parts = [
        `GET /__sandbox/state HTTP/1.1\r\nHost: ${HOST}\r\n`,
        ...Array.from({ length: 64 }, () => `X-Pad: ${'p'.repeat(1020)}\r\n`),
      ];
      await expectRefused({ parts });
    });

    it('tolerates latin-1 bytes in a header value', async () => {
      await expectTolerated({
        parts: [request(`GET /__sandbox/state HTTP/1.1\r\nHost: ${HOST}\r\nX-A: \u00e9\u00ff\r\n\r\n`)],
      });
    });
  });

  describe('the message framing', () => {
    const head = (headers: string) =>
      `POST /__sandbox/scenario HTTP/1.1\r\nHost: ${HOST}\r\nContent-Type: application/json\r\n${headers}\r\n`;
    const body = '{"scenario":"ready"}';
    it.each([
      ['two different Content-Lengths', `Content-Length: ${body.length}\r\nContent-Length: ${body.length + 1}\r\n`],
      ['two equal Content-Lengths', `Content-Length: ${body.length}\r\nContent-Length: ${body.length}\r\n`],
      ['a Content-Length list', `Content-Length: ${body.length}, ${body.length}\r\n`],
      ['a negative Content-Length', 'Content-Length: -1\r\n'],
      ['a signed Content-Length', `Content-Length: +${body.length}\r\n`],
      ['a hex Content-Length', 'Content-Length: 0x14\r\n'],
      ['a Content-Length with a space inside', 'Content-Length: 2 0\r\n'],
      ['an empty Content-Length', 'Content-Length: \r\n'],
      ['a non-numeric Content-Length', 'Content-Length: abc\r\n'],
      ['a Content-Length past 2^64', 'Content-Length: 99999999999999999999999\r\n'],
      ['Content-Length and Transfer-Encoding', `Content-Length: ${body.length}\r\nTransfer-Encoding: chunked\r\n`],
      ['Transfer-Encoding and Content-Length', `Transfer-Encoding: chunked\r\nContent-Length: ${body.length}\r\n`],
      ['Transfer-Encoding gzip only', 'Transfer-Encoding: gzip\r\n'],
      ['Transfer-Encoding chunked, gzip', 'Transfer-Encoding: chunked, gzip\r\n'],
      ['Transfer-Encoding xchunked', 'Transfer-Encoding: xchunked\r\n'],
      ['Transfer-Encoding with a space before the colon', 'Transfer-Encoding : chunked\r\n'],
      ['Transfer-Encoding identity', 'Transfer-Encoding: identity\r\n'],
    ])('refuses %s', async (_name, headers) => {
      // The body is written as is, whatever framing the headers claim.
      await expectRefused({ parts: [head(headers), body] });
    });

    it.each([
      ['a size that is not hex', 'zz\r\nabc\r\n0\r\n\r\n'],
      ['a negative size', '-1\r\nabc\r\n0\r\n\r\n'],
      ['a size past 2^64', `${'f'.repeat(20)}\r\nabc\r\n`],
      ['data shorter than the size, then EOF', '10\r\nabc\r\n0\r\n\r\n'],
      ['data longer than the size', '3\r\nabcdef\r\n0\r\n\r\n'],
      ['no CRLF after the data', '3\r\nabc0\r\n\r\n'],
      ['a NUL in an extension', '3;x=\u0000\r\nabc\r\n0\r\n\r\n'],
      ['a space before the CRLF of the size', '3 \r\nabc\r\n0\r\n\r\n'],
      ['bare LF line ends', '3\nabc\n0\n\n'],
      ['no last chunk, then EOF', '3\r\nabc\r\n'],
      ['a bad trailer', '3\r\nabc\r\n0\r\nBad Trailer\r\n\r\n'],
    ])('refuses chunked framing with %s', async (_name, chunks) => {
      await expectRefused({ parts: [head('Transfer-Encoding: chunked\r\n'), chunks] });
    });

    it('answers a well-formed chunked body (the baseline of the cases above)', async () => {
      const x = await exchange({
        parts: [head('Transfer-Encoding: chunked\r\n'), `${body.length.toString(16)}\r\n${body}\r\n0\r\n\r\n`],
        then: 'open',
        answers: 1,
      });
      expect(statuses(x)).toEqual([200]);
    });
  });

  describe('a body over the 64 KiB cap', () => {
    const head = (headers: string) =>
      `POST /__sandbox/scenario HTTP/1.1\r\nHost: ${HOST}\r\nContent-Type: application/json\r\n${headers}\r\n`;
    const chunk = Buffer.alloc(64 * 1024, 0x20);

    it('answers a declared 1 GiB body 413 at once and closes without reading it', async () => {
      const x = await exchange({
        parts: [head(`Content-Length: ${1024 * MiB}\r\n`)],
        flood: { bytes: 1024 * MiB, chunk },
        timeoutMs: 10_000,
      });
      expect(statuses(x)).toEqual([413]);
      expect(x.answers[0]!.headers.connection).toBe('close');
      expect(x.closed).toBe(true);
      // What the socket took before the server closed it: kernel buffers, not the gigabyte.
      expect(x.written).toBeLessThan(48 * MiB);
      expect(await healthy()).toBeNull();
    });

    it('answers a declared 1 MiB body 413 and keeps serving the connection', async () => {
      const x = await exchange({
        parts: [head('Content-Length: 1048576\r\n'), Buffer.alloc(MiB, 0x20), get()],
        then: 'open',
        answers: 2,
      });
      expect(statuses(x)).toEqual([413, 200]);
    });

    it('answers an endless chunked body 413 and closes, having read at most about 8 MiB of it', async () => {
      const frame = Buffer.concat([Buffer.from(`${chunk.length.toString(16)}\r\n`), chunk, Buffer.from('\r\n')]);
      // Repro (2 runs in 24 on a loaded machine): the sandbox closed while the client still sent, the kernel
      // reset the connection, and the reset overtook the 413 in the client's buffer.
      const x = await exchange({
        parts: [head('Transfer-Encoding: chunked\r\n')],
        flood: { bytes: 1024 * MiB, chunk: frame },
        timeoutMs: 10_000,
      });
      expect(statuses(x)).toEqual([413]);
      expect(x.closed).toBe(true);
      expect(x.written).toBeLessThan(48 * MiB);
      expect(await healthy()).toBeNull();
    });

    // Repro: answered before the body arrived, the connection was kept and the body read and discarded: for
    // 500 ms after a 401 (over 500 MiB here), and to the end (the whole GiB) after a GET.
    it.each([
      ['a POST route that refuses before reading (401)', 'POST /v1/market/webhooks/subscriptions', 401],
      ['a GET', 'GET /__sandbox/state', 200],
    ])('answers a declared 1 GiB body to %s, closes and stops reading', async (_name, target, status) => {
      const h = `${target} HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: ${1024 * MiB}\r\n\r\n`;
      const x = await exchange({ parts: [h], flood: { bytes: 1024 * MiB, chunk }, timeoutMs: 10_000 });
      expect(statuses(x)).toEqual([status]);
      expect(x.answers[0]!.headers.connection).toBe('close');
      expect(x.closed).toBe(true);
      expect(x.written).toBeLessThan(48 * MiB);
      expect(await healthy()).toBeNull();
    });
  });

  describe('an aborted or slow client', () => {
    it('survives a body shorter than declared, then the socket destroyed mid-body', async () => {
      await exchange({ parts: [head1000(), '{"scenario":', { delay: 30 }], then: 'destroy' });
      expect(await healthy()).toBeNull();
    });

    it('answers a body shorter than declared, then a half-close, with a 4xx', async () => {
      await expectRefused({ parts: [head1000(), '{"scenario":'] });
    });

    it('survives a chunked body cut mid-chunk by a destroyed socket', async () => {
      const h = `POST /__sandbox/scenario HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n100\r\n{"scen`;
      await exchange({ parts: [h, { delay: 30 }], then: 'destroy' });
      expect(await healthy()).toBeNull();
    });

    it('survives a destroyed socket while the headers are still arriving', async () => {
      await exchange({
        parts: [`GET /__sandbox/state HTTP/1.1\r\nHost: ${HOST}\r\nX-Part`, { delay: 30 }],
        then: 'destroy',
      });
      expect(await healthy()).toBeNull();
    });

    it('survives a client sending one header byte every 10 ms for 300 ms, then closing', async () => {
      const text = `GET /__sandbox/state HTTP/1.1\r\nHost: ${HOST}\r\nX-Slow: ${'s'.repeat(100)}\r\n`;
      const parts = [...text.slice(0, 30)].flatMap((c) => [c, { delay: 10 }]);
      const x = await exchange({ parts, then: 'destroy' });
      expect(x.answers).toEqual([]);
      expect(await healthy()).toBeNull();
    });

    it('answers a whole request sent one byte every 4 ms', async () => {
      const text = get('/__sandbox/state', HOST, 'Connection: close\r\n');
      const x = await exchange({ parts: [...text].flatMap((c) => [c, { delay: 4 }]), then: 'open', answers: 1 });
      expect(statuses(x)).toEqual([200]);
    });

    it('serves other connections while a slow one is half-way through its headers', async () => {
      const slow = exchange({
        parts: [`GET /__sandbox/state HTTP/1.1\r\nHost: ${HOST}\r\n`, { delay: 300 }],
        then: 'destroy',
      });
      expect(await healthy()).toBeNull();
      await slow;
    });
  });

  describe('pipelined requests', () => {
    it('answers three GETs in one write, in order', async () => {
      const x = await exchange({ parts: [get() + get('/') + get('/nope')], then: 'open', answers: 3 });
      expect(statuses(x)).toEqual([200, 200, 404]);
    });

    it('answers 50 GETs in one write', async () => {
      const x = await exchange({ parts: [get().repeat(50)], then: 'open', answers: 50 });
      expect(statuses(x)).toEqual(Array(50).fill(200));
    });

    it('answers a POST with a body between two GETs', async () => {
      const x = await exchange({
        parts: [
          Buffer.concat([Buffer.from(get()), post('/__sandbox/scenario', '{"scenario":"ready"}'), Buffer.from(get())]),
        ],
        then: 'open',
        answers: 3,
      });
      expect(statuses(x)).toEqual([200, 200, 200]);
    });

    // Repro: the 400 was written at once, ahead of the answers still in the handler, so it read as the answer to
    // the first GET (and the real answers never came).
    it('answers the requests before a malformed one, then 400 and close', async () => {
      const x = await exchange({ parts: [`${get()}${get()}BROKEN\r\n\r\n${get()}`], timeoutMs: 3000 });
      expect(statuses(x)).toEqual([200, 200, 400]);
      expect(x.closed).toBe(true);
      expect(await healthy()).toBeNull();
    });

    it('answers a pipelined GET after a declared over-cap body with nothing but the 413 and a close', async () => {
      const x = await exchange({ parts: [head1000(`${100 * MiB}`), get()] });
      expect(statuses(x)).toEqual([413]);
      expect(x.closed).toBe(true);
      expect(await healthy()).toBeNull();
    });

    it('runs no request pipelined behind a body that was answered before it arrived (401, then close)', async () => {
      const body = '{"scenario":"ready"}';
      // A client that keeps sending after the answer and its FIN, as one still uploading would.
      const socket = connect({ host: '127.0.0.1', port, allowHalfOpen: true }).on('error', () => undefined);
      try {
        socket.write(
          `POST /v1/market/webhooks/subscriptions HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: ${body.length}\r\n\r\n`,
        );
        const answer = await new Promise<Buffer>((resolve) => socket.once('data', resolve));
        socket.write(Buffer.concat([Buffer.from(body), post('/__sandbox/scenario', '{"scenario":"no_mandate"}')]));
        await new Promise((resolve) => setTimeout(resolve, 200));
        expect(parseAnswers(answer).answers.map((a) => a.status)).toEqual([401]);
        expect(sandbox.scenario).toBe('ready');
      } finally {
        socket.destroy();
        sandbox.setScenario('ready');
      }
    });

    // Repro (5 runs in 5): the pipelined request was refused by destroying the socket with its body unread, and
    // the reset that sent threw away the 413 waiting in the client's buffer, as the linger above exists to prevent.
    it('keeps the 413 of an over-cap body when a request with a large body is pipelined behind it', async () => {
      const h = `POST /__sandbox/scenario HTTP/1.1\r\nHost: ${HOST}\r\nContent-Length: ${9 * MiB}\r\n\r\n`;
      const payload = Buffer.concat([
        Buffer.from(h),
        Buffer.alloc(9 * MiB, 0x20),
        post('/__sandbox/scenario', Buffer.alloc(4 * MiB, 0x20)),
      ]);
      // A client that reads only once it has sent everything: what arrived before a reset is lost with it.
      const received = await new Promise<Buffer>((resolve) => {
        const socket = connect({ host: '127.0.0.1', port }).pause();
        open.add(socket);
        const chunks: Buffer[] = [];
        const deadline = setTimeout(() => socket.destroy(), 10_000);
        socket.on('data', (c: Buffer) => chunks.push(c));
        socket.on('error', () => undefined);
        socket.on('close', () => (clearTimeout(deadline), open.delete(socket), resolve(Buffer.concat(chunks))));
        socket.write(payload, () => socket.resume());
      });
      expect(parseAnswers(received).answers.map((a) => a.status)).toEqual([413]);
      expect(sandbox.scenario).toBe('ready');
      expect(await healthy()).toBeNull();
    });

    it('answers requests that arrive while the first is still in the handler', async () => {
      // The first request's body arrives late; the next requests wait behind it on the same connection.
      const first = head1000('20');
      const x = await exchange({
        parts: [first, { delay: 50 }, `{"scenario":"ready"}${get()}${get()}`],
        then: 'open',
        answers: 3,
      });
      expect(statuses(x)).toEqual([200, 200, 200]);
    });

    it('survives a malformed request arriving while a pipelined one is in the handler', async () => {
      const x = await exchange({ parts: [head1000('20'), { delay: 30 }, '{"scenario":"ready"}GARBAGE\r\n\r\n'] });
      expect(statuses(x)).toEqual([200, 400]);
      expect(x.closed).toBe(true);
      expect(await healthy()).toBeNull();
    });
  });

  describe('the path', () => {
    it.each([
      ['a lone percent', '/__sandbox/state%'],
      ['an invalid escape', '/v1/%zz'],
      ['a truncated UTF-8 escape', '/v1/%E0%A4%A'],
      ['an escaped lone surrogate', '/v1/%ED%A0%80'],
      ['a raw NUL', '/__sandbox/\u0000state'],
      ['a raw SOH', '/__sandbox/\u0001'],
      ['a raw DEL', '/__sandbox/\u007f'],
      ['a raw tab', '/__sandbox/\tstate'],
      ['a raw CR', '/__sandbox/\rstate'],
      ['a backslash', '/__sandbox\\state'],
      ['a raw 0xff byte', '/__sandbox/\u00ffstate'],
      ['a raw UTF-8 sequence', '/__sandbox/\u00c3\u00a9'],
      ['a 64 KiB path', `/${'a'.repeat(64 * 1024)}`],
      ['a fragment', '/__sandbox/nothing#x'],
    ])('refuses %s', async (_name, path) => {
      await expectRefused({ parts: [request(`GET ${path} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`)] });
    });

    it.each([
      ['an escaped NUL', '/%00'],
      ['dot segments', '/x/../__sandbox/state'],
      ['escaped dot segments', '/%2e%2e/__sandbox/state'],
      ['a double slash', '//__sandbox/state'],
      ['a bad query escape', '/__sandbox/state?%zz=%'],
      ['an escaped slash', '/__sandbox%2Fstate'],
    ])('answers %s without a 5xx', async (_name, path) => {
      await expectTolerated({ parts: [`GET ${path} HTTP/1.1\r\nHost: ${HOST}\r\n\r\n`] });
    });
  });

  describe('the request target and Host', () => {
    const line = (target: string, ...hosts: string[]) =>
      `GET ${target} HTTP/1.1\r\n${hosts.map((h) => `Host: ${h}\r\n`).join('')}\r\n`;
    const one = async (bytes: string) =>
      (await exchange({ parts: [request(bytes)], then: 'open', answers: 1 })).answers[0]?.status;

    it.each([
      ['no Host (HTTP/1.1)', () => line('/__sandbox/state')],
      ['no Host (HTTP/1.0)', () => 'GET /__sandbox/state HTTP/1.0\r\n\r\n'],
      ['an empty Host', () => line('/__sandbox/state', '')],
      ['two Hosts, the own one first', () => line('/__sandbox/state', HOST, 'rebind.attacker.example')],
      ['two Hosts, the foreign one first', () => line('/__sandbox/state', 'rebind.attacker.example', HOST)],
      ['two equal own Hosts', () => line('/__sandbox/state', HOST, HOST)],
      ['a Host list', () => line('/__sandbox/state', `${HOST}, rebind.attacker.example`)],
      ['a foreign Host', () => line('/__sandbox/state', 'rebind.attacker.example')],
      ['a foreign Host at the sandbox port', () => line('/__sandbox/state', `rebind.attacker.example:${port}`)],
      ['the own address without the port', () => line('/__sandbox/state', '127.0.0.1')],
      ['the own address at another port', () => line('/__sandbox/state', '127.0.0.1:1')],
      ['an IPv6 literal without the port', () => line('/__sandbox/state', '[::1]')],
      ['an unbracketed IPv6 literal', () => line('/__sandbox/state', '::1')],
      ['an unclosed IPv6 bracket', () => line('/__sandbox/state', `[::1:${port}`)],
      ['a Host with userinfo', () => line('/__sandbox/state', `evil@127.0.0.1:${port}`)],
      ['a Host with a path', () => line('/__sandbox/state', `${HOST}/x`)],
      ['a Host with a bad port', () => line('/__sandbox/state', '127.0.0.1:99999')],
      ['a Host with a space', () => line('/__sandbox/state', `127.0.0.1 :${port}`)],
      ['a Host with percent-encoding', () => line('/__sandbox/state', `127.0.0.%31:${port}`)],
      // Repro: the adapter put these into the request URL unparsed, and the app's `new URL()` threw (a 500).
      ['an IPv4 Host with a part over 255', () => line('/__sandbox/state', `1.2.3.256:${port}`)],
      ['an IPv4 Host with a long last part', () => line('/__sandbox/state', '127.0.0.1769')],
      ['an IPv4 Host with five parts', () => line('/__sandbox/state', `1.2.3.4.5:${port}`)],
      ['an absolute-form foreign target', () => line('http://rebind.attacker.example/__sandbox/state', HOST)],
      [
        'an absolute-form own target with a foreign Host',
        () => line(`http://${HOST}/__sandbox/state`, 'rebind.attacker.example'),
      ],
      [
        'an absolute-form own target without Host (HTTP/1.0)',
        () => `GET http://rebind.attacker.example/__sandbox/state HTTP/1.0\r\n\r\n`,
      ],
      [
        'an absolute-form target with userinfo',
        () => line(`http://evil@rebind.attacker.example/__sandbox/state`, HOST),
      ],
      ['an absolute-form ftp target', () => line(`ftp://${HOST}/__sandbox/state`, HOST)],
      ['an absolute-form target without a path', () => line(`http://rebind.attacker.example`, HOST)],
    ])('refuses %s', async (_name, bytes) => {
      await expectRefused({ parts: [request(bytes())] });
    });

    it('answers the own Host, localhost, [::1] at its port, and an absolute-form own target', async () => {
      expect(await one(line('/__sandbox/state', HOST))).toBe(200);
      expect(await one(line('/__sandbox/state', `LOCALHOST:${port}`))).toBe(200);
      expect(await one(line('/__sandbox/state', `[::1]:${port}`))).toBe(200);
      expect(await one(line(`http://${HOST}/__sandbox/state`, HOST))).toBe(200);
      // Spellings of 127.0.0.1 that URL parsing normalises (not names, so no rebinding).
      expect(await one(line('/__sandbox/state', `127.0.0.1.:${port}`))).toBe(200);
      expect(await one(line('/__sandbox/state', `2130706433:${port}`))).toBe(200);
      expect(await healthy()).toBeNull();
    });

    it('answers a foreign Host 421 HOST_NOT_ALLOWED over the socket', async () => {
      const x = await exchange({
        parts: [line('/__sandbox/state', 'rebind.attacker.example')],
        then: 'open',
        answers: 1,
      });
      expect(statuses(x)).toEqual([421]);
      expect(JSON.parse(x.answers[0]!.body.toString()).error.code).toBe('HOST_NOT_ALLOWED');
    });
  });

  describe('a JSON body that is not UTF-8', () => {
    it.each([
      [
        'lone continuation bytes',
        Buffer.from([
          0x7b, 0x22, 0x73, 0x63, 0x65, 0x6e, 0x61, 0x72, 0x69, 0x6f, 0x22, 0x3a, 0x22, 0x80, 0x81, 0x22, 0x7d,
        ]),
      ],
      [
        'a truncated sequence at the end',
        Buffer.concat([Buffer.from('{"scenario":"ready"}'), Buffer.from([0xe2, 0x82])]),
      ],
      ['an overlong NUL', Buffer.from([0x7b, 0x22, 0xc0, 0x80, 0x22, 0x3a, 0x31, 0x7d])],
      [
        'an encoded surrogate',
        Buffer.concat([Buffer.from('{"scenario":"'), Buffer.from([0xed, 0xa0, 0x80]), Buffer.from('"}')]),
      ],
      ['UTF-16 with a BOM', Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from('{"scenario":"ready"}', 'utf16le')])],
      ['bytes 0xfe 0xff', Buffer.from([0xfe, 0xff, 0xfe, 0xff])],
    ])('refuses %s with a 4xx, on a control route and a /v1 route', async (_name, bytes) => {
      await expectRefused({ parts: [post('/__sandbox/scenario', bytes)] });
      const token = sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN;
      await expectRefused({
        parts: [post('/v1/sdrp/direct-payments/checkout-sessions', bytes, `Authorization: Bearer ${token}\r\n`)],
      });
    });
  });

  it(`answers ${RANDOM_CASES} seeded random inputs (raw bytes and mutated requests) below 500, and stays usable`, async () => {
    const rng = mulberry32(SEED ^ 0x50c4e7);
    const started = Date.now();
    const failures: string[] = [];
    let ran = 0;
    const worker = async () => {
      while (ran < RANDOM_CASES && Date.now() - started < RANDOM_BUDGET_MS && failures.length < 5) {
        const i = ran++;
        const { bytes, label } = randomInput(rng);
        // Sometimes in two writes (a request split across packets), sometimes ended by a reset instead of a FIN.
        const cut = rng() < 0.2 ? int(rng, bytes.length + 1) : bytes.length;
        const then = rng() < 0.1 ? 'destroy' : 'end';
        const parts = [bytes.subarray(0, cut), { delay: 5 }, bytes.subarray(cut)];
        const x = await exchange({ parts, then, timeoutMs: SOCKET_TIMEOUT_MS });
        const why = tolerance(x) ?? (i % 10 === 9 ? await healthy() : null);
        if (why)
          failures.push(
            `seed=${SEED} #${i} (${label}; split at ${cut}, ${then}) ${JSON.stringify(bytes.subarray(0, 300).toString('latin1'))} -> ${why}`,
          );
      }
    };
    await Promise.all([worker(), worker(), worker(), worker()]);
    expect(failures, failures.join('\n')).toEqual([]);
    expect(await healthy()).toBeNull();
    expect(ran).toBeGreaterThan(Math.min(RANDOM_CASES, 20) - 1);
  });

  it('logged no unexpected error and printed none (a 500 from the adapter goes through console.error)', () => {
    expect(errors).toEqual([]);
    expect(consoleError).not.toHaveBeenCalled();
    expect(leftOpen).toBe(0);
  });
});

function head1000(length = '1000'): string {
  return `POST /__sandbox/scenario HTTP/1.1\r\nHost: ${HOST}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;
}

// ---------------------------------------------------------------------------------------------------------
// The random inputs.

type Rng = () => number;
const pick = <T>(rng: Rng, list: readonly T[]): T => list[Math.floor(rng() * list.length)]!;
const int = (rng: Rng, n: number) => Math.floor(rng() * n);

/** Valid requests the mutations start from. */
function templates(): Buffer[] {
  const token = sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN;
  return [
    Buffer.from(get()),
    Buffer.from(get('/v1/market/webhooks/subscriptions', HOST, `Authorization: Bearer ${token}\r\n`)),
    post('/__sandbox/scenario', '{"scenario":"ready"}'),
    post(
      '/v1/sdrp/direct-payments/checkout-sessions',
      '{"merchant":"sandbox_shop","amount_minor":4200}',
      `Authorization: Bearer ${token}\r\n`,
    ),
    request(
      `POST /__sandbox/scenario HTTP/1.1\r\nHost: ${HOST}\r\nTransfer-Encoding: chunked\r\n\r\n14\r\n{"scenario":"ready"}\r\n0\r\n\r\n`,
    ),
    Buffer.from(`${get()}${get('/')}`),
  ];
}

const SPLICES = [
  '\r\n',
  '\n',
  '\r',
  '\u0000',
  ' ',
  ':',
  '%',
  '%zz',
  '\\',
  'Content-Length: 5\r\n',
  'Transfer-Encoding: chunked\r\n',
  'Host: evil.example\r\n',
  'ffffffff\r\n',
  'HTTP/1.1',
  '\u00ff',
  '\u007f',
  '\t',
];

/** Random bytes, or a valid request with a few seeded mutations. */
function randomInput(rng: Rng): { bytes: Buffer; label: string } {
  if (rng() < 0.25) {
    const bytes = Buffer.alloc(int(rng, 600));
    for (let i = 0; i < bytes.length; i++)
      bytes[i] = rng() < 0.5 ? int(rng, 256) : pick(rng, [0x0d, 0x0a, 0x20, 0x3a, 0x47, 0x2f]);
    return { bytes, label: 'random bytes' };
  }
  let bytes = pick(rng, templates());
  const labels: string[] = [];
  for (let n = 1 + int(rng, 4); n > 0; n--) {
    const at = int(rng, bytes.length + 1);
    const k = int(rng, 5);
    if (k === 0) {
      bytes = Buffer.from(bytes);
      bytes[Math.min(at, bytes.length - 1)] = int(rng, 256);
      labels.push(`byte@${at}`);
    } else if (k === 1) {
      const splice = pick(rng, SPLICES);
      bytes = Buffer.concat([bytes.subarray(0, at), Buffer.from(splice, 'latin1'), bytes.subarray(at)]);
      labels.push(`insert ${JSON.stringify(splice)}@${at}`);
    } else if (k === 2) {
      const len = 1 + int(rng, 8);
      bytes = Buffer.concat([bytes.subarray(0, at), bytes.subarray(at + len)]);
      labels.push(`delete ${len}@${at}`);
    } else if (k === 3) {
      bytes = bytes.subarray(0, at);
      labels.push(`truncate@${at}`);
    } else {
      const len = 1 + int(rng, 40);
      bytes = Buffer.concat([bytes.subarray(0, at + len), bytes.subarray(at, at + len), bytes.subarray(at + len)]);
      labels.push(`repeat ${len}@${at}`);
    }
  }
  return { bytes, label: labels.join(', ') };
}
