/**
 * Schemas for the buyer-side recurring calls (CONTRACT-2 section 17):
 * subscriptions, scheduled auto-pay authorizations and their execution.
 * The contract's type names (`DirectPaymentSubscription*`,
 * `ScheduledAutoPay*`) are exported as aliases of the names here.
 */
import * as z from 'zod/mini';
import {
  challengeMerchantKeySchema,
  currencySchema,
  jsonObjectSchema,
  positiveSafeIntegerSchema,
  tokenSymbolSchema,
} from '../../core/validation.js';
import { booleanInput, lazySchema, optionalBoolean, optionalString, requiredResponseString, responseObject, strictInput, textInput } from './common.js';
import { challengeStringSchema } from './requirement.js';

/** A trimmed, non-empty string field of these inputs. */
const text = () => z.optional(textInput(4096, { trim: true }));
const integer = () => z.optional(positiveSafeIntegerSchema);
const flag = () => z.optional(booleanInput());
const object = () => z.optional(jsonObjectSchema);
/** An object field of an answer whose shape is not published. */
const looseObject = () => z.nullish(z.record(z.string(), z.unknown()));
/** An amount or count the contract does not type: a number, or a decimal string. */
const looseAmount = () => z.nullish(z.union([z.number(), z.string()]));
const requiredInteger = () =>
  z.custom<number>((v) => typeof v === 'number' && Number.isSafeInteger(v), { error: 'must be an integer' });

/** Input of `createSubscription`; the body keys go out in this order. */
export const subscriptionCreateInputSchema = /* @__PURE__ */ lazySchema(() => strictInput({
  /** Merchant key (lower-cased). */
  merchant: challengeMerchantKeySchema,
  /** Price per period in minor units. */
  amount_minor: positiveSafeIntegerSchema,
  /** `JPY` or `USD`. */
  currency: currencySchema,
  /** The merchant's recurring challenge (`siglume-external-402-recurring-v1`, cadence `monthly`); single-use. */
  challenge: challengeStringSchema(),
  /** e.g. `monthly`; sent as given (trimmed). */
  cadence: text(),
  user_signing: flag(),
  user_signing_flow: flag(),
  external_signature: text(),
  external_safe_tx_hash: text(),
}));

/**
 * Input of `createSubscription`.
 *
 * @interface
 */
export type DirectRequestPaymentSubscriptionCreateInput = z.input<ReturnType<typeof subscriptionCreateInputSchema>>;

/** Answer of `createSubscription`. */
export const subscriptionSchema = /* @__PURE__ */ lazySchema(() => responseObject({
  /** e.g. `created`. */
  subscription_status: requiredResponseString(),
  merchant: requiredResponseString(),
  /** The recurring mandate the subscription charges against. */
  mandate: z.record(z.string(), z.unknown(), { error: 'must be an object' }),
  mode: optionalString(),
  merchant_display_name: optionalString(),
  receipt: z.optional(z.unknown()),
  initial_charge: z.optional(z.unknown()),
  /** True when this answers a repeat of an earlier call. */
  idempotent_replay: optionalBoolean(),
  amount_minor: looseAmount(),
  currency: optionalString(),
  token_symbol: optionalString(),
  cadence: optionalString(),
  fee_bps: looseAmount(),
}));

/**
 * Answer of `createSubscription`.
 *
 * @interface
 */
export type DirectRequestPaymentSubscription = z.output<ReturnType<typeof subscriptionSchema>>;

/**
 * Input of `createScheduledAutoPayAuthorization`. Every field is optional
 * (`{}` sends `{}`); for SDRP pass `mode: "external_402"`, `merchant`,
 * `amount_minor`, `currency`, `token_symbol`, a `daily` recurring
 * `challenge`, `cadence: { unit: "daily" }` and optionally `max_runs`. The
 * body keys go out in this order.
 */
export const scheduledAuthorizationCreateInputSchema = /* @__PURE__ */ lazySchema(() => strictInput({
  listing_id: text(),
  product_listing_id: text(),
  capability_key: text(),
  /** `external_402` for SDRP (not defaulted). */
  mode: text(),
  /** Merchant key, sent trimmed as given. */
  merchant: text(),
  /** The merchant's recurring challenge (cadence `daily`). */
  challenge: text(),
  agent_id: text(),
  operation_key: text(),
  allowed_operation_key: text(),
  expected_operation_key: text(),
  /**
   * When the authorization stops: runs of new slots after it are refused
   * (409 `SCHEDULED_AUTHORIZATION_EXPIRED` in the local sandbox). Give an ISO
   * 8601 time with its offset, e.g. `2026-12-31T00:00:00Z`. The contract
   * types it only as a non-empty string, so it is sent as given (trimmed);
   * the local sandbox refuses one that is not such a time, or is past (422
   * naming `expires_at`, before the challenge is spent).
   */
  expires_at: text(),
  valid_until: text(),
  authorization_id: text(),
  external_signature: text(),
  external_safe_tx_hash: text(),
  amount_minor: integer(),
  expected_amount_minor: integer(),
  /**
   * A cap on the amount, in minor units; the answer echoes it. The contract
   * does not say whether Siglume also counts it as a total over all runs.
   * The local sandbox does not: it defaults it to `amount_minor`, refuses a
   * value below that (422 naming this field), and otherwise lets every run
   * charge `amount_minor` however many runs there were. Bound the total with
   * `max_runs` (and `expires_at`).
   */
  max_amount_minor: integer(),
  /**
   * A cap on one run's amount, in minor units. Every run charges the signed
   * `amount_minor`, so a cap below it could only refuse: the local sandbox
   * answers that with 422 naming this field, and defaults it to
   * `max_amount_minor`.
   */
  max_amount_minor_per_run: integer(),
  /**
   * How many slots may be charged in all; a new slot after that is refused
   * (409 `SCHEDULED_AUTHORIZATION_EXHAUSTED` in the local sandbox, also when
   * slots arrive at once). Repeating a slot that ran does not count. Without
   * it the local sandbox sets no limit on the count: with the cadence not
   * limiting the rate, set it on every authorization.
   */
  max_runs: integer(),
  currency: z.optional(currencySchema),
  token_symbol: z.optional(tokenSymbolSchema),
  buyer_token: z.optional(tokenSymbolSchema),
  /**
   * e.g. `{ unit: "daily" }`, or a string: the cadence the recurring
   * challenge was signed with (`daily` for scheduled auto-pay; the local
   * sandbox defaults to it and refuses a challenge of the other cadence with
   * 422 `INVALID_CHALLENGE`). An approval tag, not a rate limit: runs
   * happen when the scheduler calls `executeScheduledAutoPay`, and nothing
   * in the contract spaces them a day apart.
   */
  cadence: z.optional(
    z.union([textInput(4096, { trim: true }), jsonObjectSchema], { error: 'must be a string or a plain JSON object' }),
  ),
  cadence_limit: object(),
  metadata: object(),
  user_signing: flag(),
  user_signing_flow: flag(),
}));

/**
 * Input of `createScheduledAutoPayAuthorization`.
 *
 * @interface
 */
export type DirectRequestPaymentScheduledAuthorizationCreateInput = z.input<
  ReturnType<typeof scheduledAuthorizationCreateInputSchema>
>;

/**
 * A scheduled auto-pay authorization. `schedule_token` is present only when
 * the server shows it to the scheduler (on creation): store it as a secret,
 * it authorizes charges.
 */
export const scheduledAuthorizationSchema = /* @__PURE__ */ lazySchema(() => responseObject({
  authorization_id: requiredResponseString(),
  id: requiredResponseString(),
  buyer_user_id: requiredResponseString(),
  product_listing_id: requiredResponseString(),
  listing_id: requiredResponseString(),
  /** e.g. `external_402.<merchant>`. */
  capability_key: requiredResponseString(),
  expected_amount_minor: requiredInteger(),
  max_amount_minor: requiredInteger(),
  currency: requiredResponseString(),
  token_symbol: requiredResponseString(),
  /** e.g. `active`, `revoked`. */
  status: requiredResponseString(),
  agent_id: optionalString(),
  access_grant_id: optionalString(),
  operation_key: optionalString(),
  max_runs: z.nullish(z.number()),
  token_hint: optionalString(),
  /** The bearer token of `executeScheduledAutoPay`; shown once. */
  schedule_token: optionalString(),
  cadence: looseObject(),
  metadata_jsonb: looseObject(),
  expires_at: optionalString(),
  revoked_at: optionalString(),
  created_at: optionalString(),
  updated_at: optionalString(),
  requires_user_signature: optionalBoolean(),
  mandate: z.optional(z.unknown()),
}));

/**
 * A scheduled auto-pay authorization.
 *
 * @interface
 */
export type DirectRequestPaymentScheduledAuthorization = z.output<ReturnType<typeof scheduledAuthorizationSchema>>;

/** Input of `executeScheduledAutoPay`. */
export const scheduledAutoPayExecuteInputSchema = /* @__PURE__ */ lazySchema(() => strictInput({
  /**
   * The authorization's `schedule_token`. Sent as `Authorization: Bearer …`
   * in place of the client's token for this call; never in the body, and
   * redacted from errors.
   */
  schedule_token: z.string({ error: 'must be a string' }).check(
    z.trim(),
    z.minLength(1, { error: 'must not be empty' }),
    z.regex(/^[\x21-\x7e]+$/, { error: 'must be printable ASCII without spaces' }),
  ),
  /** The schedule slot this run is for (the local sandbox charges a slot once and answers a repeat with the same run; the contract does not promise that of Siglume). */
  slot_id: textInput(4096, { trim: true }),
  input: object(),
  arguments: object(),
  scheduled_for: text(),
  draft_token: text(),
  await_finality: flag(),
  await_required_status: text(),
  await_timeout_seconds: integer(),
  await_poll_seconds: integer(),
  metadata: object(),
}));

/**
 * Input of `executeScheduledAutoPay`.
 *
 * @interface
 */
export type DirectRequestPaymentScheduledAutoPayExecuteInput = z.input<ReturnType<typeof scheduledAutoPayExecuteInputSchema>>;

/** Answer of `executeScheduledAutoPay`. */
export const scheduledAutoPayExecutionSchema = /* @__PURE__ */ lazySchema(() => responseObject({
  /** e.g. `executed`. */
  status: requiredResponseString(),
  /** e.g. `settled`. */
  charge_status: requiredResponseString(),
  authorization: scheduledAuthorizationSchema(),
  slot: looseObject(),
  reason_code: optionalString(),
  reason: optionalString(),
  retryable: optionalBoolean(),
  manual_reconciliation_required: optionalBoolean(),
  direct_payment_requirement_id: optionalString(),
  direct_payment_requirement: z.optional(z.unknown()),
  direct_payment_execution: z.optional(z.unknown()),
  capability_result: z.optional(z.unknown()),
}));

/**
 * Answer of `executeScheduledAutoPay`.
 *
 * @interface
 */
export type DirectRequestPaymentScheduledAutoPayExecution = z.output<ReturnType<typeof scheduledAutoPayExecutionSchema>>;

/** CONTRACT-2 name of {@link DirectRequestPaymentSubscriptionCreateInput}. */
export type DirectPaymentSubscriptionCreateInput = DirectRequestPaymentSubscriptionCreateInput;
/** CONTRACT-2 name of {@link DirectRequestPaymentSubscription}. */
export type DirectPaymentSubscriptionResponse = DirectRequestPaymentSubscription;
/** CONTRACT-2 name of {@link DirectRequestPaymentScheduledAuthorizationCreateInput}. */
export type ScheduledAutoPayAuthorizationCreateInput = DirectRequestPaymentScheduledAuthorizationCreateInput;
/** CONTRACT-2 name of {@link DirectRequestPaymentScheduledAuthorization}. */
export type ScheduledAutoPayAuthorizationResponse = DirectRequestPaymentScheduledAuthorization;
/** CONTRACT-2 name of {@link DirectRequestPaymentScheduledAutoPayExecuteInput}. */
export type ScheduledAutoPayExecuteInput = DirectRequestPaymentScheduledAutoPayExecuteInput;
/** CONTRACT-2 name of {@link DirectRequestPaymentScheduledAutoPayExecution}. */
export type ScheduledAutoPayExecutionResponse = DirectRequestPaymentScheduledAutoPayExecution;
