/**
 * Faults after the server has acted: the request is handled and committed,
 * then its answer is lost (connection dropped) or late (held past the
 * client's timeout). A retry with the same Idempotency-Key must get the
 * stored answer; a retry with a new key creates a second object, the bug
 * these faults exist to catch. And lost webhook deliveries, for
 * reconciliation: the shop sees nothing until the stored event is redelivered.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import { TRANSPORTS, createSession, sandboxFor, startReceiver, type WebhookReceiver } from './helpers.js';

let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await startReceiver();
});

afterAll(() => receiver.close());

describe.each(TRANSPORTS)('faults after commit, $name', ({ inProcess }) => {
  let sandbox: SandboxHandle;
  let seq = 0;

  beforeAll(async () => {
    sandbox = await sandboxFor(receiver, { quiet: true }, inProcess);
  });

  afterEach(() => sandbox.resetFaults());

  afterAll(() => sandbox.close());

  /** POSTs a checkout session with `key`, over the socket or in-process. */
  function create(nonce: string, key: string, signal?: AbortSignal): Promise<Response> {
    const init: RequestInit = {
      method: 'POST',
      headers: { Authorization: `Bearer ${sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN}`, 'Content-Type': 'application/json', 'Idempotency-Key': key },
      body: JSON.stringify({
        merchant: 'sandbox_shop', amount_minor: 1200, currency: 'JPY', nonce,
        success_url: `${receiver.origin}/ok`, cancel_url: `${receiver.origin}/no`,
      }),
      signal,
    };
    const url = `${sandbox.api_base}/sdrp/direct-payments/checkout-sessions`;
    return inProcess ? sandbox.fetch(new Request(url, init)) : fetch(url, init);
  }

  /** The faults as active now, with their counters (from the control route, which faults never touch). */
  async function activeFaults() {
    const url = `${sandbox.url}/__sandbox/faults`;
    const res = inProcess ? await sandbox.fetch(new Request(url)) : await fetch(url);
    return (await res.json()).data.faults;
  }

  const sessionsFor = (nonce: string) => sandbox.listCheckoutSessions().filter((s) => s.nonce === nonce);

  describe('when the connection is dropped after commit', () => {
    it('loses the answer, keeps the session, replays it for the same key and duplicates it for a new one', async () => {
      const nonce = `drop-${++seq}`;
      sandbox.setFaults({ drop_after_commit: 1 });
      const lost = await create(nonce, `key-${nonce}`).then(() => null, (e: unknown) => e);
      // Like fetch on a network error: a TypeError, also in-process.
      expect(lost).toBeInstanceOf(TypeError);
      const [stored] = sessionsFor(nonce);
      expect(stored?.status).toBe('open');

      const retry = await create(nonce, `key-${nonce}`);
      expect(retry.status).toBe(201);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect((await retry.json()).data.session_id).toBe(stored!.session_id);
      expect(sessionsFor(nonce)).toHaveLength(1);

      const fresh = await create(nonce, `other-key-${nonce}`);
      expect(fresh.status).toBe(201);
      expect(sessionsFor(nonce)).toHaveLength(2);
    });

    it('uses the counter up: only the next N POSTs lose their answer, and GETs never do', async () => {
      sandbox.setFaults({ drop_after_commit: 1 });
      const read = inProcess
        ? await sandbox.fetch(new Request(`${sandbox.api_base}/market/webhooks/subscriptions`, { headers: { Authorization: `Bearer ${sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN}` } }))
        : await fetch(`${sandbox.api_base}/market/webhooks/subscriptions`, { headers: { Authorization: `Bearer ${sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN}` } });
      expect(read.status).toBe(200);
      await expect(create(`count-${++seq}`, `count-key-${seq}`)).rejects.toBeInstanceOf(TypeError);
      expect(await activeFaults()).toEqual({ drop_after_commit: 0 });
      expect((await create(`count-${++seq}`, `count-key-${seq}`)).status).toBe(201);
    });
  });

  describe('when the answer is delayed past the client timeout after commit', () => {
    it('lets the client time out with the session already stored, then replays it for the same key', async () => {
      const nonce = `late-${++seq}`;
      sandbox.setFaults({ delay_after_commit: { count: 1, delay_ms: 400 } });
      const late = await create(nonce, `key-${nonce}`, AbortSignal.timeout(100)).then(() => null, (e: unknown) => e);
      expect((late as Error).name).toBe('TimeoutError');
      // Committed before the client gave up.
      expect(sessionsFor(nonce)).toHaveLength(1);

      const retry = await create(nonce, `key-${nonce}`);
      expect(retry.headers.get('idempotent-replayed')).toBe('true');
      expect((await retry.json()).data.session_id).toBe(sessionsFor(nonce)[0]!.session_id);
      expect((await create(nonce, `other-key-${nonce}`)).status).toBe(201);
      expect(sessionsFor(nonce)).toHaveLength(2);
      expect(await activeFaults()).toEqual({ delay_after_commit: { count: 0, delay_ms: 400 } });
    });
  });
});

describe('lost webhook deliveries', () => {
  let sandbox: SandboxHandle;

  beforeAll(async () => {
    sandbox = await sandboxFor(receiver, { quiet: true, delivery_retries: 2, delivery_backoff_ms: 5 });
  });

  afterAll(() => sandbox.close());

  it('records the event and failed deliveries the shop never saw, and a redelivery after clearing sends the same event', async () => {
    receiver.received.length = 0;
    const set = await fetch(`${sandbox.url}/__sandbox/faults`, { method: 'POST', body: JSON.stringify({ drop_webhook_deliveries: true }) });
    expect((await set.json()).data.faults).toEqual({ drop_webhook_deliveries: true });

    const s = await createSession(sandbox);
    const paid = await sandbox.payCheckoutSession(s.session_id);
    expect(paid.session.status).toBe('paid');
    expect(paid.deliveries).toEqual([
      expect.objectContaining({ delivery_status: 'failed', attempts: 3, response_status: null, failure_reason: expect.stringContaining('drop_webhook_deliveries') }),
    ]);
    expect(receiver.received).toHaveLength(0);
    expect(sandbox.listEvents().map((e) => e.id)).toContain(paid.event_id);

    // Still set: a redelivery is lost too.
    expect((await sandbox.redeliver(paid.event_id!))[0]?.delivery_status).toBe('failed');
    expect(receiver.received).toHaveLength(0);

    sandbox.resetFaults();
    const again = await sandbox.redeliver(paid.event_id!);
    expect(again[0]).toMatchObject({ delivery_status: 'delivered', response_status: 204, event_id: paid.event_id });
    expect(receiver.received).toHaveLength(1);
    expect(JSON.parse(receiver.received[0]!.rawBody).id).toBe(paid.event_id);
    expect(sandbox.listDeliveries({ event_id: paid.event_id!, delivery_status: 'failed' })).toHaveLength(2);
  });

  it('rejects malformed settings naming the field', () => {
    expect(() => sandbox.setFaults({ drop_webhook_deliveries: 'yes' as never })).toThrow(/Invalid drop_webhook_deliveries/);
    expect(() => sandbox.setFaults({ delay_after_commit: { count: 1 } as never })).toThrow(/Invalid delay_after_commit\.delay_ms: is required/);
    expect(() => sandbox.setFaults({ latencyMs: 10 } as never)).toThrow(/Invalid latencyMs: unknown fault/);
  });
});
