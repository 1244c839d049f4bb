/**
 * Delivery check: ask Siglume to send a harmless `direct_payment.confirmed`
 * test event to the matching subscription, then poll the delivery log for
 * that event id until it is delivered, fails, or the timeout passes. The
 * event's mode is `readiness_probe`, which no classifier treats as a payment,
 * so no order is ever marked paid by it.
 */
import { DIRECT_PAYMENT_CONFIRMED_EVENT } from '../../core/constants.js';
import {
  apiFailure,
  fail,
  listFrom,
  pass,
  subscriptionId,
  type CheckDefinition,
  type CheckOutcome,
  type ReadinessContext,
} from '../context.js';
import { pollUntil } from '../poll.js';
import { READINESS_PROBE_SOURCE } from './probe.js';
import { READINESS_PROBE_MODE } from '../../core/constants.js';

/** `data.mode` of the readiness test delivery (kept in core, where the order core reads it too). */
export { READINESS_PROBE_MODE };

type Delivery = Record<string, unknown>;

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

function eventIdFrom(response: unknown): string | null {
  if (response === null || typeof response !== 'object') return null;
  const r = response as Record<string, unknown>;
  const event = r.event as Record<string, unknown> | undefined;
  return str(event?.id) ?? str(r.event_id);
}

function statusOf(d: Delivery): number | null {
  const s = d.response_status ?? d.last_response_status;
  return typeof s === 'number' ? s : typeof s === 'string' && /^\d+$/.test(s) ? Number(s) : null;
}

/** The fix for a delivery the shop's endpoint did not accept, by the status it answered. */
function deliveryFix(url: string, status: number | null): string {
  if (status === null) {
    return `Siglume could not get an answer from ${url}: make sure the server is running, reachable from the internet and answers within a few seconds.`;
  }
  if (status === 400 || status === 401 || status === 403) {
    return 'Your handler rejected the event: verify the Siglume-Signature header with SIGLUME_WEBHOOK_SECRET over the raw request body (not re-serialized JSON), and do not put auth in front of the webhook route.';
  }
  if (status === 404 || status === 405) {
    return `Nothing handles POST ${url}: mount the webhook handler (e.g. createSiglumeSdrpWebhookHandler) at that path or fix SHOP_WEBHOOK_URL.`;
  }
  if (status >= 300 && status < 400) {
    return `${url} redirects; Siglume does not follow redirects. Use the final https URL in the subscription and SHOP_WEBHOOK_URL.`;
  }
  return `Your webhook handler answered ${status}: check its logs. It must answer 2xx to a verified event it does not act on (mode "${READINESS_PROBE_MODE}") instead of failing.`;
}

async function deliveryProbe(ctx: ReadinessContext): Promise<CheckOutcome> {
  const url = ctx.config.webhook_url!;
  const subId = subscriptionId(ctx.target!);
  if (!subId) {
    return fail(
      'The matching webhook subscription has no id, so no test delivery can target it',
      'Check that SIGLUME_API_BASE points at the Siglume API (…/v1); if it does, report this to Siglume support.',
    );
  }
  const client = await ctx.client();
  let eventId: string | null;
  try {
    const queued = await client.queueWebhookTestDelivery(
      {
        event_type: DIRECT_PAYMENT_CONFIRMED_EVENT,
        data: {
          mode: READINESS_PROBE_MODE,
          pricing_band: 'standard',
          settlement_status: READINESS_PROBE_MODE,
          merchant: ctx.config.merchant,
          currency: ctx.config.currency,
          amount_minor: ctx.config.amount_minor,
          source: READINESS_PROBE_SOURCE,
        },
        subscription_ids: [subId],
      },
      ctx.requestOptions(),
    );
    eventId = eventIdFrom(queued);
  } catch (error) {
    return apiFailure(ctx, 'Queueing the test delivery', error);
  }
  if (!eventId) {
    return fail(
      'The test delivery answer has no event id',
      'Check that SIGLUME_API_BASE points at the Siglume API (…/v1); if it does, report this to Siglume support.',
    );
  }
  const id = eventId;
  const timeout = ctx.delivery_timeout_ms;
  let last: Delivery | null = null;
  let result;
  try {
    result = await pollUntil<Delivery>(
      async ({ attempt, elapsed_ms }) => {
        ctx.progress({ type: 'delivery_waiting', event_id: id, attempt, elapsed_ms, timeout_ms: timeout });
        const list = listFrom(
          await client.listWebhookDeliveries(
            { subscription_id: subId, event_type: DIRECT_PAYMENT_CONFIRMED_EVENT },
            { ...ctx.requestOptions(), timeout_ms: Math.max(1000, Math.min(5000, timeout)) },
          ),
        );
        const mine = (list ?? []).filter((d) => d.event_id === id);
        if (mine.length > 0) last = mine[mine.length - 1]!;
        const done = mine.find((d) => d.delivery_status === 'delivered') ?? mine.find((d) => d.delivery_status === 'failed');
        return done ? { done: true, value: done } : { done: false };
      },
      { timeout_ms: timeout, signal: ctx.signal },
    );
  } catch (error) {
    if (ctx.signal?.aborted) throw error;
    return apiFailure(ctx, 'Reading the webhook delivery log', error);
  }
  if (result.kind === 'timeout') {
    const lastStatus = last ? str((last as Delivery).delivery_status) : null;
    return fail(
      `No delivery result for test event ${id} within ${timeout / 1000} s (${lastStatus ? `last status: ${lastStatus}` : 'not in the delivery log yet'})`,
      `Make sure ${url} is reachable from Siglume and answers quickly; raise --timeout if deliveries are slow right now.`,
      { event_id: id, subscription_id: subId, delivery_status: lastStatus },
    );
  }
  const delivery = result.value;
  const status = statusOf(delivery);
  const details = {
    event_id: id,
    subscription_id: subId,
    delivery_id: str(delivery.id),
    delivery_status: delivery.delivery_status,
    response_status: status,
    waited_ms: result.elapsed_ms,
  };
  if (delivery.delivery_status === 'delivered') {
    return pass(`Test event ${id} was delivered to ${url}${status !== null ? ` (HTTP ${status})` : ''}`, details);
  }
  return fail(
    `Test event ${id} was not accepted by ${url}: ${status !== null ? `response_status ${status}` : 'no response'}`,
    deliveryFix(url, status),
    details,
  );
}

/** The delivery check. */
export const DELIVERY_CHECKS: readonly CheckDefinition[] = [
  { name: 'webhook_delivery_probe_passed', group: 'delivery', run: deliveryProbe },
];
