/**
 * The buyer / provider client: payment requirements, executing prepared
 * transactions, and metered statements (contract section 5). Each method
 * validates its input, builds the path and body or query, and hands the
 * request to the transport.
 */
import { DIRECT_REQUEST_PAYMENT_MODE } from '../core/constants.js';
import { path } from '../core/path.js';
import type { Transport } from '../core/transport.js';
import type { RequestSpec } from '../core/transport-types.js';
import { parseInput, pathIdSchema } from '../core/validation.js';
import { parseKnownInput } from './schemas/known-fields.js';
import { connectClient, send, sendRaw, verbatimJsonBody } from './connection.js';
import type { DirectRequestPaymentClientOptions, DirectRequestPaymentRequestOptions } from './schemas/client-options.js';
import {
  buildAllowanceExecutionPayload,
  buildPaymentExecutionPayload,
  type DirectRequestPaymentExecutableRequirement,
} from './payloads.js';
import {
  preparedTransactionExecutionPayloadSchema,
  transactionExecutionSchema,
  type DirectRequestPaymentExecutionOptions,
  type DirectRequestPaymentExecutionPayloadInput,
  type DirectRequestPaymentTransactionExecution,
} from './schemas/execution.js';
import {
  buyerMeteredSummarySchema,
  meteredQuerySchema,
  providerMeteredSummarySchema,
  settlementBatchPageSchema,
  settlementBatchQuerySchema,
  settlementBatchSchema,
  usageEventPageSchema,
  providerUsageEventPageSchema,
  type DirectRequestPaymentMeteredQuery,
  type DirectRequestPaymentBuyerMeteredSummary,
  type DirectRequestPaymentProviderMeteredSummary,
  type DirectRequestPaymentSettlementBatch,
  type DirectRequestPaymentSettlementBatchList,
  type DirectRequestPaymentSettlementBatchQuery,
  type DirectRequestPaymentUsageEventList,
  type DirectRequestPaymentProviderUsageEventList,
} from './schemas/metered.js';
import {
  createPaymentRequirementInputSchema,
  paymentRequirementSchema,
  requirementVerificationSchema,
  type DirectRequestPaymentRequirement,
  type DirectRequestPaymentRequirementCreateInput,
  type DirectRequestPaymentRequirementVerification,
  type DirectRequestPaymentRequirementVerifyInput,
} from './schemas/requirement.js';
import {
  scheduledAuthorizationCreateInputSchema,
  scheduledAuthorizationSchema,
  scheduledAutoPayExecuteInputSchema,
  scheduledAutoPayExecutionSchema,
  subscriptionCreateInputSchema,
  subscriptionSchema,
  type DirectRequestPaymentScheduledAuthorization,
  type DirectRequestPaymentScheduledAuthorizationCreateInput,
  type DirectRequestPaymentScheduledAutoPayExecuteInput,
  type DirectRequestPaymentScheduledAutoPayExecution,
  type DirectRequestPaymentSubscription,
  type DirectRequestPaymentSubscriptionCreateInput,
} from './schemas/recurring.js';

/** Query pairs of a metered call, in the contract's order; absent filters are dropped by the transport. */
function meteredQuery(query: unknown): RequestSpec<unknown>['query'] {
  const q = parseKnownInput(meteredQuerySchema(), query);
  return [
    ['plan_type', q.plan_type],
    ['token_symbol', q.token_symbol],
    ['status', q.status],
    ['listing_id', q.listing_id],
    ['capability_key', q.capability_key],
    ['limit', q.limit],
    ['cursor', q.cursor],
  ];
}

/**
 * Client for the paying side (an agent or buyer) and for providers reading
 * their metered statements. Authenticates with the `auth_token` option, else
 * `SIGLUME_AUTH_TOKEN` (never the merchant variable; `cli_` keys are refused).
 * The token is kept private: it is not a property, and never appears in
 * `JSON.stringify`, `util.inspect` or error messages.
 *
 * @example
 * const buyer = new DirectRequestPaymentClient();
 * const requirement = await buyer.createPaymentRequirement({ merchant: 'shop_alpha', amount_minor: 4200, currency: 'JPY', challenge });
 * if (requirement.approve_transaction_request) await buyer.executeAllowanceTransaction(requirement);
 * await buyer.executePaymentTransaction(requirement, { await_finality: true });
 */
export class DirectRequestPaymentClient {
  /** API base URL in use, without a trailing slash. */
  readonly base_url: string;
  /** Per-attempt timeout in milliseconds (the `timeout_ms` option, default 15000). */
  readonly timeout_ms: number;
  /** The User-Agent header sent (the `user_agent` option, or the SDK's own). */
  readonly user_agent: string;
  readonly #transport: Transport;

  constructor(options: DirectRequestPaymentClientOptions = {}) {
    const connection = connectClient(options, 'buyer');
    this.base_url = connection.base_url;
    this.timeout_ms = connection.timeout_ms;
    this.user_agent = connection.user_agent;
    this.#transport = connection.transport;
  }

  /** Creates a payment requirement for a merchant's challenge (`mode: "external_402"`). */
  async createPaymentRequirement(
    input: DirectRequestPaymentRequirementCreateInput,
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentRequirement> {
    const fields = parseKnownInput(createPaymentRequirementInputSchema(), input);
    return send(this.#transport, {
      method: 'POST',
      path: '/sdrp/direct-payments/requirements',
      body: { mode: DIRECT_REQUEST_PAYMENT_MODE, ...fields },
      schema: paymentRequirementSchema(),
      options,
    });
  }

  /** Reads a payment requirement. */
  async getPaymentRequirement(requirement_id: string, options?: DirectRequestPaymentRequestOptions): Promise<DirectRequestPaymentRequirement> {
    const id = parseInput(pathIdSchema, requirement_id, 'requirement_id');
    return send(this.#transport, {
      method: 'GET',
      path: path`/sdrp/direct-payments/requirements/${id}`,
      schema: paymentRequirementSchema(),
      options,
    });
  }

  /**
   * Verifies a requirement against a receipt, optionally waiting server-side
   * for finality (`await_finality`, `await_required_status`,
   * `await_timeout_seconds`, `await_poll_seconds`). When
   * `await_timeout_seconds` is given and `options.timeout_ms` is not, the
   * request waits that long plus the client's `timeout_ms`, so a normal
   * server-side wait never ends as a client timeout.
   *
   * `input` is sent as given, not checked or copied (CONTRACT-2 section
   * 21.2, as 0.4.20 did): keys the SDK does not know, `null` values and the
   * server's own flags reach the API, which judges them. Only an input JSON
   * cannot write (a cycle, a BigInt) is refused.
   */
  async verifyPaymentRequirement(
    requirement_id: string,
    input: DirectRequestPaymentRequirementVerifyInput = {},
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentRequirementVerification> {
    const id = parseInput(pathIdSchema, requirement_id, 'requirement_id');
    const body = verbatimJsonBody(input);
    const wait = (body as { await_timeout_seconds?: unknown } | null)?.await_timeout_seconds;
    return send(this.#transport, {
      method: 'POST',
      path: path`/sdrp/direct-payments/requirements/${id}/verify`,
      body,
      schema: requirementVerificationSchema(),
      options: this.#waitingOptions(typeof wait === 'number' && Number.isFinite(wait) ? wait : undefined, options),
    });
  }

  /** `options` with a timeout that outlasts a server-side wait of `await_timeout_seconds` (unless the caller set one). */
  #waitingOptions(
    await_timeout_seconds: number | undefined,
    options: DirectRequestPaymentRequestOptions | undefined,
  ): DirectRequestPaymentRequestOptions | undefined {
    const waitMs = typeof await_timeout_seconds === 'number' ? Math.ceil(await_timeout_seconds * 1000) : 0;
    return waitMs > 0 && options?.timeout_ms === undefined ? { ...options, timeout_ms: this.timeout_ms + waitMs } : options;
  }

  /**
   * Executes a prepared transaction; build the payload with
   * `buildPaymentExecutionPayload` or `buildAllowanceExecutionPayload`.
   *
   * Moving money on-chain is the one call where a repeat could pay twice, so
   * without your own `options.idempotency_key` it is retried only when the
   * server refused before acting (429, the API's own 503, no connection), never after a
   * timeout or a connection lost mid-request. Pass an `idempotency_key` (one
   * per payment attempt, stored before the call) and those are retried too,
   * with the same key. On a timeout without one, check the requirement
   * (`getPaymentRequirement`) before executing again.
   *
   * With `await_finality: true` the server waits for the chain before it
   * answers, but this payload has no `await_timeout_seconds`, so the SDK
   * does not know how long that wait is and keeps the client's `timeout_ms`
   * (default 15 s) for the attempt. If finality can take longer, pass a
   * longer `options.timeout_ms`; a timeout here is a `SiglumeTimeoutError`
   * with `may_have_acted: true`, and the payment may still settle.
   */
  async executePreparedTransaction(
    payload: DirectRequestPaymentExecutionPayloadInput,
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentTransactionExecution> {
    const body = parseKnownInput(preparedTransactionExecutionPayloadSchema(), payload);
    return send(this.#transport, {
      method: 'POST',
      path: '/market/web3/transactions/execute-prepared',
      body,
      schema: transactionExecutionSchema(),
      options,
      retry: options?.idempotency_key === undefined ? 'refusals_only' : 'idempotent',
    });
  }

  /** Executes the requirement's payment (`transaction_request`). */
  async executePaymentTransaction(
    requirement: DirectRequestPaymentExecutableRequirement,
    input: DirectRequestPaymentExecutionOptions = {},
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentTransactionExecution> {
    return this.executePreparedTransaction(buildPaymentExecutionPayload(requirement, input), options);
  }

  /**
   * Executes the requirement's allowance approval (`approve_transaction_request`).
   *
   * @throws SiglumeValidationError naming `requirement.approve_transaction_request` when the requirement has none
   */
  async executeAllowanceTransaction(
    requirement: DirectRequestPaymentExecutableRequirement,
    input: DirectRequestPaymentExecutionOptions = {},
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentTransactionExecution> {
    return this.executePreparedTransaction(buildAllowanceExecutionPayload(requirement, input), options);
  }

  /** The buyer's metered (Micro / Nano) totals. */
  async getBuyerMeteredSummary(
    query: DirectRequestPaymentMeteredQuery = {},
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentBuyerMeteredSummary> {
    return send(this.#transport, {
      method: 'GET',
      path: '/sdrp/metered/my-summary',
      query: meteredQuery(query),
      schema: buyerMeteredSummarySchema(),
      options,
    });
  }

  /** The buyer's usage events, one page (`{ items, next_cursor }`). */
  async listBuyerUsageEvents(
    query: DirectRequestPaymentMeteredQuery = {},
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentUsageEventList> {
    return send(this.#transport, {
      method: 'GET',
      path: '/sdrp/metered/my-usage-events',
      query: meteredQuery(query),
      schema: usageEventPageSchema(),
      options,
    });
  }

  /** The buyer's settlement batches, one page (`{ items, next_cursor }`). */
  async listBuyerSettlementBatches(
    query: DirectRequestPaymentMeteredQuery = {},
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentSettlementBatchList> {
    return send(this.#transport, {
      method: 'GET',
      path: '/sdrp/metered/my-settlement-batches',
      query: meteredQuery(query),
      schema: settlementBatchPageSchema(),
      options,
    });
  }

  /** The provider's metered (Micro / Nano) totals. */
  async getProviderMeteredSummary(
    query: DirectRequestPaymentMeteredQuery = {},
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentProviderMeteredSummary> {
    return send(this.#transport, {
      method: 'GET',
      path: '/sdrp/metered/provider/summary',
      query: meteredQuery(query),
      schema: providerMeteredSummarySchema(),
      options,
    });
  }

  /** The provider's usage events, one page (`{ items, next_cursor }`). */
  async listProviderUsageEvents(
    query: DirectRequestPaymentMeteredQuery = {},
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentProviderUsageEventList> {
    return send(this.#transport, {
      method: 'GET',
      path: '/sdrp/metered/provider/usage-events',
      query: meteredQuery(query),
      schema: providerUsageEventPageSchema(),
      options,
    });
  }

  /** The provider's settlement batches, one page (`{ items, next_cursor }`). */
  async listProviderSettlementBatches(
    query: DirectRequestPaymentMeteredQuery = {},
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentSettlementBatchList> {
    return send(this.#transport, {
      method: 'GET',
      path: '/sdrp/metered/provider/settlement-batches',
      query: meteredQuery(query),
      schema: settlementBatchPageSchema(),
      options,
    });
  }

  /** One of the provider's settlement batches. */
  async getProviderSettlementBatch(
    settlement_batch_id: string,
    query: DirectRequestPaymentSettlementBatchQuery = {},
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentSettlementBatch> {
    const id = parseInput(pathIdSchema, settlement_batch_id, 'settlement_batch_id');
    const q = parseKnownInput(settlementBatchQuerySchema(), query);
    return send(this.#transport, {
      method: 'GET',
      path: path`/sdrp/metered/provider/settlement-batches/${id}`,
      query: [
        ['listing_id', q.listing_id],
        ['capability_key', q.capability_key],
      ],
      schema: settlementBatchSchema(),
      options,
    });
  }

  /**
   * Subscribes the buyer to a merchant's recurring price with the merchant's
   * `monthly` recurring challenge (single-use, bound to the first buyer who
   * redeems it). POST `/sdrp/direct-payments/subscriptions`.
   *
   * The answer may carry an `initial_charge`: subscribing can charge the
   * buyer. A repeat after the server acted could charge again, or be refused
   * as a reuse of the single-use challenge while the first charge stands, so
   * it is retried as `executePreparedTransaction` is: without your own
   * `options.idempotency_key` only when the server refused before acting
   * (429, the API's own 503, no connection), never after a timeout, a
   * connection lost mid-request or a 500/502/504. On such an error
   * (`may_have_acted` is true), check with the merchant whether the
   * subscription exists before subscribing again (no buyer call reads it).
   */
  async createSubscription(
    input: DirectRequestPaymentSubscriptionCreateInput,
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentSubscription> {
    const body = parseKnownInput(subscriptionCreateInputSchema(), input);
    return send(this.#transport, {
      method: 'POST',
      path: '/sdrp/direct-payments/subscriptions',
      body,
      schema: subscriptionSchema(),
      options,
      retry: options?.idempotency_key === undefined ? 'refusals_only' : 'idempotent',
      // No buyer call reads subscriptions; sent again with the same challenge, a redeemed one is 409 CHALLENGE_ALREADY_USED.
      look_up:
        'Check with the merchant (or in your Siglume account) whether the subscription exists before sending it again: this client has no call that reads subscriptions, and the challenge is single-use, so sending it again after it went through is refused (409 CHALLENGE_ALREADY_USED) unless it carries the same options.idempotency_key',
    });
  }

  /**
   * Authorizes scheduled auto-pay runs (a `daily` recurring challenge for
   * SDRP). The answer's `schedule_token` is shown once: hand it to the
   * scheduler that calls `executeScheduledAutoPay`, and keep it secret.
   *
   * @example
   * const auth = await buyer.createScheduledAutoPayAuthorization({
   *   mode: 'external_402', merchant: 'shop_alpha', amount_minor: 300, currency: 'JPY',
   *   token_symbol: 'JPYC', challenge, cadence: { unit: 'daily' }, max_runs: 30,
   * });
   */
  async createScheduledAutoPayAuthorization(
    input: DirectRequestPaymentScheduledAuthorizationCreateInput = {},
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentScheduledAuthorization> {
    const body = parseKnownInput(scheduledAuthorizationCreateInputSchema(), input);
    return send(this.#transport, {
      method: 'POST',
      path: '/account/auto-pay/scheduled-authorizations',
      body,
      schema: scheduledAuthorizationSchema(),
      options,
      look_up:
        'Check in your Siglume account whether the authorization exists (its schedule_token is shown only in the answer that creates it; revoke one you cannot use) before sending it again: the challenge is single-use',
    });
  }

  /** Revokes a scheduled auto-pay authorization; later runs are refused. Returns it with `status: "revoked"`. */
  async revokeScheduledAutoPayAuthorization(
    authorization_id: string,
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentScheduledAuthorization> {
    const id = parseInput(pathIdSchema, typeof authorization_id === 'string' ? authorization_id.trim() : authorization_id, 'authorization_id');
    return send(this.#transport, {
      method: 'DELETE',
      path: path`/account/auto-pay/scheduled-authorizations/${id}`,
      schema: scheduledAuthorizationSchema(),
      options,
    });
  }

  /**
   * Runs one scheduled charge. Authenticated by the authorization's
   * `schedule_token`, sent as `Authorization: Bearer <schedule_token>` in
   * place of this client's token for this call only; it is never put in the
   * body and is redacted from errors.
   *
   * This charges the buyer, and the contract does not promise that the
   * server runs a `slot_id` only once, so it is retried as
   * `executePreparedTransaction` is: without your own
   * `options.idempotency_key` only when the server refused before acting
   * (429, the API's own 503, no connection), never after a timeout or a connection lost
   * mid-request. With `await_timeout_seconds` (and no `options.timeout_ms`)
   * the request waits that long plus `timeout_ms`, so the server's own wait
   * does not end as a client timeout.
   *
   * No call reads a run. After an error with `may_have_acted: true`, send
   * the same `slot_id` again with the same key and body, never a new
   * `slot_id` for that period: a key such as
   * `` `${authorization_id}:${slot_id}` ``, stored with the slot, makes that
   * repeat safe.
   */
  async executeScheduledAutoPay(
    input: DirectRequestPaymentScheduledAutoPayExecuteInput,
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<DirectRequestPaymentScheduledAutoPayExecution> {
    const { schedule_token, ...body } = parseKnownInput(scheduledAutoPayExecuteInputSchema(), input);
    return send(this.#transport, {
      method: 'POST',
      path: '/market/api-store/scheduled-auto-pay/execute',
      body,
      headers: { Authorization: `Bearer ${schedule_token}` },
      secrets: [schedule_token],
      schema: scheduledAutoPayExecutionSchema(),
      options: this.#waitingOptions(body.await_timeout_seconds, options),
      retry: options?.idempotency_key === undefined ? 'refusals_only' : 'idempotent',
      // No call reads a run, so the one safe action is the same slot with the same key; never a new slot_id.
      look_up:
        options?.idempotency_key === undefined
          ? 'Send the same slot_id again, never a new slot_id for this period (this client has no call that reads scheduled runs). This call had no options.idempotency_key, so nothing promises that the repeat is not charged again: pass one stored with each slot, e.g. `<authorization_id>:<slot_id>`'
          : 'Send the same slot_id again with the same options.idempotency_key and the same body, never a new slot_id for this period: this client has no call that reads scheduled runs, and the repeat gets the first run',
    });
  }

  /**
   * Calls any API route through this client's transport (retries,
   * idempotency keys, typed errors, token redaction): `path` is appended to
   * `base_url` as is (start it with `/`; encode segments; add `?query`
   * yourself). Returns the envelope's `data` (or the whole body when it has
   * none; `{}` for an empty one), unchecked. `extra_headers` replace headers
   * of the same name for this call, including `Authorization`; credential
   * headers are redacted from errors. A mutating call is repeated after a
   * timeout only when it has an idempotency key of yours
   * (`options.idempotency_key` or an `Idempotency-Key` header).
   *
   * @example
   * const summary = await buyer.request<{ role: string }>('GET', '/sdrp/metered/my-summary?plan_type=micro');
   */
  async request<T = unknown>(
    method: string,
    path: string,
    json_body?: unknown,
    extra_headers: Record<string, string> = {},
    options?: DirectRequestPaymentRequestOptions,
  ): Promise<T> {
    return sendRaw<T>(this.#transport, { method, path, json_body, extra_headers, options });
  }
}
