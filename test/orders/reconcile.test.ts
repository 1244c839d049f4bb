/**
 * Reconciliation outside the conformance matrix (on SQLite): rate limits
 * honoured through the client's transport, option validation naming the
 * field, the route's query parsing and its token check.
 */
import { randomBytes } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { DirectRequestPaymentMerchantClient } from '../../src/clients/merchant.js';
import { SiglumeValidationError } from '../../src/core/errors.js';
import { createOrderCheckoutService, ORDER_RECONCILE_STUCK, orderReconcileOptionsFromQuery, reconcileOrderPayments, type OrderStore } from '../../src/orders/index.js';
import type { ConformanceDatabase } from './support/adapter.js';
import { insertOrder, orderStatus, uid } from './support/conformance.js';
import { MERCHANT, SECRET, TOKEN, startCheckout, startShopFixture, type ShopFixture, type ShopSettings } from './support/shop.js';
import { sqliteAdapter } from './support/sqlite.js';

const unavailable = await sqliteAdapter.unavailable();

/** A shop and a sandbox on a SQLite database of the enclosing describe's own; `use` receives them before its tests run. */
function sqliteShop(settings: ShopSettings, use: (db: ConformanceDatabase, f: ShopFixture) => void): void {
  let db: ConformanceDatabase | undefined;
  let f: ShopFixture | undefined;
  beforeAll(async () => {
    db = await sqliteAdapter.createDatabase();
    f = await startShopFixture(db, settings, { delivery_retries: 0 });
    use(db, f);
  });
  afterAll(async () => {
    await f?.close();
    await db?.drop();
  });
}

describe.skipIf(unavailable !== null)('reconciliation against the sandbox [sqlite]', () => {
  let db: ConformanceDatabase;
  let f: ShopFixture;
  sqliteShop({}, (database, fixture) => ([db, f] = [database, fixture]));

  async function lostPayment(): Promise<string> {
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 2500 });
    const start = await startCheckout(f.shop.url, { order_id });
    f.sandbox.setFaults({ drop_webhook_deliveries: true });
    await f.sandbox.pay(start.body.session_id as string).finally(() => f.sandbox.resetFaults());
    return order_id;
  }

  it("waits out a 429's Retry-After through the client's retries and then repairs", async () => {
    const since = new Date();
    const order_id = await lostPayment();
    f.sandbox.setFaults({ rate_limit: { count: 1, retry_after_seconds: 1 } });
    const client = new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, base_url: f.sandbox.api_base, max_retries: 2 });
    const report = await reconcileOrderPayments({ merchant_client: client, order_store: db.createStore(), merchant: MERCHANT }, { since, min_age_seconds: 0 });
    expect(report).toMatchObject({ ok: true, stopped: null, repaired: [{ order_id }] });
    expect(await orderStatus(db, order_id)).toBe('paid');
  });

  it('stops the run, writes nothing and is not ok while the API keeps answering 429; the next run repairs', async () => {
    const since = new Date();
    const order_id = await lostPayment();
    f.sandbox.setFaults({ rate_limit: { count: 5, retry_after_seconds: 1 } });
    const errors: unknown[] = [];
    const client = new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, base_url: f.sandbox.api_base, max_retries: 0 });
    const settings = { merchant_client: client, order_store: db.createStore(), merchant: MERCHANT, onError: (e: unknown) => void errors.push(e) };
    const limited = await reconcileOrderPayments(settings, { since, min_age_seconds: 0 });
    expect(limited).toMatchObject({ ok: false, stopped: 'rate_limited', examined: 0, repaired: [], errors: [] });
    expect(errors).toHaveLength(1);
    expect(await orderStatus(db, order_id)).toBe('pending');
    f.sandbox.resetFaults();
    expect(await reconcileOrderPayments(settings, { since, min_age_seconds: 0 })).toMatchObject({ ok: true, repaired: [{ order_id }] });
  });

  it('ends as not ok with stopped "store_repeated" when a custom store ignores the cursor, instead of ending silently', async () => {
    const since = new Date();
    // Two attempts whose sessions are still open: they stay unpaid, so a store that ignores `after` lists them again.
    const orders = [uid('ord'), uid('ord')];
    for (const order_id of orders) {
      await insertOrder(db, { order_id, amount_minor: 1500 });
      await startCheckout(f.shop.url, { order_id });
    }
    const store = db.createStore();
    // A store that compares finer timestamps than the cursor's milliseconds behaves like this: `after` finds the same rows.
    const repeating = new Proxy(store, {
      get: (target, key) => {
        if (key === 'listUnpaidCheckoutAttempts') return (query: Parameters<typeof store.listUnpaidCheckoutAttempts>[0]) => target.listUnpaidCheckoutAttempts({ ...query, after: null });
        const value = Reflect.get(target, key);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const client = new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, base_url: f.sandbox.api_base, max_retries: 0 });
    const options = { since, min_age_seconds: 0, page_size: 1 };
    const report = await reconcileOrderPayments({ merchant_client: client, order_store: repeating, merchant: MERCHANT }, options);
    expect(report).toMatchObject({ ok: false, stopped: 'store_repeated', examined: 1, consistent: [{ order_id: orders[0] }] });
    // The store that honours the cursor reaches the rest of the window.
    const fixed = await reconcileOrderPayments({ merchant_client: client, order_store: store, merchant: MERCHANT }, options);
    expect(fixed).toMatchObject({ ok: true, stopped: null, examined: 2, consistent: orders.map((order_id) => ({ order_id })) });
  });

  it('aborts the session read in progress when interrupted, instead of waiting out its retries against a silent API', async () => {
    const since = new Date();
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 1500 });
    await startCheckout(f.shop.url, { order_id });
    // Takes every request and never answers: with the defaults (15 s timeout, 2 retries) one read waits ~45 s.
    const silent = createServer(() => {});
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    try {
      const client = new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, base_url: `http://127.0.0.1:${(silent.address() as AddressInfo).port}/v1` });
      const errors: unknown[] = [];
      const interrupt = new AbortController();
      const started = performance.now();
      setTimeout(() => interrupt.abort(), 300);
      const report = await reconcileOrderPayments(
        { merchant_client: client, order_store: db.createStore(), merchant: MERCHANT, onError: (e: unknown) => void errors.push(e) },
        { since, min_age_seconds: 0, signal: interrupt.signal },
      );
      expect(performance.now() - started).toBeLessThan(5000);
      expect(report).toMatchObject({ ok: false, stopped: 'interrupted', examined: 0, errors: [], repaired: [] });
      // The run's own interruption is not a failure to report.
      expect(errors).toEqual([]);
      expect(await orderStatus(db, order_id)).toBe('pending');
    } finally {
      silent.closeAllConnections();
      await new Promise<void>((r) => silent.close(() => r()));
    }
  }, 20_000);

  it('examines no more than its limit from a custom store that returns more rows than asked for', async () => {
    const since = new Date();
    const orders = [uid('ord'), uid('ord'), uid('ord')];
    for (const order_id of orders) {
      await insertOrder(db, { order_id, amount_minor: 1500 });
      await startCheckout(f.shop.url, { order_id });
    }
    const store = db.createStore();
    const generous = new Proxy(store, {
      get: (target, key) => {
        if (key === 'listUnpaidCheckoutAttempts') return (query: Parameters<typeof store.listUnpaidCheckoutAttempts>[0]) => target.listUnpaidCheckoutAttempts({ ...query, limit: 100 });
        const value = Reflect.get(target, key);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const client = new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, base_url: f.sandbox.api_base, max_retries: 0 });
    const progress: number[] = [];
    const report = await reconcileOrderPayments({ merchant_client: client, order_store: generous, merchant: MERCHANT }, {
      since, min_age_seconds: 0, limit: 2, onProgress: (p) => void progress.push(p.examined),
    });
    expect(report).toMatchObject({ ok: false, stopped: 'limit', examined: 2, consistent: [{ order_id: orders[0] }, { order_id: orders[1] }] });
    expect(progress).toEqual([1, 2]);
  });

  it('stops at the first attempt when the token is refused, instead of asking once per attempt', async () => {
    const since = new Date();
    const a = await lostPayment();
    const b = await lostPayment();
    let calls = 0;
    const client = new DirectRequestPaymentMerchantClient({
      auth_token: 'sdrp_wrong_token_for_this_sandbox_1',
      base_url: f.sandbox.api_base,
      max_retries: 0,
      fetch: (url, init) => {
        calls += 1;
        return fetch(url, init);
      },
    });
    const errors: unknown[] = [];
    const report = await reconcileOrderPayments(
      { merchant_client: client, order_store: db.createStore(), merchant: MERCHANT, onError: (e: unknown) => void errors.push(e) },
      { since, min_age_seconds: 0 },
    );
    expect(report).toMatchObject({ ok: false, stopped: 'api_unavailable', examined: 0, repaired: [], errors: [] });
    // The report itself says why, for a caller (the CLI, the reconcile route) that passes no onError.
    expect(report.stopped_detail).toMatch(/^401 [A-Z_]+: /);
    expect(report.stopped_detail).not.toContain('sdrp_wrong_token_for_this_sandbox_1');
    expect(calls).toBe(1);
    expect(errors).toHaveLength(1);
    expect(await orderStatus(db, a)).toBe('pending');
    expect(await orderStatus(db, b)).toBe('pending');
    // With the right token the next run repairs both.
    expect(await f.shop.service.reconcile({ since, min_age_seconds: 0 })).toMatchObject({ ok: true, repaired: [{ order_id: a }, { order_id: b }] });
  });

  it('reports stopped: "limit", not ok, only when the window holds more than the limit', async () => {
    const since = new Date();
    const a = await lostPayment();
    const b = await lostPayment();
    const first = await f.shop.service.reconcile({ since, min_age_seconds: 0, limit: 1 });
    // Not ok: a run that did not reach the whole window must not look like a clean one in cron.
    expect(first).toMatchObject({ ok: false, examined: 1, stopped: 'limit', repaired: [{ order_id: a }], review: [], errors: [] });
    const second = await f.shop.service.reconcile({ since, min_age_seconds: 0, limit: 1 });
    expect(second).toMatchObject({ ok: true, examined: 1, stopped: null, repaired: [{ order_id: b }] });
  });

  it('reports a store failure on one attempt as that attempt\'s error and carries on with the others', async () => {
    const since = new Date();
    const cancelledOrder = uid('ord');
    await insertOrder(db, { order_id: cancelledOrder, amount_minor: 2500 });
    const start = await startCheckout(f.shop.url, { order_id: cancelledOrder });
    await fetch(`${start.body.checkout_url as string}/cancel`, { method: 'POST', redirect: 'manual' });
    const paidOrder = await lostPayment();
    const store = db.createStore();
    const failing = new Proxy(store, {
      get(target, key) {
        if (key === 'retireCheckoutAttempt') return async () => Promise.reject(new Error('injected: database went away (postgres://shop:s3cret-pw@db.internal/shop)'));
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const errors: unknown[] = [];
    const client = new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, base_url: f.sandbox.api_base });
    const report = await reconcileOrderPayments(
      { merchant_client: client, order_store: failing, merchant: MERCHANT, onError: (e) => void errors.push(e) },
      { since, min_age_seconds: 0 },
    );
    expect(report).toMatchObject({ ok: false, examined: 2, retired: [], repaired: [{ order_id: paidOrder }] });
    expect(report.errors).toEqual([expect.objectContaining({ order_id: cancelledOrder, outcome: 'error', detail: expect.stringContaining('injected') })]);
    // The report reaches whoever holds the reconcile token: a connection string in the error keeps its password to the log.
    expect(report.errors[0]!.detail).toContain('postgres://shop:***@db.internal/shop');
    expect(JSON.stringify(report)).not.toContain('s3cret-pw');
    expect(errors).toHaveLength(1);
  });

  it('returns what it did with stopped "store_failed" (credentials masked) when the store fails listing the next page; before the first attempt it throws', async () => {
    const since = new Date();
    const a = await lostPayment();
    const b = await lostPayment();
    const store = db.createStore();
    let lists = 0;
    let failFrom = 2;
    const failing = new Proxy(store, {
      get(target, key) {
        if (key === 'listUnpaidCheckoutAttempts') {
          return async (query: Parameters<typeof store.listUnpaidCheckoutAttempts>[0]) => {
            if (++lists >= failFrom) throw new Error('injected: connection lost (postgres://shop:s3cret-pw@db.internal/shop)');
            return target.listUnpaidCheckoutAttempts(query);
          };
        }
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const errors: unknown[] = [];
    const client = new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, base_url: f.sandbox.api_base });
    const settings = { merchant_client: client, order_store: failing, merchant: MERCHANT, onError: (e: unknown) => void errors.push(e) };
    const report = await reconcileOrderPayments(settings, { since, min_age_seconds: 0, page_size: 1 });
    // The repair made before the failure is reported, not thrown away with the run.
    expect(report).toMatchObject({ ok: false, stopped: 'store_failed', examined: 1, repaired: [{ order_id: a }], errors: [] });
    expect(report.stopped_detail).toContain('postgres://shop:***@db.internal/shop');
    expect(JSON.stringify(report)).not.toContain('s3cret-pw');
    expect(errors).toHaveLength(1);
    expect(await orderStatus(db, a)).toBe('paid');
    expect(await orderStatus(db, b)).toBe('pending');
    // Failing at once, nothing was examined or written: the run throws (the route's 500 reconcile_failed).
    [lists, failFrom] = [0, 1];
    await expect(reconcileOrderPayments(settings, { since, min_age_seconds: 0 })).rejects.toThrow('injected: connection lost');
    expect(await orderStatus(db, b)).toBe('pending');
    // The next run with the store back does the rest.
    expect(await f.shop.service.reconcile({ since, min_age_seconds: 0 })).toMatchObject({ ok: true, repaired: [{ order_id: b }] });
  });

  it('refuses bad options naming the field', async () => {
    const store = db.createStore();
    const client = new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, base_url: f.sandbox.api_base });
    const run = (settings: Record<string, unknown>, options: Record<string, unknown> = {}) =>
      reconcileOrderPayments({ merchant_client: client, order_store: store, merchant: MERCHANT, ...settings } as never, options as never);
    await expect(run({ merchant: 'Not A Key' })).rejects.toMatchObject({ field: 'merchant' });
    await expect(run({ order_store: { findOrder: () => null } })).rejects.toThrow(/missing listUnpaidCheckoutAttempts, retireCheckoutAttempt, processWebhookEvent/);
    await expect(run({ merchant_client: {} })).rejects.toMatchObject({ field: 'merchant_client' });
    await expect(run({}, { limit: 0 })).rejects.toMatchObject({ field: 'limit' });
    await expect(run({}, { limit: 10_001 })).rejects.toMatchObject({ field: 'limit' });
    await expect(run({}, { min_age_seconds: -1 })).rejects.toMatchObject({ field: 'min_age_seconds' });
    await expect(run({}, { page_size: 1.5 })).rejects.toMatchObject({ field: 'page_size' });
    await expect(run({}, { since: 'last week' })).rejects.toMatchObject({ field: 'since' });
    await expect(run({}, { signal: 'stop' as unknown as AbortSignal })).rejects.toMatchObject({ field: 'signal' });
    // Text reads as the CLI and the route read it.
    const twoHours = await run({}, { since: '2h', dry_run: true });
    expect(Math.abs(Date.parse(twoHours.since) - (Date.now() - 2 * 3600_000))).toBeLessThan(60_000);
    // A Date gets the same bounds as the CLI's and the route's text.
    await expect(run({}, { since: new Date(0) })).rejects.toThrow(/since: must not be before 2020-01-01/);
    await expect(run({}, { since: new Date(Date.now() + 3600_000) })).rejects.toThrow(/since: must not be in the future/);
    // A window that ends before it starts examined nothing and read "consistent" while paid orders stayed pending.
    await expect(run({}, { since: '4m' })).rejects.toMatchObject({ field: 'since', message: expect.stringMatching(/must be before the window's end, now minus min_age_seconds .*empty/) });
    expect(() => createOrderCheckoutService({
      merchant_client: client, order_store: store, merchant: MERCHANT, webhook_secret: SECRET, shop_public_origin: 'http://127.0.0.1:1',
      allow_unverified_order_lookup: true, reconcile_token: 'short',
    })).toThrow(expect.objectContaining({ field: 'reconcile_token' }));
  });

  it('answers the route 404 without a token configured, 401 for a wrong or missing bearer, 400 for a bad query, and never runs then', async () => {
    const client = new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, base_url: f.sandbox.api_base });
    const base = { merchant_client: client, order_store: db.createStore(), merchant: MERCHANT, webhook_secret: SECRET, shop_public_origin: 'http://127.0.0.1:1', allow_unverified_order_lookup: true };
    const closed = createOrderCheckoutService(base);
    expect(await closed.handleReconcile('Bearer anything')).toMatchObject({ status: 404, body: { error: 'reconcile_disabled' } });
    const token = randomBytes(32).toString('hex');
    const open = createOrderCheckoutService({ ...base, reconcile_token: token });
    const order_id = await lostPayment();
    for (const auth of [undefined, '', token, `Bearer ${token.slice(1)}`, `Basic ${token}`, `Bearer ${token} extra`]) {
      expect(await open.handleReconcile(auth, 'min_age_seconds=0')).toMatchObject({ status: 401, body: { error: 'unauthorized' } });
    }
    expect(await open.handleReconcile(`Bearer ${token}`, 'limit=0')).toMatchObject({ status: 400, body: { error: 'invalid_request' } });
    // Each value is fine, together they make an empty window: 400, not a 200 "ok" that examined nothing.
    expect(await open.handleReconcile(`Bearer ${token}`, 'since=0m&min_age_seconds=86400')).toMatchObject({ status: 400, body: { error: 'invalid_request', message: expect.stringContaining('Invalid since') } });
    expect(await orderStatus(db, order_id)).toBe('pending');
    // The auth scheme is case-insensitive; the token is not.
    expect(await open.handleReconcile(`bearer ${token.toUpperCase()}`, 'min_age_seconds=0')).toMatchObject({ status: 401 });
    const res = await open.handleReconcileRequest(new Request('http://shop.test/payments/siglume/reconcile?min_age_seconds=0&since=1h', { headers: { authorization: `bearer ${token}` } }));
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(await res.json()).toMatchObject({ ok: true, repaired: [{ order_id }] });
  });

  it('answers 409 reconcile_in_progress with Retry-After to a second route call while one runs, and runs again once it ends', async () => {
    const token = randomBytes(32).toString('hex');
    const order_id = await lostPayment();
    // Siglume's answers for the first run are held until released, so that run is still going when the second call comes.
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let asked!: () => void;
    const first_lookup = new Promise<void>((resolve) => (asked = resolve));
    let lookups = 0;
    const client = new DirectRequestPaymentMerchantClient({
      auth_token: TOKEN,
      base_url: f.sandbox.api_base,
      max_retries: 0,
      timeout_ms: 5_000, // bounds a second run that would wait here too (the code before the guard)
      fetch: async (url, init) => {
        lookups += 1;
        asked();
        await held;
        return fetch(url, init);
      },
    });
    const service = createOrderCheckoutService({
      merchant_client: client, order_store: db.createStore(), merchant: MERCHANT, webhook_secret: SECRET,
      shop_public_origin: 'http://127.0.0.1:1', allow_unverified_order_lookup: true, reconcile_token: token,
    });
    const request = (auth = `Bearer ${token}`) =>
      service.handleReconcileRequest(new Request('http://shop.test/payments/siglume/reconcile?min_age_seconds=0', { method: 'POST', headers: { authorization: auth } }));
    const first = request();
    await first_lookup;
    try {
      const second = await request();
      expect(second.status).toBe(409);
      expect(second.headers.get('retry-after')).toBe('60');
      expect(second.headers.get('cache-control')).toBe('no-store');
      expect(await second.json()).toMatchObject({ error: 'reconcile_in_progress', retry_after_seconds: 60 });
      expect(await service.handleReconcile(`Bearer ${token}`, 'min_age_seconds=0')).toMatchObject({ status: 409, body: { error: 'reconcile_in_progress' } });
      // Without the token the answer stays 401: a stranger learns nothing about a running reconciliation.
      expect((await request('Bearer wrong')).status).toBe(401);
      // The refused calls asked Siglume nothing.
      expect(lookups).toBe(1);
    } finally {
      release();
    }
    const done = await first;
    expect(done.status).toBe(200);
    expect(await done.json()).toMatchObject({ repaired: expect.arrayContaining([expect.objectContaining({ order_id })]) });
    const third = await request();
    expect(third.status).toBe(200);
    expect(await third.json()).toMatchObject({ dry_run: false, repaired: [] });
  });

  /** A route-enabled service whose store lists unpaid attempts through `list` (the real store is `target`). */
  function serviceListingWith(list: (target: OrderStore, query: Parameters<OrderStore['listUnpaidCheckoutAttempts']>[0]) => ReturnType<OrderStore['listUnpaidCheckoutAttempts']>) {
    const token = randomBytes(32).toString('hex');
    const store = db.createStore();
    const listing = new Proxy(store, {
      get(target, key) {
        if (key === 'listUnpaidCheckoutAttempts') return (query: Parameters<OrderStore['listUnpaidCheckoutAttempts']>[0]) => list(target, query);
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const errors: unknown[] = [];
    const service = createOrderCheckoutService({
      merchant_client: new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, base_url: f.sandbox.api_base, max_retries: 0 }),
      order_store: listing, merchant: MERCHANT, webhook_secret: SECRET, shop_public_origin: 'http://127.0.0.1:1',
      allow_unverified_order_lookup: true, reconcile_token: token, onError: (e) => void errors.push(e),
    });
    return { service, token, errors };
  }

  /**
   * A route service whose first store listing waits until `release()` (then fails with `first_fails`, else
   * answers), and whose later listings answer at once; `listed` resolves when the first listing started.
   */
  function serviceWithHeldListing(first_fails: boolean) {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let started!: () => void;
    const listed = new Promise<void>((resolve) => (started = resolve));
    let listings = 0;
    const { service, token, errors } = serviceListingWith(async (target, query) => {
      listings += 1;
      if (listings === 1) {
        started();
        await held;
        if (first_fails) throw new Error('injected: the database went away');
      }
      return target.listUnpaidCheckoutAttempts(query);
    });
    const call = () => service.handleReconcile(`Bearer ${token}`, 'min_age_seconds=0&dry_run=true');
    return { call, listed, release, errors };
  }

  it('frees the reconcile route again when a run fails (500 reconcile_failed), so the next call runs', async () => {
    const { call, listed, release, errors } = serviceWithHeldListing(true);
    const first = call();
    await listed;
    try {
      expect(await call()).toMatchObject({ status: 409, body: { error: 'reconcile_in_progress' } });
    } finally {
      release();
    }
    expect(await first).toMatchObject({ status: 500, body: { error: 'reconcile_failed' } });
    expect(errors).toHaveLength(1);
    expect(await call()).toMatchObject({ status: 200, body: { dry_run: true } });
  });

  it('answers 500 and reports a store failure that is a SiglumeValidationError, never a 400 that sends its text to the caller unlogged', async () => {
    const { service, token, errors } = serviceListingWith(async () => {
      throw new SiglumeValidationError('after.created_at', 'Invalid after.created_at: the cursor column is corrupt');
    });
    expect(await service.handleReconcile(`Bearer ${token}`, 'min_age_seconds=0')).toMatchObject({ status: 500, body: { error: 'reconcile_failed' } });
    expect(errors).toHaveLength(1);
  });

  it('lets the next call run, and reports it, when a route run has made no progress for 30 minutes (stuck, not busy)', async () => {
    // The first run's store call does not return (a database socket to a dead peer) until the end of the test.
    const { call, listed, release, errors } = serviceWithHeldListing(false);
    const started = Date.now();
    const first = call();
    await listed;
    vi.useFakeTimers({ toFake: ['Date'] });
    try {
      const busy = await call();
      expect(busy).toMatchObject({ status: 409, body: { error: 'reconcile_in_progress' } });
      const since = Date.parse((busy.body as { running_since: string }).running_since);
      expect(since).toBeGreaterThanOrEqual(started);
      expect(since).toBeLessThanOrEqual(Date.now());
      vi.setSystemTime(Date.now() + 29 * 60_000);
      expect(await call()).toMatchObject({ status: 409 });
      expect(errors).toEqual([]);
      vi.setSystemTime(Date.now() + 2 * 60_000);
      expect(await call()).toMatchObject({ status: 200, body: { dry_run: true } });
      expect(errors).toHaveLength(1);
      expect((errors[0] as Error).message).toMatch(/^The reconciliation started at .* has made no progress since .* \(30 minutes\); starting another/);
      expect(errors[0]).toMatchObject({ code: 'RECONCILE_STUCK' });
      expect(ORDER_RECONCILE_STUCK).toBe('RECONCILE_STUCK'); // the exported name a merchant's onError matches on
      // The stuck run's guard went with it: the route is free again.
      expect(await call()).toMatchObject({ status: 200 });
    } finally {
      vi.useRealTimers();
      release();
    }
    // The stuck run ending late frees nothing it no longer holds, and the route stays free.
    expect(await first).toMatchObject({ status: 200 });
    expect(await call()).toMatchObject({ status: 200 });
  });

  it('counts a run as stuck from its last progress, not its start: a long run that keeps examining holds the route', async () => {
    const since = new Date().toISOString();
    for (let i = 0; i < 3; i++) await lostPayment();
    const token = randomBytes(32).toString('hex');
    // Every Siglume request waits until the test lets it through, so the test decides when the run makes progress.
    const waiting: Array<() => void> = [];
    let arrived: (() => void) | null = null;
    let open = false;
    const nextRequest = () => new Promise<void>((resolve) => (waiting.length > 0 ? resolve() : (arrived = resolve)));
    const client = new DirectRequestPaymentMerchantClient({
      auth_token: TOKEN,
      base_url: f.sandbox.api_base,
      max_retries: 0,
      fetch: async (url, init) => {
        if (!open) {
          await new Promise<void>((resolve) => {
            waiting.push(resolve);
            arrived?.();
            arrived = null;
          });
        }
        return fetch(url, init);
      },
    });
    const errors: unknown[] = [];
    const service = createOrderCheckoutService({
      merchant_client: client, order_store: db.createStore(), merchant: MERCHANT, webhook_secret: SECRET,
      shop_public_origin: 'http://127.0.0.1:1', allow_unverified_order_lookup: true, reconcile_token: token,
      onError: (e) => void errors.push(e),
    });
    const call = () => service.handleReconcile(`Bearer ${token}`, `min_age_seconds=0&dry_run=true&since=${encodeURIComponent(since)}`);
    vi.useFakeTimers({ toFake: ['Date'] });
    let first: ReturnType<typeof call> | undefined;
    try {
      const t0 = Date.now();
      first = call();
      await nextRequest();
      // 20 minutes in, the first attempt's lookup answers: the run has examined one attempt, then waits again.
      vi.setSystemTime(t0 + 20 * 60_000);
      waiting.shift()!();
      await nextRequest();
      // 40 minutes after the start but 20 after its last progress: still running, not stuck. (Taken for stuck, the
      // call would start a run whose requests wait here: the race turns that into a failed assertion, not a hang.)
      vi.setSystemTime(t0 + 40 * 60_000);
      const hung = new Promise((resolve) => setTimeout(() => resolve('a second run started'), 3000));
      expect(await Promise.race([call(), hung])).toMatchObject({ status: 409, body: { error: 'reconcile_in_progress' } });
      expect(errors).toEqual([]);
    } finally {
      vi.useRealTimers();
      open = true;
      for (const release of waiting.splice(0)) release();
    }
    expect(await first).toMatchObject({ status: 200, body: { dry_run: true, examined: 3 } });
  });

  it("checks each attempt against its own session: a session reporting another attempt's challenge hash pays neither", async () => {
    const since = new Date();
    const paid = await lostPayment();
    const other = uid('ord');
    await insertOrder(db, { order_id: other, amount_minor: 2500 });
    const open = await startCheckout(f.shop.url, { order_id: other });
    const plain = new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, base_url: f.sandbox.api_base, max_retries: 0 });
    const otherSession = await plain.getCheckoutSession(open.body.session_id as string);
    // Siglume's answer for the paid session, as if it named the other attempt's challenge and no session id.
    const client = new DirectRequestPaymentMerchantClient({
      auth_token: TOKEN,
      base_url: f.sandbox.api_base,
      max_retries: 0,
      fetch: async (url, init) => {
        const res = await fetch(url, init);
        if (!String(url).includes('/checkout-sessions/') || String(url).endsWith(open.body.session_id as string)) return res;
        const body = await res.json();
        body.data.challenge_hash = otherSession.challenge_hash;
        delete body.data.session_id;
        return new Response(JSON.stringify(body), { status: res.status, headers: { 'content-type': 'application/json' } });
      },
    });
    const report = await reconcileOrderPayments(
      { merchant_client: client, order_store: db.createStore(), merchant: MERCHANT },
      { since, min_age_seconds: 0 },
    );
    expect(report.repaired).toEqual([]);
    expect(report.review.map((r) => r.order_id)).toEqual([paid]);
    expect(await orderStatus(db, other)).toBe('pending');
    expect(await orderStatus(db, paid)).toBe('pending');
  });
});

describe('orderReconcileOptionsFromQuery', () => {
  it('reads since, min_age_seconds, limit and dry_run', () => {
    const r = orderReconcileOptionsFromQuery('since=2h&min_age_seconds=0&limit=25&dry_run=true');
    expect(r.ok && { ...r.options, since: undefined }).toEqual({ since: undefined, min_age_seconds: 0, limit: 25, dry_run: true });
    expect(r.ok && Date.now() - (r.options.since as Date).getTime()).toBeGreaterThanOrEqual(2 * 3600_000);
    expect(orderReconcileOptionsFromQuery('')).toEqual({ ok: true, options: {} });
    // `+09:00` unencoded in a query string arrives as a space.
    const offset = orderReconcileOptionsFromQuery('since=2026-01-01T00:00:00+09:00');
    expect(offset.ok && (offset.options.since as Date).toISOString()).toBe('2025-12-31T15:00:00.000Z');
    // Without an offset, a date and a time are both UTC, whatever the server's zone (a time was read as local).
    const zone = process.env.TZ;
    process.env.TZ = 'Asia/Tokyo'; // this file's own process (pool: forks)
    try {
      for (const [text, utc] of [['2026-01-01', '2026-01-01T00:00:00.000Z'], ['2026-01-01T09:30:00', '2026-01-01T09:30:00.000Z'], ['2026-01-01T09:30', '2026-01-01T09:30:00.000Z']]) {
        const r2 = orderReconcileOptionsFromQuery(`since=${text}`);
        expect(r2.ok && (r2.options.since as Date).toISOString(), text).toBe(utc);
      }
    } finally {
      if (zone === undefined) delete process.env.TZ;
      else process.env.TZ = zone;
    }
  });

  it.each([
    ['limit=0', /limit/], ['limit=10001', /limit/], ['limit=abc', /limit/], ['min_age_seconds=86401', /min_age_seconds/],
    ['dry_run=1', /dry_run/], ['since=tomorrow', /since/], ['since=2999-01-01', /future/], ['limit=1&limit=2', /twice/],
    ['minage=0', /Unknown query parameter/], [`since=${'1'.repeat(2000)}`, /exceeds/],
    ['since=0001-01-01', /before 2020/], ['since=999999d', /before 2020/],
  ])('refuses %s', (query, message) => {
    const r = orderReconcileOptionsFromQuery(query);
    expect(r.ok).toBe(false);
    expect(!r.ok && r.message).toMatch(message);
  });
});

describe.skipIf(unavailable !== null)('reconciliation of a Micro payment in a shop that accepts them [sqlite]', () => {
  let db: ConformanceDatabase;
  let f: ShopFixture;
  sqliteShop({ allow_metered_payments: true }, (database, fixture) => ([db, f] = [database, fixture]));

  it('marks it fulfilled-unsettled through the same decision, and the real event later changes nothing', async () => {
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 300 });
    const start = await startCheckout(f.shop.url, { order_id });
    f.sandbox.setFaults({ drop_webhook_deliveries: true });
    const paid = await f.sandbox.pay(start.body.session_id as string).finally(() => f.sandbox.resetFaults());
    expect(await orderStatus(db, order_id)).toBe('pending');

    const report = await f.shop.service.reconcile({ min_age_seconds: 0 });
    expect(report).toMatchObject({ ok: true, repaired: [{ order_id, detail: 'marked_fulfilled_unsettled' }] });
    expect(await orderStatus(db, order_id)).toBe('fulfilled_unsettled');
    expect((await f.sandbox.redeliver(paid.event_id!)).map((d) => d.response_status)).toEqual([204]);
    expect(await orderStatus(db, order_id)).toBe('fulfilled_unsettled');
  });
});

describe.skipIf(unavailable !== null)('reconciliation order: newest sessions first [sqlite]', () => {
  let db: ConformanceDatabase;
  let f: ShopFixture;
  sqliteShop({}, (database, fixture) => ([db, f] = [database, fixture]));

  /** An order whose checkout the buyer left unpaid, its session stored `hours` ago. */
  async function abandoned(hours: number): Promise<string> {
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 2500 });
    expect((await startCheckout(f.shop.url, { order_id })).status).toBe(200);
    const then = new Date(Date.now() - hours * 3600_000);
    await db.sql('UPDATE siglume_checkout_attempts SET created_at = ?, session_stored_at = ? WHERE order_id = ?', [then, then, order_id]);
    return order_id;
  }

  it('reaches a payment lost just now though older unpaid checkouts fill the limit; within a slice, oldest first', async () => {
    const since = new Date(Date.now() - 30 * 3600_000);
    const older = [await abandoned(25), await abandoned(2.5), await abandoned(2)]; // 2.5 h and 2 h: one slice (1-3 h)
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 2500 });
    const start = await startCheckout(f.shop.url, { order_id });
    f.sandbox.setFaults({ drop_webhook_deliveries: true });
    await f.sandbox.pay(start.body.session_id as string).finally(() => f.sandbox.resetFaults());

    const limited = await f.shop.service.reconcile({ since, min_age_seconds: 0, limit: 2 });
    // The newest quarter hour first, then the 1-3 h slice from its oldest; the 2-hour and 25-hour ones are left.
    expect(limited).toMatchObject({ ok: false, stopped: 'limit', examined: 2, repaired: [{ order_id }], review: [], errors: [] });
    expect(limited.consistent.map((e) => e.order_id)).toEqual([older[1]]);
    expect(await orderStatus(db, order_id)).toBe('paid');

    const whole = await f.shop.service.reconcile({ since, min_age_seconds: 0 });
    expect(whole).toMatchObject({ ok: true, stopped: null, examined: 3, repaired: [] });
    expect(whole.consistent.map((e) => e.order_id)).toEqual([older[1], older[2], older[0]]);
  });

  it('examines once an attempt two slices list (its session time before its creation: app servers whose clocks differ)', async () => {
    const since = new Date(Date.now() - 30 * 3600_000);
    const order_id = uid('ord');
    await insertOrder(db, { order_id, amount_minor: 2500 });
    expect((await startCheckout(f.shop.url, { order_id })).status).toBe(200);
    const [created, stored] = [new Date(Date.now() - 50 * 60_000), new Date(Date.now() - 70 * 60_000)]; // either side of an hour
    await db.sql('UPDATE siglume_checkout_attempts SET created_at = ?, session_stored_at = ? WHERE order_id = ?', [created, stored, order_id]);
    const whole = await f.shop.service.reconcile({ since, min_age_seconds: 0 });
    expect(whole).toMatchObject({ ok: true, stopped: null });
    const examined = [...whole.consistent, ...whole.retired, ...whole.repaired].map((e) => e.order_id);
    expect(examined.filter((id) => id === order_id)).toHaveLength(1);
    // Exactly as many as the window holds: no "limit" for the repeat.
    expect(await f.shop.service.reconcile({ since, min_age_seconds: 0, limit: whole.examined })).toMatchObject({ ok: true, stopped: null });
    expect(await f.shop.service.reconcile({ since, min_age_seconds: 0, limit: whole.examined, page_size: 1 })).toMatchObject({ ok: true, stopped: null });
  });
});
