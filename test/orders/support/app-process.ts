/**
 * One shop as its own process (spawned through tsx by processes.ts): the
 * checkout service over the adapter named in SDRP_ADAPTER, served over HTTP.
 * Prints `{"url": ...}` once listening. Errors the service reports go to
 * stderr; the process must never die of them.
 */
import { DirectRequestPaymentMerchantClient } from '../../../src/clients/merchant.js';
import { ORDER_CHECKOUT_START_PATH, ORDER_WEBHOOK_PATH, createOrderCheckoutService } from '../../../src/orders/index.js';
import { adapterNamed } from './adapters.js';
import { serveFetch } from './http.js';
import { MERCHANT, SECRET, TOKEN } from './shop.js';

const env = process.env;
let reported = 0;
const store = adapterNamed(env.SDRP_ADAPTER).storeFromEnv(env, {
  pool_max: Number(env.SDRP_POOL_MAX ?? 10),
  onError: () => void reported++,
});
const server = await serveFetch();
const service = createOrderCheckoutService<string | null>({
  merchant_client: new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, base_url: env.SIGLUME_API_BASE ?? 'http://127.0.0.1:9/v1', max_retries: 0 }),
  order_store: store,
  merchant: MERCHANT,
  webhook_secret: SECRET,
  shop_public_origin: env.SHOP_ORIGIN ?? server.url,
  confirm_payments: env.SDRP_CONFIRM !== 'off',
  allow_metered_payments: env.SDRP_ALLOW_METERED === 'true',
  currentUser: (request) => request.headers.get('x-test-user'),
  authorize_order: (order, user) => user !== null && order.owner_id === user,
  onError: (error) => {
    reported++;
    if (env.SDRP_PRINT_ERRORS === 'true') process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
  },
});
server.setRoutes({
  [ORDER_CHECKOUT_START_PATH]: service.handleCheckoutRequest,
  [ORDER_WEBHOOK_PATH]: service.handleWebhookRequest,
  '/__errors': async () => Response.json({ reported }),
});
process.stdout.write(`${JSON.stringify({ url: server.url, pid: process.pid })}\n`);
process.on('SIGTERM', () => {
  void server.close().finally(() => process.exit(0));
});
// The test worker that spawned this shop is gone (whatever killed it, even SIGKILL): so is the shop.
process.on('disconnect', () => process.exit(0));
