/**
 * A checkout service over `store` whose merchant client points at a closed
 * loopback port: for tests of what the service does with its store alone
 * (the start-up check), where a call to Siglume would be a bug.
 */
import { DirectRequestPaymentMerchantClient } from '../../../src/clients/merchant.js';
import { createOrderCheckoutService, type OrderStore } from '../../../src/orders/index.js';

export function offlineServiceOver(store: OrderStore) {
  return createOrderCheckoutService({
    merchant_client: new DirectRequestPaymentMerchantClient({ auth_token: 'sdrp_check_tables_token', base_url: 'http://127.0.0.1:1/v1' }),
    order_store: store,
    merchant: 'shop_check',
    webhook_secret: 'whsec_check_tables',
    shop_public_origin: 'https://shop.example',
    allow_unverified_order_lookup: true,
  });
}
