/**
 * `readiness --sandbox` plumbing: find the local sandbox at the address the
 * caller named, or, when none was named, at the default address or start one
 * (and a local webhook receiver standing in for the shop); and fill the
 * readiness inputs a merchant has not set with the sandbox's. Node-only, so it lives here and
 * not in the runtime-neutral readiness engine, which only receives the
 * options this module prepares. `npm run demo` is exactly this.
 */
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { normalizeBaseUrl } from '../core/config.js';
import { isLoopbackHost } from '../core/validation.js';
import type { ReadinessOptions, ReadinessReport } from '../readiness/types.js';
import { acceptedByLocalSandbox, localSandboxDefaults, startLocalSandbox, type LocalSandbox } from './local-sandbox.js';
import { startWebhookReceiver, type WebhookReceiver } from './webhook-receiver.js';

/** How long the reachability probe of an existing sandbox may take. */
export const SANDBOX_PROBE_TIMEOUT_MS = 500;

/** What {@link prepareSandboxReadiness} set up. */
export interface SandboxReadinessSetup {
  /** Options to pass to `runReadiness` (inputs filled from the sandbox, `sandbox: true`). */
  options: ReadinessOptions;
  /**
   * Where the sandbox came from: one already listening (`existing`), one started for this run (`started`), or
   * none (`none`: nothing answers at the address the caller named, and readiness does not stand one in for it).
   */
  sandbox: 'existing' | 'started' | 'none';
  /** API base URL readiness will use. */
  base_url: string;
  /** True when a local receiver stands in for the shop's webhook endpoint. */
  receiver: boolean;
  /**
   * Why this sandbox: `answered` (something answered at the address checked,
   * so readiness attached to it), `no_answer` (nothing answered at the
   * default address, which nobody named, so an embedded sandbox was
   * started), `unreachable` (nothing answered at the address the caller
   * named: nothing was started, and the checks run against that address, so
   * the API checks fail, with {@link SandboxReadinessSetup.unreachable_fix}
   * when nothing took the connection and with the engine's timeout fix when
   * something took it and kept silent),
   * `not_sandbox` (a server that is not a Siglume sandbox answered at the
   * default address, which nobody asked for: it was sent nothing and an
   * embedded sandbox was started) or `not_loopback` (the API base is not on
   * this machine: used as it is, without sandbox defaults).
   */
  reason: 'answered' | 'no_answer' | 'unreachable' | 'not_sandbox' | 'not_loopback';
  /** The address that was checked for a running sandbox. */
  checked_url: string;
  /** Where that address came from, e.g. `SIGLUME_API_BASE`, `--base-url`, `the default sandbox address`. */
  checked_url_from: string;
  /** One sentence saying which sandbox was used and why, for people. */
  message: string;
  /**
   * Set with reason `unreachable` when nothing took the connection (not when something took it and kept
   * silent: a sandbox cannot be started there): the fix for a check that cannot reach the named address (start a sandbox
   * there, with the command, or stop naming it so readiness starts one for the run). The engine's own fix
   * does not know where the address came from; {@link applyUnreachableFix} puts this one in its place.
   */
  unreachable_fix?: string;
  /** Stops what was started for this run (sandbox, receiver). Safe to call twice. */
  close(): Promise<void>;
}

/**
 * What to do when nothing answers at the address the caller named: start a sandbox there (the exact command),
 * or stop naming the address so readiness starts one for the run. `from` is `--base-url`, a variable, or
 * `<variable> in <env file>`.
 */
function unreachableFix(base_url: string, from: string): string {
  const url = new URL(base_url);
  const host = url.hostname.replace(/^\[|\]$/g, '');
  const start = `siglume-sdrp sandbox${host === '127.0.0.1' ? '' : ` --host ${host}`} --port ${url.port || '80'}`;
  const inFile = /^(\S+) in (.+)$/.exec(from);
  const variable = inFile ? inFile[1]! : from;
  const letItStart = 'to let readiness start one for this run.';
  if (from === '--base-url') {
    const lead = `Nothing answers at ${base_url} (--base-url)`;
    if (url.protocol !== 'http:') return `${lead}, and the sandbox speaks http only: start one (siglume-sdrp sandbox) and point --base-url at its http address, or drop --base-url ${letItStart}`;
    return `${lead}: start a sandbox there (${start}) and run again, or drop --base-url ${letItStart}`;
  }
  const drop = inFile ? `remove ${variable} from ${inFile[2]!}` : `unset ${variable}`;
  const lead = `Nothing answers at ${base_url} (${from})`;
  if (url.protocol !== 'http:') return `${lead}, and the sandbox speaks http only: start one (siglume-sdrp sandbox) and set ${variable} to its address, or ${drop} ${letItStart}`;
  return `${lead}, the API a shop set up with it calls: start a sandbox there (${start}) and run again, or ${drop} ${letItStart}`;
}

/**
 * `details.connection` of a check that could not connect at all (`refused`, `not_connected`: see the engine's
 * `ConnectionFailureKind`). A timeout or a connection lost after sending means something listens there, where
 * starting a sandbox cannot help: those keep the engine's fix.
 */
const NOT_CONNECTED = /* @__PURE__ */ new Set(['refused', 'not_connected']);

/**
 * `report` with `fix` as the fix of every check that failed because nothing could be connected to at the API
 * base (in practice `hosted_checkout_readiness_api`: the checks after it are skipped). The same report when
 * `fix` is undefined; every other check, a timeout and a connection lost after sending included, is left as
 * it is.
 *
 * @example
 * const report = applyUnreachableFix(await runReadiness(setup.options), setup.unreachable_fix);
 */
export function applyUnreachableFix(report: ReadinessReport, fix: string | undefined): ReadinessReport {
  if (fix === undefined) return report;
  const checks = report.checks.map((c) =>
    c.status === 'fail' && NOT_CONNECTED.has(String(c.details?.connection)) ? { ...c, fix } : c,
  );
  return { ...report, checks };
}

/** The sandbox's default API base (`http://127.0.0.1:8787/v1`). */
export function defaultSandboxApiBase(): string {
  return localSandboxDefaults().api_base;
}

/**
 * What is at `baseUrl`: a server that `answered` HTTP (any status: a 401 still proves a server is there), one that took the connection but stayed
 * `silent` (no answer within `timeoutMs`, or closed without one), or nothing that could be connected to (`refused`, also for a bad URL or any other
 * error before an answer).
 */
export function probeApi(baseUrl: string, timeoutMs = SANDBOX_PROBE_TIMEOUT_MS): Promise<'answered' | 'silent' | 'refused'> {
  return probeGet(`${baseUrl}/market/webhooks/subscriptions`, undefined, timeoutMs, () => true).then((r) =>
    r === true ? 'answered' : r === 'timeout' ? 'silent' : 'refused',
  );
}

/**
 * True when the server at `baseUrl` is a Siglume sandbox: its control route
 * `GET /__sandbox/faults` (beside `/v1`) answers 200 with JSON. Any other
 * answer, or none within `timeoutMs`, is false.
 */
export async function isSandbox(baseUrl: string, timeoutMs = SANDBOX_PROBE_TIMEOUT_MS): Promise<boolean> {
  const judged = await probeGet('/__sandbox/faults', baseUrl, timeoutMs, (res) =>
    res.statusCode === 200 && /^application\/json\b/.test(String(res.headers['content-type'] ?? '')),
  );
  return judged === true;
}

/**
 * One GET with a deadline: `judge(response)` when it answers; `timeout` when the connection was made but no
 * answer came (in time, or before it closed); false for a bad URL or no connection.
 */
function probeGet(
  path: string,
  base: string | undefined,
  timeoutMs: number,
  judge: (res: { statusCode?: number | undefined; headers: Record<string, string | string[] | undefined> }) => boolean,
): Promise<boolean | 'timeout'> {
  return new Promise((resolve) => {
    let url: URL;
    try {
      url = new URL(path, base);
    } catch {
      resolve(false);
      return;
    }
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    let connected = false;
    const req = send(url, { method: 'GET', timeout: timeoutMs, headers: { accept: 'application/json', connection: 'close' } }, (res) => {
      res.resume();
      resolve(judge(res));
    });
    req.on('socket', (socket) => {
      if (!socket.connecting) connected = true;
      else socket.once('connect', () => (connected = true));
    });
    req.on('timeout', () => req.destroy());
    // Connected but no answer: silent until the deadline, or closed (or a TLS handshake with a plain-http server).
    req.on('error', () => resolve(connected ? 'timeout' : false));
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
 * 1. base URL = `options.base_url` (an address the caller named) or the
 *    sandbox default `http://127.0.0.1:8787/v1`; if it is loopback and
 *    something answers there, use it and fill missing inputs with the
 *    sandbox's defaults (a non-loopback base gets no defaults at all). At the
 *    default address only a server that looks like a Siglume sandbox is
 *    used: any other service listening on that port would otherwise receive
 *    the caller's merchant token;
 * 2. when nothing answers at a named address, start nothing: the checks run
 *    against that address (with the sandbox's defaults filled in), so the API
 *    checks fail as they would without a sandbox, and `unreachable_fix` says
 *    how to start one there. A verdict is about the address the caller
 *    named, never about a stand-in;
 * 3. otherwise (the default address, loopback) start a sandbox in-process on
 *    a free port. When no webhook URL is given, also start a local receiver
 *    that verifies deliveries with the sandbox's signing secret, and seed the
 *    sandbox's subscription with the receiver's URL.
 *
 * Call `close()` when the run is over.
 *
 * @example
 * const setup = await prepareSandboxReadiness({});
 * try {
 *   const report = applyUnreachableFix(await runReadiness(setup.options), setup.unreachable_fix);
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
    /**
     * Called just before a sandbox is started for the run, with the webhook URL it would be seeded with
     * (`options.webhook_url`, where its test delivery goes, signed with `options.webhook_secret`); throw to start
     * nothing. Not called when a running sandbox is used or no webhook URL is given (a local receiver stands in).
     */
    beforeStart?: (webhook_url: string) => void;
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
  const probed = await probeApi(base_url, SANDBOX_PROBE_TIMEOUT_MS);
  const answered = probed === 'answered';
  const looksLikeSandbox = answered && (await isSandbox(base_url));
  const named = options.base_url !== undefined;
  // An address the caller named is used whatever answers there; the default one only when a sandbox does.
  if (answered && (looksLikeSandbox || named)) {
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

  // Nothing at a named address: check that address, not a stand-in (a shop set up with it cannot reach one).
  // Something that took the connection and kept silent is no place to start a sandbox: no start command then.
  if (named) {
    const silent = probed === 'silent';
    return {
      options: fill(options, fromDefaults, base_url),
      sandbox: 'none',
      base_url,
      receiver: false,
      reason: 'unreachable',
      ...why,
      message: silent
        ? `Something at ${base_url} (${from}) took the connection but gave no HTTP answer (within ${SANDBOX_PROBE_TIMEOUT_MS} ms), and no sandbox was started in its place: the checks run against the address you named. If it is not the sandbox, point ${from} at the sandbox's address (http, not https).`
        : `Nothing answered at ${base_url} (${from}) within ${SANDBOX_PROBE_TIMEOUT_MS} ms, and no sandbox was started in its place: the checks run against the address you named.`,
      ...(silent ? {} : { unreachable_fix: unreachableFix(base_url, from) }),
      close: async () => {},
    };
  }

  if (options.webhook_url !== undefined) context.beforeStart?.(options.webhook_url);
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
    close: async () => {
      if (closed) return;
      closed = true;
      await Promise.allSettled([sandbox.close(), receiver?.close()]);
    },
  };
}
