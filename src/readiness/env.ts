/**
 * The environment variables readiness reads (CONTRACT section 10), mapped to
 * {@link ReadinessOptions}. Kept apart from the engine so the engine stays a
 * pure function of its options and the CLI can layer flags on top.
 */
import { environmentApiBase, sandboxSelected } from '../core/config.js';
import { SiglumeValidationError } from '../core/errors.js';
import type { ReadinessOptions } from './types.js';

/** Environment variable of each readiness input. */
export const READINESS_ENV = /* @__PURE__ */ Object.freeze({
  merchant: 'SIGLUME_DIRECT_PAYMENT_MERCHANT',
  shop_origin: 'SHOP_PUBLIC_ORIGIN',
  webhook_url: 'SHOP_WEBHOOK_URL',
  webhook_secret: 'SIGLUME_WEBHOOK_SECRET',
  /** Checked first; `SIGLUME_AUTH_TOKEN` is the fallback. */
  auth_token: 'SIGLUME_MERCHANT_AUTH_TOKEN',
  auth_token_fallback: 'SIGLUME_AUTH_TOKEN',
  currency: 'SIGLUME_DIRECT_PAYMENT_TEST_CURRENCY',
  amount_minor: 'SIGLUME_DIRECT_PAYMENT_TEST_AMOUNT_MINOR',
  base_url: 'SIGLUME_API_BASE',
  /** `sandbox` (trimmed, any case) selects sandbox mode. */
  environment: 'SIGLUME_ENV',
  /** API base in sandbox mode when SIGLUME_API_BASE is not set. */
  sandbox_base_url: 'SIGLUME_SANDBOX_API_BASE',
} as const);


/** The CLI flag of each readiness input that has one (the token and the secret are env only). */
const READINESS_FLAGS: Readonly<Record<string, string>> = Object.freeze({
  merchant: '--merchant',
  shop_origin: '--origin',
  webhook_url: '--webhook-url',
  currency: '--currency',
  amount_minor: '--amount-minor',
  base_url: '--base-url',
  delivery_timeout_ms: '--timeout',
});

/**
 * Where a merchant sets the input a validation error names, for a fix hint:
 * `SIGLUME_DIRECT_PAYMENT_MERCHANT (or pass --merchant)`. `field` is an
 * option name (`merchant`, `auth_token`, ...) or its environment variable, as
 * a `SiglumeValidationError.field` reports it. Null for any other field.
 */
export function readinessInputSource(field: string): string | null {
  const entry = Object.entries(READINESS_ENV).find(([key, env]) => key === field || env === field);
  if (!entry) return null;
  const key = entry[0] === 'auth_token_fallback' ? 'auth_token' : entry[0];
  if (key === 'auth_token') return `${READINESS_ENV.auth_token} (or ${READINESS_ENV.auth_token_fallback})`;
  const env = READINESS_ENV[key as keyof typeof READINESS_ENV];
  const flag = READINESS_FLAGS[key];
  return flag ? `${env} (or pass ${flag})` : env;
}

/**
 * Parses a decimal amount in minor units from text (a flag or an env value).
 * Throws {@link SiglumeValidationError} naming `field` for anything that is
 * not a positive safe integer written with digits only.
 */
export function parseAmountMinor(text: string, field: string): number {
  const value = /^\d+$/.test(text.trim()) ? Number(text.trim()) : NaN;
  if (!Number.isSafeInteger(value) || value <= 0) {
    throw new SiglumeValidationError(field, `Invalid ${field}: must be a positive safe integer (minor units, e.g. 501)`);
  }
  return value;
}

/**
 * Readiness inputs from an environment: empty values count as unset. `mode.sandbox` selects sandbox
 * mode as `SIGLUME_ENV=sandbox` does (a CLI's `--sandbox`), so `SIGLUME_SANDBOX_API_BASE` is read too.
 *
 * @example
 * const report = await runReadiness({ ...readinessOptionsFromEnv(process.env), probe: false });
 */
export function readinessOptionsFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  mode: { sandbox?: boolean } = {},
): ReadinessOptions {
  const get = (name: string) => {
    const v = env[name];
    return v === undefined || v === '' ? undefined : v;
  };
  const out: ReadinessOptions = {};
  const set = <K extends keyof ReadinessOptions>(key: K, value: ReadinessOptions[K] | undefined) => {
    if (value !== undefined) out[key] = value;
  };
  set('merchant', get(READINESS_ENV.merchant));
  set('shop_origin', get(READINESS_ENV.shop_origin));
  set('webhook_url', get(READINESS_ENV.webhook_url));
  set('webhook_secret', get(READINESS_ENV.webhook_secret));
  set('auth_token', get(READINESS_ENV.auth_token) ?? get(READINESS_ENV.auth_token_fallback));
  // A fix about the token names the variable that holds it: quotes removed around an unset one change nothing.
  if (get(READINESS_ENV.auth_token) === undefined && get(READINESS_ENV.auth_token_fallback) !== undefined) {
    out.input_names = { auth_token: READINESS_ENV.auth_token_fallback };
  }
  const currency = get(READINESS_ENV.currency)?.trim().toUpperCase();
  if (currency !== undefined && currency !== 'JPY' && currency !== 'USD') {
    throw new SiglumeValidationError(READINESS_ENV.currency, `Invalid ${READINESS_ENV.currency}: must be JPY or USD`);
  }
  set('currency', currency);
  const amount = get(READINESS_ENV.amount_minor);
  if (amount !== undefined) out.amount_minor = parseAmountMinor(amount, READINESS_ENV.amount_minor);
  // The clients' rule (CONTRACT-2 sections 13 and 18.2): SIGLUME_API_BASE, else with
  // SIGLUME_ENV=sandbox the sandbox's API base; SIGLUME_ENV=sandbox is also sandbox mode.
  const sandbox = mode.sandbox === true || sandboxSelected(env);
  set('base_url', environmentApiBase(env, sandbox)?.value);
  if (sandbox) out.sandbox = true;
  return out;
}
