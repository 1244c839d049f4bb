/**
 * Buyer routes: payment requirements, their verification, and the execution
 * of prepared transactions (simulated: settlement is immediate and nothing
 * is broadcast).
 */
import { z } from 'zod';
import { directRequestPaymentChallengeHash, verifyDirectRequestPaymentChallenge } from '../../challenges/challenge.js';
import {
  DIRECT_REQUEST_PAYMENT_ALLOWANCE_RECEIPT_KIND as ALLOWANCE,
  DIRECT_REQUEST_PAYMENT_MODE,
  DIRECT_REQUEST_PAYMENT_RECEIPT_KIND,
  DIRECT_REQUEST_PAYMENT_REFERENCE_TYPE,
  DIRECT_REQUEST_PAYMENT_STANDARD_FINALITY,
} from '../../core/constants.js';
import {
  challengeMerchantKeySchema,
  currencySchema,
  jsonObjectSchema,
  nonEmptyStringSchema,
  parseInput,
  positiveSafeIntegerSchema,
  tokenForCurrency,
  tokenSymbolSchema,
} from '../../core/validation.js';
import type { SandboxCore } from '../core.js';
import { SandboxHttpError, invalidField } from '../errors.js';
import type { Route, RouteInput } from '../http.js';
import { fakeTxHash, newId } from '../ids.js';
import { createRequirement } from '../payments.js';
import { copy, newReceipt } from '../records.js';
import type { SandboxRequirement } from '../types.js';

const createSchema = z.object({
  mode: z.literal(DIRECT_REQUEST_PAYMENT_MODE, { error: `must be "${DIRECT_REQUEST_PAYMENT_MODE}"` }).nullish(),
  merchant: challengeMerchantKeySchema,
  amount_minor: positiveSafeIntegerSchema,
  currency: currencySchema,
  challenge: nonEmptyStringSchema,
  token_symbol: z.nullish(tokenSymbolSchema),
  allowance_amount_minor: z.nullish(positiveSafeIntegerSchema),
  metadata: z.nullish(jsonObjectSchema),
});

const seconds = z.custom<number>((v) => typeof v === 'number' && Number.isFinite(v) && v > 0, {
  error: 'must be a positive number of seconds',
});
const flag = z.boolean({ error: 'must be true or false' });

const verifySchema = z.object({
  receipt_id: z.nullish(nonEmptyStringSchema),
  chain_receipt_id: z.nullish(nonEmptyStringSchema),
  await_finality: flag.nullish(),
  await_required_status: z.nullish(nonEmptyStringSchema),
  await_timeout_seconds: seconds.nullish(),
  await_poll_seconds: seconds.nullish(),
});

const executeSchema = z.object({
  transaction_request: jsonObjectSchema,
  receipt_kind: z.enum([DIRECT_REQUEST_PAYMENT_RECEIPT_KIND, ALLOWANCE], {
    error: `must be "${DIRECT_REQUEST_PAYMENT_RECEIPT_KIND}" or "${ALLOWANCE}"`,
  }),
  reference_type: z.literal(DIRECT_REQUEST_PAYMENT_REFERENCE_TYPE, {
    error: `must be "${DIRECT_REQUEST_PAYMENT_REFERENCE_TYPE}"`,
  }),
  reference_id: nonEmptyStringSchema,
  metadata: z.nullish(jsonObjectSchema),
  await_finality: flag.nullish(),
});

/** Buyer routes: requirements and execution. */
export function requirementRoutes({ store, payments }: SandboxCore): Route[] {
  const requirementOf = ({ params }: RouteInput): SandboxRequirement => {
    const id = params.requirement_id ?? '';
    const r = store.get('requirements', id);
    if (!r)
      throw new SandboxHttpError(404, 'REQUIREMENT_NOT_FOUND', `Requirement "${id}" does not exist in this sandbox.`);
    return r;
  };

  async function createPaymentRequirement({ body }: RouteInput) {
    const input = parseInput(createSchema, body);
    const m = store.requireMerchant(input.merchant);
    const token = tokenForCurrency(input.currency);
    if (input.token_symbol && input.token_symbol !== token)
      throw invalidField('token_symbol', `must be "${token}" for ${input.currency}`);
    if (!m.allowed_currencies[input.currency])
      throw invalidField('currency', `${input.currency} is not an allowed currency of merchant "${m.merchant}"`);
    const { amount_minor, currency, challenge } = input;
    if (
      !(await verifyDirectRequestPaymentChallenge({
        secret: m.challenge_secret,
        merchant: m.merchant,
        amount_minor,
        currency,
        challenge,
      }))
    ) {
      throw new SandboxHttpError(
        422,
        'INVALID_CHALLENGE',
        `Invalid challenge: it was not issued by merchant "${m.merchant}" for ${amount_minor} ${currency} (or its secret was rotated since).`,
        { field: 'challenge' },
      );
    }
    const challenge_hash = await directRequestPaymentChallengeHash(challenge);
    // A challenge is single-use: asking again returns the requirement it already has.
    const existing = store.requirementForChallenge(challenge_hash);
    if (existing) return { data: { ...copy(existing), created: false } };
    const { requirement, created } = await createRequirement(store, {
      merchant: m.merchant,
      amount_minor,
      currency,
      token_symbol: token,
      challenge,
      challenge_hash,
      allowance_amount_minor: input.allowance_amount_minor ?? null,
      metadata: input.metadata ?? {},
      checkout_session_id: null,
    });
    return { status: created ? 201 : 200, data: { ...copy(requirement), created } };
  }

  function verifyPaymentRequirement(input: RouteInput) {
    const q = parseInput(verifySchema, input.body);
    const r = requirementOf(input);
    let reason: string | null = null;
    if (r.status !== 'paid') reason = 'not_paid';
    else if (q.receipt_id && q.receipt_id !== r.receipt_id) reason = 'receipt_mismatch';
    else if (q.chain_receipt_id && q.chain_receipt_id !== r.chain_receipt_id) reason = 'chain_receipt_mismatch';
    else if (q.await_required_status && q.await_required_status !== r.settlement_status) reason = 'status_not_reached';
    const {
      requirement_id,
      status,
      settlement_status,
      finality,
      pricing_band,
      receipt_id,
      chain_receipt_id,
      challenge_hash,
      request_hash_v2,
    } = r;
    return {
      data: {
        requirement_id,
        verified: reason === null,
        reason,
        status,
        settlement_status,
        finality,
        pricing_band,
        receipt_id,
        chain_receipt_id,
        challenge_hash,
        request_hash_v2,
        requirement: copy(r),
      },
    };
  }

  async function executePrepared({ body }: RouteInput) {
    const input = parseInput(executeSchema, body);
    const r = store.get('requirements', input.reference_id);
    if (!r) throw invalidField('reference_id', `requirement "${input.reference_id}" does not exist`);
    const metadata = input.metadata ?? {};
    if (input.receipt_kind === ALLOWANCE) {
      if (!r.approve_transaction_request)
        throw new SandboxHttpError(
          409,
          'NO_ALLOWANCE_REQUIRED',
          `Requirement "${r.requirement_id}" has no approve_transaction_request.`,
        );
      const receipt = newReceipt(r.requirement_id, ALLOWANCE, store.nowIso(), {
        tx_hash: fakeTxHash(),
        chain_receipt_id: newId('chr'),
        finality: DIRECT_REQUEST_PAYMENT_STANDARD_FINALITY,
        metadata,
      });
      store.data.receipts[receipt.receipt_id] = receipt;
      r.allowance_status = 'approved';
      store.changed();
      return { data: { ...copy(receipt), requirement: copy(r) } };
    }
    const outcome = await payments.settle(r, { session_id: r.checkout_session_id, metadata });
    return {
      data: {
        ...copy(outcome.receipt),
        event_id: outcome.event_id,
        deliveries: outcome.deliveries,
        requirement: copy(r),
      },
    };
  }

  const base = '/sdrp/direct-payments/requirements';
  return [
    { method: 'POST', path: base, auth: 'buyer', handler: createPaymentRequirement },
    {
      method: 'GET',
      path: `${base}/:requirement_id`,
      auth: 'buyer',
      handler: (input) => ({ data: copy(requirementOf(input)) }),
    },
    { method: 'POST', path: `${base}/:requirement_id/verify`, auth: 'buyer', handler: verifyPaymentRequirement },
    { method: 'POST', path: '/market/web3/transactions/execute-prepared', auth: 'buyer', handler: executePrepared },
  ];
}
