/**
 * `npm run db:setup` (add `-- --reset` to start over): creates the shop's
 * schema and the tables of ./siglume/schema.sql in DATABASE_URL.
 */
import { loadDotEnv } from './config.js';
import { DEFAULT_SCHEMA, setupDatabase } from './database.js';

loadDotEnv();
const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) {
  console.error('DATABASE_URL is not set: copy .env.example to .env or export it.');
  process.exit(2);
}
const schema = process.env.SHOP_DB_SCHEMA ?? DEFAULT_SCHEMA;
const result = await setupDatabase(databaseUrl, schema, { reset: process.argv.includes('--reset') });
console.log(result === 'created' ? `Created the shop tables in schema ${schema}.` : `Schema ${schema} already has the shop tables (pass --reset to recreate them).`);
