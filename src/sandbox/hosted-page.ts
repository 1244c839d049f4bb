/**
 * The hosted checkout page a buyer's browser sees: `GET /pay/<id>` and its Pay and Cancel forms, which
 * redirect (303) back to the shop. Self-contained HTML (inline CSS, no scripts, nothing loaded from
 * elsewhere); every interpolated value goes through {@link escapeHtml}. Answers are pages, never JSON.
 */
import type { Hono } from 'hono';
import type { SandboxCore } from './core.js';
import { SandboxHttpError } from './errors.js';
import { API_DELIVERY_WAIT_MS } from './payments.js';
import { html, redirect, type SandboxAppEnv } from './http.js';
import { isOpenSession, successRedirect, type SandboxCheckoutSession } from './records.js';

const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** Escapes text for HTML element content and quoted attribute values. */
export const escapeHtml = (value: unknown): string => String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]!);

const grouping = new Intl.NumberFormat('en-US');

/** A minor-unit amount for people: JPY has no decimals (`¥4,200`), USD two (`$12.34`). BigInt keeps large amounts exact. */
export function formatAmount(amountMinor: number, currency: string): string {
  const minor = BigInt(amountMinor);
  if (currency === 'USD') return `$${grouping.format(minor / 100n)}.${String(minor % 100n).padStart(2, '0')}`;
  return currency === 'JPY' ? `¥${grouping.format(minor)}` : `${grouping.format(minor)} ${currency}`;
}

const BAND_TEXT: Record<string, string> = {
  standard: 'Standard: settled on-chain for this payment',
  micro: 'Micro: accepted now, settled on-chain in a weekly batch',
  nano: 'Nano: accepted now, settled on-chain in a monthly batch',
};

const STYLE = `body{margin:0;font:16px/1.5 system-ui,sans-serif;background:#f3f4f6;color:#111827}
main{max-width:440px;margin:48px auto;padding:0 16px}.card{background:#fff;border:1px solid #e5e7eb;border-radius:12px;padding:28px}
.badge{font-size:12px;font-weight:600;text-transform:uppercase;color:#92400e;background:#fef3c7;border-radius:999px;padding:2px 10px}
.amount{font-size:40px;font-weight:700;margin:0}dl{display:grid;grid-template-columns:auto 1fr;gap:8px 16px;font-size:14px}
dt,.note{color:#6b7280}dd{margin:0;overflow-wrap:anywhere}form{margin:10px 0 0}
button{width:100%;font:inherit;font-weight:600;border-radius:8px;padding:12px;cursor:pointer;border:1px solid #d1d5db;background:#fff}
.pay{background:#111827;color:#fff}.note{font-size:13px}button:focus-visible{outline:3px solid #2563eb;outline-offset:2px}`;

function page(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex"><title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main><div class="card"><span class="badge">Sandbox</span> Siglume Hosted Checkout
${body}
</div><p class="note">This is the local SDRP sandbox. No real funds move: paying simulates the settlement and sends a signed
<code>direct_payment.confirmed</code> webhook to the shop.</p></main></body></html>
`;
}

/** The page of an open session: merchant, amount, band, Pay and Cancel. */
export function renderCheckoutPage(s: SandboxCheckoutSession, merchantName: string): string {
  const amount = escapeHtml(formatAmount(s.amount_minor, s.currency));
  const action = `/pay/${escapeHtml(encodeURIComponent(s.session_id))}`;
  return page(
    `Pay ${formatAmount(s.amount_minor, s.currency)} to ${merchantName}`,
    `<h1>Pay ${escapeHtml(merchantName)}</h1>
<p class="amount" data-testid="amount">${amount}</p>
<dl><dt>Merchant</dt><dd><code>${escapeHtml(s.merchant)}</code></dd>
<dt>Currency</dt><dd>${escapeHtml(s.currency)}, paid in ${escapeHtml(s.token_symbol)}</dd>
<dt>Pricing band</dt><dd data-testid="pricing-band">${escapeHtml(BAND_TEXT[s.pricing_band] ?? s.pricing_band)}</dd>
<dt>Fees</dt><dd>Paid by the merchant; you pay exactly ${amount}</dd>
<dt>Expires</dt><dd>${escapeHtml(`${s.expires_at.slice(0, 10)} ${s.expires_at.slice(11, 16)} UTC`)}</dd>
<dt>Session</dt><dd><code>${escapeHtml(s.session_id)}</code></dd></dl>
<form method="post" action="${action}/confirm"><button class="pay" id="pay-button" type="submit">Pay ${amount}</button></form>
<form method="post" action="${action}/cancel"><button id="cancel-button" type="submit">Cancel and return to the shop</button></form>`,
  );
}

/** A page for a session that cannot be paid (paid, cancelled, expired) or does not exist. */
export function renderStatusPage(title: string, message: string, link?: string): string {
  const back = link ? `\n<p><a id="return-link" href="${escapeHtml(link)}">Return to the shop</a></p>` : '';
  return page(
    title,
    `<h1>${escapeHtml(title)}</h1>\n<p data-testid="status-message">${escapeHtml(message)}</p>${back}`,
  );
}

const NOT_FOUND = renderStatusPage(
  'Checkout not found',
  'No checkout session exists at this address. Return to the shop and start the checkout again.',
);

/** The page of a session that cannot be paid (any more), linking back to the shop. */
function statusPage(s: SandboxCheckoutSession): Response {
  if (s.status === 'paid') {
    const page = renderStatusPage('Payment complete', 'This checkout session is already paid.', successRedirect(s));
    return html(200, page);
  }
  if (s.status === 'cancelled') {
    const message = 'This checkout session was cancelled and can no longer be paid.';
    return html(409, renderStatusPage('Checkout cancelled', message, s.cancel_url));
  }
  if (s.status === 'expired') {
    const message = 'This checkout session has expired. Return to the shop and start the checkout again.';
    return html(410, renderStatusPage('Checkout expired', message, s.cancel_url));
  }
  return html(409, renderStatusPage('Checkout unavailable', `This checkout session is ${s.status}.`));
}

export function mountPayPage(app: Hono<SandboxAppEnv>, { store, payments }: SandboxCore): void {
  const session = (id: string) => (store.get('checkout_sessions', id) ? store.session(id) : undefined);

  app.get('/pay/:id', (c) => {
    const s = session(c.req.param('id'));
    if (!s) return html(404, NOT_FOUND);
    if (!isOpenSession(s)) return statusPage(s);
    return html(200, renderCheckoutPage(s, store.get('merchants', s.merchant)?.display_name ?? s.merchant));
  });

  app.post('/pay/:id/cancel', (c) => {
    const s = session(c.req.param('id'));
    if (!s) return html(404, NOT_FOUND);
    if (isOpenSession(s)) {
      Object.assign(s, { status: 'cancelled', cancelled_at: store.nowIso(), updated_at: store.nowIso() });
      store.changed();
    }
    return s.status === 'cancelled' ? redirect(s.cancel_url) : statusPage(s);
  });

  app.post('/pay/:id/confirm', async (c) => {
    const s = session(c.req.param('id'));
    if (!s) return html(404, NOT_FOUND);
    try {
      // The buyer's browser waits as the buyer's API calls do: a shop whose webhook hangs cannot hold the page.
      await payments.payCheckoutSession(s.session_id, API_DELIVERY_WAIT_MS);
    } catch (error) {
      if (!(error instanceof SandboxHttpError)) throw error;
      return isOpenSession(s) ? html(error.status, renderStatusPage('Payment failed', error.message)) : statusPage(s);
    }
    return redirect(successRedirect(s));
  });

  const notAllowed = (allow: string) => () =>
    html(405, renderStatusPage('Method not allowed', `Use ${allow} here.`), { Allow: allow });
  app.all('/pay/:id', notAllowed('GET'));
  app.all('/pay/:id/:action{confirm|cancel}', notAllowed('POST'));
  app.all('/pay/*', () => html(404, NOT_FOUND));
  app.all('/pay', () => html(404, NOT_FOUND));
}
