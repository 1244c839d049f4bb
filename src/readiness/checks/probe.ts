/**
 * Probe check: create one Hosted Checkout session exactly as the shop will,
 * with the shop's own success / cancel URLs. The session stays unpaid and
 * expires on its own; no buyer is charged.
 */
import { HostedCheckoutNotAvailableError, SiglumeApiError } from '../../core/errors.js';
import { apiFailure, fail, pass, type CheckDefinition, type CheckOutcome, type ReadinessContext } from '../context.js';
import { formatMinorAmount } from './config.js';

/** `metadata.source` of the readiness checkout probe, so it is recognizable in the merchant's session list. */
export const READINESS_PROBE_SOURCE = 'siglume-check readiness';

function str(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

async function hostedCheckout(ctx: ReadinessContext): Promise<CheckOutcome> {
  const merchant = ctx.config.merchant!;
  const origin = ctx.config.shop_origin!;
  const { currency, amount_minor } = ctx.config;
  const nonce = `sdrp-readiness-${ctx.now()}`;
  const client = await ctx.client();
  let response: unknown;
  try {
    response = await client.createCheckoutSession(
      {
        merchant,
        amount_minor,
        currency,
        nonce,
        success_url: `${origin}/checkout/siglume/success`,
        cancel_url: `${origin}/checkout/siglume/cancel`,
        metadata: { source: READINESS_PROBE_SOURCE },
      },
      ctx.requestOptions(),
    );
  } catch (error) {
    if (error instanceof HostedCheckoutNotAvailableError) {
      const fix =
        error.upstream_status === 404
          ? 'This API base has no Hosted Checkout for the merchant: check SIGLUME_API_BASE points at the right environment, then ask Siglume to enable Hosted Checkout for the merchant.'
          : `Ask Siglume to enable Hosted Checkout for ${merchant} (or point SIGLUME_API_BASE at the environment where it is enabled).`;
      return fail(
        `Hosted Checkout is not enabled for ${merchant} (the API answered ${error.upstream_status} ${error.upstream_code})`,
        fix,
        { status: error.upstream_status, code: error.upstream_code },
      );
    }
    if (
      error instanceof SiglumeApiError &&
      (error.status === 400 || error.status === 422) &&
      /origin|success_url|cancel_url/i.test(`${error.code} ${error.message}`)
    ) {
      return fail(
        `Siglume refused the shop's return URLs under ${origin} (${error.status} ${error.code}: ${error.message})`,
        `Add ${origin} to the merchant's checkout_allowed_origins, e.g. setupMerchant({ merchant: '${merchant}', checkout_allowed_origins: ['${origin}'] }).`,
        { status: error.status, code: error.code },
      );
    }
    return apiFailure(ctx, 'Creating a Hosted Checkout session', error);
  }
  const session = (response ?? {}) as Record<string, unknown>;
  const sessionId = str(session.session_id);
  const checkoutUrl = str(session.checkout_url);
  if (!sessionId || !checkoutUrl) {
    return fail(
      'The checkout session answer has no session_id or checkout_url',
      'Check that SIGLUME_API_BASE points at the Siglume API (…/v1); if it does, report this to Siglume support.',
    );
  }
  const expires = str(session.expires_at);
  return pass(
    `Created unpaid checkout session ${sessionId} for ${formatMinorAmount(currency, amount_minor)}${expires ? ` (expires ${expires})` : ''}`,
    { session_id: sessionId, checkout_url: checkoutUrl, status: str(session.status), expires_at: expires, nonce },
  );
}

/** The probe check. */
export const PROBE_CHECKS: readonly CheckDefinition[] = [{ name: 'hosted_checkout', group: 'probe', run: hostedCheckout }];
