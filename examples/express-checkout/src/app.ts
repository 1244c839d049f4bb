/**
 * A small shop: a product list, "buy" creates a pending order, "pay" starts a
 * Siglume Hosted Checkout, and the webhook marks the order paid. The payment
 * routes and their configuration are the copied template in ./siglume/ (from
 * `siglume-sdrp init express`), calling the package's order core; this file
 * is everything a shop adds around them.
 */
import express from 'express';
import type pg from 'pg';
import { siglumeCheckoutRouter } from './siglume/siglume-checkout.js';
import { startSiglumeCheckout, type ShopUser } from './siglume/siglume-config.js';
import { createOrder, findOrder, listOrders, type ShopOrder } from './database.js';

/** What the shop sells. Prices are server-side facts: the browser only ever sends an id. */
export const CATALOG = [
  { sku: 'coffee', name: 'Coffee beans, 500 g', amount_minor: 4200, currency: 'JPY' },
  { sku: 'mug', name: 'Enamel mug', amount_minor: 1800, currency: 'JPY' },
  { sku: 'sticker', name: 'Sticker (a Micro payment: refused unless metered payments are enabled)', amount_minor: 120, currency: 'JPY' },
] as const;

export interface ShopOptions {
  /** A pool whose connections see the shop's schema (tables of ./siglume/*.postgres.sql). */
  pool: pg.Pool;
}

/** Stand-in for your sign-in: everyone is "alice". Replace with your session lookup. */
export const DEMO_USER = 'alice';

function signedInUser(_req: express.Request): string {
  return DEMO_USER;
}

const escape = (s: string) =>
  s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

function money(amountMinor: number, currency: string): string {
  return currency === 'USD' ? `USD ${(amountMinor / 100).toFixed(2)}` : `JPY ${amountMinor.toLocaleString('en-US')}`;
}

function page(title: string, body: string, refreshSeconds?: number): string {
  const refresh = refreshSeconds ? `<meta http-equiv="refresh" content="${refreshSeconds}">` : '';
  return `<!doctype html><html><head><meta charset="utf-8">${refresh}<title>${escape(title)}</title></head>
<body style="font-family: system-ui, sans-serif; max-width: 40rem; margin: 2rem auto">
<h1>${escape(title)}</h1>${body}
<script>
async function pay(orderId) {
  const res = await fetch('/payments/checkout/siglume/start', {
    method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ order_id: orderId }),
  });
  const body = await res.json();
  if (res.ok && body.checkout_url) location.assign(body.checkout_url);
  else alert('Checkout failed: ' + (body.error || res.status));
}
</script></body></html>`;
}

function orderRow(o: ShopOrder): string {
  const action = o.status === 'pending' ? `<button onclick="pay('${escape(o.order_id)}')">Pay with Siglume</button>` : '';
  return `<li>${escape(o.order_id)}: ${money(o.amount_minor, o.currency)}, <strong>${escape(o.status)}</strong> ${action}</li>`;
}

/**
 * Builds the shop. The Siglume settings come from the environment, read by
 * ./siglume/siglume-config.ts (SIGLUME_*, SHOP_PUBLIC_ORIGIN, SHOP_ALLOW_METERED_PAYMENTS).
 * Rejects, before serving anyone, when the tables do not match the store's
 * mapping or the migration has not been run (`ORDER_STORE_MISCONFIGURED`,
 * naming each fix), or when the database cannot be reached.
 */
export async function createShopApp(options: ShopOptions): Promise<express.Express> {
  const app = express();

  // 1. The Siglume routes, first: the webhook route needs the raw body. startSiglumeCheckout checks the tables once.
  const checkout = await startSiglumeCheckout(options.pool);
  app.use(siglumeCheckoutRouter(checkout, (req): ShopUser => ({ id: signedInUser(req) })));
  // 2. The rest of the shop.
  app.use(express.urlencoded({ extended: false }));

  app.get('/', async (req, res) => {
    const orders = await listOrders(options.pool, signedInUser(req));
    const products = CATALOG.map(
      (p) => `<li>${escape(p.name)}: ${money(p.amount_minor, p.currency)}
        <form method="post" action="/orders" style="display:inline"><input type="hidden" name="sku" value="${p.sku}"><button>Buy</button></form></li>`,
    ).join('');
    res.send(page('Example shop', `<h2>Products</h2><ul>${products}</ul><h2>Your orders</h2><ul>${orders.map(orderRow).join('') || '<li>none yet</li>'}</ul>`));
  });

  app.post('/orders', async (req, res) => {
    const product = CATALOG.find((p) => p.sku === req.body?.sku);
    if (!product) return void res.status(400).send(page('Unknown product', '<p><a href="/">Back</a></p>'));
    await createOrder(options.pool, { user_id: signedInUser(req), amount_minor: product.amount_minor, currency: product.currency });
    res.redirect(303, '/');
  });

  // Siglume sends the buyer back here. The webhook may arrive a moment later,
  // so the page shows the order as the database has it and refreshes while pending.
  app.get('/checkout/siglume/success', async (req, res) => {
    const order = typeof req.query.order_id === 'string' ? await findOrder(options.pool, req.query.order_id, signedInUser(req)) : null;
    if (!order) return void res.status(404).send(page('Order not found', '<p><a href="/">Back</a></p>'));
    if (order.status === 'pending') {
      return void res.send(page('Payment processing', `<p>Waiting for Siglume's confirmation of ${escape(order.order_id)}...</p>`, 2));
    }
    res.send(page('Thank you', `<p>Order ${escape(order.order_id)} is <strong>${escape(order.status)}</strong>.</p><p><a href="/">Back to the shop</a></p>`));
  });

  // Also reached from an expired session's page, or an old tab of an order paid since: say only what is sure.
  app.get('/checkout/siglume/cancel', (_req, res) => {
    res.send(page('Checkout ended', '<p>No payment was taken in this checkout. <a href="/">Back to the shop</a>, where your order shows whether it is paid.</p>'));
  });

  return app;
}
