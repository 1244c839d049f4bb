/**
 * The buyer's paying API calls (execute-prepared, a scheduled run) against a shop whose webhook endpoint takes
 * the connection and never answers: the sandbox waited for every delivery attempt, so the buyer's call outlived
 * the clients' 15 s timeout and a payment that was made came back as a timeout ("may have acted"). Now the call
 * is answered while the delivery is still being tried, and the client gets its receipt. The hosted page's Pay
 * button waited the same way: the buyer's browser hung for every attempt (15.6 s with the default three).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createDirectRequestPaymentChallenge } from '../../src/challenges/challenge.js';
import { createDirectRequestPaymentRecurringChallenge } from '../../src/challenges/recurring.js';
import { DirectRequestPaymentClient } from '../../src/clients/buyer.js';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.js';

let silent: Server;
const sockets = new Set<Socket>();
let sandbox: SandboxHandle;
/** Whether the shop has stopped answering its webhook. */
let hanging = false;

beforeAll(async () => {
  silent = createServer((req, res) => {
    req.resume();
    if (!hanging) res.writeHead(204).end(); // once hanging: reads the request, never answers
  });
  silent.on('connection', (s) => void sockets.add(s));
  await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
  const origin = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
  // One attempt that would wait a minute for the shop: far past the buyer client's 15 s.
  sandbox = await startSandbox({ port: 0, quiet: true, origin, webhook_url: `${origin}/payments/webhooks/siglume`, delivery_timeout_ms: 60_000, delivery_retries: 0 });
});

afterAll(async () => {
  await sandbox.close();
  for (const s of sockets) s.destroy();
  await new Promise<void>((r) => silent.close(() => r()));
});

it('answers execute-prepared and a scheduled run within the client timeout while the shop does not answer its webhook', async () => {
  const buyer = new DirectRequestPaymentClient({ base_url: sandbox.api_base, auth_token: sandbox.buyer_token, timeout_ms: 15_000 });
  const secret = sandbox.getMerchant('sandbox_shop')!.challenge_secret;
  const terms = { merchant: 'sandbox_shop', amount_minor: 1200, currency: 'JPY' as const };
  const micro = { ...terms, amount_minor: 500 };
  const pay = async (t: typeof terms) => {
    const { challenge } = await createDirectRequestPaymentChallenge({ secret, ...t });
    return buyer.executePaymentTransaction(await buyer.createPaymentRequirement({ ...t, challenge }));
  };
  // 19 Micro payments of 500 JPY while the shop answers: the next one takes its batch to the 10,000 threshold.
  for (let i = 0; i < 19; i++) await pay(micro);
  hanging = true;

  const oneOff = pay(terms);
  // Its own confirmation and then the batch's: the two waits share one bound (they added up to 20 s).
  const overThreshold = pay(micro);
  const scheduled = (async () => {
    const { challenge } = await createDirectRequestPaymentRecurringChallenge({ secret, ...terms, cadence: 'daily' });
    const a = await buyer.createScheduledAutoPayAuthorization({ ...terms, challenge });
    return buyer.executeScheduledAutoPay({ schedule_token: a.schedule_token!, slot_id: '2026-11-28' });
  })();

  const [receipt, run, last] = await Promise.all([oneOff, scheduled, overThreshold]);
  expect(receipt).toMatchObject({ status: 'confirmed' });
  expect(run).toMatchObject({ status: 'executed' });
  expect(last).toMatchObject({ status: 'confirmed' });
  // The confirmations sent since the shop hung are still being delivered: one attempt each under way, none failed yet.
  const confirmations = sandbox.listEvents().filter((e) => e.type === 'direct_payment.confirmed').slice(19);
  expect(confirmations).toHaveLength(4); // the one-off, the run, the 20th Micro payment and its batch
  for (const e of confirmations) {
    expect(sandbox.listDeliveries({ event_id: e.id }).map((d) => [d.delivery_status, d.attempts])).toEqual([['queued', 1]]);
  }
}, 30_000);

it("answers the hosted page's Pay with the redirect while the shop does not answer its webhook", async () => {
  hanging = true;
  const { SHOP_PUBLIC_ORIGIN: origin, SIGLUME_MERCHANT_AUTH_TOKEN: token } = sandbox.env;
  const res = await fetch(`${sandbox.api_base}/sdrp/direct-payments/checkout-sessions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({
      merchant: 'sandbox_shop', amount_minor: 1500, currency: 'JPY', nonce: 'hosted-page-wait',
      success_url: `${origin}/done`, cancel_url: `${origin}/cart`,
    }),
  });
  const session = (await res.json()).data;
  const paid = await fetch(`${sandbox.url}/pay/${session.session_id}/confirm`, { method: 'POST', redirect: 'manual' });
  expect(paid.status).toBe(303);
  expect(paid.headers.get('location')).toBe(`${origin}/done?session_id=${session.session_id}`);
  // Answered while its one attempt is still waiting on the shop (the attempt alone would take a minute).
  expect(sandbox.listDeliveries({ event_id: sandbox.getCheckoutSession(session.session_id)!.event_id! }).map((d) => d.delivery_status)).toEqual(['queued']);
}, 30_000);
