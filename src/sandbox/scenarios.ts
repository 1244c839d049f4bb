/**
 * The seeded merchant and the scenarios that break it on purpose. Each
 * scenario other than `ready` changes the seeded merchant or its webhook
 * subscription so that one readiness check (CONTRACT section 10) fails, and
 * nothing else changes. Objects created through the API are never touched.
 */
import { DIRECT_PAYMENT_CONFIRMED_EVENT, DIRECT_PAYMENT_SPENT_EVENT } from '../core/constants.js';
import { newId, newWebhookSigningSecret } from './ids.js';
import { newMandate, newMerchant, newSubscription } from './records.js';
import { RECORD_MAPS, SANDBOX_STATE_VERSION, type SandboxSeed, type SandboxState } from './store.js';
import type { SandboxMerchant, SandboxWebhookSubscription } from './types.js';

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

type Breaker = (m: SandboxMerchant, sub: SandboxWebhookSubscription, data: SandboxState) => void;

/** What each scenario breaks, starting from the ready baseline. */
const BREAK: Record<SandboxScenario, Breaker> = {
  ready: () => undefined,
  no_merchant: () => undefined, // applied below: the merchant is hidden
  // Billing itself stays active so only the mandate check fails.
  no_mandate: (m) => void (m.billing_mandate_id = null),
  billing_inactive: (m) => void (m.billing_status = 'inactive'),
  merchant_suspended: (m) => void (m.status = 'suspended'),
  no_subscription: () => undefined, // applied below: the subscription is removed
  subscription_other_url: (_m, sub, data) =>
    void (sub.callback_url = new URL('/webhooks/siglume-old-endpoint', data.seed.webhook_url).toString()),
  subscription_missing_confirmed: (_m, sub) => {
    sub.event_types = sub.event_types.filter((t) => t !== DIRECT_PAYMENT_CONFIRMED_EVENT);
    if (sub.event_types.length === 0) sub.event_types = [DIRECT_PAYMENT_SPENT_EVENT];
  },
  // As after a rotation in Siglume that never reached the shop's env: the
  // subscription signs with a secret the shop does not have.
  secret_hint_mismatch: (_m, sub) => void (sub.signing_secret = newWebhookSigningSecret()),
  hosted_checkout_disabled_409: (m) => void (m.hosted_checkout_enabled = false),
  hosted_checkout_disabled_404: (m, _sub, data) => {
    m.hosted_checkout_enabled = false;
    data.hosted_checkout_routes = false;
  },
};

/** Options the seed is built from. */
export type SeedInput = Pick<SandboxSeed, 'merchant' | 'origin' | 'webhook_url' | 'webhook_secret'>;

/** A fresh state holding the seeded merchant and its subscription, in `scenario`. */
export function createSeededState(
  { merchant, origin, webhook_url, webhook_secret }: SeedInput,
  scenario: SandboxScenario,
  now: string,
): SandboxState {
  const data: SandboxState = {
    version: SANDBOX_STATE_VERSION,
    seed: { merchant, origin, webhook_url, webhook_secret, subscription_id: newId('whsub'), created_at: now },
    scenario: 'ready',
    hosted_checkout_routes: true,
    ...(Object.fromEntries(RECORD_MAPS.map((key) => [key, {}])) as Omit<
      SandboxState,
      'version' | 'seed' | 'scenario' | 'hosted_checkout_routes'
    >),
  };
  applyScenario(data, scenario, now);
  return data;
}

const words = (key: string) =>
  key
    .split(/[_-]+/)
    .filter(Boolean)
    .map((w) => w[0]!.toUpperCase() + w.slice(1))
    .join(' ');

/**
 * Puts the seeded merchant and subscription into `scenario`: first back to
 * the ready baseline (keeping ids, secrets and creation times), then breaks
 * exactly one thing.
 */
export function applyScenario(data: SandboxState, scenario: SandboxScenario, now: string): void {
  const { seed } = data;
  const prev = data.merchants[seed.merchant] ?? data.hidden_merchant ?? undefined;
  let mandateId = prev?.billing_mandate_id;
  if (!mandateId || !data.billing_mandates[mandateId]) {
    const mandate = newMandate(seed.merchant, 'JPY', null, now);
    data.billing_mandates[(mandateId = mandate.billing_mandate_id)] = mandate;
  }
  const merchant = newMerchant(seed.merchant, now, {
    display_name: words(seed.merchant),
    billing_status: 'active',
    billing_mandate_id: mandateId,
    allowed_currencies: { JPY: 'JPYC', USD: 'USDC' },
    checkout_allowed_origins: [seed.origin],
    webhook_callback_url: seed.webhook_url,
    // Kept across scenario switches so challenges issued earlier still verify.
    ...(prev && {
      listing_id: prev.listing_id,
      challenge_secret: prev.challenge_secret,
      challenge_secret_rotated_at: prev.challenge_secret_rotated_at,
      created_at: prev.created_at,
    }),
  });
  const sub = newSubscription(seed.webhook_url, now, {
    id: seed.subscription_id,
    description: `${seed.merchant} Direct Request Payment`,
    metadata: { merchant: seed.merchant, source: 'sandbox_seed' },
    signing_secret: seed.webhook_secret,
    created_at: data.subscriptions[seed.subscription_id]?.created_at ?? now,
  });
  data.hosted_checkout_routes = true;
  BREAK[scenario](merchant, sub, data);

  if (scenario === 'no_merchant') delete data.merchants[seed.merchant];
  else data.merchants[seed.merchant] = merchant;
  data.hidden_merchant = scenario === 'no_merchant' ? merchant : null;
  if (scenario === 'no_subscription') delete data.subscriptions[seed.subscription_id];
  else data.subscriptions[seed.subscription_id] = sub;
  data.scenario = scenario;
}
