import { describe, expect, it } from 'vitest';
import { loadRuntimes, type Runtime } from '../support/runtimes.js';

const runtimes = await loadRuntimes();

const SECRET = 'whsec_example';
const T = 1800000000;
const BODY =
  '{"id":"evt_1","type":"direct_payment.confirmed","api_version":"2026-06-11","occurred_at":"2026-06-11T00:00:00Z","data":{"mode":"external_402"}}';
const SIG = 'f45a559e90ca05b7f877694677a3dc893b3b6ace0d18951f99ebc47fb8c8e82e';
const HEADER = `t=${T},v1=${SIG}`;

function webhookRequest(body: BodyInit | null, headers: Record<string, string> = { 'Siglume-Signature': HEADER }): Request {
  return new Request('http://127.0.0.1/webhooks/siglume', {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

async function rejectionOf(promise: Promise<unknown>): Promise<Error & { code?: string; field?: string }> {
  try {
    await promise;
  } catch (err) {
    return err as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}

describe.each(runtimes)('verifyDirectRequestPaymentWebhookRequest ($name backend)', (rt: Runtime) => {
  const verify = rt.request.verifyDirectRequestPaymentWebhookRequest;
  const { SiglumeWebhookPayloadError, SiglumeWebhookSignatureError, SiglumeValidationError } = rt.errors;

  describe('when the request is a signed delivery', () => {
    it('reads the raw body and the header and returns the event', async () => {
      const { event, verification } = await verify(webhookRequest(BODY), SECRET, { now: T });
      expect(event.id).toBe('evt_1');
      expect(event.type).toBe('direct_payment.confirmed');
      expect(verification).toEqual({ timestamp: T, signature: SIG });
    });

    it('finds the header regardless of its case and accepts a list of secrets', async () => {
      const req = webhookRequest(BODY, { 'SIGLUME-SIGNATURE': HEADER });
      expect((await verify(req, ['whsec_new', SECRET], { now: T })).event.id).toBe('evt_1');
    });

    it('verifies the exact bytes of a multi-byte UTF-8 body', async () => {
      const body = JSON.stringify({ id: 'evt_2', type: 't', api_version: 'v', occurred_at: 'o', data: { memo: '決済 ✓' } });
      const header = await rt.signature.buildWebhookSignatureHeader(SECRET, body, { timestamp: T });
      const req = webhookRequest(new TextEncoder().encode(body), { 'siglume-signature': header });
      expect((await verify(req, SECRET, { now: T })).event.data).toEqual({ memo: '決済 ✓' });
    });
  });

  describe('when the delivery is not valid', () => {
    it('rejects a request without the header as missing, leaving the body unread', async () => {
      const req = webhookRequest(BODY, {});
      const err = await rejectionOf(verify(req, SECRET, { now: T }));
      expect(err).toBeInstanceOf(SiglumeWebhookSignatureError);
      expect(err.code).toBe('WEBHOOK_SIGNATURE_MISSING');
      expect(req.bodyUsed).toBe(false);
    });

    it('rejects a tampered body', async () => {
      const err = await rejectionOf(verify(webhookRequest(BODY.replace('evt_1', 'evt_9')), SECRET, { now: T }));
      expect(err).toBeInstanceOf(SiglumeWebhookSignatureError);
      expect(err.code).toBe('WEBHOOK_SIGNATURE_MISMATCH');
    });

    it('rejects a stale delivery', async () => {
      const err = await rejectionOf(verify(webhookRequest(BODY), SECRET, { now: T + 3600 }));
      expect(err.code).toBe('WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE');
    });

    it('explains a body that something else already read', async () => {
      const req = webhookRequest(BODY);
      await req.text();
      const err = await rejectionOf(verify(req, SECRET, { now: T }));
      expect(err).toBeInstanceOf(SiglumeWebhookPayloadError);
      expect(err.code).toBe('WEBHOOK_BODY_UNREADABLE');
      expect(err.message).toContain('already read');
    });

    it('rejects an empty body as not an event', async () => {
      const header = await rt.signature.buildWebhookSignatureHeader(SECRET, '', { timestamp: T });
      const err = await rejectionOf(verify(webhookRequest(null, { 'siglume-signature': header }), SECRET, { now: T }));
      expect(err).toBeInstanceOf(SiglumeWebhookPayloadError);
      expect(err.code).toBe('WEBHOOK_PAYLOAD_INVALID_JSON');
    });
  });

  describe('when called wrongly', () => {
    it('rejects a missing secret before touching the request', async () => {
      const req = webhookRequest(BODY);
      const err = await rejectionOf(verify(req, '', { now: T }));
      expect(err).toBeInstanceOf(SiglumeValidationError);
      expect(err.field).toBe('secret');
      expect(req.bodyUsed).toBe(false);
    });

    it('rejects something that is not a Request', async () => {
      const err = await rejectionOf(verify({ body: BODY } as never, SECRET, { now: T }));
      expect(err).toBeInstanceOf(SiglumeValidationError);
      expect(err.field).toBe('request');
    });
  });
});
