import { describe, expect, it } from 'vitest';
import { SiglumeValidationError, SiglumeWebhookSignatureError } from '../../src/core/errors.js';
import { feeBreakdownFor } from '../../src/core/pricing.js';
import {
  createMeteredBatchSettledTestEvent,
  createMeteredUsageAcceptedTestEvent,
  createStandardSettledTestEvent,
  createTestWebhookEvent,
  createUnknownTestEvent,
  TEST_WEBHOOK_SECRET,
  type TestWebhookEventKind,
} from '../../src/testing/index.js';
import { classifyDirectPaymentConfirmation } from '../../src/webhooks/classify.js';
import { verifyDirectRequestPaymentWebhook } from '../../src/webhooks/event.js';
import { verifyWebhookSignature } from '../../src/webhooks/signature.js';

const KINDS: TestWebhookEventKind[] = ['standard_settled', 'metered_usage_accepted', 'metered_batch_settled', 'unknown'];

async function rejectionOf(promise: Promise<unknown>): Promise<SiglumeValidationError> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(SiglumeValidationError);
    return error as SiglumeValidationError;
  }
  throw new Error('expected a SiglumeValidationError, but the promise resolved');
}

describe('createTestWebhookEvent', () => {
  describe.each(KINDS)('when the kind is %s', (kind) => {
    it('builds an event the classifier puts in that kind', async () => {
      const { event } = await createTestWebhookEvent(kind);
      expect(classifyDirectPaymentConfirmation(event).kind).toBe(kind);
    });

    it('signs exactly the raw body with the default test secret', async () => {
      const { raw_body: rawBody, header, event } = await createTestWebhookEvent(kind);
      expect(rawBody).toBe(JSON.stringify(event));
      const verification = await verifyWebhookSignature(TEST_WEBHOOK_SECRET, rawBody, header);
      expect(header).toBe(`t=${verification.timestamp},v1=${verification.signature}`);
      const verified = await verifyDirectRequestPaymentWebhook(TEST_WEBHOOK_SECRET, rawBody, header);
      expect(verified.event).toEqual(event);
    });

    it('fails verification when the body is changed', async () => {
      const { raw_body: rawBody, header } = await createTestWebhookEvent(kind);
      await expect(verifyWebhookSignature(TEST_WEBHOOK_SECRET, rawBody.replace('"data":{', '"data":{"x":1,'), header)).rejects.toBeInstanceOf(
        SiglumeWebhookSignatureError,
      );
    });
  });

  describe('when called with no options', () => {
    it('builds a realistic confirmed event', async () => {
      const before = Math.floor(Date.now() / 1000);
      const { event } = await createTestWebhookEvent('standard_settled');
      expect(event.id).toMatch(/^evt_test_[0-9a-f]{24}$/);
      expect(event.type).toBe('direct_payment.confirmed');
      expect(event.api_version).toBe('2026-06-11');
      expect(Date.parse(event.occurred_at) / 1000).toBeGreaterThanOrEqual(before);
      expect(event.data).toMatchObject({
        mode: 'external_402',
        merchant: 'shop_test',
        amount_minor: 4200,
        currency: 'JPY',
        token_symbol: 'JPYC',
        pricing_band: 'standard',
        settlement_cadence: 'per_payment',
        settlement_status: 'settled',
        finality: 'per_payment_onchain',
        buyer_debit_minor: '4200',
        protocol_fee_minor: '76',
        provider_receivable_minor: '4124',
      });
      expect(event.data.requirement_id).toMatch(/^req_test_[0-9a-f]{24}$/);
      expect(event.data.challenge_hash).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(event.data.request_hash_v2).toMatch(/^sha256:[0-9a-f]{64}$/);
      expect(event.data.chain_receipt_id).toEqual(expect.any(String));
    });

    it('gives each event fresh ids and hashes', async () => {
      const a = (await createTestWebhookEvent('standard_settled')).event;
      const b = (await createTestWebhookEvent('standard_settled')).event;
      expect(a.id).not.toBe(b.id);
      expect(a.data.requirement_id).not.toBe(b.data.requirement_id);
      expect(a.data.challenge_hash).not.toBe(b.data.challenge_hash);
    });

    it('makes metered usage a pending Micro payment of 120 yen', async () => {
      const { event } = await createTestWebhookEvent('metered_usage_accepted');
      expect(event.data).toMatchObject({
        mode: 'external_402',
        amount_minor: 120,
        pricing_band: 'micro',
        settlement_cadence: 'weekly',
        settlement_status: 'pending_settlement',
        finality: 'aggregated_onchain_settlement',
        protocol_fee_minor: '2',
      });
      expect(event.data).not.toHaveProperty('chain_receipt_id');
    });

    it('makes a settled batch carry a batch id and usage digest', async () => {
      const { event } = await createTestWebhookEvent('metered_batch_settled');
      expect(event.data).toMatchObject({ mode: 'metered_settlement_batch', settlement_status: 'settled' });
      expect(event.data.settlement_batch_id).toMatch(/^msb_test_/);
      expect(event.data.usage_event_digest).toMatch(/^sha256:[0-9a-f]{64}$/);
    });

    it('makes the unknown event a confirmation under an unsupported mode', async () => {
      const { event } = await createTestWebhookEvent('unknown');
      expect(event.type).toBe('direct_payment.confirmed');
      expect(classifyDirectPaymentConfirmation(event)).toMatchObject({
        kind: 'unknown',
        reason: 'unsupported_confirmation_mode',
      });
    });
  });

  describe('when options are given', () => {
    it('uses the given secret, timestamp, id and merchant', async () => {
      const { raw_body: rawBody, header, event } = await createTestWebhookEvent('standard_settled', {
        secret: 'whsec_other',
        timestamp: 1_800_000_000,
        id: 'evt_fixed',
        merchant: 'shop_alpha',
      });
      expect(header.startsWith('t=1800000000,v1=')).toBe(true);
      expect(event).toMatchObject({ id: 'evt_fixed', occurred_at: '2027-01-15T08:00:00.000Z' });
      expect(event.data.merchant).toBe('shop_alpha');
      await expect(verifyWebhookSignature('whsec_other', rawBody, header, { now: 1_800_000_000 })).resolves.toEqual({
        timestamp: 1_800_000_000,
        signature: header.slice('t=1800000000,v1='.length),
      });
      await expect(
        verifyWebhookSignature(TEST_WEBHOOK_SECRET, rawBody, header, { now: 1_800_000_000 }),
      ).rejects.toBeInstanceOf(SiglumeWebhookSignatureError);
    });

    it.each([
      ['USD', 4200, 'standard_settled', 'USDC', 'standard'],
      ['USD', 150, 'metered_usage_accepted', 'USDC', 'micro'],
      ['JPY', 20, 'metered_usage_accepted', 'JPYC', 'nano'],
      ['USD', 5, 'metered_batch_settled', 'USDC', 'nano'],
    ] as const)('builds %s %i as %s with token %s in band %s', async (currency, amount, kind, token, band) => {
      const { event } = await createTestWebhookEvent(kind, { currency, amount_minor: amount });
      const fees = feeBreakdownFor(currency, amount);
      expect(event.data).toMatchObject({
        currency,
        amount_minor: amount,
        token_symbol: token,
        pricing_band: band,
        settlement_cadence: fees.settlement_cadence,
        protocol_fee_minor: fees.protocol_fee_minor,
        provider_receivable_minor: fees.provider_receivable_minor,
      });
      expect(classifyDirectPaymentConfirmation(event).kind).toBe(kind);
    });

    it('merges data over the generated data, last', async () => {
      const { event } = await createTestWebhookEvent('standard_settled', {
        data: { requirement_id: 'req_order_77', note: 'kept' },
      });
      expect(event.data).toMatchObject({ requirement_id: 'req_order_77', note: 'kept', mode: 'external_402' });
      expect(classifyDirectPaymentConfirmation(event)).toMatchObject({ requirement_id: 'req_order_77' });
    });

    it('removes a key set to undefined from both event and raw body', async () => {
      const { raw_body: rawBody, event } = await createTestWebhookEvent('standard_settled', { data: { challenge_hash: undefined } });
      expect(event.data).not.toHaveProperty('challenge_hash');
      expect(rawBody).not.toContain('challenge_hash');
      expect(classifyDirectPaymentConfirmation(event)).toMatchObject({
        kind: 'unknown',
        reason: 'missing_standard_settlement_fields',
      });
    });
  });

  describe('when the amount does not fit the kind', () => {
    it.each([
      ['standard_settled', 'JPY', 500],
      ['standard_settled', 'USD', 300],
      ['metered_usage_accepted', 'JPY', 501],
      ['metered_batch_settled', 'USD', 301],
    ] as const)('rejects %s with %s %i naming amount_minor', async (kind, currency, amount) => {
      const error = await rejectionOf(createTestWebhookEvent(kind, { currency, amount_minor: amount }));
      expect(error.field).toBe('amount_minor');
      expect(error.message).toContain(kind);
    });

    it('accepts any band for unknown', async () => {
      const { event } = await createTestWebhookEvent('unknown', { amount_minor: 10 });
      expect(event.data.pricing_band).toBe('nano');
      expect(classifyDirectPaymentConfirmation(event).kind).toBe('unknown');
    });
  });

  describe('when an option is invalid', () => {
    it.each([
      ['amount_minor', { amount_minor: 0 }],
      ['amount_minor', { amount_minor: 12.5 }],
      ['currency', { currency: 'EUR' }],
      ['timestamp', { timestamp: -1 }],
      ['timestamp', { timestamp: Date.now() }],
    ])('rejects a bad %s', async (field, opts) => {
      const error = await rejectionOf(createTestWebhookEvent('standard_settled', opts as object));
      expect(error.field).toBe(field);
    });

    it('rejects an unknown kind naming kind', async () => {
      const error = await rejectionOf(createTestWebhookEvent('refunded' as TestWebhookEventKind));
      expect(error.field).toBe('kind');
    });

    it('rejects an empty secret', async () => {
      await expect(createTestWebhookEvent('standard_settled', { secret: '' })).rejects.toBeInstanceOf(
        SiglumeValidationError,
      );
    });
  });
});

describe('named factories', () => {
  it.each([
    ['createStandardSettledTestEvent', createStandardSettledTestEvent, 'standard_settled'],
    ['createMeteredUsageAcceptedTestEvent', createMeteredUsageAcceptedTestEvent, 'metered_usage_accepted'],
    ['createMeteredBatchSettledTestEvent', createMeteredBatchSettledTestEvent, 'metered_batch_settled'],
    ['createUnknownTestEvent', createUnknownTestEvent, 'unknown'],
  ] as const)('%s builds a verifiable %s event', async (_name, factory, kind) => {
    const { raw_body: rawBody, header, event } = await factory({ secret: 'whsec_named' });
    expect(classifyDirectPaymentConfirmation(event).kind).toBe(kind);
    await expect(verifyWebhookSignature('whsec_named', rawBody, header)).resolves.toMatchObject({
      signature: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
  });

  it('passes options through', async () => {
    const { event } = await createMeteredUsageAcceptedTestEvent({ currency: 'USD', amount_minor: 30 });
    expect(event.data).toMatchObject({ currency: 'USD', pricing_band: 'nano', settlement_cadence: 'monthly' });
  });
});
