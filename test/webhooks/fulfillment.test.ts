import { describe, expect, it } from 'vitest';
import { classifyDirectPaymentConfirmation, type DirectPaymentConfirmationClassification } from '../../src/webhooks/classify.js';
import { directPaymentFulfillmentAction, METERED_INTEGRATION_REQUIRED } from '../../src/webhooks/fulfillment.js';

function confirmed(data: Record<string, unknown>) {
  return { id: 'evt_1', type: 'direct_payment.confirmed', api_version: '2026-06-11', occurred_at: '2026-06-11T00:00:00Z', data };
}

const standard = classifyDirectPaymentConfirmation(
  confirmed({
    mode: 'external_402',
    pricing_band: 'standard',
    settlement_status: 'settled',
    finality: 'per_payment_onchain',
    requirement_id: 'req_std',
    challenge_hash: 'sha256:aa',
    chain_receipt_id: 'rcpt_1',
  }),
);
const usage = classifyDirectPaymentConfirmation(
  confirmed({
    mode: 'external_402',
    pricing_band: 'micro',
    settlement_cadence: 'weekly',
    settlement_status: 'pending_settlement',
    finality: 'aggregated_onchain_settlement',
    requirement_id: 'req_micro',
    challenge_hash: 'sha256:bb',
  }),
);
const batch = classifyDirectPaymentConfirmation(
  confirmed({
    mode: 'metered_settlement_batch',
    pricing_band: 'micro',
    settlement_cadence: 'weekly',
    settlement_status: 'settled',
    finality: 'aggregated_onchain_settlement',
    settlement_batch_id: 'msb_1',
    chain_receipt_id: 'rcpt_2',
    usage_event_digest: 'sha256:cc',
    challenge_hash: 'sha256:bb',
  }),
);

describe('directPaymentFulfillmentAction', () => {
  it('classifies the fixtures as intended', () => {
    expect([standard.kind, usage.kind, batch.kind]).toEqual(['standard_settled', 'metered_usage_accepted', 'metered_batch_settled']);
  });

  describe('when a Standard payment settled', () => {
    it('marks the requirement paid, whatever the metered setting', () => {
      expect(directPaymentFulfillmentAction(standard)).toEqual({ action: 'mark_paid', requirement_id: 'req_std' });
      expect(directPaymentFulfillmentAction(standard, { allow_metered_payments: true })).toEqual({
        action: 'mark_paid',
        requirement_id: 'req_std',
      });
    });
  });

  describe('when Micro / Nano usage was accepted', () => {
    it('routes to review with METERED_INTEGRATION_REQUIRED by default', () => {
      expect(directPaymentFulfillmentAction(usage)).toEqual({ action: 'review', code: 'METERED_INTEGRATION_REQUIRED' });
      expect(METERED_INTEGRATION_REQUIRED).toBe('METERED_INTEGRATION_REQUIRED');
    });

    it.each([false, undefined])('routes to review when allow_metered_payments is %s', (allow) => {
      expect(directPaymentFulfillmentAction(usage, { allow_metered_payments: allow })).toMatchObject({ action: 'review' });
    });

    it('rejects a truthy non-boolean opt-in, which is not explicit', () => {
      const options = { allow_metered_payments: 'yes' as unknown as boolean };
      expect(directPaymentFulfillmentAction(usage, options)).toMatchObject({ action: 'review' });
    });

    it('fulfils unsettled when the integration opted in', () => {
      expect(directPaymentFulfillmentAction(usage, { allow_metered_payments: true })).toEqual({
        action: 'fulfill_unsettled',
        requirement_id: 'req_micro',
      });
    });
  });

  describe('when a settlement batch settled', () => {
    it('reconciles by batch id, not by challenge hash', () => {
      const action = directPaymentFulfillmentAction(batch, { allow_metered_payments: true });
      expect(action).toEqual({ action: 'reconcile_batch', settlement_batch_id: 'msb_1' });
      expect(action).not.toHaveProperty('challenge_hash');
    });
  });

  describe('when the confirmation is unknown', () => {
    it.each([
      [{ ...confirmed({ mode: 'external_402' }), type: 'payment.failed' }, 'not_direct_payment_confirmed'],
      [confirmed({ mode: 'legacy' }), 'unsupported_confirmation_mode'],
      [confirmed({ mode: 'external_402', pricing_band: 'standard' }), 'missing_standard_settlement_fields'],
    ])('routes to review with the reason as code (%#)', (event, reason) => {
      const result = classifyDirectPaymentConfirmation(event);
      expect(directPaymentFulfillmentAction(result, { allow_metered_payments: true })).toEqual({ action: 'review', code: reason });
    });

    it('routes a classification kind it does not know to review', () => {
      const odd = { ...standard, kind: 'refunded' } as unknown as DirectPaymentConfirmationClassification;
      expect(directPaymentFulfillmentAction(odd)).toEqual({ action: 'review', code: 'unknown_confirmation_shape' });
    });
  });
});
