/**
 * In-memory order store: the store contract in its simplest form, for reading
 * and for local experiments. NOT for production: state is lost on restart and
 * is not shared between app instances, so "exactly once" only holds inside
 * this one process. Use siglume-order-store.postgres.ts (or port it to your
 * database) for real orders.
 */
import { randomUUID } from 'node:crypto';
import type { Request } from 'express';
import { SIGLUME_DEFAULT_SESSION_LIFETIME_SECONDS } from './siglume-sdrp-routes.js';
import type {
  SiglumeCheckoutAttempt,
  SiglumeCheckoutAttemptStatus,
  SiglumeCheckoutSessionRecord,
  SiglumeOrderStatus,
  SiglumePaymentRecord,
  SiglumePaymentReview,
  SiglumeSdrpOrderStore,
  SiglumeSdrpWebhookTransaction,
  SiglumeSettlementBatchRecord,
} from './siglume-sdrp-routes.js';

/** An order as this example keeps it. */
export interface ExampleOrder {
  order_id: string;
  user_id: string;
  amount_minor: number;
  currency: 'JPY' | 'USD';
  status: SiglumeOrderStatus;
  requirement_id: string | null;
  chain_receipt_id: string | null;
}

interface Attempt extends SiglumeCheckoutSessionRecord {
  attempt_id: string;
  order_id: string;
  nonce: string;
  amount_minor: number;
  currency: 'JPY' | 'USD';
  status: SiglumeCheckoutAttemptStatus;
  /** Epoch ms of creation, or of storing the session. */
  updated_at: number;
}

// A session expiring sooner than this is not handed out again (as the PostgreSQL store's default).
const SESSION_REUSE_MARGIN_MS = 120_000;

interface State {
  orders: Map<string, ExampleOrder>;
  attempts: Attempt[];
  events: Map<string, string>;
  reviews: SiglumePaymentReview[];
  batches: Map<string, SiglumeSettlementBatchRecord>;
}

/** In-memory {@link SiglumeSdrpOrderStore}. `state` is public so you can look inside. */
export class InMemorySiglumeOrderStore implements SiglumeSdrpOrderStore {
  state: State = { orders: new Map(), attempts: [], events: new Map(), reviews: [], batches: new Map() };
  // One webhook at a time: the in-process stand-in for a database transaction lock.
  #queue: Promise<unknown> = Promise.resolve();

  /** `now` is injectable so the session lifetime can be tried out without waiting. */
  constructor(
    private readonly currentUserId: (req: Request) => string | null | undefined,
    private readonly now: () => number = Date.now,
  ) {}

  /** Adds an order (amounts are decided here, on the server). */
  addOrder(order: Pick<ExampleOrder, 'order_id' | 'user_id' | 'amount_minor' | 'currency'>): void {
    this.state.orders.set(order.order_id, { ...order, status: 'pending', requirement_id: null, chain_receipt_id: null });
  }

  async beginCheckoutAttempt(orderId: string, req: Request): Promise<SiglumeCheckoutAttempt | null> {
    const order = this.state.orders.get(orderId);
    // Another user's order looks exactly like a missing one.
    if (!order || order.user_id !== this.currentUserId(req)) return null;
    let attempt = this.state.attempts.find((a) => a.order_id === orderId && a.status === 'active');
    if (attempt && order.status === 'pending') {
      // A changed price never re-uses an old session; nor does one that has
      // expired or is about to. Without expires_at from Siglume the session is
      // assumed to live SIGLUME_DEFAULT_SESSION_LIFETIME_SECONDS from the
      // attempt's last update, so a dead session is not handed out forever.
      const changed = attempt.amount_minor !== order.amount_minor || attempt.currency !== order.currency;
      const expiresMs = attempt.expires_at ? Date.parse(attempt.expires_at) : attempt.updated_at + SIGLUME_DEFAULT_SESSION_LIFETIME_SECONDS * 1000;
      const stale = !(expiresMs >= this.now() + SESSION_REUSE_MARGIN_MS); // NaN (unparseable) counts as stale
      if (changed || stale) {
        attempt.status = changed ? 'superseded' : 'expired';
        attempt.updated_at = this.now();
        attempt = undefined;
      }
    }
    if (!attempt && order.status === 'pending') {
      attempt = {
        attempt_id: randomUUID(), order_id: orderId, nonce: `sdrp-${randomUUID()}`, status: 'active', updated_at: this.now(),
        amount_minor: order.amount_minor, currency: order.currency,
        checkout_session_id: '', checkout_url: '', challenge_hash: '', expires_at: null,
      };
      this.state.attempts.push(attempt);
    }
    return {
      order_id: orderId, attempt_id: attempt?.attempt_id ?? '', order_status: order.status,
      amount_minor: order.amount_minor, currency: order.currency, nonce: attempt?.nonce ?? '',
      checkout_session_id: attempt?.checkout_session_id || null, checkout_url: attempt?.checkout_url || null,
    };
  }

  async markCheckoutPending(attempt: SiglumeCheckoutAttempt, session: SiglumeCheckoutSessionRecord): Promise<SiglumeCheckoutSessionRecord> {
    const row = this.state.attempts.find((a) => a.attempt_id === attempt.attempt_id && a.status === 'active');
    if (!row) throw new Error('checkout attempt is no longer active');
    if (!row.checkout_session_id) Object.assign(row, session, { updated_at: this.now() }); // first writer wins
    return { checkout_session_id: row.checkout_session_id, checkout_url: row.checkout_url, challenge_hash: row.challenge_hash, expires_at: row.expires_at };
  }

  processWebhookEventOnce(eventId: string, handler: (tx: SiglumeSdrpWebhookTransaction) => Promise<string>): Promise<'processed' | 'duplicate'> {
    const run = async (): Promise<'processed' | 'duplicate'> => {
      if (this.state.events.has(eventId)) return 'duplicate';
      // "Transaction": work on a copy, swap it in only if the handler succeeded.
      const draft: State = structuredClone(this.state);
      const outcome = await handler(this.#tx(draft));
      draft.events.set(eventId, outcome);
      this.state = draft;
      return 'processed';
    };
    const result = this.#queue.then(run, run);
    this.#queue = result.catch(() => undefined);
    return result;
  }

  #tx(s: State): SiglumeSdrpWebhookTransaction {
    const transition = (orderId: string, p: SiglumePaymentRecord, to: SiglumeOrderStatus) => {
      const order = s.orders.get(orderId);
      if (!order) return 'conflict' as const;
      const allowed = order.status === 'pending' || (to === 'paid' && order.status === 'fulfilled_unsettled' && order.requirement_id === p.requirement_id);
      if (!allowed) return order.requirement_id === p.requirement_id ? ('already_marked' as const) : ('conflict' as const);
      Object.assign(order, { status: to, requirement_id: p.requirement_id, chain_receipt_id: p.chain_receipt_id });
      return 'marked' as const;
    };
    return {
      findOrderByChallengeHash: async (hash) => {
        const attempt = s.attempts.find((a) => a.challenge_hash === hash);
        const order = attempt && s.orders.get(attempt.order_id);
        if (!attempt || !order) return null;
        // The ORDER's current price, plus the attempt's status and snapshot: the
        // route refuses a payment on a retired attempt or at an old price.
        return {
          order_id: order.order_id, status: order.status, requirement_id: order.requirement_id,
          amount_minor: order.amount_minor, currency: order.currency,
          attempt_status: attempt.status, attempt_amount_minor: attempt.amount_minor, attempt_currency: attempt.currency,
        };
      },
      markOrderPaidOnce: async (orderId, p) => transition(orderId, p, 'paid'),
      markOrderFulfilledUnsettledOnce: async (orderId, p) => transition(orderId, p, 'fulfilled_unsettled'),
      flagPaymentReview: async (review) => {
        s.reviews.push(review);
      },
      recordSettlementBatchOnce: async (batch) => {
        if (s.batches.has(batch.settlement_batch_id)) return false;
        s.batches.set(batch.settlement_batch_id, batch);
        return true;
      },
    };
  }
}
