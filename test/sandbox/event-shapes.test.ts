/**
 * A sandbox confirmation carries every field of the /testing factory's event of the same kind, with the same
 * JSON type, so a handler written against factory events keeps working against the sandbox. Read from the
 * bodies the shop's endpoint received.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import { createTestWebhookEvent, type TestWebhookEventKind } from '../../src/testing/index.js';
import { classifyDirectPaymentConfirmation } from '../../src/webhooks/classify.js';
import { createSession, sandboxFor, startReceiver, type WebhookReceiver } from './helpers.js';

let receiver: WebhookReceiver;
let sandbox: SandboxHandle;

beforeAll(async () => {
  receiver = await startReceiver();
  sandbox = await sandboxFor(receiver, { delivery_retries: 0 });
});

afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

const typeOf = (value: unknown) => (value === null ? 'null' : Array.isArray(value) ? 'array' : typeof value);

describe('sandbox confirmation events against the /testing factory', () => {
  it('have every factory field, with the same JSON type, for each kind', async () => {
    await sandbox.payCheckoutSession((await createSession(sandbox, { amount_minor: 4200, nonce: 'shape-s' })).session_id);
    await sandbox.payCheckoutSession((await createSession(sandbox, { amount_minor: 120, nonce: 'shape-m' })).session_id);
    await sandbox.settleMeteredBatches();
    const received = new Map(
      receiver.received.map((r) => JSON.parse(r.rawBody)).map((e) => [classifyDirectPaymentConfirmation(e).kind, e]),
    );
    const kinds: TestWebhookEventKind[] = ['standard_settled', 'metered_usage_accepted', 'metered_batch_settled'];
    for (const kind of kinds) {
      const factory = (await createTestWebhookEvent(kind)).event.data as Record<string, unknown>;
      const data: Record<string, unknown> = received.get(kind)?.data ?? {};
      const types = (d: Record<string, unknown>, keys: string[]) => Object.fromEntries(keys.map((k) => [k, typeOf(d[k])]));
      const keys = Object.keys(factory);
      expect({ kind, ...types(data, keys) }).toEqual({ kind, ...types(factory, keys) });
      // CONTRACT-2 section 19.5: a Micro / Nano confirmation has no chain_receipt_id (absent, not null).
      if (kind === 'metered_usage_accepted') expect(Object.keys(data)).not.toContain('chain_receipt_id');
    }
  });
});
