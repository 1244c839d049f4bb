/**
 * The hosted checkout page a buyer's browser sees: `GET /pay/<id>`, and the
 * Pay and Cancel forms, which redirect (303) back to the shop.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SandboxHttpError } from '../errors.js';
import { renderCheckoutPage, renderStatusPage } from '../hosted-page.js';
import { readBody, sendHtml, sendRedirect } from '../http.js';
import { payCheckoutSession } from '../payments.js';
import type { SandboxRuntime } from '../runtime.js';
import type { SandboxCheckoutSession } from '../types.js';

/** `success_url` with `session_id` appended, as the shop's success page expects. */
export function successRedirect(s: SandboxCheckoutSession): string {
  const url = new URL(s.success_url);
  url.searchParams.set('session_id', s.session_id);
  return url.toString();
}

function statusPage(s: SandboxCheckoutSession): { status: number; html: string } {
  switch (s.status) {
    case 'paid':
      return {
        status: 200,
        html: renderStatusPage({
          title: 'Payment complete',
          message: 'This checkout session is already paid.',
          link: { href: successRedirect(s), text: 'Return to the shop' },
        }),
      };
    case 'cancelled':
      return {
        status: 409,
        html: renderStatusPage({
          title: 'Checkout cancelled',
          message: 'This checkout session was cancelled and can no longer be paid.',
          link: { href: s.cancel_url, text: 'Return to the shop' },
        }),
      };
    case 'expired':
      return {
        status: 410,
        html: renderStatusPage({
          title: 'Checkout expired',
          message: 'This checkout session has expired. Return to the shop and start the checkout again.',
          link: { href: s.cancel_url, text: 'Return to the shop' },
        }),
      };
    default:
      return {
        status: 409,
        html: renderStatusPage({ title: 'Checkout unavailable', message: `This checkout session is ${s.status}.` }),
      };
  }
}

const NOT_FOUND_PAGE = renderStatusPage({
  title: 'Checkout not found',
  message: 'No checkout session exists at this address. Return to the shop and start the checkout again.',
});

/**
 * Handles a request under `/pay/`. `segments` are the decoded path segments
 * after `/pay`.
 */
export async function handlePayPage(
  rt: SandboxRuntime,
  req: IncomingMessage,
  res: ServerResponse,
  segments: readonly string[],
  requestId: string,
): Promise<void> {
  const [id = '', action, ...rest] = segments;
  const s = id ? rt.store.session(id) : undefined;
  if (rest.length > 0 || (action !== undefined && action !== 'confirm' && action !== 'cancel')) {
    req.resume();
    return sendHtml(res, 404, NOT_FOUND_PAGE, requestId);
  }
  const wanted = action === undefined ? 'GET' : 'POST';
  if (req.method !== wanted) {
    req.resume();
    res.setHeader('Allow', wanted);
    return sendHtml(res, 405, renderStatusPage({ title: 'Method not allowed', message: `Use ${wanted} here.` }), requestId);
  }
  // Form bodies carry nothing the sandbox needs; read them only to keep the connection usable.
  if (wanted === 'POST') await readBody(req);
  else req.resume();
  if (!s) return sendHtml(res, 404, NOT_FOUND_PAGE, requestId);

  if (action === undefined) {
    if (s.status === 'open' || s.status === 'authenticated') {
      const merchantName = rt.store.merchant(s.merchant)?.display_name ?? s.merchant;
      return sendHtml(res, 200, renderCheckoutPage({ session: s, merchantName }), requestId);
    }
    const page = statusPage(s);
    return sendHtml(res, page.status, page.html, requestId);
  }

  if (action === 'cancel') {
    if (s.status === 'open' || s.status === 'authenticated') {
      s.status = 'cancelled';
      s.cancelled_at = rt.store.nowIso();
      s.updated_at = s.cancelled_at;
      rt.store.changed();
    }
    if (s.status === 'cancelled') return sendRedirect(res, s.cancel_url, requestId);
    const page = statusPage(s);
    return sendHtml(res, page.status, page.html, requestId);
  }

  try {
    await payCheckoutSession(rt, s.session_id);
  } catch (error) {
    if (!(error instanceof SandboxHttpError)) throw error;
    if (s.status === 'open' || s.status === 'authenticated') {
      return sendHtml(res, error.status, renderStatusPage({ title: 'Payment failed', message: error.message }), requestId);
    }
    const page = statusPage(s);
    return sendHtml(res, page.status, page.html, requestId);
  }
  return sendRedirect(res, successRedirect(s), requestId);
}
