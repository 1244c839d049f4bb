/**
 * The copied siglume-store.ts on a database that stops answering (a frozen
 * server, a network partition: no reset, no close), simulated by a TCP proxy
 * in front of PostgreSQL and MariaDB that holds every byte. The pool it makes
 * from DATABASE_URL gives up on a statement, and on opening a connection,
 * after its timeouts, instead of holding the request for as long as the stall
 * lasts; both sit above the store's 10 s lock timeout, so a lock wait still
 * fails as the lock timeout.
 */
import { afterAll, describe, expect, it, vi } from 'vitest';
import type { OrderStore } from '../../src/orders/index.js';
import { waitFor } from '../orders/support/conformance.js';
import { MYSQL_URL, mysqlAdapter } from '../orders/support/mysql.js';
import { DATABASE_URL, postgresUnavailable } from '../orders/support/postgres.js';
import { settled } from '../orders/support/settled.js';
import { startStallProxy, type StallProxy } from '../orders/support/stall-proxy.js';
import { copiedTemplate, type CopiedTemplate } from './support/copied.js';

interface StoreModule {
  createOrderStore(): OrderStore;
  closeOrderStore(): Promise<void>;
}

const unavailable = { postgres: await postgresUnavailable(), mysql: await mysqlAdapter.unavailable() };
for (const [name, reason] of Object.entries(unavailable)) {
  if (reason && process.env.CI === 'true') throw new Error(`the store timeout tests need ${name} in CI: ${reason}`);
}
const LOCK_TIMEOUT_MS = 10_000;
/** Far above the templates' timeouts: a call still waiting then waits for the stall. */
const HUNG_AFTER_MS = 25_000;

/** `url` pointing at the proxy instead of the database. */
function through(url: string, proxy: StallProxy): string {
  const u = new URL(url);
  u.hostname = '127.0.0.1';
  u.port = String(proxy.port);
  return u.href;
}

describe.skipIf(unavailable.postgres !== null || unavailable.mysql !== null)('createOrderStore of the copied siglume-store.ts on a database that stalls', () => {
  const opened: Array<{ copy: CopiedTemplate; store: StoreModule; proxy: StallProxy }> = [];
  afterAll(async () => {
    for (const { copy, store, proxy } of opened) {
      proxy.resume();
      await store.closeOrderStore().catch(() => undefined);
      await proxy.close();
      copy.remove();
    }
    vi.unstubAllEnvs();
  });

  it('fails a statement left unanswered, and a connection that never opens, after its timeouts (above the lock timeout) instead of waiting out the stall', async () => {
    const databases = [['postgres', DATABASE_URL, 5432], ['mysql', MYSQL_URL, 3306]] as const;
    const runs = [];
    for (const [database, url, port] of databases) {
      const copy = await copiedTemplate('express', database);
      const u = new URL(url);
      const proxy = await startStallProxy({ host: u.hostname, port: Number(u.port || port) });
      const store = await copy.load<StoreModule>('siglume-store.ts');
      opened.push({ copy, store, proxy });
      vi.stubEnv('DATABASE_URL', through(url, proxy));
      runs.push({ database, proxy, orders: store.createOrderStore() });
    }
    const outcomes = await Promise.all(runs.map(async ({ database, proxy, orders }) => {
      // The first connection opens; its first statement reaches the database and is never answered.
      proxy.stallOn(/orders/);
      const statement = settled(orders.findOrder('ord_stalled'), HUNG_AFTER_MS);
      await waitFor(async () => proxy.triggered === 1, `${database}: the statement to reach the database`);
      // The next call needs a second connection: the database accepts it and never answers.
      proxy.stall();
      const connection = settled(orders.findOrder('ord_unconnected'), HUNG_AFTER_MS);
      return { database, statement: await statement, connection: await connection };
    }));
    for (const { database, statement, connection } of outcomes) {
      for (const [what, outcome] of [['statement', statement], ['connection', connection]] as const) {
        expect(outcome.kind, `${database} ${what}`).toBe('rejected');
        const { ms } = outcome as { ms: number };
        expect(ms, `${database} ${what}`).toBeGreaterThan(LOCK_TIMEOUT_MS);
        expect(ms, `${database} ${what}`).toBeLessThan(20_000);
      }
    }
  }, 60_000);
});
