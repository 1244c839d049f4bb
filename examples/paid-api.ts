/**
 * A paid API on node:http, no framework (docs/paid-api.md walks through it):
 * `GET /report` answers 402 with a one-time challenge; the buyer's agent pays
 * it through Siglume; Siglume's signed `direct_payment.confirmed` webhook
 * (`mode: "external_402"`) reaches `POST /webhooks/siglume`; the same request
 * with the challenge hash is then served, once. `buyReport` is the buyer's
 * side of the same exchange.
 *
 * Against the CLI sandbox, in three terminals:
 *
 *   npx siglume-sdrp sandbox --webhook-url http://127.0.0.1:4021/webhooks/siglume
 *   # the paid API: the values the sandbox printed
 *   SIGLUME_DIRECT_PAYMENT_MERCHANT=sandbox_shop SIGLUME_WEBHOOK_SECRET=whsec_sandbox_secret \
 *   SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET=sdrp_cs_... npx tsx examples/paid-api.ts serve
 *   # the buyer
 *   SIGLUME_API_BASE=http://127.0.0.1:8787/v1 SIGLUME_AUTH_TOKEN=sdrp_sandbox_buyer_token \
 *   npx tsx examples/paid-api.ts buy http://127.0.0.1:4021/report sandbox_shop
 *   # a buyer that paid but was not served (exit 1) collects with the hash it printed: never `buy` again
 *   npx tsx examples/paid-api.ts collect http://127.0.0.1:4021/report sha256:...
 *
 * State is in memory to keep the example short. In production both maps are
 * tables: challenges keyed by `challenge_hash`, processed events by event id,
 * and a payment is recorded in the same transaction as its event id. Anyone
 * can ask for a challenge, so unpaid ones expire, each client may ask for only
 * a few new ones a minute (429 past that), and the number of unpaid challenges
 * is capped (503 past that). Nothing else grows for ever either: a paid
 * challenge never collected is set aside for review after a week, and the
 * processed event ids, the handled payments and the reviews are capped (oldest
 * forgotten first; every review is logged, to stderr by default).
 */
import { createServer, type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';
import { pathToFileURL } from 'node:url';
import {
  DIRECT_REQUEST_PAYMENT_MODE,
  DirectRequestPaymentClient,
  SiglumeApiError,
  SiglumeConnectionError,
  SiglumeWebhookPayloadError,
  SiglumeWebhookSignatureError,
  classifyDirectPaymentConfirmation,
  createDirectRequestPaymentChallenge,
  minimumStandardAmountMinor,
  pricingBandFor,
  verifyDirectRequestPaymentWebhook,
  webhookErrorStatus,
  type DirectPaymentConfirmationClassification,
  type DirectRequestPaymentWebhookEvent,
} from '@siglume/direct-request-payment';
import { orderBatchOf, orderPaymentOf } from '@siglume/direct-request-payment/orders';

/** The header a buyer repeats its request with, once paid. This example's choice: the protocol prescribes none. */
export const CHALLENGE_HASH_HEADER = 'x-payment-challenge-hash';

export interface PaidApiConfig {
  /** Your merchant key (`SIGLUME_DIRECT_PAYMENT_MERCHANT`). */
  merchant: string;
  /** Signs the challenges (`SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET`). Server-side only. */
  challenge_secret: string;
  /** Verifies the webhooks (`SIGLUME_WEBHOOK_SECRET`). */
  webhook_secret: string;
  /** Price of one `GET /report`, in minor units, decided here and nowhere else. */
  amount_minor: number;
  currency: 'JPY' | 'USD';
  /**
   * Serve on `metered_usage_accepted` (Micro / Nano prices, settled later in a batch). A Micro / Nano
   * `amount_minor` without it is refused at start-up: every payment would go to review. @default false
   */
  allow_metered_payments?: boolean;
  /** How long an unpaid challenge stays payable, in whole seconds, 30 to 86400; then forgotten. @default 900 (15 minutes) */
  challenge_ttl_seconds?: number;
  /** New challenges one client may get per minute, 1 to 1000; more answer 429. @default 20 */
  challenges_per_client_per_minute?: number;
  /** Unpaid challenges stored at most, whoever asked, 1 to 1,000,000; past that new ones answer 503. @default 10000 */
  max_live_challenges?: number;
  /**
   * How long a paid challenge waits for its buyer to collect it, in whole seconds, 3600 (an hour) to 7776000
   * (90 days). Then it is forgotten and set aside in `reviews` as `paid_not_collected`, for you to serve or
   * refund by hand; the buyer's collect gets "gone". @default 604800 (7 days)
   */
  paid_challenge_retention_seconds?: number;
  /** Webhook event ids remembered as processed, 1 to 1,000,000; past that the oldest is forgotten. @default 10000 */
  max_processed_events?: number;
  /**
   * Requirement ids of payments accepted, and event ids of reviews made, each 1 to 1,000,000; past that the
   * oldest is forgotten. A payment delivered again after its event id and its challenge are forgotten is found
   * here and changes nothing, instead of going to review as money received; an event is not reviewed twice. Keep
   * it well above `max_processed_events`. @default 100000
   */
  max_handled_payments?: number;
  /** Reviews kept in `reviews`, 1 to 1,000,000; past that the oldest is dropped (each is logged when made). @default 1000 */
  max_reviews?: number;
  /**
   * Who is asking, for the per-client limit. @default the remote address, an IPv6 one by its /64 (`addressKey`).
   * Behind a proxy every request has the proxy's address: return the client address your proxy
   * sets (when you trust it), or the caller's API key if your API has them.
   */
  clientKey?: (req: IncomingMessage) => string;
  /** The clock, in milliseconds (tests pass a fake one). @default Date.now */
  now?: () => number;
  /**
   * Receives one line per thing worth knowing: a payment accepted or ignored as a redelivery, a webhook refused
   * (by its error code only), an error, and every review, with the requirement id and challenge hash a person
   * needs to serve or refund it. `reviews` keeps only the newest `max_reviews`, so this log is the record of the
   * others: send it somewhere kept. A no-op here loses every review past `max_reviews` (a buyer token paying tiny
   * amounts for challenges this API never issued pushes them out). @default console.error (stderr)
   */
  log?: (line: string) => void;
}

/** A challenge this API issued, and where its payment stands. */
export interface IssuedChallenge {
  challenge: string;
  challenge_hash: string;
  nonce: string;
  merchant: string;
  amount_minor: number;
  currency: string;
  status: 'issued' | 'paid' | 'served';
  requirement_id: string | null;
  /** The event that paid it, and when it did (milliseconds since the epoch); null while unpaid. */
  paid_event_id: string | null;
  paid_at: number | null;
  /** When it expires unpaid, in milliseconds since the epoch (a paid one stays until served, or its retention ends). */
  expires_at: number;
}

export interface PaidApi {
  /** The request listener: `createServer(api.listener)`. */
  listener: RequestListener;
  /** Issued challenges by `challenge_hash` (read-only view, for tests and operators). */
  challenges: ReadonlyMap<string, IssuedChallenge>;
  /**
   * Payments to look at by hand, with the reason: verified events not accepted as a payment, and paid challenges
   * never collected (`paid_not_collected`). The newest `max_reviews`; every one is logged (`log`) when it is made.
   */
  reviews: ReadonlyArray<Review>;
}

/**
 * A payment set aside for a person. It keeps what the event named, because this API stores no event and
 * Siglume has no lookup by event id: the requirement is what a refund names, the hash what serving needs.
 */
export interface Review {
  event_id: string;
  reason: string;
  requirement_id: string | null;
  challenge_hash: string | null;
}

/** Largest body read: a webhook, or a 402 / paid answer on the buyer's side. Siglume events are a few KB. */
const MAX_BODY_BYTES = 64 * 1024;
/** Expired (or uncollected) challenges forgotten per issued challenge, at most: the work per request stays bounded. */
const PURGE_BATCH = 100;
/** The per-client limit counts new challenges in fixed windows of a minute. */
const RATE_WINDOW_MS = 60_000;
/** Clients the limiter remembers at most (a megabyte or two); past that the oldest is forgotten and starts over. */
const MAX_TRACKED_CLIENTS = 10_000;
/** The buyer's limit on one paid request, answer included: one hung request does not hang its retries. */
const ATTEMPT_TIMEOUT_MS = 10_000;
/** The longest Retry-After the buyer honours between two paid requests (this API's limit is per minute). */
const MAX_RETRY_AFTER_MS = 60_000;
/** How long one collect goes on at the most, whatever the answers: then it says "not yet", to be run again later. */
const COLLECT_DEADLINE_MS = 120_000;

/** A whole number from `min` to `max`, or `fallback` when not given; anything else is refused, naming the option. */
function wholeNumberOption(name: string, value: unknown, min: number, max: number, fallback: number): number {
  if (value === undefined) return fallback;
  if (typeof value === 'number' && Number.isInteger(value) && value >= min && value <= max) return value;
  const shown = typeof value === 'string' ? JSON.stringify(value) : String(value);
  throw new RangeError(`${name} must be a whole number from ${min} to ${max}, got ${shown}`);
}

/**
 * The default client key: the remote address, except that an IPv6 address counts by its /64. One host is
 * commonly given a whole /64, so per address it could ask as often as it likes. `::ffff:1.2.3.4` (an IPv4
 * client as a dual-stack server sees it) is the IPv4 address; anything that is no IP address is kept as it is.
 */
export function addressKey(address: string | undefined): string {
  if (!address) return 'unknown';
  const mapped = /^::ffff:(.*)$/i.exec(address)?.[1];
  if (mapped && isIPv4(mapped)) return mapped;
  if (!isIPv6(address)) return address;
  // Expand the `::` into the zero groups it stands for (a dotted IPv4 tail is two groups; a `%zone` is dropped),
  // then keep the first four groups, without leading zeros: `2001:DB8::1` is `2001:db8:0:0::/64`.
  const groups = (part: string) => (part ? part.split(':').flatMap((g) => (g.includes('.') ? ['0', '0'] : [g])) : []);
  const [head = '', tail = ''] = address.split('%')[0]!.split('::');
  const [h, t] = [groups(head), groups(tail)];
  const full = [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  return `${full.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'application/json', 'cache-control': 'no-store', ...headers });
  res.end(JSON.stringify(body));
}

/** Whole seconds from `now` until `at`, at least 1: a Retry-After value. */
function secondsUntil(at: number, now: number): number {
  return Math.max(1, Math.ceil((at - now) / 1000));
}

/** A request body refused before it was handled: a 4xx, not this server's fault. */
class BodyError extends Error {
  constructor(
    readonly status: 400 | 413,
    readonly code: 'payload_too_large' | 'body_incomplete',
  ) {
    super(code);
  }
}

/** The raw body, up to MAX_BODY_BYTES; past that it stops reading (nothing more is buffered). */
function readRawBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) return void chunks.push(chunk);
      req.off('data', onData).pause();
      reject(new BodyError(413, 'payload_too_large'));
    };
    req.on('data', onData);
    req.on('end', () => resolve(Buffer.concat(chunks)));
    // The sender went away mid-body: there is nothing to verify.
    req.on('error', () => reject(new BodyError(400, 'body_incomplete')));
    req.on('close', () => reject(new BodyError(400, 'body_incomplete'))); // no-op once settled
  });
}

/** Builds the paid API. */
export function createPaidApi(config: PaidApiConfig): PaidApi {
  // A Micro / Nano price is confirmed as metered usage, never as a Standard settlement: without
  // allow_metered_payments every buyer would pay, go to review and not be served (the order core refuses the
  // same price with 409 METERED_INTEGRATION_REQUIRED).
  const band = pricingBandFor(config.currency, config.amount_minor);
  if (band !== 'standard' && config.allow_metered_payments !== true) {
    const standard = minimumStandardAmountMinor(config.currency);
    throw new RangeError(
      `amount_minor ${config.amount_minor} ${config.currency} is a ${band} price, paid as metered usage: set allow_metered_payments: true to serve it, or charge at least ${standard} ${config.currency}`,
    );
  }
  // Memory: unpaid challenges are at most `maxLive`, each forgotten at its expiry. Paid ones are not counted:
  // each cost its caller a real payment to you (a Nano price makes that cheap, though); a paid one is kept
  // until its buyer collects it or its retention ends, then set aside for review (in production, the payment
  // row you keep anyway), a served one until its expiry.
  const challenges = new Map<string, IssuedChallenge>(); // every challenge, by hash
  const unpaid = new Map<string, IssuedChallenge>(); // status 'issued', in issue order, so in expiry order
  const paid = new Map<string, IssuedChallenge>(); // status 'paid', in payment order, so in retention order
  const served = new Map<string, IssuedChallenge>(); // status 'served', in serve order
  // Event ids handled, oldest first, at most `maxEvents`. Forgetting the oldest is safe: a payment delivered
  // again after its id is forgotten is found by its requirement id and changes nothing (acceptPayment).
  const processedEvents = new Set<string>();
  // Requirement ids of the payments accepted (then served or set aside), oldest first, at most `maxHandled`: a
  // payment delivered again after its event id and its challenge are both forgotten is found here, so it neither
  // goes to review as money received (a person might refund what was served) nor adds a second review.
  const handledPayments = new Set<string>();
  // The events reviewed, at most `maxHandled`: an event redelivered after its id left `processedEvents` is not
  // reviewed twice, even when its reason changed meanwhile (its challenge since paid or forgotten).
  const reviewedEvents = new Set<string>();
  const reviews: Review[] = []; // oldest first, at most `maxReviews`
  // An example app logs to stderr; a no-op would lose every review past `maxReviews`.
  const log = config.log ?? ((line: string) => console.error(line));
  const now = config.now ?? Date.now;
  // At least 30 s: a buyer needs that long to pay and Siglume to deliver the webhook, or honest payments arrive
  // for challenges already forgotten. At most a day: an unpaid challenge is memory held for anyone who asked.
  const ttlMs = wholeNumberOption('challenge_ttl_seconds', config.challenge_ttl_seconds, 30, 86_400, 15 * 60) * 1000;
  // A buyer that pays needs one challenge per call; 20 a minute leaves room for retries, not for a flood.
  const perClient = wholeNumberOption('challenges_per_client_per_minute', config.challenges_per_client_per_minute, 1, 1000, 20);
  // The expiry and the per-client limit bound what one client holds; this bounds all of them together
  // (a client with many addresses, e.g. many IPv6 /64s, gets past a per-client limit).
  const maxLive = wholeNumberOption('max_live_challenges', config.max_live_challenges, 1, 1_000_000, 10_000);
  // An hour at least, so a buyer whose webhook was late can still collect; 90 days at most, as paid ones are memory too.
  const retentionSeconds = wholeNumberOption(
    'paid_challenge_retention_seconds',
    config.paid_challenge_retention_seconds,
    3_600,
    7_776_000,
    7 * 86_400,
  );
  const maxEvents = wholeNumberOption('max_processed_events', config.max_processed_events, 1, 1_000_000, 10_000);
  const maxHandled = wholeNumberOption('max_handled_payments', config.max_handled_payments, 1, 1_000_000, 100_000);
  const maxReviews = wholeNumberOption('max_reviews', config.max_reviews, 1, 1_000_000, 1_000);
  // node:http knows no more of a caller than its address (this API has no keys); see `clientKey`.
  const clientKey = config.clientKey ?? ((req: IncomingMessage) => addressKey(req.socket.remoteAddress));
  /** Per client: when its current window started and how many challenges it got in it; oldest window first. */
  const windows = new Map<string, { started_at: number; issued: number }>();

  /** Forgets the expired challenges of `queue` (unpaid or served), oldest first, a bounded number per call. */
  function purgeExpired(queue: Map<string, IssuedChallenge>): void {
    let examined = 0;
    for (const [hash, c] of queue) {
      if (c.expires_at > now() || ++examined > PURGE_BATCH) break;
      queue.delete(hash);
      challenges.delete(hash);
    }
  }

  /** Remembers that the payment of `requirement_id` is handled (the newest `maxHandled` are remembered). */
  function handled(requirement_id: string | null): void {
    if (requirement_id === null) return;
    handledPayments.add(requirement_id);
    if (handledPayments.size > maxHandled) handledPayments.delete(handledPayments.values().next().value!);
  }

  /**
   * Keeps `review` (the newest `maxReviews` are kept; the caller logs it, so none is lost from the log). False,
   * keeping nothing, when its event was set aside already: delivered again after its id was forgotten. Never
   * consulted for a payment: a valid event for a requirement that an unprovable one named before is accepted.
   */
  function setAside(review: Review): boolean {
    if (reviewedEvents.has(review.event_id)) return false;
    reviewedEvents.add(review.event_id);
    if (reviewedEvents.size > maxHandled) reviewedEvents.delete(reviewedEvents.values().next().value!);
    reviews.push(review);
    if (reviews.length > maxReviews) reviews.shift();
    return true;
  }

  /** Whether a paid challenge waited for its buyer longer than the retention. */
  const uncollected = (c: IssuedChallenge) => now() - (c.paid_at ?? 0) >= retentionSeconds * 1000;

  /** Forgets a paid challenge its buyer never collected, and sets it aside for the seller to serve or refund by hand. */
  function forgetUncollected(c: IssuedChallenge): void {
    paid.delete(c.challenge_hash);
    challenges.delete(c.challenge_hash);
    const { challenge_hash, requirement_id } = c;
    setAside({ event_id: c.paid_event_id ?? 'none', reason: 'paid_not_collected', requirement_id, challenge_hash });
    log(
      `challenge ${challenge_hash}: paid (requirement ${requirement_id}) but not collected in ${retentionSeconds} s, ` +
        'forgotten; to review: serve or refund it by hand',
    );
  }

  /** Forgets the paid challenges not collected within the retention, oldest first, a bounded number per call. */
  function purgeUncollected(): void {
    let examined = 0;
    for (const c of paid.values()) {
      if (!uncollected(c) || ++examined > PURGE_BATCH) break;
      forgetUncollected(c);
    }
  }

  /** 0 when `client` may have a new challenge (and it is counted); else the seconds until it may. */
  function rateLimited(client: string): number {
    const t = now();
    // A window that starts after `t` is over too: the clock stepped back (NTP), and kept, it would last longer than a minute.
    const over = (w: { started_at: number }) => t < w.started_at || t - w.started_at >= RATE_WINDOW_MS;
    let w = windows.get(client);
    if (!w || over(w)) {
      windows.delete(client); // a new window goes to the back, so the map stays oldest first
      // Windows that are over are forgotten from the front, a bounded number per call.
      let examined = 0;
      for (const [key, old] of windows) {
        if (!over(old) || ++examined > PURGE_BATCH) break;
        windows.delete(key);
      }
      if (windows.size >= MAX_TRACKED_CLIENTS) windows.delete(windows.keys().next().value!);
      windows.set(client, (w = { started_at: t, issued: 0 }));
    }
    if (w.issued >= perClient) return secondsUntil(w.started_at + RATE_WINDOW_MS, t);
    w.issued++;
    return 0;
  }

  /** A fresh one-time challenge for the price, stored before it leaves the server; null when `maxLive` unpaid ones are. */
  async function issueChallenge(): Promise<IssuedChallenge | null> {
    const c = await createDirectRequestPaymentChallenge({
      secret: config.challenge_secret,
      merchant: config.merchant,
      amount_minor: config.amount_minor,
      currency: config.currency,
    });
    purgeExpired(unpaid);
    purgeExpired(served);
    purgeUncollected();
    // Checked after the await, right before storing, so requests in flight together cannot overshoot the cap.
    // Nothing is evicted to make room: a live challenge may be being paid right now.
    if (unpaid.size >= maxLive) return null;
    const issued: IssuedChallenge = {
      challenge: c.challenge,
      challenge_hash: c.challenge_hash,
      nonce: c.nonce,
      merchant: c.merchant,
      amount_minor: c.amount_minor,
      currency: c.currency,
      status: 'issued',
      requirement_id: null,
      paid_event_id: null,
      paid_at: null,
      expires_at: now() + ttlMs,
    };
    challenges.set(issued.challenge_hash, issued);
    unpaid.set(issued.challenge_hash, issued);
    return issued;
  }

  function paymentRequired(res: ServerResponse, issued: IssuedChallenge, error: string): void {
    // The shape of this body is this example's suggestion; the protocol prescribes none.
    sendJson(res, 402, {
      error,
      message: `Pay ${issued.amount_minor} ${issued.currency} with Siglume, then repeat the request with the ${CHALLENGE_HASH_HEADER} header.`,
      payment: {
        provider: 'siglume',
        mode: DIRECT_REQUEST_PAYMENT_MODE,
        merchant: issued.merchant,
        amount_minor: issued.amount_minor,
        currency: issued.currency,
        challenge: issued.challenge,
        challenge_hash: issued.challenge_hash,
        retry_header: CHALLENGE_HASH_HEADER,
      },
    });
  }

  async function getReport(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const presented = req.headers[CHALLENGE_HASH_HEADER];
    let issued = typeof presented === 'string' ? challenges.get(presented) : undefined;
    // Collected after its retention: set aside for the seller (as the purge does), so not served here.
    if (issued?.status === 'paid' && uncollected(issued)) {
      forgetUncollected(issued);
      issued = undefined;
    }
    if (issued?.status === 'paid') {
      issued.status = 'served'; // one payment, one response
      paid.delete(issued.challenge_hash);
      served.set(issued.challenge_hash, issued);
      sendJson(res, 200, { report: 'the paid content', challenge_hash: issued.challenge_hash });
      return;
    }
    // One payment, one response: a hash already served is answered 410, never a new price (the buyer holding it
    // paid already, and a new challenge would only invite a second payment for what it was served).
    if (issued?.status === 'served') return sendJson(res, 410, { error: 'already_served' });
    // Paid but the webhook has not arrived yet: the same challenge again, so the buyer does not pay twice.
    if (issued?.status === 'issued' && issued.expires_at > now()) return paymentRequired(res, issued, 'payment_pending');
    // No challenge, or an unknown or expired one (a served one too, once forgotten at its expiry): a new price to
    // pay, within the limits.
    const client = clientKey(req);
    const wait = rateLimited(client);
    if (wait > 0) return sendJson(res, 429, { error: 'rate_limited' }, { 'retry-after': String(wait) });
    const counted = windows.get(client)!; // the window this challenge was counted in
    const fresh = await issueChallenge();
    if (fresh) return paymentRequired(res, fresh, 'payment_required');
    // Nothing was stored, so nothing is counted: a buyer retrying on 503 does not run into 429 as well.
    counted.issued--;
    // Room comes when the oldest unpaid one expires (not expired yet: the purge just before would have forgotten it).
    const oldest = unpaid.values().next().value;
    const retry = secondsUntil(oldest?.expires_at ?? 0, now());
    sendJson(res, 503, { error: 'challenge_capacity_reached' }, { 'retry-after': String(retry) });
  }

  /** Whether a verified event pays one of our challenges; a reason when it does not. */
  function acceptPayment(
    event: DirectRequestPaymentWebhookEvent,
    result: DirectPaymentConfirmationClassification,
  ): { paid: IssuedChallenge } | { redelivered: string } | { not_ours: string } | { reason: string } {
    // Every merchant of the account is confirmed to the account's subscriptions: another merchant's payment, for no
    // challenge of this API's, is that merchant's business, not money received here (the order core's rule 5a). One
    // naming no merchant, or naming a challenge this API issued, goes on to review.
    const merchant = event.data.merchant;
    // The event's own field: an incomplete event is classified `unknown`, which carries no challenge_hash.
    const hash = typeof event.data.challenge_hash === 'string' ? event.data.challenge_hash : null;
    if (typeof merchant === 'string' && merchant !== '' && merchant !== config.merchant && !(hash !== null && challenges.has(hash)))
      return { not_ours: `a payment to merchant ${merchant}, not ${config.merchant}` };
    // A Micro / Nano batch settling: revenue to reconcile with the statements by settlement_batch_id, never a challenge.
    const batch = orderBatchOf(result, { allow_metered_payments: config.allow_metered_payments === true });
    if (batch) return { not_ours: `batch ${batch.settlement_batch_id} settled (see the statements)` };
    // A payment delivered again after its event id was forgotten: accepted already (and maybe served or set aside).
    const requirement_id = 'requirement_id' in result ? result.requirement_id : null;
    if (requirement_id !== null && handledPayments.has(requirement_id)) return { redelivered: requirement_id };
    if (result.kind === 'unknown') return { reason: `unknown confirmation: ${result.reason}` };
    // The package's merchant rule: a Standard settlement, or Micro / Nano usage when allowed.
    const payment = orderPaymentOf(result, { allow_metered_payments: config.allow_metered_payments === true });
    if (!payment) return { reason: `${result.kind} does not pay a challenge here` };
    const { data } = event;
    if (data.mode !== DIRECT_REQUEST_PAYMENT_MODE) return { reason: `mode ${String(data.mode)} is not external_402` };
    const issued = challenges.get(payment.challenge_hash);
    // A payment that arrives after its challenge was forgotten is money received: review it, serve or refund by hand.
    if (!issued) return { reason: 'challenge_hash is unknown or expired (not issued by this API, or forgotten)' };
    // Its own payment again, once its requirement id was forgotten too (past max_handled_payments).
    if (issued.status !== 'issued' && issued.requirement_id === payment.requirement_id) return { redelivered: payment.requirement_id };
    if (issued.status !== 'issued') return { reason: 'challenge already paid (single use)' };
    // The price is the one bound to the challenge when it was issued, not what the event says.
    if (data.merchant !== issued.merchant || data.amount_minor !== issued.amount_minor || data.currency !== issued.currency)
      return { reason: 'merchant, amount or currency differ from the challenge' };
    const band = 'pricing_band' in payment ? payment.pricing_band : 'standard';
    if (band !== pricingBandFor(config.currency, issued.amount_minor)) return { reason: 'pricing band differs from the price' };
    issued.status = 'paid';
    issued.requirement_id = payment.requirement_id;
    issued.paid_event_id = event.id;
    issued.paid_at = now();
    handled(payment.requirement_id);
    unpaid.delete(issued.challenge_hash); // kept in `challenges` until served or its retention ends, whatever its expiry
    paid.set(issued.challenge_hash, issued);
    return { paid: issued };
  }

  async function postWebhook(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let raw: Buffer;
    try {
      // The exact bytes received: a parsed and re-serialized body would not verify.
      raw = await readRawBody(req);
    } catch (error) {
      if (!(error instanceof BodyError)) throw error;
      res.setHeader('connection', 'close'); // the rest of the body is not read
      return sendJson(res, error.status, { error: error.code });
    }
    let event: DirectRequestPaymentWebhookEvent;
    try {
      const signature = req.headers['siglume-signature'];
      ({ event } = await verifyDirectRequestPaymentWebhook(config.webhook_secret, raw, typeof signature === 'string' ? signature : undefined));
    } catch (error) {
      if (!(error instanceof SiglumeWebhookSignatureError || error instanceof SiglumeWebhookPayloadError)) throw error;
      // 400 for a request Siglume did not send; 503 for a signature that does not verify (a wrong SIGLUME_WEBHOOK_SECRET
      // shows up here, on every delivery) and 500 for an empty secret, so Siglume delivers the event again once fixed.
      // The code only, never the secret or the signature.
      const status = webhookErrorStatus(error);
      log(`webhook refused (${status}): ${error.code}`);
      return sendJson(res, status, { error: error.code });
    }
    // A redelivery (same event id) changes nothing.
    if (processedEvents.has(event.id)) {
      log(`webhook ${event.id}: duplicate, ignored`);
      res.writeHead(204).end();
      return;
    }
    processedEvents.add(event.id);
    if (processedEvents.size > maxEvents) processedEvents.delete(processedEvents.values().next().value!);
    if (event.type === 'direct_payment.confirmed') {
      const result = classifyDirectPaymentConfirmation(event);
      const outcome = acceptPayment(event, result);
      if ('paid' in outcome) log(`webhook ${event.id}: paid ${outcome.paid.challenge_hash}`);
      else if ('redelivered' in outcome) log(`webhook ${event.id}: requirement ${outcome.redelivered} is handled already (a redelivery), ignored`);
      else if ('not_ours' in outcome) log(`webhook ${event.id}: ${outcome.not_ours}; not this API's to serve, ignored`);
      else {
        const requirement_id = 'requirement_id' in result ? result.requirement_id : null;
        const challenge_hash = 'challenge_hash' in result ? result.challenge_hash : null;
        const named = `requirement ${requirement_id ?? 'none'}, challenge ${challenge_hash ?? 'none'}`;
        if (setAside({ event_id: event.id, reason: outcome.reason, requirement_id, challenge_hash }))
          log(`webhook ${event.id}: not accepted (${outcome.reason}); to review, ${named}`);
        else log(`webhook ${event.id}: not accepted (${outcome.reason}), set aside for review already (a redelivery), ${named}`);
      }
    }
    res.writeHead(204).end(); // handled, accepted or not: Siglume need not deliver it again
  }

  const listener: RequestListener = (req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const handle =
      req.method === 'GET' && path === '/report'
        ? getReport(req, res)
        : req.method === 'POST' && path === '/webhooks/siglume'
          ? postWebhook(req, res)
          : Promise.resolve(sendJson(res, 404, { error: 'not_found' }));
    handle.catch((error: unknown) => {
      log(`error: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) sendJson(res, 500, { error: 'internal_error' });
    });
  };

  return { listener, challenges, reviews };
}

/** What the buyer saw. */
export interface ReportPurchase {
  /** Status of the first, unpaid request (402). */
  first_status: number;
  requirement_id: string;
  challenge_hash: string;
  /** Status (200) and body of the paid request. */
  status: number;
  body: unknown;
}

interface PaymentBlock {
  merchant: string;
  amount_minor: number;
  currency: string;
  challenge: string;
  challenge_hash: string;
}

/** What the buyer agrees to pay: the currency is part of the limit (1000 JPY is not 1000 USD cents). */
export interface BuyerLimit {
  max_amount_minor: number;
  currency: 'JPY' | 'USD';
  /** The merchant key the buyer means to pay; anything else is refused. Set it when you know the seller. */
  merchant?: string | undefined;
  /** Paid requests tried, and the wait between them, before giving up. @default 20, 250 */
  attempts?: number;
  interval_ms?: number;
  /** The clock collect's 2-minute bound is counted on, in milliseconds (tests pass a fake one). @default Date.now */
  now?: () => number;
}

/** Why a buyer that paid (or may have) was not served: a `CollectOutcome`, or `payment_unknown`. */
export type PaidNotServedOutcome = CollectOutcome | 'payment_unknown';

/**
 * The buyer paid, or may have, but the API did not serve it. `outcome` says which way: `not_yet` (the webhook
 * is late, or refused: collect it later), `gone` (the API no longer holds the challenge as paid and unserved:
 * only the seller can serve or refund it) or `payment_unknown` (the payment call was sent but its answer never
 * came: it may have paid; collect serves it if it did, and only the requirement's status says it did not).
 * The message says what was paid and what to do: buying again would pay a second time.
 */
export class PaidNotServedError extends Error {
  constructor(
    readonly url: string,
    readonly paid: PaymentBlock & { requirement_id: string },
    last: string,
    readonly outcome: PaidNotServedOutcome = 'not_yet',
  ) {
    const { requirement_id, challenge_hash } = paid;
    const terms = `${paid.amount_minor} ${paid.currency} to ${paid.merchant} (requirement ${requirement_id}, challenge ${challenge_hash})`;
    const collect = `  npx tsx examples/paid-api.ts collect ${url} ${challenge_hash}\n`;
    const finish = `  npx tsx examples/paid-api.ts finish ${url} ${requirement_id}\n`;
    super(
      outcome === 'gone'
        ? `PAID ${terms} but not served, and collect cannot get it: the last answer was ${last}.\n` +
            `Do not buy again: the payment went through (getPaymentRequirement('${requirement_id}') shows it "paid"), ` +
            `so that pays a second time. Ask the seller to serve or refund requirement ${requirement_id}.`
        : outcome === 'payment_unknown'
          ? `MAY HAVE PAID ${terms}: the payment call was sent but its outcome is unknown (${last}).\n` +
            `Do not buy again (that may pay a second time). Finish this payment, later too, with:\n` +
            finish +
            `It pays requirement ${requirement_id} under the same idempotency key as this call, so a payment that ` +
            `went through is answered again instead of made twice, and one that did not is made once; then it ` +
            `collects the report. A status of "requires_payment" from getPaymentRequirement('${requirement_id}') is ` +
            `no reason to buy again: the call above may still land. If the report is never served, ask the seller ` +
            `to serve or refund requirement ${requirement_id}.`
          : `PAID ${terms} but not served yet: the last answer was ${last}.\n` +
            `Do not buy again (that pays a second time). Collect what you paid for, later too, with:\n` +
            collect +
            `If it is never served, ask the seller to serve or refund requirement ${requirement_id}.`,
    );
  }
}

/**
 * Whether a failed payment call may have paid: it was sent and no answer came (a timeout, a connection lost),
 * or Siglume failed (5xx) after it may have acted. A refusal (4xx) or a call that never left did not pay.
 */
function mayHavePaid(error: unknown): boolean {
  if (error instanceof SiglumeConnectionError) return error.may_have_acted; // SiglumeTimeoutError too
  // A refusal (a 429, a 409) after an earlier attempt that got no answer does not undo that attempt:
  // `may_have_acted` says so. Every 5xx counts too, even a 503 the API refused before acting: this cannot tell
  // it from a proxy's whose upstream may have paid. Reporting payment_unknown then costs a `finish`, which
  // pays at most once; reporting "not paid" wrongly costs a second payment.
  return error instanceof SiglumeApiError && (error.may_have_acted || error.status >= 500);
}

/** The idempotency key of a requirement's payment: the same on every try, so Siglume makes it once. */
const paymentKey = (requirement_id: string) => `paid-api-example:pay:${requirement_id}`;

/** A response body as JSON, read up to MAX_BODY_BYTES: a longer one is cancelled and refused. */
async function readJson(res: Response): Promise<unknown> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = res.body?.getReader();
  while (reader) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.length;
    if (size > MAX_BODY_BYTES) {
      reader.cancel().catch(() => {});
      throw new Error(`the answer from ${res.url} is over ${MAX_BODY_BYTES} bytes: refused, not read further`);
    }
    chunks.push(value);
  }
  return JSON.parse(Buffer.concat(chunks).toString('utf8'));
}

/** The 402's payment block, when it asks for at most what the buyer allows; an Error saying why otherwise. */
function acceptableTerms(body: unknown, limit: BuyerLimit): PaymentBlock {
  const p = (body as { payment?: Partial<PaymentBlock> } | null)?.payment;
  const strings = [p?.merchant, p?.currency, p?.challenge, p?.challenge_hash];
  if (!p || !strings.every((v) => typeof v === 'string') || !Number.isSafeInteger(p.amount_minor) || p.amount_minor! <= 0)
    throw new Error('the 402 answer has no usable payment block (merchant, amount_minor, currency, challenge, challenge_hash)');
  const terms = p as PaymentBlock;
  if (terms.currency !== limit.currency) throw new Error(`the API asks for ${terms.currency}; this buyer pays in ${limit.currency} only`);
  if (terms.amount_minor > limit.max_amount_minor)
    throw new Error(`the API asks ${terms.amount_minor} ${terms.currency}, over the limit of ${limit.max_amount_minor} ${limit.currency}`);
  if (limit.merchant !== undefined && terms.merchant !== limit.merchant)
    throw new Error(`the API asks payment to merchant ${terms.merchant}, not ${limit.merchant}`);
  return terms;
}

/**
 * The buyer's side: request, read the 402, pay the challenge from the buyer's
 * wallet, then repeat the request until the paid API has its webhook
 * (`PaidNotServedError` when it gives up: collect with `collectReport`, never buy again).
 * `limit` is the buyer's own: never pay what a server asks blindly. Nothing is
 * paid unless the 402 asks at most `max_amount_minor` in `currency`, to
 * `merchant` when given.
 */
export async function buyReport(url: string, buyer: DirectRequestPaymentClient, limit: BuyerLimit): Promise<ReportPurchase> {
  const first = await fetch(url);
  if (first.status !== 402) {
    await first.body?.cancel();
    throw new Error(`expected 402 Payment Required, got ${first.status}`);
  }
  const payment = acceptableTerms(await readJson(first), limit);

  const requirement = await buyer.createPaymentRequirement({
    merchant: payment.merchant,
    amount_minor: payment.amount_minor,
    currency: payment.currency,
    challenge: payment.challenge,
  });
  const { requirement_id } = requirement;
  try {
    // A stable key: `finish` repeats this very call, and Siglume answers it again instead of paying twice.
    await buyer.executePaymentTransaction(requirement, {}, { idempotency_key: paymentKey(requirement_id) });
  } catch (error) {
    if (!mayHavePaid(error)) throw error; // refused, or never sent: nothing was paid, buying again is safe
    // It may have paid: the error names the challenge, so the buyer collects it instead of paying again.
    const why = error instanceof Error ? error.message : String(error);
    throw new PaidNotServedError(url, { ...payment, requirement_id }, why, 'payment_unknown');
  }

  // Paid: from here on, giving up must name the challenge, so the buyer collects it instead of paying again.
  const served = await collectReport(url, payment.challenge_hash, limit);
  if ('last' in served) throw new PaidNotServedError(url, { ...payment, requirement_id }, served.last, served.outcome);
  return { first_status: first.status, requirement_id, challenge_hash: payment.challenge_hash, status: 200, body: served.body };
}

/**
 * Finishes a purchase whose payment call ended `payment_unknown`: pays the requirement under the key `buy`
 * used (a payment that went through is answered again, or refused as already paid, never made twice; one that
 * did not is made now), then collects the report. Never buys a new challenge.
 */
export async function finishPayment(
  url: string,
  requirement_id: string,
  buyer: DirectRequestPaymentClient,
  retry: Pick<BuyerLimit, 'attempts' | 'interval_ms' | 'now'> = {},
): Promise<ReportPurchase> {
  const requirement = await buyer.getPaymentRequirement(requirement_id);
  const challenge_hash = requirement.challenge_hash;
  if (typeof challenge_hash !== 'string') throw new Error(`requirement ${requirement_id} names no challenge_hash to collect with`);
  const paid = { ...requirement, requirement_id } as unknown as PaymentBlock & { requirement_id: string };
  if (requirement.status !== 'paid') {
    try {
      await buyer.executePaymentTransaction(requirement, {}, { idempotency_key: paymentKey(requirement_id) });
    } catch (error) {
      // Paid already (the first call landed under another key): collect it.
      const alreadyPaid = error instanceof SiglumeApiError && error.code === 'REQUIREMENT_ALREADY_PAID';
      if (!alreadyPaid) {
        if (!mayHavePaid(error)) throw error;
        throw new PaidNotServedError(url, paid, error instanceof Error ? error.message : String(error), 'payment_unknown');
      }
    }
  }
  const served = await collectReport(url, challenge_hash, retry);
  if ('last' in served) throw new PaidNotServedError(url, paid, served.last, served.outcome);
  return { first_status: 402, requirement_id, challenge_hash, status: 200, body: served.body };
}

/** Why `collectReport` stopped without the body: `not_yet` may be collected later, `gone` never (ask the seller). */
export type CollectOutcome = 'not_yet' | 'gone';

/**
 * Repeats the request with a paid challenge's hash until the API serves it (200), never paying. It tries
 * again, `attempts` times and 2 minutes at most, only while the answer means "not yet": 402 `payment_pending` (the webhook
 * has not arrived), no answer (each try times out after 10 s), a 5xx, or a 429 (after its Retry-After, 60 s
 * at most). Any other answer (a new 402 `payment_required`, 410 `already_served`, 404, ...) means the API no
 * longer holds this challenge as paid and unserved: it stops at once with `outcome: 'gone'`, since asking
 * again cannot get it (and may use up this client's challenges per minute). So does a 200 whose body is cut
 * off or unreadable: the API counted it as served. `last` says what the last try got.
 */
export async function collectReport(
  url: string,
  challenge_hash: string,
  retry: Pick<BuyerLimit, 'attempts' | 'interval_ms' | 'now'> = {},
): Promise<{ body: unknown } | { outcome: CollectOutcome; last: string }> {
  const interval = retry.interval_ms ?? 250;
  const gone = (answer: string) => ({
    outcome: 'gone' as const,
    last: `${answer}: the API no longer holds this challenge as paid and unserved, so collect cannot get it; if it was paid, ask the seller to serve or refund it`,
  });
  let last = 'no answer';
  let wait = 0;
  const now = retry.now ?? Date.now;
  const deadline = now() + COLLECT_DEADLINE_MS;
  for (let i = 0; i < (retry.attempts ?? 20) && now() + wait < deadline; i++) {
    if (i > 0) await new Promise((resolve) => setTimeout(resolve, wait));
    wait = interval;
    let res: Response;
    try {
      res = await fetch(url, { headers: { [CHALLENGE_HASH_HEADER]: challenge_hash }, signal: AbortSignal.timeout(ATTEMPT_TIMEOUT_MS) });
    } catch (error) {
      last = error instanceof Error ? error.message : String(error);
      continue;
    }
    if (res.status === 200) {
      try {
        return { body: await readJson(res) };
      } catch (error) {
        // The API has served it (one payment, one response): asking again gets 410, only the seller can help.
        const why = error instanceof Error ? error.message : String(error);
        return gone(`HTTP 200 with its body cut off or unreadable (${why})`);
      }
    }
    if (res.status === 402) {
      const body = await readJson(res).catch(() => undefined);
      const code = (body as { error?: unknown } | undefined)?.error;
      last = `HTTP 402 ${typeof code === 'string' ? code : '(unreadable body)'}`;
      // Pending, or a 402 cut off on the way (no way to tell): not yet. A new price: the API forgot it.
      if (code === 'payment_pending' || body === undefined) continue;
      return gone(last);
    }
    await res.body?.cancel().catch(() => {});
    last = `HTTP ${res.status}`;
    if (res.status >= 500) continue;
    if (res.status === 429) {
      const seconds = Number(res.headers.get('retry-after'));
      if (Number.isFinite(seconds) && seconds > 0) wait = Math.max(interval, Math.min(seconds * 1000, MAX_RETRY_AFTER_MS));
      continue;
    }
    return gone(last);
  }
  return { outcome: 'not_yet', last };
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

/** `serve`, `buy <url> [merchant]` or `collect <url> <challenge_hash>`, configured from the environment (see the top of this file). */
async function main([command, url, arg]: string[]): Promise<void> {
  if (command === 'serve') {
    const api = createPaidApi({
      merchant: required('SIGLUME_DIRECT_PAYMENT_MERCHANT'),
      challenge_secret: required('SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET'),
      webhook_secret: required('SIGLUME_WEBHOOK_SECRET'),
      amount_minor: 600,
      currency: 'JPY',
      log: (line) => console.log(line),
    });
    const port = Number(process.env.PORT ?? 4021);
    createServer(api.listener).listen(port, '127.0.0.1', () => console.log(`paid API on http://127.0.0.1:${port}/report`));
  } else if (command === 'buy' && url) {
    // Token from SIGLUME_AUTH_TOKEN, base URL from SIGLUME_API_BASE.
    const limit = { max_amount_minor: 1000, currency: 'JPY', merchant: arg } as const;
    try {
      console.log(JSON.stringify(await buyReport(url, new DirectRequestPaymentClient(), limit), null, 2));
    } catch (error) {
      if (!(error instanceof PaidNotServedError)) throw error;
      console.error(error.message);
      process.exitCode = 1;
    }
  } else if (command === 'finish' && url && arg) {
    try {
      console.log(JSON.stringify(await finishPayment(url, arg, new DirectRequestPaymentClient()), null, 2));
    } catch (error) {
      if (!(error instanceof PaidNotServedError)) throw error;
      console.error(error.message);
      process.exitCode = 1;
    }
  } else if (command === 'collect' && url && arg) {
    // Only asks for what was paid already: nothing is paid here.
    const served = await collectReport(url, arg);
    if ('body' in served) console.log(JSON.stringify(served.body, null, 2));
    else {
      console.error(
        served.outcome === 'gone'
          ? `not served, and collect cannot get it (the last answer was ${served.last}). Do not buy again: a payment ` +
              `whose webhook came late is gone too. If buy ended "MAY HAVE PAID", run the finish command it printed ` +
              `(it pays that requirement at most once); if it was paid, ask the seller to serve or refund it`
          : `not served yet (the last answer was ${served.last}): run collect again later; never buy again for it`,
      );
      process.exitCode = 1;
    }
  } else {
    console.error('usage: tsx examples/paid-api.ts serve | buy <url> [merchant] | finish <url> <requirement_id> | collect <url> <challenge_hash>');
    process.exitCode = 2;
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main(process.argv.slice(2));
