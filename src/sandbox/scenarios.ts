/**
 * The seeded merchant and the scenarios that break it on purpose. Each
 * scenario other than `ready` changes the seeded merchant or its webhook
 * subscription so that one readiness check (CONTRACT section 10) fails, and
 * nothing else changes. Objects created through the API are never touched.
 */
import { DEFAULT_WEBHOOK_EVENT_TYPES, DIRECT_PAYMENT_CONFIRMED_EVENT, DIRECT_PAYMENT_SPENT_EVENT } from '../core/constants.js';
import { newChallengeSecret, newId, newWebhookSigningSecret } from './ids.js';
import {
  SANDBOX_STATE_VERSION,
  type SandboxMerchant,
  type SandboxSeed,
  type SandboxStateData,
  type SandboxWebhookSubscription,
} from './types.js';

/** Every scenario name, in documentation order. */
export const SANDBOX_SCENARIOS = Object.freeze([
  'ready',
  'no_merchant',
  'no_mandate',
  'billing_inactive',
  'merchant_suspended',
  'no_subscription',
  'subscription_other_url',
  'subscription_missing_confirmed',
  'secret_hint_mismatch',
  'hosted_checkout_disabled_409',
  'hosted_checkout_disabled_404',
] as const);

/** A scenario name. */
export type SandboxScenario = (typeof SANDBOX_SCENARIOS)[number];

/** True for a known scenario name. */
export function isSandboxScenario(value: unknown): value is SandboxScenario {
  return typeof value === 'string' && (SANDBOX_SCENARIOS as readonly string[]).includes(value);
}

/** Options the seed is built from. */
export interface SeedInput {
  merchant: string;
  origin: string;
  webhookUrl: string;
  webhookSecret: string;
}

function displayName(merchant: string): string {
  return merchant
    .split(/[_-]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(' ');
}

/** A fresh state holding the seeded, ready merchant and its subscription. */
export function createSeededState(input: SeedInput, nowIso: string): SandboxStateData {
  const seed: SandboxSeed = {
    merchant: input.merchant,
    origin: input.origin,
    webhook_url: input.webhookUrl,
    webhook_secret: input.webhookSecret,
    subscription_id: newId('whsub'),
    created_at: nowIso,
  };
  const data: SandboxStateData = {
    version: SANDBOX_STATE_VERSION,
    seed,
    scenario: 'ready',
    hosted_checkout_routes: true,
    merchants: {},
    billing_mandates: {},
    subscriptions: {},
    checkout_sessions: {},
    requirements: {},
    receipts: {},
    events: {},
    deliveries: {},
    usage_events: {},
    settlement_batches: {},
  };
  applyScenario(data, 'ready', nowIso);
  return data;
}

function readyMerchant(data: SandboxStateData, previous: SandboxMerchant | undefined, nowIso: string): SandboxMerchant {
  const { seed } = data;
  let mandateId = previous?.billing_mandate_id ?? null;
  if (!mandateId || !data.billing_mandates[mandateId]) {
    mandateId = newId('mandate');
    data.billing_mandates[mandateId] = {
      billing_mandate_id: mandateId,
      merchant: seed.merchant,
      currency: 'JPY',
      token_symbol: 'JPYC',
      max_amount_minor: null,
      status: 'active',
      created_at: nowIso,
    };
  }
  return {
    merchant: seed.merchant,
    display_name: displayName(seed.merchant),
    status: 'active',
    billing_status: 'active',
    billing_mandate_id: mandateId,
    billing_plan: 'launch',
    billing_currency: 'JPY',
    billing_mandate_cap_minor: null,
    max_amount_minor: null,
    allowed_currencies: { JPY: 'JPYC', USD: 'USDC' },
    checkout_allowed_origins: [seed.origin],
    webhook_callback_url: seed.webhook_url,
    hosted_checkout_enabled: true,
    listing_id: previous?.listing_id ?? newId('lst'),
    // Kept across scenario switches so challenges issued earlier still verify.
    challenge_secret: previous?.challenge_secret ?? newChallengeSecret(),
    challenge_secret_rotated_at: previous?.challenge_secret_rotated_at ?? nowIso,
    created_at: previous?.created_at ?? nowIso,
    updated_at: nowIso,
  };
}

function readySubscription(data: SandboxStateData, previous: SandboxWebhookSubscription | undefined, nowIso: string) {
  const { seed } = data;
  const sub: SandboxWebhookSubscription = {
    id: seed.subscription_id,
    callback_url: seed.webhook_url,
    status: 'active',
    event_types: [...DEFAULT_WEBHOOK_EVENT_TYPES],
    description: `${seed.merchant} Direct Request Payment`,
    metadata: { merchant: seed.merchant, source: 'sandbox_seed' },
    signing_secret: seed.webhook_secret,
    created_at: previous?.created_at ?? nowIso,
    updated_at: nowIso,
  };
  return sub;
}

/**
 * Puts the seeded merchant and subscription into `scenario`: first back to
 * the ready baseline (keeping ids, secrets and creation times), then breaks
 * exactly one thing.
 */
export function applyScenario(data: SandboxStateData, scenario: SandboxScenario, nowIso: string): void {
  const { seed } = data;
  const previousMerchant = data.merchants[seed.merchant] ?? data.hidden_merchant ?? undefined;
  const previousSub = data.subscriptions[seed.subscription_id];
  const merchant = readyMerchant(data, previousMerchant, nowIso);
  const sub = readySubscription(data, previousSub, nowIso);
  data.hosted_checkout_routes = true;

  switch (scenario) {
    case 'ready':
      break;
    case 'no_merchant':
      break;
    case 'no_mandate':
      // Billing itself stays active so only the mandate check fails.
      merchant.billing_mandate_id = null;
      break;
    case 'billing_inactive':
      merchant.billing_status = 'inactive';
      break;
    case 'merchant_suspended':
      merchant.status = 'suspended';
      break;
    case 'no_subscription':
      break;
    case 'subscription_other_url':
      sub.callback_url = new URL('/webhooks/siglume-old-endpoint', seed.webhook_url).toString();
      break;
    case 'subscription_missing_confirmed':
      sub.event_types = sub.event_types.filter((t) => t !== DIRECT_PAYMENT_CONFIRMED_EVENT);
      if (sub.event_types.length === 0) sub.event_types = [DIRECT_PAYMENT_SPENT_EVENT];
      break;
    case 'secret_hint_mismatch':
      // As after a rotation in Siglume that never reached the shop's env: the
      // subscription signs with a secret the shop does not have.
      sub.signing_secret = newWebhookSigningSecret();
      break;
    case 'hosted_checkout_disabled_409':
      merchant.hosted_checkout_enabled = false;
      break;
    case 'hosted_checkout_disabled_404':
      merchant.hosted_checkout_enabled = false;
      data.hosted_checkout_routes = false;
      break;
  }

  if (scenario === 'no_merchant') {
    delete data.merchants[seed.merchant];
    data.hidden_merchant = merchant;
  } else {
    data.merchants[seed.merchant] = merchant;
    data.hidden_merchant = null;
  }
  if (scenario === 'no_subscription') delete data.subscriptions[seed.subscription_id];
  else data.subscriptions[seed.subscription_id] = sub;
  data.scenario = scenario;
}
