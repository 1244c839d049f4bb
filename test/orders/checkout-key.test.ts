import { describe, expect, it } from 'vitest';
import { requestOptionsSchema } from '../../src/clients/schemas/client-options.js';
import { checkoutIdempotencyKey } from '../../src/orders/checkout-key.js';

const input = {
  merchant: 'shop_test',
  amount_minor: 4200,
  currency: 'JPY' as const,
  nonce: 'sdrp-0123456789abcdef',
  success_url: 'https://shop.example/checkout/siglume/success?order_id=o1',
  cancel_url: 'https://shop.example/checkout/siglume/cancel?order_id=o1',
  metadata: { order_id: 'o1' },
};

/** What the client accepts as `idempotency_key` (and the sandbox as Idempotency-Key): 1-255 printable ASCII. */
const accepted = (key: string) => requestOptionsSchema().safeParse({ idempotency_key: key }).success;

describe('checkoutIdempotencyKey', () => {
  it('is the same for the same attempt and request, and names a plain attempt id', async () => {
    const key = await checkoutIdempotencyKey('att_0123abcd', input);
    expect(key).toMatch(/^sdrp-order-checkout-att_0123abcd-[0-9a-f]{16}$/);
    expect(await checkoutIdempotencyKey('att_0123abcd', { ...input, metadata: { order_id: 'o1' } })).toBe(key);
    expect(accepted(key)).toBe(true);
    expect(accepted('sdrp order')).toBe(false);
  });

  it('changes with any field of the request and with the attempt', async () => {
    const key = await checkoutIdempotencyKey('att_1', input);
    const changed = [
      { ...input, merchant: 'shop_other' },
      { ...input, amount_minor: 4300 },
      { ...input, currency: 'USD' as const },
      { ...input, nonce: 'sdrp-other' },
      { ...input, success_url: 'https://new.example/checkout/siglume/success?order_id=o1' },
      { ...input, cancel_url: 'https://new.example/checkout/siglume/cancel?order_id=o1' },
      { ...input, metadata: { order_id: 'o2' } },
    ];
    const keys = await Promise.all(changed.map((c) => checkoutIdempotencyKey('att_1', c)));
    expect(new Set([key, ...keys]).size).toBe(changed.length + 1);
    expect(await checkoutIdempotencyKey('att_2', input)).not.toBe(key);
  });

  it('hashes an attempt id the key could not carry (spaces, non-ASCII, 256 characters) and stays a valid key', async () => {
    for (const id of ['att 1', 'att_ü', '注文/1', 'a'.repeat(256), 'x'.repeat(65)]) {
      const key = await checkoutIdempotencyKey(id, input);
      expect(key, id).toMatch(/^sdrp-order-checkout-sha256\.[0-9a-f]{32}-[0-9a-f]{16}$/);
      expect(accepted(key), id).toBe(true);
    }
    expect(await checkoutIdempotencyKey('att 1', input)).not.toBe(await checkoutIdempotencyKey('att 2', input));
  });
});
