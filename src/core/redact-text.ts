/**
 * Credentials by their shape, for text the SDK did not write: error messages
 * from a store module or its database driver (before a command prints them or
 * the reconcile route answers with them), and values a user typed where a
 * kind, command or host was expected (before an error message echoes them).
 * Exact secret values the caller holds are masked too.
 */
import { redactSecretValues } from './redact.js';

const MASK = '***';

/** Prefixes of Siglume's secrets and of other common credentials (API keys, a pasted auth header). */
const SECRET_PREFIX = /^(?:whsec_|sdrp_|sk_(?:live|test)_|rk_(?:live|test)_|pk_live_|(?:Bearer|Basic)\s)/i;

/** `scheme://user:password@`: the password runs to the last `@` of the word (it may hold `@`, `:` or `/`). */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/:@]*):[^\s]*@/gi;
/** `password=...`, `PGPASSWORD=...`, `"password": "..."`, `pwd: ...` (connection strings, env dumps, JSON). */
const PASSWORD_FIELD = /((?:^|[^A-Za-z0-9])[A-Za-z0-9_]*(?:password|passwd|pwd))(["']?\s*[:=]\s*)("[^"]*"|'[^']*'|[^\s&;,}]+)/gi;
const AUTH_HEADER = /\b((?:Bearer|Basic)\s+)([^\s,;"']+)/gi;
/**
 * The word after `Bearer` / `Basic` is a credential when it has a digit, one of `_-.~+/=` (the token68 characters,
 * which every token shape has: `sdrp_…`, a JWT's dots, base64's `+/=`) or upper case after its first letter
 * (base64 of `user:pass` is `dXNlcjpwYXNz`), or is 16 characters or longer (a token of letters alone); a sentence's
 * full stop does not count. Prose is left alone: "the bearer token is not valid" stays as written.
 */
const CREDENTIAL_WORD = /[0-9_\-.~+/=]|^(?=.*[a-z]).+[A-Z]|^.{16,}$/;

function maskAuthHeader(match: string, scheme: string, word: string): string {
  return CREDENTIAL_WORD.test(word.replace(/[.!?:)]+$/, '')) ? `${scheme}${MASK}` : match;
}
/** Siglume's secrets: everything after the prefix up to a space or a quote (a secret may hold any printable character). */
const SIGLUME_SECRET = /\b(sdrp|whsec)_[^\s"'`,;]+/g;

/**
 * `text` with every credential masked: the given `secrets` (exact values),
 * then URL passwords (`postgres://admin:***@db/x`), password fields
 * (`password=***`, `PGPASSWORD=***`, `"password": ***`), `Bearer ***` /
 * `Basic ***` (when the word after it is shaped like a credential), `sdrp_***` and `whsec_***`.
 *
 * @example
 * redactCredentialText('db down: postgres://admin:pw@db/x', []); // 'db down: postgres://admin:***@db/x'
 */
export function redactCredentialText(text: string, secrets: readonly (string | null | undefined)[]): string {
  return redactSecretValues(text, secrets)
    .replace(URL_PASSWORD, `$1$2:${MASK}@`)
    .replace(PASSWORD_FIELD, `$1$2${MASK}`)
    .replace(AUTH_HEADER, maskAuthHeader)
    .replace(SIGLUME_SECRET, `$1_${MASK}`);
}

/** Bits of Shannon entropy per character of `text`. */
function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / text.length) * Math.log2(n / text.length);
  return bits;
}

/**
 * Whether a typed value looks like a credential: a known prefix, or a random-looking token (a run of 20+
 * letters and digits mixed, with high entropy; `express_2024_edition`, `hono2024template` or a UUID is
 * not one, and neither is anything with a space).
 */
export function looksLikeSecret(value: string): boolean {
  const v = value.trim();
  if (SECRET_PREFIX.test(v)) return true;
  if (!/^[A-Za-z0-9_\-+=./]+$/.test(v)) return false;
  return v
    .split(/[_\-./]/)
    .some((run) => run.length >= 20 && /[0-9]/.test(run) && /[A-Za-z]/.test(run) && entropy(run) >= 3.5);
}
