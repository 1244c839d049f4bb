/**
 * The Hono template as a merchant runs it, on SQLite: the routes and config
 * copied by `init hono --database sqlite`, the store opened from SQLITE_PATH
 * by the copied siglume-store.ts, served with @hono/node-server, paid end to
 * end through the sandbox (support/end-to-end.ts).
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import type { AddressInfo } from 'node:net';
import type { OrderCheckoutService } from '../../src/orders/index.js';
import { sqliteAdapter } from '../orders/support/sqlite.js';
import type * as Routes from '../../templates/hono/siglume-checkout.js';
import { copiedTemplate, type ConfigModule, type ShopUser } from './support/copied.js';
import { describeTemplateEndToEnd } from './support/end-to-end.js';

await describeTemplateEndToEnd('the Hono template (SQLite)', sqliteAdapter, async (db, connect) => {
  const copy = await copiedTemplate('hono', 'sqlite');
  const { siglumeCheckoutRoutes } = await copy.load<typeof Routes>('siglume-checkout.ts');
  const { createSiglumeCheckout } = await copy.load<ConfigModule<never>>('siglume-config.ts');
  const app = new Hono();
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await connect(url);
  process.env.SQLITE_PATH = db.env.SDRP_SQLITE_FILE!;
  const service: OrderCheckoutService<ShopUser | null> = createSiglumeCheckout();
  app.route('/', siglumeCheckoutRoutes(service, (c): ShopUser | null => {
    const id = c.req.header('x-test-user');
    return id ? { id } : null;
  }));
  return {
    url,
    async close() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      copy.remove();
    },
  };
});
