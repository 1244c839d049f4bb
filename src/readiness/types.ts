/**
 * Types of the readiness engine: its options, the check names (stable, part
 * of the contract), the per-check result union and the report.
 */
import type { DirectRequestPaymentMerchantClient } from '../clients/merchant.js';

/** Group a check belongs to; the CLI prints one section per group (probe and delivery share "Probes"). */
export type ReadinessCheckGroup = 'config' | 'account' | 'subscription' | 'probe' | 'delivery';

/**
 * Every readiness check, in the order it runs. The names are stable: scripts
 * match on them in `--json` output and docs/readiness.md has one section each.
 */
export const READINESS_CHECKS = /* @__PURE__ */ Object.freeze([
  { name: 'merchant_key', group: 'config' },
  { name: 'merchant_token', group: 'config' },
  { name: 'shop_origin', group: 'config' },
  { name: 'webhook_url', group: 'config' },
  { name: 'webhook_secret_present', group: 'config' },
  { name: 'standard_probe_amount', group: 'config' },
  { name: 'merchant_exists', group: 'account' },
  { name: 'billing_mandate', group: 'account' },
  { name: 'billing_status_active', group: 'account' },
  { name: 'merchant_status', group: 'account' },
  { name: 'webhook_subscription_exists', group: 'subscription' },
  { name: 'webhook_callback_matches', group: 'subscription' },
  { name: 'direct_payment_confirmed_subscribed', group: 'subscription' },
  { name: 'webhook_secret_matches_subscription_hint', group: 'subscription' },
  { name: 'hosted_checkout', group: 'probe' },
  { name: 'webhook_delivery_probe_passed', group: 'delivery' },
] as const);

/** Name of one readiness check. */
export type ReadinessCheckName = (typeof READINESS_CHECKS)[number]['name'];

/** Every check name, in run order. */
export const READINESS_CHECK_NAMES: readonly ReadinessCheckName[] = /* @__PURE__ */ Object.freeze(
  /* @__PURE__ */ READINESS_CHECKS.map((c) => c.name),
);

interface CheckResultBase {
  name: ReadinessCheckName;
  group: ReadinessCheckGroup;
  /** One line saying what was found. Never contains the token or the webhook secret. */
  message: string;
  /** Wall time of the check in milliseconds (0 for a skipped check). */
  duration_ms: number;
  /** Extra facts for `--verbose` / `--json` (ids, statuses, URLs). Never secrets. */
  details?: Record<string, unknown>;
}

/** The check passed. */
export interface ReadinessCheckPass extends CheckResultBase {
  status: 'pass';
}

/** Something looks off but does not block payments. Counts as passing for the verdict. */
export interface ReadinessCheckWarn extends CheckResultBase {
  status: 'warn';
  /** What to do about it, when there is something to do. */
  fix?: string;
}

/** The check failed; `fix` says what to change. */
export interface ReadinessCheckFail extends CheckResultBase {
  status: 'fail';
  /** What to change so the check passes. Always present on a failure. */
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
  /** One line, e.g. "Ready: all 16 checks passed." or "Not ready: 1 check failed (billing_mandate)." */
  verdict: string;
}

/** What {@link runReadiness} returns. */
export interface ReadinessReport {
  /**
   * True only when every check passed or warned and the probes ran (mode
   * `full`). The CLI exits 0 exactly when this is true.
   */
  ok: boolean;
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
>;

/** Options of {@link runReadiness}. Nothing is read from the environment here; see `readinessOptionsFromEnv`. */
export interface ReadinessOptions {
  /** Merchant key (`SIGLUME_DIRECT_PAYMENT_MERCHANT`). */
  merchant?: string;
  /** Public origin of the shop, e.g. `https://shop.example` (`SHOP_PUBLIC_ORIGIN`). */
  shop_origin?: string;
  /** URL Siglume posts webhooks to (`SHOP_WEBHOOK_URL`). */
  webhook_url?: string;
  /** Webhook signing secret, `whsec_…` (`SIGLUME_WEBHOOK_SECRET`). Only compared, never reported. */
  webhook_secret?: string;
  /** Merchant auth token (`SIGLUME_MERCHANT_AUTH_TOKEN` / `SIGLUME_AUTH_TOKEN`). Never reported. */
  auth_token?: string;
  /**
   * Currency of the checkout probe.
   * @default 'JPY'
   */
  currency?: string;
  /**
   * Amount of the checkout probe in minor units; must be in the Standard band.
   * @default 501 for JPY, 301 for USD (the smallest Standard amounts)
   */
  amount_minor?: number;
  /**
   * API base URL.
   * @default 'https://siglume.com/v1'
   */
  base_url?: string;
  /**
   * Call the API. `false` checks local configuration only (never ready).
   * @default true
   */
  api?: boolean;
  /**
   * Run the Hosted Checkout and webhook delivery probes. `false` never reports ready.
   * @default true
   */
  probe?: boolean;
  /**
   * Local development against the sandbox: accept `http` on localhost /
   * 127.0.0.1 / [::1] for the shop origin and the webhook URL.
   * @default false
   */
  sandbox?: boolean;
  /**
   * How long to wait for the probe delivery to be delivered or fail.
   * @default 10000
   */
  delivery_timeout_ms?: number;
  /** Merchant client to use; built from `auth_token` and `base_url` when absent. */
  client?: ReadinessMerchantClient;
  /** Called as checks start and finish and while the delivery probe waits. */
  onProgress?: (event: ReadinessProgressEvent) => void;
  /**
   * Clock in epoch milliseconds (used for the probe nonce).
   * @default Date.now
   */
  now?: () => number;
  /** Aborts the run; `runReadiness` then rejects with the signal's reason. */
  signal?: AbortSignal;
}
