/**
 * Last line of defence for the rule "the report never contains the token or
 * the webhook secret": every string in a result is scrubbed before it leaves
 * the engine, whatever an API error message or a URL happened to echo.
 */

/** Text that replaces a secret found in report output. */
export const REDACTED = '[redacted]';

/**
 * Returns a copy of `value` with every occurrence of each secret replaced by
 * {@link REDACTED}, in strings at any depth. Objects that contain no secret
 * come back as equal copies.
 */
export function redactSecrets<T>(value: T, secrets: readonly string[]): T {
  if (secrets.length === 0) return value;
  const scrub = (v: unknown): unknown => {
    if (typeof v === 'string') {
      let out = v;
      for (const s of secrets) if (out.includes(s)) out = out.split(s).join(REDACTED);
      return out;
    }
    if (Array.isArray(v)) return v.map(scrub);
    if (v !== null && typeof v === 'object') {
      const out: Record<string, unknown> = {};
      for (const [k, inner] of Object.entries(v)) out[k] = scrub(inner);
      return out;
    }
    return v;
  };
  return scrub(value) as T;
}
