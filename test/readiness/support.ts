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

/** Starts a receiver answering `receiverStatus` and a sandbox whose seeded subscription posts to it. */
export async function startShopSandbox(opts: { receiverStatus?: number } = {}): Promise<ShopSandbox> {
  const receiver = await startWebhookReceiver({ secret: TEST_SECRET, status: opts.receiverStatus });
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

/** Each sandbox scenario and the one check it is expected to break (`null`: none fails). */
export const SCENARIO_EXPECTATIONS = [
  { scenario: 'no_merchant', failing: 'merchant_exists', warning: null },
  { scenario: 'no_mandate', failing: 'billing_mandate', warning: null },
  { scenario: 'billing_inactive', failing: 'billing_status_active', warning: null },
  // The contract makes merchant_status a warning: a suspended merchant is reported, not blocked.
  { scenario: 'merchant_suspended', failing: null, warning: 'merchant_status' },
  { scenario: 'no_subscription', failing: 'webhook_subscription_exists', warning: null },
  { scenario: 'subscription_other_url', failing: 'webhook_callback_matches', warning: null },
  { scenario: 'subscription_missing_confirmed', failing: 'direct_payment_confirmed_subscribed', warning: null },
  { scenario: 'secret_hint_mismatch', failing: 'webhook_secret_matches_subscription_hint', warning: null },
  { scenario: 'hosted_checkout_disabled_409', failing: 'hosted_checkout', warning: null },
  { scenario: 'hosted_checkout_disabled_404', failing: 'hosted_checkout', warning: null },
] as const;
