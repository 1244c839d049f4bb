import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadRuntimes, type Runtime } from '../support/runtimes.js';

const runtimes = await loadRuntimes();

const SECRET = 'whsec_example';
const T = 1800000000;
const BODY =
  '{"id":"evt_1","type":"direct_payment.confirmed","api_version":"2026-06-11","occurred_at":"2026-06-11T00:00:00Z","data":{"mode":"external_402"}}';
const HEADER = `t=${T},v1=f45a559e90ca05b7f877694677a3dc893b3b6ace0d18951f99ebc47fb8c8e82e`;
const EVENT = JSON.parse(BODY) as Record<string, unknown>;
const encoder = new TextEncoder();

async function rejectionOf(promise: Promise<unknown>): Promise<Error & { code?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

describe.each(runtimes)('webhook events ($name backend)', (rt: Runtime) => {
  const e = rt.event;
  const s = rt.signature;
  const { SiglumeWebhookPayloadError, SiglumeWebhookSignatureError } = rt.errors;

  function payloadError(fn: () => unknown): Error & { code?: string } {
    try {
      fn();
    } catch (err) {
      expect(err).toBeInstanceOf(SiglumeWebhookPayloadError);
      return err as Error & { code?: string };
    }
    throw new Error('expected a throw');
  }

  describe('parseDirectRequestPaymentWebhookEvent', () => {
    it.each([
      ['a string', () => BODY],
      ['a Buffer', () => Buffer.from(BODY)],
      ['a Uint8Array', () => encoder.encode(BODY)],
      ['an ArrayBuffer', () => encoder.encode(BODY).buffer],
      ['a parsed object', () => JSON.parse(BODY)],
    ])('parses the event from %s', (_label, payload) => {
      expect(e.parseDirectRequestPaymentWebhookEvent(payload())).toEqual(EVENT);
    });

    it('returns a copy with the envelope strings trimmed, as 0.4.20 did, leaving the object passed in as it was', () => {
      const input = {
        ...EVENT,
        id: ' evt_1\n',
        type: '\tdirect_payment.confirmed ',
        api_version: ' 2026-06-11',
        occurred_at: '2026-06-11T00:00:00Z \r\n',
        data: { mode: ' external_402 ' },
        livemode: false,
      };
      const before = structuredClone(input);
      const event = e.parseDirectRequestPaymentWebhookEvent(input);
      expect(event).toEqual({ ...EVENT, data: { mode: ' external_402 ' }, livemode: false });
      expect(event).not.toBe(input);
      expect(event.data).not.toBe(input.data);
      event.data.mode = 'changed';
      event.id = 'changed';
      expect(input).toEqual(before);
    });

    it('keeps unknown fields and does not judge the mode', () => {
      const event = e.parseDirectRequestPaymentWebhookEvent({ ...EVENT, livemode: false, data: { mode: 'something_new' } });
      expect(event.livemode).toBe(false);
      expect(event.data).toEqual({ mode: 'something_new' });
    });

    it('decodes multi-byte UTF-8', () => {
      const body = JSON.stringify({ ...EVENT, data: { memo: 'お支払い ✓' } });
      expect(e.parseDirectRequestPaymentWebhookEvent(Buffer.from(body)).data).toEqual({ memo: 'お支払い ✓' });
    });

    describe('when the body is not JSON', () => {
      it.each([
        ['truncated JSON', BODY.slice(0, -1)],
        ['an empty body', ''],
        ['HTML', '<html></html>'],
      ])('rejects %s as invalid JSON', (_label, body) => {
        expect(payloadError(() => e.parseDirectRequestPaymentWebhookEvent(body)).code).toBe('WEBHOOK_PAYLOAD_INVALID_JSON');
      });

      it('rejects bytes that are not UTF-8', () => {
        const err = payloadError(() => e.parseDirectRequestPaymentWebhookEvent(new Uint8Array([0x7b, 0xff, 0x7d])));
        expect(err.code).toBe('WEBHOOK_PAYLOAD_INVALID_JSON');
        expect(err.message).toContain('UTF-8');
      });
    });

    describe('when the envelope is incomplete', () => {
      it.each(['id', 'type', 'api_version', 'occurred_at', 'data'])('rejects a missing %s, naming it', (field) => {
        const { [field]: _dropped, ...rest } = EVENT;
        const err = payloadError(() => e.parseDirectRequestPaymentWebhookEvent(JSON.stringify(rest)));
        expect(err.code).toBe('WEBHOOK_EVENT_INVALID');
        expect(err.message).toContain(`"${field}"`);
        expect(err.message).toContain('missing');
      });

      it.each(['id', 'type', 'api_version', 'occurred_at'])('rejects a whitespace-only %s, naming it', (field) => {
        const err = payloadError(() => e.parseDirectRequestPaymentWebhookEvent({ ...EVENT, [field]: ' \t\n ' }));
        expect(err.code).toBe('WEBHOOK_EVENT_INVALID');
        expect(err.message).toContain(`"${field}"`);
      });

      it.each([
        ['id', 7],
        ['type', ''],
        ['api_version', null],
        ['occurred_at', ['2026']],
        ['data', null],
        ['data', []],
        ['data', 'external_402'],
      ])('rejects a wrongly typed %s (%j), naming it', (field, value) => {
        const err = payloadError(() => e.parseDirectRequestPaymentWebhookEvent(JSON.stringify({ ...EVENT, [field]: value })));
        expect(err.code).toBe('WEBHOOK_EVENT_INVALID');
        expect(err.message).toContain(`"${field}"`);
      });

      it.each([['an array', '[]'], ['null', 'null'], ['a number', '42'], ['a string', '"evt"']])(
        'rejects a body that is %s',
        (_label, body) => {
          expect(payloadError(() => e.parseDirectRequestPaymentWebhookEvent(body)).message).toContain('JSON object');
        },
      );
    });
  });

  describe('verifyDirectRequestPaymentWebhook', () => {
    it('verifies the contract vector and returns the event and the verification', async () => {
      const result = await e.verifyDirectRequestPaymentWebhook(SECRET, Buffer.from(BODY), HEADER, { now: T });
      expect(result.event).toEqual(EVENT);
      expect(result.verification).toEqual({ timestamp: T, signature: HEADER.slice(HEADER.indexOf('v1=') + 3) });
    });

    it('rejects an empty secret with SiglumeWebhookSignatureError, so a 0.4.20 handler still answers 400', async () => {
      const err = await rejectionOf(e.verifyDirectRequestPaymentWebhook('', BODY, HEADER, { now: T }));
      expect(err).toBeInstanceOf(SiglumeWebhookSignatureError);
      expect(err.code).toBe('WEBHOOK_SECRET_EMPTY');
      expect(err.message).toContain('SIGLUME_WEBHOOK_SECRET');
    });

    it('rejects a wrong signature before looking at the body', async () => {
      const err = await rejectionOf(e.verifyDirectRequestPaymentWebhook('whsec_other', 'not json', HEADER, { now: T }));
      expect(err).toBeInstanceOf(SiglumeWebhookSignatureError);
    });

    it('rejects a correctly signed body that is not a valid event', async () => {
      const body = '{"id":"evt_2"}';
      const header = await s.buildWebhookSignatureHeader(SECRET, body, { timestamp: T });
      const err = await rejectionOf(e.verifyDirectRequestPaymentWebhook(SECRET, body, header, { now: T }));
      expect(err).toBeInstanceOf(SiglumeWebhookPayloadError);
      expect(err.code).toBe('WEBHOOK_EVENT_INVALID');
    });

    it('refuses a parsed object', async () => {
      const err = await rejectionOf(e.verifyDirectRequestPaymentWebhook(SECRET, JSON.parse(BODY), HEADER, { now: T }));
      expect(err).toBeInstanceOf(SiglumeWebhookPayloadError);
      expect(err.code).toBe('WEBHOOK_RAW_BODY_REQUIRED');
    });

    it('round-trips random events signed with random secrets', async () => {
      const eventArb = fc.record({
        id: fc.string({ minLength: 1, maxLength: 20 }).filter((id) => id.trim() !== ''),
        type: fc.constantFrom('direct_payment.confirmed', 'direct_payment.spent', 'subscription.renewed'),
        api_version: fc.constant('2026-06-11'),
        occurred_at: fc.constant('2026-06-11T00:00:00Z'),
        data: fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 5 }),
      });
      await fc.assert(
        fc.asyncProperty(eventArb, fc.string({ minLength: 1, maxLength: 30 }), async (event, secret) => {
          const body = JSON.stringify(event);
          const header = await s.buildWebhookSignatureHeader(secret, body, { timestamp: T });
          const result = await e.verifyDirectRequestPaymentWebhook(secret, encoder.encode(body), header, { now: T });
          expect(result.event).toEqual({ ...JSON.parse(body), id: event.id.trim() });
        }),
        { numRuns: 300 },
      );
    });
  });
});
