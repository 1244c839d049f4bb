/**
 * A merchant's walk from sandbox onboarding to ready, as one story: each
 * readiness run names the gates still open (with a fix naming the missing
 * requirement), the merchant closes them with `setupMerchant` one step at a
 * time, and readiness passes at the end.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectRequestPaymentMerchantClient } from '../../src/clients/merchant.js';
import { SiglumeConflictError } from '../../src/core/errors.js';
import { runPreflight, runReadiness, runVerify } from '../../src/readiness/runner.js';
import { PREFLIGHT_CHECK_NAMES, READINESS_CHECK_NAMES, type ReadinessReport } from '../../src/readiness/types.js';
import { startShopSandbox, type ShopSandbox } from './support.js';

const failing = (report: ReadinessReport) => report.checks.filter((c) => c.status === 'fail').map((c) => c.name);
const fixOf = (report: ReadinessReport, name: string) => {
  const check = report.checks.find((c) => c.name === name);
  return check?.status === 'fail' ? check.fix : '';
};
const detailsOf = (report: ReadinessReport, name: string) => report.checks.find((c) => c.name === name)?.details;

describe('a merchant walking from sandbox to ready', () => {
  let shop: ShopSandbox;
  let client: DirectRequestPaymentMerchantClient;

  beforeAll(async () => {
    shop = await startShopSandbox();
    client = new DirectRequestPaymentMerchantClient({ auth_token: shop.env.SIGLUME_MERCHANT_AUTH_TOKEN, base_url: shop.sandbox.api_base });
  });
  afterAll(async () => {
    await shop.close();
  });

  it('sees at each step which gate is open and what to call, and ends ready', async () => {
    // A merchant registered, with billing and a webhook, but not onboarded for live mode.
    shop.sandbox.setScenario('readiness_missing_requirements');
    const merchant = shop.env.SIGLUME_DIRECT_PAYMENT_MERCHANT!;

    // Step 0: every live-mode gate is open; account and subscription are fine; no probe ran.
    const start = await runReadiness(shop.options());
    expect(start.ok).toBe(false);
    expect(failing(start)).toEqual([
      'hosted_checkout_readiness_ready',
      'hosted_checkout_missing_requirements',
      'merchant_responsibility_attested',
    ]);
    expect(detailsOf(start, 'hosted_checkout_missing_requirements')).toEqual({
      missing_requirements: ['terms_acceptance', 'sandbox_confirmation', 'merchant_responsibility_attestation', 'live_mode_requested'],
    });
    const startFix = fixOf(start, 'hosted_checkout_missing_requirements');
    expect(startFix).toContain(`terms_acceptance: accept the Standard Hosted Checkout terms with setupMerchant({ merchant: '${merchant}', standard_terms_accepted: true })`);
    expect(startFix).toContain(`sandbox_confirmation: pay one sandbox checkout of ${merchant}`);
    expect(startFix).toContain('merchant_responsibility_attested: true');
    expect(startFix).toContain(`live_mode_requested: ask for live mode with setupMerchant({ merchant: '${merchant}', live_mode_requested: true })`);
    expect(fixOf(start, 'merchant_responsibility_attested')).toContain('merchant_responsibility_attestation:');
    expect(start.checks.filter((c) => ['account', 'subscription'].includes(c.group)).every((c) => c.status === 'pass')).toBe(true);
    expect(start.checks.find((c) => c.name === 'hosted_checkout_probe')).toMatchObject({ status: 'skip' });

    // Step 1: the terms. That gate closes; the others are still named.
    await client.setupMerchant({ merchant, standard_terms_accepted: true });
    const terms = await runReadiness(shop.options());
    expect(detailsOf(terms, 'hosted_checkout_missing_requirements')).toEqual({
      missing_requirements: ['sandbox_confirmation', 'merchant_responsibility_attestation', 'live_mode_requested'],
    });
    expect(fixOf(terms, 'hosted_checkout_missing_requirements')).not.toContain('terms_acceptance');

    // Step 2: sandbox confirmation needs evidence: refused before a paid sandbox checkout...
    await expect(client.setupMerchant({ merchant, sandbox_confirmed: true })).rejects.toMatchObject({
      constructor: SiglumeConflictError,
      code: 'SANDBOX_CHECKOUT_REQUIRED',
    });
    // ...accepted after one whose webhook the shop accepted.
    const session = await client.createCheckoutSession({
      merchant,
      amount_minor: 1200,
      currency: 'JPY',
      nonce: 'walk-order-1',
      success_url: `${shop.env.SHOP_PUBLIC_ORIGIN}/thanks`,
      cancel_url: `${shop.env.SHOP_PUBLIC_ORIGIN}/cart`,
    });
    await shop.sandbox.payCheckoutSession(session.session_id);
    await client.setupMerchant({ merchant, sandbox_confirmed: true, sandbox_session_id: session.session_id });
    const confirmed = await runReadiness(shop.options());
    expect(detailsOf(confirmed, 'hosted_checkout_missing_requirements')).toEqual({
      missing_requirements: ['merchant_responsibility_attestation', 'live_mode_requested'],
    });

    // Step 3: the responsibility attestation; its own check passes and names the version.
    await client.setupMerchant({
      merchant,
      merchant_responsibility_attested: true,
      responsibility_attestation_version: 'sdrp_standard_hosted_checkout_responsibility_v1',
    });
    const attested = await runReadiness(shop.options());
    expect(failing(attested)).toEqual(['hosted_checkout_readiness_ready', 'hosted_checkout_missing_requirements']);
    expect(attested.checks.find((c) => c.name === 'merchant_responsibility_attested')?.message).toBe(
      'Responsibility boundary attested (version=sdrp_standard_hosted_checkout_responsibility_v1)',
    );
    expect(fixOf(attested, 'hosted_checkout_missing_requirements')).toBe(
      `live_mode_requested: ask for live mode with setupMerchant({ merchant: '${merchant}', live_mode_requested: true }).`,
    );

    // Step 4: live mode. Every gate is closed: preflight passes without a test delivery, then verify and readiness pass.
    await client.setupMerchant({ merchant, live_mode_requested: true });
    const eventsBefore = shop.receiver.events.length;
    const preflight = await runPreflight(shop.options());
    expect(preflight).toMatchObject({ ok: true, command: 'preflight', mode: 'full' });
    expect(preflight.checks.map((c) => c.name)).toEqual(PREFLIGHT_CHECK_NAMES);
    expect(failing(preflight)).toEqual([]);
    // webhook_delivery_probe_skipped is listed as passed, but the verdict does not count it as a check that passed.
    expect(preflight.summary.verdict).toMatch(
      /^Preflight passed: 22 checks passed and the webhook delivery probe is left to verify \(sandbox\)\. .*then run verify\.$/,
    );
    expect(shop.receiver.events.length).toBe(eventsBefore);

    const verify = await runVerify(shop.options());
    expect(verify).toMatchObject({ ok: true, command: 'verify' });
    expect(verify.checks.map((c) => c.name)).toEqual(READINESS_CHECK_NAMES);
    expect(verify.checks.every((c) => c.status === 'pass')).toBe(true);
    expect(shop.receiver.events.slice(eventsBefore)).toEqual([
      expect.objectContaining({ data: expect.objectContaining({ mode: 'readiness_probe', readiness_probe: true }) }),
    ]);

    const ready = await runReadiness(shop.options());
    expect(ready.ok).toBe(true);
    expect(ready.summary.verdict).toBe('Ready: all 23 checks passed (sandbox).');
  });

  it('clears inactive billing with the call the fixes name (prepareBillingMandate), and is ready again', async () => {
    shop.sandbox.setScenario('billing_inactive');
    const merchant = shop.env.SIGLUME_DIRECT_PAYMENT_MERCHANT!;
    const inactive = await runReadiness(shop.options());
    expect(failing(inactive)).toEqual(['hosted_checkout_readiness_ready', 'hosted_checkout_missing_requirements', 'billing_status_active']);
    expect(fixOf(inactive, 'hosted_checkout_missing_requirements')).toContain(`prepareBillingMandate('${merchant}'`);
    expect(fixOf(inactive, 'billing_status_active')).toContain(`client.prepareBillingMandate('${merchant}', { currency: 'JPY' })`);

    await client.prepareBillingMandate(merchant, { currency: 'JPY' });
    const after = await runReadiness(shop.options());
    expect(failing(after)).toEqual([]);
    expect(after.ok).toBe(true);
  });
});
