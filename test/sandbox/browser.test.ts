/**
 * A full checkout in a real browser: headless Chromium opens the sandbox's
 * checkout_url, clicks Pay, lands on the shop's success URL, and the shop's
 * webhook endpoint got exactly one event that the core verifier accepts and
 * the classifier labels.
 */
import { existsSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectRequestPaymentMerchantClient } from '../../src/clients/merchant.js';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import { classifyDirectPaymentConfirmation, type DirectPaymentConfirmationKind } from '../../src/webhooks/classify.js';
import { verifyDirectRequestPaymentWebhook } from '../../src/webhooks/event.js';
import { sandboxFor } from './helpers.js';

const CHROMIUM = '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
// In CI the browser test must run (.ci/run installs Chromium); locally it is skipped without one.
const skipReason = !haveChromium && process.env.CI !== 'true' ? `${CHROMIUM} not found (apt-get install chromium); set CI=true to force` : null;

interface ShopEvent {
  id: string;
  kind: DirectPaymentConfirmationKind;
  amount_minor: unknown;
}

/** A minimal shop: a verifying webhook endpoint and plain success / cancel pages. */
async function startShop(secret: string) {
  const events: ShopEvent[] = [];
  const rejected: string[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', async () => {
      const path = (req.url ?? '').split('?')[0];
      if (req.method === 'POST' && path === '/payments/webhooks/siglume') {
        try {
          const { event } = await verifyDirectRequestPaymentWebhook(secret, Buffer.concat(chunks), req.headers['siglume-signature'] as string);
          events.push({ id: event.id, kind: classifyDirectPaymentConfirmation(event).kind, amount_minor: event.data.amount_minor });
          res.writeHead(204).end();
        } catch (error) {
          rejected.push(String(error));
          res.writeHead(400).end();
        }
        return;
      }
      const title = path === '/checkout/siglume/success' ? 'Thank you for your order' : 'Checkout cancelled';
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' }).end(`<!doctype html><title>${title}</title><h1>${title}</h1>`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    origin,
    url: `${origin}/payments/webhooks/siglume`,
    events,
    rejected,
    close: () => new Promise<void>((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

describe.skipIf(skipReason !== null)(`hosted checkout in headless Chromium${skipReason ? ` (skipped: ${skipReason})` : ''}`, () => {
  let shop: Awaited<ReturnType<typeof startShop>>;
  let sandbox: SandboxHandle;
  let browser: Browser;
  let merchant: DirectRequestPaymentMerchantClient;

  beforeAll(async () => {
    shop = await startShop('whsec_sandbox_secret');
    sandbox = await sandboxFor(shop);
    merchant = new DirectRequestPaymentMerchantClient({ base_url: sandbox.api_base, auth_token: sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    });
  });

  afterAll(async () => {
    await browser?.close();
    await sandbox?.close();
    await shop?.close();
  });

  async function checkout(amount_minor: number, nonce: string) {
    shop.events.length = 0;
    const session = await merchant.createCheckoutSession({
      merchant: 'sandbox_shop',
      amount_minor,
      currency: 'JPY',
      nonce,
      success_url: `${shop.origin}/checkout/siglume/success`,
      cancel_url: `${shop.origin}/checkout/siglume/cancel`,
    });
    const page = await browser.newPage();
    try {
      await page.goto(session.checkout_url);
      await expect(page.locator('[data-testid="amount"]').textContent()).resolves.toBe(`¥${amount_minor.toLocaleString('en-US')}`);
      if (process.env.SDRP_SANDBOX_SCREENSHOT) await page.screenshot({ path: process.env.SDRP_SANDBOX_SCREENSHOT, fullPage: true });
      await Promise.all([page.waitForURL(`${shop.origin}/checkout/siglume/success?session_id=${session.session_id}`), page.click('#pay-button')]);
      await expect(page.locator('h1').textContent()).resolves.toBe('Thank you for your order');
    } finally {
      await page.close();
    }
    return session;
  }

  it('pays a Standard amount: one verified event, classified standard_settled', async () => {
    const session = await checkout(4200, 'browser-standard');
    expect(shop.rejected).toEqual([]);
    expect(shop.events).toEqual([{ id: expect.stringMatching(/^evt_/), kind: 'standard_settled', amount_minor: 4200 }]);
    expect((await merchant.getCheckoutSession(session.session_id)).status).toBe('paid');
  });

  it('pays a Micro amount: one verified event, classified metered_usage_accepted', async () => {
    await checkout(300, 'browser-micro');
    expect(shop.rejected).toEqual([]);
    expect(shop.events).toEqual([{ id: expect.stringMatching(/^evt_/), kind: 'metered_usage_accepted', amount_minor: 300 }]);
  });

  it('cancels: lands on the cancel URL and sends nothing', async () => {
    shop.events.length = 0;
    const session = await merchant.createCheckoutSession({
      merchant: 'sandbox_shop',
      amount_minor: 1500,
      currency: 'JPY',
      nonce: 'browser-cancel',
      success_url: `${shop.origin}/checkout/siglume/success`,
      cancel_url: `${shop.origin}/checkout/siglume/cancel`,
    });
    const page = await browser.newPage();
    try {
      await page.goto(session.checkout_url);
      await Promise.all([page.waitForURL(`${shop.origin}/checkout/siglume/cancel`), page.click('#cancel-button')]);
    } finally {
      await page.close();
    }
    expect(shop.events).toEqual([]);
    expect((await merchant.getCheckoutSession(session.session_id)).status).toBe('cancelled');
  });
});
