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
      expect(result).toMatchObject({ status: 200, ok: true, kind: 'metered_usage_accepted', event_type: 'direct_payment.confirmed' });
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
