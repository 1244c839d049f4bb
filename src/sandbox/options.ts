/**
 * Options of `startSandbox`, mirroring the `siglume-sdrp sandbox` flags, and
 * their validation. Bad options fail before anything listens.
 */
import { z } from 'zod';
import { SiglumeValidationError } from '../core/errors.js';
import { absoluteUrlSchema, checkoutOriginSchema, merchantKeySchema, parseInput } from '../core/validation.js';
import { SANDBOX_SCENARIOS, type SandboxScenario } from './scenarios.js';

/** One line of the sandbox's activity, handed to {@link SandboxOptions.logger}. */
export type SandboxLogEntry =
  | {
      kind: 'request';
      method: string;
      path: string;
      status: number;
      duration_ms: number;
      request_id: string;
    }
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
  | {
      /** Something went wrong inside the sandbox (e.g. the state file could not be written). */
      kind: 'error';
      message: string;
    };

/** Options of `startSandbox`. Every field has a default that works out of the box. */
export interface SandboxOptions {
  /**
   * Port to listen on; `0` picks a free one (read it from `handle.url`).
   * @default 8787
   */
  port?: number;
  /**
   * Interface to listen on. Keep it on loopback: the control endpoints have no auth.
   * @default '127.0.0.1'
   */
  host?: string;
  /**
   * Key of the merchant that exists from the start, ready for checkout.
   * @default 'sandbox_shop'
   */
  merchant?: string;
  /**
   * The shop's public origin: the seeded merchant's allowed checkout origin.
   * @default 'http://127.0.0.1:3000'
   */
  origin?: string;
  /**
   * The shop's webhook endpoint: the seeded subscription's callback URL.
   * @default `${origin}/payments/webhooks/siglume`
   */
  webhookUrl?: string;
  /**
   * Signing secret of the seeded subscription (what the shop puts in SIGLUME_WEBHOOK_SECRET).
   * @default 'whsec_sandbox_secret'
   */
  webhookSecret?: string;
  /**
   * Bearer token of the merchant routes (merchant, checkout, webhooks, provider statements).
   * @default 'sdrp_sandbox_merchant_token'
   */
  token?: string;
  /**
   * Bearer token of the buyer routes (requirements, execution, buyer statements).
   * @default 'sdrp_sandbox_buyer_token'
   */
  buyerToken?: string;
  /**
   * JSON file that keeps the state across restarts (written atomically). When
   * it exists it wins over the seeding options above; delete it to reseed.
   */
  stateFile?: string;
  /**
   * Scenario to start in (see `SANDBOX_SCENARIOS`). When omitted, a loaded
   * state file keeps its scenario and a fresh sandbox starts `ready`.
   * @default 'ready'
   */
  scenario?: SandboxScenario;
  /**
   * Lifetime of a checkout session.
   * @default 1800
   */
  sessionTtlSeconds?: number;
  /**
   * Timeout of one webhook delivery attempt.
   * @default 5000
   */
  deliveryTimeoutMs?: number;
  /**
   * Retries after a failed delivery attempt (network error, timeout, 408, 429, 5xx).
   * @default 2
   */
  deliveryRetries?: number;
  /**
   * Pause before the first retry; each further retry waits three times longer.
   * @default 100
   */
  deliveryBackoffMs?: number;
  /** Suppresses calls to `logger`. */
  quiet?: boolean;
  /** Receives one entry per request and per finished delivery. The sandbox never prints. */
  logger?: (entry: SandboxLogEntry) => void;
}

/** Options after defaults and validation. */
export interface ResolvedSandboxOptions {
  port: number;
  host: string;
  merchant: string;
  origin: string;
  webhookUrl: string;
  webhookSecret: string;
  token: string;
  buyerToken: string;
  stateFile: string | null;
  scenario: SandboxScenario;
  /** Whether `scenario` was given (a loaded state file otherwise keeps its own). */
  scenarioGiven: boolean;
  sessionTtlSeconds: number;
  deliveryTimeoutMs: number;
  deliveryRetries: number;
  deliveryBackoffMs: number;
  logger: ((entry: SandboxLogEntry) => void) | null;
}

const int = (min: number, max: number) =>
  z.custom<number>((v) => typeof v === 'number' && Number.isSafeInteger(v) && v >= min && v <= max, {
    error: `must be an integer from ${min} to ${max}`,
  });

const token = z
  .string({ error: 'must be a string' })
  .regex(/^[\x21-\x7e]{8,256}$/, { error: 'must be 8-256 printable characters without spaces' })
  .refine((t) => !t.startsWith('cli_'), { error: 'must not start with "cli_" (Developer Portal keys are not API tokens)' });

const optionsSchema = z.object({
  port: int(0, 65535).default(8787),
  host: z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' }).default('127.0.0.1'),
  merchant: z._default(merchantKeySchema, 'sandbox_shop'),
  origin: z._default(checkoutOriginSchema, 'http://127.0.0.1:3000'),
  webhookUrl: z.optional(absoluteUrlSchema(true)),
  webhookSecret: z
    .string({ error: 'must be a string' })
    .regex(/^whsec_[\x21-\x7e]{4,200}$/, { error: 'must start with "whsec_" followed by at least 4 printable characters' })
    .default('whsec_sandbox_secret'),
  token: token.default('sdrp_sandbox_merchant_token'),
  buyerToken: token.default('sdrp_sandbox_buyer_token'),
  stateFile: z.string({ error: 'must be a file path' }).min(1, { error: 'must not be empty' }).optional(),
  scenario: z.enum(SANDBOX_SCENARIOS, { error: `must be one of ${SANDBOX_SCENARIOS.join(', ')}` }).optional(),
  sessionTtlSeconds: int(1, 31 * 24 * 3600).default(1800),
  deliveryTimeoutMs: int(1, 600_000).default(5000),
  deliveryRetries: int(0, 10).default(2),
  deliveryBackoffMs: int(0, 60_000).default(100),
  quiet: z.boolean({ error: 'must be true or false' }).optional(),
  logger: z.custom<(entry: SandboxLogEntry) => void>((v) => typeof v === 'function', { error: 'must be a function' }).optional(),
});

/**
 * `value` parsed as the sandbox option `key` (normalized, e.g. an origin), or
 * undefined when `startSandbox` would reject it. Lets callers that hand user
 * input to a sandbox (readiness --sandbox) drop a bad value instead of failing
 * to start, using the sandbox's own rules.
 */
export function sandboxOptionOrUndefined<K extends 'merchant' | 'origin' | 'webhookUrl' | 'webhookSecret' | 'token'>(
  key: K,
  value: unknown,
): string | undefined {
  if (value === undefined) return undefined;
  const result = optionsSchema.shape[key].safeParse(value);
  return result.success && typeof result.data === 'string' ? result.data : undefined;
}

/**
 * Applies defaults and validates.
 * @throws {SiglumeValidationError} naming the option, e.g. `Invalid port: must be an integer from 0 to 65535`.
 */
export function resolveSandboxOptions(options: SandboxOptions = {}): ResolvedSandboxOptions {
  if (options === null || typeof options !== 'object') {
    throw new SiglumeValidationError('options', 'Invalid options: must be an object');
  }
  // Treat `undefined` like an absent key, as a CLI layer passes every flag through.
  const defined = Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined));
  const o = parseInput(optionsSchema, defined);
  if (o.token === o.buyerToken) {
    throw new SiglumeValidationError('buyerToken', 'Invalid buyerToken: must differ from token (the merchant token)');
  }
  return {
    port: o.port,
    host: o.host,
    merchant: o.merchant,
    origin: o.origin,
    webhookUrl: o.webhookUrl ?? `${o.origin}/payments/webhooks/siglume`,
    webhookSecret: o.webhookSecret,
    token: o.token,
    buyerToken: o.buyerToken,
    stateFile: o.stateFile ?? null,
    scenario: o.scenario ?? 'ready',
    scenarioGiven: o.scenario !== undefined,
    sessionTtlSeconds: o.sessionTtlSeconds,
    deliveryTimeoutMs: o.deliveryTimeoutMs,
    deliveryRetries: o.deliveryRetries,
    deliveryBackoffMs: o.deliveryBackoffMs,
    logger: o.quiet ? null : (o.logger ?? null),
  };
}
