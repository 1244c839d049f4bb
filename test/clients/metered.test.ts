/**
 * Metered statements typed with the CONTRACT-2 section 22 fields: amounts as
 * decimal strings, nested periods / blocks / totals, unknown fields kept.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DirectRequestPaymentClient } from '../../src/clients/buyer.js';
import { SiglumeInvalidResponseError } from '../../src/core/errors.js';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import { clientFetch, sandboxFor, startReceiver, type WebhookReceiver } from '../sandbox/helpers.js';
import { envelope, recordingFetch, type Reply } from './support/recording-fetch.js';

const BASE = 'https://api.siglume.test/v1';

beforeEach(() => {
  vi.stubEnv('SIGLUME_AUTH_TOKEN', '');
  vi.stubEnv('SIGLUME_API_BASE', '');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

function clientWith(replies: Reply[]) {
  const rec = recordingFetch(replies);
  return new DirectRequestPaymentClient({ auth_token: 'tok_b', base_url: BASE, fetch: rec.fetch, max_retries: 0 });
}

const OPEN_PERIOD = {
  plan_type: 'micro',
  settlement_cadence: 'weekly',
  settlement_trigger: 'amount_threshold',
  settlement_threshold_minor: 10000,
  provider_gross_amount_minor: '4200',
  provider_usage_amount_minor: '4200',
  protocol_fee_minor: '75.6',
  provider_receivable_minor: '4124.4',
  buyer_debit_minor: '4200',
  total_unsettled_exposure_minor: '4200',
};
const BATCH = {
  settlement_batch_id: 'sb_1',
  plan_type: 'micro',
  settlement_cadence: 'weekly',
  status: 'past_due',
  not_before_attempt_at: '2026-11-30T00:00:00Z',
  attempt_count: 2,
  past_due_provider_receivable_minor: '4124.4',
  terminal_status: null,
  failure_reason_code: 'INSUFFICIENT_ALLOWANCE',
  estimated_buyer_debit_minor: '4200',
  past_due_block_reason: 'METERED_SETTLEMENT_PAST_DUE',
  brand_new_field: 'kept',
};

// A buyer's usage row with the fields CONTRACT-2 section 22 marks required.
const ROW = {
  metered_usage_id: 'mu_1', plan_type: 'nano', settlement_cadence: 'monthly', currency: 'JPY', token_symbol: 'JPYC', status: 'pending_settlement',
  provider_gross_amount_minor: '12', provider_usage_amount_minor: '12', protocol_fee_minor: '0.2', gross_buyer_debit_minor: '12',
};

describe('metered statements', () => {
  it('types the buyer summary: open periods, batches, past-due blocks, balance sufficiency', async () => {
    const client = clientWith([
      {
        body: envelope({
          role: 'buyer',
          open_periods: [OPEN_PERIOD],
          settlement_batches: [BATCH],
          past_due_blocks: [{ settlement_batch_id: 'sb_1', total_unsettled_exposure_minor: '4200', support_reference: 'sup_1' }],
          balance_sufficiency: { sufficient: false, required_minor: '4200', available_minor: 100, wallet_balance_checked: false },
        }),
      },
    ]);
    const summary = await client.getBuyerMeteredSummary({ plan_type: 'micro' });
    // Read as 0.4.20 code reads it (CONTRACT-2 section 22): the role and the three lists, with no `?.`.
    const role: 'buyer' = summary.role;
    expect(role).toBe('buyer');
    expect(summary.open_periods[0]?.settlement_threshold_minor).toBe('10000');
    expect(summary.open_periods[0]?.protocol_fee_minor).toBe('75.6');
    expect(summary.settlement_batches[0]).toMatchObject({ past_due_block_reason: 'METERED_SETTLEMENT_PAST_DUE', brand_new_field: 'kept' });
    expect(summary.past_due_blocks.length).toBe(1);
    expect(summary.past_due_blocks[0]?.support_reference).toBe('sup_1');
    expect(summary.balance_sufficiency).toMatchObject({ sufficient: false, available_minor: '100', wallet_balance_checked: false });
  });

  it('types the provider summary totals as the one object of CONTRACT-2 section 22, and names a list sent instead', async () => {
    const client = clientWith([
      { body: envelope({ role: 'provider', open_periods: [], periods: [BATCH], totals: { settled_provider_receivable_minor: '0', past_due_provider_receivable_minor: '4124.4' } }) },
      { body: envelope({ role: 'provider', open_periods: [], periods: [], totals: [{ token_symbol: 'JPYC', gross_amount_minor: '12' }] }) },
      { body: envelope({ role: 'provider', open_periods: [], periods: [], totals: null }) },
      { body: envelope({ role: 'buyer', open_periods: [], periods: [], totals: {} }) },
    ]);
    const summary = await client.getProviderMeteredSummary();
    // Read as 0.4.20 code reads it: `totals` is one object and the lists are lists, with no `?.` or narrowing.
    const role: 'provider' = summary.role;
    const settled: string | null | undefined = summary.totals.settled_provider_receivable_minor;
    expect([role, settled, summary.open_periods.length]).toEqual(['provider', '0', 0]);
    expect(summary.totals).toEqual({ settled_provider_receivable_minor: '0', past_due_provider_receivable_minor: '4124.4' });
    expect(summary.periods[0]?.attempt_count).toBe(2);
    for (const field of ['totals', 'totals', 'role']) {
      const error = await client.getProviderMeteredSummary().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SiglumeInvalidResponseError);
      expect((error as Error).message).toContain(field);
    }
  });

  it('types usage events with the section 22 fields', async () => {
    const item = {
      ...ROW,
      rounding_delta_minor: 0,
      provider_receivable_minor: '11.8',
      expected_scheduled_debit_at: '2026-12-01T00:00:00Z',
      buyer_period_ref: 'bpr_1',
    };
    const client = clientWith([{ body: envelope({ items: [item], next_cursor: null }) }]);
    const page = await client.listProviderUsageEvents({ plan_type: 'nano' });
    expect(page.items[0]).toEqual({ ...item, rounding_delta_minor: '0' });
    expect(page.next_cursor).toBeNull();
  });

  it('names a statement amount that is not a decimal', async () => {
    const client = clientWith([{ body: envelope({ items: [{ ...ROW, provider_gross_amount_minor: 'twelve' }] }) }]);
    const error = await client.listBuyerUsageEvents().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SiglumeInvalidResponseError);
    expect((error as Error).message).toContain('items.0.provider_gross_amount_minor');
  });

  it('turns an amount sent as a JSON number into its decimal string, and refuses one with no exact decimal string', async () => {
    const listed = (amount: number) =>
      clientWith([{ body: envelope({ items: [{ ...ROW, provider_gross_amount_minor: amount }] }) }])
        .listBuyerUsageEvents()
        .then((page) => page.items[0]!.provider_gross_amount_minor);
    expect(await listed(4200)).toBe('4200');
    expect(await listed(75.6)).toBe('75.6');
    // A Nano fee JavaScript writes with an exponent is spelled out, not refused.
    expect(await listed(1.5e-7)).toBe('0.00000015');
    expect(await listed(-2.5e-8)).toBe('-0.000000025');
    expect(await listed(1e-7)).toBe('0.0000001');
    // 1e21 would come out as "1e+21", and 2^53 + 2 is already another integer once parsed: neither is passed on changed.
    for (const amount of [1e21, 2 ** 53 + 2]) {
      const error = await listed(amount).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SiglumeInvalidResponseError);
      expect((error as Error).message).toContain('items.0.provider_gross_amount_minor');
    }
  });
});

describe('metered statements against the sandbox', () => {
  let receiver: WebhookReceiver;
  let sandbox: SandboxHandle;
  beforeAll(async () => {
    receiver = await startReceiver();
    sandbox = await sandboxFor(receiver, { quiet: true }, true);
  });
  afterAll(async () => {
    await sandbox.close();
    await receiver.close();
  });

  it('reads the buyer and provider statements of the sandbox', async () => {
    const fetch = clientFetch(sandbox, true);
    const buyer = new DirectRequestPaymentClient({ auth_token: sandbox.buyer_token, base_url: sandbox.api_base, fetch, max_retries: 0 });
    const provider = new DirectRequestPaymentClient({ auth_token: sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN, base_url: sandbox.api_base, fetch, max_retries: 0 });
    expect(await buyer.getBuyerMeteredSummary({ plan_type: 'micro' })).toMatchObject({ usage_event_count: 0, role: 'buyer', open_periods: [], past_due_blocks: [] });
    const summary = await provider.getProviderMeteredSummary({ token_symbol: 'JPYC' });
    expect(summary).toMatchObject({ token_symbol: 'JPYC', role: 'provider', periods: [] });
    // The section 22 totals object, typed by the client (not the sandbox's per-token list).
    expect(summary.totals).toMatchObject({ settled_provider_receivable_minor: '0', unsettled_provider_receivable_minor: '0' });
    expect(await buyer.listBuyerSettlementBatches()).toEqual({ items: [], next_cursor: null });
  });
});
