/**
 * Config group: the local inputs, before anything talks to the API. Every
 * check runs (so one screen shows every configuration mistake). The rules
 * are the core's (merchant key schema, `authTokenProblem`, `urlProblem`,
 * pricing bands); this file only words what they find. The group hands the
 * API groups a {@link ReadinessConfig} in which every value is valid and
 * normalized, or `null` when any check failed.
 */
import { authTokenProblem } from '../../core/config.js';
import { minimumStandardAmountMinor, pricingBandFor } from '../../core/pricing.js';
import { isLoopbackHost, merchantKeySchema, portOutOfRange, urlProblem, type DirectRequestPaymentCurrency } from '../../core/validation.js';
import { signingSecretHasWhitespace, signingSecretIsQuoted } from '../../internal/secrets.js';
import { READINESS_ENV, readinessInputSource } from '../env.js';
import { fail, failed, found, pass, warn, type Checked } from '../outcome.js';
import type { CheckRun } from '../recorder.js';

/** The readiness inputs once every config check passed: valid and normalized. */
export interface ReadinessConfig {
  /** Merchant key, lower-cased. */
  merchant: string;
  auth_token: string;
  /** Origin only, e.g. `https://shop.example` (no trailing slash). */
  shop_origin: string;
  webhook_url: string;
  webhook_secret: string;
  currency: DirectRequestPaymentCurrency;
  amount_minor: number;
  /** Local development against the sandbox (http allowed on loopback). */
  sandbox: boolean;
}

/** What the config group reads: the options as given (currency and amount already parsed). */
export interface ConfigInput {
  merchant?: string | undefined;
  auth_token?: string | undefined;
  shop_origin?: string | undefined;
  webhook_url?: string | undefined;
  webhook_secret?: string | undefined;
  currency: DirectRequestPaymentCurrency;
  amount_minor: number;
  sandbox: boolean;
  /** API base URL the run will call; null with `--no-api`. */
  base_url: string | null;
  /** What messages call shop_origin / webhook_url when a flag gave the value (e.g. `--origin`); else the variable. */
  names?: Partial<Record<'shop_origin' | 'webhook_url' | 'auth_token', string>> | undefined;
}

/** What the config group hands on. */
export interface ConfigFacts {
  /** The normalized merchant key when that check passed (for the report), else null. */
  merchant: string | null;
  /** Every input, valid; null when any config check failed. */
  config: ReadinessConfig | null;
}

/** `JPY 501` / `USD 3.01`: an amount in minor units as a person reads it. */
export function formatMinorAmount(currency: DirectRequestPaymentCurrency, amountMinor: number): string {
  if (currency === 'JPY') return `JPY ${amountMinor}`;
  return `USD ${Math.floor(amountMinor / 100)}.${String(amountMinor % 100).padStart(2, '0')}`;
}

// Scheme, any slashes, then an authority that holds an `@` (a URL parser reads `http:u:p@host` so too). A
// backslash ends the authority of the special schemes only, as it does for a URL parser.
const USERINFO = /^([a-z][a-z0-9+.-]*:[/\\]*)[^/\\?#]*@/i;
const OTHER_USERINFO = /^([a-z][a-z0-9+.-]*:[/\\]*)[^/?#]*@/i;
const SPECIAL = /^(?:https?|wss?|ftp|file):/i;
const decoded = (part: string) => {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
};
const SCHEME = /^[a-z][a-z0-9+.-]*:[/\\]*/i;

/**
 * `raw` with the username and password replaced by `***` (`http://***@127.0.0.1:3000`), for messages
 * that quote a URL back: credentials in it are a secret, even when they are why the URL is refused.
 * Where a parser finds none but there is an `@`, it cannot tell a credential from a path: a password can read
 * as a port and a path (`https://u:2024/pw@host`), a fragment (`https://u:1234#pw@host`) or a second scheme
 * (`https://https://u:pw@host`). Then everything from the scheme to the last `@` goes
 * (`https://shop.example/a@b` shows as `https://***@b`: a refused URL is better shown short than leaked).
 */
export function maskUrlCredentials(raw: string): string {
  // What a URL parser skips before reading: leading spaces and control characters, tabs and newlines anywhere.
  // eslint-disable-next-line no-control-regex
  const text = raw.replace(/[\t\n\r]/g, '').replace(/^[\u0000-\u0020]+/, '');
  if (!text.includes('@')) return raw;
  const url = parseUrl(text);
  if (url?.username || url?.password) {
    const masked = text.replace(SPECIAL.test(text) ? USERINFO : OTHER_USERINFO, '$1***@');
    const left = [url.username, url.password].filter((part) => part !== '' && masked.includes(decoded(part)));
    if (masked !== text && left.length === 0) return masked;
  }
  return `${SCHEME.exec(text)?.[0] ?? ''}***${text.slice(text.lastIndexOf('@'))}`;
}

function parseUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/**
 * Words the core URL rule's verdict for shop_origin and webhook_url. The
 * decision is `urlProblem`'s; only the message and the fix are readiness's.
 */
function describeUrlProblem(raw: string, url: URL | null, sandbox: boolean): { problem: string; fix: string } | null {
  if (!url) {
    // The core's reason for a URL that does not parse: a port past 65535 says so (as SIGLUME_API_BASE's does).
    const port = portOutOfRange(raw);
    if (port !== null) return { problem: `is not valid: ${port}`, fix: 'Use a port from 1 to 65535, or none for the default (443 for https).' };
    return { problem: 'is not an absolute URL', fix: 'Use an absolute https URL.' };
  }
  const problem = urlProblem(url, sandbox);
  if (problem === null) return null;
  if (url.username || url.password) {
    return { problem: 'contains a username or password', fix: 'Remove the credentials from the URL.' };
  }
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname) && !sandbox) {
    return {
      problem: 'uses http',
      fix: 'Use https. For local development against the sandbox, pass --sandbox, which accepts http on localhost / 127.0.0.1 / [::1].',
    };
  }
  if (url.protocol !== 'https:') {
    return {
      problem: `uses ${url.protocol.replace(':', '')} instead of https`,
      fix: sandbox ? 'Use https (or http on localhost / 127.0.0.1 / [::1] with --sandbox).' : 'Use https.',
    };
  }
  return { problem, fix: 'Use an absolute https URL.' };
}

/** Where the merchant sets `field`: its variable, and its flag when it has one. */
function source(field: keyof typeof READINESS_ENV): string {
  return readinessInputSource(field) ?? READINESS_ENV[field];
}

function given(value: string | undefined): value is string {
  return value !== undefined && value !== '';
}

function merchantKey(raw: string | undefined): Checked<string> {
  if (!given(raw) || raw.trim() === '') {
    return failed(
      fail('No merchant key is set', `Set ${source('merchant')} to your merchant key, e.g. my_shop.`),
    );
  }
  const parsed = merchantKeySchema.safeParse(raw.trim());
  if (!parsed.success) {
    return failed(
      fail(
        `Merchant key "${raw}" is not valid: it ${parsed.error.issues[0]?.message ?? 'has the wrong format'}`,
        'Use the merchant key you registered with setupCheckout / setupMerchant (3-64 of a-z, 0-9, "_" or "-").',
      ),
    );
  }
  return found(pass(`Merchant key is ${parsed.data}`, { merchant: parsed.data }), parsed.data);
}

/** `name`: the variable that holds the token (SIGLUME_AUTH_TOKEN when the merchant variable is unset). */
function merchantToken(token: string | undefined, name: string): Checked<string> {
  switch (authTokenProblem(token)) {
    case 'missing':
      return failed(
        fail(
          'No merchant auth token is set',
          `Set ${source('auth_token')} in the server environment; keep it out of the browser and out of git.`,
        ),
      );
    case 'quoted':
      return failed(
        fail(
          'The merchant auth token starts or ends with a quote character',
          `Remove the quotes around ${name} (docker --env-file and some secret stores keep them as part of the value).`,
        ),
      );
    case 'developer_portal_key':
      return failed(
        fail(
          'The token is a Developer Portal key (cli_…), which the Direct Request Payment API does not accept',
          `Set ${name} to a merchant auth token instead of the Developer Portal key.`,
        ),
      );
    case 'whitespace':
      return failed(
        fail(
          'The merchant auth token contains whitespace',
          `Remove spaces and line breaks from ${name} (check the quoting in your .env file).`,
        ),
      );
    case 'invalid_characters':
      return failed(
        fail(
          'The merchant auth token contains control or non-ASCII characters',
          `Copy ${name} again from Siglume: a token is printable ASCII only (an editor may have added an invisible character).`,
        ),
      );
    case null:
      return found(pass('Merchant auth token is set'), token!);
  }
}

/** What a message calls `field`'s value: the flag that gave it when one did, else its environment variable. */
function valueName(field: 'shop_origin' | 'webhook_url', names: ConfigInput['names']): string {
  return names?.[field] ?? READINESS_ENV[field];
}

function shopOrigin(raw: string | undefined, sandbox: boolean, name: string): Checked<string> {
  if (!given(raw)) {
    return failed(fail(`${name} is not set`, `Set ${source('shop_origin')} to your shop's public origin, e.g. https://shop.example.`));
  }
  const url = parseUrl(raw);
  const problem = describeUrlProblem(raw, url, sandbox);
  const shown = maskUrlCredentials(raw);
  if (problem || !url) {
    return failed(fail(`${name} ${shown} ${problem?.problem ?? 'is not valid'}`, `${problem?.fix ?? ''} Example: https://shop.example.`.trim()));
  }
  if (url.pathname !== '/' || url.search || url.hash || /[?#]/.test(raw)) {
    return failed(
      fail(
        `${name} ${shown} has something after the origin`,
        // Its origin is no help when a password was read as host and port (`https://u:1234#pw@host`).
        `Use the origin only, without a path, query or fragment${shown === raw ? `: ${url.origin}` : ''}.`,
      ),
    );
  }
  if (raw.endsWith('/')) {
    return found(
      warn(
        `${name} ends with "/"; using ${url.origin}`,
        `Drop the trailing slash (${url.origin}) so URLs built from it have no double slash.`,
        { shop_origin: url.origin },
      ),
      url.origin,
    );
  }
  return found(pass(`Shop origin is ${url.origin}`, { shop_origin: url.origin }), url.origin);
}

function webhookUrl(raw: string | undefined, sandbox: boolean, name: string): Checked<string> {
  if (!given(raw)) {
    return failed(
      fail(
        `${name} is not set`,
        `Set ${source('webhook_url')} to the https URL of your webhook route, e.g. https://shop.example/payments/webhooks/siglume.`,
      ),
    );
  }
  const problem = describeUrlProblem(raw, parseUrl(raw), sandbox);
  const shown = maskUrlCredentials(raw);
  if (problem) return failed(fail(`${name} ${shown} ${problem.problem}`, problem.fix));
  return found(pass(`Webhook URL is ${shown}`, { webhook_url: shown }), raw);
}

function webhookSecretPresent(secret: string | undefined): Checked<string> {
  const name = READINESS_ENV.webhook_secret;
  if (!given(secret)) {
    return failed(
      fail(
        `${name} is not set`,
        `Set ${source('webhook_secret')} to the signing secret (whsec_…) returned when the webhook subscription was created.`,
      ),
    );
  }
  if (signingSecretIsQuoted(secret)) {
    return failed(
      fail(
        `${name} starts or ends with a quote character`,
        `Remove the quotes around ${name} (docker --env-file and some secret stores keep them as part of the value).`,
      ),
    );
  }
  if (!secret.startsWith('whsec_')) {
    return failed(
      fail(`${name} does not start with whsec_`, 'Use the webhook signing secret (whsec_…), not the challenge secret or the auth token.'),
    );
  }
  if (signingSecretHasWhitespace(secret)) {
    return failed(
      fail(`${name} contains whitespace`, `Remove spaces and line breaks from ${name} (check the quoting in your .env file).`),
    );
  }
  return found(pass('Webhook signing secret is set (whsec_…)'), secret);
}

function standardProbeAmount(currency: DirectRequestPaymentCurrency, amount_minor: number): Checked<number> {
  const band = pricingBandFor(currency, amount_minor);
  const amount = formatMinorAmount(currency, amount_minor);
  if (band !== 'standard') {
    const min = formatMinorAmount(currency, minimumStandardAmountMinor(currency));
    return failed(
      fail(
        `${amount} is in the ${band === 'micro' ? 'Micro' : 'Nano'} band; the checkout probe needs a Standard amount`,
        `Use at least ${min} (--amount-minor / ${READINESS_ENV.amount_minor}).`,
        { pricing_band: band },
      ),
    );
  }
  return found(pass(`${amount} is in the Standard band`, { currency, amount_minor, pricing_band: band }), amount_minor);
}

/** Says which environment the run targets: never fails, so the first line of every report names it. */
function targetEnvironment(sandbox: boolean, base_url: string | null): Checked<'sandbox' | 'live'> {
  const environment = sandbox ? 'sandbox' : 'live';
  const where = base_url ? `API ${base_url}` : 'the API is not called (--no-api)';
  const label = sandbox ? 'Sandbox (http allowed on localhost; live mode not required)' : 'Live';
  return found(pass(`${label}: ${where}`, { environment, base_url }), environment);
}

/** Runs the config checks, in contract order, and hands on the valid inputs. */
export async function configChecks(input: ConfigInput, run: CheckRun): Promise<ConfigFacts> {
  await run.check('target_environment', () => targetEnvironment(input.sandbox, input.base_url));
  const merchant = await run.check('merchant_key', () => merchantKey(input.merchant));
  const token = await run.check('merchant_token', () => merchantToken(input.auth_token, input.names?.auth_token ?? READINESS_ENV.auth_token));
  const origin = await run.check('shop_origin', () => shopOrigin(input.shop_origin, input.sandbox, valueName('shop_origin', input.names)));
  const webhook = await run.check('webhook_url', () => webhookUrl(input.webhook_url, input.sandbox, valueName('webhook_url', input.names)));
  const secret = await run.check('webhook_secret_present', () => webhookSecretPresent(input.webhook_secret));
  const amount = await run.check('standard_probe_amount', () => standardProbeAmount(input.currency, input.amount_minor));
  const facts: ConfigFacts = { merchant: merchant.ok ? merchant.fact : null, config: null };
  if (merchant.ok && token.ok && origin.ok && webhook.ok && secret.ok && amount.ok) {
    facts.config = {
      merchant: merchant.fact,
      auth_token: token.fact,
      shop_origin: origin.fact,
      webhook_url: webhook.fact,
      webhook_secret: secret.fact,
      currency: input.currency,
      amount_minor: amount.fact,
      sandbox: input.sandbox,
    };
  }
  return facts;
}
