import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDirectRequestPaymentChallenge } from '../../src/challenges/challenge.js';
import { directRequestPaymentRequestHashV2 } from '../../src/challenges/request-hash.js';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import { classifyDirectPaymentConfirmation } from '../../src/webhooks/classify.js';
import { verifyDirectRequestPaymentWebhook } from '../../src/webhooks/event.js';
import { call, createSession, sandboxFor, startReceiver, type WebhookReceiver } from './helpers.js';

let receiver: WebhookReceiver;
let sandbox: SandboxHandle;

beforeAll(async () => {
  receiver = await startReceiver();
  sandbox = await sandboxFor(receiver);
});

afterEach(() => {
  receiver.received.length = 0;
  receiver.status = 204;
});

afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

async function page(path: string, method = 'GET') {
  const res = await fetch(`${sandbox.url}${path}`, { method, redirect: 'manual' });
  return { status: res.status, location: res.headers.get('location'), html: await res.text(), headers: res.headers };
}

async function verifiedEvents() {
  return Promise.all(
    receiver.received.map(async (r) => {
      const { event } = await verifyDirectRequestPaymentWebhook('whsec_sandbox_secret', r.rawBody, r.headers['siglume-signature'] as string);
      return event;
    }),
  );
}

describe('checkout sessions', () => {
  describe('when created', () => {
    it('issues the challenge with the merchant secret and points checkout_url at the hosted page', async () => {
      const s = await createSession(sandbox, { nonce: 'order-77-attempt-1', amount_minor: 4200 });
      const expected = await createDirectRequestPaymentChallenge({
        secret: sandbox.getMerchant('sandbox_shop')!.challenge_secret,
        merchant: 'sandbox_shop',
        amount_minor: 4200,
        currency: 'JPY',
        nonce: 'order-77-attempt-1',
      });
      expect(s.challenge_hash).toBe(expected.challenge_hash);
      expect(s.checkout_url).toBe(`${sandbox.url}/pay/${s.session_id}`);
      expect(s).toMatchObject({ status: 'open', pricing_band: 'standard', settlement_cadence: 'per_payment', protocol_fee_minor: '76' });
      expect(Date.parse(s.expires_at) - Date.parse(s.created_at)).toBe(1800 * 1000);
      const read = await call(sandbox, 'GET', `/sdrp/direct-payments/checkout-sessions/${s.session_id}`);
      expect(read.body.data).toMatchObject({ session_id: s.session_id, status: 'open', challenge_hash: s.challenge_hash });
    });
  });

  describe('hosted page', () => {
    it('shows merchant, formatted amount, currency, token and pricing band with Pay and Cancel', async () => {
      const s = await createSession(sandbox, { amount_minor: 4200 });
      const p = await page(`/pay/${s.session_id}`);
      expect(p.status).toBe(200);
      expect(p.headers.get('content-type')).toContain('text/html');
      expect(p.html).toContain('Sandbox Shop');
      expect(p.html).toContain('¥4,200');
      expect(p.html).toContain('JPYC');
      expect(p.html).toContain('Standard: settled on-chain');
      expect(p.html).toContain('id="pay-button"');
      expect(p.html).toContain('id="cancel-button"');
    });

    it('formats USD with two decimals and names a Micro amount', async () => {
      const s = await createSession(sandbox, { amount_minor: 150, currency: 'USD' });
      const p = await page(`/pay/${s.session_id}`);
      expect(p.html).toContain('$1.50');
      expect(p.html).toContain('USDC');
      expect(p.html).toContain('Micro: accepted now');
    });

    it('escapes the merchant name it shows', async () => {
      await call(sandbox, 'POST', '/sdrp/direct-payments/merchants', {
        body: { merchant: 'xss_shop', display_name: '<img src=x onerror=alert(1)>', checkout_allowed_origins: [receiver.origin] },
      });
      const created = await call(sandbox, 'POST', '/sdrp/direct-payments/checkout-sessions', {
        body: { merchant: 'xss_shop', amount_minor: 900, currency: 'JPY', nonce: 'x1', success_url: `${receiver.origin}/ok`, cancel_url: `${receiver.origin}/no` },
      });
      const p = await page(`/pay/${created.body.data.session_id}`);
      expect(p.html).not.toContain('<img src=x');
      expect(p.html).toContain('&lt;img src=x onerror=alert(1)&gt;');
    });

    it('answers an unknown session with a 404 page', async () => {
      const p = await page('/pay/cs_nope');
      expect(p.status).toBe(404);
      expect(p.html).toContain('Checkout not found');
    });
  });

  describe('when Pay is pressed for a Standard amount', () => {
    it('redirects to success_url with session_id after delivering one signed standard_settled event', async () => {
      const s = await createSession(sandbox, { amount_minor: 4200, nonce: 'std-1', metadata: { order_id: 'o-1' } });
      const p = await page(`/pay/${s.session_id}/confirm`, 'POST');
      expect(p.status).toBe(303);
      expect(p.location).toBe(`${receiver.origin}/checkout/siglume/success?session_id=${s.session_id}`);
      const [event, ...more] = await verifiedEvents();
      expect(more).toHaveLength(0);
      const result = classifyDirectPaymentConfirmation(event!);
      expect(result.kind).toBe('standard_settled');
      const read = (await call(sandbox, 'GET', `/sdrp/direct-payments/checkout-sessions/${s.session_id}`)).body.data;
      expect(read).toMatchObject({ status: 'paid', settlement_status: 'settled', finality: 'per_payment_onchain' });
      expect(read.chain_receipt_id).toMatch(/^chr_/);
      const challenge = await createDirectRequestPaymentChallenge({
        secret: sandbox.getMerchant('sandbox_shop')!.challenge_secret,
        merchant: 'sandbox_shop',
        amount_minor: 4200,
        currency: 'JPY',
        nonce: 'std-1',
      });
      expect(event!.data).toMatchObject({
        mode: 'external_402',
        merchant: 'sandbox_shop',
        session_id: s.session_id,
        requirement_id: read.requirement_id,
        challenge_hash: s.challenge_hash,
        request_hash_v2: await directRequestPaymentRequestHashV2({ merchant: 'sandbox_shop', amount_minor: 4200, currency: 'JPY', challenge: challenge.challenge }),
        amount_minor: 4200,
        protocol_fee_minor: '76',
        buyer_debit_minor: '4200',
        provider_gross_amount_minor: '4200',
        provider_receivable_minor: '4124',
        chain_receipt_id: read.chain_receipt_id,
        metadata: { order_id: 'o-1' },
      });
    });

    it("adds up after the merchant's plan changed between the session and the payment: the session's fee is the event's", async () => {
      const s = await createSession(sandbox, { amount_minor: 4200, nonce: 'plan-change-1' });
      const setup = await call(sandbox, 'POST', '/sdrp/direct-payments/merchants', { body: { merchant: 'sandbox_shop', billing_plan: 'pro' } });
      expect(setup.status, JSON.stringify(setup.body)).toBeLessThan(300);
      try {
        expect((await page(`/pay/${s.session_id}/confirm`, 'POST')).status).toBe(303);
        const [event] = await verifiedEvents();
        const read = (await call(sandbox, 'GET', `/sdrp/direct-payments/checkout-sessions/${s.session_id}`)).body.data;
        // pro is 50 basis points: 21, under the 30 yen floor.
        expect(event!.data).toMatchObject({ protocol_fee_minor: '30', provider_receivable_minor: '4170' });
        expect(read).toMatchObject({ provider_gross_amount_minor: '4200', protocol_fee_minor: '30', provider_receivable_minor: '4170' });
      } finally {
        await call(sandbox, 'POST', '/sdrp/direct-payments/merchants', { body: { merchant: 'sandbox_shop', billing_plan: 'launch' } });
      }
    });

    it('is idempotent: paying again redirects the same way and sends no second event', async () => {
      const s = await createSession(sandbox, { amount_minor: 1000 });
      const [a, b] = await Promise.all([page(`/pay/${s.session_id}/confirm`, 'POST'), page(`/pay/${s.session_id}/confirm`, 'POST')]);
      const c = await page(`/pay/${s.session_id}/confirm`, 'POST');
      expect([a.status, b.status, c.status]).toEqual([303, 303, 303]);
      expect(c.location).toBe(a.location);
      expect(receiver.received).toHaveLength(1);
      const again = await sandbox.payCheckoutSession(s.session_id);
      expect(again.already_paid).toBe(true);
      expect(again.deliveries).toEqual([]);
      expect(receiver.received).toHaveLength(1);
    });

    it('still redirects when the shop endpoint fails, and records the failed delivery', async () => {
      receiver.status = 500;
      const s = await createSession(sandbox, { amount_minor: 2000 });
      const result = await sandbox.payCheckoutSession(s.session_id);
      expect(result.deliveries[0]).toMatchObject({ delivery_status: 'failed', response_status: 500, attempts: 3 });
    });
  });

  describe('when Pay is pressed for Micro and Nano amounts', () => {
    it('delivers metered_usage_accepted with weekly cadence, the flat Micro fee and the section 19.5 amount fields', async () => {
      const s = await createSession(sandbox, { amount_minor: 300 });
      await page(`/pay/${s.session_id}/confirm`, 'POST');
      const [event] = await verifiedEvents();
      const result = classifyDirectPaymentConfirmation(event!);
      expect(result.kind).toBe('metered_usage_accepted');
      expect(event!.data).toMatchObject({
        pricing_band: 'micro',
        settlement_cadence: 'weekly',
        settlement_status: 'pending_settlement',
        finality: 'aggregated_onchain_settlement',
        protocol_fee_minor: '2',
        buyer_debit_minor: '300',
        provider_receivable_minor: '298',
        provider_gross_amount_minor: '300',
        provider_usage_amount_minor: '300',
        gross_buyer_debit_minor: '300',
        rounding_delta_minor: '0',
        settlement_threshold_minor: '10000',
      });
    });

    it('delivers a Nano payment with monthly cadence and a sub-minor fee (USD 0.001 = 0.1 cents)', async () => {
      const s = await createSession(sandbox, { amount_minor: 25, currency: 'USD' });
      const result = await sandbox.payCheckoutSession(s.session_id);
      expect(result.deliveries).toHaveLength(1);
      const [event] = await verifiedEvents();
      expect(classifyDirectPaymentConfirmation(event!).kind).toBe('metered_usage_accepted');
      expect(event!.data).toMatchObject({ pricing_band: 'nano', settlement_cadence: 'monthly', protocol_fee_minor: '0.1', provider_receivable_minor: '24.9' });
    });
  });

  describe('when Cancel is pressed', () => {
    it('redirects to cancel_url, marks the session cancelled, and refuses a later Pay', async () => {
      const s = await createSession(sandbox);
      const cancel = await page(`/pay/${s.session_id}/cancel`, 'POST');
      expect(cancel.status).toBe(303);
      expect(cancel.location).toBe(`${receiver.origin}/checkout/siglume/cancel`);
      const pay = await page(`/pay/${s.session_id}/confirm`, 'POST');
      expect(pay.status).toBe(409);
      expect(pay.html).toContain('cancelled');
      expect(receiver.received).toHaveLength(0);
    });
  });

  describe('when a session expires', () => {
    it('shows an expired page and cannot be paid', async () => {
      const s = await createSession(sandbox);
      const expire = await fetch(`${sandbox.url}/__sandbox/checkout-sessions/${s.session_id}/expire`, { method: 'POST' });
      expect(expire.status).toBe(200);
      const p = await page(`/pay/${s.session_id}`);
      expect(p.status).toBe(410);
      expect(p.html).toContain('expired');
      const pay = await fetch(`${sandbox.url}/__sandbox/checkout-sessions/${s.session_id}/pay`, { method: 'POST' });
      expect(pay.status).toBe(409);
      expect((await pay.json()).error.code).toBe('CHECKOUT_SESSION_NOT_PAYABLE');
    });

    it('expires on its own after session_ttl_seconds', async () => {
      const short = await sandboxFor(receiver, { session_ttl_seconds: 1 });
      try {
        const s = await createSession(short);
        await new Promise((r) => setTimeout(r, 1100));
        const read = await call(short, 'GET', `/sdrp/direct-payments/checkout-sessions/${s.session_id}`);
        expect(read.body.data.status).toBe('expired');
      } finally {
        await short.close();
      }
    });
  });

  describe('when a session is past its expires_at and nothing has read it yet', () => {
    it('reads expired in listCheckoutSessions and in GET /__sandbox/state, in-process and over the socket (was open)', async () => {
      const own = await sandboxFor(receiver);
      const state = async (res: Response | Promise<Response>) => (await (await res).json()).data.checkout_sessions;
      const reads: Record<string, (id: string) => Promise<string | undefined>> = {
        socket: async (id) => (await state(fetch(`${own.url}/__sandbox/state`)))[id].status,
        inProcess: async (id) => (await state(own.fetch(new Request(`${own.url}/__sandbox/state`))))[id].status,
        list: async (id) => own.listCheckoutSessions().find((s) => s.session_id === id)?.status,
      };
      vi.useFakeTimers({ toFake: ['Date'] });
      try {
        // One session per reader: the first read that applies expiry would turn every session expired.
        for (const [name, read] of Object.entries(reads)) {
          const s = await createSession(own);
          vi.setSystemTime(Date.parse(s.expires_at) + 1000);
          expect([name, await read(s.session_id)]).toEqual([name, 'expired']);
        }
      } finally {
        vi.useRealTimers();
        await own.close();
      }
    });
  });

  describe('when the merchant restricts currencies and amounts', () => {
    it('rejects a currency the merchant does not accept and an amount over max_amount_minor', async () => {
      await call(sandbox, 'POST', '/sdrp/direct-payments/merchants', {
        body: { merchant: 'jpy_only', max_amount_minor: 5000, checkout_allowed_origins: [receiver.origin] },
      });
      const base = { merchant: 'jpy_only', nonce: 'r1', success_url: `${receiver.origin}/ok`, cancel_url: `${receiver.origin}/no` };
      const usd = await call(sandbox, 'POST', '/sdrp/direct-payments/checkout-sessions', { body: { ...base, amount_minor: 1000, currency: 'USD' } });
      expect(usd.status).toBe(422);
      expect(usd.body.error.field).toBe('currency');
      const big = await call(sandbox, 'POST', '/sdrp/direct-payments/checkout-sessions', { body: { ...base, amount_minor: 5001, currency: 'JPY' } });
      expect(big.body.error.field).toBe('amount_minor');
    });

    it('refuses a payment requirement over max_amount_minor as the checkout route does (was 201)', async () => {
      await call(sandbox, 'POST', '/sdrp/direct-payments/merchants', { body: { merchant: 'capped_shop', max_amount_minor: 1000 } });
      const secret = sandbox.getMerchant('capped_shop')!.challenge_secret;
      const requirement = async (amount_minor: number) => {
        const { challenge } = await createDirectRequestPaymentChallenge({ secret, merchant: 'capped_shop', amount_minor, currency: 'JPY', nonce: `cap-${amount_minor}` });
        const body = { merchant: 'capped_shop', amount_minor, currency: 'JPY', challenge };
        return call(sandbox, 'POST', '/sdrp/direct-payments/requirements', { token: sandbox.buyer_token, body });
      };
      const big = await requirement(5000);
      expect([big.status, big.body.error.code, big.body.error.field]).toEqual([422, 'VALIDATION_ERROR', 'amount_minor']);
      expect(big.body.error.message).toBe("Invalid amount_minor: exceeds the merchant's max_amount_minor (1000)");
      expect((await requirement(1000)).status).toBe(201);
    });

    it('names the --origin restart for the seeded merchant, and only setupMerchant for another', async () => {
      const body = { amount_minor: 800, currency: 'JPY', nonce: 'o1', success_url: 'http://127.0.0.1:5173/ok', cancel_url: 'http://127.0.0.1:5173/no' };
      const seeded = await call(sandbox, 'POST', '/sdrp/direct-payments/checkout-sessions', { body: { ...body, merchant: sandbox.env.SIGLUME_DIRECT_PAYMENT_MERCHANT } });
      expect(seeded.status).toBe(422);
      expect(seeded.body.error.message).toContain(
        'origin http://127.0.0.1:5173 is not an allowed checkout origin of this merchant (allowed: ' +
          `${sandbox.env.SHOP_PUBLIC_ORIGIN}): restart the sandbox with \`siglume-sdrp sandbox --origin http://127.0.0.1:5173\` or add it with setupMerchant.`,
      );
      const other = await call(sandbox, 'POST', '/sdrp/direct-payments/checkout-sessions', { body: { ...body, merchant: 'jpy_only' } });
      expect(other.body.error.message).toMatch(/\(allowed: [^)]*\): add it with setupMerchant\.$/);
    });

    it('accepts return URLs on the origin of the merchant webhook URL', async () => {
      await call(sandbox, 'POST', '/sdrp/direct-payments/merchants', {
        body: { merchant: 'hook_origin', webhook_callback_url: 'https://hooks.shop.example/siglume' },
      });
      const ok = await call(sandbox, 'POST', '/sdrp/direct-payments/checkout-sessions', {
        body: { merchant: 'hook_origin', amount_minor: 800, currency: 'JPY', nonce: 'h1', success_url: 'https://hooks.shop.example/ok', cancel_url: 'https://hooks.shop.example/no' },
      });
      expect(ok.status).toBe(201);
    });
  });
});
