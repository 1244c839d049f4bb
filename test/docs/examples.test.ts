/**
 * The examples are code merchants copy, so they are held to the same bar as
 * the package: they compile against the built package (examples/tsconfig.json)
 * and the Express shop really takes a payment against the sandbox. The shop's
 * `src/siglume/` is not committed: like a merchant's app it gets the templates
 * from `siglume-sdrp init express` (here `copyTemplate`, the library function
 * behind it), so the example can never drift from templates/express/.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  DirectRequestPaymentClient,
  DirectRequestPaymentMerchantClient,
  SiglumeApiError,
  SiglumeConnectionError,
  createDirectRequestPaymentChallenge,
} from '../../src/index.js';
import { copyTemplate } from '../../src/init/copy-template.js';
import { startSandbox } from '../../src/sandbox/index.js';
import { createStandardSettledTestEvent, TEST_WEBHOOK_SECRET } from '../../src/testing/index.js';
import { DATABASE_URL, postgresAdapter } from '../orders/support/postgres.js';
import { root } from './support/markdown.js';
import { formatDiagnostics, requireDist } from './support/typescript.js';

const skipPostgres = (await postgresAdapter.unavailable()) !== null;

beforeAll(async () => {
  const result = await copyTemplate({
    template: 'express',
    target: join(root, 'examples/express-checkout/src/siglume'),
    force: true,
    templates_dir: join(root, 'templates'),
  });
  expect(result.kind).toBe('copied');
});

describe('examples/', () => {
  it('compile against the built package (tsc -p examples/tsconfig.json)', () => {
    requireDist();
    const config = ts.getParsedCommandLineOfConfigFile(join(root, 'examples/tsconfig.json'), {}, {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) => {
        throw new Error(formatDiagnostics([d]));
      },
    });
    if (!config) throw new Error('cannot read examples/tsconfig.json');
    const program = ts.createProgram({ rootNames: config.fileNames, options: config.options });
    const files = program.getRootFileNames().map((f) => f.slice(root.length + 1));
    expect(files).toEqual(
      expect.arrayContaining([
        'examples/setup-merchant.ts',
        'examples/nextjs-route-handler.ts',
        'examples/fastify-webhook.ts',
        'examples/paid-api.ts',
        'examples/express-checkout/src/app.ts',
        'examples/express-checkout/src/siglume/siglume-checkout.ts',
      ]),
    );
    // The package must come from dist/, not from the sources, or this would prove nothing about the build.
    const sources = program.getSourceFiles().map((f) => f.fileName);
    expect(sources).toContain(join(root, 'dist/index.d.ts'));
    expect(sources.some((f) => f.startsWith(join(root, 'src/')))).toBe(false);
    expect(formatDiagnostics(ts.getPreEmitDiagnostics(program))).toBe('');
  });
});

/** What the test uses of examples/express-checkout/src/demo.ts. */
interface DemoModule {
  runCheckoutDemo(options: {
    database_url: string;
    schema: string;
    startSandbox: typeof startSandbox;
  }): Promise<Array<{ step: string; ok: boolean; detail: string }>>;
}

describe.skipIf(skipPostgres)('examples/express-checkout against the sandbox', () => {
  const schema = `sdrp_example_${randomBytes(5).toString('hex')}`;

  afterAll(async () => {
    const client = new pg.Client({ connectionString: DATABASE_URL });
    await client.connect();
    try {
      await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    } finally {
      await client.end();
    }
  });

  it('takes a payment through the hosted page and handles redelivery, forgery and a Micro amount', async () => {
    // Imported by path at run time: the example is compiled by examples/tsconfig.json
    // (against dist/), not by the repository's tsconfig (against src/).
    const demo = join(root, 'examples/express-checkout/src/demo.ts');
    const { runCheckoutDemo } = (await import(demo)) as DemoModule;
    const steps = await runCheckoutDemo({ database_url: DATABASE_URL, schema, startSandbox });
    expect(steps.map((s) => s.step)).toEqual([
      'start checkout',
      'pay on the hosted page',
      'order paid by the webhook',
      'redelivery is a no-op',
      'forged webhook refused',
      'Micro amount refused',
    ]);
    expect(steps.filter((s) => !s.ok)).toEqual([]);
  }, 60_000);

  it('refuses to start over a database without its tables (the start-up check), naming the migration to run', async () => {
    const app = (await import(join(root, 'examples/express-checkout/src/app.ts'))) as { createShopApp(options: { pool: pg.Pool }): unknown };
    const database = (await import(join(root, 'examples/express-checkout/src/database.ts'))) as {
      createPool(database_url: string, schema: string): pg.Pool;
    };
    vi.stubEnv('SIGLUME_MERCHANT_AUTH_TOKEN', 'sdrp_example_check_token');
    vi.stubEnv('SIGLUME_DIRECT_PAYMENT_MERCHANT', 'example_shop');
    vi.stubEnv('SIGLUME_WEBHOOK_SECRET', 'whsec_example_check');
    vi.stubEnv('SHOP_PUBLIC_ORIGIN', 'http://127.0.0.1:3000');
    vi.stubEnv('SIGLUME_API_BASE', 'http://127.0.0.1:1/v1');
    // A schema that was never set up (npm run db:setup not run): no orders table, no payment tables.
    const pool = database.createPool(DATABASE_URL, `${schema}_empty`);
    try {
      const error = await Promise.resolve().then(() => app.createShopApp({ pool })).then(() => null, (e: unknown) => e as Error & { code?: string });
      expect(error?.code).toBe('ORDER_STORE_MISCONFIGURED');
      expect(error?.message).toContain('siglume-payments.postgres.sql');
    } finally {
      vi.unstubAllEnvs();
      await pool.end();
    }
  });
});

describe('examples/setup-merchant.ts against the sandbox', () => {
  it('subscribes the webhook URL once: a second run keeps the first subscription and its secret', async () => {
    requireDist();
    const sandbox = await startSandbox({ port: 0, quiet: true });
    const dir = mkdtempSync(join(tmpdir(), 'sdrp-setup-example-'));
    // Not the sandbox's seeded webhook URL, so the first run has a subscription to create.
    const origin = 'http://127.0.0.1:4100';
    const run = (file: string) =>
      promisify(execFile)(join(root, 'node_modules/.bin/tsx'), [join(root, 'examples/setup-merchant.ts')], {
        cwd: root,
        timeout: 30_000,
        env: {
          PATH: process.env.PATH,
          SIGLUME_API_BASE: sandbox.api_base,
          SIGLUME_MERCHANT_AUTH_TOKEN: sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN,
          SIGLUME_DIRECT_PAYMENT_MERCHANT: 'example_shop',
          SHOP_PUBLIC_ORIGIN: origin,
          SETUP_ENV_FILE: join(dir, file),
        },
      });
    try {
      const first = await run('first.env');
      expect(first.stdout).toContain('webhook subscription whsub_');
      const secret = /^SIGLUME_WEBHOOK_SECRET=(whsec_\w+)$/m.exec(readFileSync(join(dir, 'first.env'), 'utf8'))?.[1];
      expect(secret).toBeDefined();

      const second = await run('second.env');
      expect(second.stdout).toContain('is subscribed already');
      expect(readFileSync(join(dir, 'second.env'), 'utf8')).not.toContain('SIGLUME_WEBHOOK_SECRET');
      const mine = sandbox.listWebhookSubscriptions().filter((s) => s.callback_url === `${origin}/payments/webhooks/siglume`);
      expect(mine.map((s) => s.signing_secret)).toEqual([secret]);
    } finally {
      await sandbox.close();
      rmSync(dir, { recursive: true, force: true });
    }
  }, 60_000);
});

/** What the test uses of examples/paid-api.ts. */
interface PaidApiModule {
  CHALLENGE_HASH_HEADER: string;
  addressKey(address: string | undefined): string;
  createPaidApi(config: {
    merchant: string;
    challenge_secret: string;
    webhook_secret: string;
    amount_minor: number;
    currency: 'JPY' | 'USD';
    allow_metered_payments?: boolean;
    challenge_ttl_seconds?: number;
    challenges_per_client_per_minute?: number;
    max_live_challenges?: number;
    max_processed_events?: number;
    max_handled_payments?: number;
    max_reviews?: number;
    paid_challenge_retention_seconds?: number;
    clientKey?: (req: import('node:http').IncomingMessage) => string;
    now?: () => number;
    log?: (line: string) => void;
  }): {
    listener: import('node:http').RequestListener;
    challenges: ReadonlyMap<string, { status: string; requirement_id: string | null }>;
    reviews: ReadonlyArray<{
      event_id: string;
      reason: string;
      requirement_id: string | null;
      challenge_hash: string | null;
    }>;
  };
  buyReport(
    url: string,
    buyer: DirectRequestPaymentClient,
    opts: { max_amount_minor: number; currency: 'JPY' | 'USD'; merchant?: string; attempts?: number; interval_ms?: number; now?: () => number },
  ): Promise<{ first_status: number; requirement_id: string; challenge_hash: string; status: number; body: unknown }>;
  collectReport(
    url: string,
    challenge_hash: string,
    retry?: { attempts?: number; interval_ms?: number; now?: () => number },
  ): Promise<{ body: unknown } | { outcome: 'not_yet' | 'gone'; last: string }>;
  finishPayment(
    url: string,
    requirement_id: string,
    buyer: DirectRequestPaymentClient,
    retry?: { attempts?: number; interval_ms?: number; now?: () => number },
  ): Promise<{ requirement_id: string; challenge_hash: string; status: number; body: unknown }>;
}

/** The example paid API on a loopback port, with a sandbox that delivers its webhooks to it. */
async function paidApiOnSandbox(extra: Partial<Parameters<PaidApiModule['createPaidApi']>[0]> = {}) {
  const mod = (await import(join(root, 'examples/paid-api.ts'))) as PaidApiModule;
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sandbox = await startSandbox({ port: 0, quiet: true, origin: apiUrl, webhook_url: `${apiUrl}/webhooks/siglume` });
  const merchant = sandbox.env.SIGLUME_DIRECT_PAYMENT_MERCHANT;
  const logs: string[] = [];
  const config = {
    merchant,
    challenge_secret: sandbox.getMerchant(merchant)!.challenge_secret,
    webhook_secret: sandbox.env.SIGLUME_WEBHOOK_SECRET,
    amount_minor: 600,
    currency: 'JPY' as const,
    log: (line: string) => void logs.push(line),
    ...extra,
  };
  const api = mod.createPaidApi(config);
  server.on('request', api.listener);
  const close = async () => {
    await sandbox.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { ...mod, sandbox, config, api, apiUrl, merchant, logs, close };
}

describe('examples/paid-api.ts against the sandbox', () => {
  it('answers 402, is paid through Siglume, serves once, and does not serve again on a redelivery', async () => {
    const { CHALLENGE_HASH_HEADER, buyReport, sandbox, api, apiUrl, merchant, close } = await paidApiOnSandbox();
    try {
      const buyer = new DirectRequestPaymentClient({ base_url: sandbox.api_base, auth_token: sandbox.buyer_token });

      const purchase = await buyReport(`${apiUrl}/report`, buyer, { max_amount_minor: 1000, currency: 'JPY', merchant });
      expect(purchase.first_status).toBe(402);
      expect(purchase.status).toBe(200);
      expect(purchase.body).toMatchObject({ report: 'the paid content', challenge_hash: purchase.challenge_hash });

      // One signed confirmation, accepted by the API (204), paying this challenge with this requirement.
      const confirmed = sandbox.listEvents().filter((e) => e.type === 'direct_payment.confirmed');
      expect(confirmed).toHaveLength(1);
      const eventId = confirmed[0]!.id;
      expect(sandbox.listDeliveries({ event_id: eventId }).map((d) => [d.delivery_status, d.response_status])).toEqual([['delivered', 204]]);
      expect(api.reviews).toEqual([]);
      expect(api.challenges.get(purchase.challenge_hash)).toMatchObject({ status: 'served', requirement_id: purchase.requirement_id });

      // Siglume delivers the same event again: the API acknowledges it, and the paid request is not served twice.
      const again = await sandbox.redeliver(eventId);
      expect(again.map((d) => d.response_status)).toEqual([204]);
      const stored = api.challenges.size;
      const replay = await fetch(`${apiUrl}/report`, { headers: { [CHALLENGE_HASH_HEADER]: purchase.challenge_hash } });
      // One payment, one response: 410, not a new price to pay again for what was served.
      expect(replay.status).toBe(410);
      expect(await replay.json()).toEqual({ error: 'already_served' });
      expect(api.challenges.size).toBe(stored);
      expect(api.reviews).toEqual([]);
    } finally {
      await close();
    }
  }, 30_000);

  it("ignores another merchant's payments and Micro / Nano batch settlements: no review, as no money came for its challenges", async () => {
    const { buyReport, sandbox, api, apiUrl, merchant, logs, close } = await paidApiOnSandbox({ amount_minor: 300, allow_metered_payments: true });
    try {
      // A second merchant of the same account: its confirmations reach every subscription of the account, this API's too.
      const holder = new DirectRequestPaymentMerchantClient({ base_url: sandbox.api_base, auth_token: sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN });
      const other = await holder.setupMerchant({ merchant: 'other_shop', allowed_currencies: ['JPY'] });
      const secret = (other as { challenge_secret?: string }).challenge_secret!;
      const buyer = new DirectRequestPaymentClient({ base_url: sandbox.api_base, auth_token: sandbox.buyer_token });
      for (const amount_minor of [600, 300]) {
        const c = await createDirectRequestPaymentChallenge({ secret, merchant: 'other_shop', amount_minor, currency: 'JPY' });
        const r = await buyer.createPaymentRequirement({ merchant: 'other_shop', amount_minor, currency: 'JPY', challenge: c.challenge });
        await buyer.executePaymentTransaction(r);
      }
      // The other merchant's Micro batch settles: a batch confirmation, which no challenge of anybody's names.
      expect(await sandbox.settleMeteredBatches()).toHaveLength(1);
      const events = sandbox.listEvents().filter((e) => e.type === 'direct_payment.confirmed');
      expect(events).toHaveLength(3);
      for (const e of events) expect(sandbox.listDeliveries({ event_id: e.id }).map((d) => d.response_status)).toEqual([204]);
      expect(api.reviews).toEqual([]);
      expect(logs.filter((l) => l.includes("not this API's to serve"))).toHaveLength(3);
      expect(logs.some((l) => /batch \S+ settled/.test(l))).toBe(false); // the other merchant's batch: not ours first

      // Another merchant named on one of this API's own challenges is not ignored: it goes to review (the core's rule 5a).
      const first = await fetch(`${apiUrl}/report`);
      const { payment } = (await first.json()) as { payment: { challenge_hash: string } };
      const queued = await holder.queueWebhookTestDelivery({
        event_type: 'direct_payment.confirmed',
        data: { mode: 'external_402', merchant: 'other_shop', amount_minor: 300, currency: 'JPY', pricing_band: 'micro', finality: 'aggregated_onchain_settlement', settlement_status: 'pending_settlement', settlement_cadence: 'weekly', requirement_id: 'dpr_odd', challenge_hash: payment.challenge_hash },
      });
      // The same with an incomplete shape (no requirement_id: classified unknown, which carries no challenge_hash).
      const incomplete = await holder.queueWebhookTestDelivery({
        event_type: 'direct_payment.confirmed',
        data: { mode: 'external_402', merchant: 'other_shop', amount_minor: 300, currency: 'JPY', challenge_hash: payment.challenge_hash },
      });
      const oddId = (queued as { event: { id: string } }).event.id;
      const incompleteId = (incomplete as { event: { id: string } }).event.id;
      for (const id of [oddId, incompleteId]) {
        for (let i = 0; i < 100 && sandbox.listDeliveries({ event_id: id, delivery_status: 'delivered' }).length === 0; i++) await new Promise((r) => setTimeout(r, 20));
      }
      expect(api.reviews.map((r) => r.event_id).sort()).toEqual([oddId, incompleteId].sort());

      // This API's own Micro price: served on the accepted usage, and its batch's settlement is not a review either.
      const purchase = await buyReport(`${apiUrl}/report`, buyer, { max_amount_minor: 300, currency: 'JPY', merchant });
      expect(purchase.status).toBe(200);
      expect(await sandbox.settleMeteredBatches()).toHaveLength(1);
      expect(api.reviews).toHaveLength(2); // the two odd events above, nothing more
      expect(logs.filter((l) => /batch \S+ settled \(see the statements\)/.test(l))).toHaveLength(1);
    } finally {
      await close();
    }
  }, 30_000);

  it('accepts a test delivery naming a challenge it issued: only the merchant token guards it (docs/paid-api.md)', async () => {
    const { CHALLENGE_HASH_HEADER, sandbox, apiUrl, merchant, close } = await paidApiOnSandbox();
    try {
      // Anyone may ask for the resource and read a fresh challenge_hash from the 402.
      const first = await fetch(`${apiUrl}/report`);
      const { payment } = (await first.json()) as { payment: { challenge_hash: string } };
      // Whoever holds the merchant token can have Siglume sign any event data, with nobody paying.
      const holder = new DirectRequestPaymentMerchantClient({ base_url: sandbox.api_base, auth_token: sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN });
      const queued = await holder.queueWebhookTestDelivery({
        event_type: 'direct_payment.confirmed',
        data: {
          mode: 'external_402',
          merchant,
          amount_minor: 600,
          currency: 'JPY',
          pricing_band: 'standard',
          finality: 'per_payment_onchain',
          settlement_status: 'settled',
          requirement_id: 'dpr_forged',
          challenge_hash: payment.challenge_hash,
          chain_receipt_id: 'chain_forged',
        },
      });
      const eventId = (queued as { event: { id: string } }).event.id;
      for (let i = 0; i < 100 && sandbox.listDeliveries({ event_id: eventId, delivery_status: 'delivered' }).length === 0; i++) {
        await new Promise((r) => setTimeout(r, 20));
      }
      const served = await fetch(`${apiUrl}/report`, { headers: { [CHALLENGE_HASH_HEADER]: payment.challenge_hash } });
      expect(served.status).toBe(200);
      expect(sandbox.listEvents().filter((e) => e.data.requirement_id === 'dpr_forged')).toHaveLength(1);
    } finally {
      await close();
    }
  }, 30_000);
});

describe('examples/paid-api.ts: a buyer that paid but is not served keeps what it paid for', () => {
  it('buy exits 1 naming the challenge it paid (never a SyntaxError); collect gets it once the shop is fixed, with no second payment', async () => {
    requireDist();
    // The shop runs with the wrong webhook secret: every confirmation is refused, so the paid request stays 402.
    const logs: string[] = [];
    const { config, sandbox, apiUrl, merchant, close } = await paidApiOnSandbox({ webhook_secret: 'whsec_not_the_subscription_secret', log: (l) => logs.push(l) });
    const cli = async (...args: string[]) =>
      promisify(execFile)(join(root, 'node_modules/.bin/tsx'), [join(root, 'examples/paid-api.ts'), ...args], {
        cwd: root,
        timeout: 30_000,
        env: { PATH: process.env.PATH, SIGLUME_API_BASE: sandbox.api_base, SIGLUME_AUTH_TOKEN: sandbox.buyer_token },
      }).then(
        ({ stdout, stderr }) => ({ code: 0, stdout, stderr }),
        (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, stdout: e.stdout, stderr: e.stderr }),
      );
    try {
      const bought = await cli('buy', `${apiUrl}/report`, merchant);
      const [paid] = sandbox.listEvents().filter((e) => e.type === 'direct_payment.confirmed');
      const { challenge_hash, requirement_id } = paid!.data as { challenge_hash: string; requirement_id: string };
      expect(bought.code).toBe(1);
      expect(bought.stderr).not.toContain('SyntaxError');
      expect(bought.stderr).toContain(`PAID 600 JPY to ${merchant} (requirement ${requirement_id}, challenge ${challenge_hash}) but not served yet`);
      // The refused webhook is visible on the shop's side, by its code only.
      expect(logs).toContain('webhook refused (503): WEBHOOK_SIGNATURE_MISMATCH');
      expect(logs.join('\n')).not.toMatch(/whsec_|v1=/);

      // The shop fixes its secret (read per request) and the delivery is repeated: the buyer collects, paying nothing more.
      config.webhook_secret = sandbox.env.SIGLUME_WEBHOOK_SECRET;
      expect((await sandbox.redeliver(paid!.id)).map((d) => d.response_status)).toEqual([204]);
      const command = /npx tsx examples\/paid-api\.ts (collect \S+ \S+)/.exec(bought.stderr)?.[1];
      expect(command).toBe(`collect ${apiUrl}/report ${challenge_hash}`);
      const collected = await cli(...command!.split(' '));
      expect(collected.code).toBe(0);
      expect(JSON.parse(collected.stdout)).toMatchObject({ report: 'the paid content', challenge_hash });
      expect(sandbox.listEvents().filter((e) => e.type === 'direct_payment.confirmed')).toHaveLength(1);
    } finally {
      await close();
    }
  }, 60_000);
});

/** A loopback server on a random port, and its URL. */
async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string; close: () => Promise<void> }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const close = () => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { server, url, close };
}

describe('examples/paid-api.ts: the buyer refuses a 402 it did not agree to, before paying anything', () => {
  const terms = { merchant: 'report_shop', amount_minor: 600, currency: 'JPY', challenge: 'siglume-external-402-v1:n:ab', challenge_hash: 'sha256:x' };
  const cases: Array<[string, (res: import('node:http').ServerResponse) => void, RegExp]> = [
    [
      'asks in another currency (999 USD cents against a limit of 1000 JPY)',
      (res) => res.end(JSON.stringify({ payment: { ...terms, amount_minor: 999, currency: 'USD' } })),
      /asks for USD; this buyer pays in JPY only/,
    ],
    [
      'names another merchant than the buyer means to pay',
      (res) => res.end(JSON.stringify({ payment: { ...terms, merchant: 'evil_shop' } })),
      /merchant evil_shop, not report_shop/,
    ],
    [
      'sends a 402 body over 64 KiB (8 MiB offered; reading stops at the cap)',
      (res) => {
        // A valid JSON start, then padding the buyer must not buffer.
        res.write(`{"payment":${JSON.stringify(terms)},"pad":"`);
        const chunk = 'x'.repeat(64 * 1024);
        let sent = 0;
        const more = () => {
          while (sent < 128 && !res.destroyed) {
            sent++;
            if (!res.write(chunk)) return void res.once('drain', more);
          }
          res.end('"}');
        };
        more();
      },
      /over 65536 bytes/,
    ],
  ];

  it.each(cases)('a 402 that %s', async (_name, answer, refusal) => {
    const { buyReport } = (await import(join(root, 'examples/paid-api.ts'))) as PaidApiModule;
    const api = await listen((_req, res) => {
      res.writeHead(402, { 'content-type': 'application/json' });
      answer(res);
    });
    const calls: string[] = [];
    const buyer = {
      createPaymentRequirement: async () => (calls.push('createPaymentRequirement'), { requirement_id: 'dpr_1' }),
      executePaymentTransaction: async () => (calls.push('executePaymentTransaction'), {}),
    } as unknown as DirectRequestPaymentClient;
    try {
      const limit = { max_amount_minor: 1000, currency: 'JPY', merchant: 'report_shop', attempts: 1, interval_ms: 1 } as const;
      const error: unknown = await buyReport(`${api.url}/report`, buyer, limit).catch((e: unknown) => e);
      expect(calls).toEqual([]);
      expect((error as Error).message).toMatch(refusal);
    } finally {
      await api.close();
    }
  });
});

describe('examples/paid-api.ts: the buyer after paying', () => {
  it('gives up on a paid request still answered 402 by naming what it paid and how to collect it, not by reading a cancelled body', async () => {
    const { buyReport } = (await import(join(root, 'examples/paid-api.ts'))) as PaidApiModule;
    const terms = { merchant: 'report_shop', amount_minor: 600, currency: 'JPY', challenge: 'siglume-external-402-v1:n:ab', challenge_hash: 'sha256:x' };
    let requests = 0;
    const api = await listen((_req, res) => {
      requests++;
      res.writeHead(402, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'payment_pending', payment: terms }));
    });
    const calls: string[] = [];
    const buyer = {
      createPaymentRequirement: async () => (calls.push('createPaymentRequirement'), { requirement_id: 'dpr_1' }),
      executePaymentTransaction: async () => (calls.push('executePaymentTransaction'), {}),
    } as unknown as DirectRequestPaymentClient;
    try {
      const limit = { max_amount_minor: 1000, currency: 'JPY', merchant: 'report_shop', attempts: 3, interval_ms: 1 } as const;
      const error = (await buyReport(`${api.url}/report`, buyer, limit).catch((e: unknown) => e)) as Error;
      expect(calls).toEqual(['createPaymentRequirement', 'executePaymentTransaction']);
      expect(requests).toBe(1 + 3);
      expect(error).not.toBeInstanceOf(SyntaxError);
      expect(error.message).toContain('PAID 600 JPY to report_shop (requirement dpr_1, challenge sha256:x) but not served yet');
      expect(error.message).toContain(`npx tsx examples/paid-api.ts collect ${api.url}/report sha256:x`);
    } finally {
      await api.close();
    }
  });
});

describe('examples/paid-api.ts: the buyer whose payment call gets no answer may have paid', () => {
  const EXECUTE = '/market/web3/transactions/execute-prepared';

  /**
   * The paid API on the sandbox, and a proxy in front of the sandbox's API that passes every call but the payment
   * through; the payment is `forward`ed to the sandbox (which pays) or not, then the buyer gets `answer`.
   */
  async function behindProxy(forward: boolean, answer: 'stall' | 'drop' | 'refuse' | 'fail') {
    const paid = await paidApiOnSandbox();
    // Settles once the sandbox has answered the forwarded payment: the buyer may have given up long before.
    let upstreamAnswered!: () => void;
    const forwarded = new Promise<void>((resolve) => (upstreamAnswered = resolve));
    const target = new URL(paid.sandbox.api_base).origin;
    const pass = async (req: import('node:http').IncomingMessage, body: Buffer) => {
      const headers = Object.fromEntries(
        Object.entries(req.headers).filter(([k, v]) => typeof v === 'string' && !['host', 'connection', 'content-length'].includes(k)),
      ) as Record<string, string>;
      return fetch(`${target}${req.url}`, { method: req.method!, headers, ...(body.length > 0 ? { body: body.toString('utf8') } : {}) });
    };
    const proxy = await listen((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        void (async () => {
          const body = Buffer.concat(chunks);
          if (req.url?.endsWith(EXECUTE)) {
            if (forward) {
              await (await pass(req, body)).arrayBuffer();
              upstreamAnswered();
            }
            if (answer === 'drop') return void req.socket.destroy();
            if (answer === 'fail') {
              const failure = { error: { code: 'INTERNAL_ERROR', message: 'something went wrong' } };
              return void res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify(failure));
            }
            if (answer === 'refuse') {
              const refusal = { error: { code: 'INSUFFICIENT_BALANCE', message: 'the wallet cannot pay this' } };
              return void res.writeHead(422, { 'content-type': 'application/json' }).end(JSON.stringify(refusal));
            }
            return; // stall: no answer at all
          }
          const answered = await pass(req, body);
          res.writeHead(answered.status, { 'content-type': answered.headers.get('content-type') ?? 'application/json' });
          res.end(Buffer.from(await answered.arrayBuffer()));
        })();
      });
    });
    const buyer = new DirectRequestPaymentClient({ base_url: `${proxy.url}/v1`, auth_token: paid.sandbox.buyer_token, timeout_ms: 500 });
    const confirmed = () => paid.sandbox.listEvents().filter((e) => e.type === 'direct_payment.confirmed');
    const close = async () => {
      await proxy.close();
      await paid.close();
    };
    return { ...paid, buyer, confirmed, forwarded, close };
  }

  type Unknown = Error & { outcome?: string; paid?: { requirement_id: string; challenge_hash: string } };

  it.each([
    ['times out after Siglume paid', true, 'stall'],
    ['loses its connection after Siglume paid', true, 'drop'],
    ['gets a 5xx after Siglume paid', true, 'fail'],
  ] as const)('a payment call that %s ends naming the challenge and the collect command; collect then serves it, with no second payment', async (_name, forward, answer) => {
    const { buyReport, collectReport, finishPayment, buyer, sandbox, apiUrl, merchant, confirmed, forwarded, close } = await behindProxy(forward, answer);
    try {
      const limit = { max_amount_minor: 1000, currency: 'JPY', merchant, attempts: 3, interval_ms: 1 } as const;
      const error = (await buyReport(`${apiUrl}/report`, buyer, limit).catch((e: unknown) => e)) as Unknown;
      await forwarded; // the buyer gave up after 500 ms; the sandbox may still have been paying
      expect(confirmed()).toHaveLength(1); // the payment went through, though the buyer heard nothing back
      const { challenge_hash, requirement_id } = confirmed()[0]!.data as { challenge_hash: string; requirement_id: string };
      expect(error.outcome).toBe('payment_unknown');
      expect(error.paid).toMatchObject({ requirement_id, challenge_hash });
      expect(error.message).toContain(`600 JPY to ${merchant} (requirement ${requirement_id}, challenge ${challenge_hash})`);
      expect(error.message).toContain('Do not buy again');
      expect(error.message).toContain(`npx tsx examples/paid-api.ts finish ${apiUrl}/report ${requirement_id}`);
      expect(error.message).not.toMatch(/buy again only/i);

      // What the message tells the buyer to do (later, with the network back) gets what was paid for, paying nothing more.
      const direct = new DirectRequestPaymentClient({ base_url: sandbox.api_base, auth_token: sandbox.buyer_token });
      expect(await finishPayment(`${apiUrl}/report`, requirement_id, direct, { attempts: 20, interval_ms: 50 })).toMatchObject({
        requirement_id, challenge_hash, status: 200, body: { report: 'the paid content', challenge_hash },
      });
      expect(confirmed()).toHaveLength(1);
      // collect alone still serves it once more? No: served once; collect now says it is gone, and pays nothing.
      expect(await collectReport(`${apiUrl}/report`, challenge_hash, { attempts: 2, interval_ms: 1 })).toMatchObject({ outcome: 'gone' });
      expect(confirmed()).toHaveLength(1);
    } finally {
      await close();
    }
  });

  it('a payment call that times out before Siglume got it also ends with the collect command, and collect answers "not yet" (402 payment_pending)', async () => {
    const { buyReport, collectReport, finishPayment, buyer, sandbox, apiUrl, merchant, confirmed, close } = await behindProxy(false, 'stall');
    try {
      const limit = { max_amount_minor: 1000, currency: 'JPY', merchant, attempts: 3, interval_ms: 1 } as const;
      const error = (await buyReport(`${apiUrl}/report`, buyer, limit).catch((e: unknown) => e)) as Unknown;
      expect(confirmed()).toHaveLength(0);
      expect(error.outcome).toBe('payment_unknown');
      const hash = error.paid!.challenge_hash;
      const requirement_id = error.paid!.requirement_id;
      // "requires_payment" is no proof: the call may still land. The way out pays this requirement at most once.
      expect(error.message).toContain(`npx tsx examples/paid-api.ts finish ${apiUrl}/report ${requirement_id}`);
      expect(error.message).toContain('is no reason to buy again');
      expect(await collectReport(`${apiUrl}/report`, hash, { attempts: 2, interval_ms: 1 })).toEqual({ outcome: 'not_yet', last: 'HTTP 402 payment_pending' });
      const direct = new DirectRequestPaymentClient({ base_url: sandbox.api_base, auth_token: sandbox.buyer_token });
      expect(await finishPayment(`${apiUrl}/report`, requirement_id, direct, { attempts: 20, interval_ms: 50 })).toMatchObject({
        requirement_id, challenge_hash: hash, status: 200, body: { report: 'the paid content' },
      });
      expect(confirmed()).toHaveLength(1); // paid once, by finish
      // Finishing again pays nothing more.
      await finishPayment(`${apiUrl}/report`, requirement_id, direct, { attempts: 2, interval_ms: 1 }).catch(() => undefined);
      expect(confirmed()).toHaveLength(1);
    } finally {
      await close();
    }
  });

  it('a payment call refused at connect (closed loopback port) sent nothing: the SiglumeConnectionError as it is, may_have_acted false, no collect command', async () => {
    const { buyReport, sandbox, apiUrl, merchant, confirmed, close } = await behindProxy(false, 'stall');
    const closed = await listen(() => {});
    await closed.close(); // nothing listens on that port any more
    const real = new DirectRequestPaymentClient({ base_url: sandbox.api_base, auth_token: sandbox.buyer_token });
    const nowhere = new DirectRequestPaymentClient({ base_url: `${closed.url}/v1`, auth_token: sandbox.buyer_token, max_retries: 0 });
    // The requirement is created at Siglume; only the payment call goes to the closed port.
    const buyer = {
      createPaymentRequirement: real.createPaymentRequirement.bind(real),
      executePaymentTransaction: nowhere.executePaymentTransaction.bind(nowhere),
    } as unknown as DirectRequestPaymentClient;
    try {
      const limit = { max_amount_minor: 1000, currency: 'JPY', merchant, attempts: 3, interval_ms: 1 } as const;
      const error = (await buyReport(`${apiUrl}/report`, buyer, limit).catch((e: unknown) => e)) as Unknown;
      expect(confirmed()).toHaveLength(0);
      expect(error).toBeInstanceOf(SiglumeConnectionError);
      expect((error as SiglumeConnectionError).may_have_acted).toBe(false);
      expect(error.outcome).toBeUndefined();
      expect(error.message).not.toMatch(/PAID|examples\/paid-api\.ts collect/);
    } finally {
      await close();
    }
  });

  it('a payment Siglume refused (4xx) is not reported as possibly paid: the API error as it is, no collect command', async () => {
    const { buyReport, buyer, apiUrl, merchant, confirmed, close } = await behindProxy(false, 'refuse');
    try {
      const limit = { max_amount_minor: 1000, currency: 'JPY', merchant, attempts: 3, interval_ms: 1 } as const;
      const error = (await buyReport(`${apiUrl}/report`, buyer, limit).catch((e: unknown) => e)) as Unknown;
      expect(confirmed()).toHaveLength(0);
      expect(error).toBeInstanceOf(SiglumeApiError);
      expect((error as SiglumeApiError).status).toBe(422);
      expect(error.outcome).toBeUndefined();
      expect(error.message).not.toMatch(/PAID|collect/);
    } finally {
      await close();
    }
  });
});

describe('examples/paid-api.ts: collect stops by itself at its 2-minute bound', () => {
  /** An API that answers "not yet" (402 payment_pending), each try taking 10 s on a fake clock; the 51st try would be served. */
  async function neverYet() {
    const clock = { t: Date.parse('2026-01-01T00:00:00Z') };
    const terms = { merchant: 'report_shop', amount_minor: 600, currency: 'JPY', challenge: 'siglume-external-402-v1:n:ab', challenge_hash: 'sha256:x' };
    let requests = 0;
    const api = await listen((req, res) => {
      if (req.headers['x-payment-challenge-hash'] === undefined) {
        return void res.writeHead(402, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'payment_required', payment: terms }));
      }
      requests++;
      clock.t += 10_000;
      // The test's own bound: a collect that ignored its 2 minutes would be served here instead of stopping.
      if (requests > 50) return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"report":"the paid content"}');
      res.writeHead(402, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'payment_pending', payment: terms }));
    });
    return { api, clock, requests: () => requests };
  }

  it('collectReport: "not yet" after 2 minutes of tries (12 of 10 s each), however many attempts it was allowed', async () => {
    const { collectReport } = (await import(join(root, 'examples/paid-api.ts'))) as PaidApiModule;
    const { api, clock, requests } = await neverYet();
    try {
      const result = await collectReport(`${api.url}/report`, 'sha256:x', { attempts: 1000, interval_ms: 1, now: () => clock.t });
      expect(result).toEqual({ outcome: 'not_yet', last: 'HTTP 402 payment_pending' });
      expect(requests()).toBe(12);
    } finally {
      await api.close();
    }
  });

  it('buyReport: the paid-but-not-served error, "not served yet", with the collect command', async () => {
    const { buyReport } = (await import(join(root, 'examples/paid-api.ts'))) as PaidApiModule;
    const { api, clock, requests } = await neverYet();
    const buyer = {
      createPaymentRequirement: async () => ({ requirement_id: 'dpr_1' }),
      executePaymentTransaction: async () => ({}),
    } as unknown as DirectRequestPaymentClient;
    try {
      const limit = { max_amount_minor: 1000, currency: 'JPY', merchant: 'report_shop', attempts: 1000, interval_ms: 1, now: () => clock.t } as const;
      const error = (await buyReport(`${api.url}/report`, buyer, limit).catch((e: unknown) => e)) as Error & { outcome?: string };
      expect(requests()).toBe(12);
      expect(error.outcome).toBe('not_yet');
      expect(error.message).toContain('PAID 600 JPY to report_shop (requirement dpr_1, challenge sha256:x) but not served yet: the last answer was HTTP 402 payment_pending');
      expect(error.message).toContain(`npx tsx examples/paid-api.ts collect ${api.url}/report sha256:x`);
    } finally {
      await api.close();
    }
  });
});

describe('examples/paid-api.ts: collect tries again only while the answer means "not yet"', () => {
  it('goes on past a 503 and a 429 (waiting its Retry-After) to the 200', async () => {
    const { collectReport } = (await import(join(root, 'examples/paid-api.ts'))) as PaidApiModule;
    const at: number[] = [];
    const api = await listen((_req, res) => {
      at.push(Date.now());
      if (at.length === 1) return void res.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"internal_error"}');
      if (at.length === 2) return void res.writeHead(429, { 'retry-after': '1' }).end('{"error":"rate_limited"}');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"report":"the paid content"}');
    });
    try {
      expect(await collectReport(`${api.url}/report`, 'sha256:x', { attempts: 5, interval_ms: 1 })).toEqual({ body: { report: 'the paid content' } });
      expect(at).toHaveLength(3);
      expect(at[2]! - at[1]!).toBeGreaterThanOrEqual(950);
    } finally {
      await api.close();
    }
  });
});

describe('examples/paid-api.ts: the buyer whose paid answer is lost', () => {
  const terms = { merchant: 'report_shop', amount_minor: 600, currency: 'JPY', challenge: 'siglume-external-402-v1:n:ab', challenge_hash: 'sha256:x' };
  const cases: Array<[string, (res: import('node:http').ServerResponse) => void]> = [
    [
      'cut off mid-body',
      (res) => {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': '1000' });
        res.write('{"report":"the paid');
        setTimeout(() => res.destroy(), 20);
      },
    ],
    ['not JSON', (res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>oops</html>')],
  ];

  it.each(cases)('gets PaidNotServedError naming what it paid and the seller to ask, for a 200 %s', async (_name, answer) => {
    const { buyReport } = (await import(join(root, 'examples/paid-api.ts'))) as PaidApiModule;
    let requests = 0;
    const api = await listen((_req, res) => {
      if (++requests === 1) return void res.writeHead(402, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'payment_required', payment: terms }));
      answer(res);
    });
    const buyer = {
      createPaymentRequirement: async () => ({ requirement_id: 'dpr_1' }),
      executePaymentTransaction: async () => ({}),
    } as unknown as DirectRequestPaymentClient;
    try {
      const limit = { max_amount_minor: 1000, currency: 'JPY', merchant: 'report_shop', attempts: 5, interval_ms: 1 } as const;
      const error = (await buyReport(`${api.url}/report`, buyer, limit).catch((e: unknown) => e)) as Error & { outcome?: string };
      // The API counted it as served, so asking again cannot get it: one paid request, then the seller.
      expect(requests).toBe(1 + 1);
      expect(error.name).toBe('Error');
      expect(error.outcome).toBe('gone');
      expect(error.message).toContain('PAID 600 JPY to report_shop (requirement dpr_1, challenge sha256:x) but not served');
      expect(error.message).toContain('HTTP 200 with its body cut off or unreadable');
      expect(error.message).toContain('Ask the seller to serve or refund requirement dpr_1');
      expect(error.message).toContain(`getPaymentRequirement('dpr_1')`);
      expect(error.message).not.toContain('examples/paid-api.ts collect');
    } finally {
      await api.close();
    }
  });
});

describe('examples/paid-api.ts: options are checked when the API is built', () => {
  const config = {
    merchant: 'report_shop',
    challenge_secret: 'sdrp_cs_example_test',
    webhook_secret: TEST_WEBHOOK_SECRET,
    amount_minor: 600,
    currency: 'JPY',
  } as const;
  // 0 expires every challenge at once; a huge one keeps every challenge (memory) for ever.
  const bad: Array<[string, unknown]> = [
    ['negative', -60],
    ['zero', 0],
    ['under 30 seconds', 29],
    ['NaN', Number.NaN],
    ['fractional', 90.5],
    ['a string', '900'],
    ['over a day', 86_401],
    ['Infinity', Number.POSITIVE_INFINITY],
  ];

  it.each(bad)('refuses a challenge_ttl_seconds that is %s, naming it and the allowed range', async (_name, value) => {
    const { createPaidApi } = (await import(join(root, 'examples/paid-api.ts'))) as PaidApiModule;
    expect(() => createPaidApi({ ...config, challenge_ttl_seconds: value as number })).toThrow(
      /^challenge_ttl_seconds must be a whole number from 30 to 86400, got /,
    );
  });

  it('accepts challenge_ttl_seconds at both ends of the range, and none at all', async () => {
    const { createPaidApi } = (await import(join(root, 'examples/paid-api.ts'))) as PaidApiModule;
    for (const challenge_ttl_seconds of [30, 86_400, undefined]) {
      expect(createPaidApi({ ...config, challenge_ttl_seconds }).challenges.size).toBe(0);
    }
  });

  it.each([
    ['max_processed_events', 0, '1 to 1000000'],
    ['max_processed_events', 10.5, '1 to 1000000'],
    ['max_handled_payments', 0, '1 to 1000000'],
    ['max_reviews', 1_000_001, '1 to 1000000'],
    ['max_reviews', '100', '1 to 1000000'],
    ['paid_challenge_retention_seconds', 3_599, '3600 to 7776000'],
    ['paid_challenge_retention_seconds', 7_776_001, '3600 to 7776000'],
    ['paid_challenge_retention_seconds', Number.NaN, '3600 to 7776000'],
  ] as const)('refuses %s = %s, naming it and the allowed range (%s)', async (name, value, range) => {
    const { createPaidApi } = (await import(join(root, 'examples/paid-api.ts'))) as PaidApiModule;
    expect(() => createPaidApi({ ...config, [name]: value })).toThrow(new RegExp(`^${name} must be a whole number from ${range}, got `));
  });

  it.each([
    [300, 'JPY', 'micro'],
    [49, 'JPY', 'nano'],
    [300, 'USD', 'micro'],
  ] as const)('refuses %s %s (a %s price) without allow_metered_payments: every payment would go to review', async (amount_minor, currency, band) => {
    const { createPaidApi } = (await import(join(root, 'examples/paid-api.ts'))) as PaidApiModule;
    const start = () => createPaidApi({ ...config, amount_minor, currency });
    expect(start).toThrow(RangeError);
    expect(start).toThrow(new RegExp(`^amount_minor ${amount_minor} ${currency} is a ${band} price.*allow_metered_payments`));
    expect(createPaidApi({ ...config, amount_minor, currency, allow_metered_payments: true }).challenges.size).toBe(0);
  });
});

describe('examples/paid-api.ts: bad input is a 4xx; challenges expire, are limited per client and capped', () => {
  async function paidApiAlone(extra: Partial<Parameters<PaidApiModule['createPaidApi']>[0]> = {}) {
    const mod = (await import(join(root, 'examples/paid-api.ts'))) as PaidApiModule;
    const logs: string[] = [];
    const api = mod.createPaidApi({
      merchant: 'report_shop',
      challenge_secret: 'sdrp_cs_example_test',
      webhook_secret: TEST_WEBHOOK_SECRET,
      amount_minor: 600,
      currency: 'JPY',
      log: (line) => logs.push(line),
      ...extra,
    });
    const http = await listen(api.listener);
    return { ...mod, api, logs, ...http };
  }

  it('answers 413 payload_too_large to a webhook body over 64 KiB, and closes the connection', async () => {
    const { url, logs, close } = await paidApiAlone();
    try {
      const res = await fetch(`${url}/webhooks/siglume`, { method: 'POST', body: 'x'.repeat(70 * 1024) });
      expect(res.status).toBe(413);
      expect(res.headers.get('connection')).toBe('close');
      expect(await res.json()).toEqual({ error: 'payload_too_large' });
      expect(logs).toEqual([]);
    } finally {
      await close();
    }
  });

  it('answers 400, never 500, to a webhook body that stops halfway', async () => {
    const { url, logs, close } = await paidApiAlone();
    try {
      const { port } = new URL(url);
      const answer = await new Promise<string>((resolve) => {
        const socket = connect(Number(port), '127.0.0.1', () => {
          // 100 bytes announced, 10 sent, then the sender is done.
          socket.end('POST /webhooks/siglume HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n0123456789');
        });
        let received = '';
        socket.on('data', (d) => (received += d));
        socket.on('error', () => {});
        socket.on('close', () => resolve(received));
        setTimeout(() => (socket.destroy(), resolve(received)), 5_000);
      });
      expect(answer.split('\r\n')[0]).toBe('HTTP/1.1 400 Bad Request');
      await new Promise((r) => setTimeout(r, 50));
      expect(logs).toEqual([]);
    } finally {
      await close();
    }
  });

  it('forgets unpaid challenges past challenge_ttl_seconds, keeps a paid one until served, and reviews a payment for a forgotten one', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const { CHALLENGE_HASH_HEADER, api, url, logs, close } = await paidApiAlone({
      challenge_ttl_seconds: 60,
      now: () => clock,
    });
    const challengeOf = async (headers: Record<string, string> = {}) => {
      const res = await fetch(`${url}/report`, { headers });
      return ((await res.json()) as { payment: { challenge_hash: string } }).payment.challenge_hash;
    };
    const pay = async (challenge_hash: string) => {
      const { raw_body, header, event } = await createStandardSettledTestEvent({
        merchant: 'report_shop',
        amount_minor: 600,
        currency: 'JPY',
        data: { challenge_hash },
      });
      const res = await fetch(`${url}/webhooks/siglume`, { method: 'POST', headers: { 'siglume-signature': header }, body: raw_body });
      expect(res.status).toBe(204);
      return event;
    };
    try {
      const paid = await challengeOf();
      const unpaid = [await challengeOf(), await challengeOf()];
      await pay(paid);
      expect(api.challenges.size).toBe(3);

      clock += 61_000;
      // An expired challenge presented again is not pending any more: a new one is issued, and the expired ones go.
      const fresh = await challengeOf({ [CHALLENGE_HASH_HEADER]: unpaid[0]! });
      expect(fresh).not.toBe(unpaid[0]);
      expect([...api.challenges.keys()].sort()).toEqual([paid, fresh].sort());

      // The paid one is still the buyer's.
      const served = await fetch(`${url}/report`, { headers: { [CHALLENGE_HASH_HEADER]: paid } });
      expect(served.status).toBe(200);

      // Money for a forgotten challenge is not lost silently: it goes to review, with what a person needs to serve
      // or refund it (this API keeps no copy of the event, and Siglume has no lookup by event id), and a log line.
      const late = await pay(unpaid[1]!);
      const requirementId = late.data.requirement_id as string;
      expect(api.reviews).toEqual([
        {
          event_id: late.id,
          reason: expect.stringContaining('unknown or expired'),
          requirement_id: requirementId,
          challenge_hash: unpaid[1],
        },
      ]);
      const line = new RegExp(`^webhook ${late.id}: not accepted \\(.*\\); to review, requirement ${requirementId}, challenge ${unpaid[1]}$`);
      expect(logs).toContainEqual(expect.stringMatching(line));
      // It is not served by the API on its own: the forgotten challenge gets a new price.
      expect(await challengeOf({ [CHALLENGE_HASH_HEADER]: unpaid[1]! })).not.toBe(unpaid[1]);
    } finally {
      await close();
    }
  });

  it('answers 410 already_served to a hash it served, storing no new challenge; collect on it stops at once: "ask the seller"', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const { CHALLENGE_HASH_HEADER, collectReport, api, url, close } = await paidApiAlone({ challenge_ttl_seconds: 60, now: () => clock });
    const challengeOf = async () => ((await (await fetch(`${url}/report`)).json()) as { payment: { challenge_hash: string } }).payment.challenge_hash;
    try {
      const paid = await challengeOf();
      const { raw_body, header } = await createStandardSettledTestEvent({ merchant: 'report_shop', amount_minor: 600, currency: 'JPY', data: { challenge_hash: paid } });
      expect((await fetch(`${url}/webhooks/siglume`, { method: 'POST', headers: { 'siglume-signature': header }, body: raw_body })).status).toBe(204);
      expect(await collectReport(`${url}/report`, paid, { attempts: 3, interval_ms: 1 })).toMatchObject({ body: { report: 'the paid content' } });

      // Served: 410 every time, and nothing is stored for it.
      const stored = api.challenges.size;
      for (let i = 0; i < 3; i++) {
        const again = await fetch(`${url}/report`, { headers: { [CHALLENGE_HASH_HEADER]: paid } });
        expect([again.status, await again.json()]).toEqual([410, { error: 'already_served' }]);
      }
      expect(api.challenges.size).toBe(stored);
      const served = await collectReport(`${url}/report`, paid, { attempts: 20, interval_ms: 1 });
      expect(served).toMatchObject({ outcome: 'gone', last: expect.stringMatching(/^HTTP 410: .*ask the seller/) });
      expect(api.challenges.size).toBe(stored);
    } finally {
      await close();
    }
  });

  it('collect on a challenge the API forgot (its webhook refused, then expired) ends after one request: "ask the seller", quota kept', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const mod = (await import(join(root, 'examples/paid-api.ts'))) as PaidApiModule;
    const api = mod.createPaidApi({
      merchant: 'report_shop',
      challenge_secret: 'sdrp_cs_example_test',
      webhook_secret: TEST_WEBHOOK_SECRET,
      amount_minor: 600,
      currency: 'JPY',
      challenge_ttl_seconds: 60,
      challenges_per_client_per_minute: 20,
      now: () => clock,
    });
    let requests = 0;
    const http = await listen((req, res) => (requests++, api.listener(req, res)));
    try {
      const first = (await (await fetch(`${http.url}/report`)).json()) as { payment: { challenge_hash: string } };
      const forgotten = first.payment.challenge_hash; // paid, but its webhook was refused for good: still 'issued'
      clock += 61_000; // expired unpaid
      const stored = api.challenges.size;
      requests = 0;
      const result = await mod.collectReport(`${http.url}/report`, forgotten, { attempts: 20, interval_ms: 1 });
      expect(requests).toBe(1);
      expect(result).toMatchObject({ outcome: 'gone', last: expect.stringMatching(/^HTTP 402 payment_required: the API no longer holds this challenge as paid and unserved.*ask the seller/) });
      // The one request is one new price at most (the expired challenge is purged as it is issued), not 20.
      expect(api.challenges.size).toBe(stored);
      // The client's challenges per minute are not used up by collect: a plain request still gets a price.
      expect((await fetch(`${http.url}/report`)).status).toBe(402);
    } finally {
      await http.close();
    }
  });

  /** GET /report as a buyer would see it: the status, the Retry-After header and the JSON body. */
  async function getReport(url: string, headers: Record<string, string> = {}) {
    const res = await fetch(`${url}/report`, { headers });
    const body = (await res.json()) as { error: string; payment?: { challenge_hash: string } };
    return { status: res.status, retry_after: res.headers.get('retry-after'), body };
  }

  it('answers 429 with Retry-After to a client past its challenges per minute, and issues again once the minute is over', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const { CHALLENGE_HASH_HEADER, api, url, close } = await paidApiAlone({
      challenges_per_client_per_minute: 3,
      now: () => clock,
    });
    try {
      const first = await getReport(url);
      for (let i = 0; i < 2; i++) expect((await getReport(url)).status).toBe(402);
      // The fourth new challenge from this address within the minute: refused, and nothing stored.
      expect(await getReport(url)).toEqual({ status: 429, retry_after: '60', body: { error: 'rate_limited' } });
      expect(api.challenges.size).toBe(3);
      // A buyer waiting for its webhook asks again with its challenge: that is no new challenge, so not limited.
      const pending = await getReport(url, { [CHALLENGE_HASH_HEADER]: first.body.payment!.challenge_hash });
      expect([pending.status, pending.body.error]).toEqual([402, 'payment_pending']);

      clock += 30_000;
      expect(await getReport(url)).toMatchObject({ status: 429, retry_after: '30' });
      clock += 30_000;
      expect(await getReport(url)).toMatchObject({ status: 402, body: { error: 'payment_required' } });
      expect(api.challenges.size).toBe(4);
    } finally {
      await close();
    }
  });

  it('starts a new minute when the clock steps back (NTP): the limit still holds and Retry-After is never over 60', async () => {
    let clock = Date.parse('2026-01-01T00:10:00Z');
    const { url, close } = await paidApiAlone({ challenges_per_client_per_minute: 2, now: () => clock });
    try {
      for (let i = 0; i < 2; i++) expect((await getReport(url)).status).toBe(402);
      expect(await getReport(url)).toMatchObject({ status: 429, retry_after: '60' });

      clock -= 10 * 60_000;
      const statuses: Array<[number, string | null]> = [];
      for (let i = 0; i < 3; i++) {
        const { status, retry_after } = await getReport(url);
        statuses.push([status, retry_after]);
      }
      expect(statuses).toEqual([
        [402, null],
        [402, null],
        [429, '60'],
      ]);
    } finally {
      await close();
    }
  });

  it('limits each client on its own: clientKey (here an API key header) tells them apart', async () => {
    const { url, close } = await paidApiAlone({
      challenges_per_client_per_minute: 2,
      clientKey: (req) => String(req.headers['x-api-key']),
    });
    try {
      const statuses: string[] = [];
      for (const key of ['alice', 'alice', 'alice', 'bob', 'bob', 'bob', 'alice']) {
        statuses.push(`${key} ${(await getReport(url, { 'x-api-key': key })).status}`);
      }
      expect(statuses).toEqual(['alice 402', 'alice 402', 'alice 429', 'bob 402', 'bob 402', 'bob 429', 'alice 429']);
    } finally {
      await close();
    }
  });

  it('limits by default per remote address, an IPv6 one by its /64: one host holds a whole /64', async () => {
    const mod = (await import(join(root, 'examples/paid-api.ts'))) as PaidApiModule;
    const api = mod.createPaidApi({
      merchant: 'report_shop',
      challenge_secret: 'sdrp_cs_example_test',
      webhook_secret: TEST_WEBHOOK_SECRET,
      amount_minor: 600,
      currency: 'JPY',
      challenges_per_client_per_minute: 2,
    });
    // Loopback has a single IPv6 address, so the test server shows the API the address the test names.
    const { url, close } = await listen((req, res) => {
      const address = String(req.headers['x-test-address']);
      Object.defineProperty(req.socket, 'remoteAddress', { value: address, configurable: true });
      api.listener(req, res);
    });
    try {
      const statuses: string[] = [];
      for (const address of ['2001:db8::1', '2001:db8::2', '2001:db8::3', '2001:db8:0:1::1', '::ffff:127.0.0.1', '127.0.0.1', '127.0.0.1']) {
        statuses.push(`${address} ${(await getReport(url, { 'x-test-address': address })).status}`);
      }
      expect(statuses).toEqual([
        '2001:db8::1 402',
        '2001:db8::2 402',
        '2001:db8::3 429', // the same /64: the same client
        '2001:db8:0:1::1 402', // the next /64: another client
        '::ffff:127.0.0.1 402', // an IPv4 client as a dual-stack server sees it
        '127.0.0.1 402',
        '127.0.0.1 429', // the same IPv4 client
      ]);
    } finally {
      await close();
    }
  });

  it('keys an address: IPv6 by its /64 however it is written, IPv4-mapped as IPv4, anything else as it is', async () => {
    const { addressKey } = (await import(join(root, 'examples/paid-api.ts'))) as PaidApiModule;
    const cases: Array<[string | undefined, string]> = [
      ['2001:db8::1', '2001:db8:0:0::/64'],
      ['2001:0DB8:0000:0000:ffff:0:0:1', '2001:db8:0:0::/64'],
      ['2001:db8:0:1::1', '2001:db8:0:1::/64'],
      ['::1:2:3:4:5:6:7', '0:1:2:3::/64'], // the :: stands for the first group
      ['2001:db8:1:2:3::', '2001:db8:1:2::/64'],
      ['fe80::1%eth0', 'fe80:0:0:0::/64'],
      ['64:ff9b::192.0.2.1', '64:ff9b:0:0::/64'],
      ['::ffff:127.0.0.1', '127.0.0.1'],
      ['::FFFF:192.0.2.1', '192.0.2.1'],
      ['192.0.2.1', '192.0.2.1'],
      ['not an address', 'not an address'],
      ['2001:db8::1::2', '2001:db8::1::2'],
      [undefined, 'unknown'],
    ];
    for (const [address, key] of cases) expect([address, addressKey(address)]).toEqual([address, key]);
  });

  it('does not count a 503 against the client: a buyer retrying while the store is full gets 503, not 429, then a 402', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const { api, url, close } = await paidApiAlone({
      max_live_challenges: 1,
      challenges_per_client_per_minute: 2,
      challenge_ttl_seconds: 30,
      clientKey: (req) => String(req.headers['x-api-key']),
      now: () => clock,
    });
    try {
      expect((await getReport(url, { 'x-api-key': 'a' })).status).toBe(402);
      clock += 1_000;
      // One more try than the buyer's limit: no challenge was stored for any, so none is counted.
      for (let i = 0; i < 3; i++) {
        expect(await getReport(url, { 'x-api-key': 'b' })).toEqual({
          status: 503,
          retry_after: '29',
          body: { error: 'challenge_capacity_reached' },
        });
      }
      // The stored challenge expires, within the same minute of the buyer's limit: there is room, and it is served.
      clock += 30_000;
      expect(await getReport(url, { 'x-api-key': 'b' })).toMatchObject({ status: 402, body: { error: 'payment_required' } });
      expect(api.challenges.size).toBe(1);
    } finally {
      await close();
    }
  });

  /** Delivers a signed event to the API's webhook route, as Siglume would. */
  const postEvent = (url: string, e: { raw_body: string; header: string }) =>
    fetch(`${url}/webhooks/siglume`, { method: 'POST', headers: { 'siglume-signature': e.header }, body: e.raw_body });

  /** Pays `challenge_hash` through the API's webhook route, as Siglume would confirm it. */
  async function payWebhook(url: string, challenge_hash: string) {
    const event = await createStandardSettledTestEvent({ merchant: 'report_shop', amount_minor: 600, currency: 'JPY', data: { challenge_hash } });
    expect((await postEvent(url, event)).status).toBe(204);
  }

  it('answers 503 once max_live_challenges unpaid ones are stored, whoever asks, with Retry-After from the oldest unpaid one, and evicts none', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const { CHALLENGE_HASH_HEADER, api, url, close } = await paidApiAlone({
      max_live_challenges: 3,
      challenge_ttl_seconds: 60,
      clientKey: (req) => String(req.headers['x-api-key']),
      now: () => clock,
    });
    try {
      const hashes: string[] = [];
      for (const key of ['a', 'b', 'c']) {
        hashes.push((await getReport(url, { 'x-api-key': key })).body.payment!.challenge_hash);
      }
      await payWebhook(url, hashes[0]!);

      clock += 10_000;
      // The paid one does not count, so a fourth client gets a challenge; a fifth finds three unpaid ones stored,
      // and the oldest unpaid one (b's, not the paid one) expires in 50 s.
      hashes.push((await getReport(url, { 'x-api-key': 'd' })).body.payment!.challenge_hash);
      expect(await getReport(url, { 'x-api-key': 'e' })).toEqual({
        status: 503,
        retry_after: '50',
        body: { error: 'challenge_capacity_reached' },
      });
      expect([...api.challenges.keys()]).toEqual(hashes);
      expect((await fetch(`${url}/report`, { headers: { [CHALLENGE_HASH_HEADER]: hashes[0]! } })).status).toBe(200);

      // Once b's and c's expire there is room again; they are forgotten, and so is the served one.
      clock += 51_000;
      const fresh = (await getReport(url, { 'x-api-key': 'e' })).body.payment!.challenge_hash;
      expect([...api.challenges.keys()]).toEqual([hashes[3], fresh]);
    } finally {
      await close();
    }
  });

  it('never lets paid challenges fill max_live_challenges: a payment costs real money, and the buyer may collect it a day later', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const { CHALLENGE_HASH_HEADER, api, url, close } = await paidApiAlone({
      max_live_challenges: 2,
      challenge_ttl_seconds: 60,
      clientKey: (req) => String(req.headers['x-api-key']),
      now: () => clock,
    });
    try {
      // Two challenges paid and never fetched: as many as the cap.
      const paid: string[] = [];
      for (const key of ['a', 'b']) paid.push((await getReport(url, { 'x-api-key': key })).body.payment!.challenge_hash);
      for (const hash of paid) await payWebhook(url, hash);

      // New clients still get challenges, now and long after the paid ones' expiry (not 503 with Retry-After: 1 for ever).
      for (const [key, step] of [['c', 10_000], ['d', 0], ['e', 3_600_000], ['f', 0]] as const) {
        clock += step;
        expect(await getReport(url, { 'x-api-key': key })).toMatchObject({ status: 402, body: { error: 'payment_required' } });
      }
      // Two unpaid ones are the cap: Retry-After counts to the older one's expiry (e's, 60 s from now).
      expect(await getReport(url, { 'x-api-key': 'g' })).toMatchObject({ status: 503, retry_after: '60' });

      // A day later the paid ones are still their buyers', once each; served, they are forgotten with the expired unpaid ones.
      clock += 86_400_000;
      for (const hash of paid) {
        expect((await getReport(url, { [CHALLENGE_HASH_HEADER]: hash })).status).toBe(200);
      }
      const fresh = (await getReport(url, { 'x-api-key': 'g' })).body.payment!.challenge_hash;
      expect([...api.challenges.keys()]).toEqual([fresh]);
    } finally {
      await close();
    }
  });

  it('forgets the oldest processed event ids past max_processed_events; a payment redelivered after that serves nothing twice and records nothing new', async () => {
    // One handled payment remembered too, so the challenge's own status is what finds the redelivery.
    const { CHALLENGE_HASH_HEADER, api, url, logs, close } = await paidApiAlone({ max_processed_events: 1, max_handled_payments: 1 });
    try {
      const [h0, h1, h2] = [await getReport(url), await getReport(url), await getReport(url)].map((r) => r.body.payment!.challenge_hash);
      const first = await createStandardSettledTestEvent({ merchant: 'report_shop', amount_minor: 600, currency: 'JPY', data: { challenge_hash: h0! } });
      const { requirement_id } = first.event.data as { requirement_id: string };
      expect((await postEvent(url, first)).status).toBe(204);
      await payWebhook(url, h1!); // one id kept: the first event's is forgotten
      const redelivered = `webhook ${first.event.id}: requirement ${requirement_id} is handled already (a redelivery), ignored`;

      // Redelivered while paid and not served yet: still paid once, by the same requirement.
      expect((await postEvent(url, first)).status).toBe(204);
      expect(api.challenges.get(h0!)).toMatchObject({ status: 'paid', requirement_id });
      expect((await getReport(url, { [CHALLENGE_HASH_HEADER]: h0! })).status).toBe(200);

      // Forgotten again, then redelivered once served: not paid again, so not served again.
      await payWebhook(url, h2!);
      expect((await postEvent(url, first)).status).toBe(204);
      expect(api.challenges.get(h0!)).toMatchObject({ status: 'served', requirement_id });
      expect(await getReport(url, { [CHALLENGE_HASH_HEADER]: h0! })).toMatchObject({ status: 410, body: { error: 'already_served' } });
      expect(logs.filter((l) => l === redelivered)).toHaveLength(2);
      expect(api.reviews).toEqual([]);
    } finally {
      await close();
    }
  });

  it('keeps the newest max_reviews reviews, and logs every review as it is made, so none is lost from the log', async () => {
    const { api, url, logs, close } = await paidApiAlone({ max_reviews: 2 });
    try {
      const events = [];
      for (let i = 0; i < 3; i++) {
        // Payments for challenges this API never issued: each goes to review.
        const challenge_hash = `sha256:${String(i).repeat(64)}`;
        const e = await createStandardSettledTestEvent({ merchant: 'report_shop', amount_minor: 600, currency: 'JPY', data: { challenge_hash } });
        const res = await postEvent(url, e);
        expect(res.status).toBe(204);
        events.push({ id: e.event.id, requirement_id: (e.event.data as { requirement_id: string }).requirement_id, challenge_hash });
      }
      expect(api.reviews.map((r) => r.event_id)).toEqual([events[1]!.id, events[2]!.id]);
      for (const e of events) {
        expect(logs.find((l) => l.startsWith(`webhook ${e.id}: not accepted`))).toContain(`requirement ${e.requirement_id}, challenge ${e.challenge_hash}`);
      }
    } finally {
      await close();
    }
  });

  it('logs to stderr when no log is given, so a review pushed out past max_reviews is still on record', async () => {
    const stderr: string[] = [];
    const spy = vi.spyOn(console, 'error').mockImplementation((...args: unknown[]) => void stderr.push(args.join(' ')));
    const { api, url, close } = await paidApiAlone({ max_reviews: 1, log: undefined });
    try {
      const reviewed = [];
      for (let i = 0; i < 2; i++) {
        // A buyer token paying tiny amounts for challenges this API never issued pushes reviews out.
        const challenge_hash = `sha256:${String(i).repeat(64)}`;
        const e = await createStandardSettledTestEvent({ merchant: 'report_shop', amount_minor: 600, currency: 'JPY', data: { challenge_hash } });
        const res = await postEvent(url, e);
        expect(res.status).toBe(204);
        reviewed.push({ id: e.event.id, requirement_id: (e.event.data as { requirement_id: string }).requirement_id, challenge_hash });
      }
      expect(api.reviews.map((r) => r.event_id)).toEqual([reviewed[1]!.id]);
      for (const r of reviewed) {
        expect(stderr.find((l) => l.startsWith(`webhook ${r.id}: not accepted`))).toContain(`requirement ${r.requirement_id}, challenge ${r.challenge_hash}`);
      }
    } finally {
      spy.mockRestore();
      await close();
    }
  });

  it('ignores a payment redelivered after its challenge was served and forgotten and its event id evicted: no review, no second serve', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const { CHALLENGE_HASH_HEADER, api, url, logs, close } = await paidApiAlone({ max_processed_events: 1, challenge_ttl_seconds: 60, now: () => clock });
    try {
      const h0 = (await getReport(url)).body.payment!.challenge_hash;
      const first = await createStandardSettledTestEvent({ merchant: 'report_shop', amount_minor: 600, currency: 'JPY', data: { challenge_hash: h0 } });
      const { requirement_id } = first.event.data as { requirement_id: string };
      expect((await postEvent(url, first)).status).toBe(204);
      expect((await getReport(url, { [CHALLENGE_HASH_HEADER]: h0 })).status).toBe(200);

      // Past its expiry the served challenge is forgotten (as the next one is issued), and another payment evicts the event id.
      clock += 61_000;
      const h1 = (await getReport(url)).body.payment!.challenge_hash;
      expect(api.challenges.has(h0)).toBe(false);
      await payWebhook(url, h1);

      // Siglume delivers the first payment again: already handled, so no review telling the seller to serve or refund it.
      expect((await postEvent(url, first)).status).toBe(204);
      expect(api.reviews).toEqual([]);
      expect(logs).toContain(`webhook ${first.event.id}: requirement ${requirement_id} is handled already (a redelivery), ignored`);
      // And nothing is served for it again: the forgotten hash gets a new price.
      expect(await getReport(url, { [CHALLENGE_HASH_HEADER]: h0 })).toMatchObject({ status: 402, body: { error: 'payment_required' } });
    } finally {
      await close();
    }
  });

  it('adds no second review for a paid challenge set aside at its retention when its payment is redelivered after the event id was evicted', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const { api, url, logs, close } = await paidApiAlone({
      max_processed_events: 1,
      paid_challenge_retention_seconds: 3_600,
      challenge_ttl_seconds: 60,
      now: () => clock,
    });
    try {
      const h0 = (await getReport(url)).body.payment!.challenge_hash;
      const first = await createStandardSettledTestEvent({ merchant: 'report_shop', amount_minor: 600, currency: 'JPY', data: { challenge_hash: h0 } });
      const { requirement_id } = first.event.data as { requirement_id: string };
      expect((await postEvent(url, first)).status).toBe(204);

      clock += 3_600_000;
      const h1 = (await getReport(url)).body.payment!.challenge_hash; // purges h0 into the reviews
      expect(api.reviews).toEqual([{ event_id: first.event.id, reason: 'paid_not_collected', requirement_id, challenge_hash: h0 }]);
      await payWebhook(url, h1); // the first event id is evicted

      expect((await postEvent(url, first)).status).toBe(204);
      expect(api.reviews).toHaveLength(1);
      expect(logs).toContain(`webhook ${first.event.id}: requirement ${requirement_id} is handled already (a redelivery), ignored`);
    } finally {
      await close();
    }
  });

  it('still accepts a valid payment of a requirement that an unprovable event named before (that review does not mark it handled)', async () => {
    const { CHALLENGE_HASH_HEADER, api, url, logs, close } = await paidApiAlone();
    try {
      const h0 = (await getReport(url)).body.payment!.challenge_hash;
      const terms = { merchant: 'report_shop', amount_minor: 600, currency: 'JPY' as const };
      const valid = await createStandardSettledTestEvent({ ...terms, data: { challenge_hash: h0 } });
      const { requirement_id } = valid.event.data as { requirement_id: string };
      // First an event for the same requirement that proves nothing (no chain receipt): set aside.
      const unprovable = await createStandardSettledTestEvent({ ...terms, data: { challenge_hash: h0, requirement_id, chain_receipt_id: null } });
      expect((await postEvent(url, unprovable)).status).toBe(204);
      expect(api.reviews).toEqual([expect.objectContaining({ event_id: unprovable.event.id, requirement_id })]);
      // Then the real confirmation: the buyer paid, so the challenge is paid and served.
      expect((await postEvent(url, valid)).status).toBe(204);
      expect(logs).toContain(`webhook ${valid.event.id}: paid ${h0}`);
      expect((await getReport(url, { [CHALLENGE_HASH_HEADER]: h0 })).status).toBe(200);
    } finally {
      await close();
    }
  });

  it('does not make the same review twice when its event is redelivered after the event id was evicted', async () => {
    const { api, url, logs, close } = await paidApiAlone({ max_processed_events: 1 });
    try {
      // Money for a challenge this API never issued: reviewed once.
      const stray = await createStandardSettledTestEvent({ merchant: 'report_shop', amount_minor: 600, currency: 'JPY', data: { challenge_hash: `sha256:${'7'.repeat(64)}` } });
      expect((await postEvent(url, stray)).status).toBe(204);
      await payWebhook(url, (await getReport(url)).body.payment!.challenge_hash); // evicts the stray event's id
      expect((await postEvent(url, stray)).status).toBe(204);
      expect(api.reviews.filter((r) => r.event_id === stray.event.id)).toHaveLength(1);
      expect(logs.some((l) => l.startsWith(`webhook ${stray.event.id}: not accepted`) && l.includes('set aside for review already (a redelivery)'))).toBe(true);
    } finally {
      await close();
    }
  });

  it('does not review an event twice when it is redelivered after its id was evicted and its reason changed meanwhile', async () => {
    const { api, url, close } = await paidApiAlone({ max_processed_events: 1 });
    try {
      const h = (await getReport(url)).body.payment!.challenge_hash;
      // A payment of 700 for a 600 challenge: reviewed ("terms differ").
      const wrong = await createStandardSettledTestEvent({ merchant: 'report_shop', amount_minor: 700, currency: 'JPY', data: { challenge_hash: h } });
      expect((await postEvent(url, wrong)).status).toBe(204);
      // The real payment of the challenge, which also evicts the first event's id.
      await payWebhook(url, h);
      // The first event again: its reason would now be "already paid", but it is the same event, reviewed once.
      expect((await postEvent(url, wrong)).status).toBe(204);
      expect(api.reviews.filter((r) => r.event_id === wrong.event.id)).toHaveLength(1);
    } finally {
      await close();
    }
  });

  it('collect on a challenge the API no longer holds says not to buy again and points at the finish command, which pays at most once', async () => {
    requireDist();
    const { url, close } = await paidApiAlone();
    try {
      const collected = await promisify(execFile)(
        join(root, 'node_modules/.bin/tsx'),
        [join(root, 'examples/paid-api.ts'), 'collect', `${url}/report`, `sha256:${'0'.repeat(64)}`],
        { cwd: root, timeout: 30_000, env: { PATH: process.env.PATH } },
      ).then(
        () => ({ code: 0, stderr: '' }),
        (e: { code: number; stderr: string }) => ({ code: e.code, stderr: e.stderr }),
      );
      expect(collected.code).toBe(1);
      expect(collected.stderr).toContain('not served, and collect cannot get it');
      expect(collected.stderr).toContain('Do not buy again');
      expect(collected.stderr).toContain('run the finish command it printed (it pays that requirement at most once)');
      expect(collected.stderr).not.toContain('requires_payment');
    } finally {
      await close();
    }
  });

  it('sets aside for review a paid challenge never collected within paid_challenge_retention_seconds, and logs it; collect then says "gone"', async () => {
    let clock = Date.parse('2026-01-01T00:00:00Z');
    const { CHALLENGE_HASH_HEADER, collectReport, api, url, logs, close } = await paidApiAlone({
      paid_challenge_retention_seconds: 3_600,
      challenge_ttl_seconds: 60,
      clientKey: (req) => String(req.headers['x-api-key']),
      now: () => clock,
    });
    try {
      const paid: Array<{ event_id: string; reason: string; requirement_id: string; challenge_hash: string }> = [];
      for (const key of ['a', 'b']) {
        const challenge_hash = (await getReport(url, { 'x-api-key': key })).body.payment!.challenge_hash;
        const e = await createStandardSettledTestEvent({ merchant: 'report_shop', amount_minor: 600, currency: 'JPY', data: { challenge_hash } });
        await postEvent(url, e);
        const { requirement_id } = e.event.data as { requirement_id: string };
        paid.push({ event_id: e.event.id, reason: 'paid_not_collected', requirement_id, challenge_hash });
      }
      // Within the retention both are still their buyers' (a new challenge for someone else purges nothing paid).
      clock += 3_599_000;
      expect((await getReport(url, { 'x-api-key': 'c' })).status).toBe(402);
      expect(api.challenges.get(paid[1]!.challenge_hash)).toMatchObject({ status: 'paid' });
      expect(api.reviews).toEqual([]);

      // Past it: b's buyer collects too late. Both are forgotten and set aside; collect stops at once, "gone".
      clock += 2_000;
      const late = await getReport(url, { 'x-api-key': 'b', [CHALLENGE_HASH_HEADER]: paid[1]!.challenge_hash });
      expect([late.status, late.body.error]).toEqual([402, 'payment_required']);
      expect(api.challenges.has(paid[0]!.challenge_hash)).toBe(false);
      expect(api.challenges.has(paid[1]!.challenge_hash)).toBe(false);
      expect([...api.reviews].sort((x, y) => x.event_id.localeCompare(y.event_id))).toEqual(paid.sort((x, y) => x.event_id.localeCompare(y.event_id)));
      for (const p of paid) {
        expect(logs).toContain(`challenge ${p.challenge_hash}: paid (requirement ${p.requirement_id}) but not collected in 3600 s, forgotten; to review: serve or refund it by hand`);
      }
      const collected = await collectReport(`${url}/report`, paid[0]!.challenge_hash, { attempts: 20, interval_ms: 1 });
      expect(collected).toMatchObject({ outcome: 'gone', last: expect.stringMatching(/^HTTP 402 payment_required: .*ask the seller/) });
    } finally {
      await close();
    }
  });

  it('logs a webhook refused for its signature, by the error code only (a wrong webhook secret shows in the log, not only as 503s)', async () => {
    const { url, logs, close } = await paidApiAlone();
    try {
      const { raw_body, header } = await createStandardSettledTestEvent({ secret: 'whsec_another_subscription' });
      const res = await fetch(`${url}/webhooks/siglume`, { method: 'POST', headers: { 'siglume-signature': header }, body: raw_body });
      // 503: the paid API's secret is wrong, not the delivery, so Siglume keeps the event.
      expect(res.status).toBe(503);
      expect(await res.json()).toEqual({ error: 'WEBHOOK_SIGNATURE_MISMATCH' });
      expect(logs).toEqual(['webhook refused (503): WEBHOOK_SIGNATURE_MISMATCH']);
    } finally {
      await close();
    }
  });
});
