/**
 * Hosted Checkout sessions. The sandbox issues the session's one-time
 * challenge with the merchant's challenge secret, as Siglume does, and points
 * `checkout_url` at its own hosted page.
 */
import { z } from 'zod';
import { createDirectRequestPaymentChallenge } from '../../challenges/challenge.js';
import { feeBreakdownFor } from '../../core/pricing.js';
import {
  absoluteUrlSchema,
  currencySchema,
  jsonObjectSchema,
  merchantKeySchema,
  nonceSchema,
  parseInput,
  positiveSafeIntegerSchema,
} from '../../core/validation.js';
import type { SandboxCore } from '../core.js';
import { SandboxHttpError, invalidField } from '../errors.js';
import type { Route, RouteInput } from '../http.js';
import { iso, newId } from '../ids.js';
import { finalityFor } from '../payments.js';
import type { SandboxCheckoutSession, SandboxMerchant } from '../types.js';
import { sessionView } from '../records.js';

const createSchema = z.object({
  merchant: merchantKeySchema,
  amount_minor: positiveSafeIntegerSchema,
  currency: currencySchema,
  nonce: nonceSchema.check(z.refine((n: string) => n.length <= 200, { error: 'must be at most 200 characters' })),
  success_url: absoluteUrlSchema(true),
  cancel_url: absoluteUrlSchema(true),
  metadata: z.nullish(jsonObjectSchema),
});

/** Origins a merchant's return URLs may use: its allowed origins plus its webhook URL's origin. */
function allowedReturnOrigins(m: SandboxMerchant): string[] {
  const origins = [...m.checkout_allowed_origins];
  if (m.webhook_callback_url) origins.push(new URL(m.webhook_callback_url).origin.toLowerCase());
  return [...new Set(origins)];
}

/** Routes under `/v1/sdrp/direct-payments/checkout-sessions`. */
export function checkoutRoutes(core: SandboxCore): Route[] {
  const { store } = core;
  // The 404 the checkout routes answer when Hosted Checkout is absent from this environment.
  const assertAvailable = () => {
    if (!store.data.hosted_checkout_routes) {
      throw new SandboxHttpError(
        404,
        'ROUTE_NOT_FOUND',
        'No route matches this path (Hosted Checkout is not available in this environment).',
      );
    }
  };

  async function createCheckoutSession({ body }: RouteInput) {
    assertAvailable();
    const input = parseInput(createSchema, body);
    const m = store.requireMerchant(input.merchant);
    if (!m.hosted_checkout_enabled)
      throw new SandboxHttpError(
        409,
        'HOSTED_CHECKOUT_NOT_ENABLED',
        `Hosted Checkout is not enabled for merchant "${m.merchant}".`,
      );
    const token = m.allowed_currencies[input.currency];
    if (!token) {
      throw invalidField(
        'currency',
        `${input.currency} is not an allowed currency of merchant "${m.merchant}" (allowed: ${Object.keys(m.allowed_currencies).join(', ')})`,
      );
    }
    if (m.max_amount_minor !== null && input.amount_minor > m.max_amount_minor)
      throw invalidField('amount_minor', `exceeds the merchant's max_amount_minor (${m.max_amount_minor})`);
    const allowed = allowedReturnOrigins(m);
    for (const field of ['success_url', 'cancel_url'] as const) {
      const origin = new URL(input[field]).origin.toLowerCase();
      if (!allowed.includes(origin)) {
        throw invalidField(
          field,
          `origin ${origin} is not an allowed checkout origin of this merchant (allowed: ${allowed.join(', ') || 'none'}). Add it to checkout_allowed_origins with setupMerchant.`,
        );
      }
    }
    const { merchant, amount_minor, currency, nonce } = input;
    const challenge = await createDirectRequestPaymentChallenge({
      secret: m.challenge_secret,
      merchant,
      amount_minor,
      currency,
      nonce,
    });
    if (store.requirementForChallenge(challenge.challenge_hash)?.status === 'paid') {
      throw new SandboxHttpError(
        409,
        'CHALLENGE_ALREADY_USED',
        'A payment with this merchant, amount, currency and nonce was already made. Use a new nonce for a new payment attempt.',
      );
    }
    const { pricing_band, settlement_cadence, protocol_fee_minor } = feeBreakdownFor(
      currency,
      amount_minor,
      m.billing_plan,
    );
    const nowMs = store.nowMs();
    const session: SandboxCheckoutSession = {
      session_id: newId('cs'),
      status: 'open',
      merchant,
      amount_minor,
      currency,
      token_symbol: token,
      nonce: challenge.nonce,
      challenge: challenge.challenge,
      challenge_hash: challenge.challenge_hash,
      requirement_id: null,
      event_id: null,
      pricing_band,
      settlement_cadence,
      finality: finalityFor(pricing_band),
      protocol_fee_minor,
      settlement_status: null,
      chain_receipt_id: null,
      success_url: input.success_url,
      cancel_url: input.cancel_url,
      metadata: input.metadata ?? {},
      created_at: iso(nowMs),
      updated_at: iso(nowMs),
      expires_at: iso(nowMs + core.options.session_ttl_seconds * 1000),
      paid_at: null,
      cancelled_at: null,
    };
    store.data.checkout_sessions[session.session_id] = session;
    store.changed();
    return { status: 201, data: sessionView(session, core.origin) };
  }

  function getCheckoutSession({ params }: RouteInput) {
    assertAvailable();
    return { data: sessionView(store.requireSession(params.session_id ?? ''), core.origin) };
  }

  return [
    {
      method: 'POST',
      path: '/sdrp/direct-payments/checkout-sessions',
      auth: 'merchant',
      handler: createCheckoutSession,
    },
    {
      method: 'GET',
      path: '/sdrp/direct-payments/checkout-sessions/:session_id',
      auth: 'merchant',
      handler: getCheckoutSession,
    },
  ];
}
