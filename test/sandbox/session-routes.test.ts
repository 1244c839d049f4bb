/**
 * The per-session routes of CONTRACT-2 section 19.3 over HTTP: confirm (pay without a browser; a repeat
 * answers the same and sends nothing) and redeliver (the stored confirmation again: 200 delivered, 502
 * failed), with the merchant token and the sandbox's guards.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import { verifyWebhookSignature } from '../../src/webhooks/signature.js';
import { call, createSession, sandboxFor, startReceiver, type WebhookReceiver } from './helpers.js';

let receiver: WebhookReceiver;
let sandbox: SandboxHandle;

beforeAll(async () => {
  receiver = await startReceiver();
  sandbox = await sandboxFor(receiver, { delivery_retries: 0 });
});

afterEach(() => {
  receiver.received.length = 0;
  receiver.status = 204;
});

afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

const confirm = (id: string, options = {}) => call(sandbox, 'POST', `/sandbox/checkout-sessions/${id}/confirm`, options);
const redeliver = (id: string, options = {}) => call(sandbox, 'POST', `/sandbox/checkout-sessions/${id}/redeliver`, options);

describe('POST /v1/sandbox/checkout-sessions/{id}/confirm', () => {
  it('pays the session and answers the redirect and the event; a repeat answers the same and sends nothing', async () => {
    const s = await createSession(sandbox, { metadata: { order_id: 'o-9' } });
    const first = await confirm(s.session_id);
    expect(first.status).toBe(200);
    expect(first.body.data).toEqual({
      status: 'paid',
      redirect_url: `${receiver.origin}/checkout/siglume/success?session_id=${s.session_id}`,
      event: { id: expect.stringMatching(/^evt_/), type: 'direct_payment.confirmed' },
    });
    expect(JSON.parse(receiver.received[0]!.rawBody).id).toBe(first.body.data.event.id);
    const again = await confirm(s.session_id);
    expect(again.body.data).toEqual(first.body.data);
    expect(receiver.received).toHaveLength(1);
    expect(sandbox.getCheckoutSession(s.session_id)?.status).toBe('paid');
  });

  it('refuses a cancelled session with 409 and an unknown one with 404', async () => {
    const s = await createSession(sandbox);
    await fetch(`${sandbox.url}/pay/${s.session_id}/cancel`, { method: 'POST', redirect: 'manual' });
    const cancelled = await confirm(s.session_id);
    expect([cancelled.status, cancelled.body.error.code]).toEqual([409, 'CHECKOUT_SESSION_NOT_PAYABLE']);
    const missing = await confirm('cs_missing');
    expect([missing.status, missing.body.error.code]).toEqual([404, 'CHECKOUT_SESSION_NOT_FOUND']);
  });
});

describe('POST /v1/sandbox/checkout-sessions/{id}/redeliver', () => {
  it('sends the same event again with a fresh signature and answers 200 delivered', async () => {
    const s = await createSession(sandbox);
    const paid = await confirm(s.session_id);
    const again = await redeliver(s.session_id);
    expect(again.status).toBe(200);
    expect(again.body.data).toMatchObject({
      redelivered: true,
      event: paid.body.data.event,
      delivery_status: 'delivered',
      response_status: 204,
      failure_reason: null,
    });
    expect(receiver.received).toHaveLength(2);
    expect(receiver.received[1]!.rawBody).toBe(receiver.received[0]!.rawBody);
    await verifyWebhookSignature('whsec_sandbox_secret', receiver.received[1]!.rawBody, receiver.received[1]!.headers['siglume-signature'] as string);
  });

  it('answers 502 with the shop status when the shop refuses it', async () => {
    const s = await createSession(sandbox);
    await confirm(s.session_id);
    receiver.status = 500;
    const failed = await redeliver(s.session_id);
    expect(failed.status).toBe(502);
    expect(failed.body.data).toMatchObject({ redelivered: true, delivery_status: 'failed', response_status: 500, failure_reason: 'HTTP 500' });
  });

  it('answers 409 CHECKOUT_SESSION_NOT_CONFIRMED before a payment, and 404 for an unknown session', async () => {
    const s = await createSession(sandbox);
    const open = await redeliver(s.session_id);
    expect([open.status, open.body.error.code]).toEqual([409, 'CHECKOUT_SESSION_NOT_CONFIRMED']);
    const missing = await redeliver('cs_missing');
    expect([missing.status, missing.body.error.code]).toEqual([404, 'CHECKOUT_SESSION_NOT_FOUND']);
    expect(receiver.received).toHaveLength(0);
  });
});

describe('the per-session routes', () => {
  it.each(['confirm', 'redeliver'])('%s needs the merchant token and answers GET with 405', async (action) => {
    const s = await createSession(sandbox);
    const path = `/sandbox/checkout-sessions/${s.session_id}/${action}`;
    expect((await call(sandbox, 'POST', path, { token: null })).status).toBe(401);
    expect((await call(sandbox, 'POST', path, { token: sandbox.buyer_token })).body.error.code).toBe('FORBIDDEN');
    expect((await call(sandbox, 'GET', path)).status).toBe(405);
    expect(sandbox.getCheckoutSession(s.session_id)?.status).toBe('open');
  });

  it('replays a confirm for the same Idempotency-Key', async () => {
    const s = await createSession(sandbox);
    const headers = { 'Idempotency-Key': `confirm-${s.session_id}` };
    const a = await confirm(s.session_id, { headers });
    const b = await confirm(s.session_id, { headers });
    expect(b.headers.get('idempotent-replayed')).toBe('true');
    expect(b.body.data).toEqual(a.body.data);
  });
});
