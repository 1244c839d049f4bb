/**
 * The readiness-API checks against a live (non-sandbox) target, where the
 * sandbox cannot take them: live mode off or pending, requirement names this
 * SDK does not know, a server without the readiness route, and a checkout
 * refused with 409 HOSTED_CHECKOUT_READINESS_REQUIRED.
 */
import { describe, expect, it } from 'vitest';
import type { DirectRequestPaymentHostedCheckoutReadiness } from '../../../src/clients/schemas/merchant-readiness.js';
import { SiglumeApiError } from '../../../src/core/errors.js';
import { requirementFix } from '../../../src/readiness/checks/readiness-api.js';
import { runPreflight, runReadiness } from '../../../src/readiness/runner.js';
import type { ReadinessCheckResult, ReadinessMerchantClient, ReadinessReport } from '../../../src/readiness/types.js';
import { TEST_SECRET, TEST_TOKEN } from '../support.js';

const WEBHOOK_URL = 'https://shop.example/payments/webhooks/siglume';
const OPTIONS = {
  merchant: 'shop_one',
  auth_token: TEST_TOKEN,
  webhook_secret: TEST_SECRET,
  shop_origin: 'https://shop.example',
  webhook_url: WEBHOOK_URL,
};
const READY: DirectRequestPaymentHostedCheckoutReadiness = {
  ready: true,
  status: 'ready',
  checks: [],
  missing_requirements: [],
  blockers: [],
  live_mode_requested: true,
  live_mode_enabled: true,
  merchant_responsibility_attested: true,
  responsibility_attestation_version: 'sdrp_standard_hosted_checkout_responsibility_v1',
};

/** A live Siglume whose account and subscription are fine; `readiness` and `checkout` vary. */
function liveClient(
  readiness: () => Promise<DirectRequestPaymentHostedCheckoutReadiness>,
  checkout: ReadinessMerchantClient['createCheckoutSession'] = async () => ({
    session_id: 'cs_1',
    checkout_url: 'https://siglume.example/pay/cs_1',
    challenge_hash: 'sha256:x',
  }),
): ReadinessMerchantClient & { calls: string[] } {
  const calls: string[] = [];
  return {
    calls,
    base_url: 'https://siglume.example/v1',
    getMerchantReadiness: async () => {
      calls.push('getMerchantReadiness');
      return readiness();
    },
    getMerchant: async () => {
      calls.push('getMerchant');
      return { merchant_account: { merchant: 'shop_one', status: 'active', billing_status: 'active', billing_mandate_id: 'm_1' } };
    },
    listWebhookSubscriptions: async () => {
      calls.push('listWebhookSubscriptions');
      return [
        { id: 'whsub_1', callback_url: WEBHOOK_URL, status: 'active', event_types: ['direct_payment.confirmed'], signing_secret_hint: TEST_SECRET.slice(-4) },
      ];
    },
    createCheckoutSession: async (input, options) => {
      calls.push('createCheckoutSession');
      return checkout(input, options);
    },
    queueWebhookTestDelivery: async () => {
      calls.push('queueWebhookTestDelivery');
      return { event: { id: 'evt_1' } };
    },
    listWebhookDeliveries: async () => [{ id: 'whd_1', event_id: 'evt_1', delivery_status: 'delivered', response_status: 200 }],
  };
}

function check(report: ReadinessReport, name: string): ReadinessCheckResult {
  const found = report.checks.find((c) => c.name === name);
  if (!found) throw new Error(`no check ${name}`);
  return found;
}
const fix = (c: ReadinessCheckResult) => (c.status === 'fail' ? c.fix : null);

describe('readiness-API checks against a live target', () => {
  describe('when every gate is closed and live mode is on', () => {
    it('passes all six and the run is ready, in the live environment', async () => {
      const report = await runReadiness({ ...OPTIONS, client: liveClient(async () => READY) });
      expect(report).toMatchObject({ ok: true, environment: 'live' });
      expect(report.summary.verdict).toBe('Ready: all 23 checks passed (live).');
      expect(check(report, 'live_mode_enabled').message).toBe('Live mode is enabled');
    });
  });

  describe('when live mode was never asked for', () => {
    it('fails live_mode_enabled with the setupMerchant call that asks for it', async () => {
      const client = liveClient(async () => ({ ...READY, ready: false, live_mode_requested: false, live_mode_enabled: false, missing_requirements: ['live_mode_requested'] }));
      const report = await runReadiness({ ...OPTIONS, client });
      expect(check(report, 'live_mode_enabled')).toMatchObject({ status: 'fail', message: 'Live mode is off and shop_one has not asked for it' });
      expect(fix(check(report, 'live_mode_enabled'))).toBe(
        "live_mode_requested: ask for live mode with setupMerchant({ merchant: 'shop_one', live_mode_requested: true }).",
      );
      // The account and subscription still ran; no probe did.
      expect(client.calls).toEqual(['getMerchantReadiness', 'getMerchant', 'listWebhookSubscriptions']);
      expect(report.ok).toBe(false);
    });
  });

  describe('when live mode is requested but not enabled yet', () => {
    it('says Siglume turns it on once the other gates pass', async () => {
      const client = liveClient(async () => ({ ...READY, ready: false, live_mode_enabled: false, missing_requirements: ['sandbox_confirmation'] }));
      const report = await runReadiness({ ...OPTIONS, client });
      expect(check(report, 'live_mode_enabled').message).toBe('Live mode is requested but not enabled yet');
      expect(fix(check(report, 'live_mode_enabled'))).toMatch(/once every other gate passes/);
      expect(fix(check(report, 'hosted_checkout_missing_requirements'))).toMatch(/^sandbox_confirmation: pay one sandbox checkout of shop_one/);
    });
  });

  describe('when the API names a requirement this SDK does not know', () => {
    it("uses the answer's own fix for it, named", async () => {
      const client = liveClient(async () => ({
        ...READY,
        ready: false,
        status: 'action_required',
        missing_requirements: ['  tax_profile ', ''],
        checks: [{ name: 'tax_profile', status: 'fail', fix: 'Complete the tax profile in the dashboard.' }],
      }));
      const report = await runReadiness({ ...OPTIONS, client });
      expect(check(report, 'hosted_checkout_missing_requirements')).toMatchObject({
        status: 'fail',
        message: 'Missing requirement: tax_profile',
        fix: 'tax_profile: Complete the tax profile in the dashboard.',
      });
      expect(check(report, 'hosted_checkout_readiness_ready').message).toBe(
        'ready=false, status=action_required, missing=[tax_profile], blockers=[]',
      );
    });

    it("uses the answer's own fix for a name that only contains a known one (live_mode, terms, sandbox)", async () => {
      const names = ['live_mode_kyc_documents', 'terms_tax_form', 'sandbox_region_unsupported'];
      const client = liveClient(async () => ({
        ...READY,
        ready: false,
        status: 'action_required',
        missing_requirements: [...names, 'kyc_verification'],
        checks: names.map((name) => ({ name, status: 'fail', fix: `Do ${name} in the dashboard.` })),
      }));
      const report = await runReadiness({ ...OPTIONS, client });
      expect(fix(check(report, 'hosted_checkout_missing_requirements'))).toBe(
        [
          'live_mode_kyc_documents: Do live_mode_kyc_documents in the dashboard.',
          'terms_tax_form: Do terms_tax_form in the dashboard.',
          'sandbox_region_unsupported: Do sandbox_region_unsupported in the dashboard.',
          'kyc_verification: complete this requirement for shop_one in Siglume (it is not something this SDK can set).',
        ].join('\n'),
      );
    });

    it.each([
      ['terms_acceptance', 'standard_terms_accepted: true'],
      ['Terms-Accepted', 'standard_terms_accepted: true'],
      // Written as one word, as a JSON field or a label may be: case and separators are ignored.
      ['TermsAcceptance', 'standard_terms_accepted: true'],
      ['termsAccepted', 'standard_terms_accepted: true'],
      ['LiveModeRequested', 'live_mode_requested: true'],
      ['billingMandate', "prepareBillingMandate('shop_one')"],
      ['sandbox_confirmation', 'sandbox_confirmed: true'],
      ['sandbox_confirmed', 'sandbox_confirmed: true'],
      ['merchant_responsibility_attestation', 'merchant_responsibility_attested: true'],
      ['merchant_responsibility_attested', 'merchant_responsibility_attested: true'],
      ['live_mode_requested', 'live_mode_requested: true'],
      ['live_mode', 'live_mode_requested: true'],
      ['settlement_wallet', 'connect a settlement wallet'],
      ['billing_mandate', "prepareBillingMandate('shop_one')"],
      ['webhook_endpoint', 'createWebhookSubscription'],
      ['merchant_registration', "setupCheckout({ merchant: 'shop_one'"],
    ])('keeps the table fix for the documented name %s, over the answer\'s own', (name, text) => {
      const readiness = { ...READY, checks: [{ name, status: 'fail', fix: 'server fix' }] };
      expect(requirementFix(name, 'shop_one', readiness)).toContain(text);
    });

    it('falls back to a fix that still names it', () => {
      expect(requirementFix('kyb_review', 'shop_one')).toBe(
        'kyb_review: complete this requirement for shop_one in Siglume (it is not something this SDK can set).',
      );
    });
  });

  describe('when a blocker is set', () => {
    it('fails hosted_checkout_blockers saying only Siglume support can clear it', async () => {
      const client = liveClient(async () => ({ ...READY, ready: false, status: 'blocked', blockers: ['platform_live_mode_paused'] }));
      const report = await runReadiness({ ...OPTIONS, client });
      expect(check(report, 'hosted_checkout_blockers')).toMatchObject({ status: 'fail', message: 'Blocker: platform_live_mode_paused' });
      expect(fix(check(report, 'hosted_checkout_blockers'))).toMatch(/^platform_live_mode_paused: .*contact Siglume support/);
    });
  });

  describe('when the API has no readiness route', () => {
    it('fails hosted_checkout_readiness_api pointing at SIGLUME_API_BASE, skips its five checks, and still reads the account', async () => {
      const client = liveClient(() => Promise.reject(SiglumeApiError.generate({ status: 404, code: 'NOT_FOUND', message: 'No route' })));
      const report = await runReadiness({ ...OPTIONS, client });
      expect(fix(check(report, 'hosted_checkout_readiness_api'))).toMatch(/no merchant readiness route.*SIGLUME_API_BASE/);
      for (const name of ['hosted_checkout_readiness_ready', 'hosted_checkout_missing_requirements', 'hosted_checkout_blockers', 'merchant_responsibility_attested', 'live_mode_enabled']) {
        expect(check(report, name)).toMatchObject({ status: 'skip', reason: 'hosted_checkout_readiness_api failed' });
      }
      expect(check(report, 'merchant_exists').status).toBe('pass');
    });

    it('tells the merchant to register when the merchant itself is unknown', async () => {
      const client = liveClient(() => Promise.reject(SiglumeApiError.generate({ status: 404, code: 'MERCHANT_NOT_FOUND', message: 'No merchant' })));
      const report = await runReadiness({ ...OPTIONS, client });
      expect(fix(check(report, 'hosted_checkout_readiness_api'))).toMatch(/^Register shop_one with setupCheckout/);
    });
  });

  describe('when checkout is refused with 409 HOSTED_CHECKOUT_READINESS_REQUIRED', () => {
    it('fails hosted_checkout_probe naming each missing requirement with its fix', async () => {
      const refused = SiglumeApiError.generate({
        status: 409,
        code: 'HOSTED_CHECKOUT_READINESS_REQUIRED',
        message: 'Readiness required',
        data: { error: { code: 'HOSTED_CHECKOUT_READINESS_REQUIRED', missing_requirements: ['terms_acceptance'], blockers: [] } },
      });
      // The readiness answer said ready (it can lag behind the checkout gate): the probe still explains the refusal.
      const client = liveClient(async () => READY, () => Promise.reject(refused));
      const report = await runPreflight({ ...OPTIONS, client });
      const probe = check(report, 'hosted_checkout_probe');
      expect(probe.message).toBe('Siglume refused checkout for shop_one until its readiness is complete (409 HOSTED_CHECKOUT_READINESS_REQUIRED: terms_acceptance)');
      expect(fix(probe)).toBe(
        "terms_acceptance: accept the Standard Hosted Checkout terms with setupMerchant({ merchant: 'shop_one', standard_terms_accepted: true }).",
      );
      expect(report).toMatchObject({ ok: false, command: 'preflight' });
      expect(report.summary.verdict).toMatch(/^Preflight not passed: 1 check failed \(hosted_checkout_probe\); fix them before mounting checkout\.$/);
      expect(client.calls).not.toContain('queueWebhookTestDelivery');
    });
  });
});
