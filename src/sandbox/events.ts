/**
 * Creating, publishing and redelivering webhook events.
 */
import { DIRECT_REQUEST_PAYMENT_API_VERSION } from '../core/constants.js';
import { SandboxHttpError, notFound } from './errors.js';
import { newId } from './ids.js';
import type { SandboxRuntime } from './runtime.js';
import type { SandboxDelivery, SandboxEvent, SandboxWebhookSubscription } from './types.js';

/** `api_version` of every event the sandbox sends. */
export const SANDBOX_EVENT_API_VERSION = DIRECT_REQUEST_PAYMENT_API_VERSION;

/** Builds and stores an event. */
export function createEvent(rt: SandboxRuntime, type: string, data: Record<string, unknown>): SandboxEvent {
  const event: SandboxEvent = {
    id: newId('evt'),
    type,
    api_version: SANDBOX_EVENT_API_VERSION,
    occurred_at: rt.store.nowIso(),
    data,
  };
  rt.store.data.events[event.id] = event;
  rt.store.changed();
  return event;
}

/**
 * Delivers an event to every active subscription for its type (or to the
 * given ones). `wait: true` resolves once each delivery is delivered or
 * failed; otherwise the queued records come back at once.
 */
export async function publishEvent(
  rt: SandboxRuntime,
  event: SandboxEvent,
  options: { wait: boolean; subscriptions?: readonly SandboxWebhookSubscription[] },
): Promise<SandboxDelivery[]> {
  const targets = options.subscriptions ?? rt.store.subscriptionsFor(event.type);
  const queued = rt.deliverer.queue(event, targets);
  if (!options.wait) {
    const snapshot = queued.map((d) => ({ ...d }));
    rt.deliverer.runInBackground(event, queued);
    return snapshot;
  }
  return rt.deliverer.run(event, queued);
}

/**
 * Sends an event again, with the same id and body and a fresh signature, to
 * the subscriptions it went to before (or, if it never went anywhere, to the
 * current matching ones). Waits for the outcome.
 */
export async function redeliverEvent(rt: SandboxRuntime, eventId: string): Promise<SandboxDelivery[]> {
  const event = Object.hasOwn(rt.store.data.events, eventId) ? rt.store.data.events[eventId] : undefined;
  if (!event) throw notFound('EVENT_NOT_FOUND', `Event "${eventId}" does not exist in this sandbox.`);
  const previous = new Map<string, string>();
  for (const d of Object.values(rt.store.data.deliveries)) {
    if (d.event_id === eventId) previous.set(d.subscription_id, d.id);
  }
  const targets = previous.size
    ? [...previous.keys()].map((id) => rt.store.subscription(id)).filter((s): s is SandboxWebhookSubscription => !!s)
    : rt.store.subscriptionsFor(event.type);
  if (targets.length === 0) {
    throw new SandboxHttpError(409, 'NO_SUBSCRIPTION', `No webhook subscription can receive event "${eventId}" any more.`);
  }
  const queued = rt.deliverer.queue(event, targets, previous);
  return rt.deliverer.run(event, queued);
}
