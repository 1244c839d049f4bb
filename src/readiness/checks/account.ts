/**
 * Account checks: one `getMerchant` call, then what it says about the billing
 * mandate, billing status and merchant status.
 */
import { SiglumeNotFoundError } from '../../core/errors.js';
import {
  apiFailure,
  fail,
  pass,
  warn,
  type CheckDefinition,
  type CheckOutcome,
  type ReadinessContext,
  type ReadinessMerchantAccount,
} from '../context.js';

// Statuses that mean "open for business"; anything else is worth a warning.
const ACTIVE_LIKE = /* @__PURE__ */ new Set(['active', 'enabled', 'ready', 'live', 'approved', 'verified', 'ok']);

function isObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value : null;
}

/** The account from a getMerchant answer (`{ merchant_account, mandate? }`), or null. */
function accountFrom(response: unknown): ReadinessMerchantAccount | null {
  if (!isObject(response)) return null;
  const account = isObject(response.merchant_account) ? { ...response.merchant_account } : null;
  if (!account) return null;
  // Some answers carry the mandate next to the account instead of its id on it.
  if (!str(account.billing_mandate_id) && isObject(response.mandate)) {
    const id = str(response.mandate.billing_mandate_id) ?? str(response.mandate.id);
    if (id) account.billing_mandate_id = id;
  }
  return account as ReadinessMerchantAccount;
}

async function merchantExists(ctx: ReadinessContext): Promise<CheckOutcome> {
  const merchant = ctx.config.merchant!;
  const client = await ctx.client();
  let response: unknown;
  try {
    response = await client.getMerchant(merchant, ctx.requestOptions());
  } catch (error) {
    if (error instanceof SiglumeNotFoundError) {
      return fail(
        `Merchant ${merchant} does not exist for this token (${error.status} ${error.code})`,
        `Create it with setupCheckout({ merchant: '${merchant}', … }) using this token, or set SIGLUME_DIRECT_PAYMENT_MERCHANT to the key you registered.`,
        { status: error.status, code: error.code },
      );
    }
    return apiFailure(ctx, `Reading merchant ${merchant}`, error);
  }
  const account = accountFrom(response);
  if (!account) {
    return fail(
      `The answer for merchant ${merchant} has no merchant_account`,
      'Check that SIGLUME_API_BASE points at the Siglume API (…/v1), not at your shop.',
    );
  }
  ctx.account = account;
  const name = str(account.display_name);
  return pass(`Merchant ${merchant} exists${name ? ` (${name})` : ''}`, { merchant });
}

function billingMandate(ctx: ReadinessContext): CheckOutcome {
  const merchant = ctx.config.merchant!;
  const id = str(ctx.account?.billing_mandate_id);
  if (!id) {
    return fail(
      `Merchant ${merchant} has no billing mandate`,
      `Prepare one with client.prepareBillingMandate('${merchant}', { currency: '${ctx.config.currency}' }) (setupCheckout does this), then approve it in Siglume.`,
    );
  }
  return pass(`Billing mandate ${id} is set`, { billing_mandate_id: id });
}

function billingStatusActive(ctx: ReadinessContext): CheckOutcome {
  const status = str(ctx.account?.billing_status);
  if (status === 'active') return pass('Billing status is active', { billing_status: status });
  const fix =
    'Approve the billing mandate in Siglume and settle any open billing issue so billing becomes active; Siglume refuses payments to merchants without active billing.';
  if (!status) return fail('The account reports no billing status', fix);
  return fail(`Billing status is "${status}", not active`, fix, { billing_status: status });
}

function merchantStatus(ctx: ReadinessContext): CheckOutcome {
  const status = str(ctx.account?.status);
  if (!status) return pass('Merchant status is not reported (nothing to check)');
  if (ACTIVE_LIKE.has(status.toLowerCase())) return pass(`Merchant status is ${status}`, { merchant_status: status });
  return warn(
    `Merchant status is "${status}"`,
    'Check the merchant account in Siglume (review, suspension or pending verification); payments may be refused until it is active.',
    { merchant_status: status },
  );
}

/** The account checks, in contract order. */
export const ACCOUNT_CHECKS: readonly CheckDefinition[] = [
  { name: 'merchant_exists', group: 'account', run: merchantExists },
  { name: 'billing_mandate', group: 'account', run: billingMandate },
  { name: 'billing_status_active', group: 'account', run: billingStatusActive },
  { name: 'merchant_status', group: 'account', run: merchantStatus },
];
