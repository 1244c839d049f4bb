/**
 * Standard Hosted Checkout readiness of a merchant (CONTRACT-2 section 16):
 * the answer of `getMerchantReadiness`, also carried on the merchant answer
 * as `standard_hosted_checkout_readiness`.
 */
import * as z from 'zod/mini';
import { requirementNames } from '../../core/requirement-names.js';
import { lazySchema, optionalBoolean, optionalString, responseObject } from './common.js';

const stringList = (what: string) =>
  z.pipe(z.array(z.unknown(), { error: `must be an array of ${what}` }), z.transform((items: unknown[]) => requirementNames(items)));

/**
 * One readiness check. The API does not publish the shape of a check; the
 * fields below are the ones the local sandbox sends (`name`, `status` `pass`
 * / `fail`, and `fix` on a failing check). Every other field passes through.
 */
export const hostedCheckoutReadinessCheckSchema = /* @__PURE__ */ lazySchema(() => responseObject({
  /** Gate name, e.g. `terms_acceptance`. */
  name: optionalString(),
  /** e.g. `pass` / `fail`. */
  status: optionalString(),
  /** What to do about a failing check. */
  fix: optionalString(),
}));

/**
 * One readiness check.
 *
 * @interface
 */
export type DirectRequestPaymentHostedCheckoutReadinessCheck = z.output<ReturnType<typeof hostedCheckoutReadinessCheckSchema>>;

/**
 * Standard Hosted Checkout readiness. `ready`, `status`, `checks`,
 * `missing_requirements` and `blockers` are always there; unknown fields pass
 * through. Gates: merchant registration, settlement wallet, active billing
 * mandate, HTTPS webhook, terms acceptance, sandbox confirmation, merchant
 * responsibility attestation, live mode. Merchant underwriting / KYC is not
 * a gate.
 */
export const hostedCheckoutReadinessSchema = /* @__PURE__ */ lazySchema(() => responseObject({
  /** `standard_hosted_checkout`. */
  scope: optionalString(),
  /** True when every gate passes and nothing blocks the merchant. */
  ready: z.boolean({ error: 'must be true or false' }),
  /** e.g. `ready`. */
  status: z.string({ error: 'must be a string' }),
  /** The checks, one per gate. */
  checks: z.array(hostedCheckoutReadinessCheckSchema(), { error: 'must be an array of objects' }),
  /** Gates still open, by name. */
  missing_requirements: stringList('strings'),
  /** What blocks the merchant beyond its own gates (e.g. a suspended account). */
  blockers: stringList('strings'),
  live_mode_requested: optionalBoolean(),
  live_mode_enabled: optionalBoolean(),
  merchant_responsibility_attested: optionalBoolean(),
  responsibility_attestation_version: optionalString(),
  responsibility_attestation_source: optionalString(),
  /** Legacy, older accounts only; not a readiness gate. */
  business_verification_status: optionalString(),
  /** Documented as `false`: underwriting is not a gate. */
  business_verification_required: optionalBoolean(),
  /** Who does what (shape not published). */
  provider_role: z.nullish(z.record(z.string(), z.unknown())),
  /** The responsibility boundary the merchant attests to (shape not published). */
  responsibility_boundary: z.nullish(z.record(z.string(), z.unknown())),
  /** Platform blockers; `[]` unless one exists. */
  ga_blockers: z.nullish(stringList('strings')),
}));

/**
 * Standard Hosted Checkout readiness of a merchant.
 *
 * @interface
 */
export type DirectRequestPaymentHostedCheckoutReadiness = z.output<ReturnType<typeof hostedCheckoutReadinessSchema>>;

/**
 * The answer of `GET .../merchants/{merchant}/readiness`:
 * `{ merchant, standard_hosted_checkout_readiness }`, or (from servers that
 * send it bare) the readiness object itself.
 */
export const merchantReadinessResponseSchema = /* @__PURE__ */ lazySchema(() => z.pipe(
  z.transform((data: unknown) => {
    if (data !== null && typeof data === 'object' && !Array.isArray(data)) {
      const inner = (data as { standard_hosted_checkout_readiness?: unknown }).standard_hosted_checkout_readiness;
      if (inner !== null && inner !== undefined) return inner;
    }
    return data;
  }),
  hostedCheckoutReadinessSchema(),
));
