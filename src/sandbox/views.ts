/**
 * What the API shows of each record. Secrets are removed here, in one place:
 * challenge secrets and webhook signing secrets appear only in the answers
 * that create or rotate them.
 */
import type { SandboxState } from './store.js';
import type { SandboxCheckoutSession, SandboxMerchant, SandboxWebhookSubscription } from './types.js';

/** A deep copy of JSON data, so callers cannot change stored records. */
export const copy = <T>(value: T): T => structuredClone(value);

/** A merchant account without its challenge secret. */
export function merchantAccountView(m: SandboxMerchant): Record<string, unknown> {
  const { challenge_secret: _secret, ...rest } = copy(m);
  return rest;
}

/** A subscription without its signing secret; the hint is its last four characters (a suffix, per the contract). */
export function subscriptionView(s: SandboxWebhookSubscription): Record<string, unknown> {
  const { signing_secret, ...rest } = copy(s);
  return { ...rest, webhook_subscription_id: s.id, subscription_id: s.id, signing_secret_hint: signing_secret.slice(-4) };
}

/** A checkout session with its `checkout_url` on the sandbox at `origin`; the challenge string itself stays inside. */
export function sessionView(s: SandboxCheckoutSession, origin: string): Record<string, unknown> {
  const { challenge: _challenge, ...rest } = copy(s);
  return { ...rest, checkout_url: `${origin}/pay/${encodeURIComponent(s.session_id)}` };
}

/** The state without any secret, for `GET /__sandbox/state`. */
export function redactedState(data: SandboxState, origin: string): Record<string, unknown> {
  const { webhook_secret: _secret, ...seed } = data.seed;
  const map = <T>(rec: Record<string, T>, fn: (v: T) => unknown) => Object.fromEntries(Object.entries(rec).map(([k, v]) => [k, fn(v)]));
  const { hidden_merchant: _hidden, merchants, subscriptions, checkout_sessions, ...rest } = data;
  return {
    ...copy(rest),
    seed,
    merchants: map(merchants, merchantAccountView),
    subscriptions: map(subscriptions, subscriptionView),
    checkout_sessions: map(checkout_sessions, (s) => sessionView(s, origin)),
  };
}
