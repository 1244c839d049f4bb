/**
 * The buyer's recurring routes (CONTRACT-2 section 17) over HTTP: a subscription from a monthly recurring
 * challenge, a scheduled autopay authorization from a daily one, its execution by a scheduler holding the
 * schedule token (never the buyer token), max_runs, and revocation.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createDirectRequestPaymentRecurringChallenge } from '../../src/challenges/recurring.js';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import { classifyDirectPaymentConfirmation } from '../../src/webhooks/classify.js';
import { verifyDirectRequestPaymentWebhook } from '../../src/webhooks/event.js';
import { call, sandboxFor, startReceiver, type WebhookReceiver } from './helpers.js';

let receiver: WebhookReceiver;
let sandbox: SandboxHandle;
let seq = 0;

beforeAll(async () => {
  receiver = await startReceiver();
  sandbox = await sandboxFor(receiver);
});

afterEach(() => {
  receiver.received.length = 0;
});

afterAll(async () => {
  await sandbox.close();
  await receiver.close();
});

const recurring = async (cadence: 'monthly' | 'daily', amount_minor = 980, currency = 'JPY') => {
  const secret = sandbox.getMerchant('sandbox_shop')!.challenge_secret;
  const c = await createDirectRequestPaymentRecurringChallenge({ secret, merchant: 'sandbox_shop', amount_minor, currency, cadence, nonce: `r${++seq}` });
  return c.challenge;
};
const buyer = (method: string, path: string, body?: unknown) => call(sandbox, method, path, { token: sandbox.buyer_token, body });
const execute = (token: string | null, body: unknown) => call(sandbox, 'POST', '/market/api-store/scheduled-auto-pay/execute', { token, body });

async function authorize(fields: Record<string, unknown> = {}) {
  const challenge = await recurring('daily', 1200);
  const body = { mode: 'external_402', merchant: 'sandbox_shop', amount_minor: 1200, currency: 'JPY', token_symbol: 'JPYC', challenge, cadence: { unit: 'daily' }, ...fields };
  const answer = await buyer('POST', '/account/auto-pay/scheduled-authorizations', body);
  expect(answer.status).toBe(201);
  return answer.body.data;
}

describe('subscriptions', () => {
  it('creates one from a monthly recurring challenge (201, the section 17.1 fields)', async () => {
    const challenge = await recurring('monthly');
    const answer = await buyer('POST', '/sdrp/direct-payments/subscriptions', { merchant: 'sandbox_shop', amount_minor: 980, currency: 'jpy', challenge, cadence: 'monthly' });
    expect(answer.status).toBe(201);
    expect(answer.body.data).toMatchObject({
      subscription_status: 'created',
      merchant: 'sandbox_shop',
      mode: 'external_402',
      merchant_display_name: 'Sandbox Shop',
      amount_minor: 980,
      currency: 'JPY',
      token_symbol: 'JPYC',
      cadence: 'monthly',
      idempotent_replay: false,
      fee_bps: 180,
      mandate: { status: 'active', cadence: 'monthly' },
    });
    expect(JSON.stringify(answer.body)).not.toContain(challenge);
  });

  it("gives the plan's fee_bps only for a Standard amount: a Micro / Nano subscription names its band, whose flat fee each run pays", async () => {
    const micro = await buyer('POST', '/sdrp/direct-payments/subscriptions', { merchant: 'sandbox_shop', amount_minor: 300, currency: 'JPY', challenge: await recurring('monthly', 300) });
    expect(micro.status).toBe(201);
    expect(micro.body.data).toMatchObject({ amount_minor: 300, pricing_band: 'micro' });
    expect(micro.body.data).not.toHaveProperty('fee_bps');
    const standard = await buyer('POST', '/sdrp/direct-payments/subscriptions', { merchant: 'sandbox_shop', amount_minor: 980, currency: 'JPY', challenge: await recurring('monthly') });
    expect(standard.body.data).toMatchObject({ pricing_band: 'standard', fee_bps: 180 });
  });

  it('refuses the same challenge twice: each recurring challenge is single-use', async () => {
    const challenge = await recurring('monthly');
    const body = { merchant: 'sandbox_shop', amount_minor: 980, currency: 'JPY', challenge };
    expect((await buyer('POST', '/sdrp/direct-payments/subscriptions', body)).status).toBe(201);
    const again = await buyer('POST', '/sdrp/direct-payments/subscriptions', body);
    expect([again.status, again.body.error.code]).toEqual([409, 'CHALLENGE_ALREADY_USED']);
    // Verification ignores the hex's case (as 0.4.20 did), so an upper-cased signature is the same challenge.
    const variant = challenge.replace(/[^:]+$/, (signature) => signature.toUpperCase());
    expect(variant).not.toBe(challenge);
    const upper = await buyer('POST', '/sdrp/direct-payments/subscriptions', { ...body, challenge: variant });
    expect([upper.status, upper.body.error.code]).toEqual([409, 'CHALLENGE_ALREADY_USED']);
  });

  it.each([
    ['a challenge for another price', async () => ({ amount_minor: 981, challenge: await recurring('monthly') }), 422, 'INVALID_CHALLENGE'],
    ['a daily challenge', async () => ({ challenge: await recurring('daily', 980) }), 422, 'INVALID_CHALLENGE'],
    ['a string amount', async () => ({ amount_minor: '980', challenge: 'x' }), 422, 'VALIDATION_ERROR'],
    ['an unknown field', async () => ({ interval: 'month', challenge: 'x' }), 422, 'VALIDATION_ERROR'],
    ['an unknown merchant', async () => ({ merchant: 'nobody_here', challenge: 'x' }), 404, 'MERCHANT_NOT_FOUND'],
  ])('answers %s with a 4xx code', async (_name, fields, status, code) => {
    const body = { merchant: 'sandbox_shop', amount_minor: 980, currency: 'JPY', ...(await fields()) };
    const answer = await buyer('POST', '/sdrp/direct-payments/subscriptions', body);
    expect([answer.status, answer.body.error.code]).toEqual([status, code]);
  });

  it('refuses a daily challenge even when the body names cadence daily: a subscription is monthly (was 201)', async () => {
    const body = { merchant: 'sandbox_shop', amount_minor: 980, currency: 'JPY', challenge: await recurring('daily', 980), cadence: 'daily' };
    const answer = await buyer('POST', '/sdrp/direct-payments/subscriptions', body);
    expect([answer.status, answer.body.error.code, answer.body.error.field]).toEqual([422, 'INVALID_CHALLENGE', 'challenge']);
    expect(answer.body.error.message).toBe('Invalid challenge: a subscription is approved by a monthly recurring challenge, not a daily one.');
  });

  it('refuses the merchant token (403) and a missing token (401)', async () => {
    const body = { merchant: 'sandbox_shop', amount_minor: 980, currency: 'JPY', challenge: await recurring('monthly') };
    expect((await call(sandbox, 'POST', '/sdrp/direct-payments/subscriptions', { body })).status).toBe(403);
    expect((await call(sandbox, 'POST', '/sdrp/direct-payments/subscriptions', { body, token: null })).status).toBe(401);
  });
});

describe('scheduled autopay', () => {
  it('creates an authorization from a daily challenge and shows its schedule token once', async () => {
    const a = await authorize({ max_runs: 3, metadata: { plan: 'daily-report' } });
    expect(a).toMatchObject({
      status: 'active',
      buyer_user_id: expect.any(String),
      capability_key: 'external_402.sandbox_shop',
      expected_amount_minor: 1200,
      max_amount_minor: 1200,
      max_amount_minor_per_run: 1200,
      currency: 'JPY',
      token_symbol: 'JPYC',
      max_runs: 3,
      cadence: { unit: 'daily' },
      metadata_jsonb: { plan: 'daily-report' },
      requires_user_signature: false,
    });
    expect(a.id).toBe(a.authorization_id);
    expect(a.listing_id).toBe(sandbox.getMerchant('sandbox_shop')!.listing_id);
    expect(a.schedule_token).toMatch(/^sdrp_sched_/);
    expect(a.token_hint).toBe(a.schedule_token.slice(-4));
    const revoked = await buyer('DELETE', `/account/auto-pay/scheduled-authorizations/${a.authorization_id}`);
    expect(revoked.body.data.schedule_token).toBeUndefined();
  });

  it('executes with the schedule token: a payment record and a signed direct_payment.confirmed, once per slot', async () => {
    const a = await authorize();
    const run = await execute(a.schedule_token, { slot_id: 'slot-2026-06-20', scheduled_for: '2026-06-20T09:00:00Z', metadata: { report: 'r-1' } });
    expect(run.status).toBe(200);
    expect(run.body.data).toMatchObject({
      status: 'executed',
      charge_status: 'settled',
      authorization: { authorization_id: a.authorization_id, run_count: 1, status: 'active' },
      slot: { slot_id: 'slot-2026-06-20', scheduled_for: '2026-06-20T09:00:00Z', run_number: 1 },
      reason_code: null,
      retryable: false,
      direct_payment_execution: { status: 'confirmed', receipt_kind: 'sdrp_direct_payment' },
    });
    expect(JSON.stringify(run.body)).not.toContain(a.schedule_token);
    const requirementId = run.body.data.direct_payment_requirement_id;
    const stored = await buyer('GET', `/sdrp/direct-payments/requirements/${requirementId}`);
    expect(stored.body.data).toMatchObject({ status: 'paid', amount_minor: 1200, settlement_status: 'settled' });

    expect(receiver.received).toHaveLength(1);
    const { event } = await verifyDirectRequestPaymentWebhook('whsec_sandbox_secret', receiver.received[0]!.rawBody, receiver.received[0]!.headers['siglume-signature'] as string);
    expect(classifyDirectPaymentConfirmation(event).kind).toBe('standard_settled');
    expect(event.data).toMatchObject({ requirement_id: requirementId, amount_minor: 1200, metadata: { report: 'r-1', scheduled_authorization_id: a.authorization_id, slot_id: 'slot-2026-06-20' } });

    const again = await execute(a.schedule_token, { slot_id: 'slot-2026-06-20' });
    expect(again.body.data.direct_payment_requirement_id).toBe(requirementId);
    expect(receiver.received).toHaveLength(1);
  });

  it.each(['constructor', 'toString', '__proto__'])('charges a slot named %s once, like any other (was 404 for Requirement "undefined")', async (slot_id) => {
    const a = await authorize();
    const run = await execute(a.schedule_token, { slot_id });
    expect([run.status, run.body.data?.slot?.slot_id]).toEqual([200, slot_id]);
    const again = await execute(a.schedule_token, { slot_id });
    expect(again.body.data.direct_payment_requirement_id).toBe(run.body.data.direct_payment_requirement_id);
    expect(again.body.data.authorization.run_count).toBe(1);
  });

  it('enforces max_runs', async () => {
    const a = await authorize({ max_runs: 1 });
    expect((await execute(a.schedule_token, { slot_id: 'first' })).status).toBe(200);
    const second = await execute(a.schedule_token, { slot_id: 'second' });
    expect([second.status, second.body.error.code]).toEqual([409, 'SCHEDULED_AUTHORIZATION_EXHAUSTED']);
  });

  it('refuses the buyer token, a wrong token and no token on execute', async () => {
    await authorize();
    for (const token of [sandbox.buyer_token, sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN, 'sdrp_sched_not_a_real_token', null]) {
      const answer = await execute(token, { slot_id: 's' });
      expect([answer.status, answer.body.error.code]).toEqual([401, 'UNAUTHORIZED']);
    }
  });

  it('refuses to execute a revoked authorization; revoking is idempotent', async () => {
    const a = await authorize();
    const revoked = await buyer('DELETE', `/account/auto-pay/scheduled-authorizations/${a.authorization_id}`);
    expect(revoked.status).toBe(200);
    expect(revoked.body.data).toMatchObject({ status: 'revoked', revoked_at: expect.any(String) });
    expect((await buyer('DELETE', `/account/auto-pay/scheduled-authorizations/${a.authorization_id}`)).body.data.revoked_at).toBe(revoked.body.data.revoked_at);
    const run = await execute(a.schedule_token, { slot_id: 'after-revoke' });
    expect([run.status, run.body.error.code]).toEqual([409, 'SCHEDULED_AUTHORIZATION_REVOKED']);
    expect(receiver.received).toHaveLength(0);
  });

  it.each([
    ['a missing challenge', { challenge: undefined }, 'challenge'],
    ['a missing amount', { amount_minor: undefined }, 'amount_minor'],
    ['another mode', { mode: 'api_store' }, 'mode'],
    ['a token for the other currency', { token_symbol: 'USDC' }, 'token_symbol'],
    ['an unknown cadence', { cadence: { unit: 'hourly' } }, 'cadence'],
    ['an unknown field', { schedule: 'daily' }, 'schedule'],
    ['a max_amount_minor below the amount (each run charged 1200 anyway)', { max_amount_minor: 300 }, 'max_amount_minor'],
    ['a max_amount_minor_per_run below the amount', { max_amount_minor: 5000, max_amount_minor_per_run: 1199 }, 'max_amount_minor_per_run'],
    // Unreadable, it never expired (runs kept charging); past, it spent the challenge on a dead authorization.
    ['an expires_at that is no time', { expires_at: 'next tuesday' }, 'expires_at'],
    ['an expires_at without a zone', { expires_at: '2099-01-01T00:00:00' }, 'expires_at'],
    ['an expires_at that is no date', { expires_at: '2099-13-45T99:99:00Z' }, 'expires_at'],
    ['an expires_at in the past', { expires_at: '2020-01-01T00:00:00Z' }, 'expires_at'],
  ])('refuses an authorization with %s (422 naming the field)', async (_name, fields, field) => {
    const body = { merchant: 'sandbox_shop', amount_minor: 1200, currency: 'JPY', challenge: await recurring('daily', 1200), ...fields };
    const answer = await buyer('POST', '/account/auto-pay/scheduled-authorizations', body);
    expect([answer.status, answer.body.error.code, answer.body.error.field]).toEqual([422, 'VALIDATION_ERROR', field]);
  });

  it("refuses a subscription or an authorization over the merchant's max_amount_minor, as a one-off payment is (was 201)", async () => {
    await call(sandbox, 'POST', '/sdrp/direct-payments/merchants', { body: { merchant: 'capped_recurring', max_amount_minor: 1000 } });
    const secret = sandbox.getMerchant('capped_recurring')!.challenge_secret;
    const signed = async (cadence: 'monthly' | 'daily', amount_minor: number) =>
      (await createDirectRequestPaymentRecurringChallenge({ secret, merchant: 'capped_recurring', amount_minor, currency: 'JPY', cadence, nonce: `cap${++seq}` })).challenge;
    const terms = { merchant: 'capped_recurring', amount_minor: 1200, currency: 'JPY' };
    const sub = await buyer('POST', '/sdrp/direct-payments/subscriptions', { ...terms, challenge: await signed('monthly', 1200), cadence: 'monthly' });
    expect([sub.status, sub.body.error.code, sub.body.error.field]).toEqual([422, 'VALIDATION_ERROR', 'amount_minor']);
    const auth = await buyer('POST', '/account/auto-pay/scheduled-authorizations', { ...terms, mode: 'external_402', challenge: await signed('daily', 1200) });
    expect([auth.status, auth.body.error.code, auth.body.error.field]).toEqual([422, 'VALIDATION_ERROR', 'amount_minor']);
    const within = await buyer('POST', '/sdrp/direct-payments/subscriptions', { ...terms, amount_minor: 1000, challenge: await signed('monthly', 1000), cadence: 'monthly' });
    expect(within.status).toBe(201);
  });

  it('refuses a monthly challenge for a daily authorization, an unknown id to revoke, and an execute without slot_id', async () => {
    const monthly = await buyer('POST', '/account/auto-pay/scheduled-authorizations', { merchant: 'sandbox_shop', amount_minor: 1200, currency: 'JPY', challenge: await recurring('monthly', 1200) });
    expect([monthly.status, monthly.body.error.code]).toEqual([422, 'INVALID_CHALLENGE']);
    const unknown = await buyer('DELETE', '/account/auto-pay/scheduled-authorizations/sapa_missing');
    expect([unknown.status, unknown.body.error.code]).toEqual([404, 'SCHEDULED_AUTHORIZATION_NOT_FOUND']);
    const a = await authorize();
    const noSlot = await execute(a.schedule_token, { scheduled_for: 'tomorrow' });
    expect([noSlot.status, noSlot.body.error.field]).toEqual([422, 'slot_id']);
  });

  it('refuses a monthly challenge even when the body names cadence monthly: scheduled autopay is daily (was 201)', async () => {
    const body = { merchant: 'sandbox_shop', amount_minor: 1200, currency: 'JPY', challenge: await recurring('monthly', 1200), cadence: { unit: 'monthly' } };
    const answer = await buyer('POST', '/account/auto-pay/scheduled-authorizations', body);
    expect([answer.status, answer.body.error.code, answer.body.error.field]).toEqual([422, 'INVALID_CHALLENGE', 'challenge']);
    expect(answer.body.error.message).toBe('Invalid challenge: a scheduled autopay authorization is approved by a daily recurring challenge, not a monthly one.');
  });

  it('takes an expires_at in the future, the challenge still unspent after a refused one', async () => {
    const challenge = await recurring('daily', 1200);
    const body = { merchant: 'sandbox_shop', amount_minor: 1200, currency: 'JPY', challenge, expires_at: '2020-01-01T00:00:00Z' };
    expect((await buyer('POST', '/account/auto-pay/scheduled-authorizations', body)).status).toBe(422);
    const ok = await buyer('POST', '/account/auto-pay/scheduled-authorizations', { ...body, expires_at: '2099-01-01T00:00:00+09:00' });
    expect([ok.status, ok.body.data.expires_at]).toEqual([201, '2099-01-01T00:00:00+09:00']);
  });

  it('needs the buyer token to create and revoke', async () => {
    const answer = await call(sandbox, 'POST', '/account/auto-pay/scheduled-authorizations', { body: {} });
    expect([answer.status, answer.body.error.code]).toEqual([403, 'FORBIDDEN']);
    expect((await call(sandbox, 'DELETE', '/account/auto-pay/scheduled-authorizations/x', { token: null })).status).toBe(401);
  });
});
