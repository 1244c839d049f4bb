/**
 * What a buyer approves with a merchant's recurring challenge (CONTRACT-2 section 17): a subscription
 * (cadence `monthly`) or a scheduled autopay authorization (`daily`), which a scheduler then executes
 * with the authorization's own `schedule_token`, never the buyer token.
 */
import { DIRECT_REQUEST_PAYMENT_MODE } from '../core/constants.js';
import { newId, randomHex, type PaymentTerms } from './records.js';

/** The sandbox's one buyer (the holder of the buyer token), as recurring records name it. */
export const SANDBOX_BUYER_USER_ID = 'usr_sandbox_buyer';

/** A subscription created from a recurring challenge, with its active mandate. */
export function newRecurringSubscription(terms: PaymentTerms, cadence: string, display_name: string, now: string) {
  const subscription_id = newId('sub');
  const { challenge_hash } = terms;
  return {
    subscription_id,
    subscription_status: 'created',
    mode: DIRECT_REQUEST_PAYMENT_MODE,
    merchant_display_name: display_name,
    ...terms,
    cadence,
    buyer_user_id: SANDBOX_BUYER_USER_ID,
    mandate: { mandate_id: newId('rmd'), subscription_id, status: 'active', cadence, challenge_hash },
    created_at: now,
  };
}

/** A subscription a buyer created. */
export type SandboxRecurringSubscription = ReturnType<typeof newRecurringSubscription>;

/** One execution of a scheduled authorization, kept per slot so a slot charges once. */
export interface AutoPayRun {
  requirement_id: string;
  receipt_id: string;
  run_number: number;
  scheduled_for: string | null;
}

/** What a scheduled authorization holds besides its terms. */
export interface AutoPayInput {
  listing_id: string;
  max_amount_minor: number;
  max_amount_minor_per_run: number;
  max_runs: number | null;
  cadence: unknown;
  metadata: Record<string, unknown>;
  expires_at: string | null;
  agent_id: string | null;
  operation_key: string | null;
}

/**
 * An active scheduled autopay authorization and the `schedule_token` its scheduler executes it with. The
 * challenge is kept (never shown) because each run's requirement hashes it.
 */
export function newAutoPayAuthorization(terms: PaymentTerms, challenge: string, input: AutoPayInput, now: string) {
  const id = newId('sapa');
  const schedule_token = randomHex('sdrp_sched_', 24);
  const { listing_id, metadata, ...rest } = input;
  return {
    authorization_id: id,
    id,
    buyer_user_id: SANDBOX_BUYER_USER_ID,
    product_listing_id: listing_id,
    listing_id,
    capability_key: `${DIRECT_REQUEST_PAYMENT_MODE}.${terms.merchant}`,
    ...terms,
    challenge,
    expected_amount_minor: terms.amount_minor,
    ...rest,
    status: 'active',
    access_grant_id: null,
    run_count: 0,
    schedule_token,
    token_hint: schedule_token.slice(-4),
    metadata_jsonb: metadata,
    requires_user_signature: false,
    mandate: { mandate_id: newId('rmd'), status: 'active', challenge_hash: terms.challenge_hash },
    revoked_at: null as string | null,
    created_at: now,
    updated_at: now,
    executions: {} as Record<string, AutoPayRun>,
  };
}

/** A scheduled autopay authorization; `schedule_token` is shown only in the answer that creates it. */
export type SandboxAutoPayAuthorization = ReturnType<typeof newAutoPayAuthorization>;
