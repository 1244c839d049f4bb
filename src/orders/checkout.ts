/**
 * Starting a Hosted Checkout for one order (CONTRACT section 11,
 * CONTRACT-2 section 20): authorize, price from the store, one attempt and
 * one session per order, answered as data (status + body).
 */
import type { DirectRequestPaymentCheckoutSessionCreateInput } from '../clients/schemas/checkout-session.js';
import { HostedCheckoutNotAvailableError, SiglumeApiError, SiglumeDirectRequestPaymentError, SiglumeHostedCheckoutReadinessRequiredError, SiglumeNotFoundError, SiglumeRateLimitError } from '../core/errors.js';
import { pricingBandFor } from '../core/pricing.js';
import { randomId } from '../core/crypto.js';
import { checkoutIdempotencyKey } from './checkout-key.js';
import { sessionCannotBePaid } from './confirm.js';
import { isStorableId } from './ids.js';
import type { ResolvedOrderCheckoutOptions } from './options.js';
import { expiresWithinReuseMargin } from './session-reuse.js';
import type { OrderCheckoutAttempt, OrderRecord } from './store.js';

/** Error codes of the checkout start answer. */
export type OrderCheckoutErrorCode =
  | 'invalid_request'
  | 'invalid_order_id'
  | 'payload_too_large'
  | 'order_not_found'
  | 'order_not_payable'
  | 'order_changed'
  | 'METERED_INTEGRATION_REQUIRED'
  | 'hosted_checkout_not_enabled'
  | 'checkout_unavailable'
  | 'checkout_failed';

/**
 * Answer of `startCheckout`, tagged by `kind`; send `body` as JSON with `status`.
 * - `redirect` (200): send the buyer to `body.checkout_url`. `reused` when an
 *   earlier start's session was handed out again.
 * - `creating` (202): another request is creating this order's session; try
 *   again after `retry_after_ms`.
 * - `refused`: 400 `invalid_request` / `invalid_order_id`, 413
 *   `payload_too_large`, 404 `order_not_found` (also someone else's order), 409
 *   `order_not_payable` / `order_changed` / `METERED_INTEGRATION_REQUIRED` /
 *   `hosted_checkout_not_enabled`, 502 `checkout_unavailable` (Siglume
 *   failed), 500 `checkout_failed` (the store failed; reported to `onError`).
 */
export type OrderCheckoutStartResult =
  | { kind: 'redirect'; status: 200; reused: boolean; body: { checkout_url: string; session_id: string } }
  | { kind: 'creating'; status: 202; body: { status: 'creating'; retry_after_ms: number } }
  | { kind: 'refused'; status: 400 | 404 | 409 | 413 | 500 | 502; body: { error: OrderCheckoutErrorCode; message: string } };

type Refused = Extract<OrderCheckoutStartResult, { kind: 'refused' }>;

/** A refused answer. */
export function refuseCheckout(status: Refused['status'], error: OrderCheckoutErrorCode, message: string): Refused {
  return { kind: 'refused', status, body: { error, message } };
}

function sane(order: OrderRecord): boolean {
  return Number.isSafeInteger(order.amount_minor) && order.amount_minor > 0 && (order.currency === 'JPY' || order.currency === 'USD');
}

/** The look-up's answer when Siglume says the session does not exist (404). */
const NO_SUCH_SESSION = 'not_found';

/** How long a start waits for Siglume's view of a stored session before handing it out as it is, ms. */
const SESSION_LOOKUP_TIMEOUT_MS = 3000;

/**
 * What becomes of a stored session ({@link OrderCheckoutAttemptStart} `reuse`): `replace` it with a new one when
 * Siglume says it can no longer be paid ({@link sessionCannotBePaid}), or when it is near its end or the order was
 * re-priced since and Siglume says, freshly, that it is still `open` (nobody signed in); else `hand_out` it again.
 * A paid session whose webhook was lost is handed out (the buyer sees that it is paid), never replaced: a second
 * session would take a second payment for the order. `unknown` when the look-up fails or takes over 3 s (no retry): the caller hands the
 * session out as it is, unless the order was re-priced (then the start answers 502). One session is asked about at
 * most once per 5 s however often the buyer starts (session-lookups.ts says why that is safe).
 */
async function storedSessionFate<U>(
  o: ResolvedOrderCheckoutOptions<U>,
  start: { session: { checkout_session_id: string }; near_end?: boolean; changed?: boolean },
): Promise<'hand_out' | 'replace' | 'unknown'> {
  const session_id = start.session.checkout_session_id;
  const unlessPaid = start.near_end === true || start.changed === true;
  const settled = (s: string) => s === 'paid' || s === NO_SUCH_SESSION || sessionCannotBePaid(s);
  const status = await o.session_lookups.status(session_id, async () => {
    try {
      return (await o.client.getCheckoutSession(session_id, { timeout_ms: SESSION_LOOKUP_TIMEOUT_MS, max_retries: 0 })).status;
    } catch (error) {
      // Siglume has no such session (a sandbox restarted without its state file, another account): nothing to pay.
      return error instanceof SiglumeNotFoundError ? NO_SUCH_SESSION : null;
    }
  }, unlessPaid ? settled : undefined);
  if (status === null) return 'unknown';
  if (status === NO_SUCH_SESSION) return unlessPaid ? 'replace' : 'hand_out';
  // Only a session nobody has signed in to is replaced early: `authenticated` (a buyer on the page, perhaps paying
  // now), `paid`, `failed` and any status this SDK does not know are handed out.
  return sessionCannotBePaid(status) || (unlessPaid && status === 'open') ? 'replace' : 'hand_out';
}

/**
 * Whether Siglume refused the request itself: nothing was made, and its key would only replay the refusal. A 4xx
 * but 429, and of the 409s only Hosted Checkout's own refusals: another 409 may say that a request with the same
 * key is still running (a start whose creation lease ran out while it waited), whose session must not be retired.
 */
const refused = (error: unknown): error is SiglumeApiError =>
  error instanceof SiglumeApiError && error.status >= 400 && error.status < 500 && error.status !== 429 &&
  (error.status !== 409 || error instanceof HostedCheckoutNotAvailableError || error instanceof SiglumeHostedCheckoutReadinessRequiredError);

/** Whether a session expires within the reuse margin (the store's rule for a stored session); one without a readable `expires_at` is trusted. */
function nearItsEnd<U>(o: ResolvedOrderCheckoutOptions<U>, session: { expires_at?: string | null | undefined }): boolean {
  const expires = session.expires_at ? new Date(session.expires_at) : null;
  return expires !== null && !Number.isNaN(expires.getTime()) && expiresWithinReuseMargin(expires, o.session_reuse_margin_seconds);
}

/**
 * Creates the attempt's session under its Idempotency-Key ({@link checkoutIdempotencyKey}): a start after one whose
 * answer was lost gets the session Siglume made then, not a second one. A failed attempt may be reused days later,
 * and the replay is then the session made back then: one that expires within the reuse margin is not sent to the
 * buyer, and one more is made under a fresh key. When the fresh one is as close to its end, the margin is at least
 * Siglume's session lifetime, so every start would do this: reported, and the session handed out.
 */
async function createSession<U>(o: ResolvedOrderCheckoutOptions<U>, attempt: OrderCheckoutAttempt, input: DirectRequestPaymentCheckoutSessionCreateInput) {
  const session = await o.client.createCheckoutSession(input, { idempotency_key: await checkoutIdempotencyKey(attempt.attempt_id, input) });
  if (!nearItsEnd(o, session)) return session;
  const fresh = await o.client.createCheckoutSession(input);
  if (nearItsEnd(o, fresh)) {
    const message = `session_reuse_margin_seconds (${o.session_reuse_margin_seconds}) is not shorter than the lifetime of Siglume's checkout sessions (a new one expires at ${fresh.expires_at}): each start makes two sessions and no session is handed out twice; lower it`;
    o.report(new SiglumeDirectRequestPaymentError(message, { code: 'SESSION_REUSE_MARGIN_TOO_LONG' }), { operation: 'checkout', order_id: attempt.order_id });
  }
  return fresh;
}

/** The answer to a start whose session Siglume refused or failed to create. */
function creationFailure(error: unknown): Refused {
  if (error instanceof HostedCheckoutNotAvailableError) {
    return refuseCheckout(409, 'hosted_checkout_not_enabled', 'Hosted Checkout is not enabled for this merchant');
  }
  return error instanceof SiglumeDirectRequestPaymentError
    ? refuseCheckout(502, 'checkout_unavailable', 'Could not start the checkout; try again')
    : refuseCheckout(500, 'checkout_failed', 'Could not start the checkout; try again');
}

/** Runs one checkout start. Never throws: store and Siglume failures become 5xx answers. */
export async function startOrderCheckout<U>(o: ResolvedOrderCheckoutOptions<U>, order_id: unknown, user: U): Promise<OrderCheckoutStartResult> {
  // Only the order id comes from the browser; amount and currency come from the store.
  if (!isStorableId(order_id)) {
    return refuseCheckout(400, 'invalid_order_id', 'order_id must be a string of 1-256 characters without control characters');
  }
  const metered = (amount: number, currency: OrderRecord['currency']) =>
    !o.policy.allow_metered_payments && pricingBandFor(currency, amount) !== 'standard';
  const meteredRefusal = () =>
    refuseCheckout(409, 'METERED_INTEGRATION_REQUIRED', 'This amount is in the Micro / Nano band; enable allow_metered_payments to accept it (SHOP_ALLOW_METERED_PAYMENTS=true in the templates)');
  const failed = (error: unknown) => {
    o.report(error, { operation: 'checkout', order_id });
    return refuseCheckout(500, 'checkout_failed', 'Could not start the checkout; try again');
  };

  let attempt: OrderCheckoutAttempt;
  try {
    const order = await o.store.findOrder(order_id);
    // Someone else's order is answered exactly like a missing one (no id probing).
    if (!order || (o.authorize && (await o.authorize(order, user)) !== true)) {
      return refuseCheckout(404, 'order_not_found', 'No such order for this user');
    }
    if (!sane(order)) {
      throw new SiglumeDirectRequestPaymentError(
        `order ${order_id} cannot be charged as the store has it: amount_minor ${String(order.amount_minor)} (must be a positive ` +
          `integer of minor units, JPY yen or USD cents, at most 2^53 - 1) and currency ${JSON.stringify(order.currency)} (must be JPY or USD)`,
      );
    }
    if (order.status !== 'pending') return refuseCheckout(409, 'order_not_payable', `The order is ${order.status}`);
    if (metered(order.amount_minor, order.currency)) return meteredRefusal();
    // Siglume failed to make this order's session in the last 5 s: the same answer, with no new attempt, request or report.
    const recent = o.checkout_failures.get(order.order_id);
    if (recent) return creationFailure(recent.error);

    // The store's spelling of the id from here on (`01000` may have found order 1000): the webhook finds the order by it.
    const begin = () =>
      o.store.beginCheckoutAttempt(order.order_id, {
        new_nonce: `sdrp-${randomId().replaceAll('-', '')}`,
        creation_lease_seconds: o.creation_lease_seconds,
        session_reuse_margin_seconds: o.session_reuse_margin_seconds,
        default_session_lifetime_seconds: o.default_session_lifetime_seconds,
      });
    let start = await begin();
    // A buyer who pressed Cancel (or let the page expire) and comes back would be sent to the dead session again,
    // one near its end would soon be dead, and one made before a re-price charges the old price: retire such a
    // session's attempt and begin anew (once).
    if (start.kind === 'reuse') {
      const fate = await storedSessionFate(o, start);
      if (fate === 'unknown' && start.changed === true) {
        return refuseCheckout(502, 'checkout_unavailable', 'Could not start the checkout; try again');
      }
      if (fate === 'replace') {
        await o.store.retireCheckoutAttempt(start.attempt.attempt_id, start.changed === true ? 'superseded' : 'expired');
        start = await begin();
      }
    }
    switch (start.kind) {
      case 'not_found':
        return refuseCheckout(404, 'order_not_found', 'No such order for this user');
      case 'not_payable':
        return refuseCheckout(409, 'order_not_payable', `The order is ${start.order.status}`);
      case 'reuse':
        return { kind: 'redirect', status: 200, reused: true, body: { checkout_url: start.session.checkout_url, session_id: start.session.checkout_session_id } };
      case 'creating':
        return { kind: 'creating', status: 202, body: { status: 'creating', retry_after_ms: o.retry_after_ms } };
      case 'create':
        attempt = start.attempt;
        break;
      default: {
        const unexpected: never = start;
        throw new SiglumeDirectRequestPaymentError(`unexpected beginCheckoutAttempt result ${JSON.stringify(unexpected)}`);
      }
    }
    // The price may have changed since findOrder; the attempt's snapshot is what gets charged.
    if (metered(attempt.amount_minor, attempt.currency)) return meteredRefusal();
  } catch (error) {
    return failed(error);
  }

  const q = `?order_id=${encodeURIComponent(attempt.order_id)}`;
  // The attempt's nonce is stable: a retry after a crash signs the same challenge.
  const input: DirectRequestPaymentCheckoutSessionCreateInput = {
    merchant: o.policy.merchant,
    amount_minor: attempt.amount_minor,
    currency: attempt.currency,
    nonce: attempt.nonce,
    success_url: `${o.origin}${o.base_path}/checkout/siglume/success${q}`,
    cancel_url: `${o.origin}${o.base_path}/checkout/siglume/cancel${q}`,
    metadata: { order_id: attempt.order_id },
  };
  let session;
  try {
    session = await createSession(o, attempt, input);
  } catch (error) {
    try {
      await o.store.markCheckoutFailed(attempt, error instanceof Error ? error.message : 'createCheckoutSession failed');
      // Siglume keeps a refusal under the attempt's key and would answer every later start with it, even once the
      // cause is set right (Hosted Checkout enabled, the origin allowed): the next start begins a new attempt instead.
      if (refused(error)) await o.store.retireCheckoutAttempt(attempt.attempt_id);
    } catch (storeError) {
      o.report(storeError, { operation: 'checkout', order_id }); // the lease then simply runs out
    }
    // The operator needs the upstream answer (for a 409, often a SIGLUME_API_BASE without /v1); the buyer, a plain one.
    o.report(error, { operation: 'checkout', order_id });
    // Only a refusal that made nothing: after a lost answer (a timeout, a 5xx page) Siglume may have made the session,
    // and a 409 for a request still running under the key will have; the next start must ask again at once.
    if ((refused(error) || error instanceof SiglumeRateLimitError) && !error.may_have_acted) {
      o.checkout_failures.remember(attempt.order_id, error);
    }
    return creationFailure(error);
  }
  try {
    // Stored BEFORE the buyer is sent to pay: the challenge hash is how the webhook finds the order.
    const stored = await o.store.markCheckoutPending(attempt, {
      checkout_session_id: session.session_id,
      checkout_url: session.checkout_url,
      challenge_hash: session.challenge_hash,
      expires_at: session.expires_at ?? null,
    });
    if (!stored) return refuseCheckout(409, 'order_changed', 'The order changed while the checkout was being created; start again');
    return { kind: 'redirect', status: 200, reused: false, body: { checkout_url: stored.checkout_url, session_id: stored.checkout_session_id } };
  } catch (error) {
    return failed(error);
  }
}
