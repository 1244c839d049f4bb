/**
 * Webhook delivery: a real HTTP POST of the event's JSON with a fresh
 * `Siglume-Signature` per attempt (signed by the core's signer), a timeout per
 * attempt, and retries with backoff on network errors, timeouts, 408, 429
 * and 5xx. Each delivery to each subscription is recorded with its outcome.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { WEBHOOK_SIGNATURE_HEADER } from '../core/constants.js';
import { buildWebhookSignatureHeader } from '../webhooks/signature.js';
import { newId } from './ids.js';
import type { SandboxStore } from './state.js';
import type { SandboxDelivery, SandboxEvent, SandboxWebhookSubscription } from './types.js';
import type { SandboxLogEntry } from './options.js';

/** Settings of a {@link WebhookDeliverer}. */
export interface DeliverySettings {
  timeoutMs: number;
  retries: number;
  backoffMs: number;
  log: (entry: SandboxLogEntry) => void;
}

type AttemptResult = { status: number | null; error: string | null };

const USER_AGENT = 'Siglume-SDRP-Sandbox/1 (+webhooks)';

function retryable(result: AttemptResult): boolean {
  if (result.status === null) return true;
  return result.status === 408 || result.status === 429 || result.status >= 500;
}

function postOnce(url: string, body: string, headers: Record<string, string>, timeoutMs: number, signal: AbortSignal): Promise<AttemptResult> {
  return new Promise((resolve) => {
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      resolve({ status: null, error: 'invalid callback URL' });
      return;
    }
    const send = target.protocol === 'https:' ? httpsRequest : httpRequest;
    let settled = false;
    const done = (r: AttemptResult) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      signal.removeEventListener('abort', onAbort);
      resolve(r);
    };
    // A fresh socket per attempt: no pooled connection outlives the receiver.
    const req = send(target, {
      method: 'POST',
      agent: false,
      headers: { ...headers, 'Content-Length': Buffer.byteLength(body) },
    });
    const timer = setTimeout(() => {
      req.destroy();
      done({ status: null, error: `timeout after ${timeoutMs} ms` });
    }, timeoutMs);
    const onAbort = () => {
      req.destroy();
      done({ status: null, error: 'sandbox shutting down' });
    };
    signal.addEventListener('abort', onAbort, { once: true });
    req.on('response', (res: IncomingMessage) => {
      res.resume();
      res.on('end', () => done({ status: res.statusCode ?? null, error: null }));
      res.on('error', () => done({ status: res.statusCode ?? null, error: null }));
    });
    req.on('error', (e: NodeJS.ErrnoException) => done({ status: null, error: e.code ?? 'connection error' }));
    req.end(body);
  });
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (ms <= 0 || signal.aborted) return resolve();
    const t = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => { clearTimeout(t); resolve(); }, { once: true });
  });
}

/** Sends events to subscriptions and records the deliveries. */
export class WebhookDeliverer {
  readonly #store: SandboxStore;
  readonly #settings: DeliverySettings;
  readonly #abort = new AbortController();
  readonly #inFlight = new Set<Promise<unknown>>();

  constructor(store: SandboxStore, settings: DeliverySettings) {
    this.#store = store;
    this.#settings = settings;
  }

  /** Creates `queued` delivery records for an event, one per subscription. */
  queue(event: SandboxEvent, subscriptions: readonly SandboxWebhookSubscription[], redeliveryOf?: Map<string, string>): SandboxDelivery[] {
    const now = this.#store.nowIso();
    const records = subscriptions.map((sub): SandboxDelivery => {
      const d: SandboxDelivery = {
        id: newId('whd'),
        subscription_id: sub.id,
        event_id: event.id,
        event_type: event.type,
        delivery_status: 'queued',
        response_status: null,
        delivered_at: null,
        attempts: 0,
        callback_url: sub.callback_url,
        last_error: null,
        redelivery_of: redeliveryOf?.get(sub.id) ?? null,
        created_at: now,
      };
      this.#store.data.deliveries[d.id] = d;
      return d;
    });
    this.#store.changed();
    return records;
  }

  /** Delivers queued records and waits until each is delivered or failed. */
  async run(event: SandboxEvent, records: readonly SandboxDelivery[]): Promise<SandboxDelivery[]> {
    const task = Promise.all(records.map((d) => this.#deliverOne(event, d)));
    this.#inFlight.add(task);
    try {
      await task;
    } finally {
      this.#inFlight.delete(task);
    }
    return records.map((d) => ({ ...d }));
  }

  /** Delivers in the background; the records change as attempts finish. */
  runInBackground(event: SandboxEvent, records: readonly SandboxDelivery[]): void {
    void this.run(event, records).catch(() => undefined);
  }

  async #deliverOne(event: SandboxEvent, d: SandboxDelivery): Promise<void> {
    const { timeoutMs, retries, backoffMs } = this.#settings;
    const body = JSON.stringify(event);
    let result: AttemptResult = { status: null, error: 'not attempted' };
    for (let attempt = 0; attempt <= retries; attempt++) {
      if (attempt > 0) await sleep(backoffMs * 3 ** (attempt - 1), this.#abort.signal);
      if (this.#abort.signal.aborted) {
        result = { status: result.status, error: 'sandbox shutting down' };
        break;
      }
      // The current secret and URL: a rotated secret or moved endpoint applies to redeliveries.
      const sub = this.#store.subscription(d.subscription_id);
      if (!sub) {
        result = { status: null, error: 'subscription no longer exists' };
        break;
      }
      d.callback_url = sub.callback_url;
      const signature = await buildWebhookSignatureHeader(sub.signing_secret, body);
      d.attempts += 1;
      result = await postOnce(
        sub.callback_url,
        body,
        {
          'Content-Type': 'application/json',
          'User-Agent': USER_AGENT,
          [WEBHOOK_SIGNATURE_HEADER]: signature,
          'Siglume-Event-Id': event.id,
          'Siglume-Delivery-Id': d.id,
        },
        timeoutMs,
        this.#abort.signal,
      );
      d.response_status = result.status;
      if (result.status !== null && result.status >= 200 && result.status < 300) break;
      if (!retryable(result)) break;
    }
    const ok = result.status !== null && result.status >= 200 && result.status < 300;
    d.delivery_status = ok ? 'delivered' : 'failed';
    d.delivered_at = ok ? this.#store.nowIso() : null;
    d.last_error = ok ? null : (result.error ?? `HTTP ${result.status}`);
    this.#store.changed();
    this.#settings.log({
      kind: 'delivery',
      delivery_id: d.id,
      event_id: d.event_id,
      event_type: d.event_type,
      callback_url: d.callback_url,
      delivery_status: d.delivery_status,
      response_status: d.response_status,
      attempts: d.attempts,
      error: d.last_error,
    });
  }

  /** Cancels pending retries and waits for running attempts to stop. */
  async close(): Promise<void> {
    this.#abort.abort();
    await Promise.allSettled([...this.#inFlight]);
  }
}
