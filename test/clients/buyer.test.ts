import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { inspect } from 'node:util';
import { DirectRequestPaymentClient } from '../../src/clients/buyer.js';
import { SiglumeInvalidResponseError, SiglumeValidationError } from '../../src/core/errors.js';
import type { DirectRequestPaymentRequestOptions as RequestOptions } from '../../src/clients/schemas/client-options.js';
import { DIRECT_REQUEST_PAYMENT_SDK_VERSION } from '../../src/version.js';
import { envelope, recordingFetch, type RecordedCall, type Reply } from './support/recording-fetch.js';

const TOKEN = 'tok_buyer_secret_abcdef';
const BASE = 'https://api.siglume.test/v1';
const UA = `@siglume/direct-request-payment/${DIRECT_REQUEST_PAYMENT_SDK_VERSION}`;
const CHALLENGE = 'siglume-external-402-v1:order-77-attempt-1:91500f2f68ec065115a36d0b00e28fcc0d3e2bbbda081aa550f111c9b09bc9fb';

beforeEach(() => {
  vi.stubEnv('SIGLUME_AUTH_TOKEN', '');
  vi.stubEnv('SIGLUME_MERCHANT_AUTH_TOKEN', '');
  vi.stubEnv('SIGLUME_API_BASE', '');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

function clientWith(replies: Reply[] | ((call: RecordedCall, index: number) => Reply)) {
  const rec = recordingFetch(replies);
  const client = new DirectRequestPaymentClient({ auth_token: TOKEN, base_url: BASE, fetch: rec.fetch, max_retries: 0 });
  return { client, calls: rec.calls };
}

const TX = { to: '0xabc', data: '0x01', metadata_jsonb: { source: 'siglume', order: 'o-1' } };
const APPROVE_TX = { to: '0xtoken', data: '0x02' };
const REQUIREMENT = {
  requirement_id: 'req_1',
  status: 'pending',
  amount_minor: 4200,
  currency: 'JPY',
  transaction_request: TX,
  approve_transaction_request: APPROVE_TX,
};
const EXECUTION = { status: 'submitted', receipt_id: 'rcpt_1' };
const ALL_FILTERS = {
  cursor: 'c_2',
  limit: 50,
  capability_key: 'search.query',
  listing_id: 'lst_1',
  status: 'settled',
  token_symbol: 'jpyc',
  plan_type: 'MICRO',
};
const ALL_FILTERS_QUERY = 'plan_type=micro&token_symbol=JPYC&status=settled&listing_id=lst_1&capability_key=search.query&limit=50&cursor=c_2';
const SUMMARY = { role: 'buyer', open_periods: [], settlement_batches: [], past_due_blocks: [], plan_type: 'nano', protocol_fee_minor: '0.2', gross_amount_minor: '49' };
const PROVIDER_SUMMARY = { role: 'provider', open_periods: [], periods: [], totals: {}, plan_type: 'nano', protocol_fee_minor: '0.2', gross_amount_minor: '49' };
// The fields CONTRACT-2 section 22 marks required, on a provider's row.
const USAGE_ROW = {
  metered_usage_id: 'mu_1', plan_type: 'nano', settlement_cadence: 'monthly', currency: 'JPY', token_symbol: 'JPYC', status: 'pending_settlement',
  provider_gross_amount_minor: '12', provider_usage_amount_minor: '12', gross_buyer_debit_minor: '12', protocol_fee_minor: '0.2', provider_receivable_minor: '11.8',
};
const PAGE = { items: [{ ...USAGE_ROW, usage_event_id: 'ue_1', amount_minor: '12' }], next_cursor: 'c_3' };
const BATCH = { settlement_batch_id: 'sb_1', plan_type: 'micro', settlement_cadence: 'weekly', status: 'settled', gross_amount_minor: '10000', protocol_fee_minor: '200' };

interface MethodCase {
  name: string;
  call: (c: DirectRequestPaymentClient, o?: RequestOptions) => Promise<unknown>;
  method: 'GET' | 'POST';
  url: string;
  body?: unknown;
  data: unknown;
}

const METHOD_CASES: MethodCase[] = [
  {
    name: 'createPaymentRequirement',
    call: (c, o) =>
      c.createPaymentRequirement(
        {
          merchant: 'Shop.Alpha',
          amount_minor: 4200,
          currency: 'jpy',
          // Trimmed before it is sent (CONTRACT-2 nonEmpty), as a challenge pasted from a file often is not.
          challenge: `${CHALLENGE}\n`,
          token_symbol: 'jpyc',
          allowance_amount_minor: 10_000,
          metadata: { order_id: 'o-77' },
        },
        o,
      ),
    method: 'POST',
    url: `${BASE}/sdrp/direct-payments/requirements`,
    body: {
      mode: 'external_402',
      merchant: 'shop.alpha',
      amount_minor: 4200,
      currency: 'JPY',
      challenge: CHALLENGE,
      token_symbol: 'JPYC',
      allowance_amount_minor: 10_000,
      metadata: { order_id: 'o-77' },
    },
    data: REQUIREMENT,
  },
  {
    name: 'getPaymentRequirement',
    call: (c, o) => c.getPaymentRequirement('req/../1?x', o),
    method: 'GET',
    url: `${BASE}/sdrp/direct-payments/requirements/req%2F..%2F1%3Fx`,
    data: REQUIREMENT,
  },
  {
    name: 'verifyPaymentRequirement',
    call: (c, o) =>
      c.verifyPaymentRequirement(
        'req_1',
        { receipt_id: 'rcpt_1', await_finality: true, await_required_status: 'settled', await_timeout_seconds: 30, await_poll_seconds: 0.5 },
        o,
      ),
    method: 'POST',
    url: `${BASE}/sdrp/direct-payments/requirements/req_1/verify`,
    body: { receipt_id: 'rcpt_1', await_finality: true, await_required_status: 'settled', await_timeout_seconds: 30, await_poll_seconds: 0.5 },
    data: { requirement_id: 'req_1', status: 'settled', verified: true },
  },
  {
    name: 'executePreparedTransaction',
    call: (c, o) =>
      c.executePreparedTransaction(
        { transaction_request: TX, receipt_kind: 'sdrp_direct_payment', reference_type: 'sdrp_direct_payment_requirement', reference_id: 'req_1' },
        o,
      ),
    method: 'POST',
    url: `${BASE}/market/web3/transactions/execute-prepared`,
    body: {
      transaction_request: TX,
      receipt_kind: 'sdrp_direct_payment',
      reference_type: 'sdrp_direct_payment_requirement',
      reference_id: 'req_1',
      metadata: {},
      await_finality: false,
    },
    data: EXECUTION,
  },
  {
    name: 'executePaymentTransaction',
    call: (c, o) => c.executePaymentTransaction(REQUIREMENT, { await_finality: true, metadata: { order: 'o-2', note: 'n' } }, o),
    method: 'POST',
    url: `${BASE}/market/web3/transactions/execute-prepared`,
    body: {
      transaction_request: TX,
      receipt_kind: 'sdrp_direct_payment',
      reference_type: 'sdrp_direct_payment_requirement',
      reference_id: 'req_1',
      metadata: { source: 'siglume', order: 'o-2', note: 'n' },
      await_finality: true,
    },
    data: EXECUTION,
  },
  {
    name: 'executeAllowanceTransaction',
    call: (c, o) => c.executeAllowanceTransaction(REQUIREMENT, {}, o),
    method: 'POST',
    url: `${BASE}/market/web3/transactions/execute-prepared`,
    body: {
      transaction_request: APPROVE_TX,
      receipt_kind: 'sdrp_direct_payment_allowance',
      reference_type: 'sdrp_direct_payment_requirement',
      reference_id: 'req_1',
      metadata: {},
      await_finality: false,
    },
    data: EXECUTION,
  },
  { name: 'getBuyerMeteredSummary', call: (c, o) => c.getBuyerMeteredSummary(ALL_FILTERS, o), method: 'GET', url: `${BASE}/sdrp/metered/my-summary?${ALL_FILTERS_QUERY}`, data: SUMMARY },
  { name: 'listBuyerUsageEvents', call: (c, o) => c.listBuyerUsageEvents(ALL_FILTERS, o), method: 'GET', url: `${BASE}/sdrp/metered/my-usage-events?${ALL_FILTERS_QUERY}`, data: PAGE },
  { name: 'listBuyerSettlementBatches', call: (c, o) => c.listBuyerSettlementBatches(ALL_FILTERS, o), method: 'GET', url: `${BASE}/sdrp/metered/my-settlement-batches?${ALL_FILTERS_QUERY}`, data: { items: [BATCH], next_cursor: null } },
  { name: 'getProviderMeteredSummary', call: (c, o) => c.getProviderMeteredSummary(ALL_FILTERS, o), method: 'GET', url: `${BASE}/sdrp/metered/provider/summary?${ALL_FILTERS_QUERY}`, data: PROVIDER_SUMMARY },
  { name: 'listProviderUsageEvents', call: (c, o) => c.listProviderUsageEvents(ALL_FILTERS, o), method: 'GET', url: `${BASE}/sdrp/metered/provider/usage-events?${ALL_FILTERS_QUERY}`, data: PAGE },
  { name: 'listProviderSettlementBatches', call: (c, o) => c.listProviderSettlementBatches(ALL_FILTERS, o), method: 'GET', url: `${BASE}/sdrp/metered/provider/settlement-batches?${ALL_FILTERS_QUERY}`, data: { items: [BATCH], next_cursor: null } },
  {
    name: 'getProviderSettlementBatch',
    call: (c, o) => c.getProviderSettlementBatch('sb/1', { capability_key: 'search.query', listing_id: 'lst 1' }, o),
    method: 'GET',
    url: `${BASE}/sdrp/metered/provider/settlement-batches/sb%2F1?listing_id=lst+1&capability_key=search.query`,
    data: BATCH,
  },
];

describe('DirectRequestPaymentClient', () => {
  describe.each(METHOD_CASES)('$name', (tc) => {
    it(`sends ${tc.method} to the contract path with the expected body and headers`, async () => {
      const { client, calls } = clientWith([{ body: envelope(tc.data) }]);
      const result = await tc.call(client);
      expect(calls).toHaveLength(1);
      const call = calls[0]!;
      expect(call.method).toBe(tc.method);
      expect(call.url).toBe(tc.url);
      expect(call.body).toEqual(tc.body);
      expect(call.headers.Authorization).toBe(`Bearer ${TOKEN}`);
      expect(call.headers.Accept).toBe('application/json');
      expect(call.headers['User-Agent']).toBe(UA);
      expect(call.headers['Content-Type']).toBe(tc.body === undefined ? undefined : 'application/json');
      if (tc.method === 'POST') expect(call.headers['Idempotency-Key']).toMatch(/\S+/);
      else expect(call.headers['Idempotency-Key']).toBeUndefined();
      expect(result).toEqual(tc.data);
    });

    it('passes request options through to the transport', async () => {
      const { client, calls } = clientWith([{ body: envelope(tc.data) }]);
      await tc.call(client, { idempotency_key: 'idem-b-1' });
      if (tc.method === 'POST') expect(calls[0]!.headers['Idempotency-Key']).toBe('idem-b-1');
      else expect(calls).toHaveLength(1);
    });

    it('rejects invalid request options before any request', async () => {
      const { client, calls } = clientWith([]);
      await expect(tc.call(client, { timeout_ms: 0 })).rejects.toThrow(/Invalid options\.timeout_ms/);
      await expect(tc.call(client, { signal: 'stop' as never })).rejects.toThrow(/Invalid options\.signal: must be an AbortSignal/);
      expect(calls).toHaveLength(0);
    });
  });

  describe('when metered filters are absent', () => {
    it.each([
      ['getBuyerMeteredSummary', (c: DirectRequestPaymentClient) => c.getBuyerMeteredSummary(), '/sdrp/metered/my-summary'],
      ['listProviderUsageEvents', (c: DirectRequestPaymentClient) => c.listProviderUsageEvents({}), '/sdrp/metered/provider/usage-events'],
      ['getProviderSettlementBatch', (c: DirectRequestPaymentClient) => c.getProviderSettlementBatch('sb_1'), '/sdrp/metered/provider/settlement-batches/sb_1'],
    ])('%s sends no query string', async (_n, call, path) => {
      const { client, calls } = clientWith(() => ({ body: envelope({ items: [], ...BATCH, ...SUMMARY }) }));
      await call(client);
      expect(calls[0]!.url).toBe(`${BASE}${path}`);
    });

    it('omits the absent ones and keeps the order of the rest', async () => {
      const { client, calls } = clientWith([{ body: envelope(PAGE) }]);
      await client.listBuyerUsageEvents({ cursor: 'c_9', token_symbol: 'usdc' });
      expect(calls[0]!.url).toBe(`${BASE}/sdrp/metered/my-usage-events?token_symbol=USDC&cursor=c_9`);
    });
  });

  describe('when reading statements', () => {
    it('returns amounts as decimal strings, converting JSON numbers', async () => {
      const { client } = clientWith([{ body: envelope({ items: [{ ...USAGE_ROW, amount_minor: 12, protocol_fee_minor: 0.2, provider_receivable_minor: 11.8 }] }) }]);
      const page = await client.listProviderUsageEvents();
      expect(page.items[0]).toMatchObject({ amount_minor: '12', protocol_fee_minor: '0.2', provider_receivable_minor: '11.8' });
      expect(page.next_cursor).toBeNull();
    });

    it('rejects a row without a field CONTRACT-2 section 22 marks required, naming it (0.4.20 code reads it as a string)', async () => {
      const { metered_usage_id: _id, ...noId } = USAGE_ROW;
      const { provider_receivable_minor: _r, ...buyerRow } = USAGE_ROW;
      const { client } = clientWith([
        { body: envelope({ items: [noId] }) },
        { body: envelope({ items: [buyerRow] }) },
        { body: envelope({ items: [buyerRow] }) },
        { body: envelope({ ...BATCH, status: undefined }) },
      ]);
      const missing = await client.listBuyerUsageEvents().catch((e: unknown) => e);
      expect(missing).toBeInstanceOf(SiglumeInvalidResponseError);
      expect((missing as Error).message).toContain('metered_usage_id');
      // A buyer's row has no receivable; a provider's must.
      expect((await client.listBuyerUsageEvents()).items[0]!.metered_usage_id).toBe('mu_1');
      const provider = await client.listProviderUsageEvents().catch((e: unknown) => e);
      expect((provider as Error).message).toContain('provider_receivable_minor');
      const batch = await client.getProviderSettlementBatch('sb_1').catch((e: unknown) => e);
      expect(batch).toBeInstanceOf(SiglumeInvalidResponseError);
      expect((batch as Error).message).toContain('status');
    });

    it('rejects a page without an items array', async () => {
      const { client } = clientWith([{ body: envelope({ events: [] }) }]);
      const error = await client.listBuyerUsageEvents().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SiglumeInvalidResponseError);
      expect((error as Error).message).toContain('items');
    });

    it('rejects an amount that is not a decimal', async () => {
      const { client } = clientWith([{ body: envelope({ ...PROVIDER_SUMMARY, protocol_fee_minor: 'two yen' }) }]);
      const error = await client.getProviderMeteredSummary().catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SiglumeInvalidResponseError);
      expect((error as Error).message).toContain('protocol_fee_minor');
    });
  });

  describe('when a test double\'s token is short', () => {
    it('keeps an id that contains it readable in the error (a token under 8 characters is not scrubbed)', async () => {
      const rec = recordingFetch([{ status: 404, body: { error: { code: 'NOT_FOUND', message: 'No requirement req_test_1' } } }]);
      const client = new DirectRequestPaymentClient({ auth_token: 'test', base_url: BASE, fetch: rec.fetch, max_retries: 0 });
      const error = await client.getPaymentRequirement('req_test_1').catch((e: unknown) => e);
      expect((error as Error).message).toContain('No requirement req_test_1');
    });
  });

  describe('when a requirement response lacks requirement_id', () => {
    it('throws SiglumeInvalidResponseError naming it', async () => {
      const { client } = clientWith([{ body: envelope({ status: 'pending' }) }]);
      const error = await client.getPaymentRequirement('req_1').catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SiglumeInvalidResponseError);
      expect((error as Error).message).toContain('requirement_id');
    });
  });

  describe('when executing an allowance for a requirement without one', () => {
    it('rejects before any request, naming approve_transaction_request', async () => {
      const { client, calls } = clientWith([]);
      const { approve_transaction_request: _omit, ...withoutApproval } = REQUIREMENT;
      await expect(client.executeAllowanceTransaction(withoutApproval)).rejects.toThrow(
        /Invalid requirement\.approve_transaction_request: is missing/,
      );
      expect(calls).toHaveLength(0);
    });
  });

  describe('when the input is invalid', () => {
    const requirement = (over: Record<string, unknown>) => (c: DirectRequestPaymentClient) =>
      c.createPaymentRequirement({ merchant: 'shop_alpha', amount_minor: 4200, currency: 'JPY', challenge: CHALLENGE, ...over } as never);
    class Cart {
      items = [];
    }
    const cases: Array<[string, (c: DirectRequestPaymentClient) => Promise<unknown>, RegExp]> = [
      ['a float amount', requirement({ amount_minor: 1.25 }), /Invalid amount_minor: .*positive safe integer/],
      ['a string amount', requirement({ amount_minor: '4200' }), /Invalid amount_minor: .*positive safe integer/],
      ['a boolean amount', requirement({ amount_minor: false }), /Invalid amount_minor: .*positive safe integer/],
      ['a negative allowance', requirement({ allowance_amount_minor: -1 }), /Invalid allowance_amount_minor: .*positive safe integer/],
      ['currency EUR', requirement({ currency: 'EUR' }), /Invalid currency: must be "JPY" or "USD"/],
      ['a token that does not match the currency', requirement({ token_symbol: 'USDC' }), /Invalid token_symbol: must be "JPYC" for JPY/],
      ['an unknown token', requirement({ token_symbol: 'EURC' }), /Invalid token_symbol: must be "JPYC" or "USDC"/],
      ['a merchant key starting with a dot', requirement({ merchant: '.shop' }), /Invalid merchant: must be 1-96 characters/],
      ['a 97-character merchant key', requirement({ merchant: 'a'.repeat(97) }), /Invalid merchant/],
      ['a malformed challenge', requirement({ challenge: 'not-a-challenge' }), /Invalid challenge: must be a challenge string/],
      ['a challenge with an empty part', requirement({ challenge: 'scheme::sig' }), /Invalid challenge/],
      ['metadata with a function', requirement({ metadata: { f: () => 1 } }), /Invalid metadata: must be JSON-serializable/],
      ['metadata with a class instance', requirement({ metadata: { cart: new Cart() } }), /Invalid metadata: must be JSON-serializable \(the value at "cart"/],
      ['a misspelt field standing for an absent one', requirement({ amountMinor: 1, amount_minor: undefined }), /^Invalid input: unknown field "amountMinor" \(did you mean "amount_minor"\?\)$/],
      ['an empty requirement id', (c) => c.getPaymentRequirement(''), /Invalid requirement_id: must not be empty/],
      ['a numeric requirement id', (c) => c.verifyPaymentRequirement(7 as never), /Invalid requirement_id: must be a string/],
      ['a payload without transaction_request', (c) => c.executePreparedTransaction({ receipt_kind: 'k', reference_type: 't', reference_id: 'r' } as never), /Invalid transaction_request/],
      ['a payload with a string await_finality', (c) => c.executePreparedTransaction({ transaction_request: {}, receipt_kind: 'k', reference_type: 't', reference_id: 'r', await_finality: 'true' as never }), /Invalid await_finality/],
      ['a requirement without requirement_id', (c) => c.executePaymentTransaction({ transaction_request: TX }), /Invalid requirement\.requirement_id: is missing/],
      ['plan type "mega"', (c) => c.listBuyerUsageEvents({ plan_type: 'mega' }), /Invalid plan_type: must be "micro" or "nano"/],
      ['token symbol EURC', (c) => c.getBuyerMeteredSummary({ token_symbol: 'EURC' }), /Invalid token_symbol/],
      ['a float limit', (c) => c.listProviderSettlementBatches({ limit: 10.5 }), /Invalid limit: .*positive safe integer/],
      ['a string limit', (c) => c.listProviderUsageEvents({ limit: '10' as never }), /Invalid limit: .*positive safe integer/],
      ['an empty cursor', (c) => c.listBuyerSettlementBatches({ cursor: '' }), /Invalid cursor: must not be empty/],
      ['an unknown filter', (c) => c.getProviderMeteredSummary({ planType: 'micro' } as never), /^Invalid input: unknown field "planType" \(did you mean "plan_type"\?\)$/],
      ['an empty batch id', (c) => c.getProviderSettlementBatch(''), /Invalid settlement_batch_id: must not be empty/],
      ['a ".." batch id', (c) => c.getProviderSettlementBatch('..'), /Invalid settlement_batch_id: must not be "\." or "\.\."/],
      ['a "." requirement id', (c) => c.getPaymentRequirement('.'), /Invalid requirement_id: must not be "\." or "\.\."/],
      ['a ".." requirement id to verify', (c) => c.verifyPaymentRequirement('..'), /Invalid requirement_id: must not be "\." or "\.\."/],
    ];

    it.each(cases)('rejects %s before any request, naming the field', async (_t, call, message) => {
      const { client, calls } = clientWith([]);
      const error = await call(client).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SiglumeValidationError);
      expect((error as Error).message).toMatch(message);
      expect(calls).toHaveLength(0);
    });

    it('reports a misspelt key as the field itself, not the whole input', async () => {
      const { client, calls } = clientWith([]);
      const error = await client.listBuyerUsageEvents({ planType: 'micro' } as never).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(SiglumeValidationError);
      expect(error).toMatchObject({ field: 'planType', message: 'Invalid input: unknown field "planType" (did you mean "plan_type"?)' });
      expect(calls).toHaveLength(0);
    });
  });

  describe('when 0.4.20 code passes what 0.4.20 took', () => {
    const requirementInput = () => ({ merchant: 'shop_alpha', amount_minor: 4200, currency: 'JPY' as const, challenge: CHALLENGE });
    it('sends the verify input verbatim: null values, string flags and keys the SDK does not know (CONTRACT-2 21.2)', async () => {
      const { client, calls } = clientWith(() => ({ body: envelope({ requirement_id: 'req_1', status: 'settled' }) }));
      const inputs = [
        { receipt_id: 'rcpt_1', chain_receipt_id: null, status: 'submitted', await_finality: true },
        { receipt_id: 'rcpt_1', await_finality: 'true' },
        { receipt_id: 'rcpt_1', include_receipt: true, await_timeout_seconds: 0 },
      ];
      for (const input of inputs) await client.verifyPaymentRequirement('req_1', input as never);
      expect(calls.map((c) => c.rawBody)).toEqual(inputs.map((i) => JSON.stringify(i)));
    });

    it('refuses only a verify input JSON cannot write, before any request', async () => {
      const { client, calls } = clientWith([]);
      const loop: Record<string, unknown> = {};
      loop.self = loop;
      await expect(client.verifyPaymentRequirement('req_1', loop as never)).rejects.toMatchObject({ name: 'SiglumeValidationError', field: 'input' });
      expect(calls).toHaveLength(0);
    });

    it('drops keys it does not know instead of refusing or sending them', async () => {
      const { client, calls } = clientWith((call) => ({ body: envelope(call.url.includes('settlement-batches') ? BATCH : { requirement_id: 'req_1' }) }));
      await client.createPaymentRequirement({ ...requirementInput(), order_id: 'o-1', note: 'x' } as never);
      await client.getProviderSettlementBatch('sb_1', { listing_id: 'lst_1', limit: 1 } as never);
      expect(calls[0]!.body).not.toHaveProperty('order_id');
      expect(calls[0]!.body).not.toHaveProperty('note');
      expect(calls[1]!.url).toBe(`${BASE}/sdrp/metered/provider/settlement-batches/sb_1?listing_id=lst_1`);
    });

    it('copies metadata as a JSON round trip: undefined members left out, a Date as its ISO string', async () => {
      const { client, calls } = clientWith((call) => ({ body: envelope(call.url.endsWith('/requirements') ? { requirement_id: 'req_1' } : EXECUTION) }));
      await client.createPaymentRequirement({ ...requirementInput(), metadata: { order_id: 'o-1', coupon: undefined, placed_at: new Date(0) } });
      await client.executePaymentTransaction(REQUIREMENT, { metadata: { at: new Date(0), gone: undefined } });
      expect(calls[0]!.body).toMatchObject({ metadata: { order_id: 'o-1', placed_at: '1970-01-01T00:00:00.000Z' } });
      expect((calls[0]!.body as { metadata: object }).metadata).not.toHaveProperty('coupon');
      expect((calls[1]!.body as { metadata: object }).metadata).toMatchObject({ at: '1970-01-01T00:00:00.000Z' });
      expect((calls[1]!.body as { metadata: object }).metadata).not.toHaveProperty('gone');
    });
  });

  describe('when constructed', () => {
    it('ignores SIGLUME_MERCHANT_AUTH_TOKEN', () => {
      vi.stubEnv('SIGLUME_MERCHANT_AUTH_TOKEN', 'tok_merchant_env');
      expect(() => new DirectRequestPaymentClient()).toThrow(/Missing auth token: pass the auth_token option or set SIGLUME_AUTH_TOKEN\./);
    });

    it('reads SIGLUME_AUTH_TOKEN, and prefers the auth_token option', async () => {
      vi.stubEnv('SIGLUME_MERCHANT_AUTH_TOKEN', 'tok_merchant_env');
      vi.stubEnv('SIGLUME_AUTH_TOKEN', 'tok_generic_env');
      const rec = recordingFetch(() => ({ body: envelope(REQUIREMENT) }));
      await new DirectRequestPaymentClient({ fetch: rec.fetch }).getPaymentRequirement('req_1');
      await new DirectRequestPaymentClient({ fetch: rec.fetch, auth_token: 'tok_opt' }).getPaymentRequirement('req_1');
      expect(rec.calls.map((c) => c.headers.Authorization)).toEqual(['Bearer tok_generic_env', 'Bearer tok_opt']);
    });

    it('treats base_url: null as absent, as 0.4.20 did', () => {
      vi.stubEnv('SIGLUME_API_BASE', 'http://localhost:8787/v1/');
      expect(new DirectRequestPaymentClient({ auth_token: TOKEN, base_url: null }).base_url).toBe('http://localhost:8787/v1');
      expect(() => new DirectRequestPaymentClient({ auth_token: TOKEN, base_url: '' })).toThrow(/Invalid base_url: must be an absolute URL/);
    });

    it('treats auth_token: null as absent and reads SIGLUME_AUTH_TOKEN', async () => {
      vi.stubEnv('SIGLUME_AUTH_TOKEN', 'tok_generic_env');
      const rec = recordingFetch([{ body: envelope(REQUIREMENT) }]);
      await new DirectRequestPaymentClient({ auth_token: null, fetch: rec.fetch }).getPaymentRequirement('req_1');
      expect(rec.calls[0]!.headers.Authorization).toBe('Bearer tok_generic_env');
    });

    it.each(['', ' \t'])('refuses auth_token %j instead of using SIGLUME_AUTH_TOKEN', (auth_token) => {
      vi.stubEnv('SIGLUME_AUTH_TOKEN', 'tok_generic_env');
      expect(() => new DirectRequestPaymentClient({ auth_token })).toThrow(/^Invalid auth_token: must not be empty/);
    });

    it('refuses a cli_ key from SIGLUME_AUTH_TOKEN without echoing it', () => {
      vi.stubEnv('SIGLUME_AUTH_TOKEN', 'cli_portal_secretish');
      expect(() => new DirectRequestPaymentClient()).toThrow(/Invalid SIGLUME_AUTH_TOKEN: this looks like a Developer Portal key/);
      try {
        new DirectRequestPaymentClient();
      } catch (error) {
        expect((error as Error).message).not.toContain('portal_secretish');
      }
    });

    it('keeps the token out of JSON.stringify and util.inspect', () => {
      const { client } = clientWith([]);
      expect(JSON.stringify(client)).toBe(JSON.stringify({ base_url: BASE, timeout_ms: 15000, user_agent: UA }));
      expect(inspect(client, { showHidden: true, depth: Infinity })).not.toContain(TOKEN);
    });

    it('validates client options, naming the option', () => {
      expect(() => new DirectRequestPaymentClient({ auth_token: TOKEN, max_retries: -2 })).toThrow(/Invalid max_retries: must be a non-negative integer/);
      expect(() => new DirectRequestPaymentClient({ auth_token: TOKEN, max_retries: 1e15 })).toThrow(/Invalid max_retries: must be a non-negative integer, at most 10/);
      expect(() => new DirectRequestPaymentClient({ auth_token: TOKEN, max_retries: 11 })).toThrow(/at most 10/);
      expect(new DirectRequestPaymentClient({ auth_token: TOKEN, max_retries: 10 })).toBeInstanceOf(DirectRequestPaymentClient);
      expect(() => new DirectRequestPaymentClient({ auth_token: TOKEN, fetch: 42 as never })).toThrow(/Invalid fetch: must be a fetch-compatible function/);
      expect(() => new DirectRequestPaymentClient('tok' as never)).toThrow(/Invalid options: must be an object/);
    });

    it('rejects an http base URL on a public host', () => {
      expect(() => new DirectRequestPaymentClient({ auth_token: TOKEN, base_url: 'http://api.siglume.test/v1' })).toThrow(
        /Invalid base_url: must use https/,
      );
    });
  });
});

describe('DirectRequestPaymentClient retry safety of money-moving calls', () => {
  function flakyClient(options: { timeout_ms?: number; delayMs?: number } = {}) {
    const calls: Array<Record<string, string>> = [];
    const fetch = async (_url: string, init: { headers: Record<string, string>; signal: AbortSignal }) => {
      calls.push(init.headers);
      if (calls.length === 1 && options.delayMs === undefined) throw Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
      if (options.delayMs) {
        await new Promise((resolve, reject) => {
          const timer = setTimeout(resolve, options.delayMs);
          init.signal.addEventListener('abort', () => (clearTimeout(timer), reject(new Error('aborted'))));
        });
      }
      const body = JSON.stringify(envelope(calls.length === 1 ? { requirement_id: 'req_1', status: 'verified' } : EXECUTION));
      return { status: 200, headers: { get: () => null }, text: async () => body };
    };
    const client = new DirectRequestPaymentClient({ auth_token: TOKEN, base_url: BASE, fetch, timeout_ms: options.timeout_ms });
    return { client, calls };
  }

  describe('when execute-prepared loses its connection', () => {
    it('does not resend the execution without a caller-supplied idempotency key', async () => {
      const { client, calls } = flakyClient();
      await expect(client.executePaymentTransaction(REQUIREMENT)).rejects.toMatchObject({ code: 'CONNECTION_ERROR' });
      expect(calls).toHaveLength(1);
    });

    it('retries with the same key when the caller supplied one', async () => {
      const { client, calls } = flakyClient();
      await expect(client.executePaymentTransaction(REQUIREMENT, {}, { idempotency_key: 'pay-req_1-1' })).resolves.toEqual(EXECUTION);
      expect(calls.map((h) => h['Idempotency-Key'])).toEqual(['pay-req_1-1', 'pay-req_1-1']);
    });
  });

  describe('when verify waits server-side', () => {
    it('extends the request timeout by await_timeout_seconds', async () => {
      const { client } = flakyClient({ timeout_ms: 100, delayMs: 250 });
      await expect(client.verifyPaymentRequirement('req_1', { await_finality: true, await_timeout_seconds: 1 })).resolves.toMatchObject({
        requirement_id: 'req_1',
      });
    });

    it('still times out without await_timeout_seconds', async () => {
      const { client } = flakyClient({ timeout_ms: 100, delayMs: 250 });
      await expect(client.verifyPaymentRequirement('req_1', {}, { max_retries: 0 })).rejects.toMatchObject({ code: 'TIMEOUT' });
    });
  });
});
