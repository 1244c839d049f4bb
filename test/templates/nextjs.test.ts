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
import { expect } from 'vitest';
import { DATABASE_URL, postgresAdapter } from '../orders/support/postgres.js';
import { serveFetch } from '../orders/support/http.js';
import { copiedTemplate } from './support/copied.js';
import { describeTemplateEndToEnd } from './support/end-to-end.js';

interface RouteModule {
  GET?(request: Request): Promise<Response>;
  POST(request: Request): Promise<Response>;
  runtime: string;
  dynamic: string;
}

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
  for (const route of [start, webhook, reconcile]) expect([route.runtime, route.dynamic]).toEqual(['nodejs', 'force-dynamic']);
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
