/**
 * `siglume-sdrp webhook trigger` as a function: build a realistic, signed
 * event of one classifier kind with the testing factories and POST it to a
 * merchant's webhook endpoint, like `stripe trigger` does for Stripe.
 */
import { WEBHOOK_SIGNATURE_HEADER } from '../core/constants.js';
import { SiglumeConnectionError, SiglumeTimeoutError, SiglumeValidationError } from '../core/errors.js';
import type { DirectRequestPaymentCurrency } from '../core/validation.js';
import { createTestWebhookEvent } from '../testing/index.js';
import type { TestWebhookEventKind } from '../testing/index.js';
import { DIRECT_REQUEST_PAYMENT_SDK_VERSION } from '../version.js';

/** CLI kind names and the classifier kind each produces. */
export const WEBHOOK_TRIGGER_KINDS = Object.freeze({
  'standard-settled': 'standard_settled',
  'metered-accepted': 'metered_usage_accepted',
  'batch-settled': 'metered_batch_settled',
  unknown: 'unknown',
} as const satisfies Record<string, TestWebhookEventKind>);

/** A kind name accepted by {@link triggerTestWebhook}. */
export type WebhookTriggerKind = keyof typeof WEBHOOK_TRIGGER_KINDS;

/** Options of {@link triggerTestWebhook}. */
export interface WebhookTriggerOptions {
  /** `standard-settled`, `metered-accepted`, `batch-settled` or `unknown` (the classifier names are accepted too). */
  kind: string;
  /** Endpoint to POST to, e.g. `http://127.0.0.1:3000/payments/webhooks/siglume`. */
  url: string;
  /** Signing secret; the testing factories' default test secret when absent. */
  secret?: string;
  amount_minor?: number;
  currency?: DirectRequestPaymentCurrency;
  merchant?: string;
  /**
   * Give up waiting for the endpoint after this long.
   * @default 10000
   */
  timeout_ms?: number;
}

/** What the endpoint answered. */
export interface WebhookTriggerResult {
  /** HTTP status the endpoint answered. */
  status: number;
  status_text: string;
  /** True for a 2xx answer. */
  ok: boolean;
  kind: TestWebhookEventKind;
  event_id: string;
  event_type: string;
  /** First 500 characters of the response body. */
  response_body: string;
  duration_ms: number;
}

/** The classifier kind for a CLI or classifier kind name, or null. */
export function webhookTriggerKind(name: string): TestWebhookEventKind | null {
  if (name in WEBHOOK_TRIGGER_KINDS) return WEBHOOK_TRIGGER_KINDS[name as WebhookTriggerKind];
  const kinds = Object.values(WEBHOOK_TRIGGER_KINDS) as string[];
  return kinds.includes(name) ? (name as TestWebhookEventKind) : null;
}

/**
 * Signs a test event of `kind` and POSTs its raw body with the
 * `Siglume-Signature` header to `url`. Resolves with the endpoint's answer
 * whatever its status; rejects only when no answer arrives.
 *
 * @throws {SiglumeValidationError} for an unknown kind or a non-http(s) URL.
 * @throws {SiglumeConnectionError} when the endpoint cannot be reached ({@link SiglumeTimeoutError} on timeout).
 * @example
 * const r = await triggerTestWebhook({ kind: 'standard-settled', url: 'http://127.0.0.1:3000/payments/webhooks/siglume', secret });
 * console.log(r.status); // 204 when the handler accepted it
 */
export async function triggerTestWebhook(options: WebhookTriggerOptions): Promise<WebhookTriggerResult> {
  const kind = webhookTriggerKind(options.kind);
  if (!kind) {
    throw new SiglumeValidationError(
      'kind',
      `Invalid kind "${options.kind}": use one of ${Object.keys(WEBHOOK_TRIGGER_KINDS).join(', ')}`,
    );
  }
  let url: URL;
  try {
    url = new URL(options.url);
  } catch {
    throw new SiglumeValidationError('url', 'Invalid url: must be an absolute http(s) URL');
  }
  if ((url.protocol !== 'http:' && url.protocol !== 'https:') || url.username || url.password) {
    throw new SiglumeValidationError('url', 'Invalid url: must be an absolute http(s) URL without credentials');
  }
  const timeout = options.timeout_ms ?? 10_000;
  const built = await createTestWebhookEvent(kind, {
    ...(options.secret !== undefined ? { secret: options.secret } : {}),
    ...(options.amount_minor !== undefined ? { amount_minor: options.amount_minor } : {}),
    ...(options.currency !== undefined ? { currency: options.currency } : {}),
    ...(options.merchant !== undefined ? { merchant: options.merchant } : {}),
  });
  const started = performance.now();
  let response: Response;
  try {
    response = await fetch(url, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        [WEBHOOK_SIGNATURE_HEADER]: built.header,
        'user-agent': `@siglume/direct-request-payment/${DIRECT_REQUEST_PAYMENT_SDK_VERSION} (webhook trigger)`,
      },
      body: built.raw_body,
      redirect: 'manual',
      signal: AbortSignal.timeout(timeout),
    });
  } catch (error) {
    if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
      throw new SiglumeTimeoutError(timeout, { cause: error });
    }
    const cause = (error as { cause?: { code?: string; message?: string } }).cause;
    throw new SiglumeConnectionError(`Could not reach ${url.origin}: ${cause?.code ?? cause?.message ?? (error as Error).message}`, {
      cause: error,
    });
  }
  const text = await response.text().catch(() => '');
  return {
    status: response.status,
    status_text: response.statusText,
    ok: response.status >= 200 && response.status < 300,
    kind,
    event_id: built.event.id,
    event_type: built.event.type,
    response_body: text.slice(0, 500),
    duration_ms: Math.round(performance.now() - started),
  };
}
