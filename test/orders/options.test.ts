import { describe, expect, it } from 'vitest';
import { DirectRequestPaymentMerchantClient } from '../../src/clients/merchant.js';
import { SiglumeValidationError } from '../../src/core/errors.js';
import { OrderAuthorizationRequiredError, createOrderCheckoutService, type OrderCheckoutServiceOptions, type OrderStore } from '../../src/orders/index.js';

const store = Object.fromEntries(
  ['findOrder', 'beginCheckoutAttempt', 'markCheckoutPending', 'markCheckoutFailed', 'previewWebhookEvent', 'processWebhookEvent',
    'listUnpaidCheckoutAttempts', 'retireCheckoutAttempt'].map((m) => [m, async () => null]),
) as unknown as OrderStore;
const valid: OrderCheckoutServiceOptions<string> = {
  merchant_client: new DirectRequestPaymentMerchantClient({ auth_token: 'sdrp_token_for_options', base_url: 'http://127.0.0.1:9/v1' }),
  order_store: store,
  merchant: 'shop_test',
  webhook_secret: 'whsec_options',
  shop_public_origin: 'https://shop.example',
  authorize_order: () => true,
};
const build = (over: Record<string, unknown>) => () => createOrderCheckoutService({ ...valid, ...over } as OrderCheckoutServiceOptions<string>);

describe('createOrderCheckoutService', () => {
  it('accepts valid options, a list of secrets while rotating, and an explicit opt-out of authorization', () => {
    expect(build({})).not.toThrow();
    expect(build({ webhook_secret: ['whsec_new', 'whsec_old'] })).not.toThrow();
    expect(build({ authorize_order: undefined, allow_unverified_order_lookup: true })).not.toThrow();
  });

  it('fails closed without authorize_order: OrderAuthorizationRequiredError unless the opt-out is literally true', () => {
    for (const optOut of [undefined, false, 'true', 1]) {
      expect(build({ authorize_order: undefined, allow_unverified_order_lookup: optOut })).toThrow(OrderAuthorizationRequiredError);
    }
    expect(build({ authorize_order: undefined })).toThrow(expect.objectContaining({ code: 'ORDER_AUTHORIZATION_REQUIRED' }));
  });

  const bad: Array<[string, Record<string, unknown>]> = [
    ['merchant', { merchant: 'ab' }],
    ['merchant', { merchant: 42 }],
    ['webhook_secret', { webhook_secret: '' }],
    ['webhook_secret', { webhook_secret: [] }],
    ['shop_public_origin', { shop_public_origin: 'http://shop.example' }],
    ['shop_public_origin', { shop_public_origin: 'https://shop.example/path' }],
    ['merchant_client', { merchant_client: {} }],
    ['order_store', { order_store: { findOrder: () => null } }],
    ['authorize_order', { authorize_order: 'yes' }],
    ['creation_lease_seconds', { creation_lease_seconds: -1 }],
    ['webhook_tolerance_seconds', { webhook_tolerance_seconds: 1.5 }],
  ];
  it.each(bad)('throws a SiglumeValidationError naming %s', (field, over) => {
    let error: unknown;
    try {
      build(over)();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SiglumeValidationError);
    expect((error as SiglumeValidationError).field.startsWith(field)).toBe(true);
    expect(String((error as Error).message)).not.toContain('whsec_options');
  });

  it('allows http for a loopback shop origin (development against the sandbox)', () => {
    expect(build({ shop_public_origin: 'http://127.0.0.1:3000' })).not.toThrow();
  });
});
