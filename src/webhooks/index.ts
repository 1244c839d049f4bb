/**
 * `@siglume/direct-request-payment/webhooks`: only what a webhook route needs
 * (verify, parse, classify) and the errors it throws. Loading it pulls
 * no client, no schema and no zod, so a serverless function that only
 * receives webhooks pays for nothing else on a cold start. The same names are
 * exported by the package root, as the same objects (`instanceof` holds
 * across both entries).
 */
export {
  DEFAULT_WEBHOOK_TOLERANCE_SECONDS,
  DEFAULT_MAX_WEBHOOK_BODY_BYTES,
  WEBHOOK_SIGNATURE_HEADER,
  DIRECT_PAYMENT_CONFIRMED_EVENT,
  DIRECT_PAYMENT_SPENT_EVENT,
  DIRECT_REQUEST_PAYMENT_MODE,
  DIRECT_REQUEST_PAYMENT_METERED_BATCH_MODE,
  DIRECT_REQUEST_PAYMENT_STANDARD_SETTLED_STATUS,
  DIRECT_REQUEST_PAYMENT_METERED_ACCEPTED_STATUS,
  DIRECT_REQUEST_PAYMENT_STANDARD_FINALITY,
  DIRECT_REQUEST_PAYMENT_METERED_FINALITY,
} from '../core/constants.js';
export {
  SiglumeDirectRequestPaymentError,
  SiglumeValidationError,
  SiglumeWebhookSignatureError,
  SiglumeWebhookPayloadError,
} from '../core/errors.js';
export {
  parseWebhookSignatureHeader,
  computeWebhookSignature,
  buildWebhookSignatureHeader,
  verifyWebhookSignature,
} from './signature.js';
export type {
  WebhookRawBody,
  WebhookSignatureBody,
  WebhookVerifyOptions,
  WebhookSignatureVerification,
  WebhookSignatureErrorCode,
  WebhookSignatureHeaderParts,
} from './signature.js';
export { parseDirectRequestPaymentWebhookEvent, verifyDirectRequestPaymentWebhook } from './event.js';
export type { DirectRequestPaymentWebhookEvent, DirectRequestPaymentVerifiedWebhook } from './event.js';
export { verifyDirectRequestPaymentWebhookRequest } from './request.js';
export { webhookErrorStatus } from './status.js';
export type { WebhookRequestVerifyOptions } from './request.js';
export { classifyDirectPaymentConfirmation, DIRECT_PAYMENT_UNKNOWN_REASONS } from './classify.js';
export type {
  DirectPaymentConfirmationInput,
  DirectPaymentMeteredBand,
  DirectPaymentMeteredCadence,
  DirectPaymentUnknownReason,
  DirectPaymentStandardSettled,
  DirectPaymentMeteredUsageAccepted,
  DirectPaymentMeteredBatchSettled,
  DirectPaymentUnknownConfirmation,
  DirectPaymentConfirmationClassification,
  DirectPaymentConfirmationKind,
} from './classify.js';
