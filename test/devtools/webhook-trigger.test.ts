import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SiglumeValidationError } from '../../src/core/errors.js';
import { triggerTestWebhook, webhookTriggerKind } from '../../src/devtools/webhook-trigger.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../src/devtools/webhook-receiver.js';
import { TEST_WEBHOOK_SECRET } from '../../src/testing/index.js';

describe('webhookTriggerKind', () => {
  describe('when given CLI or classifier names', () => {
    it.each([
      ['standard-settled', 'standard_settled'],
      ['metered_usage_accepted', 'metered_usage_accepted'],
      ['batch-settled', 'metered_batch_settled'],
      ['settled', null],
    ])('maps %s to %s', (name, kind) => {
      expect(webhookTriggerKind(name)).toBe(kind);
    });
  });
});

describe('triggerTestWebhook', () => {
  let receiver: WebhookReceiver;
  beforeAll(async () => {
    receiver = await startWebhookReceiver({ secret: TEST_WEBHOOK_SECRET, status: 200 });
  });
  afterAll(async () => {
    await receiver.close();
  });

  describe('when no secret is given', () => {
    it('signs with the testing default secret and returns the endpoint answer', async () => {
      const result = await triggerTestWebhook({ kind: 'metered-accepted', url: receiver.url });
      expect(result).toMatchObject({ status: 200, ok: true, kind: 'metered_usage_accepted', event_type: 'direct_payment.confirmed', test_secret: true });
      // The testing secret has 11 characters after whsec_: too few for its last 4 to be a small part of it.
      expect(result.signing_secret_hint).toBe('');
      expect(receiver.events.at(-1)?.id).toBe(result.event_id);
    });
  });

  describe('when the kind is unknown', () => {
    it('rejects before sending anything', async () => {
      const count = receiver.events.length;
      await expect(triggerTestWebhook({ kind: 'refund', url: receiver.url })).rejects.toBeInstanceOf(SiglumeValidationError);
      expect(receiver.events).toHaveLength(count);
    });
  });
});

describe('triggerTestWebhook and what the endpoint answers', () => {
  const SECRET = 'whsec_devtools_echo_3d9e';
  let server: Server;
  let base = '';
  beforeAll(async () => {
    server = createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        if (req.url === '/big') {
          // Far more than anyone reads: the secret first, then a megabyte of filler.
          res.writeHead(500, { 'content-type': 'text/plain' });
          res.end(`${SECRET} ${'x'.repeat(1 << 20)}`);
          return;
        }
        res.writeHead(400, { 'content-type': 'text/plain' });
        res.end(`expected ${SECRET}, got something else`);
      });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await new Promise<void>((r) => server.close(() => r()));
  });

  describe('when the endpoint echoes the signing secret', () => {
    it('returns the body with the secret replaced', async () => {
      const result = await triggerTestWebhook({ kind: 'unknown', url: `${base}/echo`, secret: SECRET });
      expect(result.response_body).toBe('expected [redacted], got something else');
      expect(result).toMatchObject({ status: 400, test_secret: false, signing_secret_hint: '3d9e' });
    });
  });

  describe('when the answer is huge', () => {
    it('keeps 500 scrubbed characters', async () => {
      const result = await triggerTestWebhook({ kind: 'unknown', url: `${base}/big`, secret: SECRET });
      expect(result.response_body).toHaveLength(500);
      expect(result.response_body.startsWith('[redacted] xxx')).toBe(true);
    });
  });
});
