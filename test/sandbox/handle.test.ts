/**
 * The handle's methods, called with no socket. Deliveries never reach the network here (the
 * `drop_webhook_deliveries` fault).
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { createSandbox, type SandboxHandle, type SandboxOptions } from '../../src/sandbox/index.js';

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

describe('webhook retries with delivery_backoff_ms: 0', () => {
  it('happen at once, with no timer, so they run under fake timers too', async () => {
    const { sandbox, session_id } = await sandboxWithSession({ delivery_retries: 2 });
    vi.useFakeTimers(); // waited forever on a 0 ms timer that nothing advanced
    const paid = await sandbox.payCheckoutSession(session_id);
    expect(paid.deliveries.map((d) => [d.delivery_status, d.attempts])).toEqual([['failed', 3]]);
  });
});
