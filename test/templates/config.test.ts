/**
 * The shared siglume-config.ts and the stores as `init` copies them: a server
 * started without its environment learns every missing variable at once (the
 * store's too), not one per restart; a bad value is reported by the variable
 * the developer set, not by the SDK option it feeds; a DATABASE_URL of another
 * database is refused at startup, not on the first checkout; a test's
 * `fetch: sandbox.fetch` sends the shop's calls to that in-process sandbox.
 */
import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import Database from 'better-sqlite3';
import { createServer } from 'node:net';
import { createSandbox } from '../../src/sandbox/index.js';
import { createTestWebhookEvent } from '../../src/testing/index.js';
import { applySqliteSchema, sqliteAdapter, sqliteSchemaSql } from '../orders/support/sqlite.js';
import { copiedTemplate, type ConfigModule } from './support/copied.js';

const REQUIRED = ['SIGLUME_MERCHANT_AUTH_TOKEN', 'SIGLUME_DIRECT_PAYMENT_MERCHANT', 'SIGLUME_WEBHOOK_SECRET', 'SHOP_PUBLIC_ORIGIN'];
const SEE_README = '(see "Environment" in the SIGLUME-README.md beside siglume-config.ts)';

interface StoreModule {
  createOrderStore(): unknown;
  closeOrderStore(): Promise<void>;
}

afterEach(() => {
  vi.unstubAllEnvs();
});

/** The sandbox's settings, as the quickstart's .env has them. */
function stubSandboxEnvironment(): void {
  vi.stubEnv('SIGLUME_MERCHANT_AUTH_TOKEN', 'sdrp_sandbox_merchant_token');
  vi.stubEnv('SIGLUME_DIRECT_PAYMENT_MERCHANT', 'sandbox_shop');
  vi.stubEnv('SIGLUME_WEBHOOK_SECRET', 'whsec_sandbox_secret');
  vi.stubEnv('SHOP_PUBLIC_ORIGIN', 'http://127.0.0.1:3000');
}

describe('createSiglumeCheckout of the copied siglume-config.ts', () => {
  it("names every missing variable in one error, the store's included, and where the README is", async () => {
    const copy = await copiedTemplate('hono', 'sqlite');
    try {
      const { createSiglumeCheckout } = await copy.load<ConfigModule<never>>('siglume-config.ts');
      for (const name of [...REQUIRED, 'SQLITE_PATH']) vi.stubEnv(name, '');
      expect(() => createSiglumeCheckout()).toThrow(`${[...REQUIRED, 'SQLITE_PATH'].join(', ')} are not set ${SEE_README}`);
      stubSandboxEnvironment();
      vi.stubEnv('SIGLUME_WEBHOOK_SECRET', '');
      expect(() => createSiglumeCheckout()).toThrow(`SIGLUME_WEBHOOK_SECRET, SQLITE_PATH are not set ${SEE_README}`);
    } finally {
      copy.remove();
    }
  });

  it("says a set SIGLUME_AUTH_TOKEN (0.4.20's merchant fallback) is not read, and to rename it", async () => {
    const copy = await copiedTemplate('express', 'postgres');
    try {
      const { createSiglumeCheckout } = await copy.load<ConfigModule<object>>('siglume-config.ts');
      stubSandboxEnvironment();
      vi.stubEnv('SIGLUME_MERCHANT_AUTH_TOKEN', '');
      vi.stubEnv('SIGLUME_AUTH_TOKEN', 'sdrp_sandbox_merchant_token');
      expect(() => createSiglumeCheckout({})).toThrow(
        `SIGLUME_MERCHANT_AUTH_TOKEN is not set ${SEE_README}. SIGLUME_AUTH_TOKEN is set but not read here (it is the buyer token): if it holds your merchant token, rename it to SIGLUME_MERCHANT_AUTH_TOKEN`,
      );
    } finally {
      copy.remove();
    }
  });

  it('asks for DATABASE_URL with the rest, unless the connection is passed', async () => {
    const copy = await copiedTemplate('express', 'postgres');
    try {
      const { createSiglumeCheckout } = await copy.load<ConfigModule<object>>('siglume-config.ts');
      for (const name of [...REQUIRED, 'DATABASE_URL']) vi.stubEnv(name, '');
      expect(() => createSiglumeCheckout()).toThrow(`${[...REQUIRED, 'DATABASE_URL'].join(', ')} are not set ${SEE_README}`);
      expect(() => createSiglumeCheckout({})).toThrow(`${REQUIRED.join(', ')} are not set ${SEE_README}`);
    } finally {
      copy.remove();
    }
  });

  it('names the variable, not the SDK option, in a validation error', async () => {
    const copy = await copiedTemplate('hono', 'sqlite');
    try {
      const { createSiglumeCheckout } = await copy.load<ConfigModule<never>>('siglume-config.ts');
      writeFileSync(`${copy.dir}/shop.db`, ''); // an existing (empty) database: the store opens only a file that is there
      vi.stubEnv('SQLITE_PATH', `${copy.dir}/shop.db`);
      const cases: Array<[string, string, string]> = [
        ['SHOP_PUBLIC_ORIGIN', 'localhost:3200', 'Invalid SHOP_PUBLIC_ORIGIN: must be an absolute origin such as https://shop.example'],
        ['SIGLUME_API_BASE', 'localhost:8787/v1', 'Invalid SIGLUME_API_BASE: must use https'],
        ['SIGLUME_DIRECT_PAYMENT_MERCHANT', 'My Shop', 'Invalid SIGLUME_DIRECT_PAYMENT_MERCHANT: must be 3-64 characters'],
        ['SIGLUME_MERCHANT_AUTH_TOKEN', 'sdrp token', 'Invalid SIGLUME_MERCHANT_AUTH_TOKEN: must not contain whitespace'],
        ['SIGLUME_RECONCILE_TOKEN', 'too-short', 'Invalid SIGLUME_RECONCILE_TOKEN: must be 32-256 characters'],
        // The same rule as the option's: long enough but guessable.
        ['SIGLUME_RECONCILE_TOKEN', '0123456789abcdef'.repeat(2), 'Invalid SIGLUME_RECONCILE_TOKEN: too predictable'],
        ['SHOP_ALLOW_METERED_PAYMENTS', 'TRUE', 'Invalid SHOP_ALLOW_METERED_PAYMENTS: must be true or false (or unset)'],
        // A rotation set up wrongly: each secret is checked at start-up, not by failing every delivery.
        ['SIGLUME_WEBHOOK_SECRET', 'whsec_new ', 'Invalid SIGLUME_WEBHOOK_SECRET: must not contain spaces or line breaks'],
        ['SIGLUME_WEBHOOK_SECRET_PREVIOUS', '   ', 'Invalid SIGLUME_WEBHOOK_SECRET_PREVIOUS: must not contain spaces or line breaks'],
        ['SIGLUME_WEBHOOK_SECRET', 'whsec_new,whsec_old', 'Invalid SIGLUME_WEBHOOK_SECRET: must be one secret, not a list'],
        ['SIGLUME_WEBHOOK_SECRET_PREVIOUS', '["whsec_a","whsec_b"]', 'Invalid SIGLUME_WEBHOOK_SECRET_PREVIOUS: must be one secret, not a list'],
      ];
      for (const [name, value, message] of cases) {
        stubSandboxEnvironment();
        vi.stubEnv('SIGLUME_API_BASE', 'http://127.0.0.1:8787/v1');
        vi.stubEnv('SIGLUME_RECONCILE_TOKEN', '');
        vi.stubEnv('SHOP_ALLOW_METERED_PAYMENTS', '');
        vi.stubEnv('SIGLUME_WEBHOOK_SECRET_PREVIOUS', '');
        vi.stubEnv(name, value);
        expect(() => createSiglumeCheckout(), name).toThrow(message);
        // The value is never in the message.
        expect(() => createSiglumeCheckout(), name).not.toThrow(/whsec_/);
      }
    } finally {
      copy.remove();
    }
  });
});

describe('createOrderStore of the copied siglume-store.ts', () => {
  it('refuses a DATABASE_URL of another database, or naming none, at startup, without printing its password', async () => {
    const stores: Array<['postgres' | 'mysql', string, string]> = [
      ['postgres', 'mysql://shop:s3cret-pw@127.0.0.1:3306/shop', 'DATABASE_URL must be a PostgreSQL URL starting with postgres:// or postgresql://, not mysql://'],
      ['mysql', 'postgres://shop:s3cret-pw@127.0.0.1:5432/shop', 'DATABASE_URL must be a MySQL / MariaDB URL starting with mysql:// or mariadb://, not postgres://'],
      ['mysql', 'shop:s3cret-pw@127.0.0.1:3306/shop', 'DATABASE_URL must be a MySQL / MariaDB URL starting with mysql:// or mariadb://'],
      ['mysql', 'mysql://shop:s3cret-pw@127.0.0.1:3306', 'DATABASE_URL names no database: add it after the port, e.g. mysql://user:password@host:3306/shop'],
      ['mysql', 'mariadb://shop:s3cret-pw@127.0.0.1:3306/', 'DATABASE_URL names no database: add it after the port, e.g. mysql://user:password@host:3306/shop'],
    ];
    for (const [database, url, message] of stores) {
      const copy = await copiedTemplate('express', database);
      try {
        const { createSiglumeCheckout } = await copy.load<ConfigModule<never>>('siglume-config.ts');
        stubSandboxEnvironment();
        vi.stubEnv('DATABASE_URL', url);
        let error: unknown;
        try {
          createSiglumeCheckout();
        } catch (e) {
          error = e;
        }
        expect(error, url).toBeInstanceOf(Error);
        expect((error as Error).message).toBe(message);
        expect((error as Error).message).not.toContain('s3cret');
      } finally {
        copy.remove();
      }
    }
  });

  it('accepts both schemes of its database (making the pool connects nowhere yet)', async () => {
    for (const [database, urls] of [
      ['postgres', ['postgres://shop@127.0.0.1:5432/shop', 'postgresql://shop@127.0.0.1:5432/shop']],
      ['mysql', ['mysql://shop@127.0.0.1:3306/shop', 'mariadb://shop@127.0.0.1:3306/shop']],
    ] as const) {
      const copy = await copiedTemplate('express', database);
      try {
        const store = await copy.load<StoreModule>('siglume-store.ts');
        for (const url of urls) {
          vi.stubEnv('DATABASE_URL', url);
          expect(() => store.createOrderStore(), url).not.toThrow();
          await store.closeOrderStore();
        }
      } finally {
        copy.remove();
      }
    }
  });

  it('refuses a SQLITE_PATH that does not exist, naming it and how to create it, instead of creating an empty database', async () => {
    const copy = await copiedTemplate('hono', 'sqlite');
    try {
      const store = await copy.load<StoreModule>('siglume-store.ts');
      const create = 'sqlite3 "$SQLITE_PATH" < siglume-payments.sqlite.sql';
      // A typo in the file name, and a folder that is not there (better-sqlite3's own answer is a bare TypeError).
      for (const path of [join(copy.dir, 'shpo.db'), join(copy.dir, 'no-such-folder', 'shop.db')]) {
        vi.stubEnv('SQLITE_PATH', path);
        expect(() => store.createOrderStore(), path).toThrow(`SQLITE_PATH points to ${path}, which does not exist`);
        expect(() => store.createOrderStore(), path).toThrow(create);
      }
      expect(readdirSync(copy.dir).filter((name) => name.startsWith('shpo.db'))).toEqual([]); // no stray .db, -wal or -shm
      // A relative path is shown as given and as resolved, since it depends on the folder the server starts in.
      vi.stubEnv('SQLITE_PATH', 'shpo-relative.db');
      expect(() => store.createOrderStore()).toThrow(`SQLITE_PATH points to shpo-relative.db, i.e. ${resolve('shpo-relative.db')}, which does not exist`);
      expect(existsSync('shpo-relative.db')).toBe(false);
      // Once the file is there, it opens.
      writeFileSync(join(copy.dir, 'shpo.db'), '');
      vi.stubEnv('SQLITE_PATH', join(copy.dir, 'shpo.db'));
      expect(() => store.createOrderStore()).not.toThrow();
      await store.closeOrderStore();
    } finally {
      copy.remove();
    }
  });

  it('refuses a URL in SQLITE_PATH instead of creating a file named after it', async () => {
    const copy = await copiedTemplate('hono', 'sqlite');
    try {
      const store = await copy.load<StoreModule>('siglume-store.ts');
      for (const [path, scheme] of [['postgres://shop:s3cret-pw@127.0.0.1:5432/shop', 'postgres'], ['sqlite:shop.db', 'sqlite'], ['file:shop.db', 'file']]) {
        vi.stubEnv('SQLITE_PATH', path);
        expect(() => store.createOrderStore(), path).toThrow(`SQLITE_PATH must be a file path such as ./shop.db, not a URL (it starts with ${scheme}:)`);
        expect(() => store.createOrderStore()).not.toThrow('s3cret');
      }
    } finally {
      copy.remove();
    }
  });
});

describe('startSiglumeCheckout of the copied siglume-config.ts (the start-up check)', () => {
  const start = async (edit?: [string, string]) => {
    const copy = await copiedTemplate('hono', 'sqlite');
    if (edit) copy.edit('siglume-store.ts', edit[0], edit[1]); // as the merchant edits the marked mapping
    const { startSiglumeCheckout } = await copy.load<ConfigModule<Database.Database>>('siglume-config.ts');
    return { copy, startSiglumeCheckout: startSiglumeCheckout! };
  };

  it('starts over tables made by the migrations, and refuses to start naming a misspelt mapped column', async () => {
    const db = await sqliteAdapter.createDatabase();
    const database = new Database(db.env.SDRP_SQLITE_FILE!, { fileMustExist: true });
    const right = await start();
    const wrong = await start(["amount_column: 'amount_minor'", "amount_column: 'amount'"]);
    try {
      stubSandboxEnvironment();
      await expect(right.startSiglumeCheckout(database)).resolves.toMatchObject({ startCheckout: expect.any(Function) });
      const error = await wrong.startSiglumeCheckout(database).then(() => null, (e: unknown) => e as Error & { code?: string; problems?: unknown[] });
      expect(error?.code).toBe('ORDER_STORE_MISCONFIGURED');
      expect(error?.problems).toEqual([expect.objectContaining({ field: 'orders.amount_column', table: 'orders', column: 'amount' })]);
      expect(error?.message).toContain('Set orders.amount_column to the name of your column');
    } finally {
      database.close();
      right.copy.remove();
      wrong.copy.remove();
      await db.drop();
    }
  });

  it('refuses to start on a database without the payment tables, naming the migration to run', async () => {
    const { copy, startSiglumeCheckout } = await start();
    const file = join(copy.dir, 'shop.db');
    const database = new Database(file);
    try {
      database.exec(sqliteSchemaSql('orders'));
      stubSandboxEnvironment();
      const error = await startSiglumeCheckout(database).then(() => null, (e: unknown) => e as Error & { code?: string; problems?: Array<{ table: string }> });
      expect(error?.code).toBe('ORDER_STORE_MISCONFIGURED');
      expect(error?.problems?.map((p) => p.table)).toEqual(['siglume_checkout_attempts', 'siglume_webhook_events', 'siglume_payment_reviews', 'siglume_settlement_batches']);
      expect(error?.message).toContain('Run the whole migration siglume-payments.sqlite.sql');
      // Nothing was created or written by the check.
      expect(database.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name").all()).toEqual([{ name: 'orders' }]);
    } finally {
      database.close();
      copy.remove();
    }
  });
});

describe('createSiglumeCheckout of the copied siglume-config.ts, given fetch', () => {
  it("sends the merchant client's calls through it: a createSandbox sandbox gets the checkout session", async () => {
    // A port nothing listens on, for sandbox.url: the calls must not leave the process (8787 is a developer's sandbox).
    const probe = createServer();
    const port = await new Promise<number>((resolve) => probe.listen(0, '127.0.0.1', () => resolve((probe.address() as { port: number }).port)));
    await new Promise((resolve) => probe.close(resolve));
    const sandbox = await createSandbox({ port, origin: 'http://127.0.0.1:3000', quiet: true });
    const copy = await copiedTemplate('hono', 'sqlite');
    const database = new Database(join(copy.dir, 'shop.db'));
    try {
      applySqliteSchema(database, sqliteSchemaSql('siglume-payments'));
      applySqliteSchema(database, sqliteSchemaSql('orders'));
      database.exec("INSERT INTO orders (order_id, user_id, amount_minor, currency) VALUES ('o1', 'alice', 4200, 'JPY')");
      for (const name of ['SIGLUME_RECONCILE_TOKEN', 'SHOP_ALLOW_METERED_PAYMENTS', 'SIGLUME_WEBHOOK_SECRET_PREVIOUS']) vi.stubEnv(name, '');
      for (const [name, value] of Object.entries(sandbox.env)) vi.stubEnv(name, value);
      const { createSiglumeCheckout } = await copy.load<ConfigModule<Database.Database>>('siglume-config.ts');
      const checkout = createSiglumeCheckout(database, { fetch: sandbox.fetch });
      const started = await checkout.startCheckout('o1', { id: 'alice' });
      expect(started).toMatchObject({ kind: 'redirect', status: 200 }); // was 502 checkout_unavailable: ECONNREFUSED at sandbox.url
      const { session_id } = (started as { body: { session_id: string } }).body;
      expect(sandbox.getCheckoutSession(session_id)).toMatchObject({ status: 'open', amount_minor: 4200 });
    } finally {
      database.close();
      copy.remove();
      await sandbox.close();
    }
  });
});

describe('createSiglumeCheckout of the copied siglume-config.ts, when a payment goes to review', () => {
  it('warns with the code, order, event and reason once, not again on the redelivery', async () => {
    const copy = await copiedTemplate('hono', 'sqlite');
    const database = new Database(join(copy.dir, 'shop.db'));
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => undefined);
    try {
      applySqliteSchema(database, sqliteSchemaSql('siglume-payments'));
      applySqliteSchema(database, sqliteSchemaSql('orders'));
      stubSandboxEnvironment();
      for (const name of ['SIGLUME_RECONCILE_TOKEN', 'SHOP_ALLOW_METERED_PAYMENTS', 'SIGLUME_WEBHOOK_SECRET_PREVIOUS', 'SIGLUME_API_BASE']) vi.stubEnv(name, '');
      const { createSiglumeCheckout } = await copy.load<ConfigModule<Database.Database>>('siglume-config.ts');
      const checkout = createSiglumeCheckout(database);
      // A payment no checkout attempt of this shop has the challenge hash of: answered 204, kept for a person.
      const { raw_body, header, event } = await createTestWebhookEvent('standard_settled', { merchant: 'sandbox_shop', secret: 'whsec_sandbox_secret' });
      expect(await checkout.handleWebhook(raw_body, header)).toMatchObject({ kind: 'processed', status: 204 });
      expect(database.prepare('SELECT code FROM siglume_payment_reviews WHERE event_id = ?').all(event.id)).toEqual([{ code: 'ORDER_NOT_FOUND' }]);
      expect(warn).toHaveBeenCalledTimes(1);
      const line = String(warn.mock.calls[0]![0]);
      // An event's claim, not a payment Siglume confirmed: the line must not send the operator to refund it.
      expect(line).toContain('PAYMENT NEEDS REVIEW (not confirmed by Siglume: check the requirement with Siglume before any refund): ORDER_NOT_FOUND');
      expect(line).not.toContain('a refund may be owed');
      expect(line).toContain(`event=${event.id}`);
      expect(line).toContain('no checkout attempt has this challenge_hash');
      expect(await checkout.handleWebhook(raw_body, header)).toMatchObject({ kind: 'processed', status: 204 });
      expect(warn).toHaveBeenCalledTimes(1);
    } finally {
      warn.mockRestore();
      database.close();
      copy.remove();
    }
  });
});

describe('siglumeSuccessPage of the copied siglume-config.ts', () => {
  it('says paid or being confirmed for the owner, one neutral line otherwise, and escapes the order id', async () => {
    const copy = await copiedTemplate('express', 'sqlite');
    const database = new Database(join(copy.dir, 'shop.db'));
    try {
      applySqliteSchema(database, sqliteSchemaSql('orders'));
      const insert = database.prepare('INSERT INTO orders (order_id, user_id, amount_minor, currency, status) VALUES (?, ?, 4200, ?, ?)');
      insert.run('o_pending', 'alice', 'JPY', 'pending');
      insert.run('o_paid', 'alice', 'JPY', 'paid');
      insert.run('<script>x</script>', 'alice', 'JPY', 'pending');
      type Checkout = ReturnType<ConfigModule<Database.Database>['createSiglumeCheckout']>;
      const { createSiglumeCheckout, siglumeSuccessPage } = await copy.load<
        ConfigModule<Database.Database> & { siglumeSuccessPage(checkout: Checkout, id: unknown, user: { id: string } | null): Promise<string> }
      >('siglume-config.ts');
      stubSandboxEnvironment();
      const checkout = createSiglumeCheckout(database);
      const alice = { id: 'alice' };
      const page = (id: unknown, user: { id: string } | null = alice) => siglumeSuccessPage(checkout, id, user);
      // Read through the service's own store: a store per page view added an error listener to the pool each time.
      await expect(siglumeSuccessPage({} as Checkout, 'o_paid', alice)).rejects.toThrow('pass the service that startSiglumeCheckout');
      expect(await page('o_paid')).toContain('Order o_paid is paid.');
      expect(await page('o_pending')).toContain('Order o_pending is being confirmed');
      expect(await page('<script>x</script>')).toContain('Order &lt;script&gt;x&lt;/script&gt; is being confirmed');
      const neutral = await page(undefined);
      expect(neutral).not.toMatch(/undefined|being confirmed|Order /);
      // Repeated, made up, empty, someone else's or signed out: the same line, which names no order.
      for (const [id, user] of [[['o_paid', 'o_pending'], alice], ['made_up', alice], ['', alice], ['o_paid', { id: 'mallory' }], ['o_paid', null]] as const) {
        expect(await page(id, user), JSON.stringify([id, user])).toBe(neutral);
      }
    } finally {
      database.close();
      copy.remove();
    }
  });
});
