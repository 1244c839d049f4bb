/**
 * Input rules of the SDRP contract as zod schemas, plus {@link parseInput},
 * which turns a zod failure into a {@link SiglumeValidationError} naming the
 * field. Everything a method sends is checked here before a request leaves.
 *
 * Messages are written as "<field>: <what is wrong>"; they never echo the
 * rejected value, so a mistyped secret cannot end up in a log.
 */
import { z } from 'zod';
import { BILLING_PLANS, CURRENCY_TOKENS, RECURRING_CADENCES } from './constants.js';
import { SiglumeValidationError } from './errors.js';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** True for the hosts on which plain `http` is allowed (local development). */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase());
}

const POSITIVE_SAFE_INTEGER = 'must be a positive safe integer';

/** A positive safe integer (amounts in minor units, caps, limits). Floats, strings and booleans are rejected. */
export const positiveSafeIntegerSchema = z.custom<number>(
  (v) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0,
  { error: POSITIVE_SAFE_INTEGER },
);

/** Merchant key for challenges and requirements: `^[a-z0-9][a-z0-9._-]{0,95}$` after lower-casing. */
export const challengeMerchantKeySchema = z
  .string({ error: 'must be a string' })
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9._-]{0,95}$/, {
    error: 'must be 1-96 characters of a-z, 0-9, ".", "_" or "-", starting with a letter or digit',
  });

/** Merchant key for self-service merchant calls and checkout sessions: `^[a-z0-9][a-z0-9_-]{2,63}$` after lower-casing. */
export const merchantKeySchema = z
  .string({ error: 'must be a string' })
  .toLowerCase()
  .regex(/^[a-z0-9][a-z0-9_-]{2,63}$/, {
    error: 'must be 3-64 characters of a-z, 0-9, "_" or "-", starting with a letter or digit',
  });

/** `JPY` or `USD`, case-insensitive in, upper-case out. */
export const currencySchema = z
  .string({ error: 'must be "JPY" or "USD"' })
  .toUpperCase()
  .pipe(z.enum(['JPY', 'USD'], { error: 'must be "JPY" or "USD"' }));

/** `JPYC` or `USDC`, case-insensitive in, upper-case out. */
export const tokenSymbolSchema = z
  .string({ error: 'must be "JPYC" or "USDC"' })
  .toUpperCase()
  .pipe(z.enum(['JPYC', 'USDC'], { error: 'must be "JPYC" or "USDC"' }));

/** Supported fiat currency: `"JPY"` or `"USD"`. */
export type DirectRequestPaymentCurrency = z.output<typeof currencySchema>;
/** Stablecoin a payment settles in: `"JPYC"` (JPY) or `"USDC"` (USD). */
export type DirectRequestPaymentTokenSymbol = z.output<typeof tokenSymbolSchema>;

/** The token a currency settles in: JPY -> JPYC, USD -> USDC. */
export function tokenForCurrency(currency: DirectRequestPaymentCurrency): DirectRequestPaymentTokenSymbol {
  return CURRENCY_TOKENS[currency];
}

/** Nonce: non-empty and free of `:` (the challenge string's separator). */
export const nonceSchema = z
  .string({ error: 'must be a string' })
  .min(1, { error: 'must not be empty' })
  .refine((s) => !s.includes(':'), { error: 'must not contain ":"' });

/** Billing plan; `free` is the legacy name of `launch`. */
export const billingPlanSchema = z.enum(BILLING_PLANS, {
  error: `must be one of ${BILLING_PLANS.join(', ')}`,
});

/** Recurring cadence. */
export const recurringCadenceSchema = z.enum(RECURRING_CADENCES, {
  error: `must be one of ${RECURRING_CADENCES.join(', ')}`,
});

function parseUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

// ASCII control characters, space and DEL. `new URL()` silently strips tabs and
// newlines (and trims the ends), so they must be refused on the raw string:
// otherwise "https://shop.example/\r\nok" validates and is stored raw.
const CONTROL_OR_SPACE = /[\u0000-\u0020\u007f]/;

/**
 * Why `url` is not acceptable, or null: the one rule for every URL the SDK
 * takes (base URL, callback and redirect URLs, checkout origins). Given as a
 * string (check it before parsing), it must contain no whitespace or control
 * characters and be absolute. No userinfo; `https`, or plain `http` on
 * localhost / 127.0.0.1 / [::1] when `allowLoopbackHttp` is set.
 */
export function urlProblem(url: string | URL, allowLoopbackHttp: boolean): string | null {
  if (typeof url === 'string') {
    if (CONTROL_OR_SPACE.test(url)) return 'must not contain spaces, tabs, line breaks or other control characters';
    const parsed = parseUrl(url);
    if (!parsed) return 'must be an absolute URL';
    url = parsed;
  }
  if (url.username || url.password) return 'must not contain a username or password';
  if (url.protocol === 'https:') return null;
  if (allowLoopbackHttp && url.protocol === 'http:' && isLoopbackHost(url.hostname)) return null;
  return allowLoopbackHttp
    ? 'must use https (http is allowed only for localhost, 127.0.0.1 and [::1])'
    : 'must be an absolute https URL';
}

/** An absolute URL accepted by {@link urlProblem}. */
export function absoluteUrlSchema(allowLoopbackHttp: boolean) {
  return z.string({ error: 'must be a string URL' }).superRefine((value, ctx) => {
    const problem = urlProblem(value, allowLoopbackHttp);
    if (problem) ctx.addIssue({ code: 'custom', message: problem });
  });
}

/** Webhook / callback URL: absolute https, no userinfo. */
export const httpsUrlSchema = absoluteUrlSchema(false);

/** One allowed checkout origin, normalized to its lower-case origin. */
export const checkoutOriginSchema = z.string({ error: 'must be a string origin' }).transform((value, ctx) => {
  const url = parseUrl(value);
  if (!url || url.origin === 'null') {
    ctx.addIssue({ code: 'custom', message: 'must be an absolute origin such as https://shop.example' });
    return z.NEVER;
  }
  const problem = urlProblem(value, true);
  if (problem) {
    ctx.addIssue({ code: 'custom', message: problem });
    return z.NEVER;
  }
  if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    ctx.addIssue({ code: 'custom', message: 'must be an origin only, without a path, query or fragment' });
    return z.NEVER;
  }
  return url.origin.toLowerCase();
});

/** Allowed checkout origins: normalized, de-duplicated in order. */
export const checkoutOriginsSchema = z
  .array(checkoutOriginSchema, { error: 'must be an array of origins' })
  .transform((origins) => [...new Set(origins)]);

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/** Returns the path of the first value that JSON cannot carry faithfully, or null. */
function findNonJson(value: unknown, path: string, seen: Set<object>): string | null {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return null;
  if (typeof value === 'number') return Number.isFinite(value) ? null : path;
  if (typeof value !== 'object') return path;
  if (seen.has(value)) return path;
  seen.add(value);
  try {
    if (Array.isArray(value)) {
      for (let i = 0; i < value.length; i++) {
        const bad = findNonJson(value[i], `${path}[${i}]`, seen);
        if (bad) return bad;
      }
      return null;
    }
    if (!isPlainObject(value)) return path;
    for (const [k, v] of Object.entries(value)) {
      const bad = findNonJson(v, path ? `${path}.${k}` : k, seen);
      if (bad) return bad;
    }
    return null;
  } finally {
    seen.delete(value);
  }
}

/**
 * A JSON-serializable plain object (metadata, event data). The output is a
 * deep copy, so later changes by the caller cannot alter what was validated.
 */
export const jsonObjectSchema = z.custom<Record<string, unknown>>().transform((value, ctx) => {
  if (!isPlainObject(value)) {
    ctx.addIssue({ code: 'custom', message: 'must be a plain JSON object' });
    return z.NEVER;
  }
  const bad = findNonJson(value, '', new Set());
  if (bad !== null) {
    ctx.addIssue({
      code: 'custom',
      message: `must be JSON-serializable (the value at "${bad || '(root)'}" is not: use strings, finite numbers, booleans, null, arrays and plain objects)`,
    });
    return z.NEVER;
  }
  return JSON.parse(JSON.stringify(value)) as Record<string, unknown>;
});

/** A non-empty string (ids, cursors). */
export const nonEmptyStringSchema = z.string({ error: 'must be a string' }).min(1, { error: 'must not be empty' });

function valueAt(value: unknown, path: readonly PropertyKey[]): unknown {
  let cur: unknown = value;
  for (const key of path) {
    if (cur === null || typeof cur !== 'object') return undefined;
    cur = (cur as Record<PropertyKey, unknown>)[key];
  }
  return cur;
}

function issuePath(root: string, path: readonly PropertyKey[]): string {
  let out = root;
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out || 'input';
}

/**
 * Validates `value` with `schema`. On failure throws a
 * {@link SiglumeValidationError} whose `field` is the path of the first issue
 * (prefixed with `root`, e.g. `merchant` for a bare argument) and whose
 * message reads `Invalid <field>: <reason>`.
 */
export function parseInput<S extends z.ZodType>(schema: S, value: unknown, root = ''): z.output<S> {
  const result = schema.safeParse(value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const field = issuePath(root, issue.path);
  let reason = issue.message;
  // A missing key fails its type (or custom) check with that check's message; say it plainly.
  if ((issue.path.length > 0 || root) && valueAt(value, issue.path) === undefined && !reason.startsWith('is required')) {
    reason = 'is required';
  }
  throw new SiglumeValidationError(field, `Invalid ${field}: ${reason}`);
}
