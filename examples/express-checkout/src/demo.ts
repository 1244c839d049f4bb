/**
 * The whole shop, end to end, without a browser: an in-process sandbox, the
 * shop on a free port, one order paid through the hosted page, then the
 * edges (a redelivery, a forged webhook, a Micro amount). `npm run demo`
 * prints each step; the repository's tests run the same function.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { startSandbox as StartSandbox } from '@siglume/direct-request-payment/sandbox';
import { createTestWebhookEvent } from '@siglume/direct-request-payment/testing';
import { createShopApp, DEMO_USER } from './app.js';
import { createOrder, createPool, findOrder, openReviews, setupDatabase } from './database.js';

export interface CheckoutDemoOptions {
  database_url: string;
  schema: string;
  /** `startSandbox` from `@siglume/direct-request-payment/sandbox` (a parameter so tests can pass the sources' one). */
  startSandbox: typeof StartSandbox;
  log?: (line: string) => void;
}

/** One verified step of the demo. */
export interface DemoStep {
  step: string;
  ok: boolean;
  detail: string;
}

async function postJson(url: string, body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const res = await fetch(url, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });
  return { status: res.status, json: (await res.json().catch(() => ({}))) as Record<string, unknown> };
}

/** Runs the demo; resolves with every step (a failed step does not stop the ones that do not depend on it). */
export async function runCheckoutDemo(options: CheckoutDemoOptions): Promise<DemoStep[]> {
  const steps: DemoStep[] = [];
  const record = (step: string, ok: boolean, detail: string) => {
    steps.push({ step, ok, detail });
    options.log?.(`${ok ? '✔' : '✖'} ${step}: ${detail}`);
  };

  await setupDatabase(options.database_url, options.schema);
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const shopUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const sandbox = await options.startSandbox({ port: 0, origin: shopUrl, quiet: true });
  const pool = createPool(options.database_url, options.schema);
  try {
    // The shop reads its Siglume settings from the environment, as in production: here the sandbox's.
    Object.assign(process.env, sandbox.env, { SHOP_PUBLIC_ORIGIN: shopUrl, SHOP_ALLOW_METERED_PAYMENTS: 'false' });
    const app = await createShopApp({ pool });
    server.on('request', app);
    options.log?.(`Shop ${shopUrl}, sandbox ${sandbox.url}`);

    // 1. An order priced by the server, and a checkout for it.
    const order = await createOrder(pool, { user_id: DEMO_USER, amount_minor: 4200, currency: 'JPY' });
    const start = await postJson(`${shopUrl}/payments/checkout/siglume/start`, { order_id: order.order_id });
    const checkoutUrl = typeof start.json.checkout_url === 'string' ? start.json.checkout_url : '';
    const sessionId = typeof start.json.session_id === 'string' ? start.json.session_id : '';
    record('start checkout', start.status === 200 && checkoutUrl !== '', `${order.order_id} JPY 4,200 -> ${checkoutUrl || start.status}`);
    if (!checkoutUrl) return steps;

    // 2. The buyer presses Pay on the hosted page (the form the page posts).
    const pay = await fetch(`${checkoutUrl}/confirm`, { method: 'POST', redirect: 'manual' });
    const location = pay.headers.get('location') ?? '';
    record('pay on the hosted page', pay.status === 303 && location.startsWith(`${shopUrl}/checkout/siglume/success`), `${pay.status} -> ${location}`);

    // 3. The signed webhook marked the order paid, before the buyer got back.
    const paid = await findOrder(pool, order.order_id, DEMO_USER);
    record('order paid by the webhook', paid?.status === 'paid', `${paid?.status}, requirement ${paid?.requirement_id}, chain receipt ${paid?.chain_receipt_id}`);

    // 4. A redelivery of the same event is acknowledged and changes nothing.
    const eventId = sandbox.getCheckoutSession(sessionId)?.event_id ?? '';
    const again = eventId ? await sandbox.redeliver(eventId) : [];
    const after = await findOrder(pool, order.order_id, DEMO_USER);
    record(
      'redelivery is a no-op',
      again.length > 0 && again.every((d) => d.response_status === 204) && after?.requirement_id === paid?.requirement_id,
      `${eventId} redelivered, answered ${again.map((d) => d.response_status).join(', ') || 'nothing'}`,
    );

    // 5. A webhook signed with the wrong secret is refused before anything is written (503: from Siglume, a wrong
    // secret is this shop's setup, so the event is kept for a retry).
    const forged = await createTestWebhookEvent('standard_settled', { secret: 'whsec_not_the_shops_secret', merchant: sandbox.env.SIGLUME_DIRECT_PAYMENT_MERCHANT });
    const forgedRes = await fetch(`${shopUrl}/payments/webhooks/siglume`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'siglume-signature': forged.header },
      body: forged.raw_body,
    });
    const reviews = await openReviews(pool);
    record('forged webhook refused', forgedRes.status === 503 && !reviews.some((r) => r.event_id === forged.event.id), `HTTP ${forgedRes.status}`);

    // 6. A Micro amount is refused: this shop sells Standard only.
    const sticker = await createOrder(pool, { user_id: DEMO_USER, amount_minor: 120, currency: 'JPY' });
    const micro = await postJson(`${shopUrl}/payments/checkout/siglume/start`, { order_id: sticker.order_id });
    record('Micro amount refused', micro.status === 409 && micro.json.error === 'METERED_INTEGRATION_REQUIRED', `HTTP ${micro.status} ${String(micro.json.error)}`);
    return steps;
  } finally {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await sandbox.close();
    await pool.end();
  }
}
