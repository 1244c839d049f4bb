/**
 * The PostgreSQL schema files that `siglume-sdrp init` writes, run through
 * the real `psql` binary as the docs say: all or nothing. A fresh schema gets
 * every table and exit 0; a schema that already has one of the tables gets a
 * non-zero exit and no new table (never a partial schema, never a silent 0).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DATABASE_URL, postgresAdapter } from '../support/postgres.js';

const run = promisify(execFile);
const PSQL = process.env.PSQL_PATH ?? '/usr/bin/psql';
const PAYMENTS = fileURLToPath(new URL('../../../templates/schema/postgres/siglume-payments.sql', import.meta.url));
const ORDERS = fileURLToPath(new URL('../../../templates/schema/postgres/orders.sql', import.meta.url));
const PAYMENT_TABLES = ['siglume_checkout_attempts', 'siglume_payment_reviews', 'siglume_settlement_batches', 'siglume_webhook_events'];

const unavailable = (await postgresAdapter.unavailable()) ?? (existsSync(PSQL) ? null : `no psql at ${PSQL}`);
if (unavailable && process.env.CI === 'true') throw new Error(`schema test needs PostgreSQL and psql in CI: ${unavailable}`);

describe.skipIf(unavailable !== null)('the PostgreSQL schema files through psql', () => {
  const schema = `sdrp_schema_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: DATABASE_URL });

  /** Runs `psql -f file` with the schema first on the search path; returns the exit code (0 on success). */
  async function psql(file: string): Promise<{ code: number; stderr: string }> {
    try {
      const r = await run(PSQL, [DATABASE_URL, '-q', '-f', file], { env: { ...process.env, PGOPTIONS: `-c search_path=${schema}` } });
      return { code: 0, stderr: r.stderr };
    } catch (error) {
      const e = error as { code: number; stderr: string };
      return { code: e.code, stderr: e.stderr };
    }
  }
  const tables = async () =>
    (await admin.query('SELECT table_name FROM information_schema.tables WHERE table_schema = $1 ORDER BY 1', [schema])).rows.map((r) => r.table_name as string);

  beforeAll(async () => {
    await admin.connect();
  });
  afterAll(async () => {
    await admin.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await admin.end();
  });

  it('creates every payment table on a fresh database and exits 0; the sample orders table likewise', async () => {
    await admin.query(`CREATE SCHEMA ${schema}`);
    expect(await psql(PAYMENTS)).toMatchObject({ code: 0 });
    expect(await tables()).toEqual(PAYMENT_TABLES);
    expect(await psql(ORDERS)).toMatchObject({ code: 0 });
    expect(await tables()).toEqual(['orders', ...PAYMENT_TABLES]);
  });

  it('exits non-zero and creates nothing when run a second time', async () => {
    const second = await psql(PAYMENTS);
    expect(second.code).not.toBe(0);
    expect(second.stderr).toContain('already exists');
    expect(await tables()).toEqual(['orders', ...PAYMENT_TABLES]);
    const orders = await psql(ORDERS);
    expect(orders.code).not.toBe(0);
    expect(orders.stderr).toContain('relation "orders" already exists');
  });

  it('exits non-zero and leaves no partial schema when one table already exists', async () => {
    await admin.query(`DROP SCHEMA ${schema} CASCADE`);
    await admin.query(`CREATE SCHEMA ${schema}`);
    // The last table of the file: without one transaction, the first three would be left behind.
    await admin.query(`CREATE TABLE ${schema}.siglume_settlement_batches (x int)`);
    const r = await psql(PAYMENTS);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('siglume_settlement_batches');
    expect(await tables()).toEqual(['siglume_settlement_batches']);
  });
});
