/**
 * The shared siglume-config.ts as `init` copies it: a server started without
 * its environment learns every missing variable at once, not one per restart.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { copiedTemplate, type ConfigModule } from './support/copied.js';

const REQUIRED = ['SIGLUME_MERCHANT_AUTH_TOKEN', 'SIGLUME_DIRECT_PAYMENT_MERCHANT', 'SIGLUME_WEBHOOK_SECRET', 'SHOP_PUBLIC_ORIGIN'];

afterEach(() => {
  vi.unstubAllEnvs();
});

describe('createSiglumeCheckout of the copied siglume-config.ts', () => {
  it('names every missing variable in one error', async () => {
    const copy = await copiedTemplate('hono', 'sqlite');
    try {
      const { createSiglumeCheckout } = await copy.load<ConfigModule<never>>('siglume-config.ts');
      for (const name of REQUIRED) vi.stubEnv(name, '');
      expect(() => createSiglumeCheckout()).toThrow(`${REQUIRED.join(', ')} are not set (see README.md, "Environment")`);
      vi.stubEnv('SIGLUME_MERCHANT_AUTH_TOKEN', 'sdrp_sandbox_merchant_token');
      vi.stubEnv('SIGLUME_DIRECT_PAYMENT_MERCHANT', 'sandbox_shop');
      vi.stubEnv('SHOP_PUBLIC_ORIGIN', 'http://127.0.0.1:3000');
      expect(() => createSiglumeCheckout()).toThrow('SIGLUME_WEBHOOK_SECRET is not set (see README.md, "Environment")');
    } finally {
      copy.remove();
    }
  });
});
