/**
 * Resolves client options against the environment: base URL and auth token.
 * Both clients go through here, so the rules are written once.
 */
import { DEFAULT_SIGLUME_API_BASE, DEFAULT_SIGLUME_SANDBOX_API_BASE } from './constants.js';
import { SiglumeValidationError } from './errors.js';
import { startsOrEndsWithQuote } from './quoted.js';
import { portOutOfRange, urlProblem } from './validation.js';

type EnvSource = Readonly<Record<string, string | undefined>>;

function processEnv(): EnvSource {
  return (globalThis as { process?: { env?: EnvSource } }).process?.env ?? {};
}

// An environment value, trimmed (a `.env` line's trailing space or CR is a
// quoting accident, not part of the value); blank counts as unset.
function env(name: string, source: EnvSource = processEnv()): string | undefined {
  const value = source[name];
  const trimmed = typeof value === 'string' ? value.trim() : undefined;
  return trimmed === undefined || trimmed === '' ? undefined : trimmed;
}

/** True when `SIGLUME_ENV` is `sandbox` (trimmed, any case). */
export function sandboxSelected(source: EnvSource = processEnv()): boolean {
  return env('SIGLUME_ENV', source)?.toLowerCase() === 'sandbox';
}

/**
 * The API base an environment names, unvalidated, with the variable it came
 * from: `SIGLUME_API_BASE`; else, in sandbox mode (`SIGLUME_ENV=sandbox`,
 * or `sandboxMode` true, as a CLI's `--sandbox` flag selects it),
 * `SIGLUME_SANDBOX_API_BASE` or {@link DEFAULT_SIGLUME_SANDBOX_API_BASE};
 * else undefined. The clients and readiness both read it from here.
 */
export function environmentApiBase(
  source: EnvSource = processEnv(),
  sandboxMode: boolean = sandboxSelected(source),
): { value: string; field: string } | undefined {
  const base = env('SIGLUME_API_BASE', source);
  if (base !== undefined) return { value: base, field: 'SIGLUME_API_BASE' };
  if (!sandboxMode) return undefined;
  const sandbox = env('SIGLUME_SANDBOX_API_BASE', source);
  return sandbox !== undefined
    ? { value: sandbox, field: 'SIGLUME_SANDBOX_API_BASE' }
    : { value: DEFAULT_SIGLUME_SANDBOX_API_BASE, field: 'DEFAULT_SIGLUME_SANDBOX_API_BASE' };
}

/**
 * Validates and normalizes a base URL: https, or http on localhost /
 * 127.0.0.1 / [::1]; no userinfo; trailing slashes dropped.
 */
export function normalizeBaseUrl(raw: string, field = 'base_url'): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    const reason = portOutOfRange(raw) ?? `must be an absolute URL such as ${DEFAULT_SIGLUME_API_BASE}`;
    throw new SiglumeValidationError(field, `Invalid ${field}: ${reason}`);
  }
  const problem = urlProblem(url, true);
  if (problem) throw new SiglumeValidationError(field, `Invalid ${field}: ${problem}`);
  if (url.search || url.hash) {
    throw new SiglumeValidationError(field, `Invalid ${field}: must not contain a query or fragment`);
  }
  return `${url.origin}${url.pathname}`.replace(/\/+$/, '');
}

/**
 * Base URL, first hit wins: the option (an empty string is not skipped: it
 * is refused); `SIGLUME_API_BASE`; when `SIGLUME_ENV=sandbox`,
 * `SIGLUME_SANDBOX_API_BASE` else {@link DEFAULT_SIGLUME_SANDBOX_API_BASE};
 * {@link DEFAULT_SIGLUME_API_BASE}. `SIGLUME_ENV` changes nothing else.
 */
export function resolveBaseUrl(option: string | null | undefined): string {
  if (option !== undefined && option !== null) return normalizeBaseUrl(option, 'base_url');
  const fromEnv = environmentApiBase();
  if (fromEnv !== undefined) return normalizeBaseUrl(fromEnv.value, fromEnv.field);
  return DEFAULT_SIGLUME_API_BASE;
}

/** Why a token cannot be a Direct Request Payment API token (see {@link authTokenProblem}). */
export type AuthTokenProblem = 'missing' | 'quoted' | 'developer_portal_key' | 'whitespace' | 'invalid_characters';

/**
 * The one token rule, shared by the clients, readiness and the sandbox: a
 * token is a non-empty string, not wrapped in quotes (`docker --env-file`
 * and some secret stores keep the quotes of `TOKEN="sdrp_..."` as part of
 * the value; no API token starts or ends with one), not a Developer Portal
 * key (`cli_…`, which the Direct Request Payment API does not accept), free
 * of whitespace (usually a quoting mistake in a `.env` file) and made of
 * printable ASCII only. A
 * control character cannot go into an `Authorization` header (for a NUL,
 * `fetch` quotes the whole header, token included, in its error), and a
 * non-ASCII one is an invisible character pasted from an editor, not part
 * of any API token. Returns what is wrong, or null.
 */
export function authTokenProblem(token: string | null | undefined): AuthTokenProblem | null {
  if (token === undefined || token === null || token === '') return 'missing';
  if (startsOrEndsWithQuote(token)) return 'quoted';
  if (token.startsWith('cli_')) return 'developer_portal_key';
  if (/\s/.test(token)) return 'whitespace';
  if (!/^[\x21-\x7e]+$/.test(token)) return 'invalid_characters';
  return null;
}

/**
 * Where a client's token came from, in words for the message of a 401 / 403;
 * never the token itself.
 */
export function describeAuthTokenSource(source: AuthTokenSource, kind: 'merchant' | 'buyer'): string {
  if (source === 'auth_token') return `the ${kind} token passed as the auth_token option`;
  if (source === 'SIGLUME_AUTH_TOKEN' && kind === 'merchant') {
    return 'the token in SIGLUME_AUTH_TOKEN (the buyer variable, read because SIGLUME_MERCHANT_AUTH_TOKEN is not set); the merchant routes need a merchant token';
  }
  return `the ${kind} token in ${source}`;
}

/**
 * Auth token from the option, else the environment. The merchant client reads
 * `SIGLUME_MERCHANT_AUTH_TOKEN` then `SIGLUME_AUTH_TOKEN`; the buyer client
 * only `SIGLUME_AUTH_TOKEN`. Only an absent option (`undefined` or `null`, as
 * 0.4.20's `??` had it) reads the environment: an empty or blank string is
 * refused, since falling back would run the client with a credential the
 * caller did not pass. Tokens must pass {@link authTokenProblem}. Error
 * messages name where the token came from, never the token.
 */
export function resolveAuthToken(option: string | null | undefined, kind: 'merchant' | 'buyer'): string {
  return resolveAuthTokenSource(option, kind).token;
}

/** Where {@link resolveAuthTokenSource} found the token: the option or the environment variable. */
export type AuthTokenSource = 'auth_token' | 'SIGLUME_MERCHANT_AUTH_TOKEN' | 'SIGLUME_AUTH_TOKEN';

/** {@link resolveAuthToken}, also saying where the token came from (for the hint of a 401 / 403). */
export function resolveAuthTokenSource(
  option: string | null | undefined,
  kind: 'merchant' | 'buyer',
): { token: string; source: AuthTokenSource } {
  const names = kind === 'merchant' ? 'SIGLUME_MERCHANT_AUTH_TOKEN or SIGLUME_AUTH_TOKEN' : 'SIGLUME_AUTH_TOKEN';
  if (typeof option === 'string' && option.trim() === '') {
    throw new SiglumeValidationError(
      'auth_token',
      `Invalid auth_token: must not be empty (leave the option out to read ${names})`,
      { code: 'INVALID_AUTH_TOKEN' },
    );
  }
  const sources: Array<[AuthTokenSource, string | null | undefined]> = [['auth_token', option]];
  if (kind === 'merchant') sources.push(['SIGLUME_MERCHANT_AUTH_TOKEN', env('SIGLUME_MERCHANT_AUTH_TOKEN')]);
  sources.push(['SIGLUME_AUTH_TOKEN', env('SIGLUME_AUTH_TOKEN')]);
  for (const [source, value] of sources) {
    if (value === undefined || value === null) continue;
    if (typeof value !== 'string') {
      throw new SiglumeValidationError(source, `Invalid ${source}: must be a string`, { code: 'INVALID_AUTH_TOKEN' });
    }
    const problem = authTokenProblem(value);
    if (problem === 'quoted') {
      throw new SiglumeValidationError(
        source,
        `Invalid ${source}: starts or ends with a quote character; remove the quotes around the token ` +
          '(docker --env-file and some secret stores keep them as part of the value)',
        { code: 'INVALID_AUTH_TOKEN' },
      );
    }
    if (problem === 'developer_portal_key') {
      throw new SiglumeValidationError(
        source,
        `Invalid ${source}: this looks like a Developer Portal key (prefix "cli_"), which the Direct Request Payment API does not accept. Use a ${kind} auth token.`,
        { code: 'INVALID_AUTH_TOKEN' },
      );
    }
    if (problem === 'whitespace') {
      throw new SiglumeValidationError(source, `Invalid ${source}: must not contain whitespace`, { code: 'INVALID_AUTH_TOKEN' });
    }
    if (problem === 'invalid_characters') {
      throw new SiglumeValidationError(source, `Invalid ${source}: must be printable ASCII (no control or non-ASCII characters)`, {
        code: 'INVALID_AUTH_TOKEN',
      });
    }
    return { token: value, source };
  }
  throw new SiglumeValidationError('auth_token', `Missing auth token: pass the auth_token option or set ${names}.`, {
    code: 'MISSING_AUTH_TOKEN',
  });
}
