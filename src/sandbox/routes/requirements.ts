/**
 * Buyer routes: payment requirements, their verification, and the execution
 * of prepared transactions (simulated: settlement is immediate and nothing
 * is broadcast).
 */
import { z } from 'zod';
import { directRequestPaymentChallengeHash, verifyDirectRequestPaymentChallenge } from '../../challenges/challenge.js';
import {
  DIRECT_REQUEST_PAYMENT_ALLOWANCE_RECEIPT_KIND,
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
import { SandboxHttpError, invalidField, notFound } from '../errors.js';
import { fakeTxHash, newId } from '../ids.js';
import { settleRequirement } from '../payments.js';
import { createRequirement } from '../requirement.js';
import type { Route, RouteContext } from '../router.js';
import type { SandboxReceipt, SandboxRequirement } from '../types.js';
import { deliveryView, requirementView } from '../views.js';

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

const positiveSeconds = z.custom<number>((v) => typeof v === 'number' && Number.isFinite(v) && v > 0, {
  error: 'must be a positive number of seconds',
});

const verifySchema = z.object({
  receipt_id: z.nullish(nonEmptyStringSchema),
  chain_receipt_id: z.nullish(nonEmptyStringSchema),
  await_finality: z.boolean({ error: 'must be true or false' }).nullish(),
  await_required_status: z.nullish(nonEmptyStringSchema),
  await_timeout_seconds: positiveSeconds.nullish(),
  await_poll_seconds: positiveSeconds.nullish(),
});

const executeSchema = z.object({
  transaction_request: jsonObjectSchema,
  receipt_kind: z.enum([DIRECT_REQUEST_PAYMENT_RECEIPT_KIND, DIRECT_REQUEST_PAYMENT_ALLOWANCE_RECEIPT_KIND], {
    error: `must be "${DIRECT_REQUEST_PAYMENT_RECEIPT_KIND}" or "${DIRECT_REQUEST_PAYMENT_ALLOWANCE_RECEIPT_KIND}"`,
  }),
  reference_type: z.literal(DIRECT_REQUEST_PAYMENT_REFERENCE_TYPE, { error: `must be "${DIRECT_REQUEST_PAYMENT_REFERENCE_TYPE}"` }),
  reference_id: nonEmptyStringSchema,
  metadata: z.nullish(jsonObjectSchema),
  await_finality: z.boolean({ error: 'must be true or false' }).nullish(),
});

function requireRequirement(ctx: RouteContext, id: string): SandboxRequirement {
  const r = ctx.rt.store.requirement(id);
  if (!r) throw notFound('REQUIREMENT_NOT_FOUND', `Requirement "${id}" does not exist in this sandbox.`);
  return r;
}

async function createPaymentRequirement(ctx: RouteContext) {
  const { rt } = ctx;
  const input = parseInput(createSchema, ctx.body);
  const m = rt.store.requireMerchant(input.merchant);
  const expectedToken = tokenForCurrency(input.currency);
  if (input.token_symbol && input.token_symbol !== expectedToken) {
    throw invalidField('token_symbol', `must be "${expectedToken}" for ${input.currency}`);
  }
  if (!m.allowed_currencies[input.currency]) {
    throw invalidField('currency', `${input.currency} is not an allowed currency of merchant "${m.merchant}"`);
  }
  const valid = await verifyDirectRequestPaymentChallenge({
    secret: m.challenge_secret,
    merchant: m.merchant,
    amount_minor: input.amount_minor,
    currency: input.currency,
    challenge: input.challenge,
  });
  if (!valid) {
    throw new SandboxHttpError(
      422,
      'INVALID_CHALLENGE',
      `Invalid challenge: it was not issued by merchant "${m.merchant}" for ${input.amount_minor} ${input.currency} (or its secret was rotated since).`,
      { field: 'challenge' },
    );
  }
  const challengeHash = await directRequestPaymentChallengeHash(input.challenge);
  // A challenge is single-use: asking again returns the requirement it already has.
  const existing = rt.store.requirementForChallenge(challengeHash);
  if (existing) return { data: { ...requirementView(existing), created: false } };
  const { requirement: r, created } = await createRequirement(rt, {
    merchant: m.merchant,
    amount_minor: input.amount_minor,
    currency: input.currency,
    token_symbol: expectedToken,
    challenge: input.challenge,
    challenge_hash: challengeHash,
    allowance_amount_minor: input.allowance_amount_minor ?? null,
    metadata: input.metadata ?? {},
    checkout_session_id: null,
  });
  return { status: created ? 201 : 200, data: { ...requirementView(r), created } };
}

function getPaymentRequirement(ctx: RouteContext) {
  return { data: requirementView(requireRequirement(ctx, ctx.params.requirement_id ?? '')) };
}

function verifyPaymentRequirement(ctx: RouteContext) {
  const input = parseInput(verifySchema, ctx.body);
  const r = requireRequirement(ctx, ctx.params.requirement_id ?? '');
  let reason: string | null = null;
  if (r.status !== 'paid') reason = 'not_paid';
  else if (input.receipt_id && input.receipt_id !== r.receipt_id) reason = 'receipt_mismatch';
  else if (input.chain_receipt_id && input.chain_receipt_id !== r.chain_receipt_id) reason = 'chain_receipt_mismatch';
  else if (input.await_required_status && input.await_required_status !== r.settlement_status) reason = 'status_not_reached';
  return {
    data: {
      requirement_id: r.requirement_id,
      verified: reason === null,
      reason,
      status: r.status,
      settlement_status: r.settlement_status,
      finality: r.finality,
      pricing_band: r.pricing_band,
      receipt_id: r.receipt_id,
      chain_receipt_id: r.chain_receipt_id,
      challenge_hash: r.challenge_hash,
      request_hash_v2: r.request_hash_v2,
      requirement: requirementView(r),
    },
  };
}

async function executePrepared(ctx: RouteContext) {
  const { rt } = ctx;
  const input = parseInput(executeSchema, ctx.body);
  const r = rt.store.requirement(input.reference_id);
  if (!r) throw invalidField('reference_id', `requirement "${input.reference_id}" does not exist`);
  const metadata = input.metadata ?? {};
  if (input.receipt_kind === DIRECT_REQUEST_PAYMENT_ALLOWANCE_RECEIPT_KIND) {
    if (!r.approve_transaction_request) {
      throw new SandboxHttpError(409, 'NO_ALLOWANCE_REQUIRED', `Requirement "${r.requirement_id}" has no approve_transaction_request.`);
    }
    const receipt: SandboxReceipt = {
      receipt_id: newId('rcpt'),
      receipt_kind: input.receipt_kind,
      reference_type: input.reference_type,
      reference_id: r.requirement_id,
      status: 'confirmed',
      tx_hash: fakeTxHash(),
      chain_receipt_id: newId('chr'),
      finality: DIRECT_REQUEST_PAYMENT_STANDARD_FINALITY,
      metadata,
      created_at: rt.store.nowIso(),
    };
    rt.store.data.receipts[receipt.receipt_id] = receipt;
    r.allowance_status = 'approved';
    rt.store.changed();
    return { data: { ...receipt, requirement: requirementView(r) } };
  }
  const outcome = await settleRequirement(rt, r, { session_id: r.checkout_session_id, metadata });
  return {
    data: {
      ...outcome.receipt,
      event_id: outcome.event_id,
      deliveries: outcome.deliveries.map(deliveryView),
      requirement: requirementView(r),
    },
  };
}

/** Buyer routes: requirements and execution. */
export const requirementRoutes: Route[] = [
  { method: 'POST', pattern: '/sdrp/direct-payments/requirements', auth: 'buyer', handler: createPaymentRequirement },
  { method: 'GET', pattern: '/sdrp/direct-payments/requirements/:requirement_id', auth: 'buyer', handler: getPaymentRequirement },
  { method: 'POST', pattern: '/sdrp/direct-payments/requirements/:requirement_id/verify', auth: 'buyer', handler: verifyPaymentRequirement },
  { method: 'POST', pattern: '/market/web3/transactions/execute-prepared', auth: 'buyer', handler: executePrepared },
];
