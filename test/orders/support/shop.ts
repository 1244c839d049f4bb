/**
 * A shop for the order tests: the checkout service over an adapter's store,
 * served over HTTP through its Fetch handlers, talking to a sandbox whose
 * deliveries pass through a tap the test controls.
 *
 * Sign-in is faked with an `x-test-user` header; `authorize_order` lets a
 * user pay their own orders only.
 */
import { DirectRequestPaymentMerchantClient } from '../../../src/clients/merchant.js';
import {
  ORDER_CHECKOUT_START_PATH,
  ORDER_WEBHOOK_PATH,
  createOrderCheckoutService,
  type OrderCheckoutService,
  type OrderCheckoutServiceOptions,
  type OrderStore,
} from '../../../src/orders/index.js';
import type { OrdersTableMapping } from '../../../src/orders/mapping.js';
import type { OrderCheckoutClient } from '../../../src/orders/confirm.js';
import type { ConformanceDatabase } from './adapter.js';
import { serveFetch, startDeliveryTap, type DeliveryTap } from './http.js';
import { startTestSandbox, type TestSandbox } from './sandbox.js';

export const MERCHANT = 'shop_test';
export const SECRET = 'whsec_orders_test_secret';
export const TOKEN = 'sdrp_orders_merchant_token';

export interface ShopSettings {
  allow_metered_payments?: boolean;
  confirm_payments?: boolean;
  orders?: OrdersTableMapping;
  /** The store's lock timeout (SQLite: busy timeout), ms. */
  lock_timeout_ms?: number;
  /** Wrap the store, e.g. to inject a failure. */
  wrapStore?: (store: OrderStore) => OrderStore;
  /** Siglume API base; the fixture's sandbox by default. */
  api_base?: string;
  /** Wrap the merchant client, e.g. to make Siglume's answers lag. */
  wrapClient?: (client: OrderCheckoutClient) => OrderCheckoutClient;
  session_reuse_margin_seconds?: number;
  /** The service's onReview. */
  onReview?: OrderCheckoutServiceOptions['onReview'];
}

export interface Shop {
  url: string;
  service: OrderCheckoutService<string | null>;
  /** Errors the service reported (behind 5xx answers). */
  errors: unknown[];
  close(): Promise<void>;
}

/** Builds the service for `db` and serves both routes on a free port. */
export async function startShop(db: ConformanceDatabase, api_base: string, settings: ShopSettings = {}, origin?: { url: string; setRoutes: (r: Record<string, (r: Request) => Promise<Response>>) => void; close(): Promise<void> }): Promise<Shop> {
  const server = origin ?? (await serveFetch());
  const base = db.createStore({
    ...(settings.orders ? { orders: settings.orders } : {}),
    ...(settings.lock_timeout_ms ? { lock_timeout_ms: settings.lock_timeout_ms } : {}),
  });
  const errors: unknown[] = [];
  const client = new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, base_url: settings.api_base ?? api_base, max_retries: 0 });
  const service = createOrderCheckoutService<string | null>({
    merchant_client: settings.wrapClient ? settings.wrapClient(client) : client,
    order_store: settings.wrapStore ? settings.wrapStore(base) : base,
    merchant: MERCHANT,
    webhook_secret: SECRET,
    shop_public_origin: server.url,
    ...(settings.allow_metered_payments === undefined ? {} : { allow_metered_payments: settings.allow_metered_payments }),
    ...(settings.confirm_payments === undefined ? {} : { confirm_payments: settings.confirm_payments }),
    ...(settings.session_reuse_margin_seconds === undefined ? {} : { session_reuse_margin_seconds: settings.session_reuse_margin_seconds }),
    currentUser: (request) => request.headers.get('x-test-user'),
    authorize_order: (order, user) => user !== null && order.owner_id === user,
    onError: (error) => void errors.push(error),
    ...(settings.onReview ? { onReview: settings.onReview } : {}),
  });
  server.setRoutes({
    [ORDER_CHECKOUT_START_PATH]: service.handleCheckoutRequest,
    [ORDER_WEBHOOK_PATH]: service.handleWebhookRequest,
    '/checkout/siglume/success': async () => new Response('<h1 id="shop-page">Thank you</h1>', { headers: { 'content-type': 'text/html' } }),
  });
  return { url: server.url, service, errors, close: () => server.close() };
}

/** A shop, a sandbox that knows it, and the tap between them. `tap.target` starts at the shop. */
export interface ShopFixture {
  shop: Shop;
  sandbox: TestSandbox;
  tap: DeliveryTap;
  close(): Promise<void>;
}

export async function startShopFixture(db: ConformanceDatabase, settings: ShopSettings = {}, sandboxSettings: { delivery_retries?: number; delivery_backoff_ms?: number; session_ttl_seconds?: number } = {}): Promise<ShopFixture> {
  const server = await serveFetch();
  const tap = await startDeliveryTap();
  const sandbox = await startTestSandbox({
    merchant: MERCHANT, origin: server.url, webhook_url: tap.url, webhook_secret: SECRET, merchant_token: TOKEN,
    delivery_retries: sandboxSettings.delivery_retries ?? 0, ...sandboxSettings,
  });
  const shop = await startShop(db, sandbox.api_base, settings, server);
  tap.target = `${shop.url}${ORDER_WEBHOOK_PATH}`;
  return {
    shop, sandbox, tap,
    async close() {
      await sandbox.close();
      await tap.close();
      await shop.close();
    },
  };
}

/** POSTs a checkout start as `user`; returns status and JSON body. */
export async function startCheckout(shopUrl: string, body: unknown, user: string | null = 'alice', raw?: string): Promise<{ status: number; body: Record<string, unknown> }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (user !== null) headers['x-test-user'] = user;
  const res = await fetch(`${shopUrl}${ORDER_CHECKOUT_START_PATH}`, { method: 'POST', headers, body: raw ?? JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : {} };
}

/** POSTs a webhook delivery; returns status and JSON body (null for 204). */
export async function deliverWebhook(shopUrl: string, rawBody: string, header: string | null): Promise<{ status: number; body: Record<string, unknown> | null }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (header !== null) headers['siglume-signature'] = header;
  try {
    const res = await fetch(`${shopUrl}${ORDER_WEBHOOK_PATH}`, { method: 'POST', headers, body: rawBody, signal: AbortSignal.timeout(20_000) });
    const text = await res.text();
    return { status: res.status, body: text ? (JSON.parse(text) as Record<string, unknown>) : null };
  } catch {
    return { status: 0, body: null };
  }
}
