/**
 * Payment requirements: the record a payment settles against, with the fake
 * prepared transactions a buyer would sign.
 */
import {
  DIRECT_REQUEST_PAYMENT_ALLOWANCE_RECEIPT_KIND,
  DIRECT_REQUEST_PAYMENT_METERED_FINALITY,
  DIRECT_REQUEST_PAYMENT_MODE,
  DIRECT_REQUEST_PAYMENT_RECEIPT_KIND,
  DIRECT_REQUEST_PAYMENT_STANDARD_FINALITY,
} from '../core/constants.js';
import { feeBreakdownFor, pricingBandFor, settlementCadenceFor } from '../core/pricing.js';
import type { DirectRequestPaymentCurrency, DirectRequestPaymentTokenSymbol } from '../core/validation.js';
import { directRequestPaymentRequestHash, directRequestPaymentRequestHashV2 } from '../challenges/request-hash.js';
import { fakeAddress, newId } from './ids.js';
import type { SandboxRuntime } from './runtime.js';
import type { SandboxRequirement, SandboxTransactionRequest } from './types.js';

/** Chain id of the simulated chain (the usual local development chain id; nothing is broadcast). */
export const SANDBOX_CHAIN_ID = 31337;

/** Finality of a band. */
export function finalityFor(band: string): string {
  return band === 'standard' ? DIRECT_REQUEST_PAYMENT_STANDARD_FINALITY : DIRECT_REQUEST_PAYMENT_METERED_FINALITY;
}

/** Input of {@link createRequirement}. */
export interface RequirementInput {
  merchant: string;
  amount_minor: number;
  currency: DirectRequestPaymentCurrency;
  token_symbol: DirectRequestPaymentTokenSymbol;
  challenge: string;
  challenge_hash: string;
  allowance_amount_minor: number | null;
  metadata: Record<string, unknown>;
  checkout_session_id: string | null;
}

function hexWord(value: string | bigint): string {
  const hex = typeof value === 'bigint' ? value.toString(16) : value.replace(/^0x/, '');
  return hex.padStart(64, '0');
}

function txRequest(
  kind: 'transfer' | 'approve',
  i: RequirementInput,
  amount: number,
  requirementId: string,
): SandboxTransactionRequest {
  const token = fakeAddress(`token:${i.token_symbol}`);
  const counterparty = fakeAddress(kind === 'transfer' ? `merchant:${i.merchant}` : 'siglume:sdrp-spender');
  const selector = kind === 'transfer' ? '0xa9059cbb' : '0x095ea7b3';
  return {
    chain_id: SANDBOX_CHAIN_ID,
    network: 'siglume-sandbox',
    from: null,
    to: token,
    data: `${selector}${hexWord(counterparty)}${hexWord(BigInt(amount))}`,
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
export async function createRequirement(
  rt: SandboxRuntime,
  i: RequirementInput,
): Promise<{ requirement: SandboxRequirement; created: boolean }> {
  const band = pricingBandFor(i.currency, i.amount_minor);
  const fees = feeBreakdownFor(i.currency, i.amount_minor, rt.store.merchant(i.merchant)?.billing_plan ?? 'launch');
  const id = newId('dpr');
  const hashInput = { merchant: i.merchant, amount_minor: i.amount_minor, currency: i.currency, challenge: i.challenge };
  const r: SandboxRequirement = {
    requirement_id: id,
    direct_payment_requirement_id: id,
    mode: DIRECT_REQUEST_PAYMENT_MODE,
    merchant: i.merchant,
    amount_minor: i.amount_minor,
    currency: i.currency,
    token_symbol: i.token_symbol,
    challenge_hash: i.challenge_hash,
    request_hash: await directRequestPaymentRequestHash(hashInput),
    request_hash_v2: await directRequestPaymentRequestHashV2(hashInput),
    status: 'requires_payment',
    pricing_band: band,
    settlement_cadence: settlementCadenceFor(band),
    finality: finalityFor(band),
    settlement_status: null,
    chain_receipt_id: null,
    receipt_id: null,
    protocol_fee_minor: fees.protocol_fee_minor,
    buyer_debit_minor: fees.buyer_debit_minor,
    provider_gross_amount_minor: fees.provider_gross_amount_minor,
    provider_receivable_minor: fees.provider_receivable_minor,
    allowance_amount_minor: i.allowance_amount_minor,
    allowance_status: i.allowance_amount_minor === null ? null : 'required',
    transaction_request: txRequest('transfer', i, i.amount_minor, id),
    approve_transaction_request:
      i.allowance_amount_minor === null ? null : txRequest('approve', i, i.allowance_amount_minor, id),
    checkout_session_id: i.checkout_session_id,
    settlement_batch_id: null,
    usage_event_id: null,
    event_id: null,
    metadata: i.metadata,
    created_at: rt.store.nowIso(),
    paid_at: null,
  };
  const stored = rt.store.addRequirement(r);
  return { requirement: stored, created: stored === r };
}
