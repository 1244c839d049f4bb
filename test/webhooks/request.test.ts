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

  describe('when the delivery is oversized or cannot verify (nothing is buffered)', () => {
    /** A body stream that counts how often it is pulled; it would produce `chunks` x 64 KiB. */
    function countingBody(chunks: number) {
      const stats = { pulls: 0, cancelled: false };
      const stream = new ReadableStream<Uint8Array>({
        pull(controller) {
          stats.pulls++;
          if (stats.pulls > chunks) controller.close();
          else controller.enqueue(new Uint8Array(64 * 1024).fill(0x20));
        },
        cancel() {
          stats.cancelled = true;
        },
      }, { highWaterMark: 0 });
      return { stream, stats };
    }

    function streamed(body: ReadableStream<Uint8Array>, headers: Record<string, string>): Request {
      return new Request('http://127.0.0.1/webhooks/siglume', {
        method: 'POST',
        headers,
        body,
        duplex: 'half',
      } as RequestInit);
    }

    it.each([
      ['a malformed header', 'v1=abc', 'WEBHOOK_SIGNATURE_MALFORMED'],
      ['a header without v1', `t=${T}`, 'WEBHOOK_SIGNATURE_MALFORMED'],
      ['a stale timestamp', `t=${T - 3600},v1=${SIG}`, 'WEBHOOK_TIMESTAMP_OUT_OF_TOLERANCE'],
    ])('rejects %s before reading a byte of a 4 GiB body', async (_what, header, code) => {
      const { stream, stats } = countingBody(64 * 1024);
      const err = await rejectionOf(verify(streamed(stream, { 'siglume-signature': header }), SECRET, { now: T }));
      expect(err).toBeInstanceOf(SiglumeWebhookSignatureError);
      expect(err.code).toBe(code);
      expect(stats.pulls).toBe(0);
    });

    it('refuses a Content-Length over max_body_bytes unread', async () => {
      const { stream, stats } = countingBody(64);
      const req = streamed(stream, { 'siglume-signature': HEADER, 'content-length': String(4 * 1024 * 1024) });
      const err = await rejectionOf(verify(req, SECRET, { now: T }));
      expect(err).toBeInstanceOf(SiglumeWebhookPayloadError);
      expect(err.code).toBe('WEBHOOK_BODY_TOO_LARGE');
      expect(err.message).toContain('4194304 bytes');
      expect(stats.pulls).toBe(0);
    });

    it('stops reading a body without Content-Length once it passes max_body_bytes', async () => {
      const { stream, stats } = countingBody(64 * 1024);
      const err = await rejectionOf(verify(streamed(stream, { 'siglume-signature': HEADER }), SECRET, { now: T, max_body_bytes: 200 * 1024 }));
      expect(err).toBeInstanceOf(SiglumeWebhookPayloadError);
      expect(err.code).toBe('WEBHOOK_BODY_TOO_LARGE');
      // 64 KiB chunks: the fourth passes 200 KiB; reading stops there.
      expect(stats.pulls).toBeLessThanOrEqual(5);
      await expect.poll(() => stats.cancelled).toBe(true);
    });

    it('applies the 1 MiB default cap', async () => {
      const { stream, stats } = countingBody(64 * 1024);
      const err = await rejectionOf(verify(streamed(stream, { 'siglume-signature': HEADER }), SECRET, { now: T }));
      expect(err.code).toBe('WEBHOOK_BODY_TOO_LARGE');
      expect(stats.pulls).toBeLessThanOrEqual(18);
    });

    it('verifies a body exactly at max_body_bytes', async () => {
      const bytes = new TextEncoder().encode(BODY);
      const err = await verify(webhookRequest(bytes), SECRET, { now: T, max_body_bytes: bytes.length });
      expect(err.event.id).toBe('evt_1');
    });

    it.each([0, -1, 1.5, '1000'])('rejects max_body_bytes %p naming the option', async (value) => {
      const err = await rejectionOf(verify(webhookRequest(BODY), SECRET, { now: T, max_body_bytes: value as number }));
      expect(err).toBeInstanceOf(SiglumeValidationError);
      expect(err.field).toBe('max_body_bytes');
    });
  });

  describe('when called wrongly', () => {
    it('rejects a missing secret before touching the request', async () => {
      const req = webhookRequest(BODY);
      const err = await rejectionOf(verify(req, undefined as never, { now: T }));
      expect(err).toBeInstanceOf(SiglumeValidationError);
      expect(err.field).toBe('secret');
      expect(req.bodyUsed).toBe(false);
    });

    it('rejects an empty secret with SiglumeWebhookSignatureError (as 0.4.20 did) before touching the request', async () => {
      const req = webhookRequest(BODY);
      const err = await rejectionOf(verify(req, '', { now: T }));
      expect(err).toBeInstanceOf(SiglumeWebhookSignatureError);
      expect(err.code).toBe('WEBHOOK_SECRET_EMPTY');
      expect(err.message).toContain('SIGLUME_WEBHOOK_SECRET');
      expect(req.bodyUsed).toBe(false);
    });

    it('rejects something that is not a Request', async () => {
      const err = await rejectionOf(verify({ body: BODY } as never, SECRET, { now: T }));
      expect(err).toBeInstanceOf(SiglumeValidationError);
      expect(err.field).toBe('request');
    });

    it.each([
      ['tolerance', 'tolerance_seconds'],
      ['toleranceSeconds', 'tolerance_seconds'],
      ['maxBodyBytes', 'max_body_bytes'],
    ])('rejects the misspelt option %s, naming it and %s, before touching the request', async (typo, meant) => {
      const req = webhookRequest(BODY);
      const err = await rejectionOf(verify(req, SECRET, { now: T, [typo]: 10 } as never));
      expect(err).toBeInstanceOf(SiglumeValidationError);
      expect(err.field).toBe(typo);
      expect(err.message).toContain(`unknown option "${typo}" (did you mean "${meant}"?)`);
      expect(req.bodyUsed).toBe(false);
    });
  });
});
