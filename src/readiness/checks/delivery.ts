/**
 * Delivery group: ask Siglume to send a harmless `direct_payment.confirmed`
 * test event to the target subscription, then poll the delivery log for
 * that event id until it is delivered, fails, or the timeout passes. The
 * event's mode is `readiness_probe`, which no classifier treats as a payment,
 * so no order is ever marked paid by it.
 */
import type { DirectRequestPaymentWebhookDelivery } from '../../clients/schemas/webhook-delivery.js';
import type { DirectRequestPaymentWebhookSubscription } from '../../clients/schemas/webhook-subscription.js';
import { DIRECT_PAYMENT_CONFIRMED_EVENT } from '../../core/constants.js';
import type { ApiInput } from '../group.js';
import { apiFailure, fail, failed, found, pass, reportShapeFix, shapeMismatch, type Checked } from '../outcome.js';
import { pollUntil } from '../poll.js';
import type { CheckRun } from '../recorder.js';
import { READINESS_PROBE_SOURCE } from './probe.js';
import { READINESS_PROBE_MODE } from '../../core/constants.js';
import { isLoopbackHost } from '../../core/validation.js';
import { maskUrlCredentials } from './config.js';

/** `data.mode` of the readiness test delivery (kept in core, where the order core reads it too). */
export { READINESS_PROBE_MODE };

/** What the delivery group reads besides the API input. */
export interface DeliveryInput extends ApiInput {
  /** The subscription to deliver through (from the subscription group). */
  subscription: DirectRequestPaymentWebhookSubscription;
  /** How long to wait for the delivery result. */
  timeout_ms: number;
}

/** `host:port` of a URL, for messages (`127.0.0.1:3000`). */
function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return url;
  }
}

function isLocalUrl(url: string): boolean {
  try {
    return isLoopbackHost(new URL(url).hostname);
  } catch {
    return false;
  }
}

/**
 * The fix for a delivery that got no HTTP answer, by the cause the delivery
 * log gives (`failure_reason`): a refused connection, an unknown host, a
 * timeout and a reset need different fixes. Without a cause, the generic one.
 */
function noAnswerFix(url: string, reason: string | null): string {
  const host = hostOf(url);
  const local = isLocalUrl(url);
  const code = reason?.match(/^([A-Z][A-Z0-9_]+)\b/)?.[1] ?? null;
  if (code === 'ECONNREFUSED') {
    // The log names the address it tried (`ECONNREFUSED 127.0.0.1:3000`), port included.
    const tried = reason?.split(' ')[1] ?? host;
    return `Nothing is listening at ${tried}: start your shop's server there (it must serve POST ${url}), or, if it listens on another port, point SHOP_WEBHOOK_URL and the webhook subscription at that port.`;
  }
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') {
    return `The host name in ${url} does not resolve: fix the host in SHOP_WEBHOOK_URL and the webhook subscription (or its DNS record).`;
  }
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'UND_ERR_SOCKET' || code === 'UND_ERR_CLOSED') {
    return `${host} accepted the connection and closed it without an answer: check the server's logs for a crash in the webhook route, or a proxy in front of it cutting the request.`;
  }
  if (code === 'ETIMEDOUT' || code === 'ENETUNREACH' || code === 'EHOSTUNREACH' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return `${host} could not be reached over the network: ${local ? 'check the address and port' : 'check that the server is reachable from the internet (firewall, security group, DNS)'}.`;
  }
  if (code !== null && /CERT|TLS|SSL/.test(code)) {
    return `The TLS connection to ${host} failed (${code}): serve a valid certificate for that host name, including the intermediate chain.`;
  }
  if (reason !== null && /^timeout after/.test(reason)) {
    return `${url} did not answer in time (${reason}): answer as soon as the event is verified and recorded, and do slow work (email, fulfilment) after answering.`;
  }
  if (reason !== null && reason.includes('drop_webhook_deliveries')) {
    return 'The sandbox fault drop_webhook_deliveries is on: clear it with POST /__sandbox/reset-faults on the sandbox.';
  }
  if (local) {
    return `Siglume could not get an answer from ${url}: make sure the server is running on ${host} and answers within a few seconds.`;
  }
  return `Siglume could not get an answer from ${url}: make sure the server is running, reachable from the internet and answers within a few seconds.`;
}

/**
 * The fix for a delivery the shop's endpoint did not accept, by the status it answered (or the cause, without
 * one). The delivery log carries no response body, so the fix names what the SDK's order handler answers for
 * each status (`error` codes, see `OrderWebhookErrorCode`) and how to see the shop's own answer.
 */
function deliveryFix(url: string, status: number | null, reason: string | null, subscriptionId: string): string {
  if (status === null) return noAnswerFix(url, reason);
  const trigger = `"siglume-sdrp webhook trigger unknown --url ${url}" shows the handler's answer.`;
  const secret = `the shop's SIGLUME_WEBHOOK_SECRET must be the signing secret of subscription ${subscriptionId}`;
  if (status === 400) {
    // A handler of its own that answers a failed signature check with 400: by far the usual cause.
    return [
      `Your handler refused the signed test event, most likely its signature: ${secret}.`,
      `Verify the Siglume-Signature header over the raw request body (not re-serialized JSON), and answer a signature that does not verify with 503 (webhookErrorStatus), so Siglume keeps the event; ${trigger}`,
    ].join('\n');
  }
  if (status === 401 || status === 403) {
    return 'Your handler rejected the event: verify the Siglume-Signature header with SIGLUME_WEBHOOK_SECRET over the raw request body (not re-serialized JSON), and do not put auth in front of the webhook route.';
  }
  if (status === 404 || status === 405) {
    return `Nothing handles POST ${url}: mount the webhook route at that path (the templates that "siglume-sdrp init" copies serve POST /payments/webhooks/siglume) or fix SHOP_WEBHOOK_URL.`;
  }
  if (status >= 300 && status < 400) {
    return `${url} redirects; Siglume does not follow redirects. Use the final https URL in the subscription and SHOP_WEBHOOK_URL.`;
  }
  if (status === 503) {
    // The SDK's handler answers 503 invalid_signature to a wrong secret (so Siglume keeps the event): the usual cause.
    return [
      `Your webhook handler answered 503, most likely because the signature did not verify ({"error":"invalid_signature"} from the SDK's handler; the shop's log has the WEBHOOK_SIGNATURE_MISMATCH): ${secret}, and the shop's clock must be right to within 5 minutes.`,
      `Otherwise the shop's log says why it answered 503; ${trigger}`,
    ].join('\n');
  }
  if (status >= 500) {
    return [
      `Your webhook handler failed (HTTP ${status}): look in the shop's log for the error, e.g. its database down or misconfigured ({"error":"webhook_processing_failed"} from the SDK's handler means its store failed); ${trigger}`,
      `Once it works, it must answer 2xx to a verified event it does not act on (mode "${READINESS_PROBE_MODE}").`,
    ].join('\n');
  }
  return `Your webhook handler answered ${status}: check its logs. It must answer 2xx to a verified event it does not act on (mode "${READINESS_PROBE_MODE}") instead of failing.`;
}

async function deliveryProbe(input: DeliveryInput, run: CheckRun): Promise<Checked<DirectRequestPaymentWebhookDelivery>> {
  const { config, timeout_ms: timeout } = input;
  const url = maskUrlCredentials(config.webhook_url); // quoted in messages only
  const subId = input.subscription.id;
  const client = await input.client();
  let eventId: string;
  const probeRequirementId = `dpr_readiness_${Date.now()}`;
  try {
    const queued = await client.queueWebhookTestDelivery(
      {
        event_type: DIRECT_PAYMENT_CONFIRMED_EVENT,
        data: {
          mode: READINESS_PROBE_MODE,
          // Marks the event for handlers that look for the flag rather than the mode (CONTRACT-2 section 18.5).
          readiness_probe: true,
          pricing_band: 'standard',
          settlement_status: READINESS_PROBE_MODE,
          // Placeholder payment references of the 0.5 probe: they name no real requirement or challenge.
          direct_payment_requirement_id: probeRequirementId,
          requirement_id: probeRequirementId,
          challenge_hash: 'sha256:readiness_probe',
          merchant: config.merchant,
          currency: config.currency,
          amount_minor: config.amount_minor,
          source: READINESS_PROBE_SOURCE,
        },
        subscription_ids: [subId],
      },
      input.request_options,
    );
    eventId = queued.event.id;
  } catch (error) {
    if (shapeMismatch(error)) return failed(fail('The test delivery answer has no event id', reportShapeFix(input.target)));
    return failed(apiFailure(input.target, 'Queueing the test delivery', error));
  }
  const signal = input.request_options.signal;
  let last: DirectRequestPaymentWebhookDelivery | null = null;
  let result;
  try {
    result = await pollUntil<DirectRequestPaymentWebhookDelivery>(
      async ({ attempt, elapsed_ms }) => {
        run.progress({ type: 'delivery_waiting', event_id: eventId, attempt, elapsed_ms, timeout_ms: timeout });
        const deliveries = await client.listWebhookDeliveries(
          { subscription_id: subId, event_type: DIRECT_PAYMENT_CONFIRMED_EVENT, limit: 10 },
          { ...input.request_options, timeout_ms: Math.max(1000, Math.min(5000, timeout)) },
        );
        const mine = deliveries.filter((d) => d.event_id === eventId);
        if (mine.length > 0) last = mine[mine.length - 1]!;
        const done = mine.find((d) => d.delivery_status === 'delivered') ?? mine.find((d) => d.delivery_status === 'failed');
        return done ? { done: true, value: done } : { done: false };
      },
      { timeout_ms: timeout, signal },
    );
  } catch (error) {
    if (signal?.aborted) throw error;
    return failed(apiFailure(input.target, 'Reading the webhook delivery log', error));
  }
  if (result.kind === 'timeout') {
    const pending = last as DirectRequestPaymentWebhookDelivery | null;
    const lastStatus = pending?.delivery_status || null;
    const within = `No delivery result for test event ${eventId} within ${timeout / 1000} s`;
    const details = { event_id: eventId, subscription_id: subId, delivery_status: lastStatus };
    // Siglume (and the sandbox) retries a failed attempt: the log may already say why the last one failed,
    // e.g. `timeout after 5000 ms` from a handler that never answers. That cause, not the wait, is the problem.
    const reason = pending?.failure_reason || null; // an empty one names no cause
    if (reason !== null) {
      const status = pending?.response_status ?? null;
      return failed(
        fail(
          `${within}: the last attempt failed (${status !== null && reason !== `HTTP ${status}` ? `response_status ${status}, ` : ''}${reason}) and Siglume is retrying (last status: ${lastStatus ?? 'unknown'})`,
          deliveryFix(url, status, reason, subId),
          { ...details, response_status: status, failure_reason: reason },
        ),
      );
    }
    return failed(
      fail(
        `${within} (${lastStatus ? `last status: ${lastStatus}` : 'not in the delivery log yet'})`,
        `Make sure ${url} is reachable from Siglume and answers within a few seconds: a handler that never answers looks like this (the delivery stays ${lastStatus ?? 'queued'} while Siglume waits for it and retries). Raise --timeout if deliveries are slow right now.`,
        details,
      ),
    );
  }
  const delivery = result.value;
  const status = delivery.response_status ?? null;
  const reason = delivery.delivery_status === 'delivered' ? null : (delivery.failure_reason ?? null);
  const details = {
    event_id: eventId,
    subscription_id: subId,
    delivery_id: delivery.id || null,
    delivery_status: delivery.delivery_status,
    response_status: status,
    failure_reason: reason,
    waited_ms: result.elapsed_ms,
  };
  if (delivery.delivery_status === 'delivered') {
    return found(pass(`Test event ${eventId} was delivered to ${url}${status !== null ? ` (HTTP ${status})` : ''}`, details), delivery);
  }
  return failed(
    fail(
      `Test event ${eventId} was not accepted by ${url}: ${status !== null ? `response_status ${status}` : 'no response'}${reason !== null && reason !== `HTTP ${status}` ? ` (${reason})` : ''}`,
      deliveryFix(url, status, reason, subId),
      details,
    ),
  );
}

/** Runs the delivery probe; null when it failed. */
export async function deliveryChecks(input: DeliveryInput, run: CheckRun): Promise<{ delivery: DirectRequestPaymentWebhookDelivery } | null> {
  const delivery = await run.check('webhook_delivery_probe_passed', () => deliveryProbe(input, run));
  return delivery.ok ? { delivery: delivery.fact } : null;
}
