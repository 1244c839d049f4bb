/**
 * Options of `createSandbox` / `startSandbox` (the `siglume-sdrp sandbox`
 * flags) as one zod schema, the type derived from it. Bad options fail before
 * anything listens. One naming rule: data snake_case, callbacks camelCase.
 */
import { z } from 'zod';
import { SiglumeValidationError } from '../core/errors.js';
import { absoluteUrlSchema, checkoutOriginSchema, merchantKeySchema, parseInput } from '../core/validation.js';
import { SANDBOX_SCENARIOS, type SandboxScenario } from './scenarios.js';

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
      error: string | null;
    }
  | { kind: 'error'; message: string };

const int = (min: number, max: number) =>
  z.custom<number>((v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max, {
    error: `must be an integer from ${min} to ${max}`,
  });
const token = z
  .string({ error: 'must be a string' })
  .regex(/^[\x21-\x7e]{8,256}$/, { error: 'must be 8-256 printable characters without spaces' })
  .refine((t) => !t.startsWith('cli_'), {
    error: 'must not start with "cli_" (Developer Portal keys are not API tokens)',
  });
const hostName = z
  .string({ error: 'must be a string' })
  .toLowerCase()
  .regex(/^(?:[a-z0-9][a-z0-9.-]*|\[[0-9a-f:.]+\])(?::[0-9]{1,5})?$/, {
    error: 'must be a host name or address, optionally with :port (no scheme or path)',
  });

const optionsSchema = z.object({
  /** Port to listen on; `0` picks a free one (read it from `handle.url`). @default 8787 */
  port: int(0, 65535).default(8787),
  /** Interface to listen on. Keep it on loopback: the control routes have no auth. @default '127.0.0.1' */
  host: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }).default('127.0.0.1'),
  /**
   * More `Host` values to answer, besides the address it listens on and `localhost` / `127.0.0.1` / `[::1]` at
   * that port: `name` (any port) or `name:port`, e.g. `host.docker.internal`. Every other `Host` gets 421
   * `HOST_NOT_ALLOWED`, so a DNS-rebinding page cannot reach the sandbox. @default []
   */
  allowed_hosts: z.array(hostName, { error: 'must be an array of host names' }).default([]),
  /** Key of the merchant that exists from the start, ready for checkout. @default 'sandbox_shop' */
  merchant: z._default(merchantKeySchema, 'sandbox_shop'),
  /** The shop's public origin: the seeded merchant's allowed checkout origin. @default 'http://127.0.0.1:3000' */
  origin: z._default(checkoutOriginSchema, 'http://127.0.0.1:3000'),
  /** The shop's webhook endpoint: the seeded subscription's callback URL. @default `${origin}/payments/webhooks/siglume` */
  webhook_url: z.optional(absoluteUrlSchema(true)),
  /** Signing secret of the seeded subscription (the shop's SIGLUME_WEBHOOK_SECRET). @default 'whsec_sandbox_secret' */
  webhook_secret: z
    .string({ error: 'must be a string' })
    .regex(/^whsec_[\x21-\x7e]{4,200}$/, {
      error: 'must start with "whsec_" followed by at least 4 printable characters',
    })
    .default('whsec_sandbox_secret'),
  /** Bearer token of the merchant routes (merchant, checkout, webhooks, provider statements). @default 'sdrp_sandbox_merchant_token' */
  merchant_token: token.default('sdrp_sandbox_merchant_token'),
  /** Bearer token of the buyer routes (requirements, execution, buyer statements). @default 'sdrp_sandbox_buyer_token' */
  buyer_token: token.default('sdrp_sandbox_buyer_token'),
  /** JSON file that keeps the state across restarts (written atomically). When it exists it wins over the seeding options; delete it to reseed. */
  state_file: z.string({ error: 'must be a file path' }).min(1, { error: 'must not be empty' }).optional(),
  /** Scenario to start in (`SANDBOX_SCENARIOS`). When omitted, a loaded state file keeps its scenario and a fresh sandbox starts `ready`. */
  scenario: z.enum(SANDBOX_SCENARIOS, { error: `must be one of ${SANDBOX_SCENARIOS.join(', ')}` }).optional(),
  /** Lifetime of a checkout session. @default 1800 */
  session_ttl_seconds: int(1, 31 * 24 * 3600).default(1800),
  /** Timeout of one webhook delivery attempt. @default 5000 */
  delivery_timeout_ms: int(1, 600_000).default(5000),
  /** Retries after a failed delivery attempt (network error, timeout, 408, 429, 5xx). @default 2 */
  delivery_retries: int(0, 10).default(2),
  /** Pause before the first delivery retry; each further retry waits three times longer. @default 100 */
  delivery_backoff_ms: int(0, 60_000).default(100),
  /** Suppresses calls to `onLog`. */
  quiet: z.boolean({ error: 'must be true or false' }).optional(),
  /** Receives one entry per request and per finished delivery. The sandbox never prints. */
  onLog: z
    .custom<(entry: SandboxLogEntry) => void>((v) => typeof v === 'function', { error: 'must be a function' })
    .optional(),
});

/**
 * Options of `createSandbox` / `startSandbox`. Every field has a default that works out of the box.
 *
 * @interface
 */
export type SandboxOptions = z.input<typeof optionsSchema>;

/** Options after defaults and validation. */
export type ResolvedSandboxOptions = Omit<
  z.output<typeof optionsSchema>,
  'quiet' | 'webhook_url' | 'scenario' | 'onLog'
> & {
  webhook_url: string;
  scenario: SandboxScenario;
  /** Whether `scenario` was given (a loaded state file otherwise keeps its own). */
  scenario_given: boolean;
  onLog: ((entry: SandboxLogEntry) => void) | null;
};

// The camelCase names of 0.x before the one naming rule, so an old call fails with a pointer instead of being ignored.
const RENAMED: Record<string, string> = {
  webhookUrl: 'webhook_url',
  webhookSecret: 'webhook_secret',
  token: 'merchant_token',
  buyerToken: 'buyer_token',
  stateFile: 'state_file',
  sessionTtlSeconds: 'session_ttl_seconds',
  deliveryTimeoutMs: 'delivery_timeout_ms',
  deliveryRetries: 'delivery_retries',
  deliveryBackoffMs: 'delivery_backoff_ms',
  logger: 'onLog',
};

/**
 * `value` parsed as the sandbox option `key` (normalized, e.g. an origin), or undefined when the sandbox would
 * reject it. Lets callers that hand user input to a sandbox (readiness --sandbox) drop a bad value instead of
 * failing to start, using the sandbox's own rules.
 */
export function sandboxOptionOrUndefined(
  key: 'merchant' | 'origin' | 'webhook_url' | 'webhook_secret' | 'merchant_token',
  value: unknown,
): string | undefined {
  const result = value === undefined ? undefined : optionsSchema.shape[key].safeParse(value);
  return result?.success && typeof result.data === 'string' ? result.data : undefined;
}

/**
 * Applies defaults and validates.
 * @throws {SiglumeValidationError} naming the option, e.g. `Invalid port: must be an integer from 0 to 65535`.
 */
export function resolveSandboxOptions(options: SandboxOptions = {}): ResolvedSandboxOptions {
  if (options === null || typeof options !== 'object')
    throw new SiglumeValidationError('options', 'Invalid options: must be an object');
  // Treat `undefined` like an absent key, as a CLI layer passes every flag through.
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const unknown = Object.keys(defined).find((key) => !Object.hasOwn(optionsSchema.shape, key));
  if (unknown !== undefined) {
    throw new SiglumeValidationError(
      unknown,
      `Invalid ${unknown}: not a sandbox option${RENAMED[unknown] ? ` (renamed to ${RENAMED[unknown]})` : ''}`,
    );
  }
  const { quiet, onLog, ...o } = parseInput(optionsSchema, defined);
  if (o.merchant_token === o.buyer_token)
    throw new SiglumeValidationError('buyer_token', 'Invalid buyer_token: must differ from merchant_token');
  return {
    ...o,
    webhook_url: o.webhook_url ?? `${o.origin}/payments/webhooks/siglume`,
    scenario: o.scenario ?? 'ready',
    scenario_given: o.scenario !== undefined,
    onLog: quiet ? null : (onLog ?? null),
  };
}
