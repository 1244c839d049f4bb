/**
 * The readiness engine: runs every check in contract order and returns a
 * report. It never prints (the CLI presents the report) and never reads the
 * environment (see `readinessOptionsFromEnv`).
 *
 * Gating: all config checks run, so one run lists every local mistake. API
 * checks run only when config passed, and stop at the first failure: each
 * later step (account -> subscription -> checkout probe -> delivery probe)
 * is the next thing a real payment needs, and probing past a known break
 * would only create sessions and deliveries that prove nothing. Later checks
 * are reported as `skip` with the reason, never omitted.
 */
import { DEFAULT_SIGLUME_API_BASE } from '../core/constants.js';
import { normalizeBaseUrl } from '../core/config.js';
import type { FetchLike } from '../core/transport-types.js';
import { SiglumeValidationError } from '../core/errors.js';
import { minimumStandardAmountMinor } from '../core/pricing.js';
import { currencySchema, parseInput, positiveSafeIntegerSchema } from '../core/validation.js';
// A static import: the package entry exports the client anyway, and a dynamic
// import() here makes bundlers wrap the client's modules for lazy evaluation,
// which defeats tree-shaking for every app that imports the package (a worker
// verifying webhooks would carry the whole client). The client's schemas are
// built on first use, so --no-api still pays almost nothing for it.
import { DirectRequestPaymentMerchantClient } from '../clients/merchant.js';
import { accountChecks } from './checks/account.js';
import { configChecks, type ReadinessConfig } from './checks/config.js';
import { deliveryChecks } from './checks/delivery.js';
import { probeChecks } from './checks/probe.js';
import { subscriptionChecks } from './checks/subscription.js';
import type { ApiInput } from './group.js';
import { CheckRun } from './recorder.js';
import type {
  ReadinessCheckResult,
  ReadinessMerchantClient,
  ReadinessMode,
  ReadinessOptions,
  ReadinessReport,
  ReadinessSummary,
} from './types.js';

/** Default wait for the probe delivery. */
export const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function summarize(checks: ReadinessCheckResult[], mode: ReadinessMode, ok: boolean): ReadinessSummary {
  const count = (s: ReadinessCheckResult['status']) => checks.filter((c) => c.status === s).length;
  const summary = { total: checks.length, pass: count('pass'), warn: count('warn'), fail: count('fail'), skip: count('skip') };
  const warnings = summary.warn ? `, ${plural(summary.warn, 'warning')}` : '';
  let verdict: string;
  if (ok) {
    verdict = `Ready: all ${summary.total} checks passed${warnings}.`;
  } else if (summary.fail > 0) {
    const names = checks.filter((c) => c.status === 'fail').map((c) => c.name);
    verdict = `Not ready: ${plural(summary.fail, 'check')} failed (${names.join(', ')})${summary.skip ? `, ${summary.skip} skipped` : ''}.`;
  } else if (mode === 'no_api') {
    verdict = `Not ready: only the local configuration was checked (--no-api); ${summary.pass + summary.warn} of ${summary.total} checks ran and passed.`;
  } else {
    verdict = 'Not ready: the Hosted Checkout and webhook delivery probes did not run (--no-probe).';
  }
  return { ...summary, verdict };
}

function validateTimeout(value: number | undefined): number {
  if (value === undefined) return DEFAULT_DELIVERY_TIMEOUT_MS;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value <= 0 || value > 600_000) {
    throw new SiglumeValidationError(
      'delivery_timeout_ms',
      'Invalid delivery_timeout_ms: must be a positive integer number of milliseconds (at most 600000)',
    );
  }
  return value;
}

async function buildClient(config: ReadinessConfig, base_url: string): Promise<ReadinessMerchantClient> {
  // A readiness run makes a handful of requests, so connection pooling buys
  // nothing; Node's built-in fetch starts several times faster than loading
  // the undici package the client would otherwise use.
  const fetch = (globalThis as { fetch?: FetchLike }).fetch;
  return new DirectRequestPaymentMerchantClient({
    auth_token: config.auth_token,
    base_url,
    ...(fetch ? { fetch: fetch.bind(globalThis) } : {}),
  });
}

/**
 * Runs the API groups in contract order, each on the facts the previous one
 * handed on, and stops at the first group that fails (the recorder then
 * lists the rest as skipped).
 */
async function runApiGroups(input: ApiInput, options: { probe: boolean; delivery_timeout_ms: number; now: () => number }, run: CheckRun) {
  const stopped = () => run.skipRest(`${run.failures()[0]} failed`);
  if (!(await accountChecks(input, run))) return stopped();
  const subscription = await subscriptionChecks(input, run);
  if (!subscription) return stopped();
  if (!options.probe) return run.skipRest('--no-probe: no checkout session or test delivery was created');
  if (!(await probeChecks({ ...input, now: options.now }, run))) return stopped();
  const delivery = await deliveryChecks(
    { ...input, subscription: subscription.target, timeout_ms: options.delivery_timeout_ms },
    run,
  );
  if (!delivery) return stopped();
}

/**
 * Runs the readiness checks (CONTRACT section 10) and returns the report.
 * Throws {@link SiglumeValidationError} only for unusable options (currency,
 * amount, timeout, base URL); every problem with the merchant's setup is a
 * failing check in the report instead.
 *
 * @example
 * const report = await runReadiness({
 *   merchant: 'my_shop',
 *   auth_token: process.env.SIGLUME_MERCHANT_AUTH_TOKEN,
 *   shop_origin: 'https://shop.example',
 *   webhook_url: 'https://shop.example/payments/webhooks/siglume',
 *   webhook_secret: process.env.SIGLUME_WEBHOOK_SECRET,
 * });
 * if (!report.ok) console.log(report.checks.filter((c) => c.status === 'fail'));
 */
export async function runReadiness(options: ReadinessOptions = {}): Promise<ReadinessReport> {
  const started = performance.now();
  const currency = parseInput(currencySchema, options.currency ?? 'JPY', 'currency');
  const amount_minor =
    options.amount_minor === undefined
      ? minimumStandardAmountMinor(currency)
      : parseInput(positiveSafeIntegerSchema, options.amount_minor, 'amount_minor');
  const delivery_timeout_ms = validateTimeout(options.delivery_timeout_ms);
  const api = options.api !== false;
  const probe = options.probe !== false;
  const mode: ReadinessMode = !api ? 'no_api' : !probe ? 'no_probe' : 'full';
  const base_url = !api
    ? null
    : options.client?.base_url ?? (options.base_url !== undefined ? normalizeBaseUrl(options.base_url) : DEFAULT_SIGLUME_API_BASE);
  const secrets = [options.auth_token, options.webhook_secret].filter((s): s is string => typeof s === 'string' && s.length > 0);
  const signal = options.signal;
  const sandbox = options.sandbox === true;
  const run = new CheckRun({ secrets, onProgress: options.onProgress, signal });

  const { merchant, config } = await configChecks(
    {
      merchant: options.merchant,
      auth_token: options.auth_token,
      shop_origin: options.shop_origin,
      webhook_url: options.webhook_url,
      webhook_secret: options.webhook_secret,
      currency,
      amount_minor,
      sandbox,
    },
    run,
  );
  if (base_url === null) {
    run.skipRest('--no-api: the API was not called');
  } else if (config === null) {
    const failures = run.failures('config');
    const more = failures.length > 1 ? ` and ${failures.length - 1} more` : '';
    run.skipRest(`config check failed (${failures[0]}${more})`);
  } else {
    let client: Promise<ReadinessMerchantClient> | null = null;
    const input: ApiInput = {
      config,
      target: { base_url, sandbox },
      client: () => (client ??= options.client ? Promise.resolve(options.client) : buildClient(config, base_url)),
      request_options: signal ? { signal } : {},
    };
    await runApiGroups(input, { probe, delivery_timeout_ms, now: options.now ?? Date.now }, run);
  }

  const checks = run.results();
  const ok = mode === 'full' && checks.every((c) => c.status === 'pass' || c.status === 'warn');
  return {
    ok,
    mode,
    base_url,
    merchant,
    checks,
    summary: summarize(checks, mode, ok),
    duration_ms: Math.round(performance.now() - started),
  };
}
