/**
 * The sandbox-to-live walk through the real binary: `preflight` and `verify`
 * spawned as child processes against a sandbox on an ephemeral port. Each
 * run's exit code says whether the gate is open; its output names the
 * missing requirement and what to call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectRequestPaymentMerchantClient } from '../../src/clients/merchant.js';
import { startShopSandbox, TEST_SECRET, TEST_TOKEN, type ShopSandbox } from '../readiness/support.js';
import { requireBuild, runBin } from './support.js';

interface JsonReport {
  ok: boolean;
  command: string;
  environment: string;
  mode: string;
  checks: Array<{ name: string; status: string; message: string; fix?: string; details?: Record<string, unknown> }>;
}

describe('preflight and verify from the built binary', () => {
  let shop: ShopSandbox;
  let env: Record<string, string>;

  beforeAll(async () => {
    requireBuild();
    shop = await startShopSandbox();
    // SIGLUME_ENV=sandbox: sandbox mode (http on localhost) without --sandbox, against the API base in the environment.
    env = { ...shop.env, SIGLUME_ENV: 'sandbox' };
  });
  afterAll(async () => {
    await shop.close();
  });

  const json = (stdout: string) => JSON.parse(stdout) as JsonReport;
  const failing = (r: JsonReport) => r.checks.filter((c) => c.status === 'fail').map((c) => c.name);

  it('exits 1 naming each open gate until setupMerchant closes it, then preflight and verify exit 0', async () => {
    shop.sandbox.setScenario('readiness_missing_requirements');
    const merchant = env.SIGLUME_DIRECT_PAYMENT_MERCHANT!;
    const client = new DirectRequestPaymentMerchantClient({ auth_token: TEST_TOKEN, base_url: shop.sandbox.api_base });

    // Not onboarded: preflight fails on the readiness gates, and the human output puts each fix under its check.
    const first = await runBin(['preflight'], { env });
    expect(first.code).toBe(1);
    expect(first.stdout).toContain('Siglume Direct Request Payment preflight');
    // One fix line per missing requirement, aligned under the first.
    expect(first.stdout).toMatch(
      /✖ hosted_checkout_missing_requirements +Missing requirements: terms_acceptance, sandbox_confirmation, merchant_responsibility_attestation, live_mode_requested\n {6}fix: terms_acceptance: accept the Standard Hosted Checkout terms.*\n {11}sandbox_confirmation: .*\n {11}merchant_responsibility_attestation: .*\n {11}live_mode_requested: ask for live mode/,
    );
    expect(first.stdout).toContain('Preflight not passed: 3 checks failed');
    expect(first.stdout).toContain('fix them before mounting checkout');

    // Terms and attestation given: two gates left, still exit 1.
    await client.setupMerchant({ merchant, standard_terms_accepted: true, merchant_responsibility_attested: true });
    const second = await runBin(['preflight', '--json'], { env });
    expect(second.code).toBe(1);
    const secondReport = json(second.stdout);
    expect(secondReport).toMatchObject({ ok: false, command: 'preflight', environment: 'sandbox' });
    expect(failing(secondReport)).toEqual(['hosted_checkout_readiness_ready', 'hosted_checkout_missing_requirements']);
    const missing = secondReport.checks.find((c) => c.name === 'hosted_checkout_missing_requirements')!;
    expect(missing.details).toEqual({ missing_requirements: ['sandbox_confirmation', 'live_mode_requested'] });
    expect(missing.fix!.split('\n')).toEqual([
      expect.stringMatching(/^sandbox_confirmation: pay one sandbox checkout of sandbox_shop .*setupMerchant\(\{ merchant: 'sandbox_shop', sandbox_confirmed: true \}\)/),
      "live_mode_requested: ask for live mode with setupMerchant({ merchant: 'sandbox_shop', live_mode_requested: true }).",
    ]);

    // A paid sandbox checkout, then the confirmation and live mode: preflight passes with no delivery probe.
    const session = await client.createCheckoutSession({
      merchant,
      amount_minor: 800,
      currency: 'JPY',
      nonce: 'walk-bin-order',
      success_url: `${env.SHOP_PUBLIC_ORIGIN}/thanks`,
      cancel_url: `${env.SHOP_PUBLIC_ORIGIN}/cart`,
    });
    await shop.sandbox.payCheckoutSession(session.session_id);
    await client.setupMerchant({ merchant, sandbox_confirmed: true, live_mode_requested: true });
    const eventsBefore = shop.receiver.events.length;
    const third = await runBin(['preflight', '--json'], { env });
    expect(third.code).toBe(0);
    const thirdReport = json(third.stdout);
    expect(thirdReport).toMatchObject({ ok: true, command: 'preflight', mode: 'full' });
    expect(thirdReport.checks.map((c) => c.name).slice(-2)).toEqual(['webhook_delivery_probe_skipped', 'hosted_checkout_probe']);
    expect(thirdReport.checks.every((c) => c.status === 'pass')).toBe(true);
    expect(shop.receiver.events.length).toBe(eventsBefore);
    const human = await runBin(['preflight'], { env });
    expect(human.code).toBe(0);
    expect(human.stdout).toContain('Preflight passed: 22 checks passed and the webhook delivery probe is left to verify (sandbox). Mount the checkout and webhook routes, then run verify.');

    // verify: the same checks plus the delivery probe the shop's handler must accept.
    const verify = await runBin(['verify'], { env });
    expect(verify.code).toBe(0);
    expect(verify.stdout).toContain('Siglume Direct Request Payment verify');
    expect(verify.stdout).toMatch(/✔ webhook_delivery_probe_passed +Test event evt_\w+ was delivered/);
    expect(verify.stdout).toContain('Ready: all 23 checks passed (sandbox).');
    expect(shop.receiver.events.slice(eventsBefore).map((e) => (e as { data: { readiness_probe?: unknown } }).data.readiness_probe)).toEqual([
      true,
    ]);

    // Neither ever reports success without the API or the probes.
    const noApi = await runBin(['verify', '--no-api'], { env });
    expect(noApi.code).toBe(1);
    expect(noApi.stdout).toContain('the API and the probes were not verified');
    const noProbe = await runBin(['preflight', '--no-probe', '--json'], { env });
    expect(noProbe.code).toBe(1);
    expect(json(noProbe.stdout)).toMatchObject({ ok: false, mode: 'no_probe' });

    // A usage error is 2, whichever command.
    const usage = await runBin(['verify', '--currency', 'EUR'], { env });
    expect(usage.code).toBe(2);

    const all = [first, second, third, human, verify, noApi, noProbe, usage].map((r) => r.stdout + r.stderr).join('\n');
    expect(all).not.toContain(TEST_TOKEN);
    expect(all).not.toContain(TEST_SECRET);
  });
});
