/**
 * Siglume Direct Request Payment (SDRP) routes for an Express app.
 *
 *   POST /payments/checkout/siglume/start   JSON {order_id} -> {checkout_url, session_id}
 *   POST /payments/webhooks/siglume         raw body, signed by Siglume -> 204
 *
 * Copy this file into your app (`siglume-sdrp init express`), pick an order
 * store (siglume-order-store.postgres.ts, or write your own against
 * SiglumeSdrpOrderStore) and mount `createSiglumeSdrpRouter(...)` BEFORE
 * `express.json()`. README.md explains mounting, environment and the store.
 *
 * Every "why" comment below marks a decision that protects money. Keep them
 * when you edit this file.
 *
 * This file is longer than the repo's ~300-line habit on purpose: it is the
 * unit merchants copy and review, and the route types, the event routing and
 * both handlers read best in one place rather than spread over files that
 * must always be copied together.
 */
import express, { type Express, type Request, type RequestHandler, type Response } from 'express';
import {
  DirectRequestPaymentMerchantClient,
  HostedCheckoutNotAvailableError,
  SiglumeDirectRequestPaymentError,
  SiglumeWebhookPayloadError,
  READINESS_PROBE_MODE,
  SiglumeWebhookSignatureError,
  classifyDirectPaymentConfirmation,
  pricingBandFor,
  verifyDirectRequestPaymentWebhook,
  type DirectRequestPaymentWebhookEvent,
} from '@siglume/direct-request-payment';

/**
 * Options of {@link createSiglumeSdrpRouter} and the two route factories.
 * Checked when a factory is called (see {@link assertSiglumeSdrpOptions}):
 * a misconfigured app fails at startup, not on the first payment.
 */
export interface SiglumeSdrpRouterOptions {
  /** Your merchant key (SIGLUME_DIRECT_PAYMENT_MERCHANT), `^[a-z0-9][a-z0-9_-]{2,63}$`. */
  merchant: string;
  /**
   * Merchant API token (SIGLUME_MERCHANT_AUTH_TOKEN), required and non-empty.
   * Only the checkout route uses it. There is deliberately no fallback to the
   * environment: the SDK client would otherwise pick up SIGLUME_AUTH_TOKEN,
   * which may be a buyer / provider token.
   */
  merchant_auth_token: string;
  /** Webhook signing secret(s), `whsec_...` (SIGLUME_WEBHOOK_SECRET), non-empty. Pass two while rotating. */
  webhook_secret: string | readonly string[];
  /** Public origin of the shop, e.g. `https://shop.example` (SHOP_PUBLIC_ORIGIN). */
  shop_public_origin: string;
  /** Where orders, attempts, processed events and reviews live. */
  order_store: SiglumeSdrpOrderStore;
  /**
   * Accept Micro / Nano amounts (JPY 1-500, USD 0.01-3.00). Those are settled
   * later in weekly / monthly batches: the webhook says "accepted", not
   * "money moved". Leave false unless you ship on accepted usage knowingly.
   * @default false
   */
  allow_metered_payments?: boolean;
  /** Siglume API base, e.g. the sandbox's `api_base`. @default env SIGLUME_API_BASE, else https://siglume.com/v1 */
  siglume_api_base?: string;
  /** Clock tolerance for webhook timestamps, seconds. @default 300 */
  webhook_tolerance_seconds?: number;
  /** Where failures are reported. @default console */
  logger?: { error(message: string, detail?: unknown): void };
}

/** Payment state of an order. `fulfilled_unsettled`: Micro / Nano usage accepted, batch not settled yet. */
export type SiglumeOrderStatus = 'pending' | 'paid' | 'fulfilled_unsettled';

/** Lifecycle of a checkout attempt. Only the `active` one may pay its order. */
export type SiglumeCheckoutAttemptStatus = 'active' | 'superseded' | 'expired';

/**
 * How long a checkout session whose `expires_at` Siglume did not report is
 * assumed to stay payable, counted from when the attempt was created or its
 * session stored. After that (minus the store's re-use margin) the attempt
 * is retired as `expired` and the next start makes a new attempt with a new
 * nonce, instead of handing out a session that may have expired or been
 * cancelled, forever. 30 minutes.
 */
export const SIGLUME_DEFAULT_SESSION_LIFETIME_SECONDS = 30 * 60;

/** An order's active checkout attempt, as returned by `beginCheckoutAttempt`. */
export interface SiglumeCheckoutAttempt {
  order_id: string;
  attempt_id: string;
  order_status: SiglumeOrderStatus;
  /** Server-authored amount in minor units (JPY yen, USD cents). Never taken from the client. */
  amount_minor: number;
  currency: 'JPY' | 'USD';
  /** Stable for the attempt (a retried start signs the same challenge). Must not contain ':'. */
  nonce: string;
  /** Set once a session was created for this attempt; the route then re-uses it. */
  checkout_session_id: string | null;
  checkout_url: string | null;
}

/** What `markCheckoutPending` persists before the buyer is redirected. */
export interface SiglumeCheckoutSessionRecord {
  checkout_session_id: string;
  checkout_url: string;
  challenge_hash: string;
  expires_at: string | null;
}

/**
 * An order found by challenge hash (through one of its attempts, active or
 * not). `amount_minor` / `currency` are the ORDER's current ones; the matched
 * attempt's snapshot and status come separately, so the webhook can refuse a
 * payment made on an old price (see routeEvent).
 */
export interface SiglumeCheckoutOrder {
  order_id: string;
  status: SiglumeOrderStatus;
  /** The order's current amount, minor units. */
  amount_minor: number;
  /** The order's current currency. */
  currency: 'JPY' | 'USD';
  /** The requirement that paid / fulfilled the order, if any. */
  requirement_id: string | null;
  /** Status of the attempt whose challenge hash matched. */
  attempt_status: SiglumeCheckoutAttemptStatus;
  /** What the matched attempt charged (its session's price). */
  attempt_amount_minor: number;
  attempt_currency: 'JPY' | 'USD';
}

/** Payment facts written onto an order. `chain_receipt_id` is null for accepted (unsettled) usage. */
export interface SiglumePaymentRecord {
  event_id: string;
  requirement_id: string;
  challenge_hash: string;
  chain_receipt_id: string | null;
  pricing_band: 'standard' | 'micro' | 'nano';
}

/**
 * Result of a guarded transition: `marked` (this call did it), `already_marked`
 * (done earlier by the same requirement: a harmless repeat), `conflict` (the
 * order is in a state that forbids it, e.g. paid by another requirement).
 */
export type SiglumeOrderTransition = 'marked' | 'already_marked' | 'conflict';

/** Why an event needs a human. */
export type SiglumePaymentReviewCode =
  | 'METERED_INTEGRATION_REQUIRED'
  | 'UNKNOWN_CONFIRMATION'
  | 'ORDER_NOT_FOUND'
  | 'PAYMENT_MISMATCH'
  | 'ORDER_STATE_CONFLICT';

/** A payment-review row. */
export interface SiglumePaymentReview {
  code: SiglumePaymentReviewCode;
  reason: string;
  event_id: string;
  event_type: string;
  /** Classifier kind: standard_settled, metered_usage_accepted, metered_batch_settled or unknown. */
  kind: string;
  order_id: string | null;
  requirement_id: string | null;
  challenge_hash: string | null;
  settlement_batch_id: string | null;
}

/** A settled Micro / Nano batch. */
export interface SiglumeSettlementBatchRecord {
  event_id: string;
  settlement_batch_id: string;
  chain_receipt_id: string;
  usage_event_digest: string;
  pricing_band: 'micro' | 'nano';
  settled_at: string | null;
}

/** Store operations available inside `processWebhookEventOnce`; all run in its transaction. */
export interface SiglumeSdrpWebhookTransaction {
  findOrderByChallengeHash(challengeHash: string): Promise<SiglumeCheckoutOrder | null>;
  /** pending / fulfilled_unsettled -> paid, at most once per order. */
  markOrderPaidOnce(orderId: string, payment: SiglumePaymentRecord): Promise<SiglumeOrderTransition>;
  /** pending -> fulfilled_unsettled, at most once per order. */
  markOrderFulfilledUnsettledOnce(orderId: string, payment: SiglumePaymentRecord): Promise<SiglumeOrderTransition>;
  flagPaymentReview(review: SiglumePaymentReview): Promise<void>;
  /** Records a settled batch by `settlement_batch_id`; false when it was already recorded. */
  recordSettlementBatchOnce(batch: SiglumeSettlementBatchRecord): Promise<boolean>;
}

/**
 * Persistence the routes need. Implementations: siglume-order-store.postgres.ts
 * (production), siglume-order-store.example.ts (in memory, for reading).
 */
export interface SiglumeSdrpOrderStore {
  /**
   * Authorizes the current user (from `req`) for the order and returns its
   * active attempt, creating one if needed; null when the order does not exist
   * or belongs to someone else.
   */
  beginCheckoutAttempt(orderId: string, req: Request): Promise<SiglumeCheckoutAttempt | null>;
  /**
   * Persists the session (challenge hash, id, url) on the attempt; must commit
   * before the buyer is redirected. If a concurrent start already stored a
   * session for the attempt, keeps that one and returns it (first writer wins),
   * so every click redirects to the same session.
   */
  markCheckoutPending(attempt: SiglumeCheckoutAttempt, session: SiglumeCheckoutSessionRecord): Promise<SiglumeCheckoutSessionRecord>;
  /**
   * Runs `handler` and records `eventId` atomically: both commit or neither
   * does. Concurrent calls with one id (several app instances) run the handler
   * once; the others return `duplicate` after it committed. The handler's
   * return value is stored as the event's outcome. Errors propagate.
   */
  processWebhookEventOnce(
    eventId: string,
    handler: (tx: SiglumeSdrpWebhookTransaction) => Promise<string>,
  ): Promise<'processed' | 'duplicate'>;
}

/** Path of the checkout start route. */
export const SIGLUME_CHECKOUT_START_PATH = '/payments/checkout/siglume/start';
/** Path of the webhook route; register `<shop origin>` + this in Siglume. */
export const SIGLUME_WEBHOOK_PATH = '/payments/webhooks/siglume';

// Marks our handler so assertSiglumeSdrpMountOrder can find it in an app's stack.
const SDRP_WEBHOOK_HANDLER = Symbol.for('siglume.sdrp.webhookHandler');

const RAW_BODY_MISSING =
  'Siglume webhook handler needs the raw request body, but it was already parsed (express.json() or similar ran first). ' +
  'A signature can only be verified over the exact bytes Siglume sent. Mount the webhook route with ' +
  "express.raw({ type: 'application/json' }) BEFORE app.use(express.json()), e.g. app.use(createSiglumeSdrpRouter(...)) " +
  'before app.use(express.json()).';

function normalizeOrigin(origin: string): string {
  const url = new URL(origin);
  const loopback = ['localhost', '127.0.0.1', '[::1]'].includes(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new Error('shop_public_origin must be https (http only for localhost)');
  }
  if (url.username || url.password || (url.pathname !== '/' && url.pathname !== '') || url.search || url.hash) {
    throw new Error('shop_public_origin must be a bare origin like https://shop.example');
  }
  return url.origin;
}

// Self-service merchant key, as Siglume checks it for checkout sessions (CONTRACT section 3).
const MERCHANT_KEY = /^[a-z0-9][a-z0-9_-]{2,63}$/;

/**
 * Throws a clear error for options a factory cannot work with. Why at
 * construction: an empty webhook secret would reject every real payment (or
 * tempt someone to skip verification), a missing token would make the SDK
 * fall back to SIGLUME_AUTH_TOKEN (possibly a buyer token), and a bad merchant
 * key would only surface when a buyer clicks "Pay". Each factory checks what
 * it uses: the checkout router merchant + token, the webhook handler merchant
 * + secret, createSiglumeSdrpRouter all three.
 */
export function assertSiglumeSdrpOptions(
  options: SiglumeSdrpRouterOptions,
  uses: { checkout?: boolean; webhook?: boolean } = { checkout: true, webhook: true },
): void {
  if (!options || typeof options !== 'object') throw new Error('Siglume SDRP routes: options are required');
  const merchant: unknown = options.merchant;
  if (typeof merchant !== 'string' || !MERCHANT_KEY.test(merchant.toLowerCase())) {
    throw new Error(
      'Siglume SDRP routes: merchant must be your merchant key matching ^[a-z0-9][a-z0-9_-]{2,63}$ ' +
        '(SIGLUME_DIRECT_PAYMENT_MERCHANT); got ' + (typeof merchant === 'string' ? (merchant === '' ? 'an empty string' : JSON.stringify(merchant)) : String(merchant)),
    );
  }
  if (uses.checkout) {
    const token: unknown = options.merchant_auth_token;
    if (typeof token !== 'string' || token.trim() === '') {
      throw new Error(
        'Siglume SDRP routes: merchant_auth_token is missing or empty. Pass your merchant API token ' +
          '(SIGLUME_MERCHANT_AUTH_TOKEN) explicitly; the routes never fall back to SIGLUME_AUTH_TOKEN, which may be a buyer token.',
      );
    }
  }
  if (uses.webhook) {
    const secret: unknown = options.webhook_secret;
    const secrets: unknown[] = Array.isArray(secret) ? secret : [secret];
    if (secrets.length === 0 || secrets.some((s) => typeof s !== 'string' || s.trim() === '')) {
      throw new Error(
        'Siglume SDRP routes: webhook_secret is missing or empty. Pass the whsec_... signing secret ' +
          '(SIGLUME_WEBHOOK_SECRET), or a non-empty list of non-empty secrets while rotating.',
      );
    }
  }
}

function sendError(res: Response, status: number, error: string, message: string): void {
  res.status(status).json({ error, message });
}

/**
 * `POST /payments/checkout/siglume/start`: creates (or re-uses) a Hosted
 * Checkout session for one of the current user's orders.
 *
 * Answers: 200 `{checkout_url, session_id}`; 400 `invalid_order_id`; 404
 * `order_not_found` (also for another user's order); 409 `order_not_payable`,
 * `METERED_INTEGRATION_REQUIRED` or `hosted_checkout_not_enabled`; 502
 * `checkout_unavailable` (Siglume failed); 500 `checkout_failed` (the store failed).
 */
export function createSiglumeSdrpCheckoutRouter(options: SiglumeSdrpRouterOptions): express.Router {
  assertSiglumeSdrpOptions(options, { checkout: true });
  const origin = normalizeOrigin(options.shop_public_origin);
  const client = new DirectRequestPaymentMerchantClient({
    auth_token: options.merchant_auth_token,
    ...(options.siglume_api_base ? { base_url: options.siglume_api_base } : {}),
  });
  const logger = options.logger ?? console;
  const router = express.Router();

  // Own JSON parser on this one route, so the app's global parser order does not matter here.
  router.post(SIGLUME_CHECKOUT_START_PATH, express.json({ limit: '16kb' }), async (req, res) => {
    // Why: only the order id is read from the client. Amount and currency come
    // from the store, so a tampered request cannot lower the price.
    const orderId: unknown = req.body?.order_id;
    if (typeof orderId !== 'string' || orderId.trim() === '' || orderId.length > 200) {
      return sendError(res, 400, 'invalid_order_id', 'order_id must be a non-empty string');
    }
    try {
      // Why: the store checks the order belongs to the signed-in user; someone
      // else's order looks exactly like a missing one (no id probing).
      const attempt = await options.order_store.beginCheckoutAttempt(orderId, req);
      if (!attempt) return sendError(res, 404, 'order_not_found', 'No such order for this user');
      if (attempt.order_status !== 'pending') {
        return sendError(res, 409, 'order_not_payable', `Order is ${attempt.order_status}`);
      }
      // Why: Micro / Nano payments settle later in batches; a shop that ships
      // on "paid" must not silently start taking them.
      if (!options.allow_metered_payments && pricingBandFor(attempt.currency, attempt.amount_minor) !== 'standard') {
        return sendError(res, 409, 'METERED_INTEGRATION_REQUIRED',
          'This amount is in the Micro / Nano band; enable allow_metered_payments to accept it');
      }
      // Why: re-use the active attempt's session instead of opening a second one,
      // so a double click or a reload cannot lead to two payable sessions.
      if (attempt.checkout_url && attempt.checkout_session_id) {
        return res.json({ checkout_url: attempt.checkout_url, session_id: attempt.checkout_session_id });
      }
      const q = `?order_id=${encodeURIComponent(orderId)}`;
      // Why: the attempt's nonce is stable, so if we crash after Siglume created
      // the session but before we stored it, the retry signs the same challenge.
      const session = await client.createCheckoutSession({
        merchant: options.merchant,
        amount_minor: attempt.amount_minor,
        currency: attempt.currency,
        nonce: attempt.nonce,
        success_url: `${origin}/checkout/siglume/success${q}`,
        cancel_url: `${origin}/checkout/siglume/cancel${q}`,
        metadata: { order_id: orderId },
      });
      // Why: the challenge hash is persisted BEFORE the buyer is sent to pay;
      // it is how the webhook finds this order.
      const stored = await options.order_store.markCheckoutPending(attempt, {
        checkout_session_id: session.session_id,
        checkout_url: session.checkout_url,
        challenge_hash: session.challenge_hash,
        expires_at: session.expires_at ?? null,
      });
      return res.json({ checkout_url: stored.checkout_url, session_id: stored.checkout_session_id });
    } catch (err) {
      if (err instanceof HostedCheckoutNotAvailableError) {
        return sendError(res, 409, 'hosted_checkout_not_enabled', 'Hosted Checkout is not enabled for this merchant');
      }
      logger.error('siglume checkout start failed', err);
      // SDK errors mean Siglume (or the way to it) failed; anything else is ours (e.g. the database).
      if (err instanceof SiglumeDirectRequestPaymentError) {
        return sendError(res, 502, 'checkout_unavailable', 'Could not start the checkout; try again');
      }
      return sendError(res, 500, 'checkout_failed', 'Could not start the checkout; try again');
    }
  });
  return router;
}

// Why each check: the order is marked paid only for a payment of exactly what
// the order costs NOW. A session Siglume still considers payable may carry an
// older price: the store retires the attempt as `superseded` when the price
// changes, but the session itself stays open until it expires. So:
//  - a payment on a retired (superseded / expired) attempt never marks paid;
//  - the attempt's snapshot must equal the order's current amount / currency
//    (the price may have changed with no new checkout start yet);
//  - fields Siglume echoes on the event are compared with the order's current
//    values, when present.
function mismatchReason(order: SiglumeCheckoutOrder, band: string, data: Record<string, unknown>, merchant: string): string | null {
  if (order.attempt_status !== 'active') {
    return `paid on a ${order.attempt_status} checkout attempt (${order.attempt_amount_minor} ${order.attempt_currency}); ` +
      `the order now costs ${order.amount_minor} ${order.currency}`;
  }
  if (order.attempt_amount_minor !== order.amount_minor || order.attempt_currency !== order.currency) {
    return `checkout attempt charged ${order.attempt_amount_minor} ${order.attempt_currency}, the order now costs ${order.amount_minor} ${order.currency}`;
  }
  const orderBand = pricingBandFor(order.currency, order.amount_minor);
  if (orderBand !== band) return `event is ${band}, order amount is ${orderBand}`;
  if (typeof data.merchant === 'string' && data.merchant.toLowerCase() !== merchant.toLowerCase()) return 'merchant differs';
  if (data.amount_minor !== undefined && Number(data.amount_minor) !== order.amount_minor) return 'amount_minor differs';
  if (typeof data.currency === 'string' && data.currency.toUpperCase() !== order.currency) return 'currency differs';
  return null;
}

/**
 * Routes one verified event (CONTRACT section 8) and returns the outcome
 * stored with the event. Runs inside the store's transaction.
 */
async function routeEvent(
  event: DirectRequestPaymentWebhookEvent,
  tx: SiglumeSdrpWebhookTransaction,
  ctx: { merchant: string; allow_metered_payments: boolean },
): Promise<string> {
  const c = classifyDirectPaymentConfirmation(event);
  const review = async (code: SiglumePaymentReviewCode, reason: string, ids: Partial<SiglumePaymentReview> = {}) => {
    await tx.flagPaymentReview({
      code, reason, event_id: event.id, event_type: event.type, kind: c.kind,
      order_id: null, requirement_id: null, challenge_hash: null, settlement_batch_id: null, ...ids,
    });
    return `review:${code}`;
  };

  if (c.kind === 'unknown') {
    // The readiness check's test delivery (`siglume-check readiness`): a
    // signed, verified direct_payment.confirmed with mode readiness_probe and
    // harmless data. It is no payment and never matches an order, so it is
    // acknowledged (recorded as `ignored:readiness_probe`) without a review row;
    // otherwise every readiness run would file an UNKNOWN_CONFIRMATION.
    if (event.type === 'direct_payment.confirmed' && c.data.mode === READINESS_PROBE_MODE) return 'ignored:readiness_probe';
    // direct_payment.spent, subscription.* ... are not payment confirmations:
    // acknowledged and recorded, nothing to fulfil. Every unrecognised
    // confirmation, though, goes to a human: never guess about money.
    if (c.reason === 'not_direct_payment_confirmed') return 'ignored';
    return review('UNKNOWN_CONFIRMATION', c.reason, { requirement_id: c.requirement_id, settlement_batch_id: c.settlement_batch_id });
  }
  if (c.kind !== 'standard_settled' && !ctx.allow_metered_payments) {
    // Why: a Standard-only shop must not ship on Micro / Nano money that is
    // only "accepted" (usage) or that it never priced for (batch).
    const ids = c.kind === 'metered_batch_settled'
      ? { settlement_batch_id: c.settlement_batch_id }
      : {
          requirement_id: c.requirement_id, challenge_hash: c.challenge_hash,
          order_id: (await tx.findOrderByChallengeHash(c.challenge_hash))?.order_id ?? null, // for the reviewer only
        };
    return review('METERED_INTEGRATION_REQUIRED', `${c.kind} while metered payments are disabled`, ids);
  }
  if (c.kind === 'metered_batch_settled') {
    // Why: one batch settles many payments. It is reconciled by batch id and
    // never matched to an order by challenge hash.
    const fresh = await tx.recordSettlementBatchOnce({
      event_id: event.id, settlement_batch_id: c.settlement_batch_id, chain_receipt_id: c.chain_receipt_id,
      usage_event_digest: c.usage_event_digest, pricing_band: c.pricing_band, settled_at: c.settled_at,
    });
    return fresh ? 'batch_recorded' : 'batch_already_recorded';
  }

  // standard_settled, or metered_usage_accepted with metered enabled: match the order.
  const ids = { requirement_id: c.requirement_id, challenge_hash: c.challenge_hash };
  const order = await tx.findOrderByChallengeHash(c.challenge_hash);
  if (!order) return review('ORDER_NOT_FOUND', 'no checkout attempt has this challenge_hash', ids);
  const band = c.kind === 'standard_settled' ? 'standard' : c.pricing_band;
  const mismatch = mismatchReason(order, band, c.data, ctx.merchant);
  if (mismatch) return review('PAYMENT_MISMATCH', mismatch, { ...ids, order_id: order.order_id });

  const record: SiglumePaymentRecord = {
    event_id: event.id, requirement_id: c.requirement_id, challenge_hash: c.challenge_hash,
    chain_receipt_id: c.kind === 'standard_settled' ? c.chain_receipt_id : null, pricing_band: band,
  };
  // Why guarded transitions: two events for one order (a second session paid,
  // a re-emitted confirmation) must never mark it twice or overwrite the payer.
  const result = c.kind === 'standard_settled'
    ? await tx.markOrderPaidOnce(order.order_id, record)
    : await tx.markOrderFulfilledUnsettledOnce(order.order_id, record);
  if (result === 'conflict') {
    return review('ORDER_STATE_CONFLICT', `order is ${order.status}; a second payment may need a refund`, { ...ids, order_id: order.order_id });
  }
  return result === 'marked' ? (c.kind === 'standard_settled' ? 'marked_paid' : 'marked_fulfilled_unsettled') : 'already_marked';
}

/**
 * `POST /payments/webhooks/siglume` handler. Mount it with a raw body parser:
 * `app.post(SIGLUME_WEBHOOK_PATH, express.raw({ type: 'application/json' }), handler)`
 * (createSiglumeSdrpRouter does this for you).
 *
 * Answers: 204 once the event's writes committed, or for an event already
 * processed; 400 for a bad signature / stale timestamp / malformed event
 * (nothing is written); 500 when the store failed (Siglume retries) or when
 * the body was parsed before this handler (a setup error).
 */
export function createSiglumeSdrpWebhookHandler(options: SiglumeSdrpRouterOptions): RequestHandler {
  assertSiglumeSdrpOptions(options, { webhook: true });
  const logger = options.logger ?? console;
  const allowMetered = options.allow_metered_payments === true;
  const handler: RequestHandler = async (req, res) => {
    const body: unknown = req.body;
    // Why: a parsed-then-re-serialized body never matches the signature (or,
    // worse, someone "fixes" that by skipping verification). Refuse loudly.
    if (!Buffer.isBuffer(body) && typeof body !== 'string') {
      const hadBody = body !== undefined || Number(req.get('content-length') ?? 0) > 0 || req.get('transfer-encoding');
      if (hadBody) {
        logger.error(RAW_BODY_MISSING);
        return sendError(res, 500, 'webhook_raw_body_unavailable', RAW_BODY_MISSING);
      }
    }
    let event;
    try {
      const raw = Buffer.isBuffer(body) || typeof body === 'string' ? body : '';
      ({ event } = await verifyDirectRequestPaymentWebhook(options.webhook_secret, raw, req.get('siglume-signature'), {
        tolerance_seconds: options.webhook_tolerance_seconds,
      }));
    } catch (err) {
      // Why: 400 before any store call, so a forged or replayed request cannot change state.
      // Why: the caller gets only the error code; the verifier's detail (how many
      // secrets are configured, how far the clocks differ) goes to your log.
      if (err instanceof SiglumeWebhookSignatureError) {
        logger.error(`siglume webhook rejected: ${err.code}: ${err.message}`);
        return sendError(res, 400, 'invalid_signature', `Invalid webhook signature (${err.code})`);
      }
      if (err instanceof SiglumeWebhookPayloadError) {
        logger.error(`siglume webhook rejected: ${err.code}: ${err.message}`);
        return sendError(res, 400, 'invalid_payload', `Invalid webhook payload (${err.code})`);
      }
      logger.error('siglume webhook verification failed', err);
      return sendError(res, 500, 'webhook_verification_failed', 'Could not verify the webhook');
    }
    try {
      // Why: the event id is recorded in the SAME transaction as the order
      // write. Success -> 204. Failure -> nothing recorded and a 500, so
      // Siglume's retry gets a clean second chance. Duplicate -> 204, no work.
      await options.order_store.processWebhookEventOnce(event.id, (tx) =>
        routeEvent(event, tx, { merchant: options.merchant, allow_metered_payments: allowMetered }),
      );
      return res.status(204).end();
    } catch (err) {
      logger.error(`siglume webhook ${event.id} not processed; Siglume will retry`, err);
      return sendError(res, 500, 'webhook_processing_failed', 'Event not recorded; retry later');
    }
  };
  Object.defineProperty(handler, SDRP_WEBHOOK_HANDLER, { value: true });
  return handler;
}

/**
 * Both routes on one router, the webhook first with its own `express.raw`.
 * Mount it before `app.use(express.json())`.
 *
 * @example
 * const app = express();
 * app.use(createSiglumeSdrpRouter({ merchant, merchant_auth_token, webhook_secret, shop_public_origin, order_store }));
 * app.use(express.json());
 * assertSiglumeSdrpMountOrder(app);
 */
export function createSiglumeSdrpRouter(options: SiglumeSdrpRouterOptions): express.Router {
  assertSiglumeSdrpOptions(options);
  const router = express.Router();
  // Why `type: () => true`: the signature covers the bytes whatever the
  // Content-Type says; never let a header decide whether we verify.
  router.post(SIGLUME_WEBHOOK_PATH, express.raw({ type: () => true, limit: '1mb' }), createSiglumeSdrpWebhookHandler(options));
  router.use(createSiglumeSdrpCheckoutRouter(options));
  Object.defineProperty(router, SDRP_WEBHOOK_HANDLER, { value: true });
  return router;
}

interface StackLayer {
  name?: string;
  slash?: boolean;
  regexp?: { fast_slash?: boolean };
  handle?: unknown;
  route?: { stack?: StackLayer[] };
}

function isSdrpLayer(layer: StackLayer): boolean {
  const tagged = (h: unknown) => typeof h === 'function' && (h as unknown as Record<symbol, unknown>)[SDRP_WEBHOOK_HANDLER] === true;
  return tagged(layer.handle) || (layer.route?.stack ?? []).some((l) => tagged(l.handle));
}

/**
 * Startup check: throws if a global `express.json()` / `express.urlencoded()`
 * is mounted before the Siglume webhook route (it would consume the raw body),
 * or if the webhook route is not mounted on `app` at all. Call it after all
 * `app.use(...)`, before `listen`. It inspects top-level middleware only; the
 * handler's first-request check catches the rest.
 */
export function assertSiglumeSdrpMountOrder(app: Express): void {
  const internals = app as unknown as { router?: { stack?: StackLayer[] }; _router?: { stack?: StackLayer[] } };
  const stack = internals.router?.stack ?? internals._router?.stack ?? [];
  const ours = stack.findIndex(isSdrpLayer);
  if (ours < 0) throw new Error('Siglume webhook route is not mounted on this app (createSiglumeSdrpRouter / createSiglumeSdrpWebhookHandler).');
  const parser = stack.findIndex(
    (l) => (l.name === 'jsonParser' || l.name === 'urlencodedParser') && (l.slash === true || l.regexp?.fast_slash === true),
  );
  if (parser >= 0 && parser < ours) throw new Error(RAW_BODY_MISSING);
}
