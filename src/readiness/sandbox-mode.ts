/**
 * `readiness --sandbox`: point readiness at a local sandbox, starting one
 * in-process when none answers, and stand in for the shop's webhook endpoint
 * when no webhook URL is given. With an empty environment this makes every
 * check pass, which is what a fresh checkout's `npm run demo` shows.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { normalizeBaseUrl } from '../core/config.js';
import { isLoopbackHost } from '../core/validation.js';
import type { SandboxHandle } from '../sandbox/index.js';
import { resolveSandboxOptions, sandboxOptionOrUndefined } from '../sandbox/options.js';
import { startWebhookReceiver, type WebhookReceiver } from './receiver.js';
import type { ReadinessOptions } from './types.js';

/** How long the reachability probe of an existing sandbox may take. */
export const SANDBOX_PROBE_TIMEOUT_MS = 500;

/** What {@link prepareSandboxReadiness} set up. */
export interface SandboxReadinessSetup {
  /** Options to pass to `runReadiness` (inputs filled from the sandbox, `sandbox: true`). */
  options: ReadinessOptions;
  /** Where the sandbox came from: one already listening, or one started for this run. */
  sandbox: 'existing' | 'started';
  /** API base URL readiness will use. */
  base_url: string;
  /** True when a local receiver stands in for the shop's webhook endpoint. */
  receiver: boolean;
  /** Stops what was started for this run (sandbox, receiver). Safe to call twice. */
  close(): Promise<void>;
}

/** The sandbox's default API base (`http://127.0.0.1:8787/v1`). */
export function defaultSandboxApiBase(): string {
  const d = resolveSandboxOptions({});
  return `http://${d.host}:${d.port}/v1`;
}

/**
 * True when anything answers HTTP at `baseUrl` within `timeoutMs` (any
 * status counts: a 401 still proves a server is there).
 */
export function isApiReachable(baseUrl: string, timeoutMs = SANDBOX_PROBE_TIMEOUT_MS): Promise<boolean> {
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(`${baseUrl}/market/webhooks/subscriptions`);
    } catch {
      resolve(false);
      return;
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method: 'GET', timeout: timeoutMs, headers: { accept: 'application/json', connection: 'close' } }, (res) => {
      res.resume();
      resolve(true);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

// Only values the sandbox itself accepts are handed to an in-process sandbox:
// a bad one would stop it from starting, while readiness should report it as a
// failing config check instead.
function plausible(o: ReadinessOptions) {
  return {
    token: sandboxOptionOrUndefined('merchant_token', o.auth_token),
    secret: sandboxOptionOrUndefined('webhook_secret', o.webhook_secret),
    merchant: sandboxOptionOrUndefined('merchant', o.merchant),
    origin: sandboxOptionOrUndefined('origin', o.shop_origin),
    webhook_url: sandboxOptionOrUndefined('webhook_url', o.webhook_url),
  };
}

function fill(o: ReadinessOptions, env: Record<string, string>, base_url: string): ReadinessOptions {
  return {
    ...o,
    base_url,
    sandbox: true,
    merchant: o.merchant ?? env.SIGLUME_DIRECT_PAYMENT_MERCHANT,
    auth_token: o.auth_token ?? env.SIGLUME_MERCHANT_AUTH_TOKEN,
    webhook_secret: o.webhook_secret ?? env.SIGLUME_WEBHOOK_SECRET,
    shop_origin: o.shop_origin ?? env.SHOP_PUBLIC_ORIGIN,
    webhook_url: o.webhook_url ?? env.SHOP_WEBHOOK_URL,
  };
}

/**
 * Prepares a readiness run against the sandbox:
 *
 * 1. base URL = `options.base_url` or the sandbox default
 *    `http://127.0.0.1:8787/v1`; if it is loopback and something answers
 *    there, use it and fill missing inputs with the sandbox's defaults (a
 *    non-loopback base gets no defaults at all);
 * 2. otherwise (loopback base only) start a sandbox in-process on a free
 *    port. When no webhook URL is given, also start a local receiver that
 *    verifies deliveries with the sandbox's signing secret, and seed the
 *    sandbox's subscription with the receiver's URL.
 *
 * Call `close()` when the run is over.
 *
 * @example
 * const setup = await prepareSandboxReadiness({});
 * try {
 *   const report = await runReadiness(setup.options);
 * } finally {
 *   await setup.close();
 * }
 */
export async function prepareSandboxReadiness(options: ReadinessOptions = {}): Promise<SandboxReadinessSetup> {
  const defaults = resolveSandboxOptions({});
  const defaultEnv: Record<string, string> = {
    SIGLUME_DIRECT_PAYMENT_MERCHANT: defaults.merchant,
    SIGLUME_MERCHANT_AUTH_TOKEN: defaults.merchant_token,
    SIGLUME_WEBHOOK_SECRET: defaults.webhook_secret,
    SHOP_PUBLIC_ORIGIN: defaults.origin,
    SHOP_WEBHOOK_URL: defaults.webhook_url,
  };
  const base_url = normalizeBaseUrl(options.base_url ?? defaultSandboxApiBase());
  const loopback = isLoopbackHost(new URL(base_url).hostname);
  // A non-loopback API is not a local sandbox: --sandbox then only relaxes
  // http on localhost, and the sandbox's public defaults are never filled in,
  // so config checks cannot pass on fake values against a real account.
  if (!loopback) {
    return { options: { ...options, base_url, sandbox: true }, sandbox: 'existing', base_url, receiver: false, close: async () => {} };
  }
  if (await isApiReachable(base_url)) {
    return { options: fill(options, defaultEnv, base_url), sandbox: 'existing', base_url, receiver: false, close: async () => {} };
  }

  const given = plausible(options);
  let receiver: WebhookReceiver | null = null;
  const secret = given.secret ?? defaults.webhook_secret;
  if (options.webhook_url === undefined) receiver = await startWebhookReceiver({ secret });
  let sandbox: SandboxHandle;
  try {
    const { startSandbox } = await import('../sandbox/index.js');
    sandbox = await startSandbox({
      port: 0,
      host: '127.0.0.1',
      merchant: given.merchant,
      merchant_token: given.token,
      webhook_secret: secret,
      origin: given.origin ?? receiver?.origin,
      webhook_url: receiver?.url ?? given.webhook_url,
      quiet: true,
    });
  } catch (error) {
    await receiver?.close();
    throw error;
  }
  const env: Record<string, string> = { ...defaultEnv, ...sandbox.env };
  if (receiver) {
    env.SHOP_WEBHOOK_URL = receiver.url;
    env.SHOP_PUBLIC_ORIGIN = given.origin ?? receiver.origin;
  }
  let closed = false;
  return {
    options: fill(options, env, sandbox.api_base),
    sandbox: 'started',
    base_url: sandbox.api_base,
    receiver: receiver !== null,
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.allSettled([sandbox.close(), receiver?.close()]);
    },
  };
}
