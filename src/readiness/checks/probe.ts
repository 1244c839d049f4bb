/**
 * Probe group: create one Hosted Checkout session exactly as the shop will,
 * with the shop's own success / cancel URLs. The session stays unpaid and
 * expires on its own; no buyer is charged.
 */
import type { DirectRequestPaymentCheckoutSessionCreateResponse } from '../../clients/schemas/checkout-session.js';
import {
  HostedCheckoutNotAvailableError,
  SiglumeApiError,
  SiglumeHostedCheckoutReadinessRequiredError,
} from '../../core/errors.js';
import type { ApiInput } from '../group.js';
import { apiFailure, baseSetting, fail, failed, found, pass, reportShapeFix, shapeMismatch, type Checked } from '../outcome.js';
import type { CheckRun } from '../recorder.js';
import { formatMinorAmount } from './config.js';
import { blockerFix, requirementFix } from './readiness-api.js';

/** `metadata.source` of the readiness checkout probe, so it is recognizable in the merchant's session list. */
export const READINESS_PROBE_SOURCE = 'siglume-sdrp-readiness';

/** What the probe group reads besides the API input. */
export interface ProbeInput extends ApiInput {
  /** Clock in epoch milliseconds, for the session nonce `sdrp-readiness-<ms>`. */
  now: () => number;
}

/** What the probe group hands on. */
export interface ProbeFacts {
  /** The unpaid probe session. */
  session: DirectRequestPaymentCheckoutSessionCreateResponse;
}

async function hostedCheckout(input: ApiInput, nonce: string): Promise<Checked<DirectRequestPaymentCheckoutSessionCreateResponse>> {
  const { merchant, shop_origin: origin, currency, amount_minor } = input.config;
  const client = await input.client();
  let session: DirectRequestPaymentCheckoutSessionCreateResponse;
  try {
    session = await client.createCheckoutSession(
      {
        merchant,
        amount_minor,
        currency,
        nonce,
        success_url: `${origin}/siglume-readiness/success`,
        cancel_url: `${origin}/siglume-readiness/cancel`,
        metadata: { source: READINESS_PROBE_SOURCE },
      },
      input.request_options,
    );
  } catch (error) {
    if (error instanceof HostedCheckoutNotAvailableError) {
      const fix =
        error.upstream_status === 404
          ? `This API base has no Hosted Checkout for the merchant: check ${baseSetting(input.target)} (now ${input.target.base_url}) points at the right environment, then ask Siglume to enable Hosted Checkout for the merchant.`
          : `Ask Siglume to enable Hosted Checkout for ${merchant} (or point ${baseSetting(input.target)} at the environment where it is enabled).`;
      return failed(
        fail(
          `Hosted Checkout is not enabled for ${merchant} (the API answered ${error.upstream_status} ${error.upstream_code})`,
          fix,
          { status: error.upstream_status, code: error.upstream_code },
        ),
      );
    }
    if (error instanceof SiglumeHostedCheckoutReadinessRequiredError) {
      const missing = error.missing_requirements;
      const blockers = error.blockers;
      const open = [...missing, ...blockers];
      return failed(
        fail(
          `Siglume refused checkout for ${merchant} until its readiness is complete (${error.status} ${error.code}${open.length ? `: ${open.join(', ')}` : ''})`,
          open.length
            ? [...missing.map((name) => requirementFix(name, merchant)), ...blockers.map((name) => blockerFix(name, merchant))].join('\n')
            : `Read the merchant readiness (getMerchantReadiness('${merchant}')) and close the gates it names.`,
          { status: error.status, code: error.code, missing_requirements: missing, blockers },
        ),
      );
    }
    if (shapeMismatch(error)) {
      return failed(fail('The checkout session answer has no session_id or checkout_url', reportShapeFix(input.target)));
    }
    if (
      error instanceof SiglumeApiError &&
      (error.status === 400 || error.status === 422) &&
      /origin|success_url|cancel_url/i.test(`${error.code} ${error.message}`)
    ) {
      return failed(
        fail(
          `Siglume refused the shop's return URLs under ${origin} (${error.status} ${error.code}: ${error.message})`,
          `Add ${origin} to the merchant's checkout_allowed_origins, e.g. setupMerchant({ merchant: '${merchant}', checkout_allowed_origins: ['${origin}'] }).`,
          { status: error.status, code: error.code },
        ),
      );
    }
    return failed(apiFailure(input.target, 'Creating a Hosted Checkout session', error));
  }
  const expires = session.expires_at || null;
  return found(
    pass(
      `Created unpaid checkout session ${session.session_id} for ${formatMinorAmount(currency, amount_minor)}${expires ? ` (expires ${expires})` : ''}`,
      {
        session_id: session.session_id,
        checkout_url: session.checkout_url,
        status: session.status || null,
        expires_at: expires,
        nonce,
      },
    ),
    session,
  );
}

/** Runs the checkout probe; null when it failed. */
export async function probeChecks(input: ProbeInput, run: CheckRun): Promise<ProbeFacts | null> {
  const session = await run.check('hosted_checkout_probe', () => hostedCheckout(input, `sdrp-readiness-${input.now()}`));
  return session.ok ? { session: session.fact } : null;
}
