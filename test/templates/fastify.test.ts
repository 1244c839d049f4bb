/**
 * The Fastify template as a merchant runs it, on MariaDB / MySQL: the plugin
 * and config copied by `init fastify --database mysql`, the store made from
 * DATABASE_URL by the copied siglume-store.ts, paid end to end through the
 * sandbox (support/end-to-end.ts).
 */
import Fastify from 'fastify';
import { afterAll, describe, expect, it } from 'vitest';
import type { OrderCheckoutService } from '../../src/orders/index.js';
import { mysqlAdapter, mysqlPoolOptions } from '../orders/support/mysql.js';
import type * as Plugin from '../../templates/fastify/siglume-checkout.js';
import { copiedTemplate, type ConfigModule, type ShopUser } from './support/copied.js';
import { FAILING_USER_ERROR, recordingCheckoutService } from './support/recording-service.js';
import { expectSchedulerPostsAnswered, SCHEDULER_PATH, schedulerService } from './support/scheduler-posts.js';
import { describeTemplateEndToEnd } from './support/end-to-end.js';

await describeTemplateEndToEnd('the Fastify template (MySQL / MariaDB)', mysqlAdapter, async (db, connect) => {
  const copy = await copiedTemplate('fastify', 'mysql');
  const { siglumeCheckoutPlugin } = await copy.load<typeof Plugin>('siglume-checkout.ts');
  const { startSiglumeCheckout } = await copy.load<ConfigModule<never>>('siglume-config.ts');
  // Routes are registered before listening; the service is made once the sandbox (and so the environment) exists.
  let service: OrderCheckoutService<ShopUser | null> | undefined;
  const late: OrderCheckoutService<ShopUser | null> = {
    startCheckout: (id, user) => service!.startCheckout(id, user),
    handleWebhook: (body, signature) => service!.handleWebhook(body, signature),
    handleCheckoutRequest: (request) => service!.handleCheckoutRequest(request),
    handleWebhookRequest: (request) => service!.handleWebhookRequest(request),
    reconcile: (options) => service!.reconcile(options),
    handleReconcile: (authorization, query) => service!.handleReconcile(authorization, query),
    handleReconcileRequest: (request) => service!.handleReconcileRequest(request),
    checkStore: () => service!.checkStore(),
    assertStoreReady: () => service!.assertStoreReady(),
  };
  const app = Fastify();
  await app.register(siglumeCheckoutPlugin(late, (request): ShopUser | null => {
    const id = request.headers['x-test-user'];
    return typeof id === 'string' ? { id } : null;
  }));
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  await connect(url);
  const o = mysqlPoolOptions(db.env.SDRP_MYSQL_DATABASE!);
  process.env.DATABASE_URL = `mysql://${encodeURIComponent(String(o.user))}${o.password ? `:${encodeURIComponent(String(o.password))}` : ''}@${o.host}:${o.port}/${o.database}`;
  service = await startSiglumeCheckout!(); // as the README boots it, checking the store's tables first
  return {
    url,
    async close() {
      await app.close();
      copy.remove();
    },
  };
});

describe('the Fastify template\'s reconcile route', () => {
  let close: (() => Promise<void>) | undefined;
  afterAll(async () => close?.());

  it('reads no large body before the token check, even where the app allows large bodies', async () => {
    const copy = await copiedTemplate('fastify', 'mysql');
    const { siglumeCheckoutPlugin } = await copy.load<typeof Plugin>('siglume-checkout.ts');
    const seen: Array<string | undefined> = [];
    const service = {
      handleReconcile: async (authorization: string | undefined) => {
        seen.push(authorization);
        return { kind: 'refused', status: 401, body: { error: 'unauthorized', message: 'no' } };
      },
    } as unknown as OrderCheckoutService<null>;
    const app = Fastify({ bodyLimit: 50 * 1024 * 1024 });
    await app.register(siglumeCheckoutPlugin(service, () => null));
    close = async () => {
      await app.close();
      copy.remove();
    };
    const res = await app.inject({ method: 'POST', url: '/payments/siglume/reconcile', headers: { 'content-type': 'application/json' }, payload: JSON.stringify({ pad: 'x'.repeat(2 * 1024 * 1024) }) });
    expect(res.statusCode).toBe(413);
    expect(seen).toEqual([]);
    const empty = await app.inject({ method: 'POST', url: '/payments/siglume/reconcile' });
    expect(empty.statusCode).toBe(401);
    expect(seen).toHaveLength(1);
  });
});

describe('the Fastify template\'s reconcile route called by a scheduler', () => {
  it('answers a bodyless POST with any Content-Type (curl -d \'\', octet-stream, empty JSON) as Express and Hono do, and still caps a body', async () => {
    const copy = await copiedTemplate('fastify', 'mysql');
    const { siglumeCheckoutPlugin } = await copy.load<typeof Plugin>('siglume-checkout.ts');
    const { service, seen } = schedulerService();
    const app = Fastify();
    try {
      await app.register(siglumeCheckoutPlugin(service, () => null));
      const url = await app.listen({ port: 0, host: '127.0.0.1' });
      await expectSchedulerPostsAnswered((headers) => fetch(`${url}${SCHEDULER_PATH}`, { method: 'POST', headers, body: '' }), seen);
      const big = await fetch(`${url}${SCHEDULER_PATH}`, { method: 'POST', headers: { 'content-type': 'application/octet-stream' }, body: 'x'.repeat(4096) });
      expect(big.status).toBe(413);
      expect(seen).toHaveLength(4);
      // The checkout start keeps its JSON-only rule.
      const form = await fetch(`${url}/payments/checkout/siglume/start`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: 'order_id=1' });
      expect([form.status, (await form.json()).error]).toEqual([400, 'invalid_request']);
    } finally {
      await app.close();
      copy.remove();
    }
  });
});

describe('the Fastify template\'s reconcile route while a run is going', () => {
  it('passes on the 409 reconcile_in_progress with Retry-After, so a scheduler knows when to try again', async () => {
    const copy = await copiedTemplate('fastify', 'mysql');
    const { siglumeCheckoutPlugin } = await copy.load<typeof Plugin>('siglume-checkout.ts');
    const body = { error: 'reconcile_in_progress', message: 'A reconciliation is already running', retry_after_seconds: 60 };
    const service = { handleReconcile: async () => ({ kind: 'refused', status: 409, body }) } as unknown as OrderCheckoutService<null>;
    const app = Fastify();
    try {
      await app.register(siglumeCheckoutPlugin(service, () => null));
      const res = await app.inject({ method: 'POST', url: '/payments/siglume/reconcile', headers: { authorization: 'Bearer x' } });
      expect(res.statusCode).toBe(409);
      expect(res.headers['retry-after']).toBe('60');
      expect(res.headers['cache-control']).toBe('no-store');
      expect(res.json()).toEqual(body);
    } finally {
      await app.close();
      copy.remove();
    }
  });
});

describe('the Fastify template when currentUser throws', () => {
  it('answers 500 checkout_failed as JSON and keeps the error message out of the answer', async () => {
    const copy = await copiedTemplate('fastify', 'mysql');
    const { siglumeCheckoutPlugin } = await copy.load<typeof Plugin>('siglume-checkout.ts');
    const { service, started } = recordingCheckoutService();
    const logged: string[] = [];
    const stream = { write: (line: string) => void logged.push(line) };
    const app = Fastify({ logger: { level: 'error', stream } });
    await app.register(
      siglumeCheckoutPlugin(service, () => {
        throw new Error(FAILING_USER_ERROR);
      }),
    );
    try {
      const res = await app.inject({ method: 'POST', url: '/payments/checkout/siglume/start', headers: { 'content-type': 'application/json' }, payload: '{"order_id":"1"}' });
      expect(res.statusCode).toBe(500);
      expect(res.json()).toEqual({ error: 'checkout_failed', message: 'Could not start the checkout; try again' });
      expect(res.body).not.toContain('hunter2');
      expect(started).toEqual([]);
      // The merchant still learns why, in their own log.
      expect(logged.join('')).toContain('Siglume checkout: the route failed');
    } finally {
      await app.close();
      copy.remove();
    }
  });
});

describe('the Fastify template when its webhook or reconcile route fails', () => {
  it('leaves the failure to the merchant\'s own error handler, never answering it "Could not start the checkout"', async () => {
    const copy = await copiedTemplate('fastify', 'mysql');
    const { siglumeCheckoutPlugin } = await copy.load<typeof Plugin>('siglume-checkout.ts');
    const service = {
      handleWebhook: async () => {
        throw new Error('webhook handler failed');
      },
      handleReconcile: async () => {
        throw new Error('reconcile handler failed');
      },
    } as unknown as OrderCheckoutService<null>;
    const seen: string[] = [];
    const app = Fastify();
    app.setErrorHandler(async (error: Error, _request, reply) => {
      seen.push(error.message);
      return reply.code(500).send({ error: 'shop_error' });
    });
    await app.register(siglumeCheckoutPlugin(service, () => null));
    try {
      for (const url of ['/payments/webhooks/siglume', '/payments/siglume/reconcile']) {
        const res = await app.inject({ method: 'POST', url, headers: { 'content-type': 'application/json' }, payload: '{}' });
        expect(res.statusCode, url).toBe(500);
        expect(res.json(), url).toEqual({ error: 'shop_error' });
      }
      expect(seen).toEqual(['webhook handler failed', 'reconcile handler failed']);
    } finally {
      await app.close();
      copy.remove();
    }
  });
});

describe('the Fastify template when currentUser refuses with a 4xx of its own', () => {
  it('answers with that status, not as a body error', async () => {
    const copy = await copiedTemplate('fastify', 'mysql');
    const { siglumeCheckoutPlugin } = await copy.load<typeof Plugin>('siglume-checkout.ts');
    const service = { startCheckout: async () => ({ kind: 'refused', status: 404, body: {} }) } as unknown as OrderCheckoutService<null>;
    const app = Fastify();
    await app.register(
      siglumeCheckoutPlugin(service, () => {
        throw Object.assign(new Error('Sign in first'), { statusCode: 401 });
      }),
    );
    try {
      const res = await app.inject({ method: 'POST', url: '/payments/checkout/siglume/start', headers: { 'content-type': 'application/json' }, payload: '{"order_id":"1"}' });
      expect(res.statusCode).toBe(401);
      expect(res.body).not.toContain('Content-Type');
    } finally {
      await app.close();
      copy.remove();
    }
  });
});

describe("the Fastify template's webhook route given a signed request with no body", () => {
  it('hands the service an empty body (its buffer parser ran), so it is answered as any forged request, not as a missing reader', async () => {
    const copy = await copiedTemplate('fastify', 'mysql');
    const { siglumeCheckoutPlugin } = await copy.load<typeof Plugin>('siglume-checkout.ts');
    const bodies: unknown[] = [];
    const service = {
      handleWebhook: async (body: unknown) => {
        bodies.push(body);
        return { kind: 'refused', status: 503, body: { error: 'invalid_signature', message: 'no' } };
      },
    } as unknown as OrderCheckoutService<null>;
    const app = Fastify();
    try {
      await app.register(siglumeCheckoutPlugin(service, () => null));
      const res = await app.inject({ method: 'POST', url: '/payments/webhooks/siglume', headers: { 'siglume-signature': 't=1,v1=00' } });
      expect(res.statusCode).toBe(503);
      // undefined would be read as "no raw-body reader on this route" (500 and a setup report) though the plugin has one.
      expect(bodies).toEqual(['']);
    } finally {
      await app.close();
      copy.remove();
    }
  });
});
