/**
 * A sandbox plus a verifying webhook receiver standing in for the shop, with
 * distinctive secrets so tests can grep output for them.
 */
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.js';
import { startWebhookReceiver, type WebhookReceiver } from '../../src/devtools/webhook-receiver.js';
import type { ReadinessOptions } from '../../src/readiness/types.js';

/** Merchant token of the test sandbox; must never appear in any output. */
export const TEST_TOKEN = 'sdrp_readiness_test_token_5e1f0a9c7b';
/** Webhook secret of the test sandbox; must never appear in any output. */
export const TEST_SECRET = 'whsec_readiness_test_secret_3d8b6f2a41';

export interface ShopSandbox {
  sandbox: SandboxHandle;
  receiver: WebhookReceiver;
  /** Environment a merchant would set for this sandbox. */
  env: Record<string, string>;
  /** `runReadiness` options for this sandbox. */
  options(): ReadinessOptions;
  close(): Promise<void>;
}

/**
 * Starts a receiver answering `receiverStatus` and a sandbox whose seeded subscription posts to it. With
 * `receiverSecret`, the shop's server verifies with another secret than the subscription's (and readiness's).
 */
export async function startShopSandbox(opts: { receiverStatus?: number; receiverSecret?: string } = {}): Promise<ShopSandbox> {
  const receiver = await startWebhookReceiver({ secret: opts.receiverSecret ?? TEST_SECRET, status: opts.receiverStatus });
  const sandbox = await startSandbox({
    port: 0,
    merchant_token: TEST_TOKEN,
    webhook_secret: TEST_SECRET,
    origin: receiver.origin,
    webhook_url: receiver.url,
    quiet: true,
    delivery_backoff_ms: 10,
  });
  const env = { ...sandbox.env } as Record<string, string>;
  return {
    sandbox,
    receiver,
    env,
    options: () => ({
      merchant: env.SIGLUME_DIRECT_PAYMENT_MERCHANT,
      auth_token: env.SIGLUME_MERCHANT_AUTH_TOKEN,
      webhook_secret: env.SIGLUME_WEBHOOK_SECRET,
      shop_origin: env.SHOP_PUBLIC_ORIGIN,
      webhook_url: env.SHOP_WEBHOOK_URL,
      base_url: sandbox.api_base,
      sandbox: true,
    }),
    close: async () => {
      await sandbox.close();
      await receiver.close();
    },
  };
}

const GATES = ['hosted_checkout_readiness_ready', 'hosted_checkout_missing_requirements'] as const;

/**
 * Each sandbox scenario, the checks it is expected to fail (in report
 * order) and, for a gate of the readiness API, the requirement or blocker
 * name a fix must mention.
 */
export const SCENARIO_EXPECTATIONS = [
  { scenario: 'no_merchant', failing: ['hosted_checkout_readiness_api', 'merchant_exists'], names: [] },
  { scenario: 'no_mandate', failing: [...GATES, 'billing_mandate'], names: ['billing_mandate'] },
  { scenario: 'billing_inactive', failing: [...GATES, 'billing_status_active'], names: ['billing_mandate'] },
  {
    scenario: 'merchant_suspended',
    failing: ['hosted_checkout_readiness_ready', 'hosted_checkout_blockers', 'merchant_status_active'],
    names: ['merchant_suspended'],
  },
  { scenario: 'no_subscription', failing: [...GATES, 'webhook_subscription_exists'], names: ['webhook_endpoint'] },
  { scenario: 'subscription_other_url', failing: [...GATES, 'webhook_callback_matches'], names: ['webhook_endpoint'] },
  { scenario: 'subscription_missing_confirmed', failing: [...GATES, 'direct_payment_confirmed_subscribed'], names: ['webhook_endpoint'] },
  { scenario: 'secret_hint_mismatch', failing: ['webhook_secret_matches_subscription_hint'], names: [] },
  { scenario: 'hosted_checkout_disabled_409', failing: ['hosted_checkout_probe'], names: [] },
  { scenario: 'hosted_checkout_disabled_404', failing: ['hosted_checkout_probe'], names: [] },
  { scenario: 'no_settlement_wallet', failing: [...GATES], names: ['settlement_wallet'] },
  {
    scenario: 'readiness_missing_requirements',
    failing: [...GATES, 'merchant_responsibility_attested'],
    names: ['terms_acceptance', 'sandbox_confirmation', 'merchant_responsibility_attestation', 'live_mode_requested'],
  },
  { scenario: 'readiness_not_attested', failing: [...GATES, 'merchant_responsibility_attested'], names: ['merchant_responsibility_attestation'] },
  // Live mode itself is not needed against the sandbox (live_mode_enabled passes), but the gate is still named.
  { scenario: 'readiness_live_mode_off', failing: [...GATES], names: ['live_mode_requested'] },
  { scenario: 'readiness_blocked', failing: ['hosted_checkout_readiness_ready', 'hosted_checkout_blockers'], names: ['platform_live_mode_paused'] },
] as const;
