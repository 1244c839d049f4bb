/**
 * Webhook events and their delivery: a real HTTP POST of the event's JSON to
 * each subscription, with a fresh `Siglume-Signature` per attempt (signed by
 * the core's signer), a timeout per attempt, and retries with backoff on
 * network errors, timeouts, 408, 429 and 5xx. Each delivery to each
 * subscription is recorded with its outcome; redelivery sends the stored
 * event again (same id and body).
 */
import { request } from 'undici';
import { DIRECT_REQUEST_PAYMENT_API_VERSION, WEBHOOK_SIGNATURE_HEADER } from '../core/constants.js';
import { buildWebhookSignatureHeader } from '../webhooks/signature.js';
import { SandboxHttpError } from './errors.js';
import { newId } from './ids.js';
import type { SandboxLogEntry } from './options.js';
import type { SandboxStore } from './store.js';
import type { SandboxDelivery, SandboxEvent, SandboxWebhookSubscription } from './types.js';

/** `api_version` of every event the sandbox sends. */
export const SANDBOX_EVENT_API_VERSION = DIRECT_REQUEST_PAYMENT_API_VERSION;

/** Settings of {@link Webhooks}; `dropping()` is true while the `drop_webhook_deliveries` fault is set. */
export interface DeliverySettings {
  timeout_ms: number;
  retries: number;
  backoff_ms: number;
  dropping: () => boolean;
  log: (entry: SandboxLogEntry) => void;
}

type Attempt = { status: number | null; error: string | null };

const DROPPED: Attempt = { status: null, error: 'dropped by the sandbox fault drop_webhook_deliveries' };
const ok = (a: Attempt) => a.status !== null && a.status >= 200 && a.status < 300;
const retryable = (a: Attempt) => a.status === null || a.status === 408 || a.status === 429 || a.status >= 500;
const sleep = (ms: number, signal: AbortSignal) =>
  new Promise<void>((resolve) => {
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(t), resolve()), { once: true });
  });

async function postOnce(
  url: string,
  body: string,
  headers: Record<string, string>,
  timeoutMs: number,
  closing: AbortSignal,
): Promise<Attempt> {
  const controller = new AbortController();
  const timer = setTimeout(() => controller.abort(), timeoutMs);
  const onClose = () => controller.abort();
  closing.addEventListener('abort', onClose, { once: true });
  try {
    // `reset`: a fresh connection per attempt, so no pooled socket outlives the shop's server.
    const res = await request(url, { method: 'POST', headers, body, signal: controller.signal, reset: true });
    await res.body.dump().catch(() => undefined);
    return { status: res.statusCode, error: null };
  } catch (error) {
    if (closing.aborted) return { status: null, error: 'sandbox shutting down' };
    if (controller.signal.aborted) return { status: null, error: `timeout after ${timeoutMs} ms` };
    return { status: null, error: (error as { code?: string }).code ?? 'connection error' };
  } finally {
    clearTimeout(timer);
    closing.removeEventListener('abort', onClose);
  }
}

/** Creates events, sends them to subscriptions and records the deliveries. */
export class Webhooks {
  readonly #closing = new AbortController();
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(
    private readonly store: SandboxStore,
    private readonly settings: DeliverySettings,
  ) {}

  /** Builds and stores an event. */
  createEvent(type: string, data: Record<string, unknown>): SandboxEvent {
    const event: SandboxEvent = {
      id: newId('evt'),
      type,
      api_version: SANDBOX_EVENT_API_VERSION,
      occurred_at: this.store.nowIso(),
      data,
    };
    this.store.data.events[event.id] = event;
    this.store.changed();
    return event;
  }

  /**
   * Delivers an event to every active subscription for its type (or to the
   * given ones). `wait: true` resolves once each delivery is delivered or
   * failed; otherwise the queued records come back at once.
   */
  async publish(
    event: SandboxEvent,
    wait: boolean,
    targets = this.store.subscriptionsFor(event.type),
    redeliveryOf = new Map<string, string>(),
  ): Promise<SandboxDelivery[]> {
    const now = this.store.nowIso();
    const records = targets.map((sub): SandboxDelivery => ({
      id: newId('whd'),
      subscription_id: sub.id,
      event_id: event.id,
      event_type: event.type,
      callback_url: sub.callback_url,
      delivery_status: 'queued',
      response_status: null,
      last_error: null,
      attempts: 0,
      delivered_at: null,
      created_at: now,
      redelivery_of: redeliveryOf.get(sub.id) ?? null,
    }));
    for (const d of records) this.store.data.deliveries[d.id] = d;
    this.store.changed();
    const queued = structuredClone(records);
    const task = Promise.all(records.map((d) => this.#deliver(event, d)));
    this.#inFlight.add(task);
    void task.catch(() => undefined).finally(() => this.#inFlight.delete(task));
    if (!wait) return queued;
    await task;
    return structuredClone(records);
  }

  /**
   * Sends an event again, with the same id and body and a fresh signature, to
   * the subscriptions it went to before (or, if it never went anywhere, to the
   * current matching ones). Waits for the outcome.
   */
  async redeliver(eventId: string): Promise<SandboxDelivery[]> {
    const event = this.store.get('events', eventId);
    if (!event)
      throw new SandboxHttpError(404, 'EVENT_NOT_FOUND', `Event "${eventId}" does not exist in this sandbox.`);
    const previous = new Map<string, string>();
    for (const d of Object.values(this.store.data.deliveries))
      if (d.event_id === eventId) previous.set(d.subscription_id, d.id);
    const targets = previous.size
      ? [...previous.keys()]
          .map((id) => this.store.get('subscriptions', id))
          .filter((s): s is SandboxWebhookSubscription => !!s)
      : this.store.subscriptionsFor(event.type);
    if (targets.length === 0)
      throw new SandboxHttpError(
        409,
        'NO_SUBSCRIPTION',
        `No webhook subscription can receive event "${eventId}" any more.`,
      );
    return this.publish(event, true, targets, previous);
  }

  /** Cancels pending retries and waits for running attempts to stop. */
  async close(): Promise<void> {
    this.#closing.abort();
    await Promise.allSettled([...this.#inFlight]);
  }

  async #deliver(event: SandboxEvent, d: SandboxDelivery): Promise<void> {
    const { timeout_ms, retries, backoff_ms } = this.settings;
    const closing = this.#closing.signal;
    const body = JSON.stringify(event);
    let result: Attempt = { status: null, error: 'not attempted' };
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await sleep(backoff_ms * 3 ** (attempt - 1), closing);
      // The current secret and URL: a rotated secret or moved endpoint applies to redeliveries.
      const sub = this.store.get('subscriptions', d.subscription_id);
      if (closing.aborted || !sub) {
        result = { status: result.status, error: sub ? 'sandbox shutting down' : 'subscription no longer exists' };
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
      };
      result = this.settings.dropping()
        ? DROPPED
        : await postOnce(sub.callback_url, body, headers, timeout_ms, closing);
      d.response_status = result.status;
      if (ok(result) || !retryable(result)) break;
    }
    Object.assign(
      d,
      ok(result)
        ? { delivery_status: 'delivered', delivered_at: this.store.nowIso(), last_error: null }
        : { delivery_status: 'failed', delivered_at: null, last_error: result.error ?? `HTTP ${result.status}` },
    );
    this.store.changed();
    const { id: delivery_id, event_id, event_type, callback_url, response_status, attempts, last_error: error } = d;
    this.settings.log({
      kind: 'delivery',
      delivery_id,
      event_id,
      event_type,
      callback_url,
      delivery_status: ok(result) ? 'delivered' : 'failed',
      response_status,
      attempts,
      error,
    });
  }
}
