import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import { call, createSession, sandboxFor, startReceiver, type WebhookReceiver } from './helpers.js';

let receiver: WebhookReceiver;
let sandbox: SandboxHandle;

beforeAll(async () => {
  receiver = await startReceiver();
  sandbox = await sandboxFor(receiver);
});

afterEach(() => sandbox.resetFaults());

afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

const list = () => call(sandbox, 'GET', '/market/webhooks/subscriptions');

describe('sandbox faults', () => {
  describe('when latency is injected', () => {
    it('delays API answers by at least latency_ms', async () => {
      sandbox.setFaults({ latency_ms: 150 });
      const started = performance.now();
      expect((await list()).status).toBe(200);
      expect(performance.now() - started).toBeGreaterThanOrEqual(140);
    });

    it('ends an injected delay when the sandbox closes, so closing does not wait it out, and drops the request', async () => {
      const own = await sandboxFor(receiver);
      own.setFaults({ latency_ms: 60_000 });
      const pending = call(own, 'GET', '/market/webhooks/subscriptions').then((r) => r.status, (e: unknown) => e);
      await new Promise((resolve) => setTimeout(resolve, 100));
      // Bounded hang check, not a timing figure: the delay was a minute.
      const stuck = new Promise((resolve) => setTimeout(() => resolve('still waiting'), 10_000).unref());
      expect(await Promise.race([own.close().then(() => 'closed'), stuck])).toBe('closed');
      expect(await pending).toBeInstanceOf(TypeError); // no answer after close (close.test.ts checks both transports)
    });
  });

  describe('when 503s are injected', () => {
    it('answers 503 SERVICE_UNAVAILABLE at rate 1 and follows the seed reproducibly at a partial rate', async () => {
      sandbox.setFaults({ error_503_rate: 1 });
      const a = await list();
      expect([a.status, a.body.error.code]).toEqual([503, 'SERVICE_UNAVAILABLE']);

      const run = async () => {
        sandbox.setFaults({ error_503_rate: 0.5, seed: 42 });
        const out: number[] = [];
        for (let i = 0; i < 12; i++) out.push((await list()).status);
        return out;
      };
      const first = await run();
      expect(await run()).toEqual(first);
      expect(first).toContain(503);
      expect(first).toContain(200);
    });

    it('does not store a 503 under the idempotency key, so the retry creates the session once', async () => {
      const before = sandbox.listCheckoutSessions().length;
      const body = {
        merchant: 'sandbox_shop',
        amount_minor: 700,
        currency: 'JPY',
        nonce: 'retry-1',
        success_url: `${receiver.origin}/ok`,
        cancel_url: `${receiver.origin}/no`,
      };
      const headers = { 'Idempotency-Key': 'retry-key-1' };
      sandbox.setFaults({ error_503_rate: 1 });
      expect((await call(sandbox, 'POST', '/sdrp/direct-payments/checkout-sessions', { body, headers })).status).toBe(503);
      sandbox.resetFaults();
      const ok = await call(sandbox, 'POST', '/sdrp/direct-payments/checkout-sessions', { body, headers });
      const again = await call(sandbox, 'POST', '/sdrp/direct-payments/checkout-sessions', { body, headers });
      expect(ok.status).toBe(201);
      expect(again.body.data.session_id).toBe(ok.body.data.session_id);
      expect(sandbox.listCheckoutSessions().length).toBe(before + 1);
    });
  });

  describe('when rate limiting is injected', () => {
    it('answers the next `count` requests with 429 and Retry-After, then recovers', async () => {
      sandbox.setFaults({ rate_limit: { count: 2, retry_after_seconds: 3 } });
      const a = await list();
      const b = await list();
      const c = await list();
      expect([a.status, b.status, c.status]).toEqual([429, 429, 200]);
      expect(a.headers.get('retry-after')).toBe('3');
      expect(a.body.error.code).toBe('RATE_LIMITED');
    });
  });

  describe('when connections are dropped', () => {
    it('destroys the next N connections without an answer, then serves normally', async () => {
      await fetch(`${sandbox.url}/__sandbox/faults`, { method: 'POST', body: JSON.stringify({ drop_connections: 1 }) });
      await expect(fetch(`${sandbox.api_base}/market/webhooks/subscriptions`)).rejects.toThrow();
      expect((await list()).status).toBe(200);
    });
  });

  describe('scope', () => {
    it('never applies faults to the control endpoints or the hosted page', async () => {
      const s = await createSession(sandbox);
      sandbox.setFaults({ error_503_rate: 1, rate_limit: { count: 5, retry_after_seconds: 1 } });
      expect((await fetch(`${sandbox.url}/__sandbox/state`)).status).toBe(200);
      expect((await fetch(`${sandbox.url}/pay/${s.session_id}`)).status).toBe(200);
      const reset = await fetch(`${sandbox.url}/__sandbox/reset-faults`, { method: 'POST' });
      expect((await reset.json()).data.faults).toEqual({});
      expect((await list()).status).toBe(200);
    });

    it('rejects invalid fault settings with 422 naming the field', async () => {
      const res = await fetch(`${sandbox.url}/__sandbox/faults`, { method: 'POST', body: JSON.stringify({ error_503_rate: 2 }) });
      const body = await res.json();
      expect(res.status).toBe(422);
      expect(body.error.field).toBe('error_503_rate');
      expect(() => sandbox.setFaults({ rate_limit: { count: -1, retry_after_seconds: 1 } })).toThrow(/rate_limit\.count/);
    });
  });
});
