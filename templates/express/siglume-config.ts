/**
 * Configuration of the Siglume checkout: the environment in, the checkout
 * service out. Edit the two marked places for your app: where your orders
 * are (`orders`), and who may pay an order (`authorize_order`).
 */
import pg from 'pg';
import { DirectRequestPaymentMerchantClient } from '@siglume/direct-request-payment';
import { createOrderCheckoutService, type OrderCheckoutService } from '@siglume/direct-request-payment/orders';
import { PostgresOrderStore } from '@siglume/direct-request-payment/orders/postgres';

/** Your signed-in user, as your session middleware provides it. */
export interface ShopUser {
  id: string;
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set (see README.md, "Environment")`);
  return value;
}

/** Builds the checkout service from the environment. Throws at startup on missing or invalid settings. */
export function createSiglumeCheckout(pool: pg.Pool = new pg.Pool({ connectionString: required('DATABASE_URL') })): OrderCheckoutService<ShopUser | null> {
  const apiBase = process.env.SIGLUME_API_BASE; // the sandbox's /v1 in development; unset in production
  const previousSecret = process.env.SIGLUME_WEBHOOK_SECRET_PREVIOUS; // only while rotating
  return createOrderCheckoutService<ShopUser | null>({
    merchant_client: new DirectRequestPaymentMerchantClient({
      auth_token: required('SIGLUME_MERCHANT_AUTH_TOKEN'),
      ...(apiBase ? { base_url: apiBase } : {}),
    }),
    order_store: new PostgresOrderStore({
      pool,
      // EDIT: your orders table. These are the defaults of orders.postgres.sql.
      orders: { table: 'orders', id_column: 'order_id', amount_column: 'amount_minor', currency_column: 'currency', status_column: 'status', owner_column: 'user_id' },
      onError: (error) => console.error('siglume order store: idle connection lost:', error.message),
    }),
    merchant: required('SIGLUME_DIRECT_PAYMENT_MERCHANT'),
    webhook_secret: previousSecret ? [required('SIGLUME_WEBHOOK_SECRET'), previousSecret] : required('SIGLUME_WEBHOOK_SECRET'),
    shop_public_origin: required('SHOP_PUBLIC_ORIGIN'),
    allow_metered_payments: process.env.SHOP_ALLOW_METERED_PAYMENTS === 'true',
    // EDIT: who may pay an order. Someone else's order is answered like a missing one (404).
    authorize_order: (order, user) => user !== null && order.owner_id === user.id,
    onError: (error, context) => console.error('siglume checkout:', context, error),
  });
}
