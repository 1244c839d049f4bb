/**
 * A merchant's Express app built exactly as templates/express/SIGLUME-README.md says:
 * the router and config copied by `init express` (router before
 * express.json()), the config reading the environment, and the shop's own
 * success page. The environment points at a sandbox; the database is a
 * throw-away PostgreSQL schema.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pg from 'pg';
import type * as Checkout from '../../../templates/express/siglume-checkout.js';
import type { ConformanceDatabase } from '../../orders/support/adapter.js';
import { DATABASE_URL } from '../../orders/support/postgres.js';
import { startTestSandbox, type TestSandbox } from '../../orders/support/sandbox.js';
import { copiedTemplate, type ConfigModule, type ShopUser } from './copied.js';

export interface ExpressShop {
  url: string;
  sandbox: TestSandbox;
  pageHits: string[];
  close(): Promise<void>;
}

/** `base_path`: the shop is served under it (`app.use('/store', router)`, SHOP_BASE_PATH=/store). */
export async function startExpressShop(db: ConformanceDatabase, options: { json_first?: boolean; base_path?: string } = {}): Promise<ExpressShop> {
  const base = options.base_path ?? '';
  const copy = await copiedTemplate('express', 'postgres');
  const { siglumeCheckoutRouter } = await copy.load<typeof Checkout>('siglume-checkout.ts');
  const { startSiglumeCheckout } = await copy.load<ConfigModule<pg.Pool>>('siglume-config.ts');
  const app = express();
  const server: Server = createServer(app);
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sandbox = await startTestSandbox({
    merchant: 'shop_express', origin: url, webhook_url: `${url}${base}/payments/webhooks/siglume`,
    webhook_secret: 'whsec_express_template', merchant_token: 'sdrp_express_template_token',
  });
  Object.assign(process.env, {
    SIGLUME_DIRECT_PAYMENT_MERCHANT: sandbox.merchant,
    SIGLUME_MERCHANT_AUTH_TOKEN: sandbox.merchant_token,
    SIGLUME_WEBHOOK_SECRET: sandbox.webhook_secret,
    SHOP_PUBLIC_ORIGIN: url,
    SIGLUME_API_BASE: sandbox.api_base,
    SHOP_BASE_PATH: base,
  });
  const pool = new pg.Pool({ connectionString: DATABASE_URL, options: `-c search_path=${db.env.SDRP_PG_SCHEMA}` });
  const pageHits: string[] = [];

  if (options.json_first) app.use(express.json()); // the classic mistake
  // Sign-in is faked with an x-test-user header.
  // As the README boots it: the store's tables are checked before the routes serve anyone.
  const checkout = await startSiglumeCheckout!(pool);
  app.use(base || '/', siglumeCheckoutRouter(checkout, (req): ShopUser | null => {
    const id = req.get('x-test-user');
    return id ? { id } : null;
  }));
  if (!options.json_first) app.use(express.json());
  app.get(`${base}/checkout/siglume/success`, (req, res) => {
    pageHits.push(req.originalUrl);
    res.type('html').send('<!doctype html><title>Shop</title><h1 id="shop-page">Thank you</h1>');
  });
  return {
    url,
    sandbox,
    pageHits,
    async close() {
      await sandbox.close();
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
      await pool.end();
      copy.remove();
    },
  };
}
