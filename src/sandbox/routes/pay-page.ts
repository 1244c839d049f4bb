/**
 * The hosted checkout page a buyer's browser sees: `GET /pay/<id>`, and the
 * Pay and Cancel forms, which redirect (303) back to the shop. Answers are
 * HTML, never JSON envelopes.
 */
import type { Hono } from 'hono';
import type { SandboxCore } from '../core.js';
import { SandboxHttpError } from '../errors.js';
import { renderCheckoutPage, renderStatusPage } from '../hosted-page.js';
import { html, redirect, type SandboxAppEnv } from '../http.js';
import type { SandboxCheckoutSession } from '../types.js';

/** `success_url` with `session_id` appended, as the shop's success page expects. */
function successRedirect(s: SandboxCheckoutSession): string {
  const url = new URL(s.success_url);
  url.searchParams.set('session_id', s.session_id);
  return url.toString();
}

const NOT_FOUND = renderStatusPage({
  title: 'Checkout not found',
  message: 'No checkout session exists at this address. Return to the shop and start the checkout again.',
});

/** The page of a session that cannot be paid (any more): status, title, message, and where the link goes back to. */
function statusPage(s: SandboxCheckoutSession): Response {
  const [status, title, message, href] =
    s.status === 'paid'
      ? [200, 'Payment complete', 'This checkout session is already paid.', successRedirect(s)]
      : s.status === 'cancelled'
        ? [409, 'Checkout cancelled', 'This checkout session was cancelled and can no longer be paid.', s.cancel_url]
        : s.status === 'expired'
          ? [
              410,
              'Checkout expired',
              'This checkout session has expired. Return to the shop and start the checkout again.',
              s.cancel_url,
            ]
          : [409, 'Checkout unavailable', `This checkout session is ${s.status}.`, undefined];
  return html(
    status,
    renderStatusPage({ title, message, ...(href && { link: { href, text: 'Return to the shop' } }) }),
  );
}

const isOpen = (s: SandboxCheckoutSession) => s.status === 'open' || s.status === 'authenticated';

/** Registers `/pay/...` on the app. */
export function mountPayPage(app: Hono<SandboxAppEnv>, { store, payments }: SandboxCore): void {
  const session = (id: string | undefined) => (id ? store.session(id) : undefined);

  app.get('/pay/:id', (c) => {
    const s = session(c.req.param('id'));
    if (!s) return html(404, NOT_FOUND);
    if (!isOpen(s)) return statusPage(s);
    return html(200, renderCheckoutPage(s, store.get('merchants', s.merchant)?.display_name ?? s.merchant));
  });

  app.post('/pay/:id/cancel', (c) => {
    const s = session(c.req.param('id'));
    if (!s) return html(404, NOT_FOUND);
    if (isOpen(s)) {
      Object.assign(s, { status: 'cancelled', cancelled_at: store.nowIso(), updated_at: store.nowIso() });
      store.changed();
    }
    return s.status === 'cancelled' ? redirect(s.cancel_url) : statusPage(s);
  });

  app.post('/pay/:id/confirm', async (c) => {
    const s = session(c.req.param('id'));
    if (!s) return html(404, NOT_FOUND);
    try {
      await payments.payCheckoutSession(s.session_id);
    } catch (error) {
      if (!(error instanceof SandboxHttpError)) throw error;
      return isOpen(s)
        ? html(error.status, renderStatusPage({ title: 'Payment failed', message: error.message }))
        : statusPage(s);
    }
    return redirect(successRedirect(s));
  });

  const notAllowed = (allow: string) => () =>
    html(405, renderStatusPage({ title: 'Method not allowed', message: `Use ${allow} here.` }), { Allow: allow });
  app.all('/pay/:id', notAllowed('GET'));
  app.all('/pay/:id/:action{confirm|cancel}', notAllowed('POST'));
  app.all('/pay/*', () => html(404, NOT_FOUND));
  app.all('/pay', () => html(404, NOT_FOUND));
}
