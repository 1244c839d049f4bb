import { afterEach, describe, expect, it } from 'vitest';
import {
  createSiglumeSdrpCheckoutRouter,
  createSiglumeSdrpRouter,
  createSiglumeSdrpWebhookHandler,
  type SiglumeSdrpRouterOptions,
} from '../../templates/express/siglume-sdrp-routes.js';

const valid: SiglumeSdrpRouterOptions = {
  merchant: 'shop_test',
  merchant_auth_token: 'sdrp_test_merchant_token',
  webhook_secret: 'whsec_test_secret',
  shop_public_origin: 'https://shop.example',
  order_store: {} as never,
};
const factories = [
  ['createSiglumeSdrpRouter', createSiglumeSdrpRouter],
  ['createSiglumeSdrpCheckoutRouter', createSiglumeSdrpCheckoutRouter],
  ['createSiglumeSdrpWebhookHandler', createSiglumeSdrpWebhookHandler],
] as const;
const build = (factory: (o: SiglumeSdrpRouterOptions) => unknown, over: Record<string, unknown>) =>
  () => factory({ ...valid, ...over } as SiglumeSdrpRouterOptions);

describe('Siglume SDRP route factories refuse unusable options at construction', () => {
  const savedToken = process.env.SIGLUME_AUTH_TOKEN;
  afterEach(() => {
    if (savedToken === undefined) delete process.env.SIGLUME_AUTH_TOKEN;
    else process.env.SIGLUME_AUTH_TOKEN = savedToken;
  });

  it.each(factories)('%s accepts valid options, including a list of secrets while rotating', (_name, factory) => {
    expect(build(factory, {})).not.toThrow();
    expect(build(factory, { webhook_secret: ['whsec_new', 'whsec_old'] })).not.toThrow();
  });

  const badMerchants: unknown[] = [undefined, '', 'ab', '-shop', 'shop.test', 'shop test', 'a'.repeat(65), 42];
  for (const [name, factory] of factories) {
    it.each(badMerchants.map((m) => [m]))(`${name} throws for merchant %j`, (merchant) => {
      expect(build(factory, { merchant })).toThrow(/merchant must be your merchant key matching \^\[a-z0-9\]/);
    });
  }

  for (const [name, factory] of [factories[0], factories[2]] as const) {
    it.each([[undefined], [''], ['  '], [[]], [['whsec_ok', '']], [null]])(`${name} throws for webhook_secret %j`, (webhook_secret) => {
      expect(build(factory, { webhook_secret })).toThrow(/webhook_secret is missing or empty/);
    });
  }

  for (const [name, factory] of [factories[0], factories[1]] as const) {
    it.each([[undefined], [''], ['   '], [null]])(`${name} throws for merchant_auth_token %j, even with SIGLUME_AUTH_TOKEN set`, (merchant_auth_token) => {
      process.env.SIGLUME_AUTH_TOKEN = 'buyer_token_that_must_not_be_used';
      expect(build(factory, { merchant_auth_token })).toThrow(/merchant_auth_token is missing or empty.*never fall back to SIGLUME_AUTH_TOKEN/);
    });
  }

  it('checks in each factory only what it uses: a webhook-only service needs no merchant token, a checkout-only one no secret', () => {
    expect(build(createSiglumeSdrpWebhookHandler, { merchant_auth_token: '' })).not.toThrow();
    expect(build(createSiglumeSdrpCheckoutRouter, { webhook_secret: '' })).not.toThrow();
  });
});
