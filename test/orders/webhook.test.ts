/**
 * What the webhook route tells onError about signatures that fail on a
 * well-formed header. Anyone can send one, so each code is reported at once
 * and then at most once a minute, with a count of the ones not reported; the
 * answer stays 400 every time. The clock is vitest's fake Date; verification
 * fails before any store or API call, so neither is reachable.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { OrderCheckoutClient } from '../../src/orders/confirm.js';
import { createOrderCheckoutService, type OrderStore } from '../../src/orders/index.js';
import { buildWebhookSignatureHeader } from '../../src/webhooks/signature.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');
const SECRET = 'whsec_webhook_reports_test';

const unreachable = new Proxy({}, {
  get: (_, name) => (name === 'then' ? undefined : async () => {
    throw new Error(`${String(name)} must not be called for a refused signature`);
  }),
});

function shop() {
  const reports: Array<{ code: string; message: string; cause: unknown }> = [];
  const service = createOrderCheckoutService({
    merchant_client: unreachable as OrderCheckoutClient,
    order_store: unreachable as OrderStore,
    merchant: 'shop_test',
    webhook_secret: SECRET,
    shop_public_origin: 'https://shop.example',
    allow_unverified_order_lookup: true,
    onError: (error) => void reports.push(error as (typeof reports)[number]),
  });
  return { service, reports };
}

const nowSeconds = () => Math.floor(Date.now() / 1000);
/** The attacker's request: the current time and a junk v1. */
const junk = () => `t=${nowSeconds()},v1=00`;
const codes = (reports: Array<{ code: string }>) => reports.map((r) => r.code);

describe('handleWebhook', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  describe('when well-formed signature headers that fail keep coming', () => {
    it('answers each 503 invalid_signature (Siglume keeps the event) but reports the first at once, then at most one a minute with the count not reported', async () => {
      const { service, reports } = shop();
      for (let i = 0; i < 100; i++) {
        vi.setSystemTime(T0 + i * 500);
        expect(await service.handleWebhook('x', junk())).toMatchObject({ status: 503, body: { error: 'invalid_signature' } });
      }
      expect(codes(reports)).toEqual(['WEBHOOK_SIGNATURE_MISMATCH']);
      expect(reports[0]!.message).not.toContain('not reported');

      vi.setSystemTime(T0 + 60_000);
      expect(await service.handleWebhook('x', junk())).toMatchObject({ status: 503, body: { error: 'invalid_signature' } });
      expect(codes(reports)).toEqual(['WEBHOOK_SIGNATURE_MISMATCH', 'WEBHOOK_SIGNATURE_MISMATCH']);
      expect(reports[1]!.message).toContain('[99 more WEBHOOK_SIGNATURE_MISMATCH since 2026-03-01T00:00:00.000Z were not reported');
      expect(reports[1]!.cause).toMatchObject({ code: 'WEBHOOK_SIGNATURE_MISMATCH' });

      vi.setSystemTime(T0 + 119_999);
      await service.handleWebhook('x', junk());
      expect(reports).toHaveLength(2);
      // After a quiet minute the next failure is reported as it is, with nothing to count.
      vi.setSystemTime(T0 + 200_000);
      await service.handleWebhook('x', junk());
      expect(reports).toHaveLength(3);
      expect(reports[2]!.message).toContain('[1 more WEBHOOK_SIGNATURE_MISMATCH since 2026-03-01T00:01:00.000Z');
      vi.setSystemTime(T0 + 300_000);
      await service.handleWebhook('x', junk());
      expect(reports[3]!.message).not.toContain('not reported');
    });

    it('limits stale timestamps apart from mismatches, so a flood of one does not hide the other, and a wrong secret is still heard at once', async () => {
      const { service, reports } = shop();
      for (let i = 0; i < 50; i++) {
        expect(await service.handleWebhook('x', `t=${nowSeconds() - 3600},v1=00`)).toMatchObject({ status: 503, body: { error: 'invalid_signature' } });
      }
      expect(codes(reports)).toEqual(['WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE']);
      // A real delivery signed with the subscription's secret while the shop has another one.
      const header = await buildWebhookSignatureHeader('whsec_the_subscriptions_secret', '{"id":"evt_1"}', { timestamp: nowSeconds() });
      expect(await service.handleWebhook('{"id":"evt_1"}', header)).toMatchObject({ status: 503, body: { error: 'invalid_signature' } });
      expect(codes(reports)).toEqual(['WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE', 'WEBHOOK_SIGNATURE_MISMATCH']);
    });

    it('keeps the limit per service: another service\'s flood does not silence this one', async () => {
      const a = shop();
      const b = shop();
      for (let i = 0; i < 10; i++) await a.service.handleWebhook('x', junk());
      await b.service.handleWebhook('x', junk());
      expect([a.reports.length, b.reports.length]).toEqual([1, 1]);
    });
  });

  describe('when no body was handed over (undefined or null: Express 5 after the sender went away, or no raw-body reader)', () => {
    it('never reports a correctly signed request as a wrong secret: 500 webhook_raw_body_unavailable, reported as a missing raw body', async () => {
      const { service, reports } = shop();
      const header = await buildWebhookSignatureHeader(SECRET, '{"id":"evt_1"}', { timestamp: nowSeconds() });
      for (const body of [undefined, null]) {
        const result = await service.handleWebhook(body, header);
        expect(result).toMatchObject({ status: 500, body: { error: 'webhook_raw_body_unavailable' } });
        expect((result as { body: { message: string } }).body.message).toMatch(/raw-body reader/);
      }
      expect(codes(reports)).toEqual(['WEBHOOK_RAW_BODY_REQUIRED']);
      expect(reports[0]!.message).not.toMatch(/signing secret/);
    });

    it('reports it at most once a minute, as anyone can send a well-formed header without a body', async () => {
      const { service, reports } = shop();
      for (let i = 0; i < 20; i++) {
        vi.setSystemTime(T0 + i * 1000);
        expect(await service.handleWebhook(undefined, junk())).toMatchObject({ status: 500, body: { error: 'webhook_raw_body_unavailable' } });
      }
      expect(codes(reports)).toEqual(['WEBHOOK_RAW_BODY_REQUIRED']);
      vi.setSystemTime(T0 + 60_000);
      await service.handleWebhook(undefined, junk());
      expect(codes(reports)).toEqual(['WEBHOOK_RAW_BODY_REQUIRED', 'WEBHOOK_RAW_BODY_REQUIRED']);
      expect(reports[1]!.message).toContain('[19 more WEBHOOK_RAW_BODY_REQUIRED since');
    });

    it('still answers a missing or malformed header 400 without a report, and a stale one as a skewed clock', async () => {
      const { service, reports } = shop();
      expect(await service.handleWebhook(undefined, undefined)).toMatchObject({ status: 400, body: { error: 'invalid_signature' } });
      expect(await service.handleWebhook(undefined, 'garbage')).toMatchObject({ status: 400, body: { error: 'invalid_signature' } });
      expect(reports).toEqual([]);
      expect(await service.handleWebhook(undefined, `t=${nowSeconds() - 3600},v1=00`)).toMatchObject({ status: 503, body: { error: 'invalid_signature' } });
      expect(codes(reports)).toEqual(['WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE']);
    });
  });
});

describe('handleWebhookRequest', () => {
  it('answers 500 and reports a body something read before it (a middleware), so Siglume keeps delivering the event', async () => {
    const { service, reports } = shop();
    const request = new Request('https://shop.example/payments/webhooks/siglume', { method: 'POST', body: '{"id":"evt_1"}' });
    await request.json(); // a logging middleware in front of the route
    const answer = await service.handleWebhookRequest(request);
    // A 400 told Siglume to stop: the paid order stayed pending and nothing was logged.
    expect(answer.status).toBe(500);
    expect(await answer.json()).toMatchObject({ error: 'webhook_raw_body_unavailable' });
    expect(codes(reports)).toEqual(['WEBHOOK_RAW_BODY_REQUIRED']);
    expect(reports[0]!.message).toMatch(/already read .*mount the Siglume routes before it/);
  });

  it('answers 500 to a body a middleware locked with a reader it never finished, as to one read first', async () => {
    const { service, reports } = shop();
    const request = new Request('https://shop.example/payments/webhooks/siglume', { method: 'POST', body: '{"id":"evt_1"}' });
    request.body!.getReader(); // taken, nothing read: bodyUsed is still false
    const answer = await service.handleWebhookRequest(request);
    expect(answer.status).toBe(500);
    expect(await answer.json()).toMatchObject({ error: 'webhook_raw_body_unavailable' });
    expect(codes(reports)).toEqual(['WEBHOOK_RAW_BODY_REQUIRED']);
  });

  it('answers 500 to a body whose stream fails mid-read, so Siglume delivers the event again', async () => {
    const { service, reports } = shop();
    let pulled = 0;
    const body = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (pulled++ === 1) return controller.error(new Error('connection reset'));
        controller.enqueue(new TextEncoder().encode('{"id":'));
      },
    });
    const request = new Request('https://shop.example/payments/webhooks/siglume', { method: 'POST', body, duplex: 'half' } as RequestInit);
    const answer = await service.handleWebhookRequest(request);
    expect(answer.status).toBe(500);
    expect(await answer.json()).toMatchObject({ error: 'webhook_processing_failed' });
    // Not reported: anyone can start an upload and drop it, and nothing was verified.
    expect(reports).toEqual([]);
  });
});
