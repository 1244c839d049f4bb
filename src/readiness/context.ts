/**
 * What the checks share while one readiness run is in progress: the resolved
 * configuration, the lazily built client, and the facts earlier checks found
 * (the merchant account, the subscription list, the matching subscription).
 * Checks return an outcome; the runner adds name, group and timing.
 */
import {
  SiglumeApiError,
  SiglumeAuthenticationError,
  SiglumeConnectionError,
  SiglumePermissionError,
  SiglumeTimeoutError,
} from '../core/errors.js';
import type { RequestOptions } from '../core/transport-types.js';
import type {
  ReadinessCheckFail,
  ReadinessCheckGroup,
  ReadinessCheckName,
  ReadinessCheckPass,
  ReadinessCheckSkip,
  ReadinessCheckWarn,
  ReadinessMerchantClient,
  ReadinessProgressEvent,
  ReadinessSubscription,
} from './types.js';

type Outcome<T> = Omit<T, 'name' | 'group' | 'duration_ms'>;

/** What a check returns; the runner turns it into a {@link ReadinessCheckResult}. */
export type CheckOutcome =
  | Outcome<ReadinessCheckPass>
  | Outcome<ReadinessCheckWarn>
  | Outcome<ReadinessCheckFail>
  | Outcome<ReadinessCheckSkip>;

/** One check: its stable name, its group and how to run it. */
export interface CheckDefinition {
  name: ReadinessCheckName;
  group: ReadinessCheckGroup;
  run(ctx: ReadinessContext): CheckOutcome | Promise<CheckOutcome>;
}

/** Inputs after the config checks normalized them; `null` where missing or invalid. */
export interface ResolvedReadinessConfig {
  merchant: string | null;
  auth_token: string | null;
  shop_origin: string | null;
  webhook_url: string | null;
  webhook_secret: string | null;
  currency: 'JPY' | 'USD';
  amount_minor: number;
  sandbox: boolean;
  base_url: string | null;
}

/** The merchant account fields readiness reads. */
export interface ReadinessMerchantAccount {
  merchant?: string | null;
  status?: string | null;
  billing_status?: string | null;
  billing_mandate_id?: string | null;
  [key: string]: unknown;
}

/** Mutable state of one run. */
export interface ReadinessContext {
  config: ResolvedReadinessConfig;
  delivery_timeout_ms: number;
  now(): number;
  signal: AbortSignal | undefined;
  progress(event: ReadinessProgressEvent): void;
  /** The merchant client, built on first use. */
  client(): Promise<ReadinessMerchantClient>;
  /** Per-call options for every client call (carries the abort signal). */
  requestOptions(): RequestOptions;
  account: ReadinessMerchantAccount | null;
  subscriptions: ReadinessSubscription[] | null;
  /** Active subscriptions whose callback_url equals the webhook URL. */
  matching: ReadinessSubscription[];
  /** The subscription the delivery probe targets: matching and subscribed to direct_payment.confirmed. */
  target: ReadinessSubscription | null;
}

/** A passing outcome. */
export function pass(message: string, details?: Record<string, unknown>): CheckOutcome {
  return details ? { status: 'pass', message, details } : { status: 'pass', message };
}

/** A warning outcome (does not block readiness). */
export function warn(message: string, fix?: string, details?: Record<string, unknown>): CheckOutcome {
  const out: Outcome<ReadinessCheckWarn> = { status: 'warn', message };
  if (fix !== undefined) out.fix = fix;
  if (details) out.details = details;
  return out;
}

/** A failing outcome; a fix is required. */
export function fail(message: string, fix: string, details?: Record<string, unknown>): CheckOutcome {
  return details ? { status: 'fail', message, fix, details } : { status: 'fail', message, fix };
}

/** A skipped outcome. */
export function skip(reason: string): CheckOutcome {
  return { status: 'skip', message: `Skipped: ${reason}`, reason };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** A list answer as an array of objects: bare, or under `items`, `subscriptions`, `deliveries` or `data`. */
export function listFrom(value: unknown): Record<string, unknown>[] | null {
  let list: unknown = value;
  if (isObject(value)) list = value.items ?? value.subscriptions ?? value.deliveries ?? value.data;
  return Array.isArray(list) ? list.filter(isObject) : null;
}

/** The id of a subscription, whichever field the API used. */
export function subscriptionId(sub: ReadinessSubscription): string | null {
  for (const v of [sub.id, sub.webhook_subscription_id, sub.subscription_id]) {
    if (typeof v === 'string' && v !== '') return v;
  }
  return null;
}

/**
 * Turns a failed API call into a failing outcome: one line saying what
 * happened (status, code, request id) and a fix that fits the kind of
 * failure. `action` reads like "Reading merchant sandbox_shop".
 */
export function apiFailure(
  ctx: ReadinessContext,
  action: string,
  error: unknown,
  fixes: { notFound?: string; other?: string } = {},
): CheckOutcome {
  const base = ctx.config.base_url ?? 'the API';
  if (error instanceof SiglumeConnectionError) {
    const what = error instanceof SiglumeTimeoutError ? 'timed out' : 'could not connect';
    const fix = ctx.config.sandbox
      ? `Start the sandbox (npx siglume-sdrp sandbox) or point --base-url / SIGLUME_API_BASE at a running one (now ${base}).`
      : `Check SIGLUME_API_BASE (now ${base}) and your network connection, then run readiness again.`;
    return fail(`${action} failed: ${what} to ${base}`, fix, { error_code: error.code });
  }
  if (error instanceof SiglumeApiError) {
    const details: Record<string, unknown> = { status: error.status, code: error.code };
    if (error.request_id) details.request_id = error.request_id;
    const line = `${action} failed: ${error.status} ${error.code}: ${error.message}`;
    if (error instanceof SiglumeAuthenticationError) {
      return fail(
        line,
        'The API rejected the merchant token: set SIGLUME_MERCHANT_AUTH_TOKEN to a valid merchant auth token for this environment.',
        details,
      );
    }
    if (error instanceof SiglumePermissionError) {
      return fail(
        line,
        'The token may not manage this merchant: use the merchant auth token of the account that owns SIGLUME_DIRECT_PAYMENT_MERCHANT.',
        details,
      );
    }
    if (error.status === 404 && fixes.notFound) return fail(line, fixes.notFound, details);
    return fail(
      line,
      fixes.other ?? `Retry in a moment; if it persists, contact Siglume support${error.request_id ? ` with request id ${error.request_id}` : ''}.`,
      details,
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return fail(`${action} failed: ${message}`, fixes.other ?? 'Run readiness again with --verbose; if it persists, report it with the output.');
}
