/**
 * Hosted Checkout sessions, and the per-session routes of CONTRACT-2 section 19.3 that pay a session or
 * send its confirmation again without a browser. The sandbox issues the session's one-time challenge
 * with the merchant's challenge secret, as Siglume does, and points `checkout_url` at its hosted page.
 */
import { createDirectRequestPaymentChallenge } from '../../challenges/challenge.js';
import { createCheckoutSessionInputSchema } from '../../clients/schemas/checkout-session.js';
import { feeBreakdownFor } from '../../core/pricing.js';
import { parseInput } from '../../core/validation.js';
import type { SandboxCore } from '../core.js';
import { conflict, invalidField, notFound } from '../errors.js';
import { route, type Route, type RouteInput } from '../http.js';
import { checkoutRefusal } from '../readiness.js';
import {
  checkMaxAmount,
  merchantToken,
  newSession,
  sessionView,
  successRedirect,
  type SandboxMerchant,
} from '../records.js';

/** Origins a merchant's return URLs may use: its allowed origins plus its webhook URL's origin. */
function allowedReturnOrigins(m: SandboxMerchant): string[] {
  const origins = [...m.checkout_allowed_origins];
  if (m.webhook_callback_url) origins.push(new URL(m.webhook_callback_url).origin.toLowerCase());
  return [...new Set(origins)];
}

/** The 404 the checkout routes answer when Hosted Checkout is absent from this environment. */
const UNAVAILABLE = 'No route matches this path (Hosted Checkout is not available in this environment).';

export function checkoutRoutes(core: SandboxCore): Route[] {
  const { store, payments, webhooks } = core;
  const assertAvailable = () => {
    if (!store.data.hosted_checkout_routes) throw notFound('ROUTE_NOT_FOUND', UNAVAILABLE);
  };

  async function createCheckoutSession({ body }: RouteInput) {
    assertAvailable();
    const input = parseInput(createCheckoutSessionInputSchema(), body);
    const m = store.require('merchants', input.merchant);
    if (!m.hosted_checkout_enabled) {
      throw conflict('HOSTED_CHECKOUT_NOT_ENABLED', `Hosted Checkout is not enabled for merchant "${m.merchant}".`);
    }
    const refusal = checkoutRefusal(m, store);
    if (refusal) {
      const { missing_requirements, blockers, checks } = refusal;
      const details = { missing_requirements, blockers, checks: checks.filter((c) => c.status === 'fail') };
      const open = [...missing_requirements, ...blockers].join(', ');
      const message = `Merchant "${m.merchant}" asked for live mode, which is not ready (${open}); see getMerchantReadiness.`;
      throw conflict('HOSTED_CHECKOUT_READINESS_REQUIRED', message, { details });
    }
    const token_symbol = merchantToken(m, input.currency);
    checkMaxAmount(m, input.amount_minor);
    const allowed = allowedReturnOrigins(m);
    for (const field of ['success_url', 'cancel_url'] as const) {
      const origin = new URL(input[field]).origin.toLowerCase();
      if (allowed.includes(origin)) continue;
      const list = allowed.join(', ') || 'none';
      const restart = `restart the sandbox with \`siglume-sdrp sandbox --origin ${origin}\` or `;
      const reason = `origin ${origin} is not an allowed checkout origin of this merchant (allowed: ${list}): ${m.merchant === store.data.seed.merchant ? restart : ''}add it with setupMerchant.`;
      throw invalidField(field, reason);
    }
    const { merchant, amount_minor, currency, nonce, success_url, cancel_url } = input;
    const secret = m.challenge_secret;
    const challenge = await createDirectRequestPaymentChallenge({ secret, merchant, amount_minor, currency, nonce });
    if (store.requirementForChallenge(challenge.challenge_hash)?.status === 'paid') {
      const message =
        'A payment with this merchant, amount, currency and nonce was already made. Use a new nonce for a new payment attempt.';
      throw conflict('CHALLENGE_ALREADY_USED', message);
    }
    const terms = { merchant, amount_minor, currency, token_symbol, challenge_hash: challenge.challenge_hash };
    const fees = feeBreakdownFor(currency, amount_minor, m.billing_plan);
    const more = { nonce, challenge: challenge.challenge, success_url, cancel_url, metadata: input.metadata ?? {} };
    const session = newSession(terms, fees, more, store.nowMs(), core.options.session_ttl_seconds);
    store.put('checkout_sessions', session);
    return { status: 201, data: sessionView(session, core.origin) };
  }

  /** Pays a session, as the hosted page's Pay button does; a repeat answers the same and sends nothing. */
  async function confirm({ params }: RouteInput) {
    const { session, event_id } = await payments.payCheckoutSession(params.session_id!);
    const { id, type } = store.require('events', event_id!);
    return { data: { status: 'paid', redirect_url: successRedirect(session), event: { id, type } } };
  }

  /** Sends a paid session's confirmation again: 200 when every delivery got a 2xx, 502 otherwise. */
  async function redeliver({ params }: RouteInput) {
    const s = store.session(params.session_id!);
    if (s.status !== 'paid' || !s.event_id) {
      const message = `Checkout session "${s.session_id}" is ${s.status}: confirm it first.`;
      throw conflict('CHECKOUT_SESSION_NOT_CONFIRMED', message);
    }
    const deliveries = await webhooks.redeliver(s.event_id);
    const last = deliveries.find((d) => d.delivery_status !== 'delivered') ?? deliveries[0]!;
    const event = { id: s.event_id, type: last.event_type };
    const { delivery_status, response_status, failure_reason } = last;
    const data = { redelivered: true, event, delivery_status, response_status, failure_reason, deliveries };
    return { status: delivery_status === 'delivered' ? 200 : 502, data };
  }

  const base = '/sdrp/direct-payments/checkout-sessions';
  return [
    route('POST', base, 'merchant', createCheckoutSession),
    route('GET', `${base}/:session_id`, 'merchant', ({ params }) => {
      assertAvailable();
      return { data: sessionView(store.session(params.session_id!), core.origin) };
    }),
    route('POST', '/sandbox/checkout-sessions/:session_id/confirm', 'merchant', confirm),
    route('POST', '/sandbox/checkout-sessions/:session_id/redeliver', 'merchant', redeliver),
  ];
}
