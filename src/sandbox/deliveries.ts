/**
 * Webhook events and their delivery: a POST of the event's JSON to each subscription through the
 * package's one HTTP path (`core/sender.ts`: redirects never followed, the answer read up to a cap, a
 * deadline per attempt), signed afresh per attempt, with retries and backoff on network errors, timeouts,
 * 408, 429 and 5xx. Each delivery is recorded with its outcome and, when it failed, the cause in words:
 * `ECONNREFUSED 127.0.0.1:3000`, `timeout after 5000 ms`, `HTTP 400`. A redelivery sends the stored event again.
 */
import { DIRECT_REQUEST_PAYMENT_API_VERSION, WEBHOOK_SIGNATURE_HEADER } from '../core/constants.js';
import { SiglumeRedirectError, SiglumeResponseTooLargeError, SiglumeTimeoutError } from '../core/errors.js';
import { errorCode } from '../core/retry.js';
import { defaultSender } from '../core/sender.js';
import { sleep } from '../core/sleep.js';
import { buildWebhookSignatureHeader } from '../webhooks/signature.js';
import { conflict } from './errors.js';
import type { ResolvedSandboxOptions, SandboxLogEntry } from './options.js';
import { newDelivery, newEvent, type SandboxDelivery, type SandboxEvent } from './records.js';
import type { SandboxStore } from './store.js';

/** `api_version` of every event the sandbox sends. */
export const SANDBOX_EVENT_API_VERSION = DIRECT_REQUEST_PAYMENT_API_VERSION;

type DeliveryOptions = 'delivery_timeout_ms' | 'delivery_retries' | 'delivery_backoff_ms';

/** Settings of {@link Webhooks}; `dropping()` is true while the `drop_webhook_deliveries` fault is set. */
export interface DeliverySettings extends Pick<ResolvedSandboxOptions, DeliveryOptions> {
  dropping: () => boolean;
  log: (entry: SandboxLogEntry) => void;
  /** Aborted when the sandbox closes: pending retries and running attempts stop. */
  closing: AbortSignal;
}

type Attempt = { status: number | null; failure: string | null };
/** How long a caller waits for deliveries: all of them, none, or at most this many ms. */
export type Wait = boolean | number;

// The shop's answer matters only for its status; a bigger body is not read past this.
const ANSWER_CAP_BYTES = 64 * 1024;
const ok = (a: Attempt) => a.status !== null && a.status >= 200 && a.status < 300;
const retryable = (a: Attempt) => a.status === null || a.status === 408 || a.status === 429 || a.status >= 500;

/** One POST. A thrown error becomes the status the shop answered, or the reason none arrived. */
async function post(url: string, body: string, headers: Record<string, string>, settings: DeliverySettings) {
  const { delivery_timeout_ms: timeout_ms, closing } = settings;
  try {
    const send = await defaultSender();
    const limits = { max_response_bytes: ANSWER_CAP_BYTES, timeout_ms, signal: closing };
    const answer = await send(url, { method: 'POST', headers, body }, limits);
    return { status: answer.status, failure: null };
  } catch (error) {
    if (error instanceof SiglumeResponseTooLargeError)
      return { status: (error.data as { http_status: number }).http_status, failure: null };
    if (error instanceof SiglumeRedirectError)
      return { status: error.status, failure: `HTTP ${error.status} redirect (not followed)` };
    if (error instanceof SiglumeTimeoutError) return { status: null, failure: `timeout after ${timeout_ms} ms` };
    if (closing.aborted) return { status: null, failure: 'sandbox shutting down' };
    const code = errorCode(error);
    const failure = code !== null ? `${code} ${new URL(url).host}` : `no response: ${(error as Error).message}`;
    return { status: null, failure };
  }
}

/** Creates events, sends them to subscriptions and records the deliveries. */
export class Webhooks {
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly store: SandboxStore,
    private readonly settings: DeliverySettings,
  ) {}

  /** Builds and stores an event; its data says `environment: "sandbox"` unless `data` says otherwise. */
  createEvent(type: string, data: Record<string, unknown>): SandboxEvent {
    return this.store.put('events', newEvent(type, { environment: 'sandbox', ...data }, this.store.nowIso()));
  }

  /**
   * Delivers an event to every active subscription for its type (or to `targets`). `wait: true`
   * resolves once each delivery is delivered or failed, a number of ms at most that long (then the records as
   * they stand: a shop that does not answer is still being retried); `false` returns the queued records at once.
   */
  async publish(
    event: SandboxEvent,
    wait: Wait,
    targets = this.store.subscriptionsFor(event.type),
    previous = new Map<string, string>(),
  ) {
    const now = this.store.nowIso();
    const records = targets.map((s) => this.store.put('deliveries', newDelivery(event, s, now, previous.get(s.id))));
    const queued = structuredClone(records);
    const task = Promise.all(records.map((d) => this.#deliver(event, d)));
    this.#inFlight.add(task);
    void task.catch(() => undefined).finally(() => this.#inFlight.delete(task));
    if (!wait) return queued;
    if (wait === true) await task;
    else await Promise.race([task, sleep(wait, this.settings.closing).catch(() => {})]);
    return structuredClone(records);
  }

  /**
   * Sends an event again, with the same id and body and a fresh signature, to the subscriptions it went to
   * before (or, if it never went anywhere, to the current matching ones). Waits for the outcome.
   */
  async redeliver(eventId: string): Promise<SandboxDelivery[]> {
    const event = this.store.require('events', eventId);
    const sent = this.store.list('deliveries').filter((d) => d.event_id === eventId);
    const previous = new Map(sent.map((d) => [d.subscription_id, d.id] as const));
    const targets = previous.size
      ? [...previous.keys()].flatMap((id) => this.store.get('subscriptions', id) ?? [])
      : this.store.subscriptionsFor(event.type);
    if (targets.length === 0)
      throw conflict('NO_SUBSCRIPTION', `No webhook subscription can receive event "${eventId}" any more.`);
    return this.publish(event, true, targets, previous);
  }

  /** Waits for running attempts to stop (after `settings.closing` was aborted). */
  async close(): Promise<void> {
    await Promise.allSettled([...this.#inFlight]);
  }

  async #deliver(event: SandboxEvent, d: SandboxDelivery): Promise<void> {
    const { delivery_retries: retries, delivery_backoff_ms: backoff_ms, closing } = this.settings;
    const body = JSON.stringify(event);
    let result: Attempt = { status: null, failure: 'not attempted' };
    for (let attempt = 0; attempt <= retries; attempt++) {
      // Closing ends the wait early; the check below then stops the retries. No timer for no wait (fake timers).
      if (attempt > 0 && backoff_ms > 0) await sleep(backoff_ms * 3 ** (attempt - 1), closing).catch(() => {});
      // The current secret and URL: a rotated secret or moved endpoint applies to retries and redeliveries.
      const sub = this.store.get('subscriptions', d.subscription_id);
      if (closing.aborted || !sub) {
        result = { status: result.status, failure: sub ? 'sandbox shutting down' : 'subscription no longer exists' };
        break;
      }
      d.callback_url = sub.callback_url;
      d.attempts += 1;
      const headers = {
        'Content-Type': 'application/json',
        'User-Agent': 'Siglume-SDRP-Sandbox/1 (+webhooks)',
        [WEBHOOK_SIGNATURE_HEADER]: await buildWebhookSignatureHeader(sub.signing_secret, body),
        'Siglume-Event-Id': event.id,
        'Siglume-Delivery-Id': d.id,
        'X-Siglume-Environment': 'sandbox',
        // A fresh connection per attempt, so no pooled socket outlives the shop's server.
        Connection: 'close',
      };
      result = this.settings.dropping()
        ? { status: null, failure: 'dropped by the sandbox fault drop_webhook_deliveries' }
        : await post(sub.callback_url, body, headers, this.settings);
      d.response_status = result.status;
      d.failure_reason = ok(result) ? null : (result.failure ?? `HTTP ${result.status}`); // Shown while it retries.
      if (ok(result) || !retryable(result)) break;
    }
    const delivered = ok(result);
    const delivery_status = delivered ? 'delivered' : 'failed';
    d.delivery_status = delivery_status;
    d.delivered_at = delivered ? this.store.nowIso() : null;
    d.failure_reason = delivered ? null : (result.failure ?? `HTTP ${result.status}`);
    this.store.changed();
    const { event_id, event_type, callback_url, response_status, attempts, failure_reason } = d;
    this.settings.log({
      kind: 'delivery',
      delivery_id: d.id,
      event_id,
      event_type,
      callback_url,
      delivery_status,
      response_status,
      attempts,
      failure_reason,
    });
  }
}
