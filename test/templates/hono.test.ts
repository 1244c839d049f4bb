/**
 * The Hono template as a merchant runs it, on SQLite: the routes and config
 * copied by `init hono --database sqlite`, the store opened from SQLITE_PATH
 * by the copied siglume-store.ts, served with @hono/node-server, paid end to
 * end through the sandbox (support/end-to-end.ts).
 */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';
import { HTTPException } from 'hono/http-exception';
import { describe, expect, it, vi } from 'vitest';
import type { AddressInfo } from 'node:net';
import type { OrderCheckoutService } from '../../src/orders/index.js';
import { sqliteAdapter } from '../orders/support/sqlite.js';
import type * as Routes from '../../templates/hono/siglume-checkout.js';
import { copiedTemplate, type ConfigModule, type ShopUser } from './support/copied.js';
import { expectCheckoutFailed, FAILING_USER_ERROR, recordingCheckoutService } from './support/recording-service.js';
import { describeTemplateEndToEnd } from './support/end-to-end.js';
import { expectSchedulerPostsAnswered, SCHEDULER_PATH, schedulerService } from './support/scheduler-posts.js';

await describeTemplateEndToEnd('the Hono template (SQLite)', sqliteAdapter, async (db, connect) => {
  const copy = await copiedTemplate('hono', 'sqlite');
  const { siglumeCheckoutRoutes } = await copy.load<typeof Routes>('siglume-checkout.ts');
  const { startSiglumeCheckout } = await copy.load<ConfigModule<never>>('siglume-config.ts');
  const app = new Hono();
  const server = serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => (server.listening ? resolve() : server.once('listening', () => resolve())));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  await connect(url);
  process.env.SQLITE_PATH = db.env.SDRP_SQLITE_FILE!;
  // As the README boots it: the store's tables are checked before the routes serve anyone.
  const service: OrderCheckoutService<ShopUser | null> = await startSiglumeCheckout!();
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

describe('the Hono template\'s reconcile route called by a scheduler', () => {
  it('answers a bodyless POST with any Content-Type (curl -d \'\', octet-stream, empty JSON)', async () => {
    const copy = await copiedTemplate('hono', 'sqlite');
    const { siglumeCheckoutRoutes } = await copy.load<typeof Routes>('siglume-checkout.ts');
    const { service, seen } = schedulerService();
    try {
      const app = new Hono();
      app.route('/', siglumeCheckoutRoutes(service, () => null));
      await expectSchedulerPostsAnswered((headers) => Promise.resolve(app.request(SCHEDULER_PATH, { method: 'POST', headers, body: '' })), seen);
    } finally {
      copy.remove();
    }
  });
});

describe('the Hono template when currentUser throws', () => {
  it('answers 500 checkout_failed as JSON (not Hono\'s text/plain 500), logs the error and keeps its message out of the answer', async () => {
    const copy = await copiedTemplate('hono', 'sqlite');
    const { siglumeCheckoutRoutes } = await copy.load<typeof Routes>('siglume-checkout.ts');
    const { service, started } = recordingCheckoutService();
    const log = vi.spyOn(console, 'error').mockImplementation(() => {});
    try {
      const app = new Hono();
      app.route('/', siglumeCheckoutRoutes(service, () => {
        throw new Error(FAILING_USER_ERROR);
      }));
      const res = await app.request('/payments/checkout/siglume/start', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"order_id":"1"}' });
      await expectCheckoutFailed(res, log.mock.calls);
      expect(started).toEqual([]);
    } finally {
      log.mockRestore();
      copy.remove();
    }
  });

  it('leaves a failure of the webhook or reconcile route to the merchant\'s app, never answering it "Could not start the checkout"', async () => {
    const copy = await copiedTemplate('hono', 'sqlite');
    const { siglumeCheckoutRoutes } = await copy.load<typeof Routes>('siglume-checkout.ts');
    const service = {
      handleWebhookRequest: async () => {
        throw new Error('webhook handler failed');
      },
      handleReconcileRequest: async () => {
        throw new Error('reconcile handler failed');
      },
    } as unknown as OrderCheckoutService<null>;
    const seen: string[] = [];
    try {
      const app = new Hono();
      app.onError((error, c) => (seen.push(error.message), c.json({ error: 'shop_error' }, 500)));
      app.route('/', siglumeCheckoutRoutes(service, () => null));
      for (const path of ['/payments/webhooks/siglume', '/payments/siglume/reconcile']) {
        const res = await app.request(path, { method: 'POST', body: '{}' });
        expect(res.status, path).toBe(500);
        expect(await res.json(), path).toEqual({ error: 'shop_error' });
      }
      expect(seen).toEqual(['webhook handler failed', 'reconcile handler failed']);
    } finally {
      copy.remove();
    }
  });

  it('answers a 4xx the merchant\'s auth chose (HTTPException) with that status', async () => {
    const copy = await copiedTemplate('hono', 'sqlite');
    const { siglumeCheckoutRoutes } = await copy.load<typeof Routes>('siglume-checkout.ts');
    const service = { startCheckout: async () => ({ kind: 'refused', status: 404, body: {} }) } as unknown as OrderCheckoutService<null>;
    try {
      const app = new Hono();
      app.route('/', siglumeCheckoutRoutes(service, () => {
        throw new HTTPException(401, { message: 'Sign in first' });
      }));
      const res = await app.request('/payments/checkout/siglume/start', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"order_id":"1"}' });
      expect(res.status).toBe(401);
      expect(await res.text()).toBe('Sign in first');
    } finally {
      copy.remove();
    }
  });
});
