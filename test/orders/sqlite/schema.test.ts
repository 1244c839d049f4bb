/**
 * The SQLite schema files that `siglume-sdrp init --database sqlite` writes,
 * run through the real `sqlite3` shell as the docs say: all or nothing
 * (`.bail on` stops at the first error, the open transaction rolls back).
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { applySqliteSchema, sqliteSchemaSql } from '../support/sqlite.js';

const SQLITE3 = process.env.SQLITE3_PATH ?? '/usr/bin/sqlite3';
const PAYMENTS = fileURLToPath(new URL('../../../templates/schema/sqlite/siglume-payments.sql', import.meta.url));
const ORDERS = fileURLToPath(new URL('../../../templates/schema/sqlite/orders.sql', import.meta.url));
const PAYMENT_TABLES = ['siglume_checkout_attempts', 'siglume_payment_reviews', 'siglume_settlement_batches', 'siglume_webhook_events'];

const unavailable = existsSync(SQLITE3) ? null : `no sqlite3 shell at ${SQLITE3}`;
if (unavailable && process.env.CI === 'true') throw new Error(`schema test needs the sqlite3 shell in CI: ${unavailable}`);

const files: string[] = [];
function newDatabase(): string {
  const file = join(tmpdir(), `sdrp-schema-${process.pid}-${randomBytes(4).toString('hex')}.db`);
  files.push(file);
  return file;
}
function tables(file: string): string[] {
  const db = new Database(file, { readonly: true });
  try {
    return (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY 1").all() as Array<{ name: string }>).map((r) => r.name);
  } finally {
    db.close();
  }
}

afterAll(() => {
  for (const f of files) rmSync(f, { force: true });
});

describe.skipIf(unavailable !== null)('the SQLite schema files through the sqlite3 shell', () => {
  async function shell(file: string, sqlFile: string): Promise<{ code: number; stderr: string }> {
    return new Promise((resolve) => {
      const child = execFile(SQLITE3, [file], (error, _stdout, stderr) => resolve({ code: error ? Number((error as { code?: number }).code ?? 1) : 0, stderr }));
      child.stdin!.end(readFileSync(sqlFile));
    });
  }

  it('creates every payment table and exits 0, then refuses a second run with a non-zero exit', async () => {
    const file = newDatabase();
    expect(await shell(file, PAYMENTS)).toMatchObject({ code: 0 });
    expect(await shell(file, ORDERS)).toMatchObject({ code: 0 });
    expect(tables(file)).toEqual(['orders', ...PAYMENT_TABLES]);
    const again = await shell(file, PAYMENTS);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('already exists');
  });

  it('exits non-zero and leaves no partial schema when the last table already exists', async () => {
    const file = newDatabase();
    new Database(file).exec('CREATE TABLE siglume_settlement_batches (x)');
    const r = await shell(file, PAYMENTS);
    expect(r.code).not.toBe(0);
    expect(tables(file)).toEqual(['siglume_settlement_batches']);
  });
});

describe('the SQLite schema run from Node (better-sqlite3), as docs/orders.md shows', () => {
  it('applies all of it, or rolls back and throws', () => {
    const file = newDatabase();
    const db = new Database(file);
    try {
      db.exec('CREATE TABLE siglume_settlement_batches (x)');
      expect(() => applySqliteSchema(db, sqliteSchemaSql('siglume-payments'))).toThrow(/already exists/);
      expect(db.inTransaction).toBe(false);
      expect(tables(file)).toEqual(['siglume_settlement_batches']);
      db.exec('DROP TABLE siglume_settlement_batches');
      applySqliteSchema(db, sqliteSchemaSql('siglume-payments'));
      expect(tables(file)).toEqual(PAYMENT_TABLES);
    } finally {
      db.close();
    }
  });
});
