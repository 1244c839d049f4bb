import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startWebhookReceiver, type WebhookReceiver } from '../../src/devtools/webhook-receiver.js';
import { createTestWebhookEvent } from '../../src/testing/index.js';

const SECRET = 'whsec_receiver_test_1234';

describe('startWebhookReceiver', () => {
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver({ secret: SECRET });
  });
  afterAll(async () => {
    await receiver.close();
  });

  const post = (body: string, header: string, url = receiver.url) =>
    fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', 'Siglume-Signature': header }, body });

  describe('when a delivery is signed with its secret', () => {
    it('answers 204 and records the event', async () => {
      const { raw_body: rawBody, header, event } = await createTestWebhookEvent('standard_settled', { secret: SECRET });
      const res = await post(rawBody, header);
      expect(res.status).toBe(204);
      expect(receiver.events.at(-1)?.id).toBe(event.id);
    });
  });

  describe('when a delivery is signed with another secret', () => {
    it('answers 503 with the signature error code (so the sender retries) and records nothing', async () => {
      const count = receiver.events.length;
      const { raw_body: rawBody, header } = await createTestWebhookEvent('standard_settled', { secret: 'whsec_other_secret_9' });
      const res = await post(rawBody, header);
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe('WEBHOOK_SIGNATURE_MISMATCH');
      expect(receiver.events).toHaveLength(count);
      expect(receiver.rejected).toBeGreaterThan(0);
    });
  });

  describe('when the body is over 1 MiB', () => {
    it('answers 413 BODY_TOO_LARGE (the sender sees the answer, not a reset) and records nothing', async () => {
      const count = receiver.events.length;
      for (const body of ['x'.repeat(1024 * 1024 + 1), 'x'.repeat(4 * 1024 * 1024)]) {
        const res = await post(body, 't=1,v1=00');
        expect(res.status).toBe(413);
        expect(((await res.json()) as { error: { code: string } }).error.code).toBe('BODY_TOO_LARGE');
      }
      expect(receiver.events).toHaveLength(count);
    });

    it('still answers a delivery on a new connection after cutting one past 8 MiB', async () => {
      const huge = await post('x'.repeat(9 * 1024 * 1024), 't=1,v1=00').then(
        (res) => res.status,
        () => 'cut',
      );
      expect([413, 'cut']).toContain(huge);
      const { raw_body: rawBody, header } = await createTestWebhookEvent('standard_settled', { secret: SECRET });
      expect((await post(rawBody, header)).status).toBe(204);
    });
  });

  describe('when the request misses the webhook route', () => {
    it('answers 404 for another path and 405 for GET', async () => {
      expect((await post('{}', 't=1,v1=00', `${receiver.origin}/elsewhere`)).status).toBe(404);
      expect((await fetch(receiver.url)).status).toBe(405);
    });
  });
});
