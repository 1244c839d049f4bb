/**
 * Every adapter the conformance suite runs against, on its real database.
 * One line per adapter.
 */
import type { ConformanceAdapter } from './adapter.js';
import { drizzleAdapter } from './drizzle.js';
import { kyselyAdapter } from './kysely.js';
import { mysqlAdapter } from './mysql.js';
import { postgresAdapter } from './postgres.js';
import { sqliteAdapter } from './sqlite.js';

export const ADAPTERS: readonly ConformanceAdapter[] = [postgresAdapter, mysqlAdapter, sqliteAdapter, drizzleAdapter, kyselyAdapter];

/** The adapter named `name` (for child processes). */
export function adapterNamed(name: string | undefined): ConformanceAdapter {
  const adapter = ADAPTERS.find((a) => a.name === name);
  if (!adapter) throw new Error(`unknown adapter ${name}`);
  return adapter;
}
