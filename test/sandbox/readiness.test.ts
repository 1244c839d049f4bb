/**
 * The merchant readiness API (CONTRACT-2 section 16) and the live-mode onboarding of setupMerchant
 * (section 15), over HTTP: readiness computed from the merchant's stored state, checkout refused with 409
 * HOSTED_CHECKOUT_READINESS_REQUIRED while a live-mode merchant is not ready, and a merchant going from
 * "not ready" to "ready" by calling setupMerchant.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import { call, createSession, sandboxFor, startReceiver, type WebhookReceiver } from './helpers.js';

let receiver: WebhookReceiver;
let sandbox: SandboxHandle;

beforeAll(async () => {
  receiver = await startReceiver();
  sandbox = await sandboxFor(receiver);
});

afterEach(() => sandbox.setScenario('ready'));

afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

const READINESS = '/sdrp/direct-payments/merchants/sandbox_shop/readiness';
const readiness = async (merchant = 'sandbox_shop') =>
  (await call(sandbox, 'GET', `/sdrp/direct-payments/merchants/${merchant}/readiness`)).body.data.standard_hosted_checkout_readiness;
const setup = (body: Record<string, unknown>) => call(sandbox, 'POST', '/sdrp/direct-payments/merchants', { body });
const checkout = (merchant = 'sandbox_shop', nonce = `n-${Math.random()}`) =>
  call(sandbox, 'POST', '/sdrp/direct-payments/checkout-sessions', {
    body: { merchant, amount_minor: 4200, currency: 'JPY', nonce, success_url: `${receiver.origin}/ok`, cancel_url: `${receiver.origin}/no` },
  });

describe('merchant readiness API', () => {
  describe('when the seeded merchant is ready', () => {
    it('answers { merchant, standard_hosted_checkout_readiness } with every gate passing and live mode on', async () => {
      const answer = await call(sandbox, 'GET', READINESS);
      expect(answer.status).toBe(200);
      expect(answer.body.data.merchant).toBe('sandbox_shop');
      const r = answer.body.data.standard_hosted_checkout_readiness;
      expect(r).toMatchObject({
        scope: 'standard_hosted_checkout',
        ready: true,
        status: 'ready',
        missing_requirements: [],
        blockers: [],
        ga_blockers: [],
        live_mode_requested: true,
        live_mode_enabled: true,
        merchant_responsibility_attested: true,
        responsibility_attestation_version: 'sdrp_standard_hosted_checkout_responsibility_v1',
        responsibility_attestation_source: 'sandbox_seed',
        business_verification_required: false,
      });
      expect(r.checks.map((c: { name: string; status: string }) => [c.name, c.status])).toEqual([
        ['merchant_registration', 'pass'],
        ['settlement_wallet', 'pass'],
        ['billing_mandate', 'pass'],
        ['webhook_endpoint', 'pass'],
        ['terms_acceptance', 'pass'],
        ['sandbox_confirmation', 'pass'],
        ['merchant_responsibility_attestation', 'pass'],
        ['live_mode_requested', 'pass'],
      ]);
      expect(r.provider_role).toEqual(expect.any(Object));
      expect(r.responsibility_boundary).toEqual(expect.objectContaining({ merchant: expect.arrayContaining(['merchant_of_record']) }));
    });

    it('is also on getMerchant', async () => {
      const merchant = await call(sandbox, 'GET', '/sdrp/direct-payments/merchants/sandbox_shop');
      expect(merchant.body.data.standard_hosted_checkout_readiness.ready).toBe(true);
    });
  });

  describe('when a gate is open', () => {
    it('names the failing check with a fix, and reports live mode off', async () => {
      sandbox.setScenario('readiness_not_attested');
      const r = await readiness();
      expect(r).toMatchObject({ ready: false, status: 'action_required', live_mode_enabled: false, merchant_responsibility_attested: false });
      const failing = r.checks.filter((c: { status: string }) => c.status === 'fail');
      expect(failing).toEqual([{ name: 'merchant_responsibility_attestation', status: 'fail', fix: expect.stringContaining('merchant_responsibility_attested: true') }]);
    });

    it('reports a platform blocker as blocked, in blockers and ga_blockers', async () => {
      sandbox.setScenario('readiness_blocked');
      expect(await readiness()).toMatchObject({ ready: false, status: 'blocked', blockers: ['platform_live_mode_paused'], ga_blockers: ['platform_live_mode_paused'] });
    });
  });

  describe('when the request is refused', () => {
    it.each([
      ['without a token', null, '/sdrp/direct-payments/merchants/sandbox_shop/readiness', 401, 'UNAUTHORIZED'],
      ['with the buyer token', 'buyer', '/sdrp/direct-payments/merchants/sandbox_shop/readiness', 403, 'FORBIDDEN'],
      ['for an invalid merchant key', undefined, '/sdrp/direct-payments/merchants/A%20B/readiness', 422, 'VALIDATION_ERROR'],
      ['for an unknown merchant', undefined, '/sdrp/direct-payments/merchants/nobody_here/readiness', 404, 'MERCHANT_NOT_FOUND'],
    ])('answers %s with a 4xx code', async (_name, token, path, status, code) => {
      const answer = await call(sandbox, 'GET', path, { token: token === 'buyer' ? sandbox.buyer_token : token });
      expect([answer.status, answer.body.error.code]).toEqual([status, code]);
    });

    it('answers a POST with 405', async () => {
      expect((await call(sandbox, 'POST', READINESS, { body: {} })).status).toBe(405);
    });
  });
});

describe('checkout while readiness is incomplete', () => {
  it('is refused with 409 HOSTED_CHECKOUT_READINESS_REQUIRED carrying the missing checks, for a merchant that asked for live mode', async () => {
    sandbox.setScenario('readiness_not_attested');
    const before = sandbox.listCheckoutSessions().length;
    const refused = await checkout();
    expect(refused.status).toBe(409);
    expect(refused.body.error).toMatchObject({
      code: 'HOSTED_CHECKOUT_READINESS_REQUIRED',
      missing_requirements: ['merchant_responsibility_attestation'],
      blockers: [],
      checks: [expect.objectContaining({ name: 'merchant_responsibility_attestation', status: 'fail' })],
    });
    expect(sandbox.listCheckoutSessions()).toHaveLength(before);
    sandbox.setScenario('readiness_blocked');
    expect((await checkout()).body.error).toMatchObject({ code: 'HOSTED_CHECKOUT_READINESS_REQUIRED', blockers: ['platform_live_mode_paused'] });
  });

  it.each(['readiness_live_mode_off', 'readiness_missing_requirements', 'no_mandate', 'no_settlement_wallet'] as const)(
    'goes ahead in %s: sandbox checkout for a merchant not asking for live mode, or an account gate',
    async (scenario) => {
      sandbox.setScenario(scenario);
      expect((await checkout()).status).toBe(201);
    },
  );
});

describe('setupMerchant with the onboarding fields', () => {
  it('takes a merchant from "not attested" to ready, and checkout works again', async () => {
    sandbox.setScenario('readiness_not_attested');
    expect((await checkout()).status).toBe(409);
    const answer = await setup({
      merchant: 'sandbox_shop',
      standard_terms_accepted: true,
      sandbox_confirmed: true,
      merchant_responsibility_attested: true,
      responsibility_attestation_version: 'my_attestation_v2',
      live_mode_requested: true,
    });
    expect(answer.status).toBe(200);
    expect(answer.body.data.standard_hosted_checkout_readiness).toMatchObject({
      ready: true,
      responsibility_attestation_version: 'my_attestation_v2',
      responsibility_attestation_source: 'setup_merchant',
    });
    expect((await readiness()).ready).toBe(true);
    expect((await checkout()).status).toBe(201);
  });

  it('needs a paid sandbox checkout whose webhook was delivered before it accepts sandbox_confirmed', async () => {
    sandbox.setScenario('readiness_missing_requirements');
    const onboarding = { merchant: 'sandbox_shop', standard_terms_accepted: true, sandbox_confirmed: true, merchant_responsibility_attested: true, live_mode_requested: true };
    const early = await setup(onboarding);
    expect(early.status).toBe(409);
    expect(early.body.error).toMatchObject({ code: 'SANDBOX_CHECKOUT_REQUIRED', field: 'sandbox_confirmed' });
    // Refused as a whole: nothing of the call was stored.
    expect(await readiness()).toMatchObject({ terms_accepted: false, terms_version: null, sandbox_confirmed: false });

    const open = await createSession(sandbox, { nonce: 'evidence-open' });
    const wrong = await setup({ ...onboarding, sandbox_session_id: open.session_id });
    expect([wrong.status, wrong.body.error.field]).toEqual([422, 'sandbox_session_id']);

    const s = await createSession(sandbox, { nonce: 'evidence-1' });
    expect((await call(sandbox, 'POST', `/sandbox/checkout-sessions/${s.session_id}/confirm`)).status).toBe(200);
    const done = await setup(onboarding);
    expect(done.status).toBe(200);
    const r = done.body.data.standard_hosted_checkout_readiness;
    expect(r).toMatchObject({ ready: true, sandbox_confirmed: true, sandbox_session_id: s.session_id, terms_version: 'sdrp_standard_hosted_checkout_terms_v1' });
  });

  it('stores the fields on a new merchant, whose readiness then names the account gates still open', async () => {
    const created = await setup({ merchant: 'onboarding_shop', terms_accepted: true, terms_version: 'terms_2026_06', live_mode_requested: true });
    expect(created.status).toBe(201);
    expect(created.body.data.merchant_account).toMatchObject({ standard_terms_accepted: true, terms_version: 'terms_2026_06', live_mode_requested: true });
    const r = created.body.data.standard_hosted_checkout_readiness;
    expect(r.missing_requirements).toEqual(['billing_mandate', 'webhook_endpoint', 'sandbox_confirmation', 'merchant_responsibility_attestation']);
    expect(created.body.data.next_steps).toEqual(r.checks.filter((c: { fix?: string }) => c.fix).map((c: { fix: string }) => c.fix));
    // Asked for live mode without the attestation: checkout is refused until it is given.
    await setup({ merchant: 'onboarding_shop', checkout_allowed_origins: [receiver.origin] });
    expect((await checkout('onboarding_shop')).body.error.code).toBe('HOSTED_CHECKOUT_READINESS_REQUIRED');
    await setup({ merchant: 'onboarding_shop', merchant_responsibility_attested: true });
    expect((await checkout('onboarding_shop')).status).toBe(201);
  });

  it.each([
    ['a string flag', { standard_terms_accepted: 'yes' }, 'standard_terms_accepted'],
    ['an empty terms version', { terms_version: '' }, 'terms_version'],
    ['a numeric live-mode flag', { live_mode_requested: 1 }, 'live_mode_requested'],
  ])('refuses %s with 422 naming the field', async (_name, fields, field) => {
    const answer = await setup({ merchant: 'sandbox_shop', ...fields });
    expect([answer.status, answer.body.error.code, answer.body.error.field]).toEqual([422, 'VALIDATION_ERROR', field]);
  });
});

describe('billing mandate currency', () => {
  it('takes billing_currency (what setupCheckout sends) and currency (0.4.20-era callers)', async () => {
    await setup({ merchant: 'mandate_shop' });
    const byBilling = await call(sandbox, 'POST', '/sdrp/direct-payments/merchants/mandate_shop/billing-mandate', { body: { billing_currency: 'usd' } });
    expect([byBilling.status, byBilling.body.data.currency, byBilling.body.data.token_symbol]).toEqual([201, 'USD', 'USDC']);
    const byCurrency = await call(sandbox, 'POST', '/sdrp/direct-payments/merchants/mandate_shop/billing-mandate', { body: { currency: 'JPY' } });
    expect(byCurrency.body.data).toMatchObject({ currency: 'JPY', merchant_account: { billing_currency: 'JPY', billing_status: 'active' } });
  });
});

describe('billing_inactive', () => {
  it('is cleared by the fix the readiness gate names: prepareBillingMandate activates billing and closes the billing_mandate gate', async () => {
    sandbox.setScenario('billing_inactive');
    expect((await readiness()).missing_requirements).toEqual(['billing_mandate']);
    const prepared = await call(sandbox, 'POST', '/sdrp/direct-payments/merchants/sandbox_shop/billing-mandate', { body: {} });
    expect([prepared.status, prepared.body.data.status, prepared.body.data.merchant_account.billing_status]).toEqual([201, 'active', 'active']);
    const merchant = await call(sandbox, 'GET', '/sdrp/direct-payments/merchants/sandbox_shop');
    expect(merchant.body.data.merchant_account.billing_status).toBe('active');
    expect(await readiness()).toMatchObject({ ready: true, missing_requirements: [] });
  });
});
