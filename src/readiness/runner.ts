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
import { ACCOUNT_CHECKS } from './checks/account.js';
import { CONFIG_CHECKS } from './checks/config.js';
import { DELIVERY_CHECKS } from './checks/delivery.js';
import { PROBE_CHECKS } from './checks/probe.js';
import { SUBSCRIPTION_CHECKS } from './checks/subscription.js';
import { fail, skip, type CheckDefinition, type CheckOutcome, type ReadinessContext } from './context.js';
import { redactSecretValues } from '../core/redact.js';
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

// Built by a call marked pure: a spread at module level counts as a side
// effect, which would keep every check in the bundle of an app that only
// verifies webhooks.
const ALL_CHECKS: readonly CheckDefinition[] = /* @__PURE__ */ (() => [
  ...CONFIG_CHECKS,
  ...ACCOUNT_CHECKS,
  ...SUBSCRIPTION_CHECKS,
  ...PROBE_CHECKS,
  ...DELIVERY_CHECKS,
])();

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

async function buildClient(options: ReadinessOptions, ctx: ReadinessContext): Promise<ReadinessMerchantClient> {
  if (options.client) return options.client;
  // A readiness run makes a handful of requests, so connection pooling buys
  // nothing; Node's built-in fetch starts several times faster than loading
  // the undici package the client would otherwise use.
  const fetch = (globalThis as { fetch?: FetchLike }).fetch;
  return new DirectRequestPaymentMerchantClient({
    auth_token: ctx.config.auth_token!,
    base_url: ctx.config.base_url!,
    ...(fetch ? { fetch: fetch.bind(globalThis) } : {}),
  });
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

  let client: Promise<ReadinessMerchantClient> | null = null;
  const ctx: ReadinessContext = {
    config: {
      merchant: options.merchant ?? null,
      auth_token: options.auth_token ?? null,
      shop_origin: options.shop_origin ?? null,
      webhook_url: options.webhook_url ?? null,
      webhook_secret: options.webhook_secret ?? null,
      currency,
      amount_minor,
      sandbox: options.sandbox === true,
      base_url,
    },
    delivery_timeout_ms,
    now: options.now ?? Date.now,
    signal,
    progress: (event) => options.onProgress?.(redactSecretValues(event, secrets)),
    client: () => (client ??= buildClient(options, ctx)),
    requestOptions: () => (signal ? { signal } : {}),
    account: null,
    subscriptions: null,
    matching: [],
    target: null,
  };

  const checks: ReadinessCheckResult[] = [];
  const configFailures: string[] = [];
  let blocker: string | null = null;
  for (const def of ALL_CHECKS) {
    if (signal?.aborted) throw signal.reason;
    let outcome: CheckOutcome | null = null;
    if (def.group !== 'config') {
      if (!api) outcome = skip('--no-api: the API was not called');
      else if (configFailures.length > 0) {
        const more = configFailures.length > 1 ? ` and ${configFailures.length - 1} more` : '';
        outcome = skip(`config check failed (${configFailures[0]}${more})`);
      }
      else if (blocker) outcome = skip(`${blocker} failed`);
      else if (!probe && (def.group === 'probe' || def.group === 'delivery')) {
        outcome = skip('--no-probe: no checkout session or test delivery was created');
      }
    }
    const t0 = performance.now();
    if (!outcome) {
      ctx.progress({ type: 'check_started', name: def.name, group: def.group });
      try {
        outcome = await def.run(ctx);
      } catch (error) {
        if (signal?.aborted) throw signal.reason;
        const message = error instanceof Error ? error.message : String(error);
        outcome = fail(`The check could not run: ${message}`, 'Run readiness again with --verbose; if it repeats, report it with the output.');
      }
    }
    const duration_ms = outcome.status === 'skip' ? 0 : Math.round(performance.now() - t0);
    const result = redactSecretValues({ name: def.name, group: def.group, ...outcome, duration_ms } as ReadinessCheckResult, secrets);
    checks.push(result);
    if (result.status === 'fail') {
      if (def.group === 'config') configFailures.push(def.name);
      else blocker ??= def.name;
    }
    ctx.progress({ type: 'check_finished', result });
  }

  const failed = checks.some((c) => c.status === 'fail' || c.status === 'skip');
  const ok = mode === 'full' && !failed;
  return {
    ok,
    ready: ok,
    mode,
    base_url,
    merchant: ctx.config.merchant,
    checks,
    summary: summarize(checks, mode, ok),
    duration_ms: Math.round(performance.now() - started),
  };
}
