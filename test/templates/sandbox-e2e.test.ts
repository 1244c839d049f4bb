import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.js';
import { DATABASE_URL, count, createTestSchema, insertOrder, orderRow, skipPostgres, type TestSchema } from './support/pg.js';
import { TEST_MERCHANT, TEST_SECRET, TEST_TOKEN, startTestApp, type TestApp } from './support/app.js';
import { launchBrowser, skipBrowser, type Browser } from './support/browser.js';

let seq = 0;
const uid = () => `e2e_${process.pid}_${++seq}`;

/** Polls `check` until it returns true; bounded. */
async function waitFor(check: () => Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/** The shop app (template routes + PostgreSQL store) and a sandbox that knows it. */
async function startShop(db: TestSchema, allowMetered: boolean): Promise<{ app: TestApp; sandbox: SandboxHandle }> {
  let sandbox!: SandboxHandle;
  const app = await startTestApp({
    database_url: DATABASE_URL,
    schema: db.name,
    allow_metered_payments: allowMetered,
    configure: async (appUrl) => {
      sandbox = await startSandbox({
        port: 0, merchant: TEST_MERCHANT, origin: appUrl, webhook_url: `${appUrl}/payments/webhooks/siglume`,
        webhook_secret: TEST_SECRET, merchant_token: TEST_TOKEN, quiet: true,
      });
      return { siglume_api_base: sandbox.api_base };
    },
  });
  return { app, sandbox };
}

async function startCheckout(app: TestApp, orderId: string): Promise<{ checkout_url: string; session_id: string }> {
  const res = await fetch(`${app.url}/payments/checkout/siglume/start`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-test-user': 'alice' },
    body: JSON.stringify({ order_id: orderId }),
  });
  expect(res.status).toBe(200);
  return (await res.json()) as { checkout_url: string; session_id: string };
}

describe.skipIf(skipPostgres)('Express templates end to end with the sandbox', () => {
  let db: TestSchema;
  let shop: { app: TestApp; sandbox: SandboxHandle };
  let meteredShop: { app: TestApp; sandbox: SandboxHandle };
  let browser: Browser | null = null;

  beforeAll(async () => {
    db = await createTestSchema();
    shop = await startShop(db, false);
    meteredShop = await startShop(db, true);
  });
  afterAll(async () => {
    await browser?.close();
    for (const s of [shop, meteredShop]) {
      await s?.app.close();
      await s?.sandbox.close();
    }
    await db?.drop();
  });

  describe('when the buyer pays through the hosted page (HTTP)', () => {
    it('marks the order paid exactly once with the requirement id and chain receipt, and lands on the shop success page', async () => {
      const orderId = uid();
      await insertOrder(db.pool, { order_id: orderId, user_id: 'alice', amount_minor: 4200 });
      const { checkout_url, session_id } = await startCheckout(shop.app, orderId);
      expect(checkout_url.startsWith(shop.sandbox.url)).toBe(true);

      // The Pay button's form post; the 303 goes back to the shop's success page.
      const res = await fetch(`${checkout_url}/confirm`, { method: 'POST', redirect: 'follow' });
      expect(res.status).toBe(200);
      expect(new URL(res.url).pathname).toBe('/checkout/siglume/success');
      expect(await res.text()).toContain('Thank you');
      expect(shop.app.pageHits).toContain(`/checkout/siglume/success?order_id=${orderId}&session_id=${session_id}`);

      const session = shop.sandbox.getCheckoutSession(session_id)!;
      await waitFor(async () => (await orderRow(db.pool, orderId)).status === 'paid', 'the order to be paid');
      expect(await orderRow(db.pool, orderId)).toMatchObject({
        status: 'paid', requirement_id: session.requirement_id, chain_receipt_id: session.chain_receipt_id, challenge_hash: session.challenge_hash,
      });
      expect(session.requirement_id).toBeTruthy();
      expect(session.chain_receipt_id).toBeTruthy();

      // Siglume redelivers the same event: acknowledged, nothing written twice.
      const before = await orderRow(db.pool, orderId);
      const redelivered = await shop.sandbox.redeliver(session.event_id!);
      expect(redelivered.map((d) => d.response_status)).toEqual([204]);
      expect(await orderRow(db.pool, orderId)).toEqual(before);
      expect(await count(db.pool, 'siglume_webhook_events WHERE event_id = $1', [session.event_id])).toBe(1);
      expect(await count(db.pool, 'siglume_payment_reviews WHERE order_id = $1', [orderId])).toBe(0);

      // And the paid order cannot be checked out again.
      const again = await fetch(`${shop.app.url}/payments/checkout/siglume/start`, {
        method: 'POST', headers: { 'content-type': 'application/json', 'x-test-user': 'alice' }, body: JSON.stringify({ order_id: orderId }),
      });
      expect(again.status).toBe(409);
    });

    it('re-uses the first session when the buyer starts twice, and the sandbox control endpoint pays it', async () => {
      const orderId = uid();
      await insertOrder(db.pool, { order_id: orderId, user_id: 'alice', amount_minor: 9800 });
      const first = await startCheckout(shop.app, orderId);
      expect(await startCheckout(shop.app, orderId)).toEqual(first);
      const paid = await fetch(`${shop.sandbox.url}/__sandbox/checkout-sessions/${first.session_id}/pay`, { method: 'POST' });
      expect(paid.status).toBe(200);
      await waitFor(async () => (await orderRow(db.pool, orderId)).status === 'paid', 'the order to be paid');
    });
  });

  describe('when metered payments are enabled', () => {
    it('fulfils a Micro order as unsettled, then records the settled batch without touching the order', async () => {
      const orderId = uid();
      await insertOrder(db.pool, { order_id: orderId, user_id: 'alice', amount_minor: 120 });
      const { session_id } = await startCheckout(meteredShop.app, orderId);
      await meteredShop.sandbox.payCheckoutSession(session_id);
      await waitFor(async () => (await orderRow(db.pool, orderId)).status === 'fulfilled_unsettled', 'unsettled fulfilment');
      const settled = await meteredShop.sandbox.settleMeteredBatches();
      expect(settled.length).toBeGreaterThan(0);
      const batchIds = settled.map((b) => b.settlement_batch_id);
      await waitFor(async () => (await count(db.pool, 'siglume_settlement_batches WHERE settlement_batch_id = ANY($1)', [batchIds])) === batchIds.length, 'the batch row');
      expect((await orderRow(db.pool, orderId)).status).toBe('fulfilled_unsettled');
    });
  });

  describe.skipIf(skipBrowser)('when a real browser pays', () => {
    it('clicks Pay on the hosted page and arrives on the shop success page with the order paid', async () => {
      browser = await launchBrowser();
      const orderId = uid();
      await insertOrder(db.pool, { order_id: orderId, user_id: 'alice', amount_minor: 4200 });
      const { checkout_url } = await startCheckout(shop.app, orderId);
      const page = await browser.newPage();
      await page.goto(checkout_url);
      await Promise.all([page.waitForURL(`${shop.app.url}/checkout/siglume/success**`, { timeout: 15_000 }), page.click('#pay-button')]);
      expect(await page.textContent('#shop-page')).toBe('Thank you');
      await waitFor(async () => (await orderRow(db.pool, orderId)).status === 'paid', 'the order to be paid');
      expect(shop.app.pageHits.some((h) => h.startsWith(`/checkout/siglume/success?order_id=${orderId}`))).toBe(true);
    }, 60_000);
  });
});
