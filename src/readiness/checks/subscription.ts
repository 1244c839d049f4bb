/**
 * Webhook subscription group: one `listWebhookSubscriptions` call, then
 * whether an active subscription posts `direct_payment.confirmed` to the
 * shop's webhook URL with the secret the shop holds (compared through the
 * hint only; the API never returns the secret itself). Hands on the
 * subscription the delivery probe targets.
 */
import type { DirectRequestPaymentWebhookSubscription } from '../../clients/schemas/webhook-subscription.js';
import { DIRECT_PAYMENT_CONFIRMED_EVENT } from '../../core/constants.js';
import { sameUrl } from '../../core/validation.js';
import type { ApiInput } from '../group.js';
import { apiFailure, fail, failed, found, pass, shapeMismatch, warn, wrongApiFix, type Checked } from '../outcome.js';
import type { CheckRun } from '../recorder.js';
import { isActiveLike } from './account.js';
import { maskUrlCredentials as shown } from './config.js';

type Subscription = DirectRequestPaymentWebhookSubscription;

/** What the subscription group hands on. */
export interface SubscriptionFacts {
  /** The subscription the delivery probe targets: posts to the webhook URL, receives confirmations, holds the shop's secret. */
  target: Subscription;
}

const isActive = (sub: Subscription): boolean => isActiveLike(sub.status);

// Lenient form of a URL, only to point out near misses such as a trailing slash.
function looseUrl(value: string): string {
  try {
    const url = new URL(value);
    return `${url.origin}${url.pathname.replace(/\/+$/, '')}${url.search}`;
  } catch {
    return value.replace(/\/+$/, '');
  }
}

/**
 * True when `secret` is consistent with the API's `signing_secret_hint`: a
 * plain suffix, or `<prefix>…<suffix>` / `<prefix>...<suffix>`.
 */
export function secretMatchesHint(secret: string, hint: string): boolean {
  const parts = hint.split(/…|\.\.\.|\*+/);
  if (parts.length === 1) return secret.endsWith(hint);
  const head = parts[0] ?? '';
  const tail = parts[parts.length - 1] ?? '';
  return secret.length >= head.length + tail.length && secret.startsWith(head) && secret.endsWith(tail);
}

// An empty list filters nothing: the subscription receives every event type (CONTRACT-2 section 18.4).
function receivesConfirmed(sub: Subscription): boolean {
  return (
    Array.isArray(sub.event_types) &&
    (sub.event_types.length === 0 || sub.event_types.some((t) => t === DIRECT_PAYMENT_CONFIRMED_EVENT || t === '*'))
  );
}

/** The active subscriptions. */
async function subscriptionExists(input: ApiInput): Promise<Checked<Subscription[]>> {
  const client = await input.client();
  let subs: Subscription[];
  try {
    subs = await client.listWebhookSubscriptions(input.request_options);
  } catch (error) {
    if (shapeMismatch(error)) {
      return failed(fail('The webhook subscription list has an unexpected shape', wrongApiFix(input.target)));
    }
    return failed(apiFailure(input.target, 'Listing webhook subscriptions', error));
  }
  const active = subs.filter(isActive);
  const create = `Create one with client.createWebhookSubscription({ callback_url: ${callbackLiteral(input.config.webhook_url)} }) and put the signing_secret it returns in SIGLUME_WEBHOOK_SECRET.`;
  if (subs.length === 0) return failed(fail('There is no webhook subscription', create));
  if (active.length === 0) {
    const statuses = [...new Set(subs.map((s) => String(s.status ?? 'none')))].join(', ');
    return failed(
      fail(`None of the ${subs.length} webhook subscriptions is active (status: ${statuses})`, create, { subscriptions: subs.length }),
    );
  }
  return found(
    pass(`${active.length} active webhook subscription${active.length === 1 ? '' : 's'}`, { active: active.map((s) => s.id) }),
    active,
  );
}

/**
 * The webhook URL as a fix quotes it for pasting: the URL itself, or, when masking changed it (an `@` masking
 * cannot tell from a credential), the variable that holds it, since the masked text is another URL.
 */
const callbackLiteral = (url: string): string => (shown(url) === url ? `'${url}'` : 'process.env.SHOP_WEBHOOK_URL');

/** The active subscriptions posting to the webhook URL (compared as URLs: case of the host, default port). */
function callbackMatches(url: string, active: Subscription[]): Checked<Subscription[]> {
  const matching = active.filter((s) => sameUrl(s.callback_url, url));
  if (matching.length > 0) {
    return found(pass(`Subscription ${matching[0]!.id} posts to ${shown(url)}`, { subscriptions: matching.map((s) => s.id) }), matching);
  }
  const others = [...new Set(active.map((s) => shown(String(s.callback_url ?? '(none)'))))];
  const near = active.find((s) => typeof s.callback_url === 'string' && looseUrl(s.callback_url) === looseUrl(url));
  const message = near
    ? `No active subscription posts to exactly ${shown(url)}; ${near.id} posts to ${shown(near.callback_url as string)}`
    : `No active subscription posts to ${shown(url)} (active ones post to ${others.join(', ')})`;
  return failed(
    fail(
      message,
      `Create a subscription for ${shown(url)} with client.createWebhookSubscription({ callback_url: ${callbackLiteral(url)} }) and use its signing secret, or set SHOP_WEBHOOK_URL to the URL you subscribed.`,
      { callback_urls: others },
    ),
  );
}

/** The matching subscription that receives confirmations (or does not say what it receives). */
function confirmedSubscribed(url: string, matching: Subscription[]): Checked<Subscription> {
  const confirmed = matching.find(receivesConfirmed);
  if (confirmed) {
    const every = confirmed.event_types!.length === 0 ? ' (its empty event_types list receives every event type)' : '';
    return found(pass(`Subscription ${confirmed.id} receives ${DIRECT_PAYMENT_CONFIRMED_EVENT}${every}`, { subscription_id: confirmed.id }), confirmed);
  }
  const unlisted = matching.find((s) => !Array.isArray(s.event_types));
  if (unlisted) {
    return found(
      warn(
        `Subscription ${unlisted.id} does not list its event types; assuming it receives ${DIRECT_PAYMENT_CONFIRMED_EVENT}`,
        undefined,
        { subscription_id: unlisted.id },
      ),
      unlisted,
    );
  }
  const first = matching[0]!;
  const types = (first.event_types ?? []).join(', ') || 'none';
  return failed(
    fail(
      `Subscription ${first.id} to ${shown(url)} does not receive ${DIRECT_PAYMENT_CONFIRMED_EVENT} (it receives: ${types})`,
      `Create a subscription for ${shown(url)} that includes ${DIRECT_PAYMENT_CONFIRMED_EVENT} (createWebhookSubscription's default event_types do) and use its signing secret.`,
      { subscription_id: first.id, event_types: first.event_types ?? [] },
    ),
  );
}

/** The subscription whose secret the shop holds (the probe is delivered through it). */
function secretMatchesSubscriptionHint(
  config: ApiInput['config'],
  matching: Subscription[],
  target: Subscription,
): Checked<Subscription> {
  const hinted = matching.filter(
    (s) =>
      typeof s.signing_secret_hint === 'string' &&
      s.signing_secret_hint !== '' &&
      (s === target || receivesConfirmed(s)),
  );
  const match = hinted.find((s) => secretMatchesHint(config.webhook_secret, s.signing_secret_hint!));
  if (match) {
    return found(
      pass(`SIGLUME_WEBHOOK_SECRET whsec_… (hint matches subscription ${match.id})`, { subscription_id: match.id }),
      match,
    );
  }
  if (typeof target.signing_secret_hint !== 'string' || target.signing_secret_hint === '') {
    return found(
      warn(
        `Subscription ${target.id} has no signing_secret_hint, so SIGLUME_WEBHOOK_SECRET could not be compared`,
        'The delivery probe cannot prove the secret either: send a test event with `siglume-sdrp webhook trigger` to your handler to confirm it verifies.',
      ),
      target,
    );
  }
  return failed(
    fail(
      `SIGLUME_WEBHOOK_SECRET whsec_… does not match the signing secret of subscription ${target.id} (hint differs)`,
      `Set SIGLUME_WEBHOOK_SECRET to the signing_secret returned when subscription ${target.id} was created (it is shown only once), or create a new subscription for ${shown(config.webhook_url)} and use its secret.`,
      { subscription_id: target.id },
    ),
  );
}

/** Runs the subscription checks, in contract order; null when one failed. */
export async function subscriptionChecks(input: ApiInput, run: CheckRun): Promise<SubscriptionFacts | null> {
  const url = input.config.webhook_url;
  const active = await run.check('webhook_subscription_exists', () => subscriptionExists(input));
  if (!active.ok) return null;
  const matching = await run.check('webhook_callback_matches', () => callbackMatches(url, active.fact));
  if (!matching.ok) return null;
  const confirmed = await run.check('direct_payment_confirmed_subscribed', () => confirmedSubscribed(url, matching.fact));
  if (!confirmed.ok) return null;
  const target = await run.check('webhook_secret_matches_subscription_hint', () =>
    secretMatchesSubscriptionHint(input.config, matching.fact, confirmed.fact),
  );
  if (!target.ok) return null;
  return { target: target.fact };
}
