/**
 * One app instance as a separate process (spawned by concurrency.test.ts via
 * tsx). Prints `{"url": ...}` once listening; SIGKILL is the "crash" the
 * tests use, SIGTERM a clean stop.
 */
import { startTestApp } from './app.js';

const app = await startTestApp({
  database_url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test',
  schema: process.env.SDRP_TEST_SCHEMA ?? '',
  pool_max: 10,
  print_errors: true,
});
process.stdout.write(`${JSON.stringify({ url: app.url, pid: process.pid })}\n`);
process.on('SIGTERM', () => {
  void app.close().finally(() => process.exit(0));
});
