/**
 * HTML of the hosted checkout page. Self-contained (inline CSS, no scripts,
 * nothing loaded from elsewhere); every interpolated value goes through
 * {@link escapeHtml}.
 */
import type { SandboxCheckoutSession } from './types.js';

/** Escapes text for HTML element content and quoted attribute values. */
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export const escapeHtml = (value: unknown): string => String(value).replace(/[&<>"']/g, (c) => ENTITIES[c]!);

const grouping = new Intl.NumberFormat('en-US');

/**
 * A minor-unit amount for people: JPY has no decimals (`¥4,200`), USD two
 * (`$12.34`). BigInt keeps large amounts exact.
 */
export function formatAmount(amountMinor: number, currency: string): string {
  const minor = BigInt(amountMinor);
  if (currency === 'USD') return `$${grouping.format(minor / 100n)}.${String(minor % 100n).padStart(2, '0')}`;
  if (currency === 'JPY') return `¥${grouping.format(minor)}`;
  return `${grouping.format(minor)} ${currency}`;
}

const BAND_TEXT: Record<string, string> = {
  standard: 'Standard: settled on-chain for this payment',
  micro: 'Micro: accepted now, settled on-chain in a weekly batch',
  nano: 'Nano: accepted now, settled on-chain in a monthly batch',
};

const STYLE = [
  '*{box-sizing:border-box}',
  'body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;background:#f3f4f6;color:#111827}',
  'main{max-width:440px;margin:48px auto;padding:0 16px}',
  '.card{background:#fff;border:1px solid #e5e7eb;border-radius:12px;padding:28px;box-shadow:0 1px 3px rgba(0,0,0,.06)}',
  '.badge{display:inline-block;font-size:12px;font-weight:600;letter-spacing:.04em;text-transform:uppercase;color:#92400e;background:#fef3c7;border-radius:999px;padding:2px 10px}',
  '.brand{color:#6b7280;font-size:14px;margin:12px 0 4px}h1{font-size:20px;margin:0 0 4px}',
  '.merchant-key{color:#6b7280;font-size:14px;margin:0 0 20px}.amount{font-size:40px;font-weight:700;margin:0}',
  '.currency{color:#6b7280;margin:0 0 20px}',
  'dl{display:grid;grid-template-columns:auto 1fr;gap:8px 16px;margin:0 0 24px;font-size:14px}dt{color:#6b7280}',
  'dd{margin:0;overflow-wrap:anywhere}form{margin:0}.actions{display:grid;gap:10px}',
  'button{width:100%;font:inherit;font-weight:600;border-radius:8px;padding:12px 16px;cursor:pointer;border:1px solid transparent}',
  '.pay{background:#111827;color:#fff}.pay:hover{background:#1f2937}.cancel{background:#fff;color:#374151;border-color:#d1d5db}',
  '.note{color:#6b7280;font-size:13px;margin:20px 0 0}.status{font-size:14px;font-weight:600;margin:0 0 16px}a{color:#1d4ed8}',
].join('');

function layout(title: string, body: string): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><meta name="robots" content="noindex">
<title>${escapeHtml(title)}</title><style>${STYLE}</style></head>
<body><main><div class="card"><span class="badge">Sandbox</span><p class="brand">Siglume Hosted Checkout</p>
${body}
</div>
<p class="note">This is the local SDRP sandbox. No real funds move: paying simulates the settlement and sends a signed <code>direct_payment.confirmed</code> webhook to the shop.</p>
</main></body></html>
`;
}

/** `2026-06-11T09:30:00.000Z` -> `2026-06-11 09:30 UTC`. */
const readableTime = (isoTime: string) => `${isoTime.slice(0, 10)} ${isoTime.slice(11, 16)} UTC`;

/** The page of an open session: amount, merchant, band, Pay and Cancel. */
export function renderCheckoutPage(s: SandboxCheckoutSession, merchantName: string): string {
  const id = encodeURIComponent(s.session_id);
  const amount = formatAmount(s.amount_minor, s.currency);
  return layout(
    `Pay ${amount} to ${merchantName}`,
    `<h1>Pay ${escapeHtml(merchantName)}</h1>
<p class="merchant-key">Merchant <code>${escapeHtml(s.merchant)}</code></p>
<p class="amount" data-testid="amount">${escapeHtml(amount)}</p>
<p class="currency">${escapeHtml(s.currency)}, paid in ${escapeHtml(s.token_symbol)}</p>
<dl>
<dt>Pricing band</dt><dd data-testid="pricing-band">${escapeHtml(BAND_TEXT[s.pricing_band] ?? s.pricing_band)}</dd>
<dt>Token</dt><dd>${escapeHtml(s.token_symbol)}</dd>
<dt>Fees</dt><dd>Paid by the merchant; you pay exactly ${escapeHtml(amount)}</dd>
<dt>Expires</dt><dd>${escapeHtml(readableTime(s.expires_at))}</dd>
<dt>Session</dt><dd><code>${escapeHtml(s.session_id)}</code></dd>
</dl>
<div class="actions">
<form method="post" action="/pay/${escapeHtml(id)}/confirm"><button class="pay" id="pay-button" type="submit">Pay ${escapeHtml(amount)}</button></form>
<form method="post" action="/pay/${escapeHtml(id)}/cancel"><button class="cancel" id="cancel-button" type="submit">Cancel and return to the shop</button></form>
</div>`,
  );
}

/** A page for a session that cannot be paid (paid, cancelled, expired) or does not exist. */
export function renderStatusPage(input: {
  title: string;
  message: string;
  link?: { href: string; text: string };
}): string {
  const link = input.link
    ? `<p><a id="return-link" href="${escapeHtml(input.link.href)}">${escapeHtml(input.link.text)}</a></p>`
    : '';
  return layout(
    input.title,
    `<h1>${escapeHtml(input.title)}</h1>\n<p class="status" data-testid="status-message">${escapeHtml(input.message)}</p>\n${link}`,
  );
}
