/**
 * One-time merchant setup: creates the merchant (or finds the existing one),
 * prepares its billing mandate and subscribes the shop's webhook URL, then
 * writes the variables the shop needs to a new file readable only by you.
 *
 * Run it from a trusted machine, once per merchant:
 *
 *   SIGLUME_MERCHANT_AUTH_TOKEN=... \
 *   SIGLUME_DIRECT_PAYMENT_MERCHANT=my_shop \
 *   SHOP_PUBLIC_ORIGIN=https://shop.example \
 *   npx tsx examples/setup-merchant.ts
 *
 * Against the local sandbox (`npx siglume-sdrp sandbox`), add
 * SIGLUME_API_BASE=http://127.0.0.1:8787/v1 and the sandbox token
 * sdrp_sandbox_merchant_token; http://127.0.0.1:3000 is then a valid origin.
 *
 * Re-running is safe. It subscribes the webhook URL only when no active
 * subscription posts to it yet: each subscription has its own secret, and a
 * second one would deliver every event twice, one copy failing the shop's
 * signature check. Secrets are returned only by the call that created them,
 * so a second run writes the merchant key alone and prints setupCheckout's
 * notes on how to get new ones (rotateChallengeSecret for the challenge
 * secret). If a step fails after the merchant was created, the secrets
 * already returned are still written, from setupCheckoutProgress(error).env.
 */
import { existsSync, writeFileSync } from 'node:fs';
import {
  DirectRequestPaymentMerchantClient,
  SiglumeApiError,
  SiglumeValidationError,
  setupCheckoutProgress,
  type DirectRequestPaymentCheckoutSetupEnv,
} from '@siglume/direct-request-payment';

const OUTPUT = process.env.SETUP_ENV_FILE ?? '.env.siglume';

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    console.error(`Set ${name} first.`);
    process.exit(2);
  }
  return value;
}

const merchant = required('SIGLUME_DIRECT_PAYMENT_MERCHANT');
const origin = required('SHOP_PUBLIC_ORIGIN').replace(/\/+$/, '');
// Checked before calling Siglume: secrets returned by a run that cannot save them would be lost.
if (existsSync(OUTPUT)) {
  console.error(`${OUTPUT} exists already; move it away (it may hold secrets) and run again.`);
  process.exit(2);
}

const webhookUrl = `${origin}/payments/webhooks/siglume`;

// The secrets are shown once. They go to a new file only the current user
// can read, never to the terminal: scrollback and CI logs are not secret stores.
function writeEnvFile(env: DirectRequestPaymentCheckoutSetupEnv): void {
  const lines = Object.entries(env).map(([key, value]) => `${key}=${value}`);
  lines.push(`SHOP_PUBLIC_ORIGIN=${origin}`, `SHOP_WEBHOOK_URL=${webhookUrl}`);
  writeFileSync(OUTPUT, `${lines.join('\n')}\n`, { mode: 0o600, flag: 'wx' });
  console.log(`Wrote ${Object.keys(env).join(', ')} to ${OUTPUT} (mode 600).`);
}

try {
  // Token from SIGLUME_MERCHANT_AUTH_TOKEN, API base from SIGLUME_API_BASE (default https://siglume.com/v1).
  const siglume = new DirectRequestPaymentMerchantClient();
  // A merchant token that has no merchant yet may be refused the list: then there is nothing to find.
  const existing = await siglume.listWebhookSubscriptions().catch((error: unknown) => {
    if (error instanceof SiglumeApiError && (error.status === 403 || error.status === 404)) return [];
    throw error;
  });
  const subscribed = existing.some((sub) => sub.callback_url === webhookUrl && /^(active|enabled)$/i.test(sub.status ?? ''));
  const result = await siglume.setupCheckout({
    merchant,
    display_name: process.env.SHOP_DISPLAY_NAME,
    billing_plan: 'launch',
    billing_currency: 'JPY',
    allowed_currencies: ['JPY', 'USD'],
    webhook_callback_url: webhookUrl,
    checkout_allowed_origins: [origin],
    create_webhook_subscription: !subscribed,
  });

  const account = result.merchant.merchant_account;
  console.log(`Merchant ${merchant}: ${result.merchant.created ? 'created' : 'already existed'} (${siglume.base_url})`);
  console.log(`  status ${account.status ?? '?'}, billing ${account.billing_status ?? '?'}`);
  if (result.billing_mandate) console.log('  billing mandate prepared: approve it in Siglume if asked');
  if (result.webhook_subscription) {
    console.log(`  webhook subscription ${result.webhook_subscription.id} -> ${result.webhook_subscription.callback_url}`);
  } else if (subscribed) {
    console.log(`  ${webhookUrl} is subscribed already: its secret is the one you saved the first time`);
  }
  // Why a secret is missing from env, and how to get it (never a secret itself).
  for (const note of result.notes ?? []) console.log(`  note: ${note}`);

  writeEnvFile(result.env);
  console.log('Move them into your secret store, delete the file, then run: npx siglume-check readiness');
} catch (error) {
  // The steps before a failed one may have returned a secret Siglume shows only once: keep it.
  const saved = setupCheckoutProgress(error)?.env;
  if (saved && Object.keys(saved).length > 1) writeEnvFile(saved);
  if (error instanceof SiglumeValidationError) {
    console.error(`Invalid ${error.field}: ${error.message}`);
  } else if (error instanceof SiglumeApiError) {
    console.error(`Siglume answered ${error.status} ${error.code}: ${error.message} (request ${error.request_id ?? 'n/a'})`);
  } else {
    throw error;
  }
  process.exitCode = 1;
}
