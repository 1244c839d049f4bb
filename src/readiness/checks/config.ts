/**
 * Config checks: the local inputs, before anything talks to the API. They all
 * run (so one screen shows every configuration mistake) and store normalized
 * values in the context for the API checks.
 */
import { minimumStandardAmountMinor, pricingBandFor } from '../../core/pricing.js';
import { isLoopbackHost, merchantKeySchema } from '../../core/validation.js';
import { fail, pass, warn, type CheckDefinition, type CheckOutcome, type ReadinessContext } from '../context.js';

/** `JPY 501` / `USD 3.01`: an amount in minor units as a person reads it. */
export function formatMinorAmount(currency: 'JPY' | 'USD', amountMinor: number): string {
  if (currency === 'JPY') return `JPY ${amountMinor}`;
  return `USD ${Math.floor(amountMinor / 100)}.${String(amountMinor % 100).padStart(2, '0')}`;
}

function parseUrl(value: string): URL | null {
  try {
    return new URL(value);
  } catch {
    return null;
  }
}

/** Why a URL may not be used, or null; shared by shop_origin and webhook_url. */
function urlProblem(url: URL | null, sandbox: boolean): { problem: string; fix: string } | null {
  if (!url) return { problem: 'is not an absolute URL', fix: 'Use an absolute https URL.' };
  if (url.username || url.password) {
    return { problem: 'contains a username or password', fix: 'Remove the credentials from the URL.' };
  }
  if (url.protocol === 'https:') return null;
  if (url.protocol === 'http:' && isLoopbackHost(url.hostname)) {
    if (sandbox) return null;
    return {
      problem: 'uses http',
      fix: 'Use https. For local development against the sandbox, pass --sandbox, which accepts http on localhost / 127.0.0.1 / [::1].',
    };
  }
  return {
    problem: `uses ${url.protocol.replace(':', '')} instead of https`,
    fix: sandbox ? 'Use https (or http on localhost / 127.0.0.1 / [::1] with --sandbox).' : 'Use https.',
  };
}

function merchantKey(ctx: ReadinessContext): CheckOutcome {
  const raw = ctx.config.merchant;
  ctx.config.merchant = null;
  if (raw === null || raw.trim() === '') {
    return fail(
      'No merchant key is set',
      'Set SIGLUME_DIRECT_PAYMENT_MERCHANT (or pass --merchant) to your merchant key, e.g. my_shop.',
    );
  }
  const parsed = merchantKeySchema.safeParse(raw.trim());
  if (!parsed.success) {
    return fail(
      `Merchant key "${raw}" is not valid: it ${parsed.error.issues[0]?.message ?? 'has the wrong format'}`,
      'Use the merchant key you registered with setupCheckout / setupMerchant (3-64 of a-z, 0-9, "_" or "-").',
    );
  }
  ctx.config.merchant = parsed.data;
  return pass(`Merchant key is ${parsed.data}`, { merchant: parsed.data });
}

function merchantToken(ctx: ReadinessContext): CheckOutcome {
  const token = ctx.config.auth_token;
  ctx.config.auth_token = null;
  if (token === null || token === '') {
    return fail(
      'No merchant auth token is set',
      'Set SIGLUME_MERCHANT_AUTH_TOKEN (or SIGLUME_AUTH_TOKEN) in the server environment; keep it out of the browser and out of git.',
    );
  }
  if (token.startsWith('cli_')) {
    return fail(
      'The token is a Developer Portal key (cli_…), which the Direct Request Payment API does not accept',
      'Set SIGLUME_MERCHANT_AUTH_TOKEN to a merchant auth token instead of the Developer Portal key.',
    );
  }
  if (/\s/.test(token)) {
    return fail(
      'The merchant auth token contains whitespace',
      'Remove spaces and line breaks from SIGLUME_MERCHANT_AUTH_TOKEN (check the quoting in your .env file).',
    );
  }
  ctx.config.auth_token = token;
  return pass('Merchant auth token is set');
}

function shopOrigin(ctx: ReadinessContext): CheckOutcome {
  const raw = ctx.config.shop_origin;
  ctx.config.shop_origin = null;
  if (raw === null || raw === '') {
    return fail(
      'SHOP_PUBLIC_ORIGIN is not set',
      "Set SHOP_PUBLIC_ORIGIN (or pass --origin) to your shop's public origin, e.g. https://shop.example.",
    );
  }
  const url = parseUrl(raw);
  const problem = urlProblem(url, ctx.config.sandbox);
  if (problem || !url) {
    return fail(`SHOP_PUBLIC_ORIGIN ${raw} ${problem?.problem ?? 'is not valid'}`, `${problem?.fix ?? ''} Example: https://shop.example.`.trim());
  }
  if (url.pathname !== '/' || url.search || url.hash || /[?#]/.test(raw)) {
    return fail(
      `SHOP_PUBLIC_ORIGIN ${raw} has something after the origin`,
      `Use the origin only, without a path, query or fragment: ${url.origin}.`,
    );
  }
  ctx.config.shop_origin = url.origin;
  if (raw.endsWith('/')) {
    return warn(
      `SHOP_PUBLIC_ORIGIN ends with "/"; using ${url.origin}`,
      `Drop the trailing slash (${url.origin}) so URLs built from it have no double slash.`,
      { shop_origin: url.origin },
    );
  }
  return pass(`Shop origin is ${url.origin}`, { shop_origin: url.origin });
}

function webhookUrl(ctx: ReadinessContext): CheckOutcome {
  const raw = ctx.config.webhook_url;
  ctx.config.webhook_url = null;
  if (raw === null || raw === '') {
    return fail(
      'SHOP_WEBHOOK_URL is not set',
      'Set SHOP_WEBHOOK_URL (or pass --webhook-url) to the https URL of your webhook route, e.g. https://shop.example/payments/webhooks/siglume.',
    );
  }
  const url = parseUrl(raw);
  const problem = urlProblem(url, ctx.config.sandbox);
  if (problem) return fail(`SHOP_WEBHOOK_URL ${raw} ${problem.problem}`, problem.fix);
  ctx.config.webhook_url = raw;
  return pass(`Webhook URL is ${raw}`, { webhook_url: raw });
}

function webhookSecretPresent(ctx: ReadinessContext): CheckOutcome {
  const secret = ctx.config.webhook_secret;
  ctx.config.webhook_secret = null;
  if (secret === null || secret === '') {
    return fail(
      'SIGLUME_WEBHOOK_SECRET is not set',
      'Set SIGLUME_WEBHOOK_SECRET to the signing secret (whsec_…) returned when the webhook subscription was created.',
    );
  }
  if (!secret.startsWith('whsec_')) {
    return fail(
      'SIGLUME_WEBHOOK_SECRET does not start with whsec_',
      'Use the webhook signing secret (whsec_…), not the challenge secret or the auth token.',
    );
  }
  if (/\s/.test(secret)) {
    return fail(
      'SIGLUME_WEBHOOK_SECRET contains whitespace',
      'Remove spaces and line breaks from SIGLUME_WEBHOOK_SECRET (check the quoting in your .env file).',
    );
  }
  ctx.config.webhook_secret = secret;
  return pass('Webhook signing secret is set (whsec_…)');
}

function standardProbeAmount(ctx: ReadinessContext): CheckOutcome {
  const { currency, amount_minor } = ctx.config;
  const band = pricingBandFor(currency, amount_minor);
  const amount = formatMinorAmount(currency, amount_minor);
  if (band !== 'standard') {
    const min = formatMinorAmount(currency, minimumStandardAmountMinor(currency));
    return fail(
      `${amount} is in the ${band === 'micro' ? 'Micro' : 'Nano'} band; the checkout probe needs a Standard amount`,
      `Use at least ${min} (--amount-minor / SIGLUME_DIRECT_PAYMENT_TEST_AMOUNT_MINOR).`,
      { pricing_band: band },
    );
  }
  return pass(`${amount} is in the Standard band`, { currency, amount_minor, pricing_band: band });
}

/** The config checks, in contract order. */
export const CONFIG_CHECKS: readonly CheckDefinition[] = [
  { name: 'merchant_key', group: 'config', run: merchantKey },
  { name: 'merchant_token', group: 'config', run: merchantToken },
  { name: 'shop_origin', group: 'config', run: shopOrigin },
  { name: 'webhook_url', group: 'config', run: webhookUrl },
  { name: 'webhook_secret_present', group: 'config', run: webhookSecretPresent },
  { name: 'standard_probe_amount', group: 'config', run: standardProbeAmount },
];
