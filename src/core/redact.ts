/**
 * Removes secret values from data the SDK attaches to errors. A response that
 * fails its schema is kept on the error for debugging, but a merchant-setup or
 * subscription answer carries a shown-once `challenge_secret` /
 * `signing_secret`, and `logger.error(err)` must not print it.
 */

const SECRET_KEY = /(^|_)secret$|(^|_)token$/i;

/** A deep copy of `value` with every `*secret` / `*token` key's value replaced by `"[redacted]"`. */
export function redactSecrets(value: unknown, depth = 0): unknown {
  if (depth > 20 || value === null || typeof value !== 'object') return value;
  if (Array.isArray(value)) return value.map((v) => redactSecrets(v, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    out[key] = SECRET_KEY.test(key) && v !== null && v !== undefined ? '[redacted]' : redactSecrets(v, depth + 1);
  }
  return out;
}
