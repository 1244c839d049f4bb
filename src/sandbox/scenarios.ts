/**
 * The seeded merchant and the scenarios that break it on purpose. Each scenario other than `ready`
 * changes the seeded merchant or its webhook subscription so that one readiness check (or one gate of
 * the merchant readiness API) fails, and nothing else. Objects created through the API are never touched.
 */
import * as C from '../core/constants.js';
import { SANDBOX_TERMS_VERSION } from './readiness.js';
import { newId, newMandate, newMerchant, newSubscription, randomHex, type SandboxMerchant } from './records.js';
import type { SandboxWebhookSubscription } from './records.js';
import type { SandboxSeed } from './store.js';
import { RECORD_KINDS, SANDBOX_STATE_VERSION, type SandboxState } from './store.js';

type Breaker = (m: SandboxMerchant, sub: SandboxWebhookSubscription, data: SandboxState) => void;

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
  'no_settlement_wallet',
  'readiness_missing_requirements',
  'readiness_not_attested',
  'readiness_live_mode_off',
  'readiness_blocked',
] as const);

/** A scenario name. */
export type SandboxScenario = (typeof SANDBOX_SCENARIOS)[number];

const NOT_ATTESTED = {
  merchant_responsibility_attested: false,
  responsibility_attestation_version: null,
  responsibility_attestation_source: null,
};

/** What each scenario breaks, starting from the ready baseline. */
const BREAK: Record<SandboxScenario, Breaker> = {
  ready: () => undefined,
  // Hidden rather than deleted, so its secret survives a return to another scenario.
  no_merchant: (m, _sub, data) => {
    data.hidden_merchant = m;
    delete data.merchants[m.merchant];
  },
  // Billing itself stays active, so only the mandate check fails.
  no_mandate: (m) => void (m.billing_mandate_id = null),
  billing_inactive: (m) => void (m.billing_status = 'inactive'),
  merchant_suspended: (m) => void (m.status = 'suspended'),
  no_subscription: (_m, sub, data) => void delete data.subscriptions[sub.id],
  subscription_other_url: (_m, sub, data) =>
    void (sub.callback_url = new URL('/webhooks/siglume-old-endpoint', data.seed.webhook_url).toString()),
  subscription_missing_confirmed: (_m, sub) => void (sub.event_types = [C.DIRECT_PAYMENT_SPENT_EVENT]),
  // As after a rotation in Siglume that never reached the shop's env.
  secret_hint_mismatch: (_m, sub) => void (sub.signing_secret = randomHex('whsec_', 24)),
  hosted_checkout_disabled_409: (m) => void (m.hosted_checkout_enabled = false),
  hosted_checkout_disabled_404: (m, _sub, data) => {
    m.hosted_checkout_enabled = false;
    data.hosted_checkout_routes = false;
  },
  no_settlement_wallet: (m) => void (m.settlement_wallet_address = null),
  // Not onboarded for live mode yet (nor asking for it), so sandbox checkout still works.
  readiness_missing_requirements: (m) =>
    void Object.assign(m, NOT_ATTESTED, {
      standard_terms_accepted: false,
      terms_version: null,
      sandbox_confirmed: false,
      live_mode_requested: false,
    }),
  readiness_not_attested: (m) => void Object.assign(m, NOT_ATTESTED),
  readiness_live_mode_off: (m) => void (m.live_mode_requested = false),
  readiness_blocked: (m) => void (m.readiness_blockers = ['platform_live_mode_paused']),
};

/** True for a known scenario name. */
export const isSandboxScenario = (value: unknown): value is SandboxScenario =>
  typeof value === 'string' && Object.hasOwn(BREAK, value);

type SeedOptions = Pick<SandboxSeed, 'merchant' | 'origin' | 'webhook_url' | 'webhook_secret'>;

/** A fresh state holding the seeded merchant and its subscription, in `scenario`. */
export function createSeededState(options: SeedOptions, scenario: SandboxScenario, now: string): SandboxState {
  const { merchant, origin, webhook_url, webhook_secret } = options;
  const seed = { merchant, origin, webhook_url, webhook_secret, subscription_id: newId('whsub'), created_at: now };
  const data = Object.fromEntries(RECORD_KINDS.map((kind) => [kind, {}])) as SandboxState;
  Object.assign(data, { version: SANDBOX_STATE_VERSION, scenario, hosted_checkout_routes: true, seed });
  applyScenario(data, scenario, now);
  return data;
}

const capitalize = (word: string) => word[0]!.toUpperCase() + word.slice(1);
/** The display name of a merchant key: `my_shop-jp` -> `My Shop Jp`. */
const words = (key: string) => key.split(/[_-]+/).filter(Boolean).map(capitalize).join(' ');

/**
 * Puts the seeded merchant and subscription into `scenario`: first back to the ready baseline (keeping
 * ids, secrets and creation times, so challenges issued earlier still verify), then breaks one thing.
 */
export function applyScenario(data: SandboxState, scenario: SandboxScenario, now: string): void {
  const { seed } = data;
  // Own keys only: a merchant named `constructor` is new, not Object.prototype's constructor.
  const prev =
    (Object.hasOwn(data.merchants, seed.merchant) ? data.merchants[seed.merchant] : data.hidden_merchant) ?? undefined;
  // The mandate it links to, else its latest one (`no_mandate` unlinks it), so switching does not pile them up.
  const mine = Object.values(data.billing_mandates).filter((x) => x.merchant === seed.merchant);
  const kept = mine.find((x) => x.billing_mandate_id === prev?.billing_mandate_id) ?? mine.at(-1);
  const mandate = kept ?? newMandate(seed.merchant, 'JPY', null, now);
  data.billing_mandates[mandate.billing_mandate_id] = mandate;
  const merchant: SandboxMerchant = Object.assign(newMerchant(seed.merchant, now), {
    display_name: words(seed.merchant),
    billing_status: 'active',
    billing_mandate_id: mandate.billing_mandate_id,
    allowed_currencies: { ...C.CURRENCY_TOKENS },
    checkout_allowed_origins: [seed.origin],
    webhook_callback_url: seed.webhook_url,
    standard_terms_accepted: true,
    terms_version: SANDBOX_TERMS_VERSION,
    sandbox_confirmed: true,
    merchant_responsibility_attested: true,
    responsibility_attestation_version: C.STANDARD_RESPONSIBILITY_ATTESTATION_VERSION,
    responsibility_attestation_source: 'sandbox_seed',
    live_mode_requested: true,
  });
  if (prev) {
    const { listing_id, settlement_wallet_address, challenge_secret, challenge_secret_rotated_at, created_at } = prev;
    Object.assign(merchant, { listing_id, challenge_secret, challenge_secret_rotated_at, created_at });
    merchant.settlement_wallet_address = settlement_wallet_address ?? merchant.settlement_wallet_address;
  }
  const sub = Object.assign(newSubscription(seed.webhook_url, now), {
    id: seed.subscription_id,
    description: `${seed.merchant} Direct Request Payment`,
    metadata: { merchant: seed.merchant, source: 'sandbox_seed' },
    signing_secret: seed.webhook_secret,
    created_at: data.subscriptions[seed.subscription_id]?.created_at ?? now,
  });
  Object.assign(data, { hosted_checkout_routes: true, hidden_merchant: null, scenario });
  data.merchants[seed.merchant] = merchant;
  data.subscriptions[seed.subscription_id] = sub;
  BREAK[scenario](merchant, sub, data);
}
