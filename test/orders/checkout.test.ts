/**
 * The checkout start's look-ups of a stored session, with a store that always
 * has a session to hand out and a client that counts the requests: a buyer
 * pressing "Pay" in a loop must not spend the merchant's API rate limit.
 * The clock is vitest's fake Date; no request leaves the process.
 */
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import type { DirectRequestPaymentCheckoutSession } from '../../src/clients/schemas/checkout-session.js';
import { HostedCheckoutNotAvailableError, SiglumeRateLimitError, SiglumeServerError, SiglumeTimeoutError } from '../../src/core/errors.js';
import type { OrderCheckoutClient } from '../../src/orders/confirm.js';
import { createOrderCheckoutService, type OrderCheckoutStartResult, type OrderRecord, type OrderStore } from '../../src/orders/index.js';

const T0 = Date.parse('2026-03-01T00:00:00Z');

/** A store in which every order is pending and has an active attempt with session `cs_<order id>`, until retired. */
function reusingStore(flags: { near_end?: boolean; changed?: boolean } = {}) {
  const retired: string[] = [];
  const retiredAs: string[] = [];
  const unused = async () => {
    throw new Error('not used by these tests');
  };
  const orderOf = (order_id: string): OrderRecord => ({ order_id, amount_minor: 4200, currency: 'JPY', status: 'pending', owner_id: 'alice' });
  const store: OrderStore = {
    findOrder: async (order_id) => orderOf(order_id),
    beginCheckoutAttempt: async (order_id) => {
      const order = orderOf(order_id);
      const attempt = { attempt_id: `att_${order_id}_${retired.filter((r) => r.startsWith(`att_${order_id}_`)).length}`, order_id, nonce: 'n', amount_minor: 4200, currency: 'JPY' as const };
      const session_id = `cs_${attempt.attempt_id}`;
      const session = { checkout_session_id: session_id, checkout_url: `https://pay.example/${session_id}`, challenge_hash: 'h', expires_at: null };
      return { kind: 'reuse' as const, order, attempt, session, ...flags };
    },
    retireCheckoutAttempt: async (attempt_id, status = 'expired') => {
      retired.push(attempt_id);
      retiredAs.push(status);
      return true;
    },
    markCheckoutPending: unused,
    markCheckoutFailed: unused,
    previewWebhookEvent: unused,
    processWebhookEvent: unused,
    listUnpaidCheckoutAttempts: unused,
  };
  return { store, retired, retiredAs };
}

/** A client whose sessions have `status[id]` (default `open`); counts the look-ups; `fail` makes them throw. */
function countingClient() {
  const state = { lookups: [] as string[], status: {} as Record<string, string>, fail: false };
  const client: OrderCheckoutClient = {
    createCheckoutSession: async () => {
      throw new Error('not used by these tests');
    },
    getCheckoutSession: async (id) => {
      state.lookups.push(id);
      await new Promise((r) => setTimeout(r, 1));
      if (state.fail) throw new SiglumeServerError('unavailable', { status: 503 });
      return { session_id: id, status: state.status[id] ?? 'open' } as DirectRequestPaymentCheckoutSession;
    },
  };
  return { client, state };
}

function shop(flags: { near_end?: boolean; changed?: boolean } = {}) {
  const { store, retired, retiredAs } = reusingStore(flags);
  const { client, state } = countingClient();
  const service = createOrderCheckoutService<string>({
    merchant_client: client,
    order_store: store,
    merchant: 'shop_test',
    webhook_secret: 'whsec_checkout_test',
    shop_public_origin: 'https://shop.example',
    authorize_order: (order, user) => order.owner_id === user,
  });
  return { start: (order_id: string) => service.startCheckout(order_id, 'alice'), state, retired, retiredAs };
}

const sessionOf = (r: OrderCheckoutStartResult) => (r.kind === 'redirect' ? r.body.session_id : r.kind);

describe('startCheckout', () => {
  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(T0);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  describe('when a buyer starts the same pending order again and again', () => {
    it('asks Siglume about the stored session once per 5 s, however many starts come in a row or at once', async () => {
      const s = shop();
      for (let i = 0; i < 300; i++) expect(sessionOf(await s.start('o1'))).toBe('cs_att_o1_0');
      const together = await Promise.all(Array.from({ length: 50 }, () => s.start('o1')));
      expect(new Set(together.map(sessionOf))).toEqual(new Set(['cs_att_o1_0']));
      expect(s.state.lookups).toEqual(['cs_att_o1_0']);

      vi.setSystemTime(T0 + 4_999);
      await s.start('o1');
      expect(s.state.lookups).toHaveLength(1);
      vi.setSystemTime(T0 + 5_000);
      await Promise.all(Array.from({ length: 50 }, () => s.start('o1')));
      expect(s.state.lookups).toHaveLength(2);
    });

    it('asks again at once when the clock was set back, rather than trusting the answer until it catches up', async () => {
      const s = shop();
      await s.start('o1');
      vi.setSystemTime(T0 - 3_600_000);
      await s.start('o1');
      await s.start('o1');
      expect(s.state.lookups).toHaveLength(2);
    });

    it('still retires a session the buyer cancelled, once its last answer is 5 s old', async () => {
      const s = shop();
      expect(sessionOf(await s.start('o1'))).toBe('cs_att_o1_0');
      s.state.status['cs_att_o1_0'] = 'cancelled';
      // Within 5 s the answer `open` is reused: the cancelled session is handed out once more, nothing retired.
      expect(sessionOf(await s.start('o1'))).toBe('cs_att_o1_0');
      expect(s.retired).toEqual([]);
      vi.setSystemTime(T0 + 5_000);
      expect(sessionOf(await s.start('o1'))).toBe('cs_att_o1_1');
      expect(s.retired).toEqual(['att_o1_0']);
      expect(s.state.lookups).toEqual(['cs_att_o1_0', 'cs_att_o1_0']);
    });

    it('does not ask again within 5 s after a look-up that failed (the session is handed out, as before)', async () => {
      const s = shop();
      s.state.fail = true;
      for (let i = 0; i < 20; i++) expect(sessionOf(await s.start('o1'))).toBe('cs_att_o1_0');
      expect(s.state.lookups).toHaveLength(1);
    });
  });

  describe('when the stored session is near its end or was made before a re-price', () => {
    it('hands out a session a buyer has signed in to, or paid, or one in a status it does not know: only an open one is replaced', async () => {
      for (const flags of [{ near_end: true }, { changed: true }]) {
        for (const status of ['authenticated', 'paid', 'failed', 'some_new_status']) {
          const s = shop(flags);
          s.state.status['cs_att_o1_0'] = status;
          expect(sessionOf(await s.start('o1'))).toBe('cs_att_o1_0');
          expect(s.retired).toEqual([]);
        }
        const s = shop(flags);
        expect(sessionOf(await s.start('o1'))).toBe('cs_att_o1_1'); // `open`: replaced
        expect(s.retiredAs).toEqual([flags.changed ? 'superseded' : 'expired']);
      }
    });

    it('makes one look-up for a burst of starts, though it asks again about a remembered answer that can still change', async () => {
      const s = shop({ near_end: true });
      s.state.status['cs_att_o1_0'] = 'authenticated';
      await Promise.all(Array.from({ length: 20 }, () => s.start('o1')));
      expect(s.state.lookups).toHaveLength(1);
      await s.start('o1'); // the remembered `authenticated` may be `paid` by now
      expect(s.state.lookups).toHaveLength(2);
    });

    it('answers 502 after a re-price when Siglume cannot be asked, rather than hand out the old price', async () => {
      const s = shop({ changed: true });
      s.state.fail = true;
      const answer = await s.start('o1');
      expect(answer).toMatchObject({ kind: 'refused', status: 502, body: { error: 'checkout_unavailable' } });
      expect(s.retired).toEqual([]);
    });
  });

  describe('when Siglume refuses or fails to create the session', () => {
    /** A store that begins a new attempt on every start (none is ever stored), and a client whose creation fails. */
    function failingShop(error: Error) {
      const begun: string[] = [];
      const unused = async () => {
        throw new Error('not used by these tests');
      };
      const orderOf = (order_id: string): OrderRecord => ({ order_id, amount_minor: 4200, currency: 'JPY', status: 'pending', owner_id: 'alice' });
      const store: OrderStore = {
        findOrder: async (order_id) => orderOf(order_id),
        beginCheckoutAttempt: async (order_id) => {
          begun.push(order_id);
          const attempt = { attempt_id: `att_${begun.length}`, order_id, nonce: 'n', amount_minor: 4200, currency: 'JPY' as const };
          return { kind: 'create' as const, order: orderOf(order_id), attempt };
        },
        retireCheckoutAttempt: async () => true,
        markCheckoutFailed: async () => undefined,
        markCheckoutPending: unused,
        previewWebhookEvent: unused,
        processWebhookEvent: unused,
        listUnpaidCheckoutAttempts: unused,
      };
      const creates: string[] = [];
      const reports: unknown[] = [];
      const client: OrderCheckoutClient = {
        createCheckoutSession: async (input) => {
          creates.push(input.metadata?.order_id as string);
          throw error;
        },
        getCheckoutSession: unused,
      };
      const service = createOrderCheckoutService<string>({
        merchant_client: client,
        order_store: store,
        merchant: 'shop_test',
        webhook_secret: 'whsec_checkout_test',
        shop_public_origin: 'https://shop.example',
        authorize_order: (order, user) => order.owner_id === user,
        onError: (e) => void reports.push(e),
      });
      return { start: (order_id: string, user = 'alice') => service.startCheckout(order_id, user), begun, creates, reports };
    }

    it.each([
      ['refuses (409 Hosted Checkout not enabled)', new HostedCheckoutNotAvailableError('not enabled'), 409, 'hosted_checkout_not_enabled'],
      ['rate-limits the merchant token (429 after the retries)', new SiglumeRateLimitError({ status: 429, code: 'RATE_LIMITED', message: 'slow down' }), 502, 'checkout_unavailable'],
    ])('answers a buyer pressing again within 5 s from memory when it %s: no new attempt, request or report', async (_what, error, status, code) => {
      const s = failingShop(error);
      for (let i = 0; i < 30; i++) expect(await s.start('o1')).toMatchObject({ kind: 'refused', status, body: { error: code } });
      expect([s.begun.length, s.creates.length, s.reports.length]).toEqual([1, 1, 1]);
      // Per order: another order (or someone else's) is not answered from o1's failure.
      expect(await s.start('o2')).toMatchObject({ status });
      expect(await s.start('o1', 'mallory')).toMatchObject({ status: 404, body: { error: 'order_not_found' } });
      expect(s.creates).toEqual(['o1', 'o2']);
      vi.setSystemTime(T0 + 5_000);
      expect(await s.start('o1')).toMatchObject({ status });
      expect(s.creates).toEqual(['o1', 'o2', 'o1']);
    });

    it.each([
      ['a timeout', new SiglumeTimeoutError(15_000)],
      ['a 5xx page', new SiglumeServerError({ status: 502, code: 'HTTP_502', message: 'Bad Gateway', may_have_acted: true })],
    ])('asks again at once after %s: Siglume may have made the session, which the next start gets back under its key', async (_what, error) => {
      const s = failingShop(error);
      for (let i = 0; i < 3; i++) expect(await s.start('o1')).toMatchObject({ status: 502, body: { error: 'checkout_unavailable' } });
      expect(s.creates).toEqual(['o1', 'o1', 'o1']);
    });
  });

  describe('when a buyer cycles through many orders', () => {
    it('remembers at most 1000 sessions: the oldest answer is dropped first and asked again', async () => {
      const s = shop();
      for (let i = 0; i <= 1000; i++) await s.start(`o${i}`);
      expect(s.state.lookups).toHaveLength(1001);
      await s.start('o1000');
      expect(s.state.lookups).toHaveLength(1001);
      await s.start('o0');
      expect(s.state.lookups.slice(1001)).toEqual(['cs_att_o0_0']);
    });
  });
});
