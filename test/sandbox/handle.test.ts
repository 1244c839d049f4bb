/**
 * The handle's methods, called with no socket: bad input is a `SiglumeValidationError` naming the field, a
 * refusal is the API's own (`SandboxHttpError`, exported, with its status and code), and once `close()` was called
 * a method that changes the state is refused instead of changing what is no longer saved. Deliveries never reach
 * the network here (the `drop_webhook_deliveries` fault).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { SiglumeDirectRequestPaymentError, SiglumeValidationError } from '../../src/index.js';
import { createSandbox, SandboxHttpError, type SandboxHandle, type SandboxOptions } from '../../src/sandbox/index.js';

const opened: SandboxHandle[] = [];
afterEach(async () => {
  vi.useRealTimers();
  await Promise.all(opened.splice(0).map((s) => s.close()));
});

/** A sandbox whose deliveries are all lost, and an open checkout session in it. */
async function sandboxWithSession(options: SandboxOptions = {}) {
  const sandbox = await createSandbox({ quiet: true, delivery_backoff_ms: 0, ...options });
  opened.push(sandbox);
  sandbox.setFaults({ drop_webhook_deliveries: true });
  const origin = sandbox.env.SHOP_PUBLIC_ORIGIN;
  const body = {
    merchant: sandbox.env.SIGLUME_DIRECT_PAYMENT_MERCHANT,
    amount_minor: 4200,
    currency: 'JPY',
    nonce: `order-${Math.random().toString(36).slice(2)}`,
    success_url: `${origin}/ok`,
    cancel_url: `${origin}/cancel`,
  };
  const headers = { Authorization: `Bearer ${sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN}`, 'Content-Type': 'application/json' };
  const res = await sandbox.fetch(`${sandbox.api_base}/sdrp/direct-payments/checkout-sessions`, { method: 'POST', headers, body: JSON.stringify(body) });
  const session_id = ((await res.json()) as { data: { session_id: string } }).data.session_id;
  return { sandbox, session_id };
}

/** What `run` throws (or rejects with). */
async function thrown(run: () => unknown): Promise<any> {
  try {
    await run();
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
}

describe('handle methods given bad input', () => {
  it('refuse a missing, empty or non-string id with a SiglumeValidationError naming it', async () => {
    const { sandbox } = await sandboxWithSession();
    const cases: Array<[() => unknown, string]> = [
      [() => sandbox.payCheckoutSession(undefined as never), 'session_id'],
      [() => sandbox.payCheckoutSession({} as never), 'session_id'],
      [() => sandbox.payCheckoutSession(''), 'session_id'],
      [() => sandbox.redeliver(''), 'event_id'],
      [() => sandbox.redeliver(42 as never), 'event_id'],
    ];
    for (const [run, field] of cases) {
      const error = await thrown(run);
      expect(error).toBeInstanceOf(SiglumeValidationError);
      expect(error).toMatchObject({ field, message: `Invalid ${field}: must be a non-empty string` });
    }
  });

  it('refuse an unknown filter, a bad filter value and a filter that is not an object, instead of answering []', async () => {
    const { sandbox } = await sandboxWithSession();
    const cases: Array<[unknown, string, string]> = [
      [{ evnt_id: 'evt_1' }, 'evnt_id', 'Invalid evnt_id: unknown filter (use event_id, subscription_id, delivery_status)'],
      [{ delivery_status: 'bogus' }, 'delivery_status', 'Invalid delivery_status: must be one of queued, delivered, failed'],
      [{ event_id: '' }, 'event_id', 'Invalid event_id: must be a non-empty string'],
      [null, 'filter', 'Invalid filter: must be an object'],
    ];
    for (const [filter, field, message] of cases) {
      const error = await thrown(() => sandbox.listDeliveries(filter as never));
      expect(error, JSON.stringify(filter)).toBeInstanceOf(SiglumeValidationError);
      expect(error).toMatchObject({ field, message });
    }
    expect(sandbox.listDeliveries({ delivery_status: 'failed', event_id: undefined })).toEqual([]);
  });

  it("throw the API's refusal for an id that does not exist, as an exported error with its status and code", async () => {
    const { sandbox } = await sandboxWithSession();
    const error = await thrown(() => sandbox.payCheckoutSession('cs_missing'));
    expect(error).toBeInstanceOf(SandboxHttpError);
    expect(error).toBeInstanceOf(SiglumeDirectRequestPaymentError);
    expect(error).toMatchObject({ name: 'SandboxHttpError', status: 404, code: 'CHECKOUT_SESSION_NOT_FOUND' });
    expect(error.message).toBe('Checkout session "cs_missing" does not exist in this sandbox.');
    expect(await thrown(() => sandbox.redeliver('evt_missing'))).toMatchObject({ status: 404, code: 'EVENT_NOT_FOUND' });
  });
});

describe('handle methods after close()', () => {
  it('refuse to change the state (nothing would be saved); the accessors still read it', async () => {
    const { sandbox, session_id } = await sandboxWithSession();
    await sandbox.close();
    const changes: Array<() => unknown> = [
      () => sandbox.payCheckoutSession(session_id),
      () => sandbox.redeliver('evt_any'),
      () => sandbox.settleMeteredBatches(),
      () => sandbox.setScenario('no_mandate'),
      () => sandbox.setFaults({ latency_ms: 1 }),
      () => sandbox.resetFaults(),
    ];
    for (const change of changes) {
      const error = await thrown(change);
      expect(error).toBeInstanceOf(SiglumeDirectRequestPaymentError);
      expect(error).toMatchObject({ code: 'SANDBOX_CLOSED', message: 'The sandbox is closed (close() was called).' });
    }
    expect(sandbox.getCheckoutSession(session_id)?.status).toBe('open'); // was "paid", with a failed delivery
    expect(sandbox.scenario).toBe('ready');
    expect(sandbox.listDeliveries()).toEqual([]);
  });
});

describe('webhook retries with delivery_backoff_ms: 0', () => {
  it('happen at once, with no timer, so they run under fake timers too', async () => {
    const { sandbox, session_id } = await sandboxWithSession({ delivery_retries: 2 });
    vi.useFakeTimers(); // waited forever on a 0 ms timer that nothing advanced
    const paid = await sandbox.payCheckoutSession(session_id);
    expect(paid.deliveries.map((d) => [d.delivery_status, d.attempts])).toEqual([['failed', 3]]);
  });
});
