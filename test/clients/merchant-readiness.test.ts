import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { DirectRequestPaymentMerchantClient } from '../../src/clients/merchant.js';
import {
  HostedCheckoutNotAvailableError,
  SiglumeApiError,
  SiglumeConflictError,
  SiglumeHostedCheckoutReadinessRequiredError,
  SiglumeInvalidResponseError,
  SiglumeNotFoundError,
  SiglumeValidationError,
} from '../../src/core/errors.js';
import * as entry from '../../src/index.js';
import { createSandbox, startSandbox, type SandboxHandle } from '../../src/sandbox/index.js';
import { envelope, recordingFetch, type RecordedCall, type Reply } from './support/recording-fetch.js';

const TOKEN = 'tok_merchant_secret_1234567890';
const BASE = 'https://api.siglume.test/v1';

function clientWith(replies: Reply[] | ((call: RecordedCall, index: number) => Reply), max_retries = 0) {
  const rec = recordingFetch(replies);
  const client = new DirectRequestPaymentMerchantClient({ auth_token: TOKEN, base_url: BASE, fetch: rec.fetch, max_retries });
  return { client, calls: rec.calls };
}

const READINESS = {
  scope: 'standard_hosted_checkout',
  ready: false,
  status: 'action_required',
  checks: [
    { name: 'terms_acceptance', status: 'pass' },
    { name: 'merchant_responsibility_attestation', status: 'fail', fix: 'Attest.' },
  ],
  missing_requirements: ['merchant_responsibility_attestation'],
  blockers: [],
  live_mode_requested: true,
  live_mode_enabled: false,
  merchant_responsibility_attested: false,
  responsibility_attestation_version: null,
  business_verification_required: false,
  provider_role: { merchant: 'merchant_of_record' },
  ga_blockers: [],
  future_field: { kept: true },
};

const ONBOARDING = {
  standard_terms_accepted: true,
  terms_accepted: true,
  terms_version: '  terms_v2  ',
  sandbox_confirmed: false,
  sandbox_session_id: 'cs_evidence_1',
  merchant_responsibility_attested: true,
  responsibility_attestation_version: 'sdrp_standard_hosted_checkout_responsibility_v1',
  live_mode_requested: true,
};

beforeEach(() => {
  vi.stubEnv('SIGLUME_AUTH_TOKEN', '');
  vi.stubEnv('SIGLUME_MERCHANT_AUTH_TOKEN', '');
  vi.stubEnv('SIGLUME_API_BASE', '');
  vi.stubEnv('SIGLUME_ENV', '');
});
afterEach(() => {
  vi.unstubAllEnvs();
});

describe('setupMerchant onboarding fields', () => {
  it('sends the eight fields after checkout_allowed_origins, in contract order, with strings trimmed', async () => {
    const { client, calls } = clientWith([{ body: envelope({ merchant_account: { merchant: 'shop_alpha' } }) }]);
    await client.setupMerchant({ merchant: 'shop_alpha', checkout_allowed_origins: ['https://shop.example'], ...ONBOARDING });
    expect(Object.keys(calls[0]!.body as object)).toEqual([
      'merchant',
      'billing_plan',
      'billing_currency',
      'checkout_allowed_origins',
      'standard_terms_accepted',
      'terms_accepted',
      'terms_version',
      'sandbox_confirmed',
      'sandbox_session_id',
      'merchant_responsibility_attested',
      'responsibility_attestation_version',
      'live_mode_requested',
    ]);
    expect(calls[0]!.body).toMatchObject({ terms_version: 'terms_v2', sandbox_confirmed: false, live_mode_requested: true });
  });

  it('sends none of them when none is given', async () => {
    const { client, calls } = clientWith([{ body: envelope({ merchant_account: { merchant: 'shop_alpha' } }) }]);
    await client.setupMerchant({ merchant: 'shop_alpha' });
    expect(calls[0]!.body).toEqual({ merchant: 'shop_alpha', billing_plan: 'launch', billing_currency: 'JPY' });
  });

  it.each([
    ['terms_version', '   ', 'must not be empty'],
    ['sandbox_session_id', 42, 'must be a string'],
    ['live_mode_requested', 'true', 'must be true or false'],
    ['merchant_responsibility_attested', 1, 'must be true or false'],
  ])('refuses %s = %j before sending, naming the field', async (field, value, reason) => {
    const { client, calls } = clientWith([]);
    const error = await client.setupMerchant({ merchant: 'shop_alpha', [field]: value } as never).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SiglumeValidationError);
    expect((error as SiglumeValidationError).field).toBe(field);
    expect((error as Error).message).toContain(reason);
    expect(calls).toHaveLength(0);
  });

  it('types standard_hosted_checkout_readiness on the answer and keeps unknown fields', async () => {
    const { client } = clientWith([
      { body: envelope({ merchant_account: { merchant: 'shop_alpha' }, standard_hosted_checkout_readiness: READINESS }) },
    ]);
    const answer = await client.setupMerchant({ merchant: 'shop_alpha' });
    const readiness = answer.standard_hosted_checkout_readiness;
    expect(readiness?.ready).toBe(false);
    expect(readiness?.missing_requirements).toEqual(['merchant_responsibility_attestation']);
    expect(readiness?.checks[1]?.fix).toBe('Attest.');
    expect(readiness).toMatchObject({ future_field: { kept: true } });
  });

  it('keeps the shown-once challenge secret when the embedded readiness has another shape', async () => {
    const { client } = clientWith([
      {
        body: envelope({
          merchant_account: { merchant: 'shop_alpha' },
          challenge_secret: 'sdrp_chs_shown_once',
          challenge_secret_created: true,
          standard_hosted_checkout_readiness: { ready: 'yes', checks: 'none' },
        }),
      },
    ]);
    const answer = await client.setupMerchant({ merchant: 'shop_alpha' });
    expect(answer.challenge_secret).toBe('sdrp_chs_shown_once');
    expect(answer.standard_hosted_checkout_readiness).toBeUndefined();
    // getMerchantReadiness reads the same object strictly and names what is wrong.
    const strict = clientWith([{ body: envelope({ ready: 'yes', status: 'x', checks: [], missing_requirements: [], blockers: [] }) }]);
    await expect(strict.client.getMerchantReadiness('shop_alpha')).rejects.toBeInstanceOf(SiglumeInvalidResponseError);
  });

  it('reads requirement and blocker items given as objects by their name or code', async () => {
    const { client } = clientWith([
      {
        body: envelope({
          ...READINESS,
          missing_requirements: [{ name: 'terms_acceptance', detail: 'x' }, '  live_mode_requested ', ''],
          blockers: [{ code: 'account_suspended' }, { other: 1 }],
        }),
      },
    ]);
    const readiness = await client.getMerchantReadiness('shop_alpha');
    expect(readiness.missing_requirements).toEqual(['terms_acceptance', 'live_mode_requested']);
    expect(readiness.blockers).toEqual(['account_suspended', '{"other":1}']);
  });

  it('accepts a null readiness on the merchant answer', async () => {
    const { client } = clientWith([
      { body: envelope({ merchant_account: { merchant: 'shop_alpha' }, standard_hosted_checkout_readiness: null }) },
    ]);
    const answer = await client.getMerchant('shop_alpha');
    expect(answer.standard_hosted_checkout_readiness).toBeNull();
  });

  it('passes the fields through setupCheckout to the first request only', async () => {
    const { client, calls } = clientWith((call) =>
      call.url.endsWith('/billing-mandate')
        ? { body: envelope({ billing_mandate_id: 'bm_1', status: 'active' }) }
        : { body: envelope({ merchant_account: { merchant: 'shop_alpha', billing_currency: 'USD' } }) },
    );
    await client.setupCheckout({ merchant: 'shop_alpha', billing_currency: 'USD', ...ONBOARDING });
    expect(calls.map((c) => c.url.slice(BASE.length))).toEqual([
      '/sdrp/direct-payments/merchants',
      '/sdrp/direct-payments/merchants/shop_alpha/billing-mandate',
    ]);
    expect(calls[0]!.body).toMatchObject({ ...ONBOARDING, terms_version: 'terms_v2' });
    expect(calls[0]!.body).not.toHaveProperty('prepare_billing_mandate');
    expect(calls[1]!.body).toEqual({ billing_currency: 'USD' });
  });
});

describe('getMerchantReadiness', () => {
  it('GETs the readiness route for the lower-cased merchant with the merchant token and no body', async () => {
    const { client, calls } = clientWith([{ body: envelope({ merchant: 'shop_alpha', standard_hosted_checkout_readiness: READINESS }) }]);
    const readiness = await client.getMerchantReadiness('Shop_Alpha');
    expect(calls[0]).toMatchObject({ method: 'GET', url: `${BASE}/sdrp/direct-payments/merchants/shop_alpha/readiness`, body: undefined });
    expect(calls[0]!.headers.Authorization).toBe(`Bearer ${TOKEN}`);
    expect(calls[0]!.headers).not.toHaveProperty('Content-Type');
    expect(readiness).toEqual(READINESS);
  });

  it('returns a readiness object the server sends bare', async () => {
    const { client } = clientWith([{ body: envelope(READINESS) }]);
    expect(await client.getMerchantReadiness('shop_alpha')).toEqual(READINESS);
  });

  it('refuses an invalid merchant key before sending', async () => {
    const { client, calls } = clientWith([]);
    await expect(client.getMerchantReadiness('no spaces allowed')).rejects.toMatchObject({ field: 'merchant' });
    expect(calls).toHaveLength(0);
  });

  it('reports a 404 as a plain not-found error, not as Hosted Checkout being unavailable', async () => {
    const { client } = clientWith([{ status: 404, body: { error: { code: 'NOT_FOUND', message: 'no such merchant' } } }]);
    const error = await client.getMerchantReadiness('shop_alpha').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SiglumeNotFoundError);
    expect(error).not.toBeInstanceOf(HostedCheckoutNotAvailableError);
    expect(error).toMatchObject({ status: 404, code: 'NOT_FOUND' });
  });

  it('names the field when the answer lacks one the type promises', async () => {
    const { ready: _ready, ...withoutReady } = READINESS;
    const { client } = clientWith([{ body: envelope({ merchant: 'shop_alpha', standard_hosted_checkout_readiness: withoutReady }) }]);
    const error = await client.getMerchantReadiness('shop_alpha').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SiglumeInvalidResponseError);
    expect((error as Error).message).toContain('ready must be true or false');
  });
});

describe('409 HOSTED_CHECKOUT_READINESS_REQUIRED', () => {
  const CHECKOUT = {
    merchant: 'shop_alpha',
    amount_minor: 4200,
    currency: 'JPY' as const,
    nonce: 'order-1',
    success_url: 'https://shop.example/ok',
    cancel_url: 'https://shop.example/cancel',
  };
  const failing = [{ name: 'merchant_responsibility_attestation', status: 'fail', fix: 'Attest.' }];

  it('is a typed conflict error carrying missing_requirements, blockers and checks, and is not retried', async () => {
    const { client, calls } = clientWith(
      [
        {
          status: 409,
          body: {
            error: {
              code: 'HOSTED_CHECKOUT_READINESS_REQUIRED',
              message: 'not ready',
              missing_requirements: ['merchant_responsibility_attestation'],
              blockers: ['platform_live_mode_paused'],
              checks: failing,
            },
            meta: { request_id: 'req_9' },
          },
        },
      ],
      2,
    );
    const error = await client.createCheckoutSession(CHECKOUT).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(SiglumeHostedCheckoutReadinessRequiredError);
    expect(error).toBeInstanceOf(SiglumeConflictError);
    expect(error).toBeInstanceOf(SiglumeApiError);
    expect(error).not.toBeInstanceOf(HostedCheckoutNotAvailableError);
    expect(error).toMatchObject({
      status: 409,
      code: 'HOSTED_CHECKOUT_READINESS_REQUIRED',
      name: 'SiglumeHostedCheckoutReadinessRequiredError',
      missing_requirements: ['merchant_responsibility_attestation'],
      blockers: ['platform_live_mode_paused'],
      checks: failing,
      request_id: 'req_9',
    });
    expect(calls).toHaveLength(1);
  });

  it('reads the lists from the top level or error.details, and leaves them empty when absent', async () => {
    const top = clientWith([
      { status: 409, body: { code: 'HOSTED_CHECKOUT_READINESS_REQUIRED', message: 'x', missing_requirements: ['terms_acceptance'], blockers: [] } },
    ]);
    await expect(top.client.createCheckoutSession(CHECKOUT)).rejects.toMatchObject({ missing_requirements: ['terms_acceptance'], checks: [] });
    const details = clientWith([
      { status: 409, body: { error: { code: 'HOSTED_CHECKOUT_READINESS_REQUIRED', details: { blockers: ['b1', 7] } } } },
    ]);
    await expect(details.client.createCheckoutSession(CHECKOUT)).rejects.toMatchObject({ blockers: ['b1'], missing_requirements: [] });
    const objects = clientWith([
      { status: 409, body: { code: 'HOSTED_CHECKOUT_READINESS_REQUIRED', missing_requirements: [{ name: 'terms_acceptance' }, { code: 'live_mode_requested' }] } },
    ]);
    await expect(objects.client.createCheckoutSession(CHECKOUT)).rejects.toMatchObject({ missing_requirements: ['terms_acceptance', 'live_mode_requested'] });
  });

  it('is exported from the package entry', () => {
    expect(entry.SiglumeHostedCheckoutReadinessRequiredError).toBe(SiglumeHostedCheckoutReadinessRequiredError);
  });
});

describe.each([
  { name: 'over a socket', inProcess: false },
  { name: 'in-process through handle.fetch', inProcess: true },
])('against the sandbox ($name)', ({ inProcess }) => {
  let sandbox: SandboxHandle;
  let client: DirectRequestPaymentMerchantClient;
  let merchant: string;

  beforeEach(async () => {
    sandbox = inProcess ? await createSandbox({ quiet: true }) : await startSandbox({ port: 0, quiet: true });
    merchant = sandbox.env.SIGLUME_DIRECT_PAYMENT_MERCHANT;
    client = new DirectRequestPaymentMerchantClient({
      auth_token: sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN,
      base_url: sandbox.api_base,
      max_retries: 0,
      ...(inProcess ? { fetch: (url: string, init: RequestInit) => sandbox.fetch(new Request(url, init)) } : {}),
    });
  });
  afterEach(async () => {
    await sandbox.close();
  });

  const checkout = (nonce: string) => ({
    merchant,
    amount_minor: 4200,
    currency: 'JPY' as const,
    nonce,
    success_url: `${sandbox.env.SHOP_PUBLIC_ORIGIN}/checkout/siglume/success`,
    cancel_url: `${sandbox.env.SHOP_PUBLIC_ORIGIN}/checkout/siglume/cancel`,
  });

  it('reads a ready seed merchant', async () => {
    const readiness = await client.getMerchantReadiness(merchant);
    expect(readiness).toMatchObject({ scope: 'standard_hosted_checkout', ready: true, status: 'ready', missing_requirements: [], blockers: [] });
  });

  it('goes from a 409 readiness refusal to a working checkout by attesting through setupMerchant', async () => {
    sandbox.setScenario('readiness_not_attested');
    const refused = await client.createCheckoutSession(checkout('order-a')).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(SiglumeHostedCheckoutReadinessRequiredError);
    expect(refused).toMatchObject({ missing_requirements: ['merchant_responsibility_attestation'], blockers: [] });
    expect((refused as SiglumeHostedCheckoutReadinessRequiredError).checks.map((c) => c['name'])).toEqual([
      'merchant_responsibility_attestation',
    ]);
    expect((await client.getMerchantReadiness(merchant)).ready).toBe(false);

    const answer = await client.setupMerchant({ merchant, merchant_responsibility_attested: true });
    expect(answer.standard_hosted_checkout_readiness).toMatchObject({ ready: true, merchant_responsibility_attested: true });
    const session = await client.createCheckoutSession(checkout('order-b'));
    expect(session.checkout_url).toContain(sandbox.url);
  });

  it('reports a platform blocker in blockers', async () => {
    sandbox.setScenario('readiness_blocked');
    await expect(client.createCheckoutSession(checkout('order-c'))).rejects.toMatchObject({
      code: 'HOSTED_CHECKOUT_READINESS_REQUIRED',
      blockers: ['platform_live_mode_paused'],
    });
    expect(await client.getMerchantReadiness(merchant)).toMatchObject({ ready: false, ga_blockers: ['platform_live_mode_paused'] });
  });

  it('onboards a new merchant through setupCheckout, whose billing mandate is sent as billing_currency', async () => {
    const result = await client.setupCheckout({
      merchant: 'usd_shop',
      billing_currency: 'USD',
      webhook_callback_url: 'http://127.0.0.1:3999/payments/webhooks/siglume',
      standard_terms_accepted: true,
      merchant_responsibility_attested: true,
      responsibility_attestation_version: 'sdrp_standard_hosted_checkout_responsibility_v1',
    });
    expect(result.billing_mandate).toMatchObject({ status: 'active', currency: 'USD' });
    const readiness = await client.getMerchantReadiness('usd_shop');
    expect(readiness.ready).toBe(false);
    expect(readiness.missing_requirements).toEqual(['sandbox_confirmation', 'live_mode_requested']);
    expect(readiness.responsibility_attestation_version).toBe('sdrp_standard_hosted_checkout_responsibility_v1');
  });

  it('answers a 404 for an unknown merchant as a not-found error', async () => {
    await expect(client.getMerchantReadiness('nobody_here')).rejects.toBeInstanceOf(SiglumeNotFoundError);
  });
});
