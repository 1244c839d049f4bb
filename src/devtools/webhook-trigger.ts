/**
 * `siglume-sdrp webhook trigger` as a function: build a realistic, signed
 * event of one classifier kind with the testing factories and POST it to a
 * merchant's webhook endpoint, like `stripe trigger` does for Stripe.
 */
import { WEBHOOK_SIGNATURE_HEADER } from '../core/constants.js';
import { BAD_PORT } from '../core/bad-port.js';
import { SiglumeConnectionError, SiglumeTimeoutError, SiglumeValidationError } from '../core/errors.js';
import { redactSecretValues } from '../core/redact.js';
import { errorCode } from '../core/retry.js';
import { portOutOfRange, type DirectRequestPaymentCurrency } from '../core/validation.js';
import { createTestWebhookEvent, TEST_WEBHOOK_SECRET } from '../testing/index.js';
import type { TestWebhookEventKind } from '../testing/index.js';
import { DIRECT_REQUEST_PAYMENT_SDK_VERSION } from '../version.js';

/** CLI kind names and the classifier kind each produces. */
export const WEBHOOK_TRIGGER_KINDS = Object.freeze({
  'standard-settled': 'standard_settled',
  'metered-accepted': 'metered_usage_accepted',
  'batch-settled': 'metered_batch_settled',
  unknown: 'unknown',
} as const satisfies Record<string, TestWebhookEventKind>);

/** How much of the endpoint's answer is read; the rest is discarded unread. */
const RESPONSE_READ_LIMIT = 64 * 1024;
/** How much of the (scrubbed) answer the result keeps. */
const RESPONSE_KEEP = 500;

/** A kind name accepted by {@link triggerTestWebhook}. */
export type WebhookTriggerKind = keyof typeof WEBHOOK_TRIGGER_KINDS;

/** Options of {@link triggerTestWebhook}. */
export interface WebhookTriggerOptions {
  /** `standard-settled`, `metered-accepted`, `batch-settled` or `unknown` (the classifier names are accepted too). */
  kind: string;
  /** Endpoint to POST to, e.g. `http://127.0.0.1:3000/payments/webhooks/siglume`. */
  url: string;
  /** Signing secret; the testing factories' default test secret (`whsec_test_secret`) when absent. */
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
  /**
   * Last 4 characters of the secret the event was signed with (the same hint
   * the API gives as `signing_secret_hint`); never the secret itself. Empty
   * when the secret is too short for 4 characters to be a small part of it
   * (see {@link signingSecretHint}).
   */
  signing_secret_hint: string;
  /** True when no secret was given and the testing default secret signed the event. */
  test_secret: boolean;
  /**
   * First 500 characters of the response body, with the signing secret
   * replaced by `[redacted]` wherever the endpoint echoed it.
   */
  response_body: string;
  duration_ms: number;
}

/**
 * The event a {@link triggerTestWebhook} that got no answer sent, and why:
 * on its rejection as `trigger` (see {@link webhookTriggerAttempt}).
 */
export interface WebhookTriggerAttempt {
  kind: TestWebhookEventKind;
  event_id: string;
  event_type: string;
  signing_secret_hint: string;
  test_secret: boolean;
  /** `ECONNREFUSED`, `ENOTFOUND`, `TIMEOUT`, `BAD_PORT`, a TLS code such as `ERR_SSL_WRONG_VERSION_NUMBER`, ... */
  code: string;
  /** One line: what happened, and what to do when the cause is known. */
  message: string;
  duration_ms: number;
}

/** The attempt a rejection of {@link triggerTestWebhook} carries, or null (a validation error sent nothing). */
export function webhookTriggerAttempt(error: unknown): WebhookTriggerAttempt | null {
  return (error as { trigger?: WebhookTriggerAttempt } | null)?.trigger ?? null;
}

const TLS_CODE = /^(ERR_(SSL|TLS)_|CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|EPROTO$)/;

/**
 * Fewest characters after any `whsec_` prefix for which the last 4 are shown. Siglume's secrets carry
 * far more; at 16, 4 characters are a quarter of the value at most. Below that (`notwhsec`, a hand-typed
 * test value) the last 4 would be half the secret or more, so nothing is shown.
 */
const HINT_MIN_SECRET_CHARS = 16;

/** The last 4 characters of `secret` when it is long enough (see {@link HINT_MIN_SECRET_CHARS}), else ''. */
export function signingSecretHint(secret: string): string {
  const body = secret.startsWith('whsec_') ? secret.slice('whsec_'.length) : secret;
  return body.length >= HINT_MIN_SECRET_CHARS ? secret.slice(-4) : '';
}

/** A short code and a hint (or '') for why `fetch` got no answer. */
function unreachable(error: unknown, timeout: number): { code: string; why: string; hint: string } {
  if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) {
    return { code: 'TIMEOUT', why: `no answer within ${timeout} ms`, hint: 'the handler should answer as soon as the event is recorded, or raise --timeout' };
  }
  const cause = (error as { cause?: { code?: string; message?: string } }).cause;
  const code = errorCode(error) ?? 'CONNECTION_ERROR';
  const why = cause?.code ?? cause?.message ?? (error as Error).message;
  if (code === 'ECONNREFUSED') return { code, why, hint: 'nothing is listening there: is the shop running, on that port?' };
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return { code, why, hint: 'the host name does not resolve: check it' };
  if (code === 'UND_ERR_CONNECT_TIMEOUT') return { code, why, hint: 'the host did not accept a connection: check the host and any firewall' };
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return { code, why, hint: "the server closed the connection: see the shop's log" };
  if (code === BAD_PORT) return { code, why, hint: 'fetch refuses reserved ports such as 1 and 6000: run the shop on another, e.g. 3000' };
  if (TLS_CODE.test(code)) return { code, why, hint: 'TLS failed: fix the certificate, or use http:// for a local server without TLS' };
  return { code, why, hint: '' };
}

/** The first {@link RESPONSE_READ_LIMIT} bytes of a body as text; never reads the rest. */
async function readCapped(response: Response): Promise<string> {
  const reader = response.body?.getReader();
  if (!reader) return '';
  const decoder = new TextDecoder();
  let text = '';
  let bytes = 0;
  try {
    while (bytes < RESPONSE_READ_LIMIT) {
      const { done, value } = await reader.read();
      if (done) break;
      const chunk = value.subarray(0, RESPONSE_READ_LIMIT - bytes);
      bytes += chunk.length;
      text += decoder.decode(chunk, { stream: true });
    }
  } catch {
    // A body cut off mid-way still tells the user something; keep what arrived.
  } finally {
    reader.cancel().catch(() => undefined);
  }
  return text + decoder.decode();
}

/** The classifier kind for a CLI or classifier kind name, or null. */
export function webhookTriggerKind(name: string): TestWebhookEventKind | null {
  if (name in WEBHOOK_TRIGGER_KINDS) return WEBHOOK_TRIGGER_KINDS[name as WebhookTriggerKind];
  const kinds = Object.values(WEBHOOK_TRIGGER_KINDS) as string[];
  return kinds.includes(name) ? (name as TestWebhookEventKind) : null;
}

/**
 * `text` as an absolute http(s) URL without credentials.
 * @param field - the name the error gives the URL: the option (`url`), or the flag or variable it came from.
 * @throws {SiglumeValidationError} naming `field` otherwise.
 */
export function webhookTriggerUrl(text: string, field = 'url'): URL {
  // The reasons name the part that is wrong and never quote the URL, which may carry credentials.
  const invalid = (reason: string) => new SiglumeValidationError(field, `Invalid ${field}: ${reason}`);
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalid(portOutOfRange(text) ?? 'must be an absolute http(s) URL, e.g. http://127.0.0.1:3000/payments/webhooks/siglume');
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') throw invalid(`must use http or https, not ${url.protocol.slice(0, -1)}`);
  if (url.username || url.password) throw invalid('must not carry a user name or password');
  return url;
}

/**
 * Signs a test event of `kind` and POSTs its raw body with the
 * `Siglume-Signature` header to `url`. Resolves with the endpoint's answer
 * whatever its status; rejects only when no answer arrives, with the event
 * it sent and the cause on the rejection (read it with {@link webhookTriggerAttempt}).
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
  const url = webhookTriggerUrl(options.url);
  const timeout = options.timeout_ms ?? 10_000;
  const secret = options.secret ?? TEST_WEBHOOK_SECRET;
  const built = await createTestWebhookEvent(kind, {
    secret,
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
    const { code, why, hint } = unreachable(error, timeout);
    const message = `Could not reach ${url.origin}: ${why}${hint ? ` (${hint})` : ''}`;
    const failure = code === 'TIMEOUT' ? new SiglumeTimeoutError(timeout, { cause: error }) : new SiglumeConnectionError(message, { cause: error });
    const trigger: WebhookTriggerAttempt = {
      kind,
      event_id: built.event.id,
      event_type: built.event.type,
      signing_secret_hint: signingSecretHint(secret),
      test_secret: options.secret === undefined,
      code,
      message,
      duration_ms: Math.round(performance.now() - started),
    };
    throw Object.assign(failure, { trigger });
  }
  // Scrubbed before it is cut, so a secret straddling the cut cannot leak in part.
  const [text, statusText] = redactSecretValues([await readCapped(response), response.statusText], [secret]);
  return {
    status: response.status,
    status_text: statusText,
    ok: response.status >= 200 && response.status < 300,
    kind,
    event_id: built.event.id,
    event_type: built.event.type,
    signing_secret_hint: signingSecretHint(secret),
    test_secret: options.secret === undefined,
    response_body: text.slice(0, RESPONSE_KEEP),
    duration_ms: Math.round(performance.now() - started),
  };
}
