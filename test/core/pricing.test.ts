import { describe, expect, it } from 'vitest';
import { SiglumeValidationError } from '../../src/core/errors.js';
import {
  feeBreakdownFor,
  minimumStandardAmountMinor,
  pricingBandFor,
  settlementCadenceFor,
  SETTLEMENT_THRESHOLD_MINOR,
  type DirectRequestPaymentBillingPlan,
} from '../../src/core/pricing.js';

function validationErrorOf(fn: () => unknown): SiglumeValidationError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(SiglumeValidationError);
    return error as SiglumeValidationError;
  }
  throw new Error('expected a SiglumeValidationError, but nothing was thrown');
}

describe('pricingBandFor', () => {
  describe('when the currency is JPY', () => {
    it.each([
      [1, 'nano'],
      [49, 'nano'],
      [50, 'micro'],
      [500, 'micro'],
      [501, 'standard'],
      [4200, 'standard'],
    ] as const)('puts %i yen in the %s band', (amount, band) => {
      expect(pricingBandFor('JPY', amount)).toBe(band);
    });
  });

  describe('when the currency is USD', () => {
    it.each([
      [1, 'nano'],
      [30, 'nano'],
      [31, 'micro'],
      [300, 'micro'],
      [301, 'standard'],
      [4200, 'standard'],
    ] as const)('puts %i cents in the %s band', (amount, band) => {
      expect(pricingBandFor('USD', amount)).toBe(band);
    });
  });

  describe('when the amount is not a positive safe integer', () => {
    it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1, '500', true, null])(
      'rejects %s naming amount_minor',
      (amount) => {
        const error = validationErrorOf(() => pricingBandFor('JPY', amount as number));
        expect(error.field).toBe('amount_minor');
        expect(error.message).toContain('positive safe integer');
      },
    );
  });

  describe('when the currency is not supported', () => {
    it.each(['EUR', 'eur', '', 'JPYC', undefined])('rejects %s naming currency', (currency) => {
      const error = validationErrorOf(() => pricingBandFor(currency as 'JPY', 100));
      expect(error.field).toBe('currency');
    });
  });
});

describe('settlementCadenceFor', () => {
  it('settles standard per payment, micro weekly and nano monthly', () => {
    expect(settlementCadenceFor('standard')).toBe('per_payment');
    expect(settlementCadenceFor('micro')).toBe('weekly');
    expect(settlementCadenceFor('nano')).toBe('monthly');
  });
});

describe('minimumStandardAmountMinor', () => {
  it('returns the first Standard amount of each currency', () => {
    expect(minimumStandardAmountMinor('JPY')).toBe(501);
    expect(minimumStandardAmountMinor('USD')).toBe(301);
    expect(pricingBandFor('JPY', minimumStandardAmountMinor('JPY'))).toBe('standard');
  });

  it('rejects an unsupported currency', () => {
    expect(validationErrorOf(() => minimumStandardAmountMinor('EUR' as 'JPY')).field).toBe('currency');
  });
});

describe('SETTLEMENT_THRESHOLD_MINOR', () => {
  it('is 10000 minor units', () => {
    expect(SETTLEMENT_THRESHOLD_MINOR).toBe(10_000);
  });
});

describe('feeBreakdownFor', () => {
  describe('when the payment is Standard', () => {
    it.each([
      ['launch', '1800'],
      ['free', '1800'],
      ['starter', '1000'],
      ['growth', '700'],
      ['pro', '500'],
    ] as const)('charges the %s plan rate', (plan, fee) => {
      // 100,000 yen keeps every plan above the minimum fee, so the rate alone shows.
      const breakdown = feeBreakdownFor('JPY', 100_000, plan);
      expect(breakdown.protocol_fee_minor).toBe(fee);
      expect(breakdown.provider_receivable_minor).toBe(String(100_000 - Number(fee)));
    });

    it('charges the launch rate when no plan is given', () => {
      expect(feeBreakdownFor('USD', 100_000).protocol_fee_minor).toBe('1800');
    });

    it('rounds the rate half up to a whole minor unit', () => {
      // 1.8% of 4200 = 75.6; 0.5% of 10,100 = 50.5; 0.5% of 10,099 = 50.495
      expect(feeBreakdownFor('JPY', 4200, 'launch').protocol_fee_minor).toBe('76');
      expect(feeBreakdownFor('JPY', 10_100, 'pro').protocol_fee_minor).toBe('51');
      expect(feeBreakdownFor('JPY', 10_099, 'pro').protocol_fee_minor).toBe('50');
    });

    it('never charges less than JPY 30', () => {
      const breakdown = feeBreakdownFor('JPY', 501, 'pro');
      expect(breakdown.protocol_fee_minor).toBe('30');
      expect(breakdown.provider_receivable_minor).toBe('471');
    });

    it('never charges less than USD 0.20', () => {
      const breakdown = feeBreakdownFor('USD', 301, 'launch');
      expect(breakdown.protocol_fee_minor).toBe('20');
      expect(breakdown.provider_receivable_minor).toBe('281');
    });

    it('charges the rate once it passes the minimum', () => {
      // 1.8% of 2000 = 36 > 30
      expect(feeBreakdownFor('JPY', 2000, 'launch').protocol_fee_minor).toBe('36');
    });

    it('stays exact near the largest safe amount', () => {
      const breakdown = feeBreakdownFor('USD', Number.MAX_SAFE_INTEGER, 'pro');
      expect(breakdown.protocol_fee_minor).toBe('45035996273705');
      expect(BigInt(breakdown.provider_receivable_minor) + BigInt(breakdown.protocol_fee_minor)).toBe(
        BigInt(Number.MAX_SAFE_INTEGER),
      );
    });

    it('reports the standard band and per-payment cadence', () => {
      const breakdown = feeBreakdownFor('JPY', 4200);
      expect(breakdown.pricing_band).toBe('standard');
      expect(breakdown.settlement_cadence).toBe('per_payment');
    });
  });

  describe('when the payment is Micro', () => {
    it('charges a flat JPY 2 whatever the plan', () => {
      for (const plan of ['launch', 'pro'] as const) {
        const breakdown = feeBreakdownFor('JPY', 500, plan);
        expect(breakdown.protocol_fee_minor).toBe('2');
        expect(breakdown.provider_receivable_minor).toBe('498');
      }
    });

    it('charges a flat USD 0.01', () => {
      const breakdown = feeBreakdownFor('USD', 31);
      expect(breakdown.protocol_fee_minor).toBe('1');
      expect(breakdown.provider_receivable_minor).toBe('30');
      expect(breakdown.settlement_cadence).toBe('weekly');
    });
  });

  describe('when the payment is Nano', () => {
    it('charges JPY 0.2 as a decimal string', () => {
      const breakdown = feeBreakdownFor('JPY', 1);
      expect(breakdown).toEqual({
        pricing_band: 'nano',
        settlement_cadence: 'monthly',
        buyer_debit_minor: '1',
        provider_gross_amount_minor: '1',
        protocol_fee_minor: '0.2',
        provider_receivable_minor: '0.8',
      });
    });

    it('charges USD 0.001 as 0.1 cent', () => {
      const breakdown = feeBreakdownFor('USD', 30);
      expect(breakdown.protocol_fee_minor).toBe('0.1');
      expect(breakdown.provider_receivable_minor).toBe('29.9');
    });

    it('formats the receivable without floating-point noise', () => {
      // Computed in thousandths, so no 48.800000000000004-style output can appear.
      expect(feeBreakdownFor('JPY', 49).provider_receivable_minor).toBe('48.8');
      expect(feeBreakdownFor('USD', 3).provider_receivable_minor).toBe('2.9');
    });
  });

  describe('when fees are seller-borne', () => {
    it.each([
      ['JPY', 1],
      ['JPY', 120],
      ['JPY', 4200],
      ['USD', 30],
      ['USD', 150],
      ['USD', 4200],
    ] as const)('debits the buyer the gross and credits gross minus fee (%s %i)', (currency, amount) => {
      const b = feeBreakdownFor(currency, amount);
      expect(b.buyer_debit_minor).toBe(String(amount));
      expect(b.provider_gross_amount_minor).toBe(String(amount));
      const toMilli = (s: string) => Math.round(Number(s) * 1000);
      expect(toMilli(b.provider_receivable_minor) + toMilli(b.protocol_fee_minor)).toBe(amount * 1000);
    });
  });

  describe('when the input is invalid', () => {
    it('rejects a bad amount naming amount_minor', () => {
      expect(validationErrorOf(() => feeBreakdownFor('JPY', 0)).field).toBe('amount_minor');
    });

    it('rejects a bad currency naming currency', () => {
      expect(validationErrorOf(() => feeBreakdownFor('GBP' as 'JPY', 100)).field).toBe('currency');
    });

    it.each(['enterprise', 'toString', '__proto__', 'constructor', 'Launch'])(
      'rejects the billing plan %s naming billing_plan',
      (plan) => {
        const error = validationErrorOf(() => feeBreakdownFor('JPY', 4200, plan as DirectRequestPaymentBillingPlan));
        expect(error.field).toBe('billing_plan');
      },
    );

    it('rejects an unknown billing plan on a Micro or Nano amount too', () => {
      const plan = 'enterprise' as DirectRequestPaymentBillingPlan;
      expect(validationErrorOf(() => feeBreakdownFor('JPY', 120, plan)).field).toBe('billing_plan');
      expect(validationErrorOf(() => feeBreakdownFor('USD', 5, plan)).field).toBe('billing_plan');
    });
  });
});

describe('currency case', () => {
  it('accepts lower-case currencies, as every other input does', () => {
    expect(pricingBandFor('jpy' as 'JPY', 4200)).toBe('standard');
    expect(feeBreakdownFor('usd' as 'USD', 150).protocol_fee_minor).toBe('1');
    expect(minimumStandardAmountMinor('usd' as 'USD')).toBe(301);
  });
});
