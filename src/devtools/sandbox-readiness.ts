/**
 * `readiness --sandbox` plumbing: find or start a local sandbox (and a local
 * webhook receiver standing in for the shop), and fill the readiness inputs
 * a merchant has not set with the sandbox's. Node-only, so it lives here and
 * not in the runtime-neutral readiness engine, which only receives the
 * options this module prepares. `npm run demo` is exactly this.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { normalizeBaseUrl } from '../core/config.js';
import { isLoopbackHost } from '../core/validation.js';
import type { ReadinessOptions } from '../readiness/types.js';
import { acceptedByLocalSandbox, localSandboxDefaults, startLocalSandbox, type LocalSandbox } from './local-sandbox.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

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
  /**
   * Why this sandbox: `answered` (something answered at the address checked,
   * so readiness attached to it), `no_answer` (nothing answered there, so an
   * embedded sandbox was started), `not_sandbox` (a server that is not a
   * Siglume sandbox answered at the default address, which nobody asked
   * for: it was sent nothing and an embedded sandbox was started) or
   * `not_loopback` (the API base is not on this machine: used as it is,
   * without sandbox defaults).
   */
  reason: 'answered' | 'no_answer' | 'not_sandbox' | 'not_loopback';
  /** The address that was checked for a running sandbox. */
  checked_url: string;
  /** Where that address came from, e.g. `SIGLUME_API_BASE`, `--base-url`, `the default sandbox address`. */
  checked_url_from: string;
  /** One sentence saying which sandbox was used and why, for people. */
  message: string;
  /**
   * Set when the checks ran against a sandbox started for this run although
   * an address was named (`--base-url`, `SIGLUME_API_BASE`, ...) where nothing
   * answered: the verdict does not cover that address (a shop set up with it
   * cannot reach Siglume, whatever the checks say). One sentence with the fix;
   * absent otherwise. It does not change the verdict or the exit status.
   */
  caveat?: string;
  /** Stops what was started for this run (sandbox, receiver). Safe to call twice. */
  close(): Promise<void>;
}

/**
 * Why a green verdict does not cover the address that was named, when nothing answered there: a shop set up
 * with an address from its settings cannot reach Siglume, and a `--base-url` the caller typed was not what
 * the checks ran against.
 */
function unreachableCaveat(base_url: string, from: string): string {
  const url = new URL(base_url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const start = `siglume-sdrp sandbox${host === '127.0.0.1' ? '' : ` --host ${host}`} --port ${url.port || '80'}`;
  if (from === '--base-url') {
    const lead = `Nothing answers at ${base_url} (--base-url): the checks ran against the sandbox started for this run, not that address`;
    if (url.protocol !== 'http:') return `${lead}, and the sandbox speaks http only: point --base-url at a sandbox's http address, or drop it.`;
    return `${lead}. To check that address, start the sandbox there (${start}) and run again; to use a started one, drop --base-url.`;
  }
  const lead = `Nothing answers at ${base_url} (${from}), the API a shop set up with it calls`;
  if (url.protocol !== 'http:') return `${lead}, and the sandbox speaks http only: start one (siglume-sdrp sandbox) and set ${from} to its address.`;
  return `${lead}: start the sandbox there (${start}) before it takes a payment, or unset ${from}.`;
}

/** The sandbox's default API base (`http://127.0.0.1:8787/v1`). */
export function defaultSandboxApiBase(): string {
  return localSandboxDefaults().api_base;
}

/**
 * True when anything answers HTTP at `baseUrl` within `timeoutMs` (any
 * status counts: a 401 still proves a server is there).
 */
export function isApiReachable(baseUrl: string, timeoutMs = SANDBOX_PROBE_TIMEOUT_MS): Promise<boolean> {
  return probeGet(`${baseUrl}/market/webhooks/subscriptions`, undefined, timeoutMs, () => true);
}

/**
 * True when the server at `baseUrl` is a Siglume sandbox: its control route
 * `GET /__sandbox/faults` (beside `/v1`) answers 200 with JSON. Any other
 * answer, or none within `timeoutMs`, is false.
 */
export function isSandbox(baseUrl: string, timeoutMs = SANDBOX_PROBE_TIMEOUT_MS): Promise<boolean> {
  return probeGet('/__sandbox/faults', baseUrl, timeoutMs, (res) =>
    res.statusCode === 200 && /^application\/json\b/.test(String(res.headers['content-type'] ?? '')),
  );
}

/** One GET with a deadline: `judge(response)` when it answers, false for a bad URL, an error or no answer in time. */
function probeGet(
  path: string,
  base: string | undefined,
  timeoutMs: number,
  judge: (res: { statusCode?: number | undefined; headers: Record<string, string | string[] | undefined> }) => boolean,
): Promise<boolean> {
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(path, base);
    } catch {
      resolve(false);
      return;
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = send(url, { method: 'GET', timeout: timeoutMs, headers: { accept: 'application/json', connection: 'close' } }, (res) => {
      res.resume();
      resolve(judge(res));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(false));
    req.end();
  });
}

/** Readiness inputs a sandbox provides, for the ones the caller left out. */
type SandboxInputs = Required<Pick<ReadinessOptions, 'merchant' | 'auth_token' | 'webhook_secret' | 'shop_origin' | 'webhook_url'>>;

function fill(o: ReadinessOptions, from: SandboxInputs, base_url: string): ReadinessOptions {
  return {
    ...o,
    base_url,
    sandbox: true,
    merchant: o.merchant ?? from.merchant,
    auth_token: o.auth_token ?? from.auth_token,
    webhook_secret: o.webhook_secret ?? from.webhook_secret,
    shop_origin: o.shop_origin ?? from.shop_origin,
    webhook_url: o.webhook_url ?? from.webhook_url,
  };
}

/**
 * Prepares a readiness run against the sandbox:
 *
 * 1. base URL = `options.base_url` or the sandbox default
 *    `http://127.0.0.1:8787/v1`; if it is loopback and something answers
 *    there, use it and fill missing inputs with the sandbox's defaults (a
 *    non-loopback base gets no defaults at all). At the default address,
 *    which the caller did not name, only a server that looks like a Siglume
 *    sandbox is used: any other service listening on that port would
 *    otherwise receive the caller's merchant token;
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
export async function prepareSandboxReadiness(
  options: ReadinessOptions = {},
  context: {
    base_url_from?: string;
    /** @internal The address checked when `base_url` is unset (tests use a free port instead of 8787). */
    default_base_url?: string;
  } = {},
): Promise<SandboxReadinessSetup> {
  const defaults = localSandboxDefaults();
  const fromDefaults: SandboxInputs = {
    merchant: defaults.merchant,
    auth_token: defaults.merchant_token,
    webhook_secret: defaults.webhook_secret,
    shop_origin: defaults.shop_origin,
    webhook_url: defaults.webhook_url,
  };
  const base_url = normalizeBaseUrl(options.base_url ?? context.default_base_url ?? defaults.api_base);
  const from = options.base_url === undefined ? 'the default sandbox address' : (context.base_url_from ?? 'base_url');
  const why = { checked_url: base_url, checked_url_from: from };
  const loopback = isLoopbackHost(new URL(base_url).hostname);
  // A non-loopback API is not a local sandbox: --sandbox then only relaxes
  // http on localhost, and the sandbox's public defaults are never filled in,
  // so config checks cannot pass on fake values against a real account.
  if (!loopback) {
    return {
      options: { ...options, base_url, sandbox: true },
      sandbox: 'existing',
      base_url,
      receiver: false,
      reason: 'not_loopback',
      ...why,
      message: `Used the API at ${base_url} (${from}) as it is: it is not on this machine, so no sandbox was started and no sandbox defaults were filled in.`,
      close: async () => {},
    };
  }
  const answered = await isApiReachable(base_url);
  const looksLikeSandbox = answered && (await isSandbox(base_url));
  // An address the caller named is used whatever answers there; the default one only when a sandbox does.
  if (answered && (looksLikeSandbox || options.base_url !== undefined)) {
    return {
      options: fill(options, fromDefaults, base_url),
      sandbox: 'existing',
      base_url,
      receiver: false,
      reason: 'answered',
      ...why,
      message: looksLikeSandbox
        ? `Attached to the sandbox already running at ${base_url}: it answered at that address (${from}).`
        : `Attached to the server answering at ${base_url} (${from}), which is not a Siglume sandbox (no /__sandbox/ routes): the checks run against it as it is. Stop it, or point ${from} at the sandbox's address.`,
      close: async () => {},
    };
  }

  const given = acceptedByLocalSandbox({
    merchant: options.merchant,
    merchant_token: options.auth_token,
    webhook_secret: options.webhook_secret,
    shop_origin: options.shop_origin,
    webhook_url: options.webhook_url,
  });
  const secret = given.webhook_secret ?? defaults.webhook_secret;
  const receiver: WebhookReceiver | null = options.webhook_url === undefined ? await startWebhookReceiver({ secret }) : null;
  let sandbox: LocalSandbox;
  try {
    sandbox = await startLocalSandbox({
      ...given,
      webhook_secret: secret,
      shop_origin: given.shop_origin ?? receiver?.origin,
      webhook_url: receiver?.url ?? given.webhook_url,
    });
  } catch (error) {
    await receiver?.close();
    throw error;
  }
  const env = sandbox.env;
  const started: SandboxInputs = {
    merchant: env.SIGLUME_DIRECT_PAYMENT_MERCHANT ?? fromDefaults.merchant,
    auth_token: env.SIGLUME_MERCHANT_AUTH_TOKEN ?? fromDefaults.auth_token,
    webhook_secret: env.SIGLUME_WEBHOOK_SECRET ?? fromDefaults.webhook_secret,
    shop_origin: receiver ? (given.shop_origin ?? receiver.origin) : (env.SHOP_PUBLIC_ORIGIN ?? fromDefaults.shop_origin),
    webhook_url: receiver ? receiver.url : (env.SHOP_WEBHOOK_URL ?? fromDefaults.webhook_url),
  };
  let closed = false;
  const caveat = !answered && options.base_url !== undefined ? unreachableCaveat(base_url, from) : undefined;
  return {
    options: fill(options, started, sandbox.api_base),
    sandbox: 'started',
    base_url: sandbox.api_base,
    receiver: receiver !== null,
    reason: answered ? 'not_sandbox' : 'no_answer',
    ...why,
    message: `Started its own in-process sandbox at ${sandbox.api_base}${receiver ? ' and a local webhook receiver standing in for the shop' : ''}: ${
      answered
        ? `the server answering at ${base_url} (${from}) is not a Siglume sandbox (no /__sandbox/ routes), so it was sent nothing`
        : `nothing answered at ${base_url} (${from}) within ${SANDBOX_PROBE_TIMEOUT_MS} ms`
    }. It stops when readiness ends.`,
    ...(caveat ? { caveat } : {}),
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.allSettled([sandbox.close(), receiver?.close()]);
    },
  };
}
