/**
 * The buyer's recurring calls (CONTRACT-2 section 17): createSubscription,
 * createScheduledAutoPayAuthorization, revokeScheduledAutoPayAuthorization and
 * executeScheduledAutoPay, through a recording fetch and against the sandbox.
 */
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { inspect } from 'node:util';
import { DirectRequestPaymentClient } from '../../src/clients/buyer.js';
import { createDirectRequestPaymentRecurringChallenge } from '../../src/challenges/recurring.js';
import {
  SiglumeAuthenticationError,
  SiglumeConflictError,
  SiglumeInvalidResponseError,
  SiglumeValidationError,
} from '../../src/core/errors.js';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import { clientFetch, sandboxFor, startReceiver, TRANSPORTS, type WebhookReceiver } from '../sandbox/helpers.js';
import { envelope, recordingFetch, type RecordedCall, type Reply } from './support/recording-fetch.js';

const TOKEN = 'tok_buyer_secret_abcdef';
const SCHEDULE = 'sched_tok_0123456789abcdef';
const BASE = 'https://api.siglume.test/v1';
const RECURRING = 'siglume-external-402-recurring-v1:r1:91500f2f68ec065115a36d0b00e28fcc0d3e2bbbda081aa550f111c9b09bc9fb';

beforeEach(() => {
  vi.stubEnv('SIGLUME_AUTH_TOKEN', '');
  vi.stubEnv('SIGLUME_API_BASE', '');
  vi.stubEnv('SIGLUME_ENV', '');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

function clientWith(replies: Reply[] | ((call: RecordedCall, index: number) => Reply), max_retries = 0) {
  const rec = recordingFetch(replies);
  const client = new DirectRequestPaymentClient({ auth_token: TOKEN, base_url: BASE, fetch: rec.fetch, max_retries });
  return { client, calls: rec.calls };
}

const AUTHORIZATION = {
  authorization_id: 'sapa_1',
  id: 'sapa_1',
  buyer_user_id: 'usr_1',
  product_listing_id: 'pl_1',
  listing_id: 'pl_1',
  capability_key: 'external_402.shop_alpha',
  expected_amount_minor: 300,
  max_amount_minor: 300,
  currency: 'JPY',
  token_symbol: 'JPYC',
  status: 'active',
  cadence: { unit: 'daily' },
  max_runs: 30,
  future_field: 1,
};
const SUBSCRIPTION = { subscription_status: 'created', merchant: 'shop_alpha', mandate: { mandate_id: 'm_1' }, fee_bps: 180 };
const EXECUTION = { status: 'executed', charge_status: 'settled', authorization: AUTHORIZATION, slot: { slot_id: 's1' } };

describe('createSubscription', () => {
  it('POSTs the fields in contract order, normalized, and no mode', async () => {
    const { client, calls } = clientWith([{ status: 201, body: envelope(SUBSCRIPTION) }]);
    const answer = await client.createSubscription({
      external_safe_tx_hash: ' 0xhash ',
      user_signing: false,
      cadence: ' Monthly ',
      challenge: ` ${RECURRING}\n`,
      currency: 'jpy',
      amount_minor: 980,
      merchant: 'Shop_Alpha',
    });
    expect(calls[0]).toMatchObject({ method: 'POST', url: `${BASE}/sdrp/direct-payments/subscriptions` });
    expect(calls[0]!.rawBody).toBe(
      JSON.stringify({ merchant: 'shop_alpha', amount_minor: 980, currency: 'JPY', challenge: RECURRING, cadence: 'Monthly', user_signing: false, external_safe_tx_hash: '0xhash' }),
    );
    expect(calls[0]!.headers.Authorization).toBe(`Bearer ${TOKEN}`);
    expect(answer).toEqual(SUBSCRIPTION);
  });

  it.each([
    ['amount_minor', { amount_minor: 0 }, 'positive safe integer'],
    ['currency', { currency: 'EUR' }, 'must be "JPY" or "USD"'],
    ['challenge', { challenge: 'nope' }, 'challenge string'],
    ['merchant', { merchant: 'Bad Key' }, 'must be 1-96 characters'],
    ['cadence spelt camelCase', { Cadence: 'monthly' }, 'unknown field "Cadence" (did you mean "cadence"?)'],
  ])('refuses a bad %s before sending', async (field, patch, reason) => {
    const { client, calls } = clientWith([]);
    const input = { merchant: 'shop_alpha', amount_minor: 980, currency: 'JPY', challenge: RECURRING, ...patch };
    const error = await client.createSubscription(input as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SiglumeValidationError);
    expect((error as Error).message).toContain(reason);
    expect(calls).toHaveLength(0);
  });

  it('names a required answer field the server left out', async () => {
    const { client } = clientWith([{ body: envelope({ merchant: 'shop_alpha', mandate: {} }) }]);
    await expect(client.createSubscription({ merchant: 'shop_alpha', amount_minor: 980, currency: 'JPY', challenge: RECURRING })).rejects.toThrow(
      /subscription_status/,
    );
  });
});

describe('createScheduledAutoPayAuthorization', () => {
  it('sends {} for no input', async () => {
    const { client, calls } = clientWith([{ body: envelope(AUTHORIZATION) }]);
    await client.createScheduledAutoPayAuthorization();
    expect(calls[0]).toMatchObject({ method: 'POST', url: `${BASE}/account/auto-pay/scheduled-authorizations`, rawBody: '{}' });
  });

  it('sends the groups in contract order: strings, integers, currency, tokens, cadence, objects, flags', async () => {
    const { client, calls } = clientWith([{ body: envelope(AUTHORIZATION) }]);
    const answer = await client.createScheduledAutoPayAuthorization({
      user_signing: true,
      metadata: { plan: 'daily' },
      cadence: { unit: 'daily' },
      buyer_token: 'jpyc',
      token_symbol: 'jpyc',
      currency: 'jpy',
      max_runs: 30,
      amount_minor: 300,
      challenge: ` ${RECURRING} `,
      merchant: ' Shop_Alpha ',
      mode: 'external_402',
    });
    expect(Object.keys(calls[0]!.body as object)).toEqual([
      'mode',
      'merchant',
      'challenge',
      'amount_minor',
      'max_runs',
      'currency',
      'token_symbol',
      'buyer_token',
      'cadence',
      'metadata',
      'user_signing',
    ]);
    expect(calls[0]!.body).toMatchObject({ merchant: 'Shop_Alpha', challenge: RECURRING, currency: 'JPY', buyer_token: 'JPYC' });
    expect(answer.capability_key).toBe('external_402.shop_alpha');
    expect(answer).toMatchObject({ future_field: 1 });
  });

  it.each([
    ['cadence', { cadence: 7 }],
    ['max_runs', { max_runs: 1.5 }],
    ['metadata', { metadata: new Date() }],
    ['token_symbol', { token_symbol: 'ETH' }],
  ])('refuses a bad %s before sending', async (field, input) => {
    const { client, calls } = clientWith([]);
    await expect(client.createScheduledAutoPayAuthorization(input as never)).rejects.toMatchObject({ field });
    expect(calls).toHaveLength(0);
  });

  it('keeps the schedule_token out of an invalid-answer error', async () => {
    const { status: _s, ...broken } = AUTHORIZATION;
    const { client } = clientWith([{ body: envelope({ ...broken, schedule_token: SCHEDULE }) }]);
    const error = await client.createScheduledAutoPayAuthorization({}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SiglumeInvalidResponseError);
    expect(`${(error as Error).message} ${inspect(error, { depth: 10 })}`).not.toContain(SCHEDULE);
  });
});

describe('revokeScheduledAutoPayAuthorization', () => {
  it('DELETEs the encoded id with no body and no Content-Type', async () => {
    const { client, calls } = clientWith([{ body: envelope({ ...AUTHORIZATION, status: 'revoked' }) }]);
    const answer = await client.revokeScheduledAutoPayAuthorization(' sapa/1 ');
    expect(calls[0]).toMatchObject({ method: 'DELETE', url: `${BASE}/account/auto-pay/scheduled-authorizations/sapa%2F1`, rawBody: undefined });
    expect(calls[0]!.headers).not.toHaveProperty('Content-Type');
    expect(answer.status).toBe('revoked');
  });

  it.each(['', '   ', '..'])('refuses the id %j before sending', async (id) => {
    const { client, calls } = clientWith([]);
    await expect(client.revokeScheduledAutoPayAuthorization(id)).rejects.toMatchObject({ field: 'authorization_id' });
    expect(calls).toHaveLength(0);
  });
});

describe('executeScheduledAutoPay', () => {
  it('sends the schedule token as the bearer instead of the client token, and never in the body', async () => {
    const { client, calls } = clientWith([{ body: envelope(EXECUTION) }]);
    const answer = await client.executeScheduledAutoPay({
      metadata: { run: 1 },
      await_finality: true,
      scheduled_for: '2026-11-27T00:00:00Z',
      slot_id: ' s1 ',
      schedule_token: ` ${SCHEDULE}\n`,
    });
    const call = calls[0]!;
    expect(call).toMatchObject({ method: 'POST', url: `${BASE}/market/api-store/scheduled-auto-pay/execute` });
    expect(call.headers.Authorization).toBe(`Bearer ${SCHEDULE}`);
    expect(JSON.stringify(call.headers)).not.toContain(TOKEN);
    expect(call.rawBody).toBe(JSON.stringify({ slot_id: 's1', scheduled_for: '2026-11-27T00:00:00Z', await_finality: true, metadata: { run: 1 } }));
    expect(call.rawBody).not.toContain(SCHEDULE);
    expect(answer).toMatchObject({ status: 'executed', charge_status: 'settled', authorization: { authorization_id: 'sapa_1' } });
  });

  it('goes back to the client token on the next call', async () => {
    const { client, calls } = clientWith([{ body: envelope(EXECUTION) }, { body: envelope(AUTHORIZATION) }]);
    await client.executeScheduledAutoPay({ schedule_token: SCHEDULE, slot_id: 's1' });
    await client.revokeScheduledAutoPayAuthorization('sapa_1');
    expect(calls.map((c) => c.headers.Authorization)).toEqual([`Bearer ${SCHEDULE}`, `Bearer ${TOKEN}`]);
  });

  it('redacts the schedule token from an error that echoes it', async () => {
    const { client } = clientWith([
      {
        status: 401,
        body: { error: { code: 'UNAUTHORIZED', message: `token ${SCHEDULE} is not valid` }, request: { authorization: `Bearer ${SCHEDULE}`, note: SCHEDULE } },
      },
    ]);
    const error = await client.executeScheduledAutoPay({ schedule_token: SCHEDULE, slot_id: 's1' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SiglumeAuthenticationError);
    expect((error as Error).message).toBe('token [redacted] is not valid');
    const everything = `${JSON.stringify(error)} ${JSON.stringify((error as { data: unknown }).data)} ${inspect(error, { depth: 10 })} ${(error as Error).stack}`;
    expect(everything).not.toContain(SCHEDULE);
  });

  it.each([
    ['schedule_token', { slot_id: 's1' }, 'is required'],
    ['schedule_token', { schedule_token: '   ', slot_id: 's1' }, 'must not be empty'],
    ['schedule_token', { schedule_token: 'sched tok', slot_id: 's1' }, 'without spaces'],
    ['slot_id', { schedule_token: SCHEDULE }, 'is required'],
    ['await_timeout_seconds', { schedule_token: SCHEDULE, slot_id: 's1', await_timeout_seconds: 0 }, 'positive safe integer'],
  ])('refuses a bad %s before sending, without quoting the token', async (field, input, reason) => {
    const { client, calls } = clientWith([]);
    const error = await client.executeScheduledAutoPay(input as never).catch((e: unknown) => e);
    expect(error).toMatchObject({ field });
    expect((error as Error).message).toContain(reason);
    expect((error as Error).message).not.toContain('sched tok');
    expect(calls).toHaveLength(0);
  });
});

describe.each(TRANSPORTS)('recurring calls against the sandbox ($name)', ({ inProcess }) => {
  let receiver: WebhookReceiver;
  let sandbox: SandboxHandle;
  let buyer: DirectRequestPaymentClient;
  let seq = 0;

  beforeAll(async () => {
    receiver = await startReceiver();
    sandbox = await sandboxFor(receiver, { quiet: true }, inProcess);
    buyer = new DirectRequestPaymentClient({ auth_token: sandbox.buyer_token, base_url: sandbox.api_base, fetch: clientFetch(sandbox, inProcess), max_retries: 0 });
  });
  afterAll(async () => {
    await sandbox.close();
    await receiver.close();
  });

  const merchant = () => sandbox.env.SIGLUME_DIRECT_PAYMENT_MERCHANT;
  const recurring = async (cadence: 'monthly' | 'daily', amount_minor: number) => {
    const secret = sandbox.getMerchant(merchant())!.challenge_secret;
    return (await createDirectRequestPaymentRecurringChallenge({ secret, merchant: merchant(), amount_minor, currency: 'JPY', cadence, nonce: `c${++seq}` })).challenge;
  };

  it('creates a subscription, and refuses the same challenge twice', async () => {
    const challenge = await recurring('monthly', 980);
    const input = { merchant: merchant(), amount_minor: 980, currency: 'JPY', challenge, cadence: 'monthly' };
    const subscription = await buyer.createSubscription(input);
    expect(subscription).toMatchObject({ subscription_status: 'created', merchant: merchant(), cadence: 'monthly', mandate: { status: 'active' } });
    await expect(buyer.createSubscription(input)).rejects.toMatchObject({ status: 409, code: 'CHALLENGE_ALREADY_USED' });
  });

  it('authorizes, executes with the schedule token once per slot, refuses the buyer token there, and revokes', async () => {
    const challenge = await recurring('daily', 1200);
    const auth = await buyer.createScheduledAutoPayAuthorization({
      mode: 'external_402',
      merchant: merchant(),
      amount_minor: 1200,
      currency: 'JPY',
      token_symbol: 'JPYC',
      challenge,
      cadence: { unit: 'daily' },
      max_runs: 2,
    });
    expect(auth).toMatchObject({ status: 'active', capability_key: `external_402.${merchant()}`, expected_amount_minor: 1200 });
    const schedule_token = auth.schedule_token!;
    expect(schedule_token).toBeTruthy();

    const run = await buyer.executeScheduledAutoPay({ schedule_token, slot_id: 'day-1', scheduled_for: '2026-11-27T00:00:00Z' });
    expect(run).toMatchObject({ status: 'executed', authorization: { authorization_id: auth.authorization_id } });
    const again = await buyer.executeScheduledAutoPay({ schedule_token, slot_id: 'day-1' });
    expect(again.direct_payment_requirement_id).toBe(run.direct_payment_requirement_id);

    // The buyer's own token does not authorize a scheduled run.
    const refused = await buyer.request('POST', '/market/api-store/scheduled-auto-pay/execute', { slot_id: 'day-2' }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SiglumeAuthenticationError);

    const revoked = await buyer.revokeScheduledAutoPayAuthorization(auth.authorization_id);
    expect(revoked.status).toBe('revoked');
    const afterRevoke = await buyer.executeScheduledAutoPay({ schedule_token, slot_id: 'day-2' }).catch((e: unknown) => e);
    expect(afterRevoke).toBeInstanceOf(SiglumeConflictError);
    expect(afterRevoke).toMatchObject({ code: 'SCHEDULED_AUTHORIZATION_REVOKED' });
    expect(`${(afterRevoke as Error).message} ${JSON.stringify(afterRevoke)}`).not.toContain(schedule_token);
  });

  it('answers an unknown schedule token with a 401 that does not show it', async () => {
    const error = await buyer.executeScheduledAutoPay({ schedule_token: SCHEDULE, slot_id: 'x' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SiglumeAuthenticationError);
    expect(`${(error as Error).message} ${inspect(error, { depth: 10 })}`).not.toContain(SCHEDULE);
  });
});
