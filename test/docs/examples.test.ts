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
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import ts from 'typescript';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectRequestPaymentClient, DirectRequestPaymentMerchantClient } from '../../src/index.js';
import { copyTemplate } from '../../src/init/copy-template.js';
import { startSandbox } from '../../src/sandbox/index.js';
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
  createPaidApi(config: {
    merchant: string;
    challenge_secret: string;
    webhook_secret: string;
    amount_minor: number;
    currency: 'JPY' | 'USD';
  }): {
    listener: import('node:http').RequestListener;
    challenges: ReadonlyMap<string, { status: string; requirement_id: string | null }>;
    reviews: ReadonlyArray<{ event_id: string; reason: string }>;
  };
  buyReport(
    url: string,
    buyer: DirectRequestPaymentClient,
    opts: { max_amount_minor: number },
  ): Promise<{ first_status: number; requirement_id: string; challenge_hash: string; status: number; body: unknown }>;
}

/** The example paid API on a loopback port, with a sandbox that delivers its webhooks to it. */
async function paidApiOnSandbox() {
  const mod = (await import(join(root, 'examples/paid-api.ts'))) as PaidApiModule;
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sandbox = await startSandbox({ port: 0, quiet: true, origin: apiUrl, webhook_url: `${apiUrl}/webhooks/siglume` });
  const merchant = sandbox.env.SIGLUME_DIRECT_PAYMENT_MERCHANT;
  const api = mod.createPaidApi({
    merchant,
    challenge_secret: sandbox.getMerchant(merchant)!.challenge_secret,
    webhook_secret: sandbox.env.SIGLUME_WEBHOOK_SECRET,
    amount_minor: 600,
    currency: 'JPY',
  });
  server.on('request', api.listener);
  const close = async () => {
    await sandbox.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  };
  return { ...mod, sandbox, api, apiUrl, merchant, close };
}

describe('examples/paid-api.ts against the sandbox', () => {
  it('answers 402, is paid through Siglume, serves once, and does not serve again on a redelivery', async () => {
    const { CHALLENGE_HASH_HEADER, buyReport, sandbox, api, apiUrl, merchant, close } = await paidApiOnSandbox();
    try {
      const buyer = new DirectRequestPaymentClient({ base_url: sandbox.api_base, auth_token: sandbox.buyer_token });

      const purchase = await buyReport(`${apiUrl}/report`, buyer, { max_amount_minor: 1000 });
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
      const replay = await fetch(`${apiUrl}/report`, { headers: { [CHALLENGE_HASH_HEADER]: purchase.challenge_hash } });
      expect(replay.status).toBe(402);
      expect(((await replay.json()) as { payment: { challenge_hash: string } }).payment.challenge_hash).not.toBe(purchase.challenge_hash);
      expect(api.reviews).toEqual([]);
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
