/**
 * The Next.js template (App Router route handlers) as `init nextjs` copies
 * it, on PostgreSQL: the copied route files' exported `POST(request)`
 * functions run in-process behind a plain Node HTTP server (what `next start`
 * does for a route handler: a Fetch Request in, a Response out), with the one
 * marked edit a merchant makes (currentUser reads the session; here an
 * x-test-user header). Paid end to end through the sandbox
 * (support/end-to-end.ts). No `next build`: the examples/ apps build real
 * Next.js projects.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { DATABASE_URL, postgresAdapter } from '../orders/support/postgres.js';
import { serveFetch } from '../orders/support/http.js';
import type { OrderCheckoutService } from '../../src/orders/index.js';
import { copiedTemplate } from './support/copied.js';
import { describeTemplateEndToEnd } from './support/end-to-end.js';

interface RouteModule {
  GET?(request: Request): Promise<Response>;
  POST(request: Request): Promise<Response>;
  runtime?: string;
  dynamic?: string;
}

// Before the end-to-end suite, which sets the environment for the rest of the file.
describe('the Next.js template without its environment', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  it('answers every route 500 {"error":"checkout_misconfigured"} as JSON, logs which variables are missing, and recovers once they are set', async () => {
    const copy = await copiedTemplate('nextjs', 'postgres');
    try {
      const start = await copy.load<RouteModule>('app/payments/checkout/siglume/start/route.ts');
      const webhook = await copy.load<RouteModule>('app/payments/webhooks/siglume/route.ts');
      const reconcile = await copy.load<RouteModule>('app/payments/siglume/reconcile/route.ts');
      const variables = ['SIGLUME_MERCHANT_AUTH_TOKEN', 'SIGLUME_DIRECT_PAYMENT_MERCHANT', 'SIGLUME_WEBHOOK_SECRET', 'SHOP_PUBLIC_ORIGIN', 'DATABASE_URL', 'SIGLUME_RECONCILE_TOKEN'];
      for (const name of variables) vi.stubEnv(name, '');
      vi.stubEnv('SIGLUME_WEBHOOK_SECRET', 'whsec_must_not_leak_0123');
      const log = vi.spyOn(console, 'error').mockImplementation(() => {});
      const url = 'http://127.0.0.1:1';
      const calls: Array<[string, () => Promise<Response>]> = [
        ['start', () => start.POST(new Request(`${url}/payments/checkout/siglume/start`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"order_id":"o1"}' }))],
        ['webhook', () => webhook.POST(new Request(`${url}/payments/webhooks/siglume`, { method: 'POST', body: '{}' }))],
        ['reconcile GET', () => reconcile.GET!(new Request(`${url}/payments/siglume/reconcile`))],
        ['reconcile POST', () => reconcile.POST(new Request(`${url}/payments/siglume/reconcile`, { method: 'POST' }))],
      ];
      for (const [route, call] of calls) {
        const res = await call();
        expect(res.status, route).toBe(500);
        expect(res.headers.get('content-type'), route).toMatch(/^application\/json/);
        const text = await res.text();
        expect(JSON.parse(text), route).toMatchObject({ error: 'checkout_misconfigured' });
        expect(text, route).not.toContain('whsec_');
      }
      // Every request tries again (not only the first), and the log says what to set.
      expect(log).toHaveBeenCalledTimes(calls.length);
      const logged = log.mock.calls.map((args) => args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
      for (const line of logged) expect(line).toContain('SIGLUME_MERCHANT_AUTH_TOKEN, SIGLUME_DIRECT_PAYMENT_MERCHANT, SHOP_PUBLIC_ORIGIN, DATABASE_URL are not set');

      // Set the environment: the next request builds the service (no restart), whose first step, the store's
      // start-up check, now reaches for the database (nothing listens on port 1): 503, not the 500 of a missing variable.
      vi.stubEnv('SIGLUME_MERCHANT_AUTH_TOKEN', 'sdrp_sandbox_merchant_token');
      vi.stubEnv('SIGLUME_DIRECT_PAYMENT_MERCHANT', 'sandbox_shop');
      vi.stubEnv('SHOP_PUBLIC_ORIGIN', 'http://127.0.0.1:3000');
      vi.stubEnv('DATABASE_URL', 'postgres://shop@127.0.0.1:1/shop');
      const closed = await reconcile.POST(new Request(`${url}/payments/siglume/reconcile`, { method: 'POST' }));
      expect(closed.status).toBe(503);
      expect(await closed.json()).toMatchObject({ error: 'store_unavailable' });
      expect(String(log.mock.calls.at(-1)?.[0])).toContain('the store check failed (the database may be unreachable)');
    } finally {
      copy.remove();
    }
  });
});

const noPostgres = await postgresAdapter.unavailable();

describe.skipIf(noPostgres !== null)('the Next.js template over tables that do not match its mapping', () => {
  afterEach(() => {
    vi.unstubAllEnvs();
    vi.restoreAllMocks();
  });

  /**
   * A copy whose siglume-store.ts maps `amount_column` to `total_minor`, a column the database lacks until
   * `fix()` renames it, and its webhook route (`hook`); `checks` counts the store checks, `log` the console
   * errors. Only Date is faked (the backoff reads Date.now()); the driver's sockets and timers stay real.
   */
  async function misconfiguredRoute() {
    const db = await postgresAdapter.createDatabase();
    const copy = await copiedTemplate('nextjs', 'postgres');
    vi.useFakeTimers({ toFake: ['Date'] });
    const done = async () => {
      vi.useRealTimers();
      copy.remove();
      await db.drop();
    };
    try {
      copy.edit('siglume/siglume-store.ts', "amount_column: 'amount_minor'", "amount_column: 'total_minor'");
      vi.stubEnv('SIGLUME_MERCHANT_AUTH_TOKEN', 'sdrp_sandbox_merchant_token');
      vi.stubEnv('SIGLUME_DIRECT_PAYMENT_MERCHANT', 'sandbox_shop');
      vi.stubEnv('SIGLUME_WEBHOOK_SECRET', 'whsec_sandbox_secret');
      vi.stubEnv('SHOP_PUBLIC_ORIGIN', 'http://127.0.0.1:3000');
      vi.stubEnv('DATABASE_URL', `${DATABASE_URL}${DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${db.env.SDRP_PG_SCHEMA}`)}`);
      const log = vi.spyOn(console, 'error').mockImplementation(() => {});
      const webhook = await copy.load<RouteModule>('app/payments/webhooks/siglume/route.ts');
      const module = await copy.load<{ siglumeCheckout(): OrderCheckoutService; STORE_CHECK_RETRY_MS: number }>('siglume/siglume-checkout.ts');
      const checks = vi.spyOn(module.siglumeCheckout(), 'assertStoreReady');
      const hook = async () => {
        const res = await webhook.POST(new Request('http://127.0.0.1:1/payments/webhooks/siglume', { method: 'POST', body: '{}' }));
        return [res.status, ((await res.json()) as { error: string }).error];
      };
      const fix = () => db.sql('ALTER TABLE orders RENAME COLUMN amount_minor TO total_minor');
      return { db, copy, log, hook, checks, fix, done, retry_ms: module.STORE_CHECK_RETRY_MS };
    } catch (error) {
      await done(); // a set-up that failed leaves no fake clock or copied template to the next test
      throw error;
    }
  }

  it('answers 503 store_misconfigured on every route until the tables pass the check, logs the mapping field, and writes nothing', async () => {
    const { db, copy, log, hook, done } = await misconfiguredRoute();
    try {
      const start = await copy.load<RouteModule>('app/payments/checkout/siglume/start/route.ts');
      await db.sql("INSERT INTO orders (order_id, user_id, amount_minor, currency) VALUES ('o1', 'alice', 4200, 'JPY')");
      for (let i = 0; i < 2; i++) {
        const res = await start.POST(new Request('http://127.0.0.1:1/payments/checkout/siglume/start', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"order_id":"o1"}' }));
        expect(res.status).toBe(503);
        expect(res.headers.get('cache-control')).toBe('no-store');
        expect(await res.json()).toMatchObject({ error: 'store_misconfigured' });
      }
      expect(await hook()).toEqual([503, 'store_misconfigured']);
      // One check for the three (its failure is reused for a few seconds), logged once, naming the field to fix.
      expect(log).toHaveBeenCalledTimes(1);
      const logged = log.mock.calls.map((args) => args.map((a) => (a instanceof Error ? a.message : String(a))).join(' '));
      for (const line of logged) expect(line).toContain('orders.amount_column');
      expect(await db.sql('SELECT count(*) AS n FROM siglume_checkout_attempts')).toEqual([{ n: '0' }]);
    } finally {
      await done();
    }
  });

  it('runs one check for concurrent requests, reuses its failure for STORE_CHECK_RETRY_MS, and recovers once the tables are fixed', async () => {
    const { hook, checks, fix, done, retry_ms } = await misconfiguredRoute();
    try {
      // Eight requests at once (an unauthenticated scanner on the webhook route, say): one check, eight 503s.
      expect(await Promise.all(Array.from({ length: 8 }, hook))).toEqual(Array(8).fill([503, 'store_misconfigured']));
      expect(checks).toHaveBeenCalledTimes(1);
      // The tables are fixed; within the backoff the failure is still the answer, without checking again.
      await fix();
      vi.setSystemTime(Date.now() + retry_ms - 1);
      expect(await hook()).toEqual([503, 'store_misconfigured']);
      expect(checks).toHaveBeenCalledTimes(1);
      // Once it is over, the next request checks again, passes, and reaches the service (a bad signature: 400).
      vi.setSystemTime(Date.now() + 1);
      expect((await hook())[0]).toBe(400);
      expect(checks).toHaveBeenCalledTimes(2);
      expect((await hook())[0]).toBe(400);
      expect(checks).toHaveBeenCalledTimes(2);
    } finally {
      await done();
    }
  });

  it('checks again at once after the clock stepped back, instead of reusing the failure until the clock catches up', async () => {
    const { hook, checks, fix, done } = await misconfiguredRoute();
    try {
      expect(await hook()).toEqual([503, 'store_misconfigured']);
      await fix();
      vi.setSystemTime(Date.now() - 3_600_000); // an NTP correction, say
      expect((await hook())[0]).toBe(400);
      expect(checks).toHaveBeenCalledTimes(2);
    } finally {
      await done();
    }
  });
});

await describeTemplateEndToEnd('the Next.js template (PostgreSQL)', postgresAdapter, async (db, connect) => {
  const copy = await copiedTemplate('nextjs', 'postgres');
  copy.edit('siglume/siglume-checkout.ts', '  return null;\n', "  const id = _request.headers.get('x-test-user');\n  return id ? { id } : null;\n");
  const server = await serveFetch();
  await connect(server.url);
  // The copied siglume-store.ts makes its pool from DATABASE_URL; the suite's tables are in their own schema.
  process.env.DATABASE_URL = `${DATABASE_URL}${DATABASE_URL.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${db.env.SDRP_PG_SCHEMA}`)}`;
  const start = await copy.load<RouteModule>('app/payments/checkout/siglume/start/route.ts');
  const webhook = await copy.load<RouteModule>('app/payments/webhooks/siglume/route.ts');
  const reconcile = await copy.load<RouteModule>('app/payments/siglume/reconcile/route.ts');
  // No route segment config: `cacheComponents` (on in new create-next-app projects) answers 500 to a route exporting it.
  for (const route of [start, webhook, reconcile]) expect([route.runtime, route.dynamic]).toEqual([undefined, undefined]);
  expect(typeof reconcile.GET).toBe('function'); // Vercel Cron calls with GET
  server.setRoutes({
    '/payments/siglume/reconcile': (request) => (request.method === 'GET' ? reconcile.GET!(request) : reconcile.POST(request)),
    '/payments/checkout/siglume/start': (request) => start.POST(request),
    '/payments/webhooks/siglume': (request) => webhook.POST(request),
  });
  return {
    url: server.url,
    async close() {
      await server.close();
      copy.remove();
    },
  };
});
