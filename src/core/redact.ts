/**
 * Removes secrets from what the SDK hands back: error data (by key) and
 * readiness output (by value). Data the SDK attaches to errors: A response that
 * fails its schema is kept on the error for debugging, but a merchant-setup or
 * subscription answer carries a shown-once `challenge_secret` /
 * `signing_secret`, and `logger.error(err)` must not print it.
 */

const SECRET_KEY = /(^|_)secret$|(^|_)token$/i;

/** Text that replaces a removed secret. */
export const REDACTED = '[redacted]';

/**
 * Below this length a token or secret is not masked by its value: no real credential is that short, and masking a
 * test double's (`'test'`, `t`) garbles every text that holds it (`cs_test_1` became `cs_[redacted]_1`).
 */
export const MIN_MASKED_SECRET_LENGTH = 8;

/**
 * How deep both functions walk. What lies deeper is replaced by
 * {@link TOO_DEEP}, not returned as it is: an error body from a hostile or
 * broken server could nest a secret key below any fixed depth, or nest deep
 * enough to overflow the stack of a recursive walk.
 */
const MAX_DEPTH = 20;

/** Text that replaces what is nested deeper than the walk goes. */
export const TOO_DEEP = '[nested too deep]';

/** A deep copy of `value` with every `*secret` / `*token` key's value replaced by `"[redacted]"`. */
export function redactSecretKeys(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth > MAX_DEPTH) return TOO_DEEP;
  if (Array.isArray(value)) return value.map((v) => redactSecretKeys(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) && v !== null && v !== undefined ? REDACTED : redactSecretKeys(v, depth + 1);
  }
  return out;
}

/**
 * The string values {@link redactSecretKeys} would replace, by dotted key path
 * (`signing_secret`, `items.0.challenge_secret`), so an error can keep them
 * out of sight yet reachable.
 */
export function secretKeyValues(value: unknown, prefix = '', depth = 0, out: Record<string, string> = {}): Record<string, string> {
  if (value === null || typeof value !== 'object' || depth > MAX_DEPTH) return out;
  for (const [key, v] of Object.entries(value)) {
    const path = prefix === '' ? key : `${prefix}.${key}`;
    if (SECRET_KEY.test(key)) {
      if (typeof v === 'string' && v !== '') out[path] = v;
    } else {
      secretKeyValues(v, path, depth + 1, out);
    }
  }
  return out;
}

/*
 * The readiness report's last line of defence for "the report never contains
 * the token or the webhook secret": every string is scrubbed before it leaves
 * the engine, whatever an API message or a URL happened to echo.
 */
/**
 * Returns a copy of `value` with every occurrence of each secret replaced by
 * {@link REDACTED}, in strings down to the walk's depth limit (deeper
 * values become {@link TOO_DEEP}). Objects that contain no secret
 * come back as equal copies. Unset secrets (`undefined`, `null`, `''`) are
 * skipped, so callers pass their settings as they are: an empty string would
 * otherwise match between every character.
 */
export function redactSecretValues<T>(value: T, candidates: readonly (string | null | undefined)[]): T {
  const secrets = candidates.filter((s): s is string => typeof s === 'string' && s !== '');
  if (secrets.length === 0) return value;
  const scrub = (v: unknown, depth: number): unknown => {
    if (typeof v === 'string') {
      let out = v;
      for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
      return out;
    }
    if (v === null || typeof v !== 'object') return v;
    if (depth > MAX_DEPTH) return TOO_DEEP;
    if (Array.isArray(v)) return v.map((inner) => scrub(inner, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, inner] of Object.entries(v)) out[k] = scrub(inner, depth + 1);
    return out;
  };
  return scrub(value, 0) as T;
}

/** How deep {@link redactErrorSecrets} follows `cause`: as deep as `errorCode` (core/retry.ts) looks for a code. */
const MAX_CAUSE_DEPTH = 8;

const isPrimitive = (v: unknown) => v === null || (typeof v !== 'object' && typeof v !== 'function');

/**
 * True for plain data (primitives, arrays, plain objects) that holds none of `secrets`, found within a small
 * walk (5 levels, 200 values). Anything else (a class instance such as `Headers` or a socket, a function, a
 * structure too big to walk) is false: a logger may print what the walk cannot see.
 */
function cleanData(value: unknown, secrets: readonly string[], budget = { left: 200 }, depth = 0): boolean {
  if (--budget.left < 0 || depth > 4) return false;
  if (typeof value === 'string') return !secrets.some((s) => value.includes(s));
  if (isPrimitive(value)) return true;
  if (typeof value === 'function') return false;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (!Array.isArray(value) && proto !== Object.prototype && proto !== null) return false;
  return Object.values(value as object).every((v) => cleanData(v, secrets, budget, depth + 1));
}

/**
 * `error` with the secrets scrubbed from what a logger prints of it (message,
 * stack, own properties, the errors of an `AggregateError`, and the same for
 * its `cause` chain): the error itself when nothing in it holds a secret or
 * could hide one, else a copy that keeps `name`, its own primitive properties
 * (`code`, which the retry rules read; `errno`, `syscall`), strings scrubbed,
 * and its plain-data properties that hold no secret (undici's `socket`
 * details). A custom `fetch` may quote the request in the error it throws, as
 * text or as an object (an axios-style `config.headers` with
 * `Authorization`, a `Headers` instance), and a connection error keeps that
 * error as its `cause`: such objects are left out of the copy. A cause nested
 * deeper than 8 levels is cut to its scrubbed message and code. A value that
 * is not an `Error` (a thrown text, a plain object as a cause) is scrubbed if
 * text, kept if it is plain data holding no secret, else replaced by its
 * `code` alone, or by {@link REDACTED}.
 */
export function redactErrorSecrets(error: unknown, candidates: readonly (string | null | undefined)[], depth = 0): unknown {
  const secrets = candidates.filter((s): s is string => typeof s === 'string' && s !== '');
  const code = (error as { code?: unknown } | null | undefined)?.code;
  if (!(error instanceof Error)) {
    // A thrown text, or a plain object as a cause (`{ cause: { headers } }`): scrubbed, kept when clean, else its code only.
    if (typeof error === 'string') return redactSecretValues(error, secrets);
    if (cleanData(error, secrets)) return error;
    return isPrimitive(code) && code !== undefined ? { code: redactSecretValues(code, secrets) } : REDACTED;
  }
  if (depth >= MAX_CAUSE_DEPTH) {
    const cut = new Error(redactSecretValues(error.message, secrets));
    return Object.assign(cut, { name: error.name }, isPrimitive(code) && code !== undefined ? { code: redactSecretValues(code, secrets) } : {});
  }
  const inner = (error as { cause?: unknown }).cause;
  const cause = redactErrorSecrets(inner, secrets, depth + 1);
  const members = error instanceof AggregateError && Array.isArray(error.errors) ? (error.errors as unknown[]) : null;
  const redactedMembers = members?.map((m) => redactErrorSecrets(m, secrets, depth + 1)) ?? null;
  const own = Object.entries(error).filter(([key]) => key !== 'cause');
  const texts = [error.message, error.stack];
  const quotes = texts.some((t) => t !== undefined && secrets.some((s) => t.includes(s)));
  const unchanged = cause === inner && (redactedMembers?.every((m, i) => m === members![i]) ?? true);
  if (unchanged && !quotes && own.every(([, v]) => cleanData(v, secrets))) return error;
  const message = redactSecretValues(error.message, secrets);
  const options = cause === undefined ? undefined : { cause };
  const copy = redactedMembers ? new AggregateError(redactedMembers, message, options) : new Error(message, options);
  copy.name = error.name;
  copy.stack = error.stack === undefined ? undefined : redactSecretValues(error.stack, secrets);
  for (const [key, v] of own) {
    if (isPrimitive(v)) Object.assign(copy, { [key]: redactSecretValues(v, secrets) });
    else if (cleanData(v, secrets)) Object.assign(copy, { [key]: v });
  }
  return copy;
}
