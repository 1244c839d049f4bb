/**
 * The buyer's recurring routes of CONTRACT-2 section 17: a subscription from a `monthly` recurring
 * challenge; a scheduled autopay authorization from a `daily` one, revoked by the buyer and executed by
 * its scheduler with the authorization's `schedule_token` (not the buyer token). Each recurring challenge
 * must verify against the merchant's current secret and is single-use. A run pays through the same path
 * as a checkout payment: a requirement, a receipt and a signed `direct_payment.confirmed` event.
 */
import * as z from 'zod/mini';
import { directRequestPaymentChallengeHash } from '../../challenges/challenge.js';
import {
  verifyDirectRequestPaymentRecurringChallenge,
  type DirectRequestPaymentRecurringChallengeVerifyFields,
} from '../../challenges/recurring.js';
import { lazySchema } from '../../clients/schemas/common.js';
import {
  scheduledAuthorizationCreateInputSchema,
  scheduledAutoPayExecuteInputSchema,
  subscriptionCreateInputSchema,
} from '../../clients/schemas/recurring.js';
import { DIRECT_REQUEST_PAYMENT_MODE as MODE } from '../../core/constants.js';
import { sha256Tagged, timingSafeEqualString } from '../../core/crypto.js';
import { STANDARD_FEE_BPS, pricingBandFor } from '../../core/pricing.js';
import * as V from '../../core/validation.js';
import { canonicalChallenge } from '../../internal/challenge-input.js';
import type { SandboxCore } from '../core.js';
import { SandboxHttpError, conflict, invalidField } from '../errors.js';
import { route, type Route, type RouteAnswer, type RouteInput } from '../http.js';
import { API_DELIVERY_WAIT_MS } from '../payments.js';
import { checkMaxAmount, merchantToken, publicView, type PaymentTerms, type SandboxMerchant } from '../records.js';
import {
  newAutoPayAuthorization,
  newRecurringSubscription,
  type AutoPayRun,
  type SandboxAutoPayAuthorization,
} from '../recurring.js';

// The clients' own input schemas. A subscription's challenge need only be a string here: a malformed one
// fails verification (422 INVALID_CHALLENGE) after the merchant lookup, as any other wrong challenge does.
const subscriptionSchema = lazySchema(() =>
  z.extend(subscriptionCreateInputSchema(), { challenge: V.nonEmptyStringSchema }),
);
// The scheduler's token comes as the bearer token, never in the body.
const executeSchema = lazySchema(() => z.omit(scheduledAutoPayExecuteInputSchema(), { schedule_token: true }));

/** An ISO 8601 date and time with its zone, e.g. `2026-12-31T23:59:59Z`. */
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2})$/;

/** What a recurring challenge approves. */
type Approval = DirectRequestPaymentRecurringChallengeVerifyFields & { currency: V.DirectRequestPaymentCurrency };

/** The cadence whose challenge approves each use (CONTRACT section 6): a monthly one is not a daily autopay tag. */
const CADENCE_FOR = { subscription: 'monthly', 'scheduled autopay authorization': 'daily' } as const;

/** The fields that the client's schema leaves optional but an SDRP authorization needs; 422 names a missing one. */
function required<T extends Record<string, unknown>>(fields: T): { [K in keyof T]-?: NonNullable<T[K]> } {
  for (const [field, value] of Object.entries(fields))
    if (value === undefined) throw invalidField(field, 'is required');
  return fields as { [K in keyof T]-?: NonNullable<T[K]> };
}

export function recurringRoutes({ store, payments, webhooks }: SandboxCore): Route[] {
  const running = new Map<string, Promise<RouteAnswer>>();

  /**
   * Verifies a recurring challenge and, in the same step as the single-use check, stores what it approves,
   * so two concurrent redemptions cannot both succeed.
   */
  async function redeem<T>(
    approval: Approval,
    use: keyof typeof CADENCE_FOR,
    make: (m: SandboxMerchant, terms: PaymentTerms) => T,
  ): Promise<T> {
    const { amount_minor, currency, cadence, challenge } = approval;
    const m = store.require('merchants', V.parseInput(V.challengeMerchantKeySchema, approval.merchant, 'merchant'));
    const token_symbol = merchantToken(m, currency);
    checkMaxAmount(m, amount_minor);
    const input = { secret: m.challenge_secret, merchant: m.merchant, amount_minor, currency, cadence, challenge };
    if (!(await verifyDirectRequestPaymentRecurringChallenge(input))) {
      const message = `Invalid challenge: it is not a ${cadence} recurring challenge of merchant "${m.merchant}" for ${amount_minor} ${currency}.`;
      throw new SandboxHttpError(422, 'INVALID_CHALLENGE', message, { field: 'challenge' });
    }
    if (cadence !== CADENCE_FOR[use]) {
      const message = `Invalid challenge: a ${use} is approved by a ${CADENCE_FOR[use]} recurring challenge, not a ${cadence} one.`;
      throw new SandboxHttpError(422, 'INVALID_CHALLENGE', message, { field: 'challenge' });
    }
    // An upper-cased variant verifies too: the canonical form keeps the challenge single-use.
    const challenge_hash = await directRequestPaymentChallengeHash(canonicalChallenge(challenge));
    const redeemed = [...store.list('recurring_subscriptions'), ...store.list('autopay_authorizations')];
    if (redeemed.some((r) => r.challenge_hash === challenge_hash)) {
      const message = 'This recurring challenge was already redeemed; each one is single-use.';
      throw conflict('CHALLENGE_ALREADY_USED', message);
    }
    return make(m, { merchant: m.merchant, amount_minor, currency, token_symbol, challenge_hash });
  }

  async function createSubscription({ body }: RouteInput) {
    const input = V.parseInput(subscriptionSchema(), body);
    const cadence = V.parseInput(V.recurringCadenceSchema, input.cadence ?? 'monthly', 'cadence');
    const sub = await redeem({ ...input, cadence }, 'subscription', (m, terms) => {
      const created = newRecurringSubscription(terms, cadence, m.display_name, store.nowIso());
      return store.put('recurring_subscriptions', created);
    });
    await webhooks.publish(webhooks.createEvent('subscription.created', publicView(sub)), false);
    // The plan's rate is what a Standard payment pays; a Micro / Nano amount pays the band's flat fee instead.
    const pricing_band = pricingBandFor(sub.currency, sub.amount_minor);
    const fee =
      pricing_band === 'standard'
        ? { fee_bps: STANDARD_FEE_BPS[store.require('merchants', sub.merchant).billing_plan] }
        : {};
    const data = {
      ...publicView(sub),
      receipt: null,
      initial_charge: null,
      idempotent_replay: false,
      pricing_band,
      ...fee,
    };
    return { status: 201, data };
  }

  async function createAuthorization({ body }: RouteInput) {
    const input = V.parseInput(scheduledAuthorizationCreateInputSchema(), body);
    if (input.mode !== undefined && input.mode !== MODE)
      throw invalidField('mode', `must be "${MODE}" (SDRP payments)`);
    const { merchant, challenge, currency, amount_minor = input.expected_amount_minor } = input;
    const approved = required({ merchant, challenge, currency, amount_minor });
    const token = V.tokenForCurrency(approved.currency);
    if (input.token_symbol && input.token_symbol !== token)
      throw invalidField('token_symbol', `must be "${token}" for ${approved.currency}`);
    const cadence = input.cadence ?? { unit: 'daily' };
    const unit = typeof cadence === 'string' ? cadence : cadence.unit;
    const approval = { ...approved, cadence: V.parseInput(V.recurringCadenceSchema, unit, 'cadence') };
    // Each run charges the signed amount, so a cap below it could only be broken: refused before redeeming.
    const max_amount_minor = input.max_amount_minor ?? approved.amount_minor;
    const max_amount_minor_per_run = input.max_amount_minor_per_run ?? max_amount_minor;
    for (const [field, cap] of Object.entries({ max_amount_minor, max_amount_minor_per_run }))
      if (cap < approved.amount_minor) throw invalidField(field, `is below amount_minor (${approved.amount_minor})`);
    // Unreadable, it never expired (NaN compares false); past, it spent the challenge on a dead authorization.
    const expires = input.expires_at;
    if (expires !== undefined && (!ISO_TIME.test(expires) || Number.isNaN(Date.parse(expires))))
      throw invalidField('expires_at', 'must be an ISO 8601 time with a zone');
    if (expires !== undefined && Date.parse(expires) <= store.nowMs())
      throw invalidField('expires_at', 'is in the past');
    const a = await redeem(approval, 'scheduled autopay authorization', (m, terms) => {
      const { agent_id = null, operation_key = null, expires_at = null, max_runs = null, metadata = {} } = input;
      const listing_id = input.listing_id ?? input.product_listing_id ?? m.listing_id;
      const caps = { max_amount_minor, max_amount_minor_per_run };
      const more = { listing_id, ...caps, max_runs, cadence, metadata, expires_at, agent_id, operation_key };
      const created = newAutoPayAuthorization(terms, canonicalChallenge(approved.challenge), more, store.nowIso());
      return store.put('autopay_authorizations', created);
    });
    // The one answer that carries the schedule token.
    return { status: 201, data: { ...publicView(a), schedule_token: a.schedule_token } };
  }

  function revokeAuthorization({ params }: RouteInput) {
    const a = store.require('autopay_authorizations', params.authorization_id!);
    if (a.status !== 'revoked') {
      Object.assign(a, { status: 'revoked', revoked_at: store.nowIso(), updated_at: store.nowIso() });
      store.changed();
    }
    return { data: publicView(a) };
  }

  const answer = (a: SandboxAutoPayAuthorization, slot_id: string, run: AutoPayRun): RouteAnswer => {
    const r = store.require('requirements', run.requirement_id);
    return {
      data: {
        status: 'executed',
        charge_status: r.settlement_status,
        authorization: publicView(a),
        slot: { slot_id, scheduled_for: run.scheduled_for, run_number: run.run_number },
        reason_code: null,
        reason: null,
        retryable: false,
        manual_reconciliation_required: false,
        direct_payment_requirement_id: r.requirement_id,
        direct_payment_requirement: publicView(r),
        direct_payment_execution: publicView(store.require('receipts', run.receipt_id)),
        capability_result: null,
      },
    };
  };

  /** One charge of the authorization the bearer's schedule token belongs to; a slot charges once. */
  async function execute({ body, token }: RouteInput): Promise<RouteAnswer> {
    const a = store.list('autopay_authorizations').find((x) => timingSafeEqualString(x.schedule_token, token!));
    const unknown = 'The bearer token is not the schedule_token of a scheduled authorization in this sandbox.';
    if (!a) throw new SandboxHttpError(401, 'UNAUTHORIZED', unknown);
    const input = V.parseInput(executeSchema(), body);
    // Own keys only: a slot named `constructor` or `__proto__` is a slot like any other, not Object.prototype's.
    const done = Object.hasOwn(a.executions, input.slot_id) ? a.executions[input.slot_id] : undefined;
    if (done) return answer(a, input.slot_id, done);
    const key = `${a.authorization_id}\n${input.slot_id}`;
    if (running.has(key)) return running.get(key)!;
    const refuse = (code: string, why: string) =>
      conflict(code, `Scheduled authorization "${a.authorization_id}" ${why}.`);
    if (a.status !== 'active') throw refuse('SCHEDULED_AUTHORIZATION_REVOKED', 'was revoked');
    if (a.expires_at !== null && Date.parse(a.expires_at) <= store.nowMs()) {
      throw refuse('SCHEDULED_AUTHORIZATION_EXPIRED', 'has expired');
    }
    if (a.max_runs !== null && a.run_count >= a.max_runs) {
      throw refuse('SCHEDULED_AUTHORIZATION_EXHAUSTED', `has used its ${a.max_runs} runs`);
    }
    const run_number = (a.run_count += 1);
    const charge = async () => {
      // Each run settles against its own requirement, so its challenge hash is per slot.
      const challenge_hash = await sha256Tagged(`${a.challenge_hash}:${input.slot_id}`);
      const metadata = { ...input.metadata, scheduled_authorization_id: a.authorization_id, slot_id: input.slot_id };
      const { merchant, expected_amount_minor: amount_minor, currency, token_symbol, challenge } = a;
      const terms = { merchant, amount_minor, currency, token_symbol, challenge_hash, challenge };
      const request = { ...terms, allowance_amount_minor: null, metadata, checkout_session_id: null };
      const { requirement: r } = await payments.createRequirement(request);
      const { receipt } = await payments.settle(r, {
        session_id: null,
        metadata: input.metadata,
        wait: API_DELIVERY_WAIT_MS,
      });
      const scheduled_for = input.scheduled_for ?? null;
      const run = { requirement_id: r.requirement_id, receipt_id: receipt.receipt_id, run_number, scheduled_for };
      // Defined, not assigned: assigning `__proto__` would set the prototype and charge the slot again next time.
      Object.defineProperty(a.executions, input.slot_id, {
        value: run,
        enumerable: true,
        writable: true,
        configurable: true,
      });
      a.updated_at = store.nowIso();
      store.changed();
      return answer(a, input.slot_id, run);
    };
    const pending = charge().finally(() => running.delete(key));
    running.set(key, pending);
    return pending;
  }

  const base = '/account/auto-pay/scheduled-authorizations';
  return [
    route('POST', '/sdrp/direct-payments/subscriptions', 'buyer', createSubscription),
    route('POST', base, 'buyer', createAuthorization),
    route('DELETE', `${base}/:authorization_id`, 'buyer', revokeAuthorization),
    route('POST', '/market/api-store/scheduled-auto-pay/execute', 'schedule', execute),
  ];
}
