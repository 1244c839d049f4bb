/**
 * Buyer routes: payment requirements, their verification, and the execution of prepared transactions
 * (simulated: settlement is immediate and nothing is broadcast). Bodies are checked with the clients'
 * input schemas, plus the server's own rules (the challenge must verify, the kinds must be known).
 */
import { directRequestPaymentChallengeHash, verifyDirectRequestPaymentChallenge } from '../../challenges/challenge.js';
import { preparedTransactionExecutionPayloadSchema } from '../../clients/schemas/execution.js';
import {
  createPaymentRequirementInputSchema,
  verifyPaymentRequirementInputSchema,
} from '../../clients/schemas/requirement.js';
import {
  DIRECT_REQUEST_PAYMENT_ALLOWANCE_RECEIPT_KIND as ALLOWANCE,
  DIRECT_REQUEST_PAYMENT_MODE as MODE,
  DIRECT_REQUEST_PAYMENT_RECEIPT_KIND as PAYMENT,
  DIRECT_REQUEST_PAYMENT_REFERENCE_TYPE as REFERENCE,
} from '../../core/constants.js';
import { parseInput } from '../../core/validation.js';
import { canonicalChallenge } from '../../internal/challenge-input.js';
import type { SandboxCore } from '../core.js';
import { SandboxHttpError, conflict, invalidField } from '../errors.js';
import { route, type Route, type RouteInput } from '../http.js';
import { API_DELIVERY_WAIT_MS } from '../payments.js';
import { checkMaxAmount, merchantToken, newReceipt, publicView } from '../records.js';

// The fields of a requirement that its verification repeats at the top level, in this order.
const SUMMARY = [
  'requirement_id',
  'status',
  'settlement_status',
  'finality',
  'pricing_band',
  'receipt_id',
  'chain_receipt_id',
  'challenge_hash',
] as const;

export function buyerRoutes({ store, payments }: SandboxCore): Route[] {
  async function createPaymentRequirement({ body }: RouteInput) {
    // The client adds `mode`; the rest is its validated input.
    const { mode, ...fields } = body;
    if (mode !== undefined && mode !== null && mode !== MODE) throw invalidField('mode', `must be "${MODE}"`);
    const input = parseInput(createPaymentRequirementInputSchema(), fields);
    const { amount_minor, currency, challenge } = input;
    const m = store.require('merchants', input.merchant);
    const terms = { merchant: m.merchant, amount_minor, currency, token_symbol: merchantToken(m, currency) };
    checkMaxAmount(m, amount_minor);
    if (!(await verifyDirectRequestPaymentChallenge({ ...terms, secret: m.challenge_secret, challenge }))) {
      const message = `Invalid challenge: it was not issued by merchant "${m.merchant}" for ${amount_minor} ${currency} (or its secret was rotated since).`;
      throw new SandboxHttpError(422, 'INVALID_CHALLENGE', message, { field: 'challenge' });
    }
    // An upper-cased variant verifies too: the canonical form keeps the challenge single-use.
    const canonical = canonicalChallenge(challenge);
    const challenge_hash = await directRequestPaymentChallengeHash(canonical);
    const extra = { allowance_amount_minor: input.allowance_amount_minor ?? null, metadata: input.metadata ?? {} };
    const request = { ...terms, ...extra, challenge: canonical, challenge_hash, checkout_session_id: null };
    const { requirement, created } = await payments.createRequirement(request);
    return { status: created ? 201 : 200, data: { ...publicView(requirement), created } };
  }

  function verifyPaymentRequirement({ params, body }: RouteInput) {
    const q = parseInput(verifyPaymentRequirementInputSchema(), body);
    const r = store.require('requirements', params.requirement_id!);
    let reason: string | null = null;
    if (r.status !== 'paid') reason = 'not_paid';
    else if (q.receipt_id && q.receipt_id !== r.receipt_id) reason = 'receipt_mismatch';
    else if (q.chain_receipt_id && q.chain_receipt_id !== r.chain_receipt_id) reason = 'chain_receipt_mismatch';
    else if (q.await_required_status && q.await_required_status !== r.settlement_status) reason = 'status_not_reached';
    const summary = Object.fromEntries(SUMMARY.map((field) => [field, r[field]]));
    const data = { ...summary, verified: reason === null, reason, request_hash_v2: r.request_hash_v2 };
    return { data: { ...data, requirement: publicView(r) } };
  }

  async function executePrepared({ body }: RouteInput) {
    const input = parseInput(preparedTransactionExecutionPayloadSchema(), body);
    if (input.receipt_kind !== PAYMENT && input.receipt_kind !== ALLOWANCE) {
      throw invalidField('receipt_kind', `must be "${PAYMENT}" or "${ALLOWANCE}"`);
    }
    if (input.reference_type !== REFERENCE) throw invalidField('reference_type', `must be "${REFERENCE}"`);
    const r = store.get('requirements', input.reference_id);
    if (!r) throw invalidField('reference_id', `requirement "${input.reference_id}" does not exist`);
    if (input.receipt_kind === PAYMENT) {
      const session_id = r.checkout_session_id;
      const { receipt, event_id, deliveries } = await payments.settle(r, {
        session_id,
        metadata: input.metadata,
        wait: API_DELIVERY_WAIT_MS,
      });
      return { data: { ...receipt, event_id, deliveries, requirement: publicView(r) } };
    }
    if (!r.approve_transaction_request) {
      const message = `Requirement "${r.requirement_id}" has no approve_transaction_request.`;
      throw conflict('NO_ALLOWANCE_REQUIRED', message);
    }
    const receipt = newReceipt(r.requirement_id, ALLOWANCE, true, input.metadata, store.nowIso());
    store.put('receipts', receipt);
    r.allowance_status = 'approved';
    return { data: { ...receipt, requirement: publicView(r) } };
  }

  const base = '/sdrp/direct-payments/requirements';
  return [
    route('POST', base, 'buyer', createPaymentRequirement),
    route('GET', `${base}/:requirement_id`, 'buyer', ({ params }) => ({
      data: publicView(store.require('requirements', params.requirement_id!)),
    })),
    route('POST', `${base}/:requirement_id/verify`, 'buyer', verifyPaymentRequirement),
    route('POST', '/market/web3/transactions/execute-prepared', 'buyer', executePrepared),
  ];
}
