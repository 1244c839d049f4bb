/**
 * Input rules of the SDRP contract as zod schemas, plus {@link parseInput},
 * which turns a zod failure into a {@link SiglumeValidationError} naming the
 * field. Everything a method sends is checked here before a request leaves.
 *
 * Messages are written as "<field>: <what is wrong>"; they never echo the
 * rejected value, so a mistyped secret cannot end up in a log.
 *
 * Written with `zod/mini` (functions instead of chained methods), which the
 * build bundles and tree-shakes: a worker that uses one client method carries
 * a few KB of zod instead of the ~90 KB gzip of classic zod, and Node does not
 * walk zod's module graph at import time. Each schema is wrapped in
 * `z.lazy`, so it is built on first use rather than when the package is
 * imported (a cold start that never validates these pays nothing for them).
 */
import * as z from 'zod/mini';
import { BILLING_PLANS, CURRENCY_TOKENS, RECURRING_CADENCES } from './constants.js';
import { SiglumeValidationError } from './errors.js';

const LOOPBACK_HOSTS = /* @__PURE__ */ new Set(['localhost', '127.0.0.1', '[::1]']);

/**
 * True when `a` and `b` are the same URL once parsed (`https://Shop.example:443/hook` is
 * `https://shop.example/hook`), or the same text; false when either is absent or only one parses.
 */
export function sameUrl(a: string | null | undefined, b: string | null | undefined): boolean {
  if (a === undefined || a === null || b === undefined || b === null) return false;
  return a === b || (URL.canParse(a) && URL.canParse(b) && new URL(a).href === new URL(b).href);
}

/** True for the hosts on which plain `http` is allowed (local development). */
export function isLoopbackHost(hostname: string): boolean {
  return LOOPBACK_HOSTS.has(hostname.toLowerCase());
}

const POSITIVE_SAFE_INTEGER = 'must be a positive safe integer';

/** A positive safe integer (amounts in minor units, caps, limits). Floats, strings and booleans are rejected. */
export const positiveSafeIntegerSchema = z.lazy(() => z.custom<number>(
  (v) => typeof v === 'number' && Number.isSafeInteger(v) && v > 0,
  { error: POSITIVE_SAFE_INTEGER },
));

/** Merchant key for challenges and requirements: `^[a-z0-9][a-z0-9._-]{0,95}$` after lower-casing. */
export const challengeMerchantKeySchema = z.lazy(() => z.string({ error: 'must be a string' }).check(
  z.toLowerCase(),
  z.regex(/^[a-z0-9][a-z0-9._-]{0,95}$/, {
    error: 'must be 1-96 characters of a-z, 0-9, ".", "_" or "-", starting with a letter or digit',
  }),
));

/** Merchant key for self-service merchant calls and checkout sessions: `^[a-z0-9][a-z0-9_-]{2,63}$` after lower-casing. */
export const merchantKeySchema = z.lazy(() => z.string({ error: 'must be a string' }).check(
  z.toLowerCase(),
  z.regex(/^[a-z0-9][a-z0-9_-]{2,63}$/, {
    // A key pasted with a trailing space or newline (a .env value, a dashboard copy) is told so.
    error: (issue) =>
      `must be 3-64 characters of a-z, 0-9, "_" or "-", starting with a letter or digit${typeof issue.input === 'string' && /^\s|\s$/.test(issue.input) ? ' (this one starts or ends with a space or line break)' : ''}`,
  }),
));

/** `JPY` or `USD`, case-insensitive in, upper-case out. */
export const currencySchema = z.lazy(() => z.pipe(
  z.string({ error: 'must be "JPY" or "USD"' }).check(z.toUpperCase()),
  z.enum(['JPY', 'USD'], { error: 'must be "JPY" or "USD"' }),
));

/** `JPYC` or `USDC`, case-insensitive in, upper-case out. */
export const tokenSymbolSchema = z.lazy(() => z.pipe(
  z.string({ error: 'must be "JPYC" or "USDC"' }).check(z.toUpperCase()),
  z.enum(['JPYC', 'USDC'], { error: 'must be "JPYC" or "USDC"' }),
));

/** Supported fiat currency: `"JPY"` or `"USD"`. */
export type DirectRequestPaymentCurrency = z.output<typeof currencySchema>;
/** Stablecoin a payment settles in: `"JPYC"` (JPY) or `"USDC"` (USD). */
export type DirectRequestPaymentTokenSymbol = z.output<typeof tokenSymbolSchema>;

/** The token a currency settles in: JPY -> JPYC, USD -> USDC. */
export function tokenForCurrency(currency: DirectRequestPaymentCurrency): DirectRequestPaymentTokenSymbol {
  return CURRENCY_TOKENS[currency];
}

/** Nonce: non-empty and free of `:` (the challenge string's separator). */
export const nonceSchema = z.lazy(() => z.string({ error: 'must be a string' }).check(
  z.minLength(1, { error: 'must not be empty' }),
  z.refine((s) => !s.includes(':'), { error: 'must not contain ":"' }),
));

/** Billing plan; `free` is the legacy name of `launch`. */
export const billingPlanSchema = z.lazy(() => z.enum(BILLING_PLANS, {
  error: `must be one of ${BILLING_PLANS.join(', ')}`,
}));

/** Recurring cadence, case-insensitive in (`Monthly` is `monthly`, as in 0.4.20), lower-case out. */
export const recurringCadenceSchema = z.lazy(() => z.pipe(
  z.string({ error: `must be one of ${RECURRING_CADENCES.join(', ')}` }).check(z.toLowerCase()),
  z.enum(RECURRING_CADENCES, { error: `must be one of ${RECURRING_CADENCES.join(', ')}` }),
));

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
 * The reason an unparsable URL gives when its port is past 65535, else null. The port is read after any
 * `user:password@`, which is neither taken for a port nor shown.
 */
export function portOutOfRange(text: string): string | null {
  const host = /^[a-z][a-z0-9+.-]*:\/\/([^/?#]*)/i.exec(text.trim())?.[1]?.split('@').pop();
  // The port follows a bracketed IPv6 address or a host without colons (an unclosed `[` is not read as one).
  const port = host && /^(?:\[[^\]]*\]|[^[\]:]*):([0-9]+)$/.exec(host)?.[1];
  return port && Number(port) > 65535 ? `port ${port} is out of range (1-65535)` : null;
}

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
    if (!parsed) return portOutOfRange(url) ?? 'must be an absolute URL';
    url = parsed;
  }
  if (url.username || url.password) return 'must not contain a username or password';
  if (url.protocol === 'https:') return null;
  if (allowLoopbackHttp && url.protocol === 'http:' && isLoopbackHost(url.hostname)) return null;
  return allowLoopbackHttp
    ? 'must use https (http is allowed only for localhost, 127.0.0.1 and [::1])'
    : 'must be an absolute https URL';
}

/**
 * An absolute URL accepted by {@link urlProblem}. Verdicts are remembered per
 * string (a few dozen at most): a shop sends the same success and cancel URLs
 * on every checkout, and parsing them each time is measurable per call.
 */
export function absoluteUrlSchema(allowLoopbackHttp: boolean) {
  const verdicts = new Map<string, string | null>();
  return z.string({ error: 'must be a string URL' }).check(
    z.superRefine((value, ctx) => {
      let problem = verdicts.get(value);
      if (problem === undefined) {
        problem = urlProblem(value, allowLoopbackHttp);
        if (verdicts.size >= 64) verdicts.clear();
        verdicts.set(value, problem);
      }
      if (problem) ctx.addIssue({ code: 'custom', message: problem });
    }),
  );
}

/**
 * Records a failure from inside a `z.transform` (zod/mini hands transforms
 * the raw parse payload, which has no `addIssue`) and returns `z.NEVER`.
 */
export function transformIssue(
  ctx: z.core.ParsePayload,
  message: string,
  path: PropertyKey[] = [],
): never {
  ctx.issues.push({ code: 'custom', message, path, input: ctx.value });
  return z.NEVER;
}

/** Webhook / callback URL: absolute https, no userinfo. */
export const httpsUrlSchema = z.lazy(() => absoluteUrlSchema(false));

/** One allowed checkout origin, normalized to its lower-case origin. */
export const checkoutOriginSchema = z.lazy(() => z.pipe(
  z.string({ error: 'must be a string origin' }),
  z.transform((value: string, ctx) => {
    const url = parseUrl(value);
    if (!url || url.origin === 'null') {
      return transformIssue(ctx, 'must be an absolute origin such as https://shop.example');
    }
    const problem = urlProblem(value, true);
    if (problem) return transformIssue(ctx, problem);
    if ((url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
      return transformIssue(ctx, 'must be an origin only, without a path, query or fragment');
    }
    return url.origin.toLowerCase();
  }),
));

/** Allowed checkout origins: normalized, de-duplicated in order. */
export const checkoutOriginsSchema = z.lazy(() => z.pipe(
  z.array(checkoutOriginSchema, { error: 'must be an array of origins' }),
  z.transform((origins: string[]) => [...new Set(origins)]),
));

function isPlainObject(value: unknown): value is Record<string, unknown> {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

/**
 * Deepest nesting of arrays and objects in a JSON value the SDK sends
 * (metadata, event data), counting the value itself as level 1. Deeper
 * values overflow the stack of recursive steps (this copy, `JSON.stringify`,
 * `structuredClone`); the sandbox refuses them by the same limit.
 */
export const MAX_JSON_DEPTH = 64;

/** Unwinds {@link copyJson} from a value JSON cannot carry, collecting its key path on the way out. */
class NotJson {
  /** Keys from the failing value up to the root (reversed). */
  readonly keys: Array<string | number> = [];
  /** True when the value nests deeper than {@link MAX_JSON_DEPTH} rather than holding something JSON cannot carry. */
  constructor(readonly too_deep = false) {}
}

function formatPath(keys: ReadonlyArray<string | number>): string {
  let path = '';
  for (let i = keys.length - 1; i >= 0; i--) {
    const key = keys[i]!;
    path = typeof key === 'number' ? `${path}[${key}]` : path ? `${path}.${key}` : key;
  }
  return path;
}

function copyChild(value: unknown, key: string | number, ancestors: object[]): unknown {
  try {
    return copyJson(value, ancestors, key);
  } catch (error) {
    if (error instanceof NotJson) error.keys.push(key);
    throw error;
  }
}

/**
 * `value.toJSON(key)` when `value` has one (a `Date` gives its ISO string, an
 * invalid `Date` null), as `JSON.stringify` calls it; else `value`. A
 * `toJSON` that throws makes the value unserializable, as it would make
 * `JSON.stringify` throw.
 */
function applyToJson(value: unknown, key: string | number): unknown {
  if ((typeof value !== 'object' || value === null) && typeof value !== 'bigint') return value;
  const toJSON = (value as { toJSON?: unknown }).toJSON;
  if (typeof toJSON !== 'function') return value;
  try {
    return toJSON.call(value, String(key));
  } catch {
    throw new NotJson();
  }
}

/**
 * Deep-copies a value as `JSON.parse(JSON.stringify(value))` would
 * (CONTRACT-2's `jsonObj`, as 0.4.20 did), in one pass: `toJSON` is called
 * (a `Date` becomes its ISO string); `undefined` is left out of objects and
 * becomes `null` in arrays. Throws {@link NotJson} where the round trip would
 * throw or silently change the data: a cycle, a BigInt, a non-finite number
 * (JSON writes `null`), a class instance without `toJSON` (a `Map` or `Set`
 * would come back `{}`), a function or symbol (JSON drops it: `order.total`
 * meant as `order.total()` would vanish), and nesting deeper than
 * {@link MAX_JSON_DEPTH}. One pass instead of a check, a stringify and a
 * parse: this runs on every call that sends metadata.
 */
function copyJson(input: unknown, ancestors: object[], key: string | number = ''): unknown {
  // undefined stands for "left out": the caller drops the member, or writes null in an array.
  const value = applyToJson(input, key);
  if (value === undefined) return undefined;
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new NotJson();
    return value === 0 ? 0 : value; // JSON has no -0
  }
  if (typeof value !== 'object' || ancestors.includes(value)) throw new NotJson();
  if (ancestors.length >= MAX_JSON_DEPTH) throw new NotJson(true);
  ancestors.push(value);
  try {
    if (Array.isArray(value)) {
      const out: unknown[] = new Array(value.length);
      for (let i = 0; i < value.length; i++) out[i] = copyChild(value[i], i, ancestors) ?? null;
      return out;
    }
    if (!isPlainObject(value)) throw new NotJson();
    const out: Record<string, unknown> = {};
    const keys = Object.keys(value);
    for (let i = 0; i < keys.length; i++) {
      const key = keys[i]!;
      const copy = copyChild(value[key], key, ancestors);
      if (copy === undefined) continue;
      // Plain assignment to "__proto__" would set the prototype; JSON.parse makes it an own key.
      if (key === '__proto__') Object.defineProperty(out, key, { value: copy, enumerable: true, writable: true, configurable: true });
      else out[key] = copy;
    }
    return out;
  } finally {
    ancestors.pop();
  }
}

/**
 * A JSON-serializable plain object (metadata, event data). The output is a
 * deep copy as by a JSON round trip (a `Date` becomes its ISO string, an
 * `undefined` member is left out), so later changes by the caller cannot
 * alter what was validated.
 */
export const jsonObjectSchema = z.lazy(() => z.pipe(
  z.custom<Record<string, unknown>>(),
  z.transform((value: Record<string, unknown>, ctx): Record<string, unknown> => {
    if (!isPlainObject(value)) return transformIssue(ctx, 'must be a plain JSON object');
    try {
      const copy = copyJson(value, []);
      // A root toJSON may answer anything; the round trip must still give an object.
      return isPlainObject(copy) ? copy : transformIssue(ctx, 'must be a plain JSON object');
    } catch (error) {
      if (!(error instanceof NotJson)) throw error;
      const at = formatPath(error.keys) || '(root)';
      return transformIssue(
        ctx,
        error.too_deep
          ? `must not nest arrays and objects more than ${MAX_JSON_DEPTH} levels deep (the value at "${at}" is deeper)`
          : `must be JSON-serializable (the value at "${at}" is not: use strings, finite numbers, booleans, null, arrays and plain objects)`,
      );
    }
  }),
));

/** A non-empty string (ids, cursors). */
export const nonEmptyStringSchema = z.lazy(() => z.string({ error: 'must be a string' }).check(z.minLength(1, { error: 'must not be empty' })));

/**
 * An id that goes into a URL path: non-empty, and not `.` or `..`, which a
 * URL parser would resolve as a dot segment and so call another route
 * (`getCheckoutSession('..')` would otherwise request the collection).
 */
export const pathIdSchema = z.lazy(() => z.string({ error: 'must be a string' }).check(
  z.minLength(1, { error: 'must not be empty' }),
  z.refine((s) => s !== '.' && s !== '..', { error: 'must not be "." or ".."' }),
));

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
 * message reads `Invalid <field>: <reason>`. For an unknown key, `field` is
 * the path of that key (`note`, `options.retries`) and the message names the
 * object it was found in: `Invalid input: unknown field "note"`.
 */
export function parseInput<S extends z.core.$ZodType>(schema: S, value: unknown, root = ''): z.output<S> {
  const result = z.safeParse(schema, value);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  if (issue.code === 'unrecognized_keys') {
    const key = issuePath(root, [...issue.path, issue.keys[0]!]);
    throw new SiglumeValidationError(key, `Invalid ${issuePath(root, issue.path)}: ${issue.message}`);
  }
  const field = issuePath(root, issue.path);
  let reason = issue.message;
  // A missing key fails its type (or custom) check with that check's message; say it plainly.
  if ((issue.path.length > 0 || root) && valueAt(value, issue.path) === undefined && !reason.startsWith('is required')) {
    reason = 'is required';
  }
  throw new SiglumeValidationError(field, `Invalid ${field}: ${reason}`);
}

// Unreserved characters only: the path goes into URLs Siglume stores and sends the buyer's browser to, so nothing in
// it may need escaping or be read differently by a proxy (`%2e`, `;`, `\`, `..`).
const BASE_PATH = /^(?:\/[A-Za-z0-9._~-]+)+$/;

/**
 * `shop_base_path` (or SHOP_BASE_PATH, named by `field`) as the success / cancel URLs use it: '' for the root, else
 * `/a/b` without a trailing slash.
 * @throws {SiglumeValidationError} naming `field`.
 */
export function shopBasePath(value: unknown, field = 'shop_base_path'): string {
  if (value === undefined || value === '' || value === '/') return '';
  const problem = 'must be a path such as /store: segments of letters, digits and -._~, none of them . or ..';
  if (typeof value !== 'string') throw new SiglumeValidationError(field, `Invalid ${field}: ${problem}`);
  const path = value.length > 1 && value.endsWith('/') ? value.slice(0, -1) : value;
  if (path.length > 200 || !BASE_PATH.test(path) || path.split('/').some((segment) => segment === '.' || segment === '..')) {
    throw new SiglumeValidationError(field, `Invalid ${field}: ${problem} (got ${JSON.stringify(value.slice(0, 80))})`);
  }
  return path;
}
