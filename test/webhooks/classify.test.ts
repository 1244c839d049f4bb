import { describe, expect, it } from 'vitest';
import {
  classifyDirectPaymentConfirmation,
  DIRECT_PAYMENT_UNKNOWN_REASONS,
  type DirectPaymentConfirmationClassification,
  type DirectPaymentConfirmationInput,
} from '../../src/webhooks/classify.js';

type Data = Record<string, unknown>;

function confirmed(data: Data, type = 'direct_payment.confirmed') {
  return { id: 'evt_1', type, api_version: '2026-06-11', occurred_at: '2026-06-11T00:00:00Z', data };
}

const STANDARD: Data = {
  mode: 'external_402',
  merchant: 'shop_alpha',
  amount_minor: 4200,
  currency: 'JPY',
  pricing_band: 'standard',
  settlement_cadence: 'per_payment',
  settlement_status: 'settled',
  finality: 'per_payment_onchain',
  requirement_id: 'req_1',
  challenge_hash: 'sha256:aaaa',
  chain_receipt_id: 'rcpt_1',
  request_hash_v2: 'sha256:bbbb',
};

const METERED_USAGE: Data = {
  mode: 'external_402',
  merchant: 'shop_alpha',
  amount_minor: 120,
  currency: 'JPY',
  pricing_band: 'micro',
  settlement_cadence: 'weekly',
  settlement_status: 'pending_settlement',
  finality: 'aggregated_onchain_settlement',
  requirement_id: 'req_2',
  challenge_hash: 'sha256:cccc',
  request_hash_v2: 'sha256:dddd',
};

const METERED_BATCH: Data = {
  mode: 'metered_settlement_batch',
  merchant: 'shop_alpha',
  pricing_band: 'nano',
  settlement_cadence: 'monthly',
  settlement_status: 'settled',
  finality: 'aggregated_onchain_settlement',
  settlement_batch_id: 'msb_1',
  chain_receipt_id: 'rcpt_2',
  usage_event_digest: 'sha256:eeee',
  settled_at: '2026-06-30T00:00:00Z',
};

function classify(data: Data, type?: string) {
  return classifyDirectPaymentConfirmation(confirmed(data, type));
}

function expectUnknown(result: DirectPaymentConfirmationClassification<unknown>, reason: string) {
  expect(result.kind).toBe('unknown');
  if (result.kind !== 'unknown') return;
  expect(result.reason).toBe(reason);
}

// Each entry: a field the kind requires, and values that must not count as present.
const ABSENT_VALUES: ReadonlyArray<[string, unknown]> = [
  ['missing', undefined],
  ['empty', ''],
  ['whitespace-only', ' \t\n '],
  ['a number', 42],
  ['null', null],
];

function without(data: Data, key: string, value: unknown): Data {
  const copy = { ...data };
  if (value === undefined) delete copy[key];
  else copy[key] = value;
  return copy;
}

describe('classifyDirectPaymentConfirmation', () => {
  describe('when the event is a settled Standard payment', () => {
    it('classifies it as standard_settled with its fields', () => {
      const event = confirmed(STANDARD);
      const result = classifyDirectPaymentConfirmation(event);
      expect(result).toEqual({
        kind: 'standard_settled',
        event,
        data: STANDARD,
        requirement_id: 'req_1',
        challenge_hash: 'sha256:aaaa',
        chain_receipt_id: 'rcpt_1',
        request_hash_v2: 'sha256:bbbb',
      });
      expect(result.event).toBe(event);
      expect(result.data).toBe(event.data);
    });

    it('reports request_hash_v2 as null when it is absent', () => {
      const result = classify(without(STANDARD, 'request_hash_v2', undefined));
      expect(result.kind).toBe('standard_settled');
      if (result.kind === 'standard_settled') expect(result.request_hash_v2).toBeNull();
    });

    describe.each(['finality', 'settlement_status', 'requirement_id', 'challenge_hash', 'chain_receipt_id'])(
      'when %s does not count',
      (field) => {
        it.each(ABSENT_VALUES)('returns missing_standard_settlement_fields when it is %s', (_label, value) => {
          expectUnknown(classify(without(STANDARD, field, value)), 'missing_standard_settlement_fields');
        });
      },
    );

    it.each([
      ['finality', 'aggregated_onchain_settlement'],
      ['settlement_status', 'pending_settlement'],
      ['settlement_status', 'Settled'],
    ])('does not settle when %s is %s', (field, value) => {
      expectUnknown(classify({ ...STANDARD, [field]: value }), 'missing_standard_settlement_fields');
    });
  });

  describe('when the event is an accepted Micro / Nano payment', () => {
    it('classifies it as metered_usage_accepted with its fields', () => {
      const result = classify(METERED_USAGE);
      expect(result).toMatchObject({
        kind: 'metered_usage_accepted',
        pricing_band: 'micro',
        settlement_cadence: 'weekly',
        requirement_id: 'req_2',
        challenge_hash: 'sha256:cccc',
        request_hash_v2: 'sha256:dddd',
      });
      expect(result).not.toHaveProperty('chain_receipt_id');
    });

    it('accepts a nano payment on a monthly cadence', () => {
      const result = classify({ ...METERED_USAGE, pricing_band: 'nano', settlement_cadence: 'monthly' });
      expect(result).toMatchObject({ kind: 'metered_usage_accepted', pricing_band: 'nano', settlement_cadence: 'monthly' });
    });

    describe.each(['finality', 'settlement_status', 'settlement_cadence', 'requirement_id', 'challenge_hash'])(
      'when %s does not count',
      (field) => {
        it.each(ABSENT_VALUES)('returns missing_metered_usage_fields when it is %s', (_label, value) => {
          expectUnknown(classify(without(METERED_USAGE, field, value)), 'missing_metered_usage_fields');
        });
      },
    );

    it.each([
      ['micro', 'monthly'],
      ['nano', 'weekly'],
      ['micro', 'per_payment'],
    ])('rejects band %s with cadence %s', (band, cadence) => {
      expectUnknown(
        classify({ ...METERED_USAGE, pricing_band: band, settlement_cadence: cadence }),
        'missing_metered_usage_fields',
      );
    });

    it('does not treat an already settled metered payment as accepted usage', () => {
      expectUnknown(classify({ ...METERED_USAGE, settlement_status: 'settled' }), 'missing_metered_usage_fields');
    });

    it('does not accept per-payment finality for a metered band', () => {
      expectUnknown(classify({ ...METERED_USAGE, finality: 'per_payment_onchain' }), 'missing_metered_usage_fields');
    });
  });

  describe('when the event is a settled settlement batch', () => {
    it('classifies it as metered_batch_settled with its fields', () => {
      const result = classify(METERED_BATCH);
      expect(result).toMatchObject({
        kind: 'metered_batch_settled',
        pricing_band: 'nano',
        settlement_cadence: 'monthly',
        settlement_batch_id: 'msb_1',
        chain_receipt_id: 'rcpt_2',
        usage_event_digest: 'sha256:eeee',
        settled_at: '2026-06-30T00:00:00Z',
      });
    });

    it('accepts a micro batch on a weekly cadence and a missing settled_at', () => {
      const data = without({ ...METERED_BATCH, pricing_band: 'micro', settlement_cadence: 'weekly' }, 'settled_at', undefined);
      expect(classify(data)).toMatchObject({ kind: 'metered_batch_settled', pricing_band: 'micro', settled_at: null });
    });

    it('ignores the challenge hash and requirement id, which a batch does not have', () => {
      expect(classify(METERED_BATCH).kind).toBe('metered_batch_settled');
      expect(classify(METERED_BATCH)).not.toHaveProperty('challenge_hash');
    });

    describe.each([
      'settlement_status',
      'finality',
      'pricing_band',
      'settlement_cadence',
      'settlement_batch_id',
      'chain_receipt_id',
      'usage_event_digest',
    ])('when %s does not count', (field) => {
      it.each(ABSENT_VALUES)('returns invalid_metered_settlement_confirmation when it is %s', (_label, value) => {
        expectUnknown(classify(without(METERED_BATCH, field, value)), 'invalid_metered_settlement_confirmation');
      });
    });

    it.each([
      ['pricing_band', 'standard'],
      ['settlement_status', 'pending_settlement'],
      ['finality', 'per_payment_onchain'],
      ['settlement_cadence', 'weekly'],
    ])('rejects %s %s', (field, value) => {
      expectUnknown(classify({ ...METERED_BATCH, [field]: value }), 'invalid_metered_settlement_confirmation');
    });
  });

  describe('when the event is not a confirmation', () => {
    it.each(['direct_payment.spent', 'subscription.renewed', 'payment.failed', 'DIRECT_PAYMENT.CONFIRMED', ''])(
      'returns not_direct_payment_confirmed for type %j',
      (type) => {
        expectUnknown(classify(STANDARD, type), 'not_direct_payment_confirmed');
      },
    );
  });

  describe('when the mode is not supported', () => {
    it.each([
      ['a legacy mode', 'wallet_transfer'],
      ['a differently cased mode', 'EXTERNAL_402'],
      ['a blank mode', '  '],
      ['a numeric mode', 402],
      ['no mode', undefined],
    ])('returns unsupported_confirmation_mode for %s', (_label, mode) => {
      expectUnknown(classify(without(STANDARD, 'mode', mode)), 'unsupported_confirmation_mode');
    });

    it('checks the mode before the band, so a settled-looking event is still refused', () => {
      expectUnknown(classify({ ...STANDARD, mode: 'hosted_wallet' }), 'unsupported_confirmation_mode');
    });
  });

  describe('when the pricing band is missing or unknown', () => {
    it.each([undefined, '', 'enterprise', 'Standard', 7])('returns unknown_confirmation_shape for band %j', (band) => {
      expectUnknown(classify(without(STANDARD, 'pricing_band', band)), 'unknown_confirmation_shape');
    });
  });

  describe('when the requirement id comes under its other name', () => {
    it('falls back to direct_payment_requirement_id', () => {
      const data = { ...without(STANDARD, 'requirement_id', undefined), direct_payment_requirement_id: 'req_alias' };
      expect(classify(data)).toMatchObject({ kind: 'standard_settled', requirement_id: 'req_alias' });
    });

    it('prefers requirement_id when both are present', () => {
      const data = { ...STANDARD, direct_payment_requirement_id: 'req_alias' };
      expect(classify(data)).toMatchObject({ requirement_id: 'req_1' });
    });

    it('falls back when requirement_id is blank', () => {
      const data = { ...STANDARD, requirement_id: '   ', direct_payment_requirement_id: 'req_alias' };
      expect(classify(data)).toMatchObject({ kind: 'standard_settled', requirement_id: 'req_alias' });
    });

    it('uses the fallback for metered usage and for unknown results too', () => {
      const usage = { ...without(METERED_USAGE, 'requirement_id', undefined), direct_payment_requirement_id: 'req_m' };
      expect(classify(usage)).toMatchObject({ kind: 'metered_usage_accepted', requirement_id: 'req_m' });
      expect(classify({ direct_payment_requirement_id: 'req_u' }, 'payment.failed')).toMatchObject({
        kind: 'unknown',
        requirement_id: 'req_u',
      });
    });
  });

  describe('when strings carry surrounding whitespace', () => {
    it('matches and returns the trimmed values', () => {
      const padded = Object.fromEntries(
        Object.entries(STANDARD).map(([k, v]) => [k, typeof v === 'string' ? `  ${v}\n` : v]),
      );
      const result = classify(padded);
      expect(result).toMatchObject({ kind: 'standard_settled', requirement_id: 'req_1', chain_receipt_id: 'rcpt_1' });
      expect(result.data).toBe(padded);
    });
  });

  describe('when the result is unknown', () => {
    it('carries the review fields, copied from data', () => {
      const data = { ...METERED_BATCH, settlement_cadence: 'weekly', requirement_id: 'req_9' };
      expect(classify(data)).toEqual({
        kind: 'unknown',
        reason: 'invalid_metered_settlement_confirmation',
        event: confirmed(data),
        data,
        requirement_id: 'req_9',
        settlement_batch_id: 'msb_1',
        pricing_band: 'nano',
        settlement_cadence: 'weekly',
        settlement_status: 'settled',
        finality: 'aggregated_onchain_settlement',
      });
    });

    it('sets each review field to null when absent, blank or not a string', () => {
      const result = classify({ mode: 'external_402', settlement_batch_id: ' ', finality: 1, pricing_band: null });
      expect(result).toMatchObject({
        kind: 'unknown',
        reason: 'unknown_confirmation_shape',
        requirement_id: null,
        settlement_batch_id: null,
        pricing_band: null,
        settlement_cadence: null,
        settlement_status: null,
        finality: null,
      });
    });

    it('uses only reasons from the published list', () => {
      const reasons = new Set<string>();
      const samples: Data[] = [STANDARD, METERED_USAGE, METERED_BATCH, {}, { mode: 'x' }];
      for (const sample of samples) {
        for (const key of Object.keys(sample)) {
          const result = classify(without(sample, key, undefined));
          if (result.kind === 'unknown') reasons.add(result.reason);
        }
      }
      reasons.add((classify(STANDARD, 'payment.failed') as { reason: string }).reason);
      expect([...reasons].sort()).toEqual([...DIRECT_PAYMENT_UNKNOWN_REASONS].sort());
    });
  });

  describe('when the event is malformed', () => {
    it.each([
      ['no data', { type: 'direct_payment.confirmed' }],
      ['null data', { type: 'direct_payment.confirmed', data: null }],
      ['string data', { type: 'direct_payment.confirmed', data: '{"mode":"external_402"}' }],
      ['array data', { type: 'direct_payment.confirmed', data: [STANDARD] }],
    ])('returns unknown with empty data for %s, without throwing', (_label, event) => {
      const result = classifyDirectPaymentConfirmation(event as DirectPaymentConfirmationInput);
      expectUnknown(result, 'unsupported_confirmation_mode');
      expect(result.data).toEqual({});
    });

    it.each([null, undefined, 'direct_payment.confirmed', 42, { type: 7, data: STANDARD }])(
      'returns not_direct_payment_confirmed for %j',
      (event) => {
        expectUnknown(
          classifyDirectPaymentConfirmation(event as unknown as DirectPaymentConfirmationInput),
          'not_direct_payment_confirmed',
        );
      },
    );

    it('ignores fields inherited from a prototype', () => {
      const data = Object.assign(Object.create({ ...STANDARD }), { mode: 'external_402' }) as Data;
      expectUnknown(classify(data), 'unknown_confirmation_shape');
    });
  });
});
