/**
 * Options of `createSandbox` / `startSandbox` (the `siglume-sdrp sandbox` flags) as one schema, the
 * type derived from it. Bad options fail before anything listens.
 */
import * as z from 'zod/mini';
import { strictInput } from '../clients/schemas/common.js';
import { authTokenProblem } from '../core/config.js';
import { SiglumeValidationError } from '../core/errors.js';
import { absoluteUrlSchema, checkoutOriginSchema, merchantKeySchema, parseInput } from '../core/validation.js';
import { SANDBOX_SCENARIOS } from './scenarios.js';

/** One line of the sandbox's activity, handed to `onLog`. `error`: something went wrong inside (e.g. the state file could not be written). */
export type SandboxLogEntry =
  | { kind: 'request'; method: string; path: string; status: number; duration_ms: number; request_id: string }
  | {
      kind: 'delivery';
      delivery_id: string;
      event_id: string;
      event_type: string;
      callback_url: string;
      delivery_status: 'delivered' | 'failed';
      response_status: number | null;
      attempts: number;
      /** Why the delivery failed (`ECONNREFUSED 127.0.0.1:3000`, `timeout after 5000 ms`, `HTTP 400` ...); null when delivered. */
      failure_reason: string | null;
    }
  | { kind: 'error'; message: string };

/** An integer option from `min` to `max` (the fault settings use it too). */
export const intInRange = (min: number, max: number) =>
  z.custom<number>((v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max, {
    error: `must be an integer from ${min} to ${max}`,
  });
const string = (test: (s: string) => boolean, error: string) =>
  z.string({ error: 'must be a string' }).check(z.refine(test, { error }));
// A token the clients would refuse (see authTokenProblem) is refused here too: no client could send it.
const token = string((t) => /^[\x21-\x7e]{8,256}$/.test(t), 'must be 8-256 printable characters without spaces').check(
  z.refine((t) => authTokenProblem(t) !== 'quoted', { error: 'must not start or end with a quote character' }),
  z.refine((t) => authTokenProblem(t) !== 'developer_portal_key', {
    error: 'must not start with "cli_" (Developer Portal keys are not API tokens)',
  }),
);
const nonEmpty = string((s) => s.length > 0, 'must not be empty');
const HOST_NAME = /^(?=.{1,253}$)[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*$/i;
/** An address to listen on: an IPv4 address as written in URLs (`999.1.1.1`, `1.2.3` are not), an IPv6 one, or a host name. */
const listenable = (host: string): boolean => {
  if (host.includes(':')) return URL.canParse(`http://[${host}]/`);
  if (/^[0-9.]+$/.test(host)) return URL.canParse(`http://${host}/`) && new URL(`http://${host}/`).hostname === host;
  return HOST_NAME.test(host);
};
const HOST = /^(?:[a-z0-9][a-z0-9.-]*|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$/;
const HOST_PORT = /:([0-9]+)$/;
// Checked here, not when the allow-list is built from it: `foo:99999` failed there with a bare "Invalid URL".
const hostEntry = z.string().check(
  z.toLowerCase(),
  z.regex(HOST, { error: 'must be a host name or address, optionally with :port' }),
  z.refine(
    (entry) => {
      const port = HOST_PORT.exec(entry)?.[1];
      return port === undefined || (Number(port) >= 1 && Number(port) <= 65535);
    },
    { error: 'must have a port from 1 to 65535 (the port is out of range)' },
  ),
  z.refine((entry) => URL.canParse(`http://${entry}`), {
    error: 'must be a host name or address, optionally with :port',
  }),
);
const WHSEC = /^whsec_[\x21-\x7e]{4,200}$/;
export const scenarioSchema = z.enum(SANDBOX_SCENARIOS, { error: `must be one of ${SANDBOX_SCENARIOS.join(', ')}` });
const webhookSecret = string(
  (s) => WHSEC.test(s),
  'must start with "whsec_" followed by at least 4 printable characters',
);

const optionsSchema = strictInput(
  {
    /** Port to listen on; `0` picks a free one (read it from `handle.url`). @default 8787 */
    port: z._default(intInRange(0, 65535), 8787),
    /** Interface to listen on. Keep it on loopback: the control routes have no auth. @default '127.0.0.1' */
    host: z._default(
      string(listenable, 'must be an IP address or host name of this machine, e.g. 127.0.0.1, ::1 or 0.0.0.0'),
      '127.0.0.1',
    ),
    /**
     * More `Host` values to answer, besides the address it listens on and `localhost` / `127.0.0.1` / `[::1]` at
     * that port: `name` (any port) or `name:port`, e.g. `host.docker.internal`. Every other `Host` gets 421
     * `HOST_NOT_ALLOWED`, so a DNS-rebinding page cannot reach the sandbox. @default []
     */
    allowed_hosts: z._default(z.array(hostEntry, { error: 'must be an array of host names' }), []),
    /** Key of the merchant that exists from the start, ready for checkout. @default 'sandbox_shop' */
    merchant: z._default(merchantKeySchema, 'sandbox_shop'),
    /** The shop's public origin: the seeded merchant's allowed checkout origin. @default 'http://127.0.0.1:3000' */
    origin: z._default(checkoutOriginSchema, 'http://127.0.0.1:3000'),
    /** The shop's webhook endpoint: the seeded subscription's callback URL. @default `${origin}/payments/webhooks/siglume` */
    webhook_url: z.optional(absoluteUrlSchema(true)),
    /** Signing secret of the seeded subscription (the shop's SIGLUME_WEBHOOK_SECRET). @default 'whsec_sandbox_secret' */
    webhook_secret: z._default(webhookSecret, 'whsec_sandbox_secret'),
    /** Bearer token of the merchant routes (merchant, checkout, webhooks, provider statements). @default 'sdrp_sandbox_merchant_token' */
    merchant_token: z._default(token, 'sdrp_sandbox_merchant_token'),
    /** Bearer token of the buyer routes (requirements, execution, recurring approvals, buyer statements). @default 'sdrp_sandbox_buyer_token' */
    buyer_token: z._default(token, 'sdrp_sandbox_buyer_token'),
    /** JSON file that keeps the state across restarts (written atomically). When it exists it wins over the seeding options; delete it to reseed. */
    state_file: z.optional(nonEmpty),
    /** Scenario to start in (`SANDBOX_SCENARIOS`). When omitted, a loaded state file keeps its scenario and a fresh sandbox starts `ready`. */
    scenario: z.optional(scenarioSchema),
    /** Lifetime of a checkout session. @default 1800 */
    session_ttl_seconds: z._default(intInRange(1, 31 * 24 * 3600), 1800),
    /** Timeout of one webhook delivery attempt. @default 5000 */
    delivery_timeout_ms: z._default(intInRange(1, 600_000), 5000),
    /** Retries after a failed delivery attempt (network error, timeout, 408, 429, 5xx). @default 2 */
    delivery_retries: z._default(intInRange(0, 10), 2),
    /** Pause before the first delivery retry; each further retry waits three times longer. @default 100 */
    delivery_backoff_ms: z._default(intInRange(0, 60_000), 100),
    /** Suppresses calls to `onLog`. */
    quiet: z.optional(z.boolean({ error: 'must be true or false' })),
    /** Receives one entry per request and per finished delivery. The sandbox never prints. */
    onLog: z.optional(
      z.custom<(entry: SandboxLogEntry) => void>((v) => typeof v === 'function', { error: 'must be a function' }),
    ),
    // The 0.x names that snake_case alone does not map (CHANGELOG 0.6.0); the camelCase ones are found by rule.
  },
  { kind: 'option', renamed: { token: 'merchant_token', logger: 'onLog' } },
);

/**
 * Options of `createSandbox` / `startSandbox`. Every field has a default that works out of the box.
 *
 * @interface
 */
export type SandboxOptions = z.input<typeof optionsSchema>;

type SeedOption = 'host' | 'merchant' | 'origin' | 'webhook_url' | 'webhook_secret' | 'merchant_token';

/**
 * `value` parsed as the sandbox option `key` (normalized, e.g. an origin), or undefined when the sandbox would
 * reject it. Lets callers that hand user input to a sandbox check it by the sandbox's own rules: readiness
 * --sandbox drops a bad value instead of failing to start, `siglume-sdrp sandbox` refuses a bad --host first.
 */
export function sandboxOptionOrUndefined(key: SeedOption, value: unknown): string | undefined {
  const result = value === undefined ? undefined : z.safeParse(optionsSchema.shape[key], value);
  return result?.success && typeof result.data === 'string' ? result.data : undefined;
}

/**
 * Why the sandbox would reject `value` for the option `key` (`must be ...`), or null when it would take it.
 * Lets `siglume-sdrp sandbox` name the environment variable a refused value came from instead of the option.
 */
export function sandboxOptionProblem(key: SeedOption | 'scenario' | 'allowed_hosts', value: unknown): string | null {
  const result = z.safeParse(optionsSchema.shape[key], value);
  return result.success ? null : (result.error.issues[0]?.message ?? 'is invalid');
}

/**
 * Applies defaults and validates.
 * @throws {SiglumeValidationError} naming the option, e.g. `Invalid port: must be an integer from 0 to 65535`.
 */
export function resolveSandboxOptions(options: SandboxOptions = {}) {
  if (options === null || typeof options !== 'object')
    throw new SiglumeValidationError('options', 'Invalid options: must be an object');
  // `undefined` counts as absent, as a CLI layer passes every flag through.
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const { quiet, onLog, ...o } = parseInput(optionsSchema, defined);
  if (o.merchant_token === o.buyer_token)
    throw new SiglumeValidationError('buyer_token', 'Invalid buyer_token: must differ from merchant_token');
  return {
    ...o,
    webhook_url: o.webhook_url ?? `${o.origin}/payments/webhooks/siglume`,
    scenario: o.scenario ?? 'ready',
    // Whether `scenario` was given: a loaded state file otherwise keeps its own.
    scenario_given: o.scenario !== undefined,
    onLog: quiet ? null : (onLog ?? null),
  };
}

/** Options after defaults and validation. */
export type ResolvedSandboxOptions = ReturnType<typeof resolveSandboxOptions>;
