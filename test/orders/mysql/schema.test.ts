/**
 * The MySQL / MariaDB schema files that `siglume-sdrp init --database mysql`
 * writes, run through the real `mariadb` (or `mysql`) client as the docs say.
 * MySQL commits each CREATE TABLE on its own, so the file guards instead of
 * wrapping a transaction: it refuses to start when a table exists, builds the
 * tables under work names, and renames all four in one atomic statement.
 * A fresh database gets every table and exit 0; one that already has any of
 * them gets a non-zero exit and nothing new, never a partial schema.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import mysql from 'mysql2/promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MYSQL_URL, mysqlAdapter, mysqlAdmin, mysqlPoolOptions } from '../support/mysql.js';

const CLIENT = process.env.MYSQL_CLIENT_PATH ?? ['/usr/bin/mariadb', '/usr/bin/mysql'].find((p) => existsSync(p)) ?? '/usr/bin/mysql';
const PAYMENTS = fileURLToPath(new URL('../../../templates/schema/mysql/siglume-payments.sql', import.meta.url));
const ORDERS = fileURLToPath(new URL('../../../templates/schema/mysql/orders.sql', import.meta.url));
const PAYMENT_TABLES = ['siglume_checkout_attempts', 'siglume_payment_reviews', 'siglume_settlement_batches', 'siglume_webhook_events'];

const unavailable = (await mysqlAdapter.unavailable()) ?? (existsSync(CLIENT) ? null : `no mysql / mariadb client at ${CLIENT}`);
if (unavailable && process.env.CI === 'true') throw new Error(`schema test needs MariaDB and its client in CI: ${unavailable}`);

describe.skipIf(unavailable !== null)('the MySQL / MariaDB schema files through the mysql client', () => {
  const base = decodeURIComponent(new URL(MYSQL_URL).pathname.slice(1)) || 'test';
  const database = `${base}_sdrp_schema_${randomBytes(4).toString('hex')}`;
  let admin: mysql.Connection;

  /** `mysql DATABASE < file`, as the file's header says; returns the exit code (0 on success) and stderr. */
  async function client(file: string): Promise<{ code: number; stderr: string }> {
    const o = mysqlPoolOptions(database);
    const args = ['-h', String(o.host), '-P', String(o.port), '-u', String(o.user), ...(o.password ? [`-p${o.password}`] : []), database];
    return new Promise((resolve) => {
      const child = execFile(CLIENT, args, (error, _stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stderr }));
      child.stdin!.end(readFileSync(file));
    });
  }
  const tables = async () =>
    ((await admin.query('SELECT table_name AS t FROM information_schema.tables WHERE table_schema = ? ORDER BY 1', [database]))[0] as Array<{ t: string }>).map((r) => r.t);
  const fresh = async () => {
    await mysqlAdmin(`DROP DATABASE IF EXISTS ${database}; CREATE DATABASE ${database}`);
  };

  beforeAll(async () => {
    admin = await mysql.createConnection(mysqlPoolOptions(null));
  });
  afterAll(async () => {
    await mysqlAdmin(`DROP DATABASE IF EXISTS ${database}`).catch(() => undefined);
    await admin?.end();
  });

  it('creates every payment table on a fresh database and exits 0; the sample orders table likewise', async () => {
    await fresh();
    expect(await client(PAYMENTS)).toMatchObject({ code: 0 });
    expect(await tables()).toEqual(PAYMENT_TABLES);
    expect(await client(ORDERS)).toMatchObject({ code: 0 });
    expect(await tables()).toEqual(['orders', ...PAYMENT_TABLES]);
  });

  it('exits non-zero and creates nothing when run a second time', async () => {
    const second = await client(PAYMENTS);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain('Subquery returns more than 1 row');
    expect(await tables()).toEqual(['orders', ...PAYMENT_TABLES]);
    expect((await client(ORDERS)).code).not.toBe(0);
  });

  it('exits non-zero and leaves no partial schema when one table already exists', async () => {
    await fresh();
    // The last table of the file: without the guard the first three would be left behind.
    await mysqlAdmin('CREATE TABLE siglume_settlement_batches (x int)', database);
    const r = await client(PAYMENTS);
    expect(r.code).not.toBe(0);
    expect(await tables()).toEqual(['siglume_settlement_batches']);
  });

  it('cleans up the work tables of an earlier run that failed half-way, and renames all four at once', async () => {
    await fresh();
    await mysqlAdmin('CREATE TABLE siglume_webhook_events__sdrp_new (x int)', database);
    expect(await client(PAYMENTS)).toMatchObject({ code: 0 });
    expect(await tables()).toEqual(PAYMENT_TABLES);
  });

  it('enforces one active attempt and one payment per order, and compares ids byte for byte', async () => {
    const insert = (id: string, order: string, extra: string) =>
      admin.query(
        `INSERT INTO ${database}.siglume_checkout_attempts (attempt_id, order_id, nonce, amount_minor, currency, status, created_at, updated_at${extra ? ', requirement_id' : ''})
         VALUES (?, ?, ?, 100, 'JPY', ?, NOW(3), NOW(3)${extra ? ', ?' : ''})`,
        [id, order, `n-${id}`, extra ? 'expired' : 'active', ...(extra ? [extra] : [])],
      );
    await insert('a1', 'o1', '');
    await expect(insert('a2', 'o1', '')).rejects.toMatchObject({ code: 'ER_DUP_ENTRY' });
    await insert('a3', 'o1', 'req_1');
    await expect(insert('a4', 'o1', 'req_2')).rejects.toMatchObject({ code: 'ER_DUP_ENTRY' });
    // Case matters: 'O1' is another order.
    await insert('a5', 'O1', '');
  });
});
