import { describe, expect, it } from 'vitest';
import { SiglumeValidationError, SiglumeWebhookPayloadError, SiglumeWebhookSignatureError } from '../../src/core/errors.js';
import { buildWebhookSignatureHeader } from '../../src/webhooks/signature.js';
import { verifyDirectRequestPaymentWebhook } from '../../src/webhooks/event.js';
import { webhookErrorStatus } from '../../src/webhooks/status.js';

const SECRET = 'whsec_status_test_secret';
const BODY = JSON.stringify({ id: 'evt_1', type: 'direct_payment.confirmed', api_version: '2026-06-01', occurred_at: '2026-06-01T00:00:00Z', data: {} });
const now = () => Math.floor(Date.now() / 1000);

/** The status for what the verifier throws on these inputs. */
async function statusFor(secret: string, body: unknown, header: string | undefined): Promise<number> {
  try {
    await verifyDirectRequestPaymentWebhook(secret, body as string, header);
  } catch (error) {
    return webhookErrorStatus(error);
  }
  throw new Error('verified');
}

describe('webhookErrorStatus', () => {
  it('answers 400 to a request Siglume did not send: no header, a malformed one, a signed body that is not an event', async () => {
    expect(await statusFor(SECRET, BODY, undefined)).toBe(400);
    expect(await statusFor(SECRET, BODY, 'nonsense')).toBe(400);
    const notEvent = '{"hello":1}';
    expect(await statusFor(SECRET, notEvent, await buildWebhookSignatureHeader(SECRET, notEvent, { timestamp: now() }))).toBe(400);
  });

  it('answers 503 to a well-formed signature that does not verify, so Siglume keeps the event (a rotation, a skewed clock)', async () => {
    const signedWithNewSecret = await buildWebhookSignatureHeader('whsec_the_rotated_secret', BODY, { timestamp: now() });
    expect(await statusFor(SECRET, BODY, signedWithNewSecret)).toBe(503);
    const stale = await buildWebhookSignatureHeader(SECRET, BODY, { timestamp: now() - 3600 });
    expect(await statusFor(SECRET, BODY, stale)).toBe(503);
  });

  it("answers 500 to this server's setup: an empty secret, a parsed body", async () => {
    const header = await buildWebhookSignatureHeader(SECRET, BODY, { timestamp: now() });
    expect(await statusFor('', BODY, header)).toBe(500);
    expect(await statusFor(SECRET, JSON.parse(BODY), header)).toBe(500);
    expect(webhookErrorStatus(new SiglumeWebhookPayloadError('read', { code: 'WEBHOOK_BODY_UNREADABLE' }))).toBe(500);
  });

  it('answers 413 to a body over the limit, and 500 to any error that is not the verifier\'s', () => {
    expect(webhookErrorStatus(new SiglumeWebhookPayloadError('big', { code: 'WEBHOOK_BODY_TOO_LARGE' }))).toBe(413);
    for (const error of [new Error('database down'), new SiglumeValidationError('x', 'bad'), 'thrown text', undefined]) {
      expect(webhookErrorStatus(error)).toBe(500);
    }
    // An unknown code of the verifier's classes is a refusal, not this server's fault.
    expect(webhookErrorStatus(new SiglumeWebhookSignatureError('x'))).toBe(400);
  });
});
