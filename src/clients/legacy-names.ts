/**
 * The type names of the 0.4.20 package (CONTRACT-2 section 21.4) that this
 * package names differently, as aliases of its own types, so code written
 * against 0.4.20 compiles unchanged. New code should use the names on the
 * right; they are what the documentation and the API reference use.
 */
import type { DirectRequestPaymentChallengeCreateInput } from '../challenges/challenge.js';
import type { DirectRequestPaymentRecurringChallengeCreateInput } from '../challenges/recurring.js';
import type { DirectRequestPaymentTokenSymbol } from '../core/validation.js';
import type {
  DirectPaymentMeteredBatchSettled,
  DirectPaymentMeteredUsageAccepted,
  DirectPaymentStandardSettled,
  DirectPaymentUnknownConfirmation,
  DirectPaymentUnknownReason,
} from '../webhooks/classify.js';
import type { DirectPaymentMeteredBand } from '../webhooks/classify.js';
import type { DirectRequestPaymentWebhookEvent } from '../webhooks/event.js';
import type { WebhookRawBody, WebhookSignatureBody } from '../webhooks/signature.js';
import type {
  DirectRequestPaymentCheckoutSession,
  DirectRequestPaymentCheckoutSessionCreateInput,
  DirectRequestPaymentCheckoutSessionCreateResponse,
} from './schemas/checkout-session.js';
import type { DirectRequestPaymentExecutionPayload, DirectRequestPaymentTransactionExecution } from './schemas/execution.js';
import type { DirectRequestPaymentBillingMandateInput } from './schemas/merchant-account.js';
import type { DirectRequestPaymentMeteredQuery, DirectRequestPaymentUsageEvent } from './schemas/metered.js';
import type {
  DirectRequestPaymentRequirement,
  DirectRequestPaymentRequirementCreateInput,
  DirectRequestPaymentRequirementVerifyInput,
} from './schemas/requirement.js';
import type { DirectRequestPaymentWebhookDeliveryQuery } from './schemas/webhook-delivery.js';
import type { DirectRequestPaymentWebhookSubscriptionCreateInput } from './schemas/webhook-subscription.js';

/** 0.4.20 name of {@link DirectRequestPaymentTokenSymbol}: `"JPYC" | "USDC"`. */
export type DirectRequestPaymentToken = DirectRequestPaymentTokenSymbol;
/** Metered plan type: `"micro" | "nano"` (the metered pricing bands). */
export type DirectRequestPaymentMeteredPlanType = DirectPaymentMeteredBand;
/** Why a metered period closed: at the amount threshold, or on its schedule. */
export type DirectRequestPaymentSettlementTrigger = 'amount_threshold' | 'scheduled_close';
/** A statement amount in minor units, as a decimal string (Nano fees can be below one unit, `"0.2"`). */
export type DirectRequestPaymentMinorAmount = string;
/** 0.4.20 name of {@link WebhookRawBody}. */
export type DirectRequestPaymentRawWebhookBody = WebhookRawBody;
/** 0.4.20 name of {@link WebhookSignatureBody}. */
export type DirectRequestPaymentWebhookSignatureBody = WebhookSignatureBody;

/** 0.4.20 name of {@link DirectRequestPaymentMeteredQuery} (buyer summary filters). */
export type DirectRequestPaymentBuyerMeteredQuery = DirectRequestPaymentMeteredQuery;
/** 0.4.20 name of {@link DirectRequestPaymentMeteredQuery} (buyer list filters). */
export type DirectRequestPaymentMeteredListQuery = DirectRequestPaymentMeteredQuery;
/** 0.4.20 name of {@link DirectRequestPaymentMeteredQuery} (provider summary filters). */
export type DirectRequestPaymentProviderMeteredQuery = DirectRequestPaymentMeteredQuery;
/** 0.4.20 name of {@link DirectRequestPaymentMeteredQuery} (provider list filters). */
export type DirectRequestPaymentProviderMeteredListQuery = DirectRequestPaymentMeteredQuery;
/** A page of a metered list: `{ items, next_cursor }`, `next_cursor` null on the last page. */
export interface DirectRequestPaymentListResponse<T> {
  items: T[];
  next_cursor: string | null;
}
/** 0.4.20 name of {@link DirectRequestPaymentUsageEvent} (a buyer's row). */
export type DirectRequestPaymentBuyerUsageEvent = DirectRequestPaymentUsageEvent;

/** 0.4.20 name of {@link DirectRequestPaymentChallengeCreateInput}. */
export type DirectRequestPaymentChallengeInput = DirectRequestPaymentChallengeCreateInput;
/** 0.4.20 name of {@link DirectRequestPaymentRecurringChallengeCreateInput}. */
export type DirectRequestPaymentRecurringChallengeInput = DirectRequestPaymentRecurringChallengeCreateInput;

/** A prepared on-chain transaction of a requirement (`transaction_request`, `approve_transaction_request`). */
export type Web3TransactionRequest = Record<string, unknown>;
/** 0.4.20 name of {@link DirectRequestPaymentRequirement}. */
export type DirectPaymentRequirement = DirectRequestPaymentRequirement;
/** 0.4.20 name of {@link DirectRequestPaymentRequirementCreateInput}. */
export type DirectPaymentRequirementCreateInput = DirectRequestPaymentRequirementCreateInput;
/** 0.4.20 name of {@link DirectRequestPaymentRequirementVerifyInput}. */
export type DirectPaymentVerifyInput = DirectRequestPaymentRequirementVerifyInput;
/** 0.4.20 name of {@link DirectRequestPaymentExecutionPayload}. */
export type Web3PreparedTransactionExecutePayload = DirectRequestPaymentExecutionPayload;
/** 0.4.20 name of {@link DirectRequestPaymentTransactionExecution}. */
export type Web3PreparedTransactionExecuteResult = DirectRequestPaymentTransactionExecution;

/** 0.4.20 name of {@link DirectRequestPaymentCheckoutSessionCreateInput}. */
export type HostedCheckoutSessionCreateInput = DirectRequestPaymentCheckoutSessionCreateInput;
/** 0.4.20 name of {@link DirectRequestPaymentCheckoutSessionCreateResponse}. */
export type HostedCheckoutSessionCreateResult = DirectRequestPaymentCheckoutSessionCreateResponse;
/** 0.4.20 name of {@link DirectRequestPaymentCheckoutSession}. */
export type HostedCheckoutSession = DirectRequestPaymentCheckoutSession;
/** 0.4.20 name of {@link DirectRequestPaymentBillingMandateInput}. */
export type DirectRequestPaymentMerchantBillingMandateInput = DirectRequestPaymentBillingMandateInput;
/** 0.4.20 name of {@link DirectRequestPaymentWebhookSubscriptionCreateInput}. */
export type DirectRequestPaymentWebhookSubscriptionInput = DirectRequestPaymentWebhookSubscriptionCreateInput;
/** 0.4.20 name of {@link DirectRequestPaymentWebhookDeliveryQuery}. */
export type DirectRequestPaymentWebhookDeliveryListInput = DirectRequestPaymentWebhookDeliveryQuery;

/** `meta` of an API envelope: quote `request_id` to Siglume support. */
export interface SiglumeEnvelopeMeta {
  request_id?: string | undefined;
  trace_id?: string | undefined;
  [key: string]: unknown;
}

/** 0.4.20 name of {@link DirectPaymentUnknownReason}. */
export type DirectPaymentConfirmationUnknownReason = DirectPaymentUnknownReason;
/** 0.4.20 name of {@link DirectPaymentStandardSettled}. */
export type DirectPaymentStandardSettledClassification<E = DirectRequestPaymentWebhookEvent> = DirectPaymentStandardSettled<E>;
/** 0.4.20 name of {@link DirectPaymentMeteredUsageAccepted}. */
export type DirectPaymentMeteredUsageAcceptedClassification<E = DirectRequestPaymentWebhookEvent> =
  DirectPaymentMeteredUsageAccepted<E>;
/** 0.4.20 name of {@link DirectPaymentMeteredBatchSettled}. */
export type DirectPaymentMeteredBatchSettledClassification<E = DirectRequestPaymentWebhookEvent> =
  DirectPaymentMeteredBatchSettled<E>;
/** 0.4.20 name of {@link DirectPaymentUnknownConfirmation}. */
export type DirectPaymentUnknownClassification<E = DirectRequestPaymentWebhookEvent> = DirectPaymentUnknownConfirmation<E>;
