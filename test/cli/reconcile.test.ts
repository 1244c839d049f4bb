/**
 * `siglume-sdrp reconcile`: the real binary with the PostgreSQL store module
 * that `init` copies (TypeScript, loaded through tsx as the help says) against
 * the sandbox, with webhooks lost; in-process for progress, exit codes and
 * usage errors.
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { orderReconcileEventId, type OrderStore } from '../../src/orders/index.js';
import type { ConformanceDatabase } from '../orders/support/adapter.js';
import { insertOrder, orderStatus, payment, uid } from '../orders/support/conformance.js';
import { DATABASE_URL, postgresAdapter } from '../orders/support/postgres.js';
import { MERCHANT, TOKEN, startCheckout, startShopFixture, type ShopFixture } from '../orders/support/shop.js';
import { emptyDir, REPO_ROOT, requireBuild, runBin, runCli } from './support.js';

const STORE_TS = join(REPO_ROOT, 'templates/store/postgres/siglume-store.ts');
const unavailable = await postgresAdapter.unavailable();

describe('reconcile usage errors (exit 2)', () => {
  const env = { SIGLUME_DIRECT_PAYMENT_MERCHANT: 'shop_test', SIGLUME_MERCHANT_AUTH_TOKEN: 'sdrp_token' };
  it.each([
    [['reconcile'], /--store <module> is required/],
    [['reconcile', '--store', 'nope.mjs'], /--store: no file nope\.mjs/],
    [['reconcile', '--store', 'x.mjs', '--since', 'yesterday'], /--since.*duration/],
    [['reconcile', '--store', 'x.mjs', '--since', '2999-01-01'], /--since.*future/],
    [['reconcile', '--store', 'x.mjs', '--limit', '0'], /--limit.*1 to 10000/],
    [['reconcile', '--store', 'x.mjs', '--min-age', '-5'], /--min-age/],
    [['reconcile', '--store', 'x.mjs', '--base-url', 'ftp://127.0.0.1/v1'], /^error: Invalid --base-url: must use https/],
    // The port is what is wrong; the password in front of it is neither read as one nor shown.
    [['reconcile', '--store', 'x.mjs', '--base-url', 'https://u:pw-7c1d@127.0.0.1:99999/v1'], /^error: Invalid --base-url: port 99999 is out of range \(1-65535\)\n(?!.*pw-7c1d)/s],
  ])('%j', async (argv, message) => {
    const r = await runCli(argv, { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(message);
    expect(r.stdout).toBe('');
  });

  it('names SIGLUME_API_BASE when the bad base URL came from there', async () => {
    const r = await runCli(['reconcile', '--store', 'x.mjs'], { env: { ...env, SIGLUME_API_BASE: 'http://api.example/v1' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: Invalid SIGLUME_API_BASE: must use https/);
  });

  it('names SIGLUME_SANDBOX_API_BASE when SIGLUME_ENV=sandbox took the bad base URL from there', async () => {
    const r = await runCli(['reconcile', '--store', 'x.mjs'], { env: { ...env, SIGLUME_ENV: 'sandbox', SIGLUME_SANDBOX_API_BASE: 'http://api.example/v1' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^error: Invalid SIGLUME_SANDBOX_API_BASE: must use https/);
  });

  it('refuses a SHOP_ALLOW_METERED_PAYMENTS that is not true or false, as the templates do', async () => {
    const r = await runCli(['reconcile', '--store', 'x.mjs'], { env: { ...env, SHOP_ALLOW_METERED_PAYMENTS: 'TRUE' } });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('SHOP_ALLOW_METERED_PAYMENTS must be true or false');
  });

  it('names the environment variable of a missing token, and a module without createOrderStore', async () => {
    const dir = emptyDir();
    writeFileSync(join(dir, 'store.mjs'), 'export const nothing = 1;\n');
    const noToken = await runCli(['reconcile', '--store', 'store.mjs'], { env: { SIGLUME_DIRECT_PAYMENT_MERCHANT: 'shop_test' }, cwd: dir });
    expect(noToken.code).toBe(2);
    expect(noToken.stderr).toContain('SIGLUME_MERCHANT_AUTH_TOKEN');
    const noFactory = await runCli(['reconcile', '--store', 'store.mjs'], { env, cwd: dir });
    expect(noFactory.code).toBe(2);
    expect(noFactory.stderr).toContain('must export a function createOrderStore()');
    // A setting the store module reads is missing: a usage error too, as the help and the guide say.
    writeFileSync(join(dir, 'unset.mjs'), "export const createOrderStore = () => { throw new Error('SQLITE_PATH is not set'); };\n");
    const unset = await runCli(['reconcile', '--store', 'unset.mjs'], { env, cwd: dir });
    expect(unset.code).toBe(2);
    expect(unset.stderr).toContain('createOrderStore() of unset.mjs failed: SQLITE_PATH is not set');
  });

  it('reads the settings from .env.local when there is no .env (a Next.js project), and says so', async () => {
    const dir = emptyDir();
    writeFileSync(join(dir, '.env.local'), 'SIGLUME_DIRECT_PAYMENT_MERCHANT=shop_test\nSIGLUME_MERCHANT_AUTH_TOKEN=sdrp_token_local\n');
    writeFileSync(join(dir, 'store.mjs'), 'export const nothing = 1;\n');
    const r = await runCli(['reconcile', '--store', 'store.mjs'], { env: {}, cwd: dir });
    // Past the merchant and token checks: both came from .env.local.
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('note: Read .env.local: there is no .env here');
    expect(r.stderr).toContain('must export a function createOrderStore()');
    expect(r.stderr).not.toContain('sdrp_token_local');
  });

  it('masks a connection URL\'s password and secret-shaped values when createOrderStore() fails (exit 2, as documented)', async () => {
    const dir = emptyDir();
    writeFileSync(join(dir, 'down.mjs'), "export const createOrderStore = () => { throw new Error('db down: postgres://admin:sdrp_pw@db/x (key sdrp_live_k3y, hook whsec_h00k, password=hunter2)'); };\n");
    const r = await runCli(['reconcile', '--store', 'down.mjs'], { env, cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('createOrderStore() of down.mjs failed: db down: postgres://admin:***@db/x');
    for (const secret of ['sdrp_pw', 'sdrp_live_k3y', 'whsec_h00k', 'hunter2']) expect(`${r.stdout}${r.stderr}`).not.toContain(secret);
  });

  it('refuses a directory as --store, naming the flag (the binary, exit 2), without Node\'s internal paths', async () => {
    requireBuild();
    const dir = emptyDir();
    const r = await runBin(['reconcile', '--store', '.'], { env: { ...env, PATH: process.env.PATH ?? '' }, cwd: dir, timeoutMs: 30_000 });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--store: . is a directory; pass the module file');
    expect(r.stderr).not.toMatch(/Directory import|imported from/);
  });

  it('says where a store module that cannot be loaded fails (file and line), without a stack trace (the binary, exit 2)', async () => {
    requireBuild();
    const dir = emptyDir();
    const binEnv = { ...env, PATH: process.env.PATH ?? '' };
    writeFileSync(join(dir, 'typo.mjs'), 'export const ok = 1;\nexport const createOrderStore = () => error error;\n');
    const typo = await runBin(['reconcile', '--store', 'typo.mjs'], { env: binEnv, cwd: dir, timeoutMs: 30_000 });
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("could not load the store module typo.mjs: SyntaxError: Unexpected identifier 'error'");
    expect(typo.stderr).toContain(`(at ${join(dir, 'typo.mjs')}:2)`);
    expect(typo.stderr).not.toMatch(/^\s+at /m);
    writeFileSync(join(dir, 'throws.mjs'), "const url = 'mysql://root:sdrp_pw@db/x';\nexport const createOrderStore = () => null;\nthrow new Error(`cannot reach ${url}`);\n");
    const throws = await runBin(['reconcile', '--store', 'throws.mjs'], { env: binEnv, cwd: dir, timeoutMs: 30_000 });
    expect(throws.code).toBe(2);
    expect(throws.stderr).toContain('could not load the store module throws.mjs: cannot reach mysql://root:***@db/x');
    expect(throws.stderr).toContain(`(at ${join(dir, 'throws.mjs')}:3:7)`);
    expect(throws.stderr).not.toContain('sdrp_pw');
    expect(throws.stderr).not.toMatch(/^\s+at /m);
  });

  it('masks the token and the webhook secret in error texts from the store module', async () => {
    const dir = emptyDir();
    const token = 'sdrp_cli_reconcile_token_value_1';
    const secret = 'whsec_cli_reconcile_secret_value';
    writeFileSync(
      join(dir, 'store.mjs'),
      [
        `const fail = async () => { throw new Error('the database said: ${token}'); };`,
        "export const createOrderStore = () => new Proxy({}, { get: (_t, key) => (key === 'then' ? undefined : fail) });",
        `export const closeOrderStore = async () => { throw new Error('close failed near ${secret}'); };`,
        '',
      ].join('\n'),
    );
    const env = { SIGLUME_DIRECT_PAYMENT_MERCHANT: 'shop_test', SIGLUME_MERCHANT_AUTH_TOKEN: token, SIGLUME_WEBHOOK_SECRET: secret };
    const r = await runCli(['reconcile', '--store', 'store.mjs'], { env, cwd: dir });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Reconciliation failed');
    expect(r.stderr).toContain('closeOrderStore() failed');
    expect(`${r.stdout}${r.stderr}`).not.toContain(token);
    expect(`${r.stdout}${r.stderr}`).not.toContain(secret);
    // With --json the failed run still answers on stdout, for a cron line that reads it (`| jq .ok`).
    const json = await runCli(['reconcile', '--store', 'store.mjs', '--json'], { env, cwd: dir });
    expect(json.code).toBe(1);
    const answer = JSON.parse(json.stdout) as { ok: boolean; error: string };
    expect(answer).toEqual({ ok: false, error: expect.stringContaining('Reconciliation failed before examining any attempt (nothing was written): ') });
    // The store's failure, not Siglume's: "connect ECONNREFUSED" alone does not say which.
    expect(answer.error).toContain('the order store (--store store.mjs) could not list the attempts: the database said: ');
    expect(`${json.stdout}${json.stderr}`).not.toContain(token);
  });

  it('does not mask a token too short to be one: a test token "t" left every "t" of the message as [redacted]', async () => {
    const dir = emptyDir();
    writeFileSync(join(dir, 'store.mjs'), "export const createOrderStore = () => { throw new Error('createOrderStore(): the settings are not set'); };\n");
    const r = await runCli(['reconcile', '--store', 'store.mjs'], { env: { ...env, SIGLUME_MERCHANT_AUTH_TOKEN: 't' }, cwd: dir });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('createOrderStore(): the settings are not set');
    expect(r.stderr).not.toContain('[redacted]');
  });

  it('says why it stopped when the API cannot be reached, in the text and in --json', async () => {
    const dir = emptyDir();
    const attempt = {
      attempt_id: 'att_1', order_id: 'ord_1', status: 'active', amount_minor: 3000, currency: 'JPY',
      checkout_session_id: 'cs_1', challenge_hash: null, created_at: new Date(Date.now() - 3_600_000).toISOString(),
    };
    writeFileSync(
      join(dir, 'store.mjs'),
      [
        'const unused = async () => { throw new Error("not called when the API is unreachable"); };',
        `export const createOrderStore = () => ({ listUnpaidCheckoutAttempts: async ({ after }) => (after ? [] : [${JSON.stringify(attempt)}]),`,
        '  retireCheckoutAttempt: unused, processWebhookEvent: unused, findOrder: unused });',
        '',
      ].join('\n'),
    );
    const server = createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const closed = { ...env, SIGLUME_API_BASE: `http://127.0.0.1:${port}/v1` };
    const text = await runCli(['reconcile', '--store', 'store.mjs'], { env: closed, cwd: dir });
    expect(text.stderr).toBe('');
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`Stopped early: Siglume's API refused the merchant token or could not be reached: Could not reach the Siglume API at http://127.0.0.1:${port}`);
    expect(text.stdout).toContain('\nCheck SIGLUME_MERCHANT_AUTH_TOKEN and SIGLUME_API_BASE.\n');
    // The address given with --base-url is named as given.
    const { SIGLUME_API_BASE, ...noBase } = closed;
    const flagged = await runCli(['reconcile', '--store', 'store.mjs', '--base-url', SIGLUME_API_BASE], { env: noBase, cwd: dir });
    expect(flagged.code).toBe(1);
    expect(flagged.stdout).toContain('\nCheck SIGLUME_MERCHANT_AUTH_TOKEN and --base-url.\n');
    const json = await runCli(['reconcile', '--store', 'store.mjs', '--json'], { env: closed, cwd: dir });
    expect(JSON.parse(json.stdout)).toMatchObject({ stopped: 'api_unavailable', stopped_detail: expect.stringContaining('ECONNREFUSED') });
  });

  it('prints what it did and why it stopped when the store fails while listing the next attempts (credentials masked), in the text and in --json', async () => {
    const dir = emptyDir();
    const attempt = {
      attempt_id: 'att_1', order_id: 'ord_1', status: 'active', amount_minor: 3000, currency: 'JPY',
      checkout_session_id: 'cs_1', challenge_hash: null, created_at: new Date(Date.now() - 3_600_000).toISOString(),
    };
    writeFileSync(
      join(dir, 'store.mjs'),
      [
        'const unused = async () => { throw new Error("not called for an open session"); };',
        'export const createOrderStore = (lists = 0) => ({',
        '  listUnpaidCheckoutAttempts: async () => {',
        `    if (++lists === 1) return [${JSON.stringify(attempt)}];`,
        "    throw new Error('connection lost (postgres://shop:s3cret-pw@db.internal/shop)');",
        '  },',
        '  retireCheckoutAttempt: unused, processWebhookEvent: unused, findOrder: unused });',
        '',
      ].join('\n'),
    );
    // Siglume's side: the session is still open, so the attempt is consistent.
    const api = createServer((_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ data: { session_id: 'cs_1', status: 'open' } }));
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    try {
      const apiEnv = { ...env, SIGLUME_API_BASE: `http://127.0.0.1:${(api.address() as AddressInfo).port}/v1` };
      const text = await runCli(['reconcile', '--store', 'store.mjs'], { env: apiEnv, cwd: dir });
      expect(text.code).toBe(1);
      expect(text.stdout).toContain('examined 1, repaired 0, consistent 1');
      expect(text.stdout).toContain('Stopped early: the order store (--store store.mjs) failed while listing the next attempts: connection lost (postgres://shop:***@db.internal/shop)');
      expect(text.stdout).toContain('What is listed above was done');
      expect(`${text.stdout}${text.stderr}`).not.toContain('s3cret-pw');
      const json = await runCli(['reconcile', '--store', 'store.mjs', '--json'], { env: apiEnv, cwd: dir });
      expect(json.code).toBe(1);
      expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, stopped: 'store_failed', examined: 1, consistent: [{ order_id: 'ord_1' }] });
    } finally {
      await new Promise<void>((resolve) => api.close(() => resolve()));
    }
  });

  it('names the session it waits on Siglume for from the start of the read (terminal), and says it still waits after 2 s elsewhere', async () => {
    const dir = emptyDir();
    const attempt = {
      attempt_id: 'att_1', order_id: 'ord_1', status: 'active', amount_minor: 3000, currency: 'JPY',
      checkout_session_id: 'cs_slow_1', challenge_hash: null, created_at: new Date(Date.now() - 3_600_000).toISOString(),
    };
    writeFileSync(
      join(dir, 'store.mjs'),
      [
        'const unused = async () => { throw new Error("not called for an open session"); };',
        `export const createOrderStore = () => ({ listUnpaidCheckoutAttempts: async ({ after }) => (after ? [] : [${JSON.stringify(attempt)}]),`,
        '  retireCheckoutAttempt: unused, processWebhookEvent: unused, findOrder: unused });',
        '',
      ].join('\n'),
    );
    // Siglume's side takes 2.5 s to say the session is still open.
    const api = createServer((_req, res) => {
      setTimeout(() => {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ data: { session_id: 'cs_slow_1', status: 'open' } }));
      }, 2500);
    });
    await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve));
    try {
      const apiEnv = { ...env, SIGLUME_API_BASE: `http://127.0.0.1:${(api.address() as AddressInfo).port}/v1` };
      const [piped, terminal] = await Promise.all([
        runCli(['reconcile', '--store', 'store.mjs'], { env: apiEnv, cwd: dir }),
        runCli(['reconcile', '--store', 'store.mjs'], { env: apiEnv, cwd: dir, tty: true }),
      ]);
      expect(piped.code).toBe(0);
      expect(piped.stderr).toBe('… still waiting: reading cs_slow_1 (order ord_1) from Siglume (2 s so far)\n');
      expect(terminal.code).toBe(0);
      expect(terminal.stderr).toContain('\r\x1b[2KReconciling: 0 examined; reading cs_slow_1 from Siglume\r\x1b[2KReconciling: 1 examined (at most 500)');
      expect(terminal.stderr).not.toContain('still waiting');
      expect(terminal.stderr.endsWith('\r\x1b[2K')).toBe(true);
    } finally {
      await new Promise<void>((resolve) => api.close(() => resolve()));
    }
  });

  it('says how to load a TypeScript store module when Node cannot (the binary, no loader)', async () => {
    requireBuild();
    const r = await runBin(['reconcile', '--store', STORE_TS], { env: { ...env, PATH: process.env.PATH ?? '' }, cwd: REPO_ROOT, timeoutMs: 30_000 });
    if (r.code === 0 || /stripping|strip-types/.test(r.stderr)) return; // a Node that loads .ts natively (22.6+ with type stripping)
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('NODE_OPTIONS="--import tsx"');
  });
});

describe.skipIf(unavailable !== null)('reconcile against the sandbox with lost webhooks [postgres]', () => {
  let db: ConformanceDatabase;
  let f: ShopFixture;
  let env: Record<string, string>;

  beforeAll(async () => {
    requireBuild();
    db = await postgresAdapter.createDatabase();
    f = await startShopFixture(db, {}, { delivery_retries: 1, delivery_backoff_ms: 5 });
    const url = new URL(DATABASE_URL);
    url.searchParams.set('options', `-c search_path=${db.env.SDRP_PG_SCHEMA}`);
    env = {
      PATH: process.env.PATH ?? '',
      NODE_OPTIONS: '--import tsx',
      DATABASE_URL: url.toString(),
      SIGLUME_DIRECT_PAYMENT_MERCHANT: MERCHANT,
      SIGLUME_MERCHANT_AUTH_TOKEN: TOKEN,
      SIGLUME_API_BASE: f.sandbox.api_base,
    };
  });
  afterAll(async () => {
    await f?.close();
    await db?.drop();
  });

  async function lostPayments(n: number): Promise<Array<{ order_id: string; session_id: string }>> {
    const out: Array<{ order_id: string; session_id: string }> = [];
    for (let i = 0; i < n; i++) {
      const order_id = uid('ord');
      await insertOrder(db, { order_id, amount_minor: 3000 });
      const start = await startCheckout(f.shop.url, { order_id });
      out.push({ order_id, session_id: start.body.session_id as string });
    }
    f.sandbox.setFaults({ drop_webhook_deliveries: true });
    try {
      for (const o of out) await f.sandbox.pay(o.session_id);
    } finally {
      f.sandbox.resetFaults();
    }
    return out;
  }

  it('repairs through the copied siglume-store.ts (tsx): --dry-run changes nothing, the real run pays, the next is consistent; exit 0 and ends on its own', async () => {
    const lost = await lostPayments(3);
    const rows = () => db.sql('SELECT * FROM siglume_checkout_attempts ORDER BY attempt_id');
    const before = await rows();

    const dry = await runBin(['reconcile', '--store', STORE_TS, '--min-age', '0', '--dry-run', '--json'], { env, cwd: REPO_ROOT, timeoutMs: 60_000 });
    expect(dry.stderr).toBe('');
    expect(dry.code).toBe(0);
    const dryReport = JSON.parse(dry.stdout) as { dry_run: boolean; repaired: Array<{ order_id: string }> };
    expect(dryReport.dry_run).toBe(true);
    expect(dryReport.repaired.map((e) => e.order_id).sort()).toEqual(lost.map((o) => o.order_id).sort());
    expect(await rows()).toEqual(before);
    for (const o of lost) expect(await orderStatus(db, o.order_id)).toBe('pending');

    const real = await runBin(['reconcile', '--store', STORE_TS, '--min-age', '0'], { env, cwd: REPO_ROOT, timeoutMs: 60_000 });
    expect(real.code).toBe(0);
    expect(real.stdout).toContain('examined 3, repaired 3, consistent 0, retired 0, review 0, errors 0');
    expect(real.stdout).toContain('Consistent.');
    for (const o of lost) {
      expect(await orderStatus(db, o.order_id)).toBe('paid');
      expect((await payment(db, o.order_id))?.paid_event_id).toBe(await orderReconcileEventId(o.session_id));
    }
    // Secrets never printed.
    expect(real.stdout + real.stderr).not.toContain(TOKEN);

    // From another directory, everything but PATH from its .env: the settings and the store module's DATABASE_URL.
    const dir = emptyDir();
    const { PATH, NODE_OPTIONS: _loader, ...settings } = env;
    writeFileSync(join(dir, '.env'), Object.entries(settings).map(([k, v]) => `${k}=${v}`).join('\n'));
    const tsx = import.meta.resolve('tsx');
    const again = await runBin(['reconcile', '--store', STORE_TS, '--min-age', '0', '--json'], {
      env: { PATH: PATH!, NODE_OPTIONS: `--import ${tsx}` }, cwd: dir, timeoutMs: 60_000,
    });
    expect(again.stderr).toBe('');
    expect(again.code).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ ok: true, examined: 0, repaired: [] });
  });

  it('exits 1 and names the order when a paid session goes to review; shows progress on a TTY only', async () => {
    const [o] = await lostPayments(1);
    await db.sql('UPDATE siglume_checkout_attempts SET amount_minor = 3100 WHERE order_id = ?', [o!.order_id]);
    await db.sql('UPDATE orders SET amount_minor = 3100 WHERE order_id = ?', [o!.order_id]);
    // In-process: the store module hands over this test's store.
    const dir = emptyDir();
    writeFileSync(join(dir, 'store.mjs'), 'export const createOrderStore = () => globalThis.__sdrpReconcileStore;\n');
    (globalThis as { __sdrpReconcileStore?: OrderStore }).__sdrpReconcileStore = db.createStore();
    const cliEnv = { SIGLUME_DIRECT_PAYMENT_MERCHANT: MERCHANT, SIGLUME_MERCHANT_AUTH_TOKEN: TOKEN, SIGLUME_API_BASE: f.sandbox.api_base };
    const tty = await runCli(['reconcile', '--store', 'store.mjs', '--min-age', '0'], { env: cliEnv, cwd: dir, tty: true });
    expect(tty.code).toBe(1);
    expect(tty.stderr).toContain('Reconciling: 1 examined');
    expect(tty.stdout).toContain('Sent to review: 1');
    expect(tty.stdout).toContain(`order ${o!.order_id}`);
    expect(tty.stdout).toContain('review:PAYMENT_MISMATCH');
    expect(await orderStatus(db, o!.order_id)).toBe('pending');
    // A CI log or a TERM=dumb terminal would keep every redrawn frame: none there.
    for (const extra of [{ CI: 'true' }, { TERM: 'dumb' }]) {
      const ci = await runCli(['reconcile', '--store', 'store.mjs', '--min-age', '0'], { env: { ...cliEnv, ...extra }, cwd: dir, tty: true });
      expect(ci.code).toBe(1);
      expect(ci.stderr).not.toContain('Reconciling:');
    }

    const piped = await runCli(['reconcile', '--store', 'store.mjs', '--min-age', '0', '--json'], { env: cliEnv, cwd: dir, tty: false });
    expect(piped.code).toBe(1);
    expect(piped.stderr).toBe('');
    expect(JSON.parse(piped.stdout)).toMatchObject({ ok: false, review: [{ order_id: o!.order_id }] });
  });

  it('prints a store\'s order id that starts with sdrp_ as it is, and still masks credentials in the error beside it', async () => {
    const since = new Date().toISOString(); // this test's attempt only
    const order_id = 'sdrp_order_1';
    await insertOrder(db, { order_id, amount_minor: 3000 });
    const start = await startCheckout(f.shop.url, { order_id });
    // The buyer cancelled: the run retires the attempt, and the store fails doing so.
    await fetch(`${start.body.checkout_url as string}/cancel`, { method: 'POST', redirect: 'manual' });
    // A webhook secret without a recognisable shape: only the command's exact-value masking can catch it.
    const secret = 'plain-webhook-secret-for-cli-test-42';
    const store = db.createStore();
    (globalThis as { __sdrpReconcileStore?: OrderStore }).__sdrpReconcileStore = new Proxy(store, {
      get(target, key) {
        if (key === 'retireCheckoutAttempt') {
          return async () => Promise.reject(new Error(`injected: database went away (postgres://shop:s3cret-pw@db.internal/shop, ${TOKEN}, ${secret})`));
        }
        const value: unknown = Reflect.get(target, key);
        return typeof value === 'function' ? value.bind(target) : value;
      },
    });
    const dir = emptyDir();
    writeFileSync(join(dir, 'store.mjs'), 'export const createOrderStore = () => globalThis.__sdrpReconcileStore;\n');
    const cliEnv = { SIGLUME_DIRECT_PAYMENT_MERCHANT: MERCHANT, SIGLUME_MERCHANT_AUTH_TOKEN: TOKEN, SIGLUME_WEBHOOK_SECRET: secret, SIGLUME_API_BASE: f.sandbox.api_base };
    const text = await runCli(['reconcile', '--store', 'store.mjs', '--min-age', '0', '--since', since], { env: cliEnv, cwd: dir });
    expect(text.code).toBe(1);
    expect(text.stdout).toContain(`order ${order_id}  session ${start.body.session_id as string}  the store failed: injected: database went away (postgres://shop:***@db.internal/shop`);
    const json = await runCli(['reconcile', '--store', 'store.mjs', '--min-age', '0', '--since', since, '--json'], { env: cliEnv, cwd: dir });
    expect(json.code).toBe(1);
    const report = JSON.parse(json.stdout) as { errors: Array<{ order_id: string; detail: string }> };
    expect(report.errors).toEqual([expect.objectContaining({ order_id, detail: expect.stringContaining('injected') })]);
    for (const out of [text.stdout + text.stderr, json.stdout + json.stderr]) {
      for (const leaked of ['s3cret-pw', TOKEN, secret]) expect(out).not.toContain(leaked);
    }
    expect(await orderStatus(db, order_id)).toBe('pending');
  });

  it('exits 1 when stopped at --limit, on every run while the window holds more, and says how to get past it', async () => {
    const since = new Date().toISOString(); // this test's attempts only
    const waiting = uid('ord'); // an older checkout the buyer has not paid: examined first by every run
    await insertOrder(db, { order_id: waiting, amount_minor: 3000 });
    expect((await startCheckout(f.shop.url, { order_id: waiting })).status).toBe(200);
    const [o] = await lostPayments(1);
    const dir = emptyDir();
    writeFileSync(join(dir, 'store.mjs'), 'export const createOrderStore = () => globalThis.__sdrpReconcileStore;\n');
    (globalThis as { __sdrpReconcileStore?: OrderStore }).__sdrpReconcileStore = db.createStore();
    const cliEnv = { SIGLUME_DIRECT_PAYMENT_MERCHANT: MERCHANT, SIGLUME_MERCHANT_AUTH_TOKEN: TOKEN, SIGLUME_API_BASE: f.sandbox.api_base };
    const args = ['reconcile', '--store', 'store.mjs', '--min-age', '0', '--since', since];
    for (let run = 0; run < 2; run++) {
      const limited = await runCli([...args, '--limit', '1'], { env: cliEnv, cwd: dir });
      expect(limited.code).toBe(1);
      expect(limited.stdout).toContain('examined 1, repaired 0, consistent 1');
      expect(limited.stdout).toContain('Stopped at --limit: the window holds more than 1 attempts, and the rest were not examined');
      expect(limited.stdout).toContain('Raise --limit (at most 10000). A later --since must still reach back past your previous run');
      expect(limited.stdout).toContain('Consistent so far. The rest of the window is not examined.');
      expect(await orderStatus(db, o!.order_id)).toBe('pending');
    }
    const json = await runCli([...args, '--limit', '1', '--json'], { env: cliEnv, cwd: dir });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, stopped: 'limit', examined: 1 });
    const whole = await runCli(args, { env: cliEnv, cwd: dir });
    expect(whole.code).toBe(0);
    expect(whole.stdout).toContain('Repaired (marked paid): 1');
    expect(await orderStatus(db, o!.order_id)).toBe('paid');
  });

  it('stops after the attempt in progress when interrupted, says what it did and that the rest is left, and exits 1', async () => {
    const since = new Date().toISOString(); // this test's attempts only
    const lost = await lostPayments(3);
    const dir = emptyDir();
    writeFileSync(join(dir, 'store.mjs'), 'export const createOrderStore = () => globalThis.__sdrpReconcileStore;\n');
    const store = db.createStore();
    const interrupt = new AbortController();
    // Ctrl-C arrives while the first paid attempt is being repaired.
    (globalThis as { __sdrpReconcileStore?: OrderStore }).__sdrpReconcileStore = new Proxy(store, {
      get: (target, key) => {
        const value = Reflect.get(target, key) as unknown;
        if (typeof value !== 'function') return value;
        return (...args: unknown[]) => {
          if (key === 'processWebhookEvent') interrupt.abort();
          return value.apply(target, args) as unknown;
        };
      },
    });
    const cliEnv = { SIGLUME_DIRECT_PAYMENT_MERCHANT: MERCHANT, SIGLUME_MERCHANT_AUTH_TOKEN: TOKEN, SIGLUME_API_BASE: f.sandbox.api_base };
    const args = ['reconcile', '--store', 'store.mjs', '--min-age', '0', '--since', since];
    const cut = await runCli(args, { env: cliEnv, cwd: dir, signal: interrupt.signal });
    expect(cut.code).toBe(1);
    expect(cut.stderr).toContain('warning: Interrupted: stopping (a read of Siglume in progress is dropped, a store write in progress is finished).');
    expect(cut.stdout).toContain('examined 1, repaired 1, consistent 0');
    expect(cut.stdout).toContain('Interrupted after 1 attempt: what is listed above was done; the rest of the window was not examined. Run again to finish.');
    expect(cut.stdout).not.toContain('Consistent');
    const statuses = await Promise.all(lost.map((o) => orderStatus(db, o.order_id)));
    expect(statuses.filter((s) => s === 'paid')).toHaveLength(1);
    expect(statuses.filter((s) => s === 'pending')).toHaveLength(2);
    (globalThis as { __sdrpReconcileStore?: OrderStore }).__sdrpReconcileStore = store;
    const json = await runCli([...args, '--json'], { env: cliEnv, cwd: dir, signal: AbortSignal.abort() });
    expect(json.code).toBe(1);
    expect(JSON.parse(json.stdout)).toMatchObject({ ok: false, stopped: 'interrupted', examined: 0 });
    // A signal shared by several runs (an app running the command in-process): each run's listener goes with it.
    const shared = new AbortController();
    const added = vi.spyOn(shared.signal, 'addEventListener');
    const removed = vi.spyOn(shared.signal, 'removeEventListener');
    const rest = await runCli(args, { env: cliEnv, cwd: dir, signal: shared.signal });
    expect(rest.code).toBe(0);
    expect(added).toHaveBeenCalledTimes(1);
    expect(removed).toHaveBeenCalledWith('abort', added.mock.calls[0]![1]);
    expect(rest.stdout).toContain('examined 2, repaired 2, consistent 0'); // the paid one is no longer listed
    for (const o of lost) expect(await orderStatus(db, o.order_id)).toBe('paid');
  });

  it('on SIGTERM (the binary), finishes the attempt in progress, prints the report and exits 1', async () => {
    const since = new Date().toISOString(); // this test's attempts only
    const lost = await lostPayments(2);
    const dir = emptyDir();
    // The template's store, sending the process SIGTERM (as a scheduler's timeout does) once a repair has begun.
    writeFileSync(
      join(dir, 'store.ts'),
      `import { createOrderStore as create, closeOrderStore } from ${JSON.stringify(STORE_TS)};
export { closeOrderStore };
export async function createOrderStore() {
  const store = await create();
  return new Proxy(store, {
    get(target, key) {
      const value = Reflect.get(target, key);
      if (typeof value !== 'function') return value;
      return (...args) => {
        if (key === 'processWebhookEvent') process.kill(process.pid, 'SIGTERM');
        return value.apply(target, args);
      };
    },
  });
}
`,
    );
    const { NODE_OPTIONS: _loader, ...rest } = env;
    const r = await runBin(['reconcile', '--store', 'store.ts', '--min-age', '0', '--since', since], {
      env: { ...rest, NODE_OPTIONS: `--import ${import.meta.resolve('tsx')}` }, cwd: dir, timeoutMs: 60_000,
    });
    expect(r.stderr).toContain('warning: SIGTERM: stopping (a read of Siglume in progress is dropped, a store write in progress is finished); send it again to quit at once.');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('examined 1, repaired 1, consistent 0');
    expect(r.stdout).toContain('Interrupted after 1 attempt:');
    const statuses = await Promise.all(lost.map((o) => orderStatus(db, o.order_id)));
    expect(statuses.sort()).toEqual(['paid', 'pending']);
  });

  it('ends a dry run that found a payment to repair with a summary saying so, not "Consistent."', async () => {
    const since = new Date().toISOString(); // this test's attempts only
    const [o] = await lostPayments(1);
    const dir = emptyDir();
    writeFileSync(join(dir, 'store.mjs'), 'export const createOrderStore = () => globalThis.__sdrpReconcileStore;\n');
    (globalThis as { __sdrpReconcileStore?: OrderStore }).__sdrpReconcileStore = db.createStore();
    const cliEnv = { SIGLUME_DIRECT_PAYMENT_MERCHANT: MERCHANT, SIGLUME_MERCHANT_AUTH_TOKEN: TOKEN, SIGLUME_API_BASE: f.sandbox.api_base };
    const dry = await runCli(['reconcile', '--store', 'store.mjs', '--min-age', '0', '--since', since, '--dry-run'], { env: cliEnv, cwd: dir });
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('Repaired (would be marked paid): 1');
    expect(dry.stdout).toContain('examined 1, would be repaired 1, consistent 0, would be retired 0, would go to review 0, errors 0');
    expect(dry.stdout).not.toMatch(/(?<!would be )repaired \d/);
    expect(dry.stdout).not.toContain('Consistent');
    expect(dry.stdout).toContain('Not consistent yet: a real run would repair 1 and retire 0; run without --dry-run to apply.');
    expect(await orderStatus(db, o!.order_id)).toBe('pending');
    const real = await runCli(['reconcile', '--store', 'store.mjs', '--min-age', '0', '--since', since], { env: cliEnv, cwd: dir });
    expect(real.code).toBe(0);
    expect(real.stdout).toContain('Repaired (marked paid): 1');
    expect(real.stdout).toContain('Consistent.');
    expect(await orderStatus(db, o!.order_id)).toBe('paid');
  });
});
