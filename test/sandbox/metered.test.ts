import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import { classifyDirectPaymentConfirmation } from '../../src/webhooks/classify.js';
import { verifyDirectRequestPaymentWebhook } from '../../src/webhooks/event.js';
import { call, createSession, sandboxFor, startReceiver, type WebhookReceiver } from './helpers.js';

let receiver: WebhookReceiver;
let sandbox: SandboxHandle;

async function pay(sb: SandboxHandle, amount_minor: number, currency = 'JPY') {
  const s = await createSession(sb, { amount_minor, currency });
  return sb.payCheckoutSession(s.session_id);
}

beforeAll(async () => {
  receiver = await startReceiver();
  sandbox = await sandboxFor(receiver);
  await pay(sandbox, 300);
  await pay(sandbox, 300);
  await pay(sandbox, 30);
  await pay(sandbox, 100, 'USD');
  await pay(sandbox, 4200); // Standard: not in metered statements
});

afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

const buyer = (path: string) => call(sandbox, 'GET', path, { token: sandbox.buyer_token });
const provider = (path: string) => call(sandbox, 'GET', path);

describe('metered statements', () => {
  describe('usage events', () => {
    it('list only Micro / Nano payments with decimal-string amounts, newest first', async () => {
      const page = (await provider('/sdrp/metered/provider/usage-events')).body.data;
      expect(page.next_cursor).toBeNull();
      expect(page.items.map((u: { amount_minor: string }) => u.amount_minor)).toEqual(['100', '30', '300', '300']);
      expect(page.items[1]).toMatchObject({
        plan_type: 'nano',
        token_symbol: 'JPYC',
        status: 'pending_settlement',
        protocol_fee_minor: '0.2',
        provider_receivable_minor: '29.8',
        buyer_debit_minor: '30',
        capability_key: 'direct_request_payment',
      });
      expect(page.items[1].settlement_batch_id).toMatch(/^msb_/);
    });

    it('carry the CONTRACT-2 section 22 row fields; a buyer row leaves out what the provider receives', async () => {
      const [row] = (await provider('/sdrp/metered/provider/usage-events?plan_type=nano')).body.data.items;
      expect(row).toMatchObject({
        metered_usage_id: row.usage_event_id,
        settlement_cadence: 'monthly',
        provider_gross_amount_minor: '30',
        provider_usage_amount_minor: '30',
        gross_buyer_debit_minor: '30',
        rounding_delta_minor: '0',
        product_listing_id: sandbox.getMerchant('sandbox_shop')!.listing_id,
        provider_receivable_minor: '29.8',
      });
      expect(row.period_start <= row.created_at && row.created_at < row.period_end).toBe(true);
      expect(row.expected_scheduled_debit_at).toBe(row.period_end);
      const [mine] = (await buyer('/sdrp/metered/my-usage-events?plan_type=nano')).body.data.items;
      expect(mine).toMatchObject({ metered_usage_id: row.metered_usage_id, buyer_debit_minor: '30', gross_buyer_debit_minor: '30' });
      expect(mine).not.toHaveProperty('provider_receivable_minor');
    });

    it('page with limit and next_cursor without gaps or repeats', async () => {
      const first = (await buyer('/sdrp/metered/my-usage-events?limit=3')).body.data;
      expect(first.items).toHaveLength(3);
      expect(typeof first.next_cursor).toBe('string');
      const second = (await buyer(`/sdrp/metered/my-usage-events?limit=3&cursor=${first.next_cursor}`)).body.data;
      expect(second.items).toHaveLength(1);
      expect(second.next_cursor).toBeNull();
      const ids = [...first.items, ...second.items].map((u: { usage_event_id: string }) => u.usage_event_id);
      expect(new Set(ids).size).toBe(4);
    });

    it('keep paging a status filter after the cursor row has settled (was 422 on page 2)', async () => {
      const own = await sandboxFor(receiver);
      try {
        for (const [amount, currency] of [[10, 'JPY'], [11, 'JPY'], [12, 'USD'], [13, 'USD'], [14, 'JPY']] as const) await pay(own, amount, currency);
        const path = '/sdrp/metered/provider/usage-events?status=pending_settlement&limit=2';
        const first = (await call(own, 'GET', path)).body.data;
        expect(first.items.map((u: { amount_minor: string }) => u.amount_minor)).toEqual(['14', '13']);
        // The cursor row's (USD) batch settles between the pages.
        const settle = await call(own, 'POST', '/__sandbox/metered/settle', { body: { settlement_batch_id: first.items[1].settlement_batch_id } });
        expect(settle.status).toBe(200);
        const second = await call(own, 'GET', `${path}&cursor=${first.next_cursor}`);
        expect(second.status).toBe(200);
        expect(second.body.data.items.map((u: { amount_minor: string }) => u.amount_minor)).toEqual(['11', '10']);
        expect(second.body.data.next_cursor).toBeNull();
        const unknown = await call(own, 'GET', `${path}&cursor=use_missing`);
        expect([unknown.status, unknown.body.error.field]).toEqual([422, 'cursor']);
      } finally {
        await own.close();
      }
    });

    it('filter by plan_type, token_symbol (case-insensitive) and status', async () => {
      expect((await provider('/sdrp/metered/provider/usage-events?plan_type=NANO')).body.data.items).toHaveLength(1);
      expect((await provider('/sdrp/metered/provider/usage-events?token_symbol=usdc')).body.data.items).toHaveLength(1);
      expect((await provider('/sdrp/metered/provider/usage-events?status=settled')).body.data.items).toHaveLength(0);
      const listing = sandbox.getMerchant('sandbox_shop')!.listing_id;
      expect((await provider(`/sdrp/metered/provider/usage-events?listing_id=${listing}&capability_key=direct_request_payment`)).body.data.items).toHaveLength(4);
      expect((await provider('/sdrp/metered/provider/usage-events?listing_id=lst_other')).body.data.items).toHaveLength(0);
    });
  });

  describe('summaries', () => {
    it('total per token with seller-borne fees (provider) and debits (buyer)', async () => {
      const p = (await provider('/sdrp/metered/provider/summary')).body.data;
      // Rows in two tokens: the provider's summary covers the billing token (JPYC); totals_by_token lists both.
      expect(p).toMatchObject({ usage_event_count: 3, token_symbol: 'JPYC', filters: { token_symbol: 'JPYC' } });
      expect(p.settlement_threshold_minor).toBe('10000');
      const jpyc = p.totals_by_token.find((t: { token_symbol: string }) => t.token_symbol === 'JPYC');
      expect(jpyc).toMatchObject({
        usage_event_count: 3,
        gross_amount_minor: '630',
        protocol_fee_minor: '4.2',
        provider_receivable_minor: '625.8',
        pending_settlement_minor: '625.8',
        settled_amount_minor: '0',
      });
      // Two tokens in the buyer's scope: no flat total that would add JPYC to USDC.
      const all = (await buyer('/sdrp/metered/my-summary')).body.data;
      expect(all).toMatchObject({ usage_event_count: 4, token_symbol: null });
      expect(all.buyer_debit_minor).toBeUndefined();
      const b = (await buyer('/sdrp/metered/my-summary?token_symbol=JPYC')).body.data;
      expect(b.totals_by_token).toEqual([
        expect.objectContaining({ token_symbol: 'JPYC', usage_event_count: 3, buyer_debit_minor: '630', pending_settlement_minor: '630' }),
      ]);
      expect(b).toMatchObject({ token_symbol: 'JPYC', currency: 'JPY', buyer_debit_minor: '630' });
    });
  });

  describe('summaries in the shape of CONTRACT-2 section 22', () => {
    it('give the provider its role, filters, open periods, periods and receivable totals', async () => {
      const p = (await provider('/sdrp/metered/provider/summary?token_symbol=JPYC')).body.data;
      expect(p).toMatchObject({ role: 'provider', timezone: 'UTC', filters: { token_symbol: 'JPYC' } });
      expect(p.totals).toEqual({
        settled_provider_receivable_minor: '0',
        unsettled_provider_receivable_minor: '625.8',
        past_due_provider_receivable_minor: '0',
        terminal_provider_receivable_minor: '0',
        uncollectible_provider_receivable_minor: '0',
        written_off_provider_receivable_minor: '0',
      });
      expect(p.periods).toHaveLength(2);
      const micro = p.open_periods.find((o: { plan_type: string }) => o.plan_type === 'micro');
      expect(micro).toMatchObject({
        settlement_cadence: 'weekly',
        currency: 'JPY',
        // Not closed yet: CONTRACT-2 section 19.6 (amount_threshold once the gross reaches it, else null).
        settlement_trigger: null,
        // The sandbox's batches are per listing and capability: the period says which.
        listing_id: expect.stringMatching(/\S/),
        capability_key: expect.stringMatching(/\S/),
        settlement_threshold_minor: '10000',
        threshold_reached_at: null,
        provider_gross_amount_minor: '600',
        provider_usage_amount_minor: '600',
        protocol_fee_minor: '4',
        provider_receivable_minor: '596',
        total_unsettled_exposure_minor: '600',
      });
      expect(micro.close_at).toBe(micro.period_end);
      // Two tokens in scope: receivables in JPYC and USDC are not added up. `totals` stays one object (0.4.20
      // dashboards read it), covering the merchant's billing token, which `filters` names; every token is listed.
      const both = (await provider('/sdrp/metered/provider/summary')).body.data;
      expect(both.filters).toMatchObject({ token_symbol: 'JPYC' });
      expect(both.totals).toEqual(p.totals);
      expect(both.periods).toEqual(p.periods);
      expect(both.totals_by_token.map((t: { token_symbol: string }) => t.token_symbol)).toEqual(['JPYC', 'USDC']);
    });

    it('give the buyer its role, open periods and batches, and no past-due block', async () => {
      const b = (await buyer('/sdrp/metered/my-summary')).body.data;
      expect(b).toMatchObject({ role: 'buyer', past_due_blocks: [], balance_sufficiency: null });
      expect(b.open_periods).toHaveLength(3);
      expect(b.settlement_batches).toHaveLength(3);
      expect(b).not.toHaveProperty('totals');
    });
  });

  describe('settlement batches', () => {
    it('group by plan and token, and show one batch with its usage events', async () => {
      const list = (await provider('/sdrp/metered/provider/settlement-batches')).body.data.items;
      expect(list).toHaveLength(3);
      const microJpyc = list.find((b: { plan_type: string; token_symbol: string }) => b.plan_type === 'micro' && b.token_symbol === 'JPYC');
      expect(microJpyc).toMatchObject({ status: 'open', settlement_cadence: 'weekly', usage_event_count: 2, gross_amount_minor: '600', protocol_fee_minor: '4' });
      const one = (await provider(`/sdrp/metered/provider/settlement-batches/${microJpyc.settlement_batch_id}`)).body.data;
      expect(one.usage_events).toHaveLength(2);
      // A batch outside the listing_id / capability_key filter is as absent as an unknown one.
      const other = await provider(`/sdrp/metered/provider/settlement-batches/${microJpyc.settlement_batch_id}?listing_id=lst_other`);
      expect(other.status).toBe(404);
      expect(other.body.error).toMatchObject({ code: 'SETTLEMENT_BATCH_NOT_FOUND', message: `Settlement batch "${microJpyc.settlement_batch_id}" does not exist in this sandbox.` });
      expect((await buyer('/sdrp/metered/my-settlement-batches?plan_type=nano')).body.data.items[0].settlement_cadence).toBe('monthly');
    });

    it('settle on request and deliver a metered_batch_settled confirmation', async () => {
      receiver.received.length = 0;
      const res = await fetch(`${sandbox.url}/__sandbox/metered/settle`, { method: 'POST' });
      const settled = (await res.json()).data.settled;
      expect(settled).toHaveLength(3);
      const events = await Promise.all(
        receiver.received.map((r) => verifyDirectRequestPaymentWebhook('whsec_sandbox_secret', r.rawBody, r.headers['siglume-signature'] as string)),
      );
      expect(events.map(({ event }) => classifyDirectPaymentConfirmation(event).kind)).toEqual([
        'metered_batch_settled',
        'metered_batch_settled',
        'metered_batch_settled',
      ]);
      // The gross under its canonical name (CONTRACT-2 section 22), as on the statements.
      const microJpyc = events.map(({ event }) => event.data).find((d) => d.pricing_band === 'micro' && d.token_symbol === 'JPYC')!;
      expect(microJpyc).toMatchObject({ provider_gross_amount_minor: '600', protocol_fee_minor: '4', provider_receivable_minor: '596' });
      expect(microJpyc).not.toHaveProperty('gross_amount_minor');
      const usage = (await provider('/sdrp/metered/provider/usage-events?status=settled')).body.data.items;
      expect(usage).toHaveLength(4);
      const after = (await provider('/sdrp/metered/provider/summary?token_symbol=JPYC')).body.data;
      expect(after.totals_by_token[0]).toMatchObject({ settled_amount_minor: '625.8', pending_settlement_minor: '0' });
      expect(after.totals).toMatchObject({ settled_provider_receivable_minor: '625.8', unsettled_provider_receivable_minor: '0' });
      expect(after.open_periods).toEqual([]);
      expect(after.periods.map((b: { status: string }) => b.status)).toEqual(['settled', 'settled']);
      expect(after.periods[0]).toMatchObject({ settlement_trigger: 'scheduled_close', total_unsettled_exposure_minor: '0', execution_status: 'settled' });
    });
  });

  describe('when a batch reaches the settlement threshold', () => {
    it('settles it early with the payment that crossed it', async () => {
      const own = await sandboxFor(receiver);
      try {
        let last;
        for (let i = 0; i < 20; i++) last = await pay(own, 500); // 20 x JPY 500 = JPY 10,000
        expect(last!.batch_settlement).not.toBeNull();
        const batch = own.getSettlementBatch(last!.batch_settlement!.settlement_batch_id)!;
        expect(batch.status).toBe('settled');
        expect(batch.usage_event_ids).toHaveLength(20);
        expect(batch.chain_receipt_id).toMatch(/^chr_/);
        expect(batch.usage_event_digest).toMatch(/^sha256:[0-9a-f]{64}$/);
        const { data } = (await call(own, 'GET', `/sdrp/metered/provider/settlement-batches/${batch.settlement_batch_id}`)).body;
        expect(data).toMatchObject({ settlement_trigger: 'amount_threshold', threshold_reached_at: batch.settled_at });
      } finally {
        await own.close();
      }
    });

    it('settles it once when settleMeteredBatches is delivering another batch meanwhile', async () => {
      const own = await sandboxFor(receiver);
      try {
        await pay(own, 30); // a Nano batch, listed first
        for (let i = 0; i < 19; i++) await pay(own, 500);
        await pay(own, 400); // the Micro batch at JPY 9,900
        receiver.received.length = 0;
        receiver.delayMs = 300;
        const crossing = pay(own, 500); // settles the Micro batch after its own 300 ms delivery
        await new Promise((r) => setTimeout(r, 100));
        // Lists both open batches now, then waits 300 ms on the Nano batch's delivery.
        const settling = own.settleMeteredBatches();
        const [paid, settled] = await Promise.all([crossing, settling]);
        const micro = paid.batch_settlement!.settlement_batch_id;
        expect(settled.map((s) => s.settlement_batch_id)).not.toContain(micro);
        const batchEvents = receiver.received.map((r) => JSON.parse(r.rawBody).data).filter((d) => d.mode === 'metered_settlement_batch');
        expect(batchEvents.filter((d) => d.settlement_batch_id === micro)).toHaveLength(1);
        const { data } = (await call(own, 'GET', `/sdrp/metered/provider/settlement-batches/${micro}`)).body;
        expect(data).toMatchObject({ settlement_trigger: 'amount_threshold', chain_receipt_id: batchEvents.find((d) => d.settlement_batch_id === micro).chain_receipt_id });
      } finally {
        receiver.delayMs = 0;
        await own.close();
      }
    });
  });

  describe('when a usage row arrives after its open batch period ended', () => {
    it('closes that batch first (scheduled_close, one confirmation) and opens the next period for the row', async () => {
      const own = await sandboxFor(receiver);
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        vi.setSystemTime(new Date('2026-11-30T12:00:00Z'));
        await pay(own, 30);
        vi.setSystemTime(new Date('2026-12-02T12:00:00Z'));
        receiver.received.length = 0;
        const late = await pay(own, 30);
        const closedId = late.batch_settlement!.settlement_batch_id;
        const closed = (await call(own, 'GET', `/sdrp/metered/provider/settlement-batches/${closedId}`)).body.data;
        expect(closed).toMatchObject({
          status: 'settled',
          settlement_trigger: 'scheduled_close',
          threshold_reached_at: null,
          period_start: '2026-11-30T12:00:00.000Z',
          period_end: '2026-12-01T00:00:00.000Z',
          usage_event_count: 1,
        });
        const settledEvents = receiver.received.map((r) => JSON.parse(r.rawBody).data).filter((d) => d.mode === 'metered_settlement_batch');
        expect(settledEvents.map((d) => d.settlement_batch_id)).toEqual([closedId]);
        const [row] = (await call(own, 'GET', '/sdrp/metered/provider/usage-events?limit=1')).body.data.items;
        expect(row.settlement_batch_id).not.toBe(closedId);
        expect(row).toMatchObject({ status: 'pending_settlement', period_start: '2026-12-02T12:00:00.000Z', period_end: '2027-01-01T00:00:00.000Z' });
        const summary = (await call(own, 'GET', '/sdrp/metered/provider/summary?plan_type=nano')).body.data;
        expect(summary.open_periods).toEqual([expect.objectContaining({ period_start: '2026-12-02T12:00:00.000Z', provider_gross_amount_minor: '30' })]);
      } finally {
        vi.useRealTimers();
        await own.close();
      }
    });
  });
});
