/**
 * Options of the checkout service and their validation. Checked once, when
 * the service is created: a misconfigured shop fails at startup, not when the
 * first buyer pays. The rules are the package's own (merchant key, checkout
 * origin, signing secrets), not re-stated here.
 */
import { SiglumeValidationError } from '../core/errors.js';
import { checkoutOriginSchema, merchantKeySchema, parseInput, shopBasePath } from '../core/validation.js';
import { assertSecret, normalizeSecrets, signingSecretHasWhitespace } from '../internal/secrets.js';
import type { OrderCheckoutClient } from './confirm.js';
import type { OrderPaymentPolicy } from './decide.js';
import { OrderAuthorizationRequiredError } from './errors.js';
import { RecentCheckoutFailures, SessionLookups } from './session-lookups.js';
import { SignatureReports } from './signature-reports.js';
import type { OrderPaymentReview, OrderRecord, OrderStore } from './store.js';

/** Where an error the service answered with a 5xx came from, for `onError`. */
export interface OrderErrorContext {
  operation: 'checkout' | 'webhook' | 'reconcile';
  order_id?: string | undefined;
  event_id?: string | undefined;
}

/** Where a review handed to `onReview` was recorded: a webhook delivery or a reconciliation. */
export interface OrderReviewContext {
  operation: 'webhook' | 'reconcile';
  /** The order the review is about, when one is known (also when the review's own `order_id` is null). */
  order_id?: string | undefined;
}

/** Options of {@link createOrderCheckoutService}. `U` is your signed-in user type. */
export interface OrderCheckoutServiceOptions<U = unknown> {
  /** A merchant client (`new DirectRequestPaymentMerchantClient({ auth_token, base_url })`). */
  merchant_client: OrderCheckoutClient;
  /** Where orders, attempts, events and reviews live (e.g. `PostgresOrderStore`). */
  order_store: OrderStore;
  /** Your merchant key (SIGLUME_DIRECT_PAYMENT_MERCHANT), `^[a-z0-9][a-z0-9_-]{2,63}$`. */
  merchant: string;
  /** Webhook signing secret `whsec_...`, or `[current, previous]` while rotating. */
  webhook_secret: string | readonly string[];
  /** Public origin of the shop (`https://shop.example`; http only on localhost); success / cancel URLs hang off it. */
  shop_public_origin: string;
  /**
   * The path the shop is served under when it is not the origin's root (`/store`: a Next.js `basePath`, or a
   * reverse proxy that forwards `https://example.com/store/...`). The success / cancel URLs become
   * `<origin>/store/checkout/siglume/success` and `.../cancel`. Segments of letters, digits and `-._~`; a trailing
   * slash is dropped.
   * @default '' (the origin's root)
   */
  shop_base_path?: string | undefined;
  /**
   * Accept Micro / Nano amounts (JPY 1-500, USD 0.01-3.00), which settle
   * later in batches: the order is fulfilled on "accepted", not on "settled".
   * Only the literal `true` turns it on.
   * @default false
   */
  allow_metered_payments?: boolean | undefined;
  /**
   * Ask Siglume's API (`getCheckoutSession`) that the attempt's session is
   * `paid` by the event's requirement before an order changes. Only the
   * literal `false` turns it off, and then a correctly signed event is
   * trusted on its own: anyone holding your merchant API token can have
   * Siglume sign a test delivery (`queueWebhookTestDelivery`) that looks
   * exactly like a settled payment, and it would mark the order paid.
   * @default true
   */
  confirm_payments?: boolean | undefined;
  /**
   * Decides whether `user` may pay `order` (e.g. `order.owner_id === user.id`).
   * Anything but `true` answers 404 `order_not_found`, exactly as for a missing order.
   */
  authorize_order?: ((order: OrderRecord, user: U) => boolean | Promise<boolean>) | undefined;
  /**
   * Start checkouts without `authorize_order`. Only the literal `true` counts;
   * without either, creating the service throws {@link OrderAuthorizationRequiredError}.
   * @default false
   */
  allow_unverified_order_lookup?: boolean | undefined;
  /** The signed-in user of a Fetch `Request`, for `handleCheckoutRequest`. */
  currentUser?: ((request: Request) => U | Promise<U>) | undefined;
  /** Clock tolerance for webhook timestamps, seconds. @default 300 */
  webhook_tolerance_seconds?: number | undefined;
  /** Seconds one request may spend creating a session before another may take over. @default 30 */
  creation_lease_seconds?: number | undefined;
  /** A stored session expiring sooner than this is replaced by a new one, unless Siglume says it was paid, seconds. @default 120 */
  session_reuse_margin_seconds?: number | undefined;
  /** Assumed lifetime of a session without `expires_at`, seconds. @default 1800 */
  default_session_lifetime_seconds?: number | undefined;
  /** `retry_after_ms` of the 202 answered while another request creates the session. @default 250 */
  retry_after_ms?: number | undefined;
  /**
   * Bearer token of the scheduled reconciliation route (`handleReconcile`,
   * `handleReconcileRequest`), 32-256 characters and random (`openssl rand -hex 32`: a token of fewer than 5
   * different characters, or one sequence repeated, is refused); without it the route
   * answers 404 `reconcile_disabled`. Keep it secret: it lets the caller make
   * the shop ask Siglume's API about every open session (rate limits).
   */
  reconcile_token?: string | undefined;
  /** Called with every error behind a 5xx answer (the answer itself never carries details). */
  onError?: ((error: unknown, context: OrderErrorContext) => void) | undefined;
  /**
   * Called with every payment the shop recorded as a review instead of applying it (a second payment of a paid
   * order, a payment of a re-priced or cancelled order, one Siglume does not confirm, ...): the webhook still
   * answers 204, the order does not change, and a refund may be owed. Called once per review row, after the
   * transaction that recorded it committed; never for a redelivery of an event already recorded, nor in a dry
   * run. A payment that its webhook and a later reconciliation both examined has a row for each event, so it is
   * heard twice: refund by `requirement_id`, once. What it throws (or rejects with) is dropped: the answer and
   * the review row stay as they are.
   */
  onReview?: ((review: OrderPaymentReview, context: OrderReviewContext) => void) | undefined;
}

/** Options after validation and defaults. */
export interface ResolvedOrderCheckoutOptions<U> {
  client: OrderCheckoutClient;
  store: OrderStore;
  secrets: readonly string[];
  origin: string;
  /** `shop_base_path` normalized: '' or `/segment...` without a trailing slash. */
  base_path: string;
  policy: OrderPaymentPolicy;
  authorize: ((order: OrderRecord, user: U) => boolean | Promise<boolean>) | null;
  currentUser: ((request: Request) => U | Promise<U>) | null;
  tolerance_seconds: number | undefined;
  creation_lease_seconds: number;
  session_reuse_margin_seconds: number;
  default_session_lifetime_seconds: number;
  retry_after_ms: number;
  reconcile_token: string | null;
  report: (error: unknown, context: OrderErrorContext) => void;
  /** Hands a committed review to `onReview`; never throws. */
  notifyReview: (review: OrderPaymentReview, context: OrderReviewContext) => void;
  /** This service's recent answers about stored sessions (one look-up per session per 5 s). */
  session_lookups: SessionLookups;
  /** This service's recent failures to create an order's session (one creation per order per 5 s while Siglume fails). */
  checkout_failures: RecentCheckoutFailures;
  /** This service's limit on reports of failed webhook signatures (per code, one a minute). */
  signature_reports: SignatureReports;
}

const STORE_METHODS = ['findOrder', 'beginCheckoutAttempt', 'markCheckoutPending', 'markCheckoutFailed', 'previewWebhookEvent', 'processWebhookEvent',
  'listUnpaidCheckoutAttempts', 'retireCheckoutAttempt'] as const;

function seconds(value: unknown, field: string, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new SiglumeValidationError(field, `Invalid ${field}: must be an integer from 0 to ${max}`);
  }
  return value;
}

function fn<T>(value: unknown, field: string): T | null {
  if (value === undefined) return null;
  if (typeof value !== 'function') throw new SiglumeValidationError(field, `Invalid ${field}: must be a function`);
  return value as T;
}

/** Fewer different characters than this in a reconcile token is a made-up token, not a random one. */
const RECONCILE_TOKEN_MIN_DISTINCT = 5;

/**
 * Whether a reconcile token of the right length is still guessable: fewer than 5 different characters
 * (`aaaa…`, `0000…01`, `abab…`), or the whole token one sequence repeated (`0123456789abcdef0123456789abcdef`,
 * `Passw0rd!Passw0rd!…`, the last copy possibly cut short). The length rule alone accepts all of these.
 *
 * A random token never meets this in practice (exact occupancy sums for uniform characters): fewer than 5
 * different characters in `openssl rand -hex 32` (64 hex characters) has probability 5e-36, in a base64url
 * 32-byte token (43 characters) 1e-46, in the shortest hex token accepted (32 characters) 1e-16, and even in 32
 * random decimal digits 4e-11 (at 8 different characters it was 1 in 780 there, too often). The whole token
 * repeating with period p needs its last n - p >= n / 2 characters to match by chance: P <= (n / 2) * 10^-(n / 2),
 * below 1e-14 for 32 digits.
 */
function predictableToken(token: string): boolean {
  if (new Set(token).size < RECONCILE_TOKEN_MIN_DISTINCT) return true;
  for (let period = 1; period <= token.length / 2; period++) {
    let i = period;
    while (i < token.length && token[i] === token[i - period]) i++;
    if (i === token.length) return true;
  }
  return false;
}

// The one rule for a reconcile token: the option's, and SIGLUME_RECONCILE_TOKEN's through it in the templates.
// Its errors never echo the token.
function reconcileToken(value: unknown): string | null {
  if (value === undefined) return null;
  // eslint-disable-next-line no-control-regex
  if (typeof value !== 'string' || value.length < 32 || value.length > 256 || /[\s\u0000-\u001f\u007f]/.test(value)) {
    throw new SiglumeValidationError('reconcile_token', 'Invalid reconcile_token: must be 32-256 characters without spaces or control characters');
  }
  if (predictableToken(value)) {
    const why = `fewer than ${RECONCILE_TOKEN_MIN_DISTINCT} different characters, or the whole token one sequence repeated`;
    const fix = 'make a random one, e.g. `openssl rand -hex 32`';
    throw new SiglumeValidationError('reconcile_token', `Invalid reconcile_token: too predictable (${why}); ${fix}`);
  }
  return value;
}

/** `shop_public_origin`; one with a path is refused with the option a shop served under a path needs. */
function shopOrigin(value: unknown): string {
  try {
    return parseInput(checkoutOriginSchema, value, 'shop_public_origin');
  } catch (error) {
    const path = typeof value === 'string' && URL.canParse(value) ? new URL(value).pathname : '/';
    if (!(error instanceof SiglumeValidationError) || path === '/') throw error;
    const hint = `; a shop served under a path keeps the origin here and sets shop_base_path (SHOP_BASE_PATH in the templates) to ${path.replace(/\/+$/, '')}`;
    throw new SiglumeValidationError('shop_public_origin', `${error.message}${hint}`, { code: error.code, cause: error });
  }
}

/** A webhook signing secret the service can verify with, refused when the service is made otherwise. */
function webhookSecret(value: unknown, field: string): void {
  assertSecret(value, field, 'SIGLUME_WEBHOOK_SECRET');
  if (signingSecretHasWhitespace(value)) {
    throw new SiglumeValidationError(field, `Invalid ${field}: must not contain spaces or line breaks (check the quoting where it is set, or trim it where it is read)`);
  }
}

/**
 * Validates the options.
 * @throws {SiglumeValidationError} naming the first bad option.
 * @throws {OrderAuthorizationRequiredError} without `authorize_order` or `allow_unverified_order_lookup: true`.
 */
export function resolveOrderCheckoutOptions<U>(options: OrderCheckoutServiceOptions<U>): ResolvedOrderCheckoutOptions<U> {
  if (options === null || typeof options !== 'object') throw new SiglumeValidationError('options', 'Invalid options: must be an object');
  const client = options.merchant_client as unknown as Record<string, unknown> | null;
  if (!client || typeof client.createCheckoutSession !== 'function' || typeof client.getCheckoutSession !== 'function') {
    throw new SiglumeValidationError('merchant_client', 'Invalid merchant_client: must be a DirectRequestPaymentMerchantClient');
  }
  const store = options.order_store as unknown as Record<string, unknown> | null;
  const missing = store && typeof store === 'object' ? STORE_METHODS.filter((m) => typeof store[m] !== 'function') : STORE_METHODS;
  if (missing.length > 0) throw new SiglumeValidationError('order_store', `Invalid order_store: must implement OrderStore (missing ${missing.join(', ')})`);
  const authorize = fn<ResolvedOrderCheckoutOptions<U>['authorize']>(options.authorize_order, 'authorize_order');
  if (!authorize && options.allow_unverified_order_lookup !== true) throw new OrderAuthorizationRequiredError();
  const tolerance = options.webhook_tolerance_seconds;
  const onError = fn<(error: unknown, context: OrderErrorContext) => void>(options.onError, 'onError');
  const onReview = fn<(review: OrderPaymentReview, context: OrderReviewContext) => void>(options.onReview, 'onReview');
  return {
    client: options.merchant_client,
    store: options.order_store,
    secrets: normalizeSecrets(options.webhook_secret, 'webhook_secret', webhookSecret),
    origin: shopOrigin(options.shop_public_origin),
    base_path: shopBasePath(options.shop_base_path),
    policy: {
      merchant: parseInput(merchantKeySchema, options.merchant, 'merchant'),
      allow_metered_payments: options.allow_metered_payments === true,
      confirm_payments: options.confirm_payments !== false,
    },
    authorize,
    currentUser: fn(options.currentUser, 'currentUser'),
    tolerance_seconds: tolerance === undefined ? undefined : seconds(tolerance, 'webhook_tolerance_seconds', 300, 86_400),
    creation_lease_seconds: seconds(options.creation_lease_seconds, 'creation_lease_seconds', 30, 3600),
    session_reuse_margin_seconds: seconds(options.session_reuse_margin_seconds, 'session_reuse_margin_seconds', 120, 86_400),
    default_session_lifetime_seconds: seconds(options.default_session_lifetime_seconds, 'default_session_lifetime_seconds', 1800, 31 * 86_400),
    retry_after_ms: seconds(options.retry_after_ms, 'retry_after_ms', 250, 60_000),
    reconcile_token: reconcileToken(options.reconcile_token),
    session_lookups: new SessionLookups(),
    checkout_failures: new RecentCheckoutFailures(),
    signature_reports: new SignatureReports(),
    report: (error, context) => {
      try {
        onError?.(error, context);
      } catch {
        // A throwing reporter must not turn an answer into a crash.
      }
    },
    notifyReview: reviewNotifier(onReview),
  };
}

/**
 * `onReview` made safe to call after a commit: what it throws is dropped, and so is a rejection of the promise an
 * async callback returns (unhandled, it would end the process).
 */
export function reviewNotifier(
  onReview: ((review: OrderPaymentReview, context: OrderReviewContext) => void) | null | undefined,
): (review: OrderPaymentReview, context: OrderReviewContext) => void {
  return (review, context) => {
    if (!onReview) return;
    try {
      const returned: unknown = onReview({ ...review }, context);
      if (returned !== undefined) Promise.resolve(returned).catch(() => undefined);
    } catch {
      // The review is committed and the answer decided: a failing callback changes neither.
    }
  };
}
