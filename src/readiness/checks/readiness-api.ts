/**
 * Readiness-API group: one `getMerchantReadiness` call (CONTRACT-2 section
 * 16), then six checks on what it says: the call itself, `ready`, the
 * missing requirements, the blockers, the responsibility attestation and
 * live mode. All six run (each names a different gate, so one screen shows
 * every open gate); the account group runs after them whatever they found.
 *
 * The requirement names are not published, so every name is reported as
 * the API wrote it; the fix comes from the table below for the names this
 * SDK knows (gate names and their field spellings, matched whole, never by a
 * part), else from the answer's own `checks[].fix`, else a generic one that
 * still names the requirement.
 * The lists are read with {@link requirementNames} again here: `client` may be
 * a test double or a wrapper that hands the answer on unparsed.
 */
import type { DirectRequestPaymentHostedCheckoutReadiness } from '../../clients/schemas/merchant-readiness.js';
import { requirementNames } from '../../core/requirement-names.js';
import { STANDARD_RESPONSIBILITY_ATTESTATION_VERSION } from '../../core/constants.js';
import { SiglumeApiError } from '../../core/errors.js';
import type { ApiInput } from '../group.js';
import { apiFailure, baseSetting, fail, failed, found, pass, reportShapeFix, shapeMismatch, type Checked } from '../outcome.js';
import type { CheckRun } from '../recorder.js';


/** The readiness answer as the typed client returns it (unknown fields pass through). */
type Readiness = DirectRequestPaymentHostedCheckoutReadiness;

/** The checks after the API call: skipped together when the call failed. */
const DETAIL_CHECKS = [
  'hosted_checkout_readiness_ready',
  'hosted_checkout_missing_requirements',
  'hosted_checkout_blockers',
  'merchant_responsibility_attested',
  'live_mode_enabled',
] as const;


/** A name compared ignoring case and separators: `Terms Acceptance`, `terms-acceptance` and `termsAcceptance` are one name. */
function key(name: string): string {
  return name.toLowerCase().replace(/[^a-z0-9]+/g, '');
}

/** Which gate a requirement name this SDK knows stands for. */
type Gate = 'terms' | 'sandbox' | 'attestation' | 'live_mode' | 'wallet' | 'mandate' | 'webhook' | 'registration';

/**
 * The requirement names this SDK has a fix for, exactly as docs/readiness.md lists them: the sandbox's
 * names and the field spellings of the same gates. Any other name, however much it looks like one of
 * these (`live_mode_kyc_documents`, `terms_tax_form`), is a requirement this SDK does not know: it gets the
 * answer's own fix.
 */
const KNOWN_REQUIREMENTS: ReadonlyMap<string, Gate> = /* @__PURE__ */ new Map<string, Gate>(([
  ['terms_acceptance', 'terms'],
  ['terms_accepted', 'terms'],
  ['sandbox_confirmation', 'sandbox'],
  ['sandbox_confirmed', 'sandbox'],
  ['merchant_responsibility_attestation', 'attestation'],
  ['merchant_responsibility_attested', 'attestation'],
  ['live_mode_requested', 'live_mode'],
  ['live_mode', 'live_mode'],
  ['settlement_wallet', 'wallet'],
  ['billing_mandate', 'mandate'],
  ['webhook_endpoint', 'webhook'],
  ['merchant_registration', 'registration'],
] as const).map(([name, gate]): [string, Gate] => [key(name), gate]));

/**
 * The fix for one missing requirement, by its name: for a name this SDK knows (compared ignoring case and
 * separators), what the merchant calls (with its merchant key) or does so the gate closes; for any other
 * name, the answer's own `checks[].fix`, else a generic line that still names it.
 */
export function requirementFix(name: string, merchant: string, readiness?: Readiness): string {
  const call = (fields: string) => `setupMerchant({ merchant: '${merchant}', ${fields} })`;
  switch (KNOWN_REQUIREMENTS.get(key(name))) {
    case 'terms':
      return `${name}: accept the Standard Hosted Checkout terms with ${call('standard_terms_accepted: true')}.`;
    case 'sandbox':
      return `${name}: pay one sandbox checkout of ${merchant} whose direct_payment.confirmed webhook your shop accepts, then call ${call('sandbox_confirmed: true')} (sandbox_session_id names that session).`;
    case 'attestation':
      return `${name}: accept the responsibility boundary (merchant of record; fulfilment, support, refunds, taxes, screening, legality) with ${call(`merchant_responsibility_attested: true, responsibility_attestation_version: '${STANDARD_RESPONSIBILITY_ATTESTATION_VERSION}'`)}.`;
    case 'live_mode':
      return `${name}: ask for live mode with ${call('live_mode_requested: true')}.`;
    case 'wallet':
      return `${name}: connect a settlement wallet to ${merchant} in Siglume.`;
    case 'mandate':
      return `${name}: prepare a billing mandate with prepareBillingMandate('${merchant}') (setupCheckout does this) and approve it in Siglume.`;
    case 'webhook':
      return `${name}: give ${call("webhook_callback_url: 'https://<your shop>/…'")} an https webhook URL and subscribe it to direct_payment.confirmed with createWebhookSubscription (setupCheckout does both).`;
    case 'registration':
      return `${name}: register the merchant with setupCheckout({ merchant: '${merchant}', … }); if it exists and is suspended, contact Siglume support.`;
    case undefined: {
      const own = readiness ? serverFix(readiness, name) : null;
      return own ? `${name}: ${own}` : `${name}: complete this requirement for ${merchant} in Siglume (it is not something this SDK can set).`;
    }
  }
}

/** The `fix` (or `message`) the answer's own `checks[]` gives for `name`, when it gives one. */
function serverFix(readiness: Readiness, name: string): string | null {
  for (const entry of readiness.checks as Array<Record<string, unknown>>) {
    if (entry.name !== name && entry.id !== name && entry.key !== name) continue;
    for (const field of ['fix', 'next_step', 'message']) {
      const v = entry[field];
      if (typeof v === 'string' && v.trim() !== '') return v.trim();
    }
  }
  return null;
}

/** The fix for one blocker, by its name. */
export function blockerFix(name: string, merchant: string): string {
  if (/suspend/.test(key(name))) return `${name}: the merchant account ${merchant} is suspended; only Siglume support can lift it.`;
  return `${name}: a blocker Siglume must clear (not a setting of yours); contact Siglume support naming it.`;
}

const listText = (items: string[]) => `[${items.join(', ')}]`;

async function readinessApi(input: ApiInput): Promise<Checked<Readiness>> {
  const { merchant } = input.config;
  const client = await input.client();
  try {
    const r = await client.getMerchantReadiness(merchant, input.request_options);
    const status = r.status !== '' ? r.status : 'unknown';
    return found(pass(`Readiness API answered: status=${status}`, { status, ready: r.ready }), r);
  } catch (error) {
    if (shapeMismatch(error)) {
      return failed(fail(`The readiness answer for ${merchant} lacks ready, status, checks, missing_requirements or blockers`, reportShapeFix(input.target)));
    }
    return failed(
      apiFailure(input.target, `Reading the Hosted Checkout readiness of ${merchant}`, error, {
        notFound:
          error instanceof SiglumeApiError && /MERCHANT/i.test(error.code)
            ? `Register ${merchant} with setupCheckout({ merchant: '${merchant}', … }) using this token, or set SIGLUME_DIRECT_PAYMENT_MERCHANT to the key you registered.`
            : `This API has no merchant readiness route (GET …/merchants/{merchant}/readiness): check that ${baseSetting(input.target)} (now ${input.target.base_url}) points at the current Siglume API; it should end in /v1.`,
      }),
    );
  }
}

function readinessReady(merchant: string, r: Readiness): Checked<true> {
  if (r.ready === true) return found(pass('ready=true'), true);
  const missing = requirementNames(r.missing_requirements);
  const blockers = requirementNames(r.blockers);
  const status = r.status !== '' ? r.status : 'unknown';
  const open = [...missing, ...blockers];
  const fix = open.length
    ? `Close the gates named below (${open.join(', ')}), then run the check again.`
    : `Siglume reports ${merchant} not ready without naming a requirement: open the merchant in Siglume or contact Siglume support.`;
  return failed(
    fail(`ready=${String(r.ready)}, status=${status}, missing=${listText(missing)}, blockers=${listText(blockers)}`, fix, {
      status,
      missing_requirements: missing,
      blockers,
    }),
  );
}

function missingRequirements(merchant: string, r: Readiness): Checked<true> {
  const missing = requirementNames(r.missing_requirements);
  if (missing.length === 0) return found(pass('No missing requirements'), true);
  return failed(
    fail(
      `Missing ${missing.length === 1 ? 'requirement' : 'requirements'}: ${missing.join(', ')}`,
      missing.map((name) => requirementFix(name, merchant, r)).join('\n'),
      { missing_requirements: missing },
    ),
  );
}

function blockers(merchant: string, r: Readiness): Checked<true> {
  const list = requirementNames(r.blockers);
  if (list.length === 0) return found(pass('No blockers'), true);
  return failed(
    fail(`${list.length === 1 ? 'Blocker' : 'Blockers'}: ${list.join(', ')}`, list.map((b) => blockerFix(b, merchant)).join('\n'), {
      blockers: list,
    }),
  );
}

function attested(merchant: string, r: Readiness): Checked<true> {
  const version = r.responsibility_attestation_version || 'unspecified';
  if (r.merchant_responsibility_attested === true) {
    return found(pass(`Responsibility boundary attested (version=${version})`, { responsibility_attestation_version: version }), true);
  }
  return failed(
    fail(
      `${merchant} has not attested the merchant responsibility boundary`,
      requirementFix('merchant_responsibility_attestation', merchant, r),
    ),
  );
}

function liveModeEnabled(merchant: string, r: Readiness, sandbox: boolean): Checked<true> {
  if (sandbox) return found(pass('sandbox mode (live mode is not needed against the sandbox)'), true);
  if (r.live_mode_enabled === true) return found(pass('Live mode is enabled'), true);
  if (r.live_mode_requested !== true) {
    return failed(fail(`Live mode is off and ${merchant} has not asked for it`, requirementFix('live_mode_requested', merchant, r)));
  }
  return failed(
    fail(
      'Live mode is requested but not enabled yet',
      'Siglume enables live mode once every other gate passes: close the gates named by the checks above, then run readiness again.',
    ),
  );
}

// Failures of the readiness call that every later call would repeat: no connection, a timeout, a rejected token.
const UNREACHABLE = /* @__PURE__ */ new Set(['CONNECTION_ERROR', 'TIMEOUT', '401', '403']);

/**
 * Runs the six readiness-API checks, in contract order: `passed` when all
 * passed, `gates_open` when one failed, `stop` when the API cannot be
 * reached or refused the token (every later call would fail the same way,
 * and waiting for each to time out helps nobody). When the API call fails,
 * the five checks on its answer are skipped.
 */
export async function readinessApiChecks(input: ApiInput, run: CheckRun): Promise<'passed' | 'gates_open' | 'stop'> {
  const { merchant, sandbox } = input.config;
  let unreachable = false;
  const answer = await run.check('hosted_checkout_readiness_api', async () => {
    const checked = await readinessApi(input);
    unreachable = !checked.ok && UNREACHABLE.has(String(checked.outcome.details?.error_code ?? checked.outcome.details?.status));
    return checked;
  });
  if (!answer.ok) {
    run.skip(DETAIL_CHECKS, 'hosted_checkout_readiness_api failed');
    return unreachable ? 'stop' : 'gates_open';
  }
  const r = answer.fact;
  const results = [
    await run.check('hosted_checkout_readiness_ready', () => readinessReady(merchant, r)),
    await run.check('hosted_checkout_missing_requirements', () => missingRequirements(merchant, r)),
    await run.check('hosted_checkout_blockers', () => blockers(merchant, r)),
    await run.check('merchant_responsibility_attested', () => attested(merchant, r)),
    await run.check('live_mode_enabled', () => liveModeEnabled(merchant, r, sandbox)),
  ];
  return results.every((c) => c.ok) ? 'passed' : 'gates_open';
}
