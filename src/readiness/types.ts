/**
 * Types of the readiness engine: its options, the check names (stable, part
 * of the contract), the per-check result union and the report.
 */
import type { DirectRequestPaymentMerchantClient } from '../clients/merchant.js';

/**
 * Group a check belongs to; the CLI prints one section per group (probe and
 * delivery share "Probes"). `readiness` holds the six checks read from the
 * merchant readiness API (`getMerchantReadiness`).
 */
export type ReadinessCheckGroup = 'config' | 'readiness' | 'account' | 'subscription' | 'probe' | 'delivery';

/**
 * Which command a run is: `readiness` (alias `doctor`) and `verify` run every
 * check including the webhook delivery probe; `preflight` runs the same
 * checks and the checkout probe but not the delivery probe (it is meant to
 * run before the webhook route is mounted), recording
 * `webhook_delivery_probe_skipped` in its place.
 */
export type ReadinessCommand = 'readiness' | 'verify' | 'preflight';

/**
 * Name of one readiness check. Every command's checks are among these;
 * `webhook_delivery_probe_skipped` is preflight's only and
 * `webhook_delivery_probe_passed` is readiness / verify's only.
 */
export type ReadinessCheckName =
  | 'target_environment'
  | 'merchant_key'
  | 'merchant_token'
  | 'shop_origin'
  | 'webhook_url'
  | 'webhook_secret_present'
  | 'standard_probe_amount'
  | 'hosted_checkout_readiness_api'
  | 'hosted_checkout_readiness_ready'
  | 'hosted_checkout_missing_requirements'
  | 'hosted_checkout_blockers'
  | 'merchant_responsibility_attested'
  | 'live_mode_enabled'
  | 'merchant_exists'
  | 'billing_mandate'
  | 'billing_status_active'
  | 'merchant_status_active'
  | 'webhook_subscription_exists'
  | 'webhook_callback_matches'
  | 'direct_payment_confirmed_subscribed'
  | 'webhook_secret_matches_subscription_hint'
  | 'webhook_delivery_probe_skipped'
  | 'hosted_checkout_probe'
  | 'webhook_delivery_probe_passed';

/** Every check any command runs, once, in run order (CONTRACT-2 section 18.3). @internal */
export const ALL_CHECKS: ReadonlyArray<{ readonly name: ReadinessCheckName; readonly group: ReadinessCheckGroup }> = [
  { name: 'target_environment', group: 'config' },
  { name: 'merchant_key', group: 'config' },
  { name: 'merchant_token', group: 'config' },
  { name: 'shop_origin', group: 'config' },
  { name: 'webhook_url', group: 'config' },
  { name: 'webhook_secret_present', group: 'config' },
  { name: 'standard_probe_amount', group: 'config' },
  { name: 'hosted_checkout_readiness_api', group: 'readiness' },
  { name: 'hosted_checkout_readiness_ready', group: 'readiness' },
  { name: 'hosted_checkout_missing_requirements', group: 'readiness' },
  { name: 'hosted_checkout_blockers', group: 'readiness' },
  { name: 'merchant_responsibility_attested', group: 'readiness' },
  { name: 'live_mode_enabled', group: 'readiness' },
  { name: 'merchant_exists', group: 'account' },
  { name: 'billing_mandate', group: 'account' },
  { name: 'billing_status_active', group: 'account' },
  { name: 'merchant_status_active', group: 'account' },
  { name: 'webhook_subscription_exists', group: 'subscription' },
  { name: 'webhook_callback_matches', group: 'subscription' },
  { name: 'direct_payment_confirmed_subscribed', group: 'subscription' },
  { name: 'webhook_secret_matches_subscription_hint', group: 'subscription' },
  { name: 'webhook_delivery_probe_skipped', group: 'delivery' },
  { name: 'hosted_checkout_probe', group: 'probe' },
  { name: 'webhook_delivery_probe_passed', group: 'delivery' },
];

/** One entry of a check list: a check name and its group. */
export interface ReadinessCheckSpec {
  readonly name: ReadinessCheckName;
  readonly group: ReadinessCheckGroup;
}

/**
 * The checks of `readiness` / `verify` / `doctor`, in the order they run.
 * The names are stable: scripts match on them in `--json` output and
 * docs/readiness.md has one section each.
 */
export const READINESS_CHECKS: readonly ReadinessCheckSpec[] = /* @__PURE__ */ Object.freeze(
  /* @__PURE__ */ ALL_CHECKS.filter((c) => c.name !== 'webhook_delivery_probe_skipped'),
);

/** The checks of `preflight`, in the order they run: no delivery probe, `webhook_delivery_probe_skipped` before the checkout probe. */
export const PREFLIGHT_CHECKS: readonly ReadinessCheckSpec[] = /* @__PURE__ */ Object.freeze(
  /* @__PURE__ */ ALL_CHECKS.filter((c) => c.name !== 'webhook_delivery_probe_passed'),
);

/** Every check name of `readiness` / `verify`, in run order. */
export const READINESS_CHECK_NAMES: readonly ReadinessCheckName[] = /* @__PURE__ */ Object.freeze(
  /* @__PURE__ */ READINESS_CHECKS.map((c) => c.name),
);

/** Every check name of `preflight`, in run order. */
export const PREFLIGHT_CHECK_NAMES: readonly ReadinessCheckName[] = /* @__PURE__ */ Object.freeze(
  /* @__PURE__ */ PREFLIGHT_CHECKS.map((c) => c.name),
);

/** The check list of `command`. */
export function readinessChecksOf(command: ReadinessCommand): readonly ReadinessCheckSpec[] {
  return command === 'preflight' ? PREFLIGHT_CHECKS : READINESS_CHECKS;
}

interface CheckResultBase {
  name: ReadinessCheckName;
  group: ReadinessCheckGroup;
  /** One line saying what was found. Never contains the token or the webhook secret. */
  message: string;
  /** Wall time of the check in milliseconds (0 for a skipped check). */
  duration_ms: number;
  /** Extra facts for `--verbose` / `--json` (ids, statuses, URLs). Never secrets. */
  details?: Record<string, unknown> | undefined;
}

/** The check passed. */
export interface ReadinessCheckPass extends CheckResultBase {
  status: 'pass';
}

/** Something looks off but does not block payments. Counts as passing for the verdict. */
export interface ReadinessCheckWarn extends CheckResultBase {
  status: 'warn';
  /** What to do about it, when there is something to do. */
  fix?: string | undefined;
}

/** The check failed; `fix` says what to change. */
export interface ReadinessCheckFail extends CheckResultBase {
  status: 'fail';
  /**
   * What to change so the check passes. Always present on a failure. When a
   * check names several requirements, one line each (joined with `\n`),
   * each starting with the requirement's name.
   */
  fix: string;
}

/** The check did not run; `reason` says why (an earlier failure, `--no-api`, `--no-probe`). */
export interface ReadinessCheckSkip extends CheckResultBase {
  status: 'skip';
  reason: string;
}

/** Outcome of one check, tagged by `status`. */
export type ReadinessCheckResult = ReadinessCheckPass | ReadinessCheckWarn | ReadinessCheckFail | ReadinessCheckSkip;

/** Status of one check. */
export type ReadinessCheckStatus = ReadinessCheckResult['status'];

/**
 * How much was checked: `full` (every check), `no_api` (local configuration
 * only) or `no_probe` (configuration and API reads, no checkout / delivery
 * probe). Only `full` can be ready.
 */
export type ReadinessMode = 'full' | 'no_api' | 'no_probe';

/** Counts per status plus a one-line verdict. */
export interface ReadinessSummary {
  total: number;
  pass: number;
  warn: number;
  fail: number;
  skip: number;
  /** One line, e.g. "Ready: all 23 checks passed (sandbox)." or "Not ready: 1 check failed (billing_mandate)." */
  verdict: string;
}

/** What {@link runReadiness}, {@link runVerify} and {@link runPreflight} return. */
export interface ReadinessReport {
  /**
   * True only when every check passed or warned and the probes ran (mode
   * `full`). The CLI exits 0 exactly when this is true.
   */
  ok: boolean;
  /** The command that ran: `readiness` and `verify` check the same things; `preflight` has no delivery probe. */
  command: ReadinessCommand;
  /** `sandbox` when the run was against a sandbox (`sandbox: true`), else `live`. */
  environment: 'sandbox' | 'live';
  mode: ReadinessMode;
  /** API base URL the checks ran against (`null` with `--no-api`). */
  base_url: string | null;
  /** Merchant key checked (normalized), when one was given. */
  merchant: string | null;
  /** Every check, in contract order, none omitted. */
  checks: ReadinessCheckResult[];
  summary: ReadinessSummary;
  duration_ms: number;
}

/** Progress events for a live display; the engine never prints. */
export type ReadinessProgressEvent =
  | { type: 'check_started'; name: ReadinessCheckName; group: ReadinessCheckGroup }
  | { type: 'check_finished'; result: ReadinessCheckResult }
  | {
      /** Emitted once the config checks ran, before any API call: what a report's head names. */
      type: 'config_checked';
      environment: 'sandbox' | 'live';
      /** API base URL the run calls; null with `api: false`. */
      base_url: string | null;
      /** Merchant key checked (normalized), when that check passed. */
      merchant: string | null;
    }
  | {
      /** Emitted on every poll while waiting for the probe delivery. */
      type: 'delivery_waiting';
      event_id: string;
      attempt: number;
      elapsed_ms: number;
      timeout_ms: number;
    };

/**
 * The merchant-client methods readiness calls, typed as the client declares
 * them: a `DirectRequestPaymentMerchantClient` is one, and a test double must
 * return the same typed answers.
 */
export type ReadinessMerchantClient = Pick<
  DirectRequestPaymentMerchantClient,
  | 'base_url'
  | 'getMerchant'
  | 'listWebhookSubscriptions'
  | 'createCheckoutSession'
  | 'queueWebhookTestDelivery'
  | 'listWebhookDeliveries'
  | 'getMerchantReadiness'
>;

/** Options of {@link runReadiness}. Nothing is read from the environment here; see `readinessOptionsFromEnv`. */
export interface ReadinessOptions {
  /** Merchant key (`SIGLUME_DIRECT_PAYMENT_MERCHANT`). */
  merchant?: string | undefined;
  /** Public origin of the shop, e.g. `https://shop.example` (`SHOP_PUBLIC_ORIGIN`). */
  shop_origin?: string | undefined;
  /** URL Siglume posts webhooks to (`SHOP_WEBHOOK_URL`). */
  webhook_url?: string | undefined;
  /** Webhook signing secret, `whsec_…` (`SIGLUME_WEBHOOK_SECRET`). Only compared, never reported. */
  webhook_secret?: string | undefined;
  /** Merchant auth token (`SIGLUME_MERCHANT_AUTH_TOKEN` / `SIGLUME_AUTH_TOKEN`). Never reported. */
  auth_token?: string | undefined;
  /**
   * Currency of the checkout probe.
   * @default 'JPY'
   */
  currency?: string | undefined;
  /**
   * Amount of the checkout probe in minor units; must be in the Standard band.
   * @default 501 for JPY, 301 for USD (the smallest Standard amounts)
   */
  amount_minor?: number | undefined;
  /**
   * API base URL.
   * @default 'https://siglume.com/v1'
   */
  base_url?: string | undefined;
  /**
   * Call the API. `false` checks local configuration only (never ready).
   * @default true
   */
  api?: boolean | undefined;
  /**
   * Run the Hosted Checkout and webhook delivery probes. `false` never reports ready.
   * @default true
   */
  probe?: boolean | undefined;
  /**
   * Local development against the sandbox: accept `http` on localhost /
   * 127.0.0.1 / [::1] for the shop origin and the webhook URL.
   * @default false
   */
  sandbox?: boolean | undefined;
  /**
   * How long to wait for the probe delivery to be delivered or fail.
   * @default 10000
   */
  delivery_timeout_ms?: number | undefined;
  /**
   * @internal What messages call an input whose value did not come from its usual environment variable: the
   * CLI passes `{ shop_origin: '--origin' }` when the flag gave the value, and the base URL's flag or variable;
   * `readinessOptionsFromEnv` passes `{ auth_token: 'SIGLUME_AUTH_TOKEN' }` when the token came from the fallback.
   * Defaults to the variable's name.
   */
  input_names?: Partial<Record<'shop_origin' | 'webhook_url' | 'base_url' | 'auth_token', string>> | undefined;
  /** Merchant client to use; built from `auth_token` and `base_url` when absent. */
  client?: ReadinessMerchantClient | undefined;
  /** Called as checks start and finish and while the delivery probe waits. */
  onProgress?: ((event: ReadinessProgressEvent) => void) | undefined;
  /**
   * Clock in epoch milliseconds (used for the probe nonce).
   * @default Date.now
   */
  now?: (() => number) | undefined;
  /** Aborts the run; `runReadiness` then rejects with the signal's reason. */
  signal?: AbortSignal | undefined;
}
