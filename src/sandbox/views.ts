/**
 * What the API shows of each record. Secrets are removed here, in one place:
 * challenge secrets and webhook signing secrets appear only in the answers
 * that create or rotate them.
 */
import type { SandboxRuntime } from './runtime.js';
import type {
  SandboxCheckoutSession,
  SandboxDelivery,
  SandboxMerchant,
  SandboxRequirement,
  SandboxStateData,
  SandboxWebhookSubscription,
} from './types.js';

/**
 * A copy of validated JSON data (metadata), so callers cannot change stored
 * records. Cheaper than structuredClone on the session hot path.
 */
function cloneJson<T extends Record<string, unknown>>(value: T): T {
  for (const _ in value) return JSON.parse(JSON.stringify(value)) as T;
  return {} as T;
}

/** The hint shown for a signing secret: its last four characters (a suffix, per the contract). */
export function signingSecretHint(secret: string): string {
  return secret.slice(-4);
}

/** A merchant account without its challenge secret. */
export function merchantAccountView(m: SandboxMerchant): Record<string, unknown> {
  const { challenge_secret: _secret, ...rest } = m;
  return { ...rest, allowed_currencies: { ...m.allowed_currencies }, checkout_allowed_origins: [...m.checkout_allowed_origins] };
}

/** A subscription without its signing secret. */
export function subscriptionView(s: SandboxWebhookSubscription): Record<string, unknown> {
  return {
    id: s.id,
    webhook_subscription_id: s.id,
    subscription_id: s.id,
    callback_url: s.callback_url,
    status: s.status,
    event_types: [...s.event_types],
    description: s.description,
    metadata: cloneJson(s.metadata),
    signing_secret_hint: signingSecretHint(s.signing_secret),
    created_at: s.created_at,
    updated_at: s.updated_at,
  };
}

/** URL of a session's hosted checkout page on this sandbox. */
export function checkoutUrl(rt: SandboxRuntime, sessionId: string): string {
  return `${rt.baseUrl()}/pay/${encodeURIComponent(sessionId)}`;
}

/** A checkout session with its `checkout_url`; the challenge string itself stays inside. */
export function sessionView(rt: SandboxRuntime, s: SandboxCheckoutSession): Record<string, unknown> {
  const { challenge: _challenge, ...rest } = s;
  return { ...rest, checkout_url: checkoutUrl(rt, s.session_id), metadata: cloneJson(s.metadata) };
}

/** A requirement as the buyer sees it. */
export function requirementView(r: SandboxRequirement): Record<string, unknown> {
  return structuredClone(r) as unknown as Record<string, unknown>;
}

/** A delivery record. */
export function deliveryView(d: SandboxDelivery): Record<string, unknown> {
  return { ...d };
}

/** The state without any secret, for `GET /__sandbox/state`. */
export function redactedState(rt: SandboxRuntime, data: SandboxStateData): Record<string, unknown> {
  const { webhook_secret: _secret, ...seed } = data.seed;
  const mapValues = <T, R>(rec: Record<string, T>, fn: (v: T) => R) =>
    Object.fromEntries(Object.entries(rec).map(([k, v]) => [k, fn(v)]));
  return {
    version: data.version,
    seed,
    scenario: data.scenario,
    hosted_checkout_routes: data.hosted_checkout_routes,
    merchants: mapValues(data.merchants, merchantAccountView),
    billing_mandates: structuredClone(data.billing_mandates),
    subscriptions: mapValues(data.subscriptions, subscriptionView),
    checkout_sessions: mapValues(data.checkout_sessions, (s) => sessionView(rt, s)),
    requirements: structuredClone(data.requirements),
    receipts: structuredClone(data.receipts),
    events: structuredClone(data.events),
    deliveries: structuredClone(data.deliveries),
    usage_events: structuredClone(data.usage_events),
    settlement_batches: structuredClone(data.settlement_batches),
  };
}
