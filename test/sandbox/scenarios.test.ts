import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SANDBOX_SCENARIOS, type SandboxHandle, type SandboxScenario } from '../../src/sandbox/index.js';
import { verifyWebhookSignature } from '../../src/webhooks/signature.js';
import { call, createSession, sandboxFor, startReceiver, type WebhookReceiver } from './helpers.js';

let receiver: WebhookReceiver;
let sandbox: SandboxHandle;

beforeAll(async () => {
  receiver = await startReceiver();
  sandbox = await sandboxFor(receiver);
});

afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

type Outcome = 'pass' | 'fail' | 'skip';

/**
 * The account, subscription and probe checks of CONTRACT section 10, judged
 * over raw HTTP the way the readiness command reads the API. Checks whose
 * prerequisite failed are skipped.
 */
async function judge(sb: SandboxHandle): Promise<Record<string, Outcome>> {
  const out: Record<string, Outcome> = {};
  const merchant = await call(sb, 'GET', `/sdrp/direct-payments/merchants/${sb.env.SIGLUME_DIRECT_PAYMENT_MERCHANT}`);
  out.merchant_exists = merchant.status === 200 ? 'pass' : 'fail';
  const account = merchant.body?.data?.merchant_account;
  out.billing_mandate = !account ? 'skip' : account.billing_mandate_id ? 'pass' : 'fail';
  out.billing_status_active = !account ? 'skip' : account.billing_status === 'active' ? 'pass' : 'fail';
  out.merchant_status = !account ? 'skip' : account.status === 'active' ? 'pass' : 'fail';

  const subs = (await call(sb, 'GET', '/market/webhooks/subscriptions')).body.data as Array<Record<string, unknown>>;
  const active = subs.filter((s) => s.status === 'active');
  out.webhook_subscription_exists = active.length ? 'pass' : 'fail';
  const matching = active.find((s) => s.callback_url === sb.env.SHOP_WEBHOOK_URL);
  out.webhook_callback_matches = !active.length ? 'skip' : matching ? 'pass' : 'fail';
  out.direct_payment_confirmed_subscribed = !matching ? 'skip' : (matching.event_types as string[]).includes('direct_payment.confirmed') ? 'pass' : 'fail';
  out.webhook_secret_matches_subscription_hint = !matching
    ? 'skip'
    : sb.env.SIGLUME_WEBHOOK_SECRET.endsWith(matching.signing_secret_hint as string)
      ? 'pass'
      : 'fail';

  const probe = await call(sb, 'POST', '/sdrp/direct-payments/checkout-sessions', {
    body: {
      merchant: sb.env.SIGLUME_DIRECT_PAYMENT_MERCHANT,
      amount_minor: 501,
      currency: 'JPY',
      nonce: `sdrp-readiness-${Date.now()}`,
      success_url: `${sb.env.SHOP_PUBLIC_ORIGIN}/checkout/siglume/success`,
      cancel_url: `${sb.env.SHOP_PUBLIC_ORIGIN}/checkout/siglume/cancel`,
      metadata: { source: 'scenario-test' },
    },
  });
  out.hosted_checkout = !account ? 'skip' : probe.status === 201 ? 'pass' : 'fail';
  return out;
}

const EXPECTED_FAILURE: Record<SandboxScenario, string | null> = {
  ready: null,
  no_merchant: 'merchant_exists',
  no_mandate: 'billing_mandate',
  billing_inactive: 'billing_status_active',
  merchant_suspended: 'merchant_status',
  no_subscription: 'webhook_subscription_exists',
  subscription_other_url: 'webhook_callback_matches',
  subscription_missing_confirmed: 'direct_payment_confirmed_subscribed',
  secret_hint_mismatch: 'webhook_secret_matches_subscription_hint',
  hosted_checkout_disabled_409: 'hosted_checkout',
  hosted_checkout_disabled_404: 'hosted_checkout',
  // The gates below show only in the merchant readiness API; two of them also refuse checkout (live mode asked for).
  no_settlement_wallet: null,
  readiness_missing_requirements: null,
  readiness_not_attested: 'hosted_checkout',
  readiness_live_mode_off: null,
  readiness_blocked: 'hosted_checkout',
};

/** What `GET .../merchants/{merchant}/readiness` names in each scenario (none: the merchant is hidden). */
const EXPECTED_GATES: Record<SandboxScenario, { missing: string[]; blockers: string[] } | null> = {
  ready: { missing: [], blockers: [] },
  no_merchant: null,
  no_mandate: { missing: ['billing_mandate'], blockers: [] },
  billing_inactive: { missing: ['billing_mandate'], blockers: [] },
  merchant_suspended: { missing: [], blockers: ['merchant_suspended'] },
  no_subscription: { missing: ['webhook_endpoint'], blockers: [] },
  subscription_other_url: { missing: ['webhook_endpoint'], blockers: [] },
  subscription_missing_confirmed: { missing: ['webhook_endpoint'], blockers: [] },
  secret_hint_mismatch: { missing: [], blockers: [] },
  hosted_checkout_disabled_409: { missing: [], blockers: [] },
  hosted_checkout_disabled_404: { missing: [], blockers: [] },
  no_settlement_wallet: { missing: ['settlement_wallet'], blockers: [] },
  readiness_missing_requirements: {
    missing: ['terms_acceptance', 'sandbox_confirmation', 'merchant_responsibility_attestation', 'live_mode_requested'],
    blockers: [],
  },
  readiness_not_attested: { missing: ['merchant_responsibility_attestation'], blockers: [] },
  readiness_live_mode_off: { missing: ['live_mode_requested'], blockers: [] },
  readiness_blocked: { missing: [], blockers: ['platform_live_mode_paused'] },
};

describe('sandbox scenarios', () => {
  it('cover exactly the documented names', () => {
    expect([...SANDBOX_SCENARIOS].sort()).toEqual(Object.keys(EXPECTED_FAILURE).sort());
  });

  describe.each(SANDBOX_SCENARIOS.map((s) => [s] as const))('when the scenario is %s', (scenario) => {
    it(EXPECTED_FAILURE[scenario] ? `fails only ${EXPECTED_FAILURE[scenario]}` : 'passes every check', async () => {
      sandbox.setScenario(scenario);
      const checks = await judge(sandbox);
      const failed = Object.entries(checks).filter(([, v]) => v === 'fail').map(([k]) => k);
      expect(failed).toEqual(EXPECTED_FAILURE[scenario] ? [EXPECTED_FAILURE[scenario]] : []);
      const readiness = await call(sandbox, 'GET', '/sdrp/direct-payments/merchants/sandbox_shop/readiness');
      const gates = EXPECTED_GATES[scenario];
      if (gates === null) expect(readiness.status).toBe(404);
      else {
        const r = readiness.body.data.standard_hosted_checkout_readiness;
        expect({ missing: r.missing_requirements, blockers: r.blockers }).toEqual(gates);
        expect(r.ready).toBe(gates.missing.length === 0 && gates.blockers.length === 0);
      }
      sandbox.setScenario('ready');
    });
  });

  describe('when Hosted Checkout is disabled', () => {
    it('answers 409 HOSTED_CHECKOUT_NOT_ENABLED, or 404 ROUTE_NOT_FOUND in the 404 variant', async () => {
      const body = {
        merchant: 'sandbox_shop',
        amount_minor: 501,
        currency: 'JPY',
        nonce: 'hc-1',
        success_url: `${receiver.origin}/ok`,
        cancel_url: `${receiver.origin}/no`,
      };
      sandbox.setScenario('hosted_checkout_disabled_409');
      const a = await call(sandbox, 'POST', '/sdrp/direct-payments/checkout-sessions', { body });
      expect([a.status, a.body.error.code]).toEqual([409, 'HOSTED_CHECKOUT_NOT_ENABLED']);
      sandbox.setScenario('hosted_checkout_disabled_404');
      const b = await call(sandbox, 'POST', '/sdrp/direct-payments/checkout-sessions', { body });
      expect([b.status, b.body.error.code]).toEqual([404, 'ROUTE_NOT_FOUND']);
      sandbox.setScenario('ready');
    });
  });

  describe('when the secret hint mismatches', () => {
    it('signs deliveries with a secret the shop does not have, as after an unsynced rotation', async () => {
      await fetch(`${sandbox.url}/__sandbox/scenario`, { method: 'POST', body: JSON.stringify({ scenario: 'secret_hint_mismatch' }) });
      receiver.received.length = 0;
      const s = await createSession(sandbox);
      await sandbox.payCheckoutSession(s.session_id);
      const got = receiver.received[0]!;
      await expect(
        verifyWebhookSignature(sandbox.env.SIGLUME_WEBHOOK_SECRET, got.rawBody, got.headers['siglume-signature'] as string),
      ).rejects.toMatchObject({ code: 'WEBHOOK_SIGNATURE_MISMATCH' });
      sandbox.setScenario('ready');
    });
  });

  describe('when switching back to ready', () => {
    it('keeps the merchant challenge secret and the subscription id', async () => {
      const secret = sandbox.getMerchant('sandbox_shop')!.challenge_secret;
      const subId = sandbox.listWebhookSubscriptions()[0]!.id;
      sandbox.setScenario('no_merchant');
      sandbox.setScenario('ready');
      expect(sandbox.getMerchant('sandbox_shop')!.challenge_secret).toBe(secret);
      expect(sandbox.listWebhookSubscriptions().map((s) => s.id)).toContain(subId);
    });

    it('links the seeded merchant to the mandate it had, so cycling scenarios does not pile up mandates', async () => {
      const mandateId = sandbox.getMerchant('sandbox_shop')!.billing_mandate_id;
      for (let i = 0; i < 3; i++) {
        sandbox.setScenario('no_mandate');
        sandbox.setScenario('ready');
      }
      expect(sandbox.getMerchant('sandbox_shop')!.billing_mandate_id).toBe(mandateId);
      const state = (await fetch(`${sandbox.url}/__sandbox/state`).then((r) => r.json())).data;
      expect(Object.keys(state.billing_mandates)).toEqual([mandateId]);
    });
  });

  describe('when started in a scenario', () => {
    it('applies it from the first request', async () => {
      const other = await sandboxFor(receiver, { scenario: 'no_mandate' });
      try {
        const m = await call(other, 'GET', '/sdrp/direct-payments/merchants/sandbox_shop');
        expect(m.body.data.merchant_account.billing_mandate_id).toBeNull();
        expect(other.scenario).toBe('no_mandate');
      } finally {
        await other.close();
      }
    });
  });
});
