/**
 * `npm run demo`: runs ./demo.ts against an in-process sandbox and the
 * PostgreSQL in DATABASE_URL. Exit code 0 when every step passed.
 */
import { startSandbox } from '@siglume/direct-request-payment/sandbox';
import { loadDotEnv } from './config.js';
import { DEFAULT_SCHEMA } from './database.js';
import { runCheckoutDemo } from './demo.js';

loadDotEnv();
const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.error('DATABASE_URL is not set: copy .env.example to .env or export it.');
  process.exit(2);
}
const steps = await runCheckoutDemo({
  database_url: databaseUrl,
  schema: process.env.SHOP_DB_SCHEMA ?? DEFAULT_SCHEMA,
  startSandbox,
  log: (line) => console.log(line),
});
const failed = steps.filter((s) => !s.ok);
console.log(failed.length === 0 ? `All ${steps.length} steps passed.` : `${failed.length} of ${steps.length} steps failed.`);
process.exitCode = failed.length === 0 ? 0 : 1;
