/**
 * `close()` of a listening sandbox with clients still connected: keep-alive sockets of undici (the global
 * `fetch`) and of a `node:http` Agent, an upload stuck mid-body, and a request that completes while closing.
 * Close must stop within its bound of 1 s (asserted below 2.5 s: a bound, not a timing figure), free the port
 * and write the state file. Loopback only, port 0.
 */
import { Agent, Server, request } from 'node:http';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { connect, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createSandbox, startSandbox, type SandboxFaults, type SandboxLogEntry } from '../../src/sandbox/index.js';
import { TRANSPORTS } from './helpers.js';

let dir: string;
const agent = new Agent({ keepAlive: true });

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'sdrp-sandbox-close-'));
});

afterAll(async () => {
  agent.destroy();
  await rm(dir, { recursive: true, force: true });
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Resolves with how long `close` took, or 'hung' after 10 s. */
async function timed(close: () => Promise<void>): Promise<number | 'hung'> {
  const started = performance.now();
  const hung = new Promise<'hung'>((resolve) => setTimeout(() => resolve('hung'), 10_000).unref());
  return Promise.race([close().then(() => performance.now() - started), hung]);
}

/** A raw connection that records what it reads and when the server closed it. */
function rawClient(port: number) {
  const socket: Socket = connect({ host: '127.0.0.1', port });
  socket.on('error', () => undefined);
  const client = { socket, text: '', closed: new Promise<void>((resolve) => socket.once('close', () => resolve())) };
  socket.on('data', (chunk: Buffer) => (client.text += chunk.toString('latin1')));
  return client;
}

const scenarioPost = (port: number, length: number) =>
  `POST /__sandbox/scenario HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`;

/** Listens on `port` again and closes: resolves 'free', or the error code. */
const listenAgain = (port: number) =>
  new Promise<string>((resolve) => {
    const probe = createServer();
    probe.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? 'error'));
    probe.listen(port, '127.0.0.1', () => probe.close(() => resolve('free')));
  });

describe('sandbox close', () => {
  it('stops within its bound with idle keep-alive clients and an upload stuck mid-body, and frees the port', async () => {
    const sandbox = await startSandbox({ port: 0, host: '127.0.0.1', quiet: true });
    const port = Number(new URL(sandbox.url).port);
    // Two keep-alive connections left idle in their clients' pools.
    expect((await fetch(`${sandbox.url}/__sandbox/state`).then((r) => (r.body?.cancel(), r))).status).toBe(200);
    const viaAgent = await new Promise<number>((resolve, reject) =>
      request(`${sandbox.url}/__sandbox/state`, { agent }, (res) =>
        res.resume().on('end', () => resolve(res.statusCode!)),
      )
        .on('error', reject)
        .end(),
    );
    expect(viaAgent).toBe(200);
    expect(Object.keys(agent.freeSockets)).toHaveLength(1);
    // A request whose body never completes: in the handler, waiting to read.
    const stuck = rawClient(port);
    stuck.socket.write(`${scenarioPost(port, 1000)}{"scenario":`);
    await sleep(100);

    const took = await timed(() => sandbox.close());
    expect(took).not.toBe('hung');
    expect(took).toBeLessThan(2500);
    await stuck.closed;
    expect(await listenAgain(port)).toBe('free');
  });

  it('answers a request that completes while closing with Connection: close, and stops then, keeping its change', async () => {
    const stateFile = join(dir, 'state.json');
    const sandbox = await startSandbox({ port: 0, host: '127.0.0.1', quiet: true, state_file: stateFile });
    const port = Number(new URL(sandbox.url).port);
    // A keep-alive connection left idle, closed at once, and a request whose body arrives while closing.
    expect((await fetch(`${sandbox.url}/__sandbox/state`).then((r) => (r.body?.cancel(), r))).status).toBe(200);
    const body = '{"scenario":"no_mandate"}';
    const late = rawClient(port);
    late.socket.write(`${scenarioPost(port, body.length)}${body.slice(0, 5)}`);
    await sleep(100);

    // Not held until the bound by a connection the answer left open: the 1 s force-close is never needed.
    const forced = vi.spyOn(Server.prototype, 'closeAllConnections');
    try {
      const closing = timed(() => sandbox.close());
      await sleep(50);
      late.socket.write(body.slice(5));
      expect(await closing).not.toBe('hung');
      await late.closed;
      expect(late.text).toMatch(/^HTTP\/1\.1 200 /);
      expect(late.text.toLowerCase()).toContain('\r\nconnection: close\r\n');
      expect(forced).not.toHaveBeenCalled();
    } finally {
      forced.mockRestore();
    }

    // The change is in the state file, and the same port takes the restarted sandbox.
    const again = await startSandbox({ port, host: '127.0.0.1', quiet: true, state_file: stateFile });
    try {
      expect(again.scenario).toBe('no_mandate');
    } finally {
      await again.close();
    }
  });
});

describe.each(TRANSPORTS)('after close, $name', ({ inProcess }) => {
  const open = async (name: string) => {
    const late: SandboxLogEntry[] = [];
    let closed = false;
    const sub = await mkdtemp(join(dir, `${name}-`));
    const onLog = (entry: SandboxLogEntry) => void (closed && late.push(entry));
    const options = { quiet: true, state_file: join(sub, 'state.json'), onLog };
    const sandbox = inProcess ? await createSandbox(options) : await startSandbox({ port: 0, ...options });
    const send = (path: string, init: RequestInit = {}) => (inProcess ? sandbox.fetch : fetch)(`${sandbox.api_base}${path}`, init);
    const close = async () => {
      await sandbox.close();
      closed = true;
      await rm(sub, { recursive: true, force: true }); // as a test's cleanup does
    };
    return { sandbox, send, close, late, sub };
  };

  const faults: Array<[string, SandboxFaults]> = [
    ['latency_ms', { latency_ms: 60_000 }],
    ['delay_after_commit', { delay_after_commit: { count: 1, delay_ms: 60_000 } }],
  ];
  it.each(faults)('drops a request waiting on %s when close starts: no answer, no log, no write after close', async (name, fault) => {
    const { sandbox, send, close, late, sub } = await open(name);
    sandbox.setFaults(fault);
    const headers = { Authorization: `Bearer ${sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN}`, 'Content-Type': 'application/json' };
    const body = JSON.stringify({ merchant: 'sandbox_shop', amount_minor: 4200, currency: 'JPY', nonce: `late-${name}`, success_url: 'http://127.0.0.1:3000/ok', cancel_url: 'http://127.0.0.1:3000/c' });
    const pending = send('/sdrp/direct-payments/checkout-sessions', { method: 'POST', headers, body }).then(
      (res) => `answered ${res.status}`,
      (error: unknown) => error,
    );
    await sleep(100);
    await close();
    const error = await pending; // was "answered 201" after close() had resolved
    expect(error).toBeInstanceOf(TypeError);
    if (inProcess) expect(((error as Error).cause as Error).message).toMatch(/sandbox is closed/);
    await sleep(100);
    expect(late).toEqual([]);
    expect(existsSync(sub)).toBe(false); // a write after close re-created the deleted directory
  });

  it('refuses later requests as fetch does on a closed server, and persists no later change', async () => {
    const { sandbox, send, close, late, sub } = await open('later');
    await close();
    const error = await send('/market/webhooks/subscriptions').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(TypeError);
    expect((error as Error).message).toBe('fetch failed');
    if (inProcess) expect(((error as Error).cause as Error).message).toMatch(/sandbox is closed/);
    expect(() => sandbox.setScenario('no_mandate')).toThrow('The sandbox is closed (close() was called).');
    await sandbox.flush();
    await sleep(100);
    expect(late).toEqual([]);
    expect(existsSync(sub)).toBe(false);
  });
});

describe('close, with an in-process request whose body is still arriving', () => {
  async function streamed() {
    const sub = await mkdtemp(join(dir, 'streamed-'));
    const state_file = join(sub, 'state.json');
    const sandbox = await createSandbox({ quiet: true, state_file });
    let controller!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (controller = c) });
    const headers = { authorization: `Bearer ${sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN}`, 'content-type': 'application/json' };
    const pending = sandbox
      .fetch(`${sandbox.api_base}/sdrp/direct-payments/checkout-sessions`, { method: 'POST', body, headers, duplex: 'half' } as RequestInit)
      .then((res) => res.status, (error: unknown) => error);
    const finish = () => {
      const input = { merchant: 'sandbox_shop', amount_minor: 4200, currency: 'JPY', nonce: 'streamed', success_url: 'http://127.0.0.1:3000/ok', cancel_url: 'http://127.0.0.1:3000/c' };
      controller.enqueue(new TextEncoder().encode(JSON.stringify(input)));
      controller.close();
    };
    const saved = async () => Object.keys(JSON.parse(await readFile(state_file, 'utf8')).checkout_sessions).length;
    await sleep(50);
    return { sandbox, pending, finish, saved };
  }

  it('lets it finish, answers it and saves its change before close() resolves', async () => {
    const { sandbox, pending, finish, saved } = await streamed();
    const closed = sandbox.close();
    await sleep(100);
    finish();
    await closed;
    expect(await pending).toBe(201);
    expect(await saved()).toBe(1);
  });

  it('stops waiting after 2 s: the request is then dropped, not answered, and its change is not saved', async () => {
    const { sandbox, pending, finish, saved } = await streamed();
    await sandbox.close();
    finish();
    const error = await pending;
    expect(error).toBeInstanceOf(TypeError);
    expect(((error as Error).cause as Error).message).toMatch(/sandbox is closed/);
    expect(await saved()).toBe(0);
  });
});
