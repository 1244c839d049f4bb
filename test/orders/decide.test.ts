import { describe, expect, it } from 'vitest';
import { classifyDirectPaymentConfirmation } from '../../src/webhooks/classify.js';
import {
  decideOrderPayment,
  orderDecisionLabel,
  orderLabelOutcome,
  orderLookupHash,
  orderPaymentNeedsConfirmation,
  orderPaymentOf,
  type OrderPaymentConfirmation,
  type OrderPaymentDecision,
  type OrderPaymentFacts,
  type OrderPaymentPolicy,
} from '../../src/orders/decide.js';
import type { OrderPaymentContext } from '../../src/orders/store.js';
import { createTestWebhookEvent, type TestWebhookEventKind } from '../../src/testing/index.js';

const policy: OrderPaymentPolicy = { merchant: 'shop_test', allow_metered_payments: false, confirm_payments: true };

function context(over: Partial<{ amount: number; status: OrderPaymentContext['order']['status']; attempt_status: OrderPaymentContext['attempt']['status']; attempt_amount: number; paid_by: string }> = {}): OrderPaymentContext {
  return {
    order: { order_id: 'o1', amount_minor: over.amount ?? 4200, currency: 'JPY', status: over.status ?? 'pending', owner_id: 'alice' },
    attempt: { attempt_id: 'a1', status: over.attempt_status ?? 'active', amount_minor: over.attempt_amount ?? over.amount ?? 4200, currency: 'JPY', checkout_session_id: 'cs_1' },
    payment: over.paid_by ? { requirement_id: over.paid_by, status: 'paid' } : null,
  };
}

async function facts(kind: TestWebhookEventKind, over: Partial<OrderPaymentFacts> & { data?: Record<string, unknown>; amount?: number } = {}): Promise<OrderPaymentFacts> {
  const { event } = await createTestWebhookEvent(kind, { merchant: 'shop_test', ...(over.amount ? { amount_minor: over.amount } : {}), data: { challenge_hash: 'sha256:h', requirement_id: 'req_1', ...over.data } });
  const classification = classifyDirectPaymentConfirmation(event);
  const confirmation: OrderPaymentConfirmation = {
    kind: 'session',
    session: { status: 'paid', session_id: 'cs_1', requirement_id: 'req_1', challenge_hash: 'sha256:h', amount_minor: over.amount ?? 4200, currency: 'JPY', merchant: 'shop_test' },
  };
  return { event, classification, first_delivery: true, payment: context(over.amount ? { amount: over.amount } : {}), confirmation, policy, ...over };
}

describe('decideOrderPayment', () => {
  it('marks a confirmed Standard payment paid with the requirement, chain receipt and attempt', async () => {
    const d = decideOrderPayment(await facts('standard_settled'));
    expect(d).toMatchObject({ kind: 'mark_paid', order_id: 'o1', payment: { requirement_id: 'req_1', attempt_id: 'a1', challenge_hash: 'sha256:h', pricing_band: 'standard' } });
    expect(orderDecisionLabel(d)).toBe('marked_paid');
  });

  it('answers duplicate for a redelivery before looking at anything else', async () => {
    expect(decideOrderPayment({ ...(await facts('unknown')), first_delivery: false })).toEqual({ kind: 'duplicate' });
  });

  describe('when Siglume does not confirm the session', () => {
    const cases: Array<[string, OrderPaymentConfirmation]> = [
      ['not asked', { kind: 'not_requested' }],
      ['no such session', { kind: 'session_not_found' }],
      ['open', { kind: 'session', session: { status: 'open', requirement_id: null } }],
      ['paid by another requirement', { kind: 'session', session: { status: 'paid', requirement_id: 'req_other' } }],
      ['another session', { kind: 'session', session: { status: 'paid', requirement_id: 'req_1', session_id: 'cs_2' } }],
      ['another chain receipt', { kind: 'session', session: { status: 'paid', requirement_id: 'req_1', chain_receipt_id: 'chr_siglume' } }],
    ];
    it.each(cases)('reviews PAYMENT_NOT_CONFIRMED when the session is %s', async (_what, confirmation) => {
      const d = decideOrderPayment({ ...(await facts('standard_settled')), confirmation });
      expect(d).toMatchObject({ kind: 'review', review: { code: 'PAYMENT_NOT_CONFIRMED', order_id: 'o1' } });
    });

    // A copy of the real event (a forged test delivery) that says other terms than Siglume's record, arriving before
    // the real one: not confirmed, not a mismatch naming the good payment for a refund. Without confirmation, the
    // event's own word is all there is: a mismatch.
    it.each([
      ['amount', { amount_minor: 1 }, "amount_minor 1 on the event differs from Siglume's record, 4200"],
      ['currency', { currency: 'USD' }, "currency on the event differs from Siglume's record, JPY"],
      ['merchant', { merchant: 'shop_other' }, "merchant on the event is not Siglume's record"],
    ])("reviews an event whose %s is not Siglume's record as PAYMENT_NOT_CONFIRMED (PAYMENT_MISMATCH without confirmation)", async (_what, data, reason) => {
      const f = await facts('standard_settled', { data });
      expect(decideOrderPayment(f)).toMatchObject({ kind: 'review', review: { code: 'PAYMENT_NOT_CONFIRMED', reason, confirmed: false } });
      const unconfirmed = { ...f, policy: { ...policy, confirm_payments: false }, confirmation: { kind: 'not_requested' } as const };
      // The event's word alone: a mismatch, but not of a payment Siglume confirmed.
      expect(decideOrderPayment(unconfirmed)).toMatchObject({ kind: 'review', review: { code: 'PAYMENT_MISMATCH', confirmed: false } });
    });

    it("reviews an event whose band is not the band Siglume reports as PAYMENT_NOT_CONFIRMED", async () => {
      const f = await facts('standard_settled');
      const session = { ...(f.confirmation as { session: object }).session, pricing_band: 'micro' };
      expect(decideOrderPayment({ ...f, confirmation: { kind: 'session', session } as OrderPaymentConfirmation })).toMatchObject({
        kind: 'review', review: { code: 'PAYMENT_NOT_CONFIRMED', reason: 'the event is standard, Siglume reports the session micro' },
      });
    });

    // Paid by this requirement, on other terms than the attempt's: a fact about a real payment, so a mismatch.
    it.each([
      ['another amount', { amount_minor: 1 }, 'Siglume reports the checkout session paid at 1, the checkout attempt\'s amount is 4200'],
      ['another currency', { currency: 'USD' }, 'Siglume reports the checkout session paid in USD, the checkout attempt\'s currency is JPY'],
      ['another merchant', { merchant: 'shop_other' }, 'Siglume reports the checkout session paid to another merchant'],
    ])('reviews PAYMENT_MISMATCH, from Siglume\'s record, when the paid session has %s', async (_what, terms, reason) => {
      const confirmation = { kind: 'session', session: { status: 'paid', requirement_id: 'req_1', ...terms } } as OrderPaymentConfirmation;
      // Siglume's event says what its record says.
      const d = decideOrderPayment({ ...(await facts('standard_settled', { data: terms })), confirmation });
      expect(d).toMatchObject({ kind: 'review', review: { code: 'PAYMENT_MISMATCH', order_id: 'o1', reason, confirmed: true } });
    });

    it('pays without asking only when confirmation is turned off', async () => {
      const f = { ...(await facts('standard_settled')), confirmation: { kind: 'not_requested' } as const };
      expect(decideOrderPayment({ ...f, policy: { ...policy, confirm_payments: false } }).kind).toBe('mark_paid');
    });
  });

  it('applies the merchant rule to Micro / Nano: review unless the shop opted in, then fulfilled-unsettled; batches reconcile', async () => {
    const usage = await facts('metered_usage_accepted', { amount: 120 });
    expect(decideOrderPayment(usage)).toMatchObject({ kind: 'review', review: { code: 'METERED_INTEGRATION_REQUIRED' } });
    expect(decideOrderPayment({ ...usage, policy: { ...policy, allow_metered_payments: true } })).toMatchObject({ kind: 'mark_fulfilled_unsettled', payment: { chain_receipt_id: null, pricing_band: 'micro' } });
    const batch = await facts('metered_batch_settled', { amount: 120 });
    expect(decideOrderPayment(batch)).toMatchObject({ kind: 'review', review: { code: 'METERED_INTEGRATION_REQUIRED', order_id: null } });
    expect(decideOrderPayment({ ...batch, policy: { ...policy, allow_metered_payments: true } }).kind).toBe('reconcile_batch');
  });

  it("ignores another merchant's payments and batches (the account's subscriptions get them all); reviews one that names one of this shop's attempts", async () => {
    const other = { data: { merchant: 'shop_other' } };
    const metered = { ...policy, allow_metered_payments: true };
    for (const p of [policy, metered]) {
      expect(decideOrderPayment({ ...(await facts('standard_settled', other)), payment: null, policy: p })).toEqual({ kind: 'ignore', reason: 'other_merchant' });
      const usage = { ...(await facts('metered_usage_accepted', { ...other, amount: 120 })), payment: null, policy: p };
      expect(decideOrderPayment(usage)).toEqual({ kind: 'ignore', reason: 'other_merchant' });
      const batch = { ...(await facts('metered_batch_settled', { ...other, amount: 120 })), policy: p };
      expect(decideOrderPayment(batch)).toEqual({ kind: 'ignore', reason: 'other_merchant' });
    }
    expect(orderDecisionLabel({ kind: 'ignore', reason: 'other_merchant' })).toBe('ignored:other_merchant');
    // One of this shop's attempts, said to be paid to another merchant: not ignored. Siglume's record names this shop,
    // so the event's word is not confirmed; without confirmation it is a mismatch.
    const named = await facts('standard_settled', other);
    expect(decideOrderPayment(named)).toMatchObject({ kind: 'review', review: { code: 'PAYMENT_NOT_CONFIRMED', order_id: 'o1' } });
    const unconfirmed = { ...named, policy: { ...policy, confirm_payments: false } };
    expect(decideOrderPayment(unconfirmed)).toMatchObject({ kind: 'review', review: { code: 'PAYMENT_MISMATCH', order_id: 'o1' } });
    // No attempt, and this shop's merchant or none named: money for a challenge the shop does not know, a review.
    expect(decideOrderPayment({ ...(await facts('standard_settled')), payment: null })).toMatchObject({ kind: 'review', review: { code: 'ORDER_NOT_FOUND' } });
    const { event } = await createTestWebhookEvent('standard_settled', { merchant: 'shop_test', data: { challenge_hash: 'sha256:h', requirement_id: 'req_1' } });
    delete (event.data as Record<string, unknown>).merchant;
    const reclassified = { ...(await facts('standard_settled')), event, classification: classifyDirectPaymentConfirmation(event), payment: null };
    expect(decideOrderPayment(reclassified)).toMatchObject({ kind: 'review', review: { code: 'ORDER_NOT_FOUND' } });
  });

  it('records a batch whose settled_at cannot be stored (U+0000, a control character, over 256 characters) with settled_at null', async () => {
    const metered = { ...policy, allow_metered_payments: true };
    const batch = async (settled_at: string) => decideOrderPayment({ ...(await facts('metered_batch_settled', { amount: 120, data: { settled_at } })), policy: metered });
    expect(await batch('2026-11-27T00:00:00Z')).toMatchObject({ kind: 'reconcile_batch', batch: { settled_at: '2026-11-27T00:00:00Z' } });
    // PostgreSQL refuses U+0000 in text: stored as it came, every redelivery of the signed event failed the same way.
    for (const bad of ['2026-11-27T00:00:00Z\u0000', '2026-11-27\u001b[0m', `2026-11-27T00:00:00Z${'x'.repeat(300)}`]) {
      expect(await batch(bad), JSON.stringify(bad)).toMatchObject({ kind: 'reconcile_batch', batch: { settled_at: null } });
    }
  });

  it("ignores a copy of the order's own payment whatever it says, so no review puts that payment up for a refund", async () => {
    // A test delivery forged with the merchant token: the real event, another amount, currency or merchant, or a band.
    for (const data of [{ amount_minor: 100_000 }, { currency: 'USD' }, { merchant: 'shop_other' }, { amount_minor: '4200' }]) {
      const f = await facts('standard_settled', { data });
      expect(decideOrderPayment({ ...f, payment: context({ paid_by: 'req_1' }) }), JSON.stringify(data)).toEqual({ kind: 'ignore', reason: 'already_applied' });
      expect(decideOrderPayment({ ...f, payment: context({ paid_by: 'req_1', attempt_status: 'superseded' }) })).toEqual({ kind: 'ignore', reason: 'already_applied' });
    }
  });

  it('reviews order states that forbid the transition, and ignores the same payment seen again', async () => {
    const f = await facts('standard_settled');
    expect(decideOrderPayment({ ...f, payment: context({ paid_by: 'req_1' }) })).toEqual({ kind: 'ignore', reason: 'already_applied' });
    expect(decideOrderPayment({ ...f, payment: context({ paid_by: 'req_0' }) })).toMatchObject({ review: { code: 'ORDER_STATE_CONFLICT', confirmed: true } });
    expect(decideOrderPayment({ ...f, payment: context({ status: 'other' }) })).toMatchObject({ review: { code: 'ORDER_STATE_CONFLICT' } });
    expect(decideOrderPayment({ ...f, payment: null })).toMatchObject({ review: { code: 'ORDER_NOT_FOUND' } });
    expect(decideOrderPayment({ ...f, payment: context({ attempt_status: 'superseded' }) })).toMatchObject({ review: { code: 'PAYMENT_MISMATCH' } });
    expect(decideOrderPayment({ ...f, payment: context({ attempt_amount: 5000 }) })).toMatchObject({ review: { code: 'PAYMENT_MISMATCH' } });
    // An expired attempt at the order's current price was a real payment of this order.
    expect(decideOrderPayment({ ...f, payment: context({ attempt_status: 'expired' }) }).kind).toBe('mark_paid');
  });

  it('ignores non-confirmations and the readiness probe, and reviews unknown confirmations', async () => {
    const f = await facts('unknown');
    expect(decideOrderPayment({ ...f, event: { id: 'e', type: 'direct_payment.spent' } })).toEqual({ kind: 'ignore', reason: 'not_a_payment_confirmation' });
    const probe = { ...f.classification, data: { mode: 'readiness_probe' } } as OrderPaymentFacts['classification'];
    expect(decideOrderPayment({ ...f, classification: probe })).toEqual({ kind: 'ignore', reason: 'readiness_probe' });
    expect(decideOrderPayment(f)).toMatchObject({ review: { code: 'UNKNOWN_CONFIRMATION', reason: 'unsupported_confirmation_mode' } });
  });

  it('tells the service which hash to look up and whether to ask Siglume', async () => {
    const standard = (await facts('standard_settled')).classification;
    const usage = (await facts('metered_usage_accepted', { amount: 120 })).classification;
    const batch = (await facts('metered_batch_settled', { amount: 120 })).classification;
    expect([orderLookupHash(standard), orderLookupHash(usage), orderLookupHash(batch)]).toEqual(['sha256:h', 'sha256:h', null]);
    expect(orderPaymentNeedsConfirmation(standard, policy)).toBe(true);
    expect(orderPaymentNeedsConfirmation(usage, policy)).toBe(false);
    expect(orderPaymentNeedsConfirmation(usage, { ...policy, allow_metered_payments: true })).toBe(true);
    expect(orderPaymentNeedsConfirmation(standard, { ...policy, confirm_payments: false })).toBe(false);
    expect(orderLookupHash((await facts('standard_settled', { data: { challenge_hash: 'x\u0000' } })).classification)).toBeNull();
  });

  it('orderPaymentOf states the merchant rule for callers without orders (a paid API): Standard always, Micro / Nano when allowed, batches and unknowns never', async () => {
    const standard = (await facts('standard_settled')).classification;
    const usage = (await facts('metered_usage_accepted', { amount: 120 })).classification;
    const batch = (await facts('metered_batch_settled', { amount: 120 })).classification;
    const unknown = (await facts('unknown')).classification;
    expect(orderPaymentOf(standard, { allow_metered_payments: false })).toMatchObject({ challenge_hash: 'sha256:h', requirement_id: 'req_1' });
    expect(orderPaymentOf(usage, { allow_metered_payments: false })).toBeNull();
    expect(orderPaymentOf(usage, { allow_metered_payments: true })).toMatchObject({ challenge_hash: 'sha256:h', pricing_band: 'micro' });
    for (const none of [batch, unknown]) expect(orderPaymentOf(none, { allow_metered_payments: true })).toBeNull();
  });
});

describe('orderLabelOutcome', () => {
  it('reads back every label orderDecisionLabel stores (reconcile reports an earlier run by it)', () => {
    const payment = {} as never;
    const decisions: Array<[OrderPaymentDecision, 'review' | 'applied' | null]> = [
      [{ kind: 'mark_paid', order_id: 'o', payment }, 'applied'],
      [{ kind: 'mark_fulfilled_unsettled', order_id: 'o', payment }, 'applied'],
      [{ kind: 'reconcile_batch', batch: {} as never }, 'applied'],
      [{ kind: 'ignore', reason: 'not_a_payment' as never }, 'applied'],
      [{ kind: 'review', review: { code: 'ORDER_STATE_CONFLICT' } as never }, 'review'],
      [{ kind: 'duplicate' }, null],
    ];
    for (const [decision, outcome] of decisions) expect(orderLabelOutcome(orderDecisionLabel(decision)), decision.kind).toBe(outcome);
    expect(orderLabelOutcome(null)).toBeNull();
    expect(orderLabelOutcome('written_by_someone_else')).toBeNull();
  });
});
