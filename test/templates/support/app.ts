/**
 * A merchant's Express app as the README tells them to build it: the copied
 * template router (mounted before express.json()), the PostgreSQL order
 * store, and the shop's own success / cancel pages. Used in-process by the
 * tests and as a separate process by app-instance.ts.
 *
 * Sign-in is faked with an `x-test-user` header (real apps use a session).
 */
import type { AddressInfo } from 'node:net';
import { createServer, type Server } from 'node:http';
import express from 'express';
import pg from 'pg';
import {
  assertSiglumeSdrpMountOrder,
  createSiglumeSdrpRouter,
  type SiglumeSdrpOrderStore,
} from '../../../templates/express/siglume-sdrp-routes.js';
import { PostgresSiglumeOrderStore } from '../../../templates/express/siglume-order-store.postgres.js';

export const TEST_MERCHANT = 'shop_test';
export const TEST_SECRET = 'whsec_test_secret';
export const TEST_TOKEN = 'sdrp_test_merchant_token';

export interface TestAppOptions {
  database_url: string;
  schema: string;
  siglume_api_base?: string;
  allow_metered_payments?: boolean;
  webhook_secret?: string;
  /** Wrap the store, e.g. to inject a failure. */
  wrapStore?: (store: SiglumeSdrpOrderStore) => SiglumeSdrpOrderStore;
  /** Mount express.json() BEFORE the router: the classic mistake. */
  json_before_router?: boolean;
  pool_max?: number;
  /** Called once the app listens, before the routes are mounted (e.g. to start a sandbox pointing at it). */
  configure?: (appUrl: string) => Promise<{ siglume_api_base?: string; webhook_secret?: string }>;
  /** Also print logged errors to stderr (child processes). */
  print_errors?: boolean;
}

export interface TestApp {
  url: string;
  server: Server;
  pool: pg.Pool;
  /** Paths of shop pages the browser / redirects reached, e.g. '/checkout/siglume/success?order_id=o1'. */
  pageHits: string[];
  /** Messages the routes logged as errors. */
  errors: string[];
  close(): Promise<void>;
}

export async function startTestApp(options: TestAppOptions): Promise<TestApp> {
  const app = express();
  const server = createServer(app);
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  if (options.configure) options = { ...options, ...(await options.configure(url)) };
  const pool = new pg.Pool({ connectionString: options.database_url, max: options.pool_max ?? 10 });
  pool.on('error', () => undefined);
  const base = new PostgresSiglumeOrderStore({
    pool,
    schema: options.schema,
    currentUserId: (req) => req.get('x-test-user') ?? null,
  });
  const errors: string[] = [];
  const pageHits: string[] = [];

  if (options.json_before_router) app.use(express.json());
  app.use(
    createSiglumeSdrpRouter({
      merchant: TEST_MERCHANT,
      merchant_auth_token: TEST_TOKEN,
      webhook_secret: options.webhook_secret ?? TEST_SECRET,
      shop_public_origin: url,
      order_store: options.wrapStore ? options.wrapStore(base) : base,
      allow_metered_payments: options.allow_metered_payments ?? false,
      ...(options.siglume_api_base ? { siglume_api_base: options.siglume_api_base } : {}),
      logger: {
        error: (message, detail) => {
          errors.push(message);
          if (options.print_errors) process.stderr.write(`${message} ${detail instanceof Error ? detail.stack : ''}\n`);
        },
      },
    }),
  );
  if (!options.json_before_router) app.use(express.json());
  app.get(['/checkout/siglume/success', '/checkout/siglume/cancel'], (req, res) => {
    pageHits.push(req.originalUrl);
    res.type('html').send(`<!doctype html><title>Shop</title><h1 id="shop-page">${req.path.endsWith('success') ? 'Thank you' : 'Cancelled'}</h1>`);
  });
  if (!options.json_before_router) assertSiglumeSdrpMountOrder(app);

  return {
    url,
    server,
    pool,
    pageHits,
    errors,
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await pool.end().catch(() => undefined);
    },
  };
}
