/**
 * Account group: one `getMerchant` call, then what it says about the billing
 * mandate, billing status and merchant status (all three, whatever fails).
 * The merchant status fails closed: only `active` or `ready` passes.
 */
import type { DirectRequestPaymentMerchantAccount } from '../../clients/schemas/merchant-account.js';
import { SiglumeNotFoundError } from '../../core/errors.js';
import { apiFailure, fail, failed, found, pass, routeMissing, routeMissingFix, shapeMismatch, wrongApiFix, type Checked } from '../outcome.js';
import type { ApiInput } from '../group.js';
import type { CheckRun } from '../recorder.js';
import type { ReadinessConfig } from './config.js';

/** What the account group hands on. */
export interface AccountFacts {
  account: DirectRequestPaymentMerchantAccount;
}

// The only merchant statuses that take payments (CONTRACT-2 section 18.4); anything else, or none, fails.
const OPEN_STATUSES = /* @__PURE__ */ new Set(['active', 'ready']);

/**
 * "Active-like" statuses (CONTRACT-2 section 18.4, compared case-insensitively): billing in good standing,
 * and a webhook subscription that delivers.
 */
const ACTIVE_LIKE_STATUSES = /* @__PURE__ */ new Set(['active', 'ready', 'current', 'ok', 'enabled', 'paid', 'complete', 'completed']);

/** True for an active-like status (see {@link ACTIVE_LIKE_STATUSES}); false for none. */
export const isActiveLike = (status: unknown): boolean =>
  typeof status === 'string' && ACTIVE_LIKE_STATUSES.has(status.trim().toLowerCase());

function text(value: string | null | undefined): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

/** A mandate id an answer carries next to the account (`mandate: { billing_mandate_id | id }`) instead of on it. */
function mandateIdOf(mandate: unknown): string | null {
  if (mandate === null || typeof mandate !== 'object') return null;
  const { billing_mandate_id, id } = mandate as { billing_mandate_id?: unknown; id?: unknown };
  return (typeof billing_mandate_id === 'string' ? text(billing_mandate_id) : null) ?? (typeof id === 'string' ? text(id) : null);
}

async function merchantExists(input: ApiInput): Promise<Checked<DirectRequestPaymentMerchantAccount>> {
  const { merchant } = input.config;
  const client = await input.client();
  try {
    const response = await client.getMerchant(merchant, input.request_options);
    const account = { ...response.merchant_account };
    if (!text(account.billing_mandate_id)) {
      const id = mandateIdOf(response.mandate);
      if (id) account.billing_mandate_id = id;
    }
    const name = text(account.display_name);
    return found(pass(`Merchant ${merchant} exists${name ? ` (${name})` : ''}`, { merchant }), account);
  } catch (error) {
    if (routeMissing(error)) {
      const { status, code } = error as SiglumeNotFoundError;
      return failed(
        fail(`Reading merchant ${merchant} failed: the API has no such route (${status} ${code})`, routeMissingFix(input.target), {
          status,
          code,
        }),
      );
    }
    if (error instanceof SiglumeNotFoundError) {
      return failed(
        fail(
          `Merchant ${merchant} does not exist for this token (${error.status} ${error.code})`,
          `Create it with setupCheckout({ merchant: '${merchant}', … }) using this token, or set SIGLUME_DIRECT_PAYMENT_MERCHANT to the key you registered.`,
          { status: error.status, code: error.code },
        ),
      );
    }
    if (shapeMismatch(error)) {
      return failed(fail(`The answer for merchant ${merchant} has no merchant_account`, wrongApiFix(input.target)));
    }
    return failed(apiFailure(input.target, `Reading merchant ${merchant}`, error));
  }
}

function billingMandate(config: ReadinessConfig, account: DirectRequestPaymentMerchantAccount): Checked<string> {
  const id = text(account.billing_mandate_id);
  if (!id) {
    return failed(
      fail(
        `Merchant ${config.merchant} has no billing mandate`,
        `Prepare one with client.prepareBillingMandate('${config.merchant}', { currency: '${config.currency}' }) (setupCheckout does this), then approve it in Siglume.`,
      ),
    );
  }
  return found(pass(`Billing mandate ${id} is set`, { billing_mandate_id: id }), id);
}

function billingStatusActive(config: ReadinessConfig, account: DirectRequestPaymentMerchantAccount): Checked<string> {
  const status = text(account.billing_status);
  if (status && isActiveLike(status)) {
    return found(pass(`Billing status is ${status}`, { billing_status: status }), status);
  }
  // A mandate that lapsed or was revoked stays linked: a new approved one makes billing active again (the sandbox approves at once).
  const fix = `Approve the billing mandate in Siglume and settle any open billing issue; if the mandate lapsed or was revoked, prepare a new one with client.prepareBillingMandate('${config.merchant}', { currency: '${config.currency}' }) and approve it. Siglume refuses payments to merchants without active billing.`;
  if (!status) return failed(fail('The account reports no billing status', fix));
  return failed(fail(`Billing status is "${status}", not active`, fix, { billing_status: status }));
}

function merchantStatusActive(merchant: string, account: DirectRequestPaymentMerchantAccount): Checked<string> {
  const status = text(account.status);
  if (status && OPEN_STATUSES.has(status.trim().toLowerCase())) {
    return found(pass(`Merchant status is ${status}`, { merchant_status: status }), status);
  }
  const fix = `Siglume takes payments only for a merchant whose status is active or ready: open ${merchant} in Siglume and finish what it asks for (review, pending verification), or ask Siglume support to lift a suspension.`;
  if (!status) return failed(fail(`The account of ${merchant} reports no merchant status`, fix));
  return failed(fail(`Merchant status is "${status}", not active or ready`, fix, { merchant_status: status }));
}

/**
 * Runs the account checks, in contract order; null when one failed. The three after `merchant_exists` all read
 * its one answer, so each runs even when an earlier one failed: one run shows every account problem.
 */
export async function accountChecks(input: ApiInput, run: CheckRun): Promise<AccountFacts | null> {
  const exists = await run.check('merchant_exists', () => merchantExists(input));
  if (!exists.ok) return null;
  const account = exists.fact;
  const facts = [
    await run.check('billing_mandate', () => billingMandate(input.config, account)),
    await run.check('billing_status_active', () => billingStatusActive(input.config, account)),
    await run.check('merchant_status_active', () => merchantStatusActive(input.config.merchant, account)),
  ];
  return facts.every((f) => f.ok) ? { account } : null;
}
