/**
 * Masks credentials in error texts that came from code the SDK does not
 * control (a store module, its database driver) before a command prints them
 * or the reconcile route answers with them: the password of a connection URL, `password=` of a key-value connection string, a bearer
 * token, and the shapes of Siglume's secrets (`sdrp_…`, `whsec_…`), besides
 * the exact secret values the command holds.
 */
import { redactSecretValues } from './redact.js';

const MASK = '***';

/** `scheme://user:password@` (the password may hold `@` or `:` when not percent-encoded; up to the last `@` before the path). */
const URL_PASSWORD = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/:@]*):[^\s/]*@/gi;
/** `password=...` in libpq / ODBC style connection strings, and in query strings. */
const KEY_VALUE = /\b(password|passwd|pwd)=("[^"]*"|'[^']*'|[^\s&;]+)/gi;
const BEARER = /\b(Bearer\s+)[^\s,;"']+/gi;
const SECRET_SHAPE = /\b(sdrp|whsec)_[A-Za-z0-9_-]+/g;

/**
 * `text` with every credential masked: the given `secrets` (exact values),
 * then URL passwords (`postgres://admin:***@db/x`), `password=***`,
 * `Bearer ***`, `sdrp_***` and `whsec_***`.
 *
 * @example
 * redactCredentialText('db down: postgres://admin:pw@db/x', []); // 'db down: postgres://admin:***@db/x'
 */
export function redactCredentialText(text: string, secrets: readonly (string | null | undefined)[]): string {
  return redactSecretValues(text, secrets)
    .replace(URL_PASSWORD, `$1$2:${MASK}@`)
    .replace(KEY_VALUE, `$1=${MASK}`)
    .replace(BEARER, `$1${MASK}`)
    .replace(SECRET_SHAPE, `$1_${MASK}`);
}
