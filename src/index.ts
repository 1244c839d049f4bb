/**
 * Public entry of `@siglume/direct-request-payment`. Re-exports only: by name,
 * except the `/webhooks` entry, which it re-exports whole.
 *
 * Left out on purpose:
 * - the zod schemas behind the clients (`src/clients/schemas/`): their shape is
 *   an implementation detail; the TypeScript types derived from them are public;
 * - the crypto seam (`src/core/crypto.ts`) and `src/internal/`: runtime
 *   plumbing that may change between patch releases;
 * - the transport class: configure it through client options instead;
 * - test-event factories: `@siglume/direct-request-payment/testing`;
 * - the local sandbox: `@siglume/direct-request-payment/sandbox`;
 * - order processing (the merchant rule, checkout service, order stores):
 *   `@siglume/direct-request-payment/orders` and `/orders/postgres`;
 * - the CLI: the `siglume-check` / `siglume-sdrp` binaries, and its Node-only
 *   helpers (template copier, webhook trigger, in-process sandbox receiver).
 */

// Version and wire constants
export { DIRECT_REQUEST_PAYMENT_SDK_VERSION, DIRECT_REQUEST_PAYMENT_SDK_ID } from './version.js';
export {
  DEFAULT_SIGLUME_API_BASE,
  DEFAULT_SIGLUME_SANDBOX_API_BASE,
  SIGLUME_ACCOUNT_REQUIRED,
  DIRECT_REQUEST_PAYMENT_API_VERSION,
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  DEFAULT_WEBHOOK_EVENT_TYPES,
  DEFAULT_TIMEOUT_MS,
  DEFAULT_MAX_RETRIES,
  DEFAULT_MAX_RESPONSE_BYTES,
  DEFAULT_MAX_WEBHOOK_BODY_BYTES,
  DIRECT_REQUEST_PAYMENT_MODE,
  DIRECT_REQUEST_PAYMENT_METERED_BATCH_MODE,
  DIRECT_REQUEST_PAYMENT_CHALLENGE_SCHEME,
  DIRECT_REQUEST_PAYMENT_RECURRING_CHALLENGE_SCHEME,
  DIRECT_REQUEST_PAYMENT_RECEIPT_KIND,
  DIRECT_REQUEST_PAYMENT_ALLOWANCE_RECEIPT_KIND,
  DIRECT_REQUEST_PAYMENT_REFERENCE_TYPE,
  DIRECT_REQUEST_PAYMENT_STANDARD_SETTLED_STATUS,
  DIRECT_REQUEST_PAYMENT_METERED_ACCEPTED_STATUS,
  DIRECT_REQUEST_PAYMENT_STANDARD_FINALITY,
  DIRECT_REQUEST_PAYMENT_METERED_FINALITY,
  DIRECT_REQUEST_PAYMENT_EVENT_TYPES,
  DIRECT_PAYMENT_CONFIRMED_EVENT,
  DIRECT_PAYMENT_SPENT_EVENT,
  WEBHOOK_SIGNATURE_HEADER,
  CURRENCY_TOKENS,
  BILLING_PLANS,
  RECURRING_CADENCES,
} from './core/constants.js';

// Errors
export {
  SiglumeDirectRequestPaymentError,
  SiglumeValidationError,
  SiglumeConnectionError,
  SiglumeTimeoutError,
  SiglumeApiError,
  SiglumeAuthenticationError,
  SiglumePermissionError,
  SiglumeNotFoundError,
  SiglumeConflictError,
  SiglumeHostedCheckoutReadinessRequiredError,
  SiglumeRateLimitError,
  SiglumeServerError,
  SiglumeInvalidResponseError,
  SiglumeResponseTooLargeError,
  SiglumeRedirectError,
  HostedCheckoutNotAvailableError,
  SiglumeWebhookSignatureError,
  SiglumeWebhookPayloadError,
} from './core/errors.js';
export type { SiglumeApiErrorInit, SiglumeApiErrorLegacyInit, SiglumeConnectionErrorOptions } from './core/errors.js';

// Input helpers and pricing
export { tokenForCurrency, isLoopbackHost } from './core/validation.js';
export type { DirectRequestPaymentCurrency, DirectRequestPaymentTokenSymbol } from './core/validation.js';
export {
  pricingBandFor,
  settlementCadenceFor,
  minimumStandardAmountMinor,
  feeBreakdownFor,
  PRICING_BAND_THRESHOLDS,
  SETTLEMENT_THRESHOLD_MINOR,
  STANDARD_FEE_BPS,
} from './core/pricing.js';
export type {
  DirectRequestPaymentPricingBand,
  DirectRequestPaymentSettlementCadence,
  DirectRequestPaymentBillingPlan,
  DirectRequestPaymentFeeBreakdown,
} from './core/pricing.js';
export type { FetchLike, FetchLikeInit, FetchLikeResponse } from './core/transport-types.js';

// Clients
export { DirectRequestPaymentMerchantClient } from './clients/merchant.js';
export type { DirectRequestPaymentMerchantClientOptions } from './clients/merchant.js';
export { setupCheckoutProgress } from './clients/setup-checkout.js';
export type {
  DirectRequestPaymentSetupCheckoutStep,
  DirectRequestPaymentSetupCheckoutCompleted,
  DirectRequestPaymentSetupCheckoutProgress,
} from './clients/setup-checkout.js';
export { DirectRequestPaymentClient } from './clients/buyer.js';
export type {
  DirectRequestPaymentClientOptions,
  DirectRequestPaymentRequestOptions,
} from './clients/schemas/client-options.js';
export {
  buildPaymentExecutionPayload,
  buildAllowanceExecutionPayload,
  buildPreparedTransactionExecutionPayload,
} from './clients/payloads.js';
export type {
  DirectRequestPaymentLegacyPreparedExecutionOptions,
  DirectRequestPaymentPreparedTransactionField,
  DirectRequestPaymentPreparedExecutionOptions,
  DirectRequestPaymentExecutableRequirement,
} from './clients/payloads.js';
export type {
  DirectRequestPaymentAllowedCurrencies,
  DirectRequestPaymentMerchantSetupInput,
  DirectRequestPaymentBillingMandateInput,
  DirectRequestPaymentMerchantAccount,
  DirectRequestPaymentMerchantResponse,
  DirectRequestPaymentChallengeSecretRotation,
  DirectRequestPaymentBillingMandateResponse,
} from './clients/schemas/merchant-account.js';
export type {
  DirectRequestPaymentHostedCheckoutReadiness,
  DirectRequestPaymentHostedCheckoutReadinessCheck,
} from './clients/schemas/merchant-readiness.js';
export type {
  DirectRequestPaymentCheckoutSetupInput,
  DirectRequestPaymentCheckoutSetupEnv,
  DirectRequestPaymentCheckoutSetupResult,
  DirectRequestPaymentMerchantSetupResponse,
} from './clients/schemas/checkout-setup.js';
export type {
  DirectRequestPaymentCheckoutSessionCreateInput,
  DirectRequestPaymentCheckoutSessionCreateResponse,
  DirectRequestPaymentCheckoutSessionStatus,
  DirectRequestPaymentCheckoutSession,
} from './clients/schemas/checkout-session.js';
export type {
  DirectRequestPaymentWebhookSubscriptionCreateInput,
  DirectRequestPaymentWebhookSubscription,
} from './clients/schemas/webhook-subscription.js';
export type {
  DirectRequestPaymentWebhookTestDeliveryInput,
  DirectRequestPaymentWebhookTestDelivery,
  DirectRequestPaymentWebhookDeliveryStatus,
  DirectRequestPaymentWebhookDeliveryQuery,
  DirectRequestPaymentWebhookDelivery,
} from './clients/schemas/webhook-delivery.js';
export type {
  DirectRequestPaymentRequirementCreateInput,
  DirectRequestPaymentRequirement,
  DirectRequestPaymentRequirementVerifyInput,
  DirectRequestPaymentRequirementVerification,
} from './clients/schemas/requirement.js';
export type {
  DirectRequestPaymentExecutionOptions,
  DirectRequestPaymentExecutionPayload,
  DirectRequestPaymentExecutionPayloadInput,
  DirectRequestPaymentTransactionExecution,
} from './clients/schemas/execution.js';
export type {
  DirectRequestPaymentSubscriptionCreateInput,
  DirectRequestPaymentSubscription,
  DirectRequestPaymentScheduledAuthorizationCreateInput,
  DirectRequestPaymentScheduledAuthorization,
  DirectRequestPaymentScheduledAutoPayExecuteInput,
  DirectRequestPaymentScheduledAutoPayExecution,
  DirectPaymentSubscriptionCreateInput,
  DirectPaymentSubscriptionResponse,
  ScheduledAutoPayAuthorizationCreateInput,
  ScheduledAutoPayAuthorizationResponse,
  ScheduledAutoPayExecuteInput,
  ScheduledAutoPayExecutionResponse,
} from './clients/schemas/recurring.js';
export type { DirectRequestPaymentRequestMethod } from './clients/schemas/raw-request.js';
export type {
  DirectRequestPaymentMeteredQuery,
  DirectRequestPaymentSettlementBatchQuery,
  DirectRequestPaymentMeteredOpenPeriod,
  DirectRequestPaymentPastDueBlock,
  DirectRequestPaymentBalanceSufficiency,
  DirectRequestPaymentProviderMeteredTotals,
  DirectRequestPaymentMeteredSummary,
  DirectRequestPaymentBuyerMeteredSummary,
  DirectRequestPaymentProviderMeteredSummary,
  DirectRequestPaymentUsageEvent,
  DirectRequestPaymentProviderUsageEvent,
  DirectRequestPaymentSettlementBatch,
  DirectRequestPaymentUsageEventList,
  DirectRequestPaymentProviderUsageEventList,
  DirectRequestPaymentSettlementBatchList,
} from './clients/schemas/metered.js';

// 0.4.20 type names (CONTRACT-2 section 21.4), as aliases of the names above
export type {
  DirectRequestPaymentToken,
  DirectRequestPaymentMeteredPlanType,
  DirectRequestPaymentSettlementTrigger,
  DirectRequestPaymentMinorAmount,
  DirectRequestPaymentRawWebhookBody,
  DirectRequestPaymentWebhookSignatureBody,
  DirectRequestPaymentBuyerMeteredQuery,
  DirectRequestPaymentMeteredListQuery,
  DirectRequestPaymentProviderMeteredQuery,
  DirectRequestPaymentProviderMeteredListQuery,
  DirectRequestPaymentListResponse,
  DirectRequestPaymentBuyerUsageEvent,
  DirectRequestPaymentChallengeInput,
  DirectRequestPaymentRecurringChallengeInput,
  Web3TransactionRequest,
  DirectPaymentRequirement,
  DirectPaymentRequirementCreateInput,
  DirectPaymentVerifyInput,
  Web3PreparedTransactionExecutePayload,
  Web3PreparedTransactionExecuteResult,
  HostedCheckoutSessionCreateInput,
  HostedCheckoutSessionCreateResult,
  HostedCheckoutSession,
  DirectRequestPaymentMerchantBillingMandateInput,
  DirectRequestPaymentWebhookSubscriptionInput,
  DirectRequestPaymentWebhookDeliveryListInput,
  SiglumeEnvelopeMeta,
  DirectPaymentConfirmationUnknownReason,
  DirectPaymentStandardSettledClassification,
  DirectPaymentMeteredUsageAcceptedClassification,
  DirectPaymentMeteredBatchSettledClassification,
  DirectPaymentUnknownClassification,
} from './clients/legacy-names.js';

// Challenges and request hashes
export {
  createDirectRequestPaymentChallenge,
  createDirectRequestPaymentChallengeSignature,
  parseDirectRequestPaymentChallenge,
  verifyDirectRequestPaymentChallenge,
  directRequestPaymentChallengeHash,
  createExternal402Challenge,
  verifyExternal402Challenge,
} from './challenges/challenge.js';
export type {
  DirectRequestPaymentChallengeCreateInput,
  DirectRequestPaymentChallengeSignatureInput,
  DirectRequestPaymentChallengeSignatureFields,
  DirectRequestPaymentChallengeVerifyInput,
  DirectRequestPaymentChallengeVerifyFields,
  DirectRequestPaymentChallenge,
  ParsedDirectRequestPaymentChallenge,
} from './challenges/challenge.js';
export {
  createDirectRequestPaymentRecurringChallenge,
  createDirectRequestPaymentRecurringChallengeSignature,
  verifyDirectRequestPaymentRecurringChallenge,
  createExternal402RecurringChallenge,
  verifyExternal402RecurringChallenge,
} from './challenges/recurring.js';
export type {
  DirectRequestPaymentRecurringCadence,
  DirectRequestPaymentRecurringChallengeCreateInput,
  DirectRequestPaymentRecurringChallengeSignatureInput,
  DirectRequestPaymentRecurringChallengeSignatureFields,
  DirectRequestPaymentRecurringChallengeVerifyInput,
  DirectRequestPaymentRecurringChallengeVerifyFields,
  DirectRequestPaymentRecurringChallenge,
} from './challenges/recurring.js';
export { directRequestPaymentRequestHash, directRequestPaymentRequestHashV2 } from './challenges/request-hash.js';
export type { DirectRequestPaymentRequestHashInput } from './challenges/request-hash.js';

// Webhooks: the whole `/webhooks` entry (verify, parse, classify, their constants
// and errors), so the two entries cannot drift apart.
export * from './webhooks/index.js';

// Readiness engine (the CLI's `siglume-check readiness` is a presenter over it)
export {
  runReadiness,
  runVerify,
  runPreflight,
  DEFAULT_DELIVERY_TIMEOUT_MS,
  readinessOptionsFromEnv,
  READINESS_ENV,
  READINESS_CHECKS,
  READINESS_CHECK_NAMES,
  PREFLIGHT_CHECKS,
  PREFLIGHT_CHECK_NAMES,
  READINESS_PROBE_SOURCE,
  READINESS_PROBE_MODE,
} from './readiness/index.js';
export type {
  ReadinessCheckFail,
  ReadinessCheckGroup,
  ReadinessCheckName,
  ReadinessCheckPass,
  ReadinessCheckResult,
  ReadinessCheckSkip,
  ReadinessCheckSpec,
  ReadinessCheckStatus,
  ReadinessCheckWarn,
  ReadinessCommand,
  ReadinessMerchantClient,
  ReadinessMode,
  ReadinessOptions,
  ReadinessProgressEvent,
  ReadinessReport,
  ReadinessSummary,
} from './readiness/index.js';
