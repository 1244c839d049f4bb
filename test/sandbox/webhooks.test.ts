import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxHandle, SandboxLogEntry } from '../../src/sandbox/index.js';
import { verifyWebhookSignature } from '../../src/webhooks/signature.js';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { call, createSession, sandboxFor, startReceiver, waitFor, type WebhookReceiver } from './helpers.js';

/** A one-off shop endpoint on 127.0.0.1 answering with `handle`. */
async function startServer(handle: (req: IncomingMessage, res: ServerResponse) => void) {
  const server = createServer((req, res) => req.resume().on('end', () => handle(req, res)));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  return { url, close: () => new Promise<void>((resolve) => (server.closeAllConnections(), server.close(() => resolve()))) };
}

let receiver: WebhookReceiver;
let sandbox: SandboxHandle;

beforeAll(async () => {
  receiver = await startReceiver();
  sandbox = await sandboxFor(receiver, { delivery_timeout_ms: 300, delivery_retries: 2, delivery_backoff_ms: 10 });
});

afterEach(() => {
  receiver.received.length = 0;
  receiver.status = 204;
  receiver.delayMs = 0;
});

afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

describe('webhook delivery', () => {
  describe('when an event is redelivered', () => {
    it('sends the same event id and body with a fresh, valid signature', async () => {
      const s = await createSession(sandbox);
      const paid = await sandbox.payCheckoutSession(s.session_id);
      const first = receiver.received[0]!;
      await new Promise((r) => setTimeout(r, 1100)); // next second, so t= differs
      const res = await fetch(`${sandbox.url}/__sandbox/events/${paid.event_id}/redeliver`, { method: 'POST' });
      const body = await res.json();
      expect(res.status).toBe(200);
      expect(body.data.deliveries[0]).toMatchObject({ event_id: paid.event_id, delivery_status: 'delivered', redelivery_of: paid.deliveries[0]!.id });
      const second = receiver.received[1]!;
      expect(receiver.received).toHaveLength(2);
      expect(second.rawBody).toBe(first.rawBody);
      expect(JSON.parse(second.rawBody)).toMatchObject({ id: paid.event_id, data: { environment: 'sandbox' } });
      expect(second.headers['siglume-signature']).not.toBe(first.headers['siglume-signature']);
      await verifyWebhookSignature('whsec_sandbox_secret', second.rawBody, second.headers['siglume-signature'] as string);
      expect(second.headers['siglume-event-id']).toBe(paid.event_id);
      expect(second.headers['x-siglume-environment']).toBe('sandbox');
    });

    it('answers 404 EVENT_NOT_FOUND for an unknown event', async () => {
      const res = await fetch(`${sandbox.url}/__sandbox/events/evt_missing/redeliver`, { method: 'POST' });
      expect(res.status).toBe(404);
      expect((await res.json()).error.code).toBe('EVENT_NOT_FOUND');
    });
  });

  describe('when the receiver fails', () => {
    it('retries, then records the delivery as failed with the status code', async () => {
      receiver.status = 503;
      const s = await createSession(sandbox);
      const paid = await sandbox.payCheckoutSession(s.session_id);
      expect(receiver.received).toHaveLength(3);
      const list = await call(sandbox, 'GET', `/market/webhooks/deliveries?status=failed&limit=5`);
      const record = list.body.data.find((d: { event_id: string }) => d.event_id === paid.event_id);
      expect(record).toMatchObject({ delivery_status: 'failed', response_status: 503, attempts: 3, delivered_at: null });
    });

    it('does not retry a 4xx (the shop rejected the event) and records it', async () => {
      receiver.status = 400;
      const s = await createSession(sandbox);
      const paid = await sandbox.payCheckoutSession(s.session_id);
      expect(receiver.received).toHaveLength(1);
      expect(paid.deliveries[0]).toMatchObject({ delivery_status: 'failed', response_status: 400, attempts: 1, failure_reason: 'HTTP 400' });
    });

    it('records a timeout with no response status', async () => {
      receiver.delayMs = 1000;
      const s = await createSession(sandbox);
      const paid = await sandbox.payCheckoutSession(s.session_id);
      expect(paid.deliveries[0]).toMatchObject({ delivery_status: 'failed', response_status: null, failure_reason: 'timeout after 300 ms' });
    });

    it('records a refused connection as failed', async () => {
      const gone = await startReceiver();
      await gone.close(); // its port now refuses connections
      const sub = await call(sandbox, 'POST', '/market/webhooks/subscriptions', {
        body: { callback_url: gone.url, event_types: ['payment.failed'] },
      });
      const queued = await call(sandbox, 'POST', '/market/webhooks/test-deliveries', {
        body: { event_type: 'payment.failed', subscription_ids: [sub.body.data.id] },
      });
      const eventId = queued.body.data.event.id;
      const failed = await waitFor(async () => {
        const list = await call(sandbox, 'GET', `/market/webhooks/deliveries?subscription_id=${sub.body.data.id}`);
        const d = list.body.data.find((x: { event_id: string }) => x.event_id === eventId);
        return d?.delivery_status === 'failed' ? d : undefined;
      });
      // The real cause, as the delivery log and the handle show it (readiness quotes it).
      const cause = `ECONNREFUSED ${new URL(gone.url).host}`;
      expect(failed).toMatchObject({ response_status: null, failure_reason: cause });
      expect(sandbox.listDeliveries({ event_id: eventId })[0]?.failure_reason).toBe(cause);
    });

    it('does not follow a redirect: the delivery fails with the 3xx and nothing reaches the Location', async () => {
      const target = await startReceiver();
      const redirecting = await startServer((_req, res) => res.writeHead(302, { Location: target.url }).end());
      try {
        const sub = await call(sandbox, 'POST', '/market/webhooks/subscriptions', { body: { callback_url: redirecting.url, event_types: ['payment.failed'] } });
        const queued = await call(sandbox, 'POST', '/market/webhooks/test-deliveries', { body: { event_type: 'payment.failed', subscription_ids: [sub.body.data.id] } });
        const failed = await waitFor(() => sandbox.listDeliveries({ event_id: queued.body.data.event.id, delivery_status: 'failed' })[0]);
        expect(failed).toMatchObject({ response_status: 302, attempts: 1, failure_reason: 'HTTP 302 redirect (not followed)' });
        expect(target.received).toHaveLength(0);
      } finally {
        await redirecting.close();
        await target.close();
      }
    });
  });

  describe('when a delivery fails', () => {
    it('hands the failure reason to onLog', async () => {
      const gone = await startReceiver();
      await gone.close();
      const entries: SandboxLogEntry[] = [];
      const sb = await sandboxFor(gone, { delivery_retries: 0, onLog: (e) => entries.push(e) });
      try {
        const paid = await sb.payCheckoutSession((await createSession(sb)).session_id);
        const logged = entries.find((e) => e.kind === 'delivery');
        expect(logged).toMatchObject({ event_id: paid.event_id, delivery_status: 'failed', failure_reason: `ECONNREFUSED ${new URL(gone.url).host}` });
      } finally {
        await sb.close();
      }
    });
  });

  describe('when the shop answers 2xx with a large body', () => {
    it('counts the delivery as delivered without reading the whole answer', async () => {
      const chatty = await startServer((_req, res) => res.writeHead(200, { 'Content-Type': 'text/html' }).end('x'.repeat(1024 * 1024)));
      try {
        const sub = await call(sandbox, 'POST', '/market/webhooks/subscriptions', { body: { callback_url: chatty.url, event_types: ['payment.failed'] } });
        const queued = await call(sandbox, 'POST', '/market/webhooks/test-deliveries', { body: { event_type: 'payment.failed', subscription_ids: [sub.body.data.id] } });
        const done = await waitFor(() => sandbox.listDeliveries({ event_id: queued.body.data.event.id }).find((d) => d.delivery_status !== 'queued'));
        expect(done).toMatchObject({ delivery_status: 'delivered', response_status: 200, failure_reason: null });
      } finally {
        await chatty.close();
      }
    });
  });

  describe('when many deliveries are in flight at once', () => {
    it("delivers them all without Node's listener-leak warning", async () => {
      const own = await sandboxFor(receiver, { delivery_retries: 0 });
      const warnings: Error[] = [];
      const onWarning = (warning: Error) => void warnings.push(warning);
      process.on('warning', onWarning);
      try {
        receiver.delayMs = 100;
        const sessions = await Promise.all(Array.from({ length: 15 }, () => createSession(own)));
        const paid = await Promise.all(sessions.map((s) => own.payCheckoutSession(s.session_id as string)));
        expect(paid.flatMap((p) => p.deliveries).map((d) => d.delivery_status)).toEqual(Array(15).fill('delivered'));
        await new Promise((resolve) => setImmediate(resolve)); // 'warning' is emitted on the next tick
        expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
      } finally {
        process.off('warning', onWarning);
        await own.close();
      }
    });
  });

  describe('test deliveries', () => {
    it('queue at once and show up as delivered in the delivery log', async () => {
      const queued = await call(sandbox, 'POST', '/market/webhooks/test-deliveries', {
        body: { event_type: 'direct_payment.confirmed', data: { mode: 'readiness_probe', pricing_band: 'standard', settlement_status: 'readiness_probe' } },
      });
      expect(queued.status).toBe(202);
      expect(queued.body.data.event).toEqual({ id: expect.stringMatching(/^evt_/), type: 'direct_payment.confirmed' });
      expect(queued.body.data.deliveries[0].delivery_status).toBe('queued');
      const eventId = queued.body.data.event.id;
      const delivered = await waitFor(async () => {
        const list = await call(sandbox, 'GET', '/market/webhooks/deliveries?event_type=direct_payment.confirmed');
        const d = list.body.data.find((x: { event_id: string }) => x.event_id === eventId);
        return d?.delivery_status === 'delivered' ? d : undefined;
      });
      expect(delivered).toMatchObject({ response_status: 204, subscription_id: sandbox.listWebhookSubscriptions()[0]!.id });
      const got = receiver.received.find((r) => JSON.parse(r.rawBody).id === eventId)!;
      const event = JSON.parse(got.rawBody);
      expect(event.data).toEqual({ environment: 'sandbox', mode: 'readiness_probe', pricing_band: 'standard', settlement_status: 'readiness_probe' });
      await verifyWebhookSignature('whsec_sandbox_secret', got.rawBody, got.headers['siglume-signature'] as string);
    });

    it('answer 409 when no active subscription receives the event type', async () => {
      const res = await call(sandbox, 'POST', '/market/webhooks/test-deliveries', { body: { event_type: 'subscription.renewed' } });
      expect(res.status).toBe(409);
      expect(res.body.error.code).toBe('NO_MATCHING_SUBSCRIPTION');
    });
  });

  describe('subscriptions', () => {
    it('return the signing secret only at creation and a suffix hint afterwards', async () => {
      const created = await call(sandbox, 'POST', '/market/webhooks/subscriptions', {
        body: { callback_url: 'https://shop.example/hooks', description: 'extra', metadata: { a: 1 } },
      });
      expect(created.status).toBe(201);
      const secret: string = created.body.data.signing_secret;
      expect(secret).toMatch(/^whsec_/);
      expect(created.body.data.event_types).toEqual(['direct_payment.confirmed', 'direct_payment.spent']);
      const list = await call(sandbox, 'GET', '/market/webhooks/subscriptions');
      const listed = list.body.data.find((s: { id: string }) => s.id === created.body.data.id);
      expect(listed.signing_secret).toBeUndefined();
      expect(secret.endsWith(listed.signing_secret_hint)).toBe(true);
      expect(JSON.stringify(list.body)).not.toContain(secret);
    });
  });
});
