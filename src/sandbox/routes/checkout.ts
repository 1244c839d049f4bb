/**
 * Hosted Checkout sessions. The sandbox issues the session's one-time challenge with the merchant's
 * challenge secret, as Siglume does, and points `checkout_url` at its own hosted page.
 */
import { createDirectRequestPaymentChallenge } from '../../challenges/challenge.js';
import { createCheckoutSessionInputSchema } from '../../clients/schemas/checkout-session.js';
import { feeBreakdownFor } from '../../core/pricing.js';
import { parseInput } from '../../core/validation.js';
import type { SandboxCore } from '../core.js';
import { SandboxHttpError, invalidField } from '../errors.js';
import { route, type Route, type RouteInput } from '../http.js';
import { newSession, sessionView, type SandboxMerchant } from '../records.js';

/** Origins a merchant's return URLs may use: its allowed origins plus its webhook URL's origin. */
function allowedReturnOrigins(m: SandboxMerchant): string[] {
  const origins = [...m.checkout_allowed_origins];
  if (m.webhook_callback_url) origins.push(new URL(m.webhook_callback_url).origin.toLowerCase());
  return [...new Set(origins)];
}

/** Checkout session routes. */
export function checkoutRoutes(core: SandboxCore): Route[] {
  const { store } = core;
  // The 404 the checkout routes answer when Hosted Checkout is absent from this environment.
  const assertAvailable = () => {
    if (store.data.hosted_checkout_routes) return;
    throw new SandboxHttpError(
      404,
      'ROUTE_NOT_FOUND',
      'No route matches this path (Hosted Checkout is not available in this environment).',
    );
  };

  async function createCheckoutSession({ body }: RouteInput) {
    assertAvailable();
    const input = parseInput(createCheckoutSessionInputSchema(), body);
    const m = store.require('merchants', input.merchant);
    if (!m.hosted_checkout_enabled) {
      throw new SandboxHttpError(
        409,
        'HOSTED_CHECKOUT_NOT_ENABLED',
        `Hosted Checkout is not enabled for merchant "${m.merchant}".`,
      );
    }
    const token_symbol = m.allowed_currencies[input.currency];
    if (!token_symbol) {
      const allowed = Object.keys(m.allowed_currencies).join(', ');
      throw invalidField(
        'currency',
        `${input.currency} is not an allowed currency of merchant "${m.merchant}" (allowed: ${allowed})`,
      );
    }
    if (m.max_amount_minor !== null && input.amount_minor > m.max_amount_minor) {
      throw invalidField('amount_minor', `exceeds the merchant's max_amount_minor (${m.max_amount_minor})`);
    }
    const allowed = allowedReturnOrigins(m);
    for (const field of ['success_url', 'cancel_url'] as const) {
      const origin = new URL(input[field]).origin.toLowerCase();
      if (allowed.includes(origin)) continue;
      const list = allowed.join(', ') || 'none';
      throw invalidField(
        field,
        `origin ${origin} is not an allowed checkout origin of this merchant (allowed: ${list}). Add it with setupMerchant.`,
      );
    }
    const { merchant, amount_minor, currency, nonce, success_url, cancel_url } = input;
    const challenge = await createDirectRequestPaymentChallenge({
      secret: m.challenge_secret,
      merchant,
      amount_minor,
      currency,
      nonce,
    });
    if (store.requirementForChallenge(challenge.challenge_hash)?.status === 'paid') {
      const message =
        'A payment with this merchant, amount, currency and nonce was already made. Use a new nonce for a new payment attempt.';
      throw new SandboxHttpError(409, 'CHALLENGE_ALREADY_USED', message);
    }
    const terms = { merchant, amount_minor, currency, token_symbol, challenge_hash: challenge.challenge_hash };
    const fees = feeBreakdownFor(currency, amount_minor, m.billing_plan);
    const more = { nonce, challenge: challenge.challenge, success_url, cancel_url, metadata: input.metadata ?? {} };
    const session = store.put(
      'checkout_sessions',
      newSession(terms, fees, more, store.nowMs(), core.options.session_ttl_seconds),
    );
    return { status: 201, data: sessionView(session, core.origin) };
  }

  const base = '/sdrp/direct-payments/checkout-sessions';
  return [
    route('POST', base, 'merchant', createCheckoutSession),
    route('GET', `${base}/:session_id`, 'merchant', ({ params }) => {
      assertAvailable();
      return { data: sessionView(store.session(params.session_id!), core.origin) };
    }),
  ];
}
