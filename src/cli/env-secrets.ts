/**
 * What the CLI must never print of the environment, whatever an endpoint
 * echoes back: the values of the variables it knows as secrets, the password
 * of a database or cache URL, and the value of any variable named like a
 * credential or shaped like one. `webhook trigger` prints an endpoint's
 * answer, and a debugging endpoint that dumps its environment would
 * otherwise put the challenge secret or the reconcile token on the screen
 * (and in CI logs).
 */
import { MIN_MASKED_SECRET_LENGTH, redactSecretValues } from '../core/redact.js';
import { looksLikeSecret, redactCredentialText } from '../core/redact-text.js';

/** Variables the package's docs and templates use for secrets. */
const SECRET_VARS: readonly string[] = [
  'SIGLUME_WEBHOOK_SECRET',
  'SIGLUME_MERCHANT_AUTH_TOKEN',
  'SIGLUME_AUTH_TOKEN',
  'SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET',
  'SIGLUME_RECONCILE_TOKEN',
];

/** A name that says its value is a credential (`STRIPE_SECRET_KEY`, `PGPASSWORD`, `GITHUB_TOKEN`). */
const SECRET_NAME = /SECRET|TOKEN|PASSWORD|PASSWD|API_?KEY|PRIVATE_?KEY|CREDENTIAL/i;

/**
 * Below this length a value from a credential-named variable, or a URL's
 * password, is not masked by value: `DISABLE_TOKEN=1` would turn every `1` of
 * the answer into `[redacted]`, and a development database's `postgres` every
 * `postgres`. Such a password is still masked where it stands in a URL
 * (`postgres://u:***@`) or after `password=`. The package's own secret
 * variables are masked from {@link MIN_MASKED_SECRET_LENGTH} characters.
 */
const MIN_NAMED_SECRET_LENGTH = 12;

/** The `secrets` worth masking by value: set, and at least {@link MIN_MASKED_SECRET_LENGTH} characters. */
export function maskableSecrets(secrets: readonly (string | null | undefined)[]): string[] {
  return secrets.filter((s): s is string => typeof s === 'string' && s.length >= MIN_MASKED_SECRET_LENGTH);
}

/** The password of `scheme://user:password@host`, as written and decoded, or none. */
function urlPasswords(value: string): string[] {
  try {
    const password = new URL(value).password;
    if (password === '') return [];
    const decoded = decodeURIComponent(password);
    return decoded === password ? [password] : [password, decoded];
  } catch {
    return [];
  }
}

/**
 * Every secret value of each of `envs` (the environment and a `.env` file may give one variable two values):
 * the package's secret variables, URL passwords, and credential-named or -shaped values.
 */
export function envSecretValues(...envs: ReadonlyArray<Readonly<Record<string, string | undefined>>>): string[] {
  const out = new Set<string>();
  for (const [name, value] of envs.flatMap((env) => Object.entries(env))) {
    if (value === undefined || value === '') continue;
    if (SECRET_VARS.includes(name)) {
      if (value.length >= MIN_MASKED_SECRET_LENGTH) out.add(value);
    } else if (SECRET_NAME.test(name) && value.length >= MIN_NAMED_SECRET_LENGTH) out.add(value);
    else if (looksLikeSecret(value)) out.add(value);
    for (const password of urlPasswords(value)) if (password.length >= MIN_NAMED_SECRET_LENGTH) out.add(password);
  }
  // Longest first: a secret that holds a shorter one is replaced whole.
  return [...out].sort((a, b) => b.length - a.length);
}

/**
 * `value` with every string scrubbed: the `known` values replaced by
 * `[redacted]`, then anything shaped like a credential masked
 * (`postgres://u:***@`, `password=***`, `Bearer ***`, `whsec_***`).
 */
export function redactShown<T>(value: T, known: readonly string[]): T {
  const walk = (v: unknown): unknown => {
    if (typeof v === 'string') return redactCredentialText(v, []);
    if (v === null || typeof v !== 'object') return v;
    if (Array.isArray(v)) return v.map(walk);
    return Object.fromEntries(Object.entries(v).map(([k, inner]) => [k, walk(inner)]));
  };
  return walk(redactSecretValues(value, known)) as T;
}
