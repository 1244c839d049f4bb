/**
 * The readiness engine: runs every check in contract order and returns a
 * report. It never prints (the CLI presents the report) and never reads the
 * environment (see `readinessOptionsFromEnv`).
 *
 * Gating: all config checks run, so one run lists every local mistake. API
 * checks run only when config passed. The six readiness-API checks always
 * run, and the account checks after them whatever the readiness API said,
 * then the subscription checks if the account passed (together they name
 * every gate a merchant must close on the way to live, each with its own
 * fix); each group stops at its first failure, an account failure skips the
 * subscription group (CONTRACT-2 section 18.3), and the probes run only when
 * nothing failed: each step (account -> subscription -> checkout probe -> delivery
 * probe) is the next thing a real payment needs, and probing past a known break would only
 * create sessions and deliveries that prove nothing. Later checks are
 * reported as `skip` with the reason, never omitted.
 *
 * Three entry points share the engine: {@link runReadiness} and
 * {@link runVerify} run every check; {@link runPreflight} runs the same
 * checks and the checkout probe but not the webhook delivery probe, for a
 * shop whose webhook route is not mounted yet.
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
import { readinessApiChecks } from './checks/readiness-api.js';
import { subscriptionChecks } from './checks/subscription.js';
import type { ApiInput } from './group.js';
import { found, pass } from './outcome.js';
import { CheckRun } from './recorder.js';
import {
  readinessChecksOf,
  type ReadinessCheckResult,
  type ReadinessCommand,
  type ReadinessMerchantClient,
  type ReadinessMode,
  type ReadinessOptions,
  type ReadinessReport,
  type ReadinessSummary,
} from './types.js';

/** Default wait for the probe delivery. */
export const DEFAULT_DELIVERY_TIMEOUT_MS = 10_000;

function plural(n: number, word: string): string {
  return `${n} ${word}${n === 1 ? '' : 's'}`;
}

function summarize(
  checks: ReadinessCheckResult[],
  mode: ReadinessMode,
  ok: boolean,
  command: ReadinessCommand,
  environment: 'sandbox' | 'live',
): ReadinessSummary {
  const count = (s: ReadinessCheckResult['status']) => checks.filter((c) => c.status === s).length;
  const summary = { total: checks.length, pass: count('pass'), warn: count('warn'), fail: count('fail'), skip: count('skip') };
  const warnings = summary.warn ? `, ${plural(summary.warn, 'warning')}` : '';
  const preflight = command === 'preflight';
  const notYet = preflight ? 'Preflight not passed' : 'Not ready';
  let verdict: string;
  if (ok && preflight) {
    // webhook_delivery_probe_skipped is recorded as a pass (CONTRACT-2 §18.3) but proves nothing: not counted as a check passed.
    const ran = checks.filter((c) => c.name !== 'webhook_delivery_probe_skipped').length;
    verdict = `Preflight passed: ${plural(ran, 'check')} passed${warnings} and the webhook delivery probe is left to verify (${environment}). Mount the checkout and webhook routes, then run verify.`;
  } else if (ok) {
    verdict = `Ready: all ${summary.total} checks passed${warnings} (${environment}).`;
  } else if (summary.fail > 0) {
    const names = checks.filter((c) => c.status === 'fail').map((c) => c.name);
    const before = preflight ? 'before mounting checkout' : 'before opening checkout';
    verdict = `${notYet}: ${plural(summary.fail, 'check')} failed (${names.join(', ')})${summary.skip ? `, ${summary.skip} skipped` : ''}; fix them ${before}.`;
  } else if (mode === 'no_api') {
    verdict = `${notYet}: only the local configuration was checked (--no-api); ${summary.pass + summary.warn} of ${summary.total} checks ran and passed, the API and the probes were not verified.`;
  } else {
    verdict = preflight
      ? `${notYet}: the Hosted Checkout probe did not run (--no-probe).`
      : `${notYet}: the Hosted Checkout and webhook delivery probes did not run (--no-probe).`;
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
 * handed on. The readiness-API group does not stop the account and
 * subscription groups; an account failure stops the subscription group, and
 * any failure stops the probes (the recorder then lists the rest as skipped).
 */
async function runApiGroups(
  input: ApiInput,
  options: { probe: boolean; delivery: boolean; delivery_timeout_ms: number; now: () => number },
  run: CheckRun,
) {
  const stopped = () => run.skipRest(`${run.failures().at(-1)} failed`);
  const readiness = await readinessApiChecks(input, run);
  if (readiness === 'stop') return stopped();
  // The subscription phase runs "only if no fail so far" (CONTRACT-2 section 18.3): an account failure ends the run here.
  if (!(await accountChecks(input, run))) return stopped();
  // The subscription reads run even when a readiness gate is open: an open
  // webhook_endpoint gate then comes with the exact subscription problem.
  const subscription = await subscriptionChecks(input, run);
  if (!subscription || readiness !== 'passed') return stopped();
  if (!options.delivery) {
    await run.check('webhook_delivery_probe_skipped', () =>
      found(pass('preflight does not send a test webhook; verify does, once the webhook route is mounted'), true),
    );
  }
  if (!options.probe) {
    return run.skipRest(
      options.delivery ? '--no-probe: no checkout session or test delivery was created' : '--no-probe: no checkout session was created',
    );
  }
  if (!(await probeChecks({ ...input, now: options.now }, run))) return stopped();
  if (!options.delivery) return;
  const delivery = await deliveryChecks(
    { ...input, subscription: subscription.target, timeout_ms: options.delivery_timeout_ms },
    run,
  );
  if (!delivery) return stopped();
}

/**
 * Runs every readiness check (CONTRACT-2 section 18.3) and returns the
 * report: configuration, the merchant readiness API, the account, the
 * webhook subscription, an unpaid Hosted Checkout session and a test
 * webhook delivery. `report.ok` is true only when everything passed.
 * Throws {@link SiglumeValidationError} only for unusable options (currency,
 * amount, timeout, base URL); every problem with the merchant's setup is a
 * failing check in the report instead, with a fix.
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
export function runReadiness(options: ReadinessOptions = {}): Promise<ReadinessReport> {
  return runCommand('readiness', options);
}

/**
 * `verify`: the same checks as {@link runReadiness} (the report's `command`
 * is `verify`). Run it once the shop's checkout and webhook routes are
 * mounted; it is the last step before going live.
 *
 * @example
 * const report = await runVerify({ ...readinessOptionsFromEnv(process.env) });
 * process.exitCode = report.ok ? 0 : 1;
 */
export function runVerify(options: ReadinessOptions = {}): Promise<ReadinessReport> {
  return runCommand('verify', options);
}

/**
 * `preflight`: every check {@link runReadiness} runs, and the Hosted
 * Checkout probe, but no webhook delivery probe (recorded as
 * `webhook_delivery_probe_skipped`): what a shop can prove before its
 * webhook route is mounted. `report.ok` means "mount the routes, then run
 * {@link runVerify}", not "ready".
 *
 * @example
 * const report = await runPreflight({ ...readinessOptionsFromEnv(process.env) });
 * for (const c of report.checks) if (c.status === 'fail') console.log(c.name, c.fix);
 */
export function runPreflight(options: ReadinessOptions = {}): Promise<ReadinessReport> {
  return runCommand('preflight', options);
}

async function runCommand(command: ReadinessCommand, options: ReadinessOptions): Promise<ReadinessReport> {
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
  const secrets = [options.auth_token, options.webhook_secret];
  const signal = options.signal;
  const sandbox = options.sandbox === true;
  const environment = sandbox ? 'sandbox' : 'live';
  const run = new CheckRun({ checks: readinessChecksOf(command), secrets, onProgress: options.onProgress, signal });

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
      base_url,
      names: options.input_names,
    },
    run,
  );
  run.progress({ type: 'config_checked', environment, base_url, merchant });
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
      target: { base_url, sandbox, setting: options.input_names?.base_url },
      client: () => (client ??= options.client ? Promise.resolve(options.client) : buildClient(config, base_url)),
      request_options: signal ? { signal } : {},
    };
    await runApiGroups(
      input,
      { probe, delivery: command !== 'preflight', delivery_timeout_ms, now: options.now ?? Date.now },
      run,
    );
  }

  const checks = run.results();
  const ok = mode === 'full' && checks.every((c) => c.status === 'pass' || c.status === 'warn');
  return {
    ok,
    command,
    environment,
    mode,
    base_url,
    merchant,
    checks,
    summary: summarize(checks, mode, ok, command, environment),
    duration_ms: Math.round(performance.now() - started),
  };
}
