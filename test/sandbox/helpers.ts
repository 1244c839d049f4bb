/**
 * Shared test helpers for the sandbox suites: a webhook receiver on
 * 127.0.0.1 and thin raw-HTTP helpers.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createSandbox, startSandbox, type SandboxHandle, type SandboxOptions } from '../../src/sandbox/index.js';

/** One request the receiver got. */
export interface ReceivedWebhook {
  path: string;
  headers: IncomingMessage['headers'];
  rawBody: string;
}

/** A local webhook endpoint that records what it receives. */
export interface WebhookReceiver {
  origin: string;
  url: string;
  received: ReceivedWebhook[];
  /** Status to answer with (default 204). */
  status: number;
  /** Delay before answering, in ms (default 0). */
  delayMs: number;
  close(): Promise<void>;
}

export async function startReceiver(path = '/payments/webhooks/siglume'): Promise<WebhookReceiver> {
  const received: ReceivedWebhook[] = [];
  const receiver = { received, status: 204, delayMs: 0 } as WebhookReceiver;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url ?? '', headers: req.headers, rawBody: Buffer.concat(chunks).toString('utf8') });
      setTimeout(() => {
        res.writeHead(receiver.status);
        res.end();
      }, receiver.delayMs);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as { port: number }).port;
  receiver.origin = `http://127.0.0.1:${port}`;
  receiver.url = `${receiver.origin}${path}`;
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

/** Starts a sandbox on a free port (or, `inProcess`, one without a socket) whose seeded subscription points at `receiver`. */
export function sandboxFor(receiver: Pick<WebhookReceiver, 'origin' | 'url'>, options: SandboxOptions = {}, inProcess = false): Promise<SandboxHandle> {
  const o = { origin: receiver.origin, webhook_url: receiver.url, delivery_timeout_ms: 2000, delivery_backoff_ms: 10, ...options };
  return inProcess ? createSandbox(o) : startSandbox({ port: 0, ...o });
}

/** How a test reaches a sandbox: over its socket, or in-process through `handle.fetch` (the clients' `fetch` option). */
export const TRANSPORTS = [
  { name: 'over a socket', inProcess: false },
  { name: 'in-process through handle.fetch', inProcess: true },
] as const;

/** The `fetch` option a client needs for `sandbox` (undefined: the client's own network transport). */
export function clientFetch(sandbox: SandboxHandle, inProcess: boolean) {
  return inProcess ? (url: string, init: RequestInit) => sandbox.fetch(new Request(url, init)) : undefined;
}

/** A parsed JSON answer. */
export interface JsonAnswer {
  status: number;
  headers: Headers;
  body: any;
}

/** Calls the sandbox with a bearer token and a JSON body. */
export async function call(
  sandbox: SandboxHandle,
  method: string,
  path: string,
  options: { token?: string | null; body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<JsonAnswer> {
  const headers: Record<string, string> = { ...options.headers };
  const token = options.token === undefined ? sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN : options.token;
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (options.rawBody !== undefined) body = options.rawBody;
  else if (options.body !== undefined) body = JSON.stringify(options.body);
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const url = path.startsWith('/__sandbox') || path.startsWith('/pay') ? `${sandbox.url}${path}` : `${sandbox.api_base}${path}`;
  const res = await fetch(url, { method, headers, body, redirect: 'manual' });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    // keep the text (HTML pages)
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

/** Creates a checkout session for the seeded merchant; returns its `data`. */
export async function createSession(
  sandbox: SandboxHandle,
  input: { amount_minor?: number; currency?: string; nonce?: string; metadata?: Record<string, unknown> } = {},
) {
  const origin = sandbox.env.SHOP_PUBLIC_ORIGIN;
  const answer = await call(sandbox, 'POST', '/sdrp/direct-payments/checkout-sessions', {
    body: {
      merchant: sandbox.env.SIGLUME_DIRECT_PAYMENT_MERCHANT,
      amount_minor: input.amount_minor ?? 4200,
      currency: input.currency ?? 'JPY',
      nonce: input.nonce ?? `order-${Math.random().toString(36).slice(2)}`,
      success_url: `${origin}/checkout/siglume/success`,
      cancel_url: `${origin}/checkout/siglume/cancel`,
      ...(input.metadata ? { metadata: input.metadata } : {}),
    },
  });
  if (answer.status !== 201) throw new Error(`createSession failed: ${answer.status} ${JSON.stringify(answer.body)}`);
  return answer.body.data;
}

/** Polls `check` every 10 ms until it returns a value or `timeoutMs` passes. */
export async function waitFor<T>(check: () => T | undefined | Promise<T | undefined>, timeoutMs = 3000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error('waitFor timed out');
    await new Promise((r) => setTimeout(r, 10));
  }
}
