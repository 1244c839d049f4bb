/**
 * Payment requirements: the record a payment settles against, with the fake
 * prepared transactions a buyer would sign.
 */
import {
  DIRECT_REQUEST_PAYMENT_ALLOWANCE_RECEIPT_KIND, DIRECT_REQUEST_PAYMENT_METERED_FINALITY, DIRECT_REQUEST_PAYMENT_MODE,
  DIRECT_REQUEST_PAYMENT_RECEIPT_KIND, DIRECT_REQUEST_PAYMENT_STANDARD_FINALITY,
} from '../core/constants.js';
import { feeBreakdownFor } from '../core/pricing.js';
import { directRequestPaymentRequestHash, directRequestPaymentRequestHashV2 } from '../challenges/request-hash.js';
import { fakeAddress, newId } from './ids.js';
import type { SandboxStore } from './store.js';
import type { SandboxRequirement, SandboxTransactionRequest } from './types.js';

/** Chain id of the simulated chain (the usual local development chain id; nothing is broadcast). */
export const SANDBOX_CHAIN_ID = 31337;

/** Finality of a band. */
export const finalityFor = (band: string): string =>
  band === 'standard' ? DIRECT_REQUEST_PAYMENT_STANDARD_FINALITY : DIRECT_REQUEST_PAYMENT_METERED_FINALITY;

/** Input of {@link createRequirement}. */
export type RequirementInput = Pick<
  SandboxRequirement,
  'merchant' | 'amount_minor' | 'currency' | 'token_symbol' | 'challenge_hash' | 'allowance_amount_minor' | 'metadata' | 'checkout_session_id'
> & { challenge: string };

const word = (value: string | bigint) => (typeof value === 'bigint' ? value.toString(16) : value.replace(/^0x/, '')).padStart(64, '0');

function txRequest(kind: 'transfer' | 'approve', i: RequirementInput, amount: number, requirementId: string): SandboxTransactionRequest {
  const counterparty = fakeAddress(kind === 'transfer' ? `merchant:${i.merchant}` : 'siglume:sdrp-spender');
  const selector = kind === 'transfer' ? '0xa9059cbb' : '0x095ea7b3';
  return {
    chain_id: SANDBOX_CHAIN_ID,
    network: 'siglume-sandbox',
    from: null,
    to: fakeAddress(`token:${i.token_symbol}`),
    data: `${selector}${word(counterparty)}${word(BigInt(amount))}`,
    value: '0',
    token_symbol: i.token_symbol,
    amount_minor: amount,
    metadata_jsonb: {
      requirement_id: requirementId,
      merchant: i.merchant,
      challenge_hash: i.challenge_hash,
      purpose: kind === 'transfer' ? DIRECT_REQUEST_PAYMENT_RECEIPT_KIND : DIRECT_REQUEST_PAYMENT_ALLOWANCE_RECEIPT_KIND,
    },
  };
}

/** Creates and stores an unpaid requirement (or returns the one its challenge already has). */
export async function createRequirement(store: SandboxStore, i: RequirementInput): Promise<{ requirement: SandboxRequirement; created: boolean }> {
  const fees = feeBreakdownFor(i.currency, i.amount_minor, store.get('merchants', i.merchant)?.billing_plan ?? 'launch');
  const id = newId('dpr');
  const hashInput = { merchant: i.merchant, amount_minor: i.amount_minor, currency: i.currency, challenge: i.challenge };
  const { merchant, amount_minor, currency, token_symbol, challenge_hash, allowance_amount_minor, checkout_session_id, metadata } = i;
  const r: SandboxRequirement = {
    requirement_id: id, direct_payment_requirement_id: id, mode: DIRECT_REQUEST_PAYMENT_MODE, status: 'requires_payment',
    merchant, amount_minor, currency, token_symbol, challenge_hash,
    request_hash: await directRequestPaymentRequestHash(hashInput), request_hash_v2: await directRequestPaymentRequestHashV2(hashInput),
    ...fees, finality: finalityFor(fees.pricing_band), settlement_status: null, chain_receipt_id: null, receipt_id: null,
    allowance_amount_minor, allowance_status: allowance_amount_minor === null ? null : 'required',
    transaction_request: txRequest('transfer', i, amount_minor, id),
    approve_transaction_request: allowance_amount_minor === null ? null : txRequest('approve', i, allowance_amount_minor, id),
    checkout_session_id, settlement_batch_id: null, usage_event_id: null, event_id: null, metadata, created_at: store.nowIso(), paid_at: null,
  };
  const stored = store.addRequirement(r);
  return { requirement: stored, created: stored === r };
}
