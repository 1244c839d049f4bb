/**
 * Webhook subscription checks: one `listWebhookSubscriptions` call, then
 * whether an active subscription posts `direct_payment.confirmed` to the
 * shop's webhook URL with the secret the shop holds (compared through the
 * hint only; the API never returns the secret itself).
 */
import { DIRECT_PAYMENT_CONFIRMED_EVENT } from '../../core/constants.js';
import {
  apiFailure,
  fail,
  listFrom,
  pass,
  subscriptionId,
  warn,
  type CheckDefinition,
  type CheckOutcome,
  type ReadinessContext,
} from '../context.js';
import type { ReadinessSubscription } from '../types.js';

function isActive(sub: ReadinessSubscription): boolean {
  return sub.status == null || ['active', 'enabled'].includes(String(sub.status).toLowerCase());
}

function label(sub: ReadinessSubscription): string {
  return subscriptionId(sub) ?? '(no id)';
}

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

async function subscriptionExists(ctx: ReadinessContext): Promise<CheckOutcome> {
  const client = await ctx.client();
  let response: unknown;
  try {
    response = await client.listWebhookSubscriptions(ctx.requestOptions());
  } catch (error) {
    return apiFailure(ctx, 'Listing webhook subscriptions', error);
  }
  const list = listFrom(response);
  if (!list) {
    return fail(
      'The webhook subscription list has an unexpected shape',
      'Check that SIGLUME_API_BASE points at the Siglume API (…/v1), not at your shop.',
    );
  }
  const subs = list as ReadinessSubscription[];
  ctx.subscriptions = subs;
  const active = subs.filter(isActive);
  const create = `Create one with client.createWebhookSubscription({ callback_url: '${ctx.config.webhook_url}' }) and put the signing_secret it returns in SIGLUME_WEBHOOK_SECRET.`;
  if (subs.length === 0) return fail('There is no webhook subscription', create);
  if (active.length === 0) {
    const statuses = [...new Set(subs.map((s) => String(s.status)))].join(', ');
    return fail(`None of the ${subs.length} webhook subscriptions is active (status: ${statuses})`, create, {
      subscriptions: subs.length,
    });
  }
  return pass(`${active.length} active webhook subscription${active.length === 1 ? '' : 's'}`, {
    active: active.map(label),
  });
}

function callbackMatches(ctx: ReadinessContext): CheckOutcome {
  const url = ctx.config.webhook_url!;
  const active = (ctx.subscriptions ?? []).filter(isActive);
  ctx.matching = active.filter((s) => s.callback_url === url);
  if (ctx.matching.length > 0) {
    return pass(`Subscription ${label(ctx.matching[0]!)} posts to ${url}`, {
      subscriptions: ctx.matching.map(label),
    });
  }
  const others = [...new Set(active.map((s) => String(s.callback_url ?? '(none)')))];
  const near = active.find((s) => typeof s.callback_url === 'string' && looseUrl(s.callback_url) === looseUrl(url));
  const message = near
    ? `No active subscription posts to exactly ${url}; ${label(near)} posts to ${near.callback_url}`
    : `No active subscription posts to ${url} (active ones post to ${others.join(', ')})`;
  return fail(
    message,
    `Create a subscription for ${url} with client.createWebhookSubscription({ callback_url: '${url}' }) and use its signing secret, or set SHOP_WEBHOOK_URL to the URL you subscribed.`,
    { callback_urls: others },
  );
}

function confirmedSubscribed(ctx: ReadinessContext): CheckOutcome {
  const url = ctx.config.webhook_url!;
  const listsConfirmed = (s: ReadinessSubscription) =>
    Array.isArray(s.event_types) && s.event_types.some((t) => t === DIRECT_PAYMENT_CONFIRMED_EVENT || t === '*');
  const confirmed = ctx.matching.filter(listsConfirmed);
  if (confirmed.length > 0) {
    ctx.target = confirmed[0]!;
    return pass(`Subscription ${label(ctx.target)} receives ${DIRECT_PAYMENT_CONFIRMED_EVENT}`, {
      subscription_id: subscriptionId(ctx.target),
    });
  }
  const unlisted = ctx.matching.find((s) => !Array.isArray(s.event_types));
  if (unlisted) {
    ctx.target = unlisted;
    return warn(
      `Subscription ${label(unlisted)} does not list its event types; assuming it receives ${DIRECT_PAYMENT_CONFIRMED_EVENT}`,
      undefined,
      { subscription_id: subscriptionId(unlisted) },
    );
  }
  const first = ctx.matching[0]!;
  const types = (first.event_types ?? []).join(', ') || 'none';
  return fail(
    `Subscription ${label(first)} to ${url} does not receive ${DIRECT_PAYMENT_CONFIRMED_EVENT} (it receives: ${types})`,
    `Create a subscription for ${url} that includes ${DIRECT_PAYMENT_CONFIRMED_EVENT} (createWebhookSubscription's default event_types do) and use its signing secret.`,
    { subscription_id: subscriptionId(first), event_types: first.event_types ?? [] },
  );
}

function secretMatchesSubscriptionHint(ctx: ReadinessContext): CheckOutcome {
  const secret = ctx.config.webhook_secret!;
  const target = ctx.target!;
  const hinted = ctx.matching.filter(
    (s) =>
      typeof s.signing_secret_hint === 'string' &&
      s.signing_secret_hint !== '' &&
      (s === target || (Array.isArray(s.event_types) && s.event_types.includes(DIRECT_PAYMENT_CONFIRMED_EVENT))),
  );
  const match = hinted.find((s) => secretMatchesHint(secret, s.signing_secret_hint!));
  if (match) {
    // Deliver the probe through the subscription whose secret the shop holds.
    ctx.target = match;
    return pass(`SIGLUME_WEBHOOK_SECRET whsec_… (hint matches subscription ${label(match)})`, {
      subscription_id: subscriptionId(match),
    });
  }
  if (typeof target.signing_secret_hint !== 'string' || target.signing_secret_hint === '') {
    return warn(
      `Subscription ${label(target)} has no signing_secret_hint, so SIGLUME_WEBHOOK_SECRET could not be compared`,
      'The delivery probe cannot prove the secret either: send a test event with `siglume-sdrp webhook trigger` to your handler to confirm it verifies.',
    );
  }
  return fail(
    `SIGLUME_WEBHOOK_SECRET whsec_… does not match the signing secret of subscription ${label(target)} (hint differs)`,
    `Set SIGLUME_WEBHOOK_SECRET to the signing_secret returned when subscription ${label(target)} was created (it is shown only once), or create a new subscription for ${ctx.config.webhook_url} and use its secret.`,
    { subscription_id: subscriptionId(target) },
  );
}

/** The subscription checks, in contract order. */
export const SUBSCRIPTION_CHECKS: readonly CheckDefinition[] = [
  { name: 'webhook_subscription_exists', group: 'subscription', run: subscriptionExists },
  { name: 'webhook_callback_matches', group: 'subscription', run: callbackMatches },
  { name: 'direct_payment_confirmed_subscribed', group: 'subscription', run: confirmedSubscribed },
  { name: 'webhook_secret_matches_subscription_hint', group: 'subscription', run: secretMatchesSubscriptionHint },
];
