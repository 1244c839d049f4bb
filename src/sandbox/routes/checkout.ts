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
  tokenForCurrency,
} from '../../core/validation.js';
import { SandboxHttpError, invalidField, notFound } from '../errors.js';
import { iso, newId } from '../ids.js';
import { finalityFor } from '../requirement.js';
import type { Route, RouteContext } from '../router.js';
import type { SandboxRuntime } from '../runtime.js';
import type { SandboxCheckoutSession, SandboxMerchant } from '../types.js';
import { sessionView } from '../views.js';

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
export function allowedReturnOrigins(m: SandboxMerchant): string[] {
  const origins = [...m.checkout_allowed_origins];
  if (m.webhook_callback_url) origins.push(new URL(m.webhook_callback_url).origin.toLowerCase());
  return [...new Set(origins)];
}

function checkReturnUrl(field: string, url: string, allowed: readonly string[]): void {
  const origin = new URL(url).origin.toLowerCase();
  if (!allowed.includes(origin)) {
    throw invalidField(
      field,
      `origin ${origin} is not an allowed checkout origin of this merchant (allowed: ${allowed.join(', ') || 'none'}). ` +
        'Add it to checkout_allowed_origins with setupMerchant.',
    );
  }
}

/** The 404 the checkout routes answer when Hosted Checkout is absent from this environment. */
function assertRoutesAvailable(rt: SandboxRuntime): void {
  if (!rt.store.data.hosted_checkout_routes) {
    throw new SandboxHttpError(404, 'ROUTE_NOT_FOUND', 'No route matches this path (Hosted Checkout is not available in this environment).');
  }
}

async function createCheckoutSession(ctx: RouteContext) {
  const { rt } = ctx;
  assertRoutesAvailable(rt);
  const input = parseInput(createSchema, ctx.body);
  const m = rt.store.requireMerchant(input.merchant);
  if (!m.hosted_checkout_enabled) {
    throw new SandboxHttpError(409, 'HOSTED_CHECKOUT_NOT_ENABLED', `Hosted Checkout is not enabled for merchant "${m.merchant}".`);
  }
  const token = m.allowed_currencies[input.currency];
  if (!token) {
    throw invalidField('currency', `${input.currency} is not an allowed currency of merchant "${m.merchant}" (allowed: ${Object.keys(m.allowed_currencies).join(', ')})`);
  }
  if (m.max_amount_minor !== null && input.amount_minor > m.max_amount_minor) {
    throw invalidField('amount_minor', `exceeds the merchant's max_amount_minor (${m.max_amount_minor})`);
  }
  const allowed = allowedReturnOrigins(m);
  checkReturnUrl('success_url', input.success_url, allowed);
  checkReturnUrl('cancel_url', input.cancel_url, allowed);

  const challenge = await createDirectRequestPaymentChallenge({
    secret: m.challenge_secret,
    merchant: m.merchant,
    amount_minor: input.amount_minor,
    currency: input.currency,
    nonce: input.nonce,
  });
  if (rt.store.requirementForChallenge(challenge.challenge_hash)?.status === 'paid') {
    throw new SandboxHttpError(
      409,
      'CHALLENGE_ALREADY_USED',
      'A payment with this merchant, amount, currency and nonce was already made. Use a new nonce for a new payment attempt.',
    );
  }
  const fees = feeBreakdownFor(input.currency, input.amount_minor, m.billing_plan);
  const nowMs = rt.store.nowMs();
  const session: SandboxCheckoutSession = {
    session_id: newId('cs'),
    status: 'open',
    merchant: m.merchant,
    amount_minor: input.amount_minor,
    currency: input.currency,
    token_symbol: token ?? tokenForCurrency(input.currency),
    nonce: challenge.nonce,
    challenge: challenge.challenge,
    challenge_hash: challenge.challenge_hash,
    requirement_id: null,
    pricing_band: fees.pricing_band,
    settlement_cadence: fees.settlement_cadence,
    finality: finalityFor(fees.pricing_band),
    protocol_fee_minor: fees.protocol_fee_minor,
    settlement_status: null,
    chain_receipt_id: null,
    success_url: input.success_url,
    cancel_url: input.cancel_url,
    metadata: input.metadata ?? {},
    event_id: null,
    created_at: iso(nowMs),
    updated_at: iso(nowMs),
    expires_at: iso(nowMs + rt.options.sessionTtlSeconds * 1000),
    paid_at: null,
    cancelled_at: null,
  };
  rt.store.data.checkout_sessions[session.session_id] = session;
  rt.store.changed();
  return { status: 201, data: sessionView(rt, session) };
}

function getCheckoutSession(ctx: RouteContext) {
  assertRoutesAvailable(ctx.rt);
  const id = ctx.params.session_id ?? '';
  const s = ctx.rt.store.session(id);
  if (!s) throw notFound('CHECKOUT_SESSION_NOT_FOUND', `Checkout session "${id}" does not exist in this sandbox.`);
  return { data: sessionView(ctx.rt, s) };
}

/** Routes under `/v1/sdrp/direct-payments/checkout-sessions`. */
export const checkoutRoutes: Route[] = [
  { method: 'POST', pattern: '/sdrp/direct-payments/checkout-sessions', auth: 'merchant', handler: createCheckoutSession },
  { method: 'GET', pattern: '/sdrp/direct-payments/checkout-sessions/:session_id', auth: 'merchant', handler: getCheckoutSession },
];
