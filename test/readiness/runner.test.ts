import { readFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createServer, type AddressInfo, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { DirectRequestPaymentMerchantClient } from '../../src/clients/merchant.js';
import { SiglumeApiError, SiglumeValidationError } from '../../src/core/errors.js';
import { recordingFetch } from '../clients/support/recording-fetch.js';
import { readinessOptionsFromEnv } from '../../src/readiness/env.js';
import { runReadiness } from '../../src/readiness/runner.js';
import { startSandbox } from '../../src/sandbox/index.js';
import type { DirectRequestPaymentCheckoutSessionCreateResponse } from '../../src/clients/schemas/checkout-session.js';
import type { DirectRequestPaymentMerchantResponse } from '../../src/clients/schemas/merchant-account.js';
import type { DirectRequestPaymentWebhookSubscription } from '../../src/clients/schemas/webhook-subscription.js';
import {
  READINESS_CHECK_NAMES,
  type ReadinessCheckResult,
  type ReadinessMerchantClient,
  type ReadinessProgressEvent,
  type ReadinessReport,
} from '../../src/readiness/types.js';
import { SCENARIO_EXPECTATIONS, startShopSandbox, TEST_SECRET, TEST_TOKEN, type ShopSandbox } from './support.js';

function byName(report: ReadinessReport, name: string): ReadinessCheckResult {
  const found = report.checks.find((c) => c.name === name);
  if (!found) throw new Error(`no check ${name}`);
  return found;
}

/** A client double: every method throws unless overridden; overrides must return the client's typed answers. */
function fakeClient(overrides: Partial<ReadinessMerchantClient> = {}): ReadinessMerchantClient {
  const refuse = () => Promise.reject(new Error('unexpected API call'));
  return {
    base_url: 'http://127.0.0.1:1/v1',
    getMerchant: refuse,
    getMerchantReadiness: refuse,
    listWebhookSubscriptions: refuse,
    createCheckoutSession: refuse,
    queueWebhookTestDelivery: refuse,
    listWebhookDeliveries: refuse,
    ...overrides,
  };
}

const READY_READINESS = {
  scope: 'standard_hosted_checkout',
  ready: true,
  status: 'ready',
  checks: [],
  missing_requirements: [],
  blockers: [],
  live_mode_requested: true,
  live_mode_enabled: true,
  merchant_responsibility_attested: true,
  responsibility_attestation_version: 'sdrp_standard_hosted_checkout_responsibility_v1',
};
const READY_ACCOUNT: DirectRequestPaymentMerchantResponse = {
  merchant_account: { merchant: 'shop_one', status: 'active', billing_status: 'active', billing_mandate_id: 'mandate_1' },
};
const WEBHOOK_URL = 'https://shop.example/payments/webhooks/siglume';
const READY_SUBS: DirectRequestPaymentWebhookSubscription[] = [
  {
    id: 'whsub_1',
    callback_url: WEBHOOK_URL,
    status: 'active',
    event_types: ['direct_payment.confirmed'],
    signing_secret_hint: TEST_SECRET.slice(-4),
  },
];
const PROBE_SESSION: DirectRequestPaymentCheckoutSessionCreateResponse = {
  session_id: 'cs_1',
  checkout_url: 'https://siglume.example/pay/cs_1',
  challenge_hash: 'sha256:readiness',
};
const LOCAL_OPTIONS = {
  merchant: 'shop_one',
  auth_token: TEST_TOKEN,
  webhook_secret: TEST_SECRET,
  shop_origin: 'https://shop.example',
  webhook_url: WEBHOOK_URL,
};

describe('runReadiness', () => {
  let shop: ShopSandbox;

  beforeAll(async () => {
    shop = await startShopSandbox();
  });
  afterAll(async () => {
    await shop.close();
  });
  beforeEach(() => {
    shop.sandbox.setScenario('ready');
  });

  describe('when the sandbox is ready', () => {
    it('passes every check, in contract order, and reports ready', async () => {
      const report = await runReadiness(shop.options());
      expect(report.checks.map((c) => c.name)).toEqual(READINESS_CHECK_NAMES);
      expect(report.checks.filter((c) => c.status !== 'pass')).toEqual([]);
      expect(report).toMatchObject({
        ok: true,
        command: 'readiness',
        environment: 'sandbox',
        mode: 'full',
        base_url: shop.sandbox.api_base,
        merchant: 'sandbox_shop',
      });
      expect(report.checks[0]).toMatchObject({ name: 'target_environment', status: 'pass', details: { environment: 'sandbox' } });
      expect(report.summary).toMatchObject({ total: 23, pass: 23, fail: 0, skip: 0 });
      expect(report.summary.verdict).toMatch(/^Ready/);
    });

    it('delivers one readiness_probe event the shop can verify', async () => {
      const before = shop.receiver.events.length;
      const report = await runReadiness(shop.options());
      const delivery = byName(report, 'webhook_delivery_probe_passed');
      expect(delivery.status).toBe('pass');
      const received = shop.receiver.events.slice(before);
      expect(received).toHaveLength(1);
      expect(received[0]).toMatchObject({
        id: delivery.details?.event_id,
        type: 'direct_payment.confirmed',
        data: {
          mode: 'readiness_probe',
          readiness_probe: true,
          pricing_band: 'standard',
          settlement_status: 'readiness_probe',
          challenge_hash: 'sha256:readiness_probe',
        },
      });
      // The 0.5 probe's placeholder requirement, under both of its names.
      const data = (received[0] as { data: Record<string, unknown> }).data;
      expect(data.requirement_id).toMatch(/^dpr_readiness_\d+$/);
      expect(data.direct_payment_requirement_id).toBe(data.requirement_id);
    });

    it('creates the probe session with the shop origin return URLs and a readiness nonce', async () => {
      const report = await runReadiness({ ...shop.options(), now: () => 1_800_000_000_123 });
      const id = byName(report, 'hosted_checkout_probe').details?.session_id as string;
      const session = shop.sandbox.getCheckoutSession(id);
      expect(session).toMatchObject({
        nonce: 'sdrp-readiness-1800000000123',
        success_url: `${shop.env.SHOP_PUBLIC_ORIGIN}/siglume-readiness/success`,
        cancel_url: `${shop.env.SHOP_PUBLIC_ORIGIN}/siglume-readiness/cancel`,
        amount_minor: 501,
        currency: 'JPY',
        status: 'open',
      });
      expect(session!.metadata).toEqual({ source: 'siglume-sdrp-readiness' });
    });

    it('reports progress for each check that runs and while the delivery is awaited', async () => {
      const events: ReadinessProgressEvent[] = [];
      await runReadiness({ ...shop.options(), onProgress: (e) => events.push(e) });
      expect(events.filter((e) => e.type === 'check_finished')).toHaveLength(23);
      expect(events.filter((e) => e.type === 'check_started')).toHaveLength(23);
      expect(events.some((e) => e.type === 'delivery_waiting')).toBe(true);
      // What a report's head names, once the config checks ran and before the first API call.
      const at = events.findIndex((e) => e.type === 'config_checked');
      expect(events[at]).toEqual({
        type: 'config_checked',
        environment: 'sandbox',
        base_url: shop.sandbox.api_base,
        merchant: shop.env.SIGLUME_DIRECT_PAYMENT_MERCHANT,
      });
      expect(events.slice(0, at).every((e) => e.type === 'check_started' || e.type === 'check_finished')).toBe(true);
      expect(events.slice(0, at).filter((e) => e.type === 'check_finished').map((e) => e.result.group)).toEqual(Array(7).fill('config'));
      expect(events[at + 1]).toMatchObject({ type: 'check_started', group: 'readiness' });
    });
  });

  describe.each(SCENARIO_EXPECTATIONS)('when the sandbox scenario is $scenario', ({ scenario, failing, names }) => {
    it(`fails ${failing.join(', ')} with fixes naming the gate, and runs no probe`, async () => {
      shop.sandbox.setScenario(scenario);
      const sessionsBefore = shop.sandbox.listCheckoutSessions().length;
      const report = await runReadiness(shop.options());
      const failed = report.checks.filter((c) => c.status === 'fail');
      expect(failed.map((c) => c.name)).toEqual(failing);
      for (const f of failed) expect(f.status === 'fail' && f.fix.length).toBeGreaterThan(20);
      const fixes = failed.map((f) => `${f.message} ${f.status === 'fail' ? f.fix : ''}`).join('\n');
      for (const name of names) expect(fixes).toContain(name);
      // Every other check passed or was skipped because of one of the failures.
      for (const c of report.checks.filter((c) => !(failing as readonly string[]).includes(c.name))) {
        if (c.status === 'skip') {
          expect(failing as readonly string[]).toContain(c.reason.replace(/ failed$/, ''));
        } else {
          expect(['pass', 'warn']).toContain(c.status);
        }
      }
      if (!failing.includes('hosted_checkout_probe' as never)) {
        expect(byName(report, 'hosted_checkout_probe').status).toBe('skip');
        expect(shop.sandbox.listCheckoutSessions()).toHaveLength(sessionsBefore);
      }
      expect(report.ok).toBe(false);
      expect(report.summary.verdict).toContain(failing[0]);
    });
  });

  describe('when the webhook endpoint answers 500', () => {
    let broken: ShopSandbox;
    beforeAll(async () => {
      broken = await startShopSandbox({ receiverStatus: 500 });
    });
    afterAll(async () => {
      await broken.close();
    });

    it('fails webhook_delivery_probe_passed with the response status', async () => {
      const report = await runReadiness(broken.options());
      const delivery = byName(report, 'webhook_delivery_probe_passed');
      expect(delivery.status).toBe('fail');
      expect(delivery.message).toContain('response_status 500');
      expect(delivery.details).toMatchObject({ delivery_status: 'failed', response_status: 500 });
      // The shop's handler failed: its log comes first, the readiness_probe rule second.
      const fix = (delivery.status === 'fail' && delivery.fix) || '';
      const url = broken.env.SHOP_WEBHOOK_URL!;
      expect(fix.split('\n')).toEqual([
        `Your webhook handler failed (HTTP 500): look in the shop's log for the error, e.g. its database down or misconfigured ({"error":"webhook_processing_failed"} from the SDK's handler means its store failed); "siglume-sdrp webhook trigger unknown --url ${url}" shows the handler's answer.`,
        'Once it works, it must answer 2xx to a verified event it does not act on (mode "readiness_probe").',
      ]);
      expect(report.ok).toBe(false);
    });
  });

  describe('when the webhook endpoint verifies with another secret and answers 503', () => {
    let shop: ShopSandbox;
    beforeAll(async () => {
      // Readiness and the subscription hold the right secret; only the shop's server holds another.
      shop = await startShopSandbox({ receiverSecret: 'whsec_not_the_subscriptions_secret_9f2c' });
    });
    afterAll(async () => {
      await shop.close();
    });

    it('names the signature and the shop\'s SIGLUME_WEBHOOK_SECRET first', async () => {
      const sub = shop.sandbox.listWebhookSubscriptions()[0]!;
      const report = await runReadiness(shop.options());
      const delivery = byName(report, 'webhook_delivery_probe_passed');
      expect(delivery.message).toContain('response_status 503');
      // 503 keeps the event: Siglume (here the sandbox) tried again, and each attempt was refused.
      expect(shop.receiver.rejected).toBeGreaterThan(1);
      const fix = (delivery.status === 'fail' && delivery.fix) || '';
      expect(fix.split('\n')).toEqual([
        `Your webhook handler answered 503, most likely because the signature did not verify ({"error":"invalid_signature"} from the SDK's handler; the shop's log has the WEBHOOK_SIGNATURE_MISMATCH): the shop's SIGLUME_WEBHOOK_SECRET must be the signing secret of subscription ${sub.id}, and the shop's clock must be right to within 5 minutes.`,
        `Otherwise the shop's log says why it answered 503; "siglume-sdrp webhook trigger unknown --url ${shop.receiver.url}" shows the handler's answer.`,
      ]);
    });
  });

  describe('when the webhook endpoint is a handler of its own that answers 400', () => {
    let shop: ShopSandbox;
    beforeAll(async () => {
      shop = await startShopSandbox({ receiverStatus: 400 });
    });
    afterAll(async () => {
      await shop.close();
    });

    it('names the signature first and says to answer a failed check with 503', async () => {
      const sub = shop.sandbox.listWebhookSubscriptions()[0]!;
      const delivery = byName(await runReadiness(shop.options()), 'webhook_delivery_probe_passed');
      expect(delivery.message).toContain('response_status 400');
      const fix = (delivery.status === 'fail' && delivery.fix) || '';
      expect(fix.split('\n')).toEqual([
        `Your handler refused the signed test event, most likely its signature: the shop's SIGLUME_WEBHOOK_SECRET must be the signing secret of subscription ${sub.id}.`,
        `Verify the Siglume-Signature header over the raw request body (not re-serialized JSON), and answer a signature that does not verify with 503 (webhookErrorStatus), so Siglume keeps the event; "siglume-sdrp webhook trigger unknown --url ${shop.receiver.url}" shows the handler's answer.`,
      ]);
    });
  });

  describe('when run with api: false', () => {
    it('checks config only, never calls the API and is never ready', async () => {
      const report = await runReadiness({ ...LOCAL_OPTIONS, api: false, client: fakeClient() });
      expect(report).toMatchObject({ ok: false, mode: 'no_api', base_url: null, environment: 'live' });
      expect(report.checks.filter((c) => c.group === 'config').every((c) => c.status === 'pass')).toBe(true);
      for (const c of report.checks.filter((c) => c.group !== 'config')) {
        expect(c).toMatchObject({ status: 'skip', reason: expect.stringContaining('--no-api') });
      }
      expect(report.summary.verdict).toMatch(/^Not ready.*--no-api/);
    });
  });

  describe('when run with probe: false', () => {
    it('runs config, account and subscription checks, skips the probes and is never ready', async () => {
      const sessionsBefore = shop.sandbox.listCheckoutSessions().length;
      const report = await runReadiness({ ...shop.options(), probe: false });
      expect(report).toMatchObject({ ok: false, mode: 'no_probe' });
      for (const c of report.checks) {
        if (c.group === 'probe' || c.group === 'delivery') expect(c).toMatchObject({ status: 'skip', reason: expect.stringContaining('--no-probe') });
        else expect(c.status).toBe('pass');
      }
      expect(shop.sandbox.listCheckoutSessions()).toHaveLength(sessionsBefore);
      expect(report.summary.verdict).toContain('--no-probe');
    });
  });

  describe('when nothing is configured', () => {
    it('fails every missing config input at once and skips the API checks', async () => {
      const report = await runReadiness({ client: fakeClient() });
      const failed = report.checks.filter((c) => c.status === 'fail').map((c) => c.name);
      expect(failed).toEqual(['merchant_key', 'merchant_token', 'shop_origin', 'webhook_url', 'webhook_secret_present']);
      for (const c of report.checks.filter((c) => c.group !== 'config')) {
        expect(c).toMatchObject({ status: 'skip', reason: expect.stringContaining('merchant_key') });
      }
      expect(report.ok).toBe(false);
    });
  });

  describe('when an input is missing', () => {
    it('says in the fix where to set it: the variable, and the flag when there is one', async () => {
      const report = await runReadiness({ api: false });
      const fixes = Object.fromEntries(report.checks.filter((c) => c.status === 'fail').map((c) => [c.name, 'fix' in c ? c.fix : '']));
      expect(fixes).toEqual({
        merchant_key: 'Set SIGLUME_DIRECT_PAYMENT_MERCHANT (or pass --merchant) to your merchant key, e.g. my_shop.',
        merchant_token:
          'Set SIGLUME_MERCHANT_AUTH_TOKEN (or SIGLUME_AUTH_TOKEN) in the server environment; keep it out of the browser and out of git.',
        shop_origin: "Set SHOP_PUBLIC_ORIGIN (or pass --origin) to your shop's public origin, e.g. https://shop.example.",
        webhook_url:
          'Set SHOP_WEBHOOK_URL (or pass --webhook-url) to the https URL of your webhook route, e.g. https://shop.example/payments/webhooks/siglume.',
        webhook_secret_present:
          'Set SIGLUME_WEBHOOK_SECRET to the signing secret (whsec_…) returned when the webhook subscription was created.',
      });
    });
  });

  describe('when a check stops on a validation error', () => {
    it('fails it with a fix naming where the rejected input is set', async () => {
      const client = fakeClient({
        getMerchantReadiness: async () => READY_READINESS,
        getMerchant: () => Promise.reject(new SiglumeValidationError('merchant', 'Invalid merchant: must be 3-64 characters')),
      });
      const report = await runReadiness({ ...LOCAL_OPTIONS, client });
      expect(byName(report, 'merchant_exists')).toMatchObject({
        status: 'fail',
        message: 'Reading merchant shop_one failed: Invalid merchant: must be 3-64 characters',
        fix: 'Fix SIGLUME_DIRECT_PAYMENT_MERCHANT (or pass --merchant), then run readiness again.',
      });
    });
  });

  describe('when a config input is wrong', () => {
    const cases: Array<{ title: string; options: Record<string, unknown>; name: string; status: string; text: RegExp }> = [
      { title: 'a Developer Portal key', options: { auth_token: 'cli_abcdef123456' }, name: 'merchant_token', status: 'fail', text: /Developer Portal/ },
      { title: 'a token kept in quotes', options: { auth_token: '"sdrp_tok_123456"' }, name: 'merchant_token', status: 'fail', text: /quote character/ },
      { title: 'a token with an invisible character', options: { auth_token: 'sdrp_tok\u200b_123456' }, name: 'merchant_token', status: 'fail', text: /control or non-ASCII/ },
      { title: 'an invalid merchant key', options: { merchant: 'A!' }, name: 'merchant_key', status: 'fail', text: /not valid/ },
      { title: 'an http origin outside sandbox mode', options: { shop_origin: 'http://localhost:3000' }, name: 'shop_origin', status: 'fail', text: /--sandbox/ },
      { title: 'an origin with a path', options: { shop_origin: 'https://shop.example/store' }, name: 'shop_origin', status: 'fail', text: /origin only/ },
      { title: 'an origin with a trailing slash', options: { shop_origin: 'https://shop.example/' }, name: 'shop_origin', status: 'warn', text: /trailing slash/ },
      { title: 'an http webhook URL on a public host', options: { webhook_url: 'http://shop.example/hook', sandbox: true }, name: 'webhook_url', status: 'fail', text: /https/ },
      { title: 'a secret without whsec_', options: { webhook_secret: 'sk_live_not_a_webhook_secret' }, name: 'webhook_secret_present', status: 'fail', text: /whsec_/ },
      { title: 'a Micro-band probe amount', options: { amount_minor: 100 }, name: 'standard_probe_amount', status: 'fail', text: /at least JPY 501/ },
    ];
    it.each(cases)('reports $title on $name', async ({ options, name, status, text }) => {
      const report = await runReadiness({ ...LOCAL_OPTIONS, ...options, api: false });
      const check = byName(report, name);
      expect(check.status).toBe(status);
      expect(`${check.message} ${'fix' in check ? check.fix : ''}`).toMatch(text);
    });

    it('gives a secret kept in quotes (docker --env-file) the quote message, not the whsec_ one', async () => {
      for (const secret of ['"whsec_quoted_secret_5a1b"', "'whsec_quoted_secret_5a1b'", 'whsec_quoted_secret_5a1b"']) {
        const check = byName(await runReadiness({ ...LOCAL_OPTIONS, webhook_secret: secret, api: false }), 'webhook_secret_present');
        expect(check).toMatchObject({
          status: 'fail',
          message: 'SIGLUME_WEBHOOK_SECRET starts or ends with a quote character',
          fix: 'Remove the quotes around SIGLUME_WEBHOOK_SECRET (docker --env-file and some secret stores keep them as part of the value).',
        });
      }
    });

    it('names SIGLUME_AUTH_TOKEN in the token fixes when the token came from it', async () => {
      const fromFallback = readinessOptionsFromEnv({ SIGLUME_AUTH_TOKEN: '"sdrp_tok_123456"' });
      const quoted = byName(await runReadiness({ ...LOCAL_OPTIONS, ...fromFallback, api: false }), 'merchant_token');
      expect(quoted.status === 'fail' && quoted.fix).toBe(
        'Remove the quotes around SIGLUME_AUTH_TOKEN (docker --env-file and some secret stores keep them as part of the value).',
      );
      const portal = byName(await runReadiness({ ...LOCAL_OPTIONS, ...readinessOptionsFromEnv({ SIGLUME_AUTH_TOKEN: 'cli_abcdef123456' }), api: false }), 'merchant_token');
      expect(portal.status === 'fail' && portal.fix).toBe('Set SIGLUME_AUTH_TOKEN to a merchant auth token instead of the Developer Portal key.');
      // The merchant variable wins when both are set: the fix names it.
      const both = readinessOptionsFromEnv({ SIGLUME_MERCHANT_AUTH_TOKEN: '"sdrp_tok_123456"', SIGLUME_AUTH_TOKEN: 'sdrp_other_123456' });
      const merchant = byName(await runReadiness({ ...LOCAL_OPTIONS, ...both, api: false }), 'merchant_token');
      expect(merchant.status === 'fail' && merchant.fix).toContain('Remove the quotes around SIGLUME_MERCHANT_AUTH_TOKEN');
    });

    it('uses the smallest Standard amount of the currency by default', async () => {
      const report = await runReadiness({ ...LOCAL_OPTIONS, currency: 'usd', api: false });
      expect(byName(report, 'standard_probe_amount').message).toBe('USD 3.01 is in the Standard band');
    });
  });

  describe('when an option is unusable', () => {
    it.each([
      [{ currency: 'EUR' }, 'currency'],
      [{ amount_minor: 1.5 }, 'amount_minor'],
      [{ delivery_timeout_ms: 0 }, 'delivery_timeout_ms'],
      [{ base_url: 'ftp://example.com' }, 'base_url'],
    ])('throws a validation error naming the option (%j)', async (options, field) => {
      await expect(runReadiness(options as never)).rejects.toMatchObject({ field });
      await expect(runReadiness(options as never)).rejects.toBeInstanceOf(SiglumeValidationError);
    });
  });

  describe('when the API echoes a secret in an error', () => {
    it('redacts the token and the webhook secret from the report', async () => {
      const client = fakeClient({
        getMerchantReadiness: async () => READY_READINESS,
        getMerchant: () =>
          Promise.reject(
            new SiglumeApiError({ status: 400, code: 'BAD', message: `token ${TEST_TOKEN} and secret ${TEST_SECRET} rejected` }),
          ),
      });
      const report = await runReadiness({ ...LOCAL_OPTIONS, client });
      const text = JSON.stringify(report);
      expect(byName(report, 'merchant_exists').status).toBe('fail');
      expect(text).not.toContain(TEST_TOKEN);
      expect(text).not.toContain(TEST_SECRET);
      expect(text).toContain('[redacted]');
    });

    it('keeps every check name whole even when a (short) token is part of one', async () => {
      const client = fakeClient({
        getMerchantReadiness: async () => READY_READINESS,
        getMerchant: () => Promise.reject(new SiglumeApiError({ status: 400, code: 'BAD', message: 'token subscription rejected' })),
      });
      const report = await runReadiness({ ...LOCAL_OPTIONS, auth_token: 'subscription', client });
      expect(report.checks.map((c) => c.name)).toContain('webhook_url');
      expect(report.checks.map((c) => c.name)).toContain('webhook_subscription_exists');
      expect(byName(report, 'merchant_exists').message).toContain('token [redacted] rejected');
    });
  });

  describe('when the delivery never completes', () => {
    it('fails after the delivery timeout, polling at growing intervals', async () => {
      const polls: number[] = [];
      const client = fakeClient({
        getMerchant: async () => READY_ACCOUNT,
        getMerchantReadiness: async () => READY_READINESS,
        listWebhookSubscriptions: async () => READY_SUBS,
        createCheckoutSession: async () => PROBE_SESSION,
        queueWebhookTestDelivery: async () => ({ event: { id: 'evt_probe', type: 'direct_payment.confirmed' } }),
        listWebhookDeliveries: async () => {
          polls.push(performance.now());
          return [{ id: 'whd_1', event_id: 'evt_probe', delivery_status: 'queued' }];
        },
      });
      const timers = vi.spyOn(globalThis, 'setTimeout');
      const started = performance.now();
      let report: ReadinessReport;
      let waits: number[];
      try {
        report = await runReadiness({ ...LOCAL_OPTIONS, client, delivery_timeout_ms: 600 });
        // The sandbox other tests share keeps long timers of its own; the poll never waits over 1 s.
        waits = timers.mock.calls.map((c) => c[1] as number).filter((ms) => ms <= 1000);
      } finally {
        timers.mockRestore();
      }
      const elapsed = performance.now() - started;
      const delivery = byName(report, 'webhook_delivery_probe_passed');
      expect(delivery.status).toBe('fail');
      expect(delivery.message).toContain('within 0.6 s (last status: queued)');
      expect(elapsed).toBeGreaterThanOrEqual(590);
      expect(elapsed).toBeLessThan(5000);
      expect(polls.length).toBeGreaterThanOrEqual(3);
      // The waits between polls: short first, growing, never past the deadline.
      expect(waits.slice(0, 3)).toEqual([50, 88, 153]);
      // Node may fire a timer up to 1 ms before performance.now() says it is due, so each
      // wait may overshoot the deadline by that much; more would be a polling bug.
      expect(waits.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(600 + waits.length);
    });
  });

  /** A client for which every check passes up to the delivery probe, whose test event's log holds `delivery`. */
  const deliveredAs = (delivery: Record<string, unknown>) =>
    fakeClient({
      getMerchant: async () => READY_ACCOUNT,
      getMerchantReadiness: async () => READY_READINESS,
      listWebhookSubscriptions: async () => READY_SUBS,
      createCheckoutSession: async () => PROBE_SESSION,
      queueWebhookTestDelivery: async () => ({ event: { id: 'evt_probe' } }),
      listWebhookDeliveries: async () => [{ id: 'whd_1', event_id: 'evt_probe', ...delivery }],
    });

  describe('when the delivery is still being retried at the deadline', () => {
    const pendingWith = (extra: Record<string, unknown>) => deliveredAs({ delivery_status: 'queued', ...extra });

    it('names the cause of the last failed attempt (a handler that does not answer in time) and its fix, not "raise --timeout"', async () => {
      const client = pendingWith({ response_status: null, failure_reason: 'timeout after 5000 ms' });
      const delivery = byName(await runReadiness({ ...LOCAL_OPTIONS, client, delivery_timeout_ms: 300 }), 'webhook_delivery_probe_passed');
      expect(delivery.status).toBe('fail');
      expect(delivery.message).toBe(
        'No delivery result for test event evt_probe within 0.3 s: the last attempt failed (timeout after 5000 ms) and Siglume is retrying (last status: queued)',
      );
      expect(delivery.status === 'fail' && delivery.fix).toMatch(/did not answer in time \(timeout after 5000 ms\): answer as soon as the event is verified and recorded/);
      expect(delivery.status === 'fail' && delivery.fix).not.toContain('--timeout');
      expect(delivery.details).toMatchObject({ delivery_status: 'queued', failure_reason: 'timeout after 5000 ms', response_status: null });
    });

    it('names the status a retried attempt got', async () => {
      const client = pendingWith({ response_status: 500, failure_reason: 'HTTP 500' });
      const delivery = byName(await runReadiness({ ...LOCAL_OPTIONS, client, delivery_timeout_ms: 300 }), 'webhook_delivery_probe_passed');
      expect(delivery.message).toContain('the last attempt failed (HTTP 500) and Siglume is retrying');
      expect(delivery.status === 'fail' && delivery.fix).toContain('Your webhook handler failed (HTTP 500)');
    });

    it('names the signature for a 503 being retried: the SDK\'s handler answers a wrong secret so', async () => {
      const client = pendingWith({ response_status: 503, failure_reason: 'HTTP 503' });
      const delivery = byName(await runReadiness({ ...LOCAL_OPTIONS, client, delivery_timeout_ms: 300 }), 'webhook_delivery_probe_passed');
      expect(delivery.message).toContain('the last attempt failed (HTTP 503) and Siglume is retrying');
      expect(delivery.status === 'fail' && delivery.fix).toContain('most likely because the signature did not verify');
    });

    it('says a handler that never answers looks like this when the log gives no cause yet', async () => {
      const delivery = byName(await runReadiness({ ...LOCAL_OPTIONS, client: pendingWith({}), delivery_timeout_ms: 300 }), 'webhook_delivery_probe_passed');
      expect(delivery.message).toBe('No delivery result for test event evt_probe within 0.3 s (last status: queued)');
      expect(delivery.status === 'fail' && delivery.fix).toContain('a handler that never answers looks like this');
    });

    it('against the sandbox, reports the timeout of a webhook handler that hangs', async () => {
      const hanging = createHttpServer(() => undefined);
      await new Promise<void>((r) => hanging.listen(0, '127.0.0.1', r));
      const url = `http://127.0.0.1:${(hanging.address() as AddressInfo).port}/payments/webhooks/siglume`;
      // The first attempt times out at 400 ms and the next waits 60 s: at 2 s the delivery is queued, retrying, with
      // seconds of margin either side on a loaded machine (close() ends the wait).
      const sandbox = await startSandbox({
        port: 0,
        merchant_token: TEST_TOKEN,
        webhook_secret: TEST_SECRET,
        origin: new URL(url).origin,
        webhook_url: url,
        quiet: true,
        delivery_timeout_ms: 400,
        delivery_backoff_ms: 60_000,
      });
      try {
        const report = await runReadiness({
          merchant: sandbox.env.SIGLUME_DIRECT_PAYMENT_MERCHANT,
          auth_token: TEST_TOKEN,
          webhook_secret: TEST_SECRET,
          shop_origin: new URL(url).origin,
          webhook_url: url,
          base_url: sandbox.api_base,
          sandbox: true,
          delivery_timeout_ms: 2000,
        });
        const delivery = byName(report, 'webhook_delivery_probe_passed');
        expect(delivery.status).toBe('fail');
        expect(delivery.message).toContain('the last attempt failed (timeout after 400 ms) and Siglume is retrying (last status: queued)');
        expect(delivery.status === 'fail' && delivery.fix).toContain('answer as soon as the event is verified and recorded');
      } finally {
        await sandbox.close();
        hanging.closeAllConnections();
        await new Promise<void>((r) => hanging.close(() => r()));
      }
    });
  });

  describe('when the delivery failed without an answer', () => {
    const failedWith = (failure_reason: string | undefined) =>
      deliveredAs({ delivery_status: 'failed', response_status: null, ...(failure_reason ? { failure_reason } : {}) });

    it.each([
      ['ECONNREFUSED shop.example:443', /^Nothing is listening at shop\.example:443: start your shop's server there/],
      ['ENOTFOUND shop.example', /^The host name in https:\/\/shop\.example\/payments\/webhooks\/siglume does not resolve/],
      ['ECONNRESET shop.example', /^shop\.example accepted the connection and closed it without an answer/],
      ['timeout after 10000 ms', /did not answer in time \(timeout after 10000 ms\): answer as soon as the event is verified and recorded/],
      ['CERT_HAS_EXPIRED shop.example', /^The TLS connection to shop\.example failed \(CERT_HAS_EXPIRED\)/],
      ['dropped by the sandbox fault drop_webhook_deliveries', /POST \/__sandbox\/reset-faults/],
    ])('names the cause %s in the message and gives its fix', async (reason, fix) => {
      const report = await runReadiness({ ...LOCAL_OPTIONS, client: failedWith(reason) });
      const delivery = byName(report, 'webhook_delivery_probe_passed');
      expect(delivery.status).toBe('fail');
      expect(delivery.message).toBe(`Test event evt_probe was not accepted by ${WEBHOOK_URL}: no response (${reason})`);
      expect(delivery.details).toMatchObject({ failure_reason: reason, response_status: null });
      expect(delivery.status === 'fail' && delivery.fix).toMatch(fix);
    });

    it('names no cause for an empty failure_reason while the delivery is retried, and says what a hanging handler looks like', async () => {
      const client = deliveredAs({ delivery_status: 'queued', response_status: null, failure_reason: '' });
      const report = await runReadiness({ ...LOCAL_OPTIONS, client, delivery_timeout_ms: 50 });
      const delivery = byName(report, 'webhook_delivery_probe_passed');
      expect(delivery.status).toBe('fail');
      expect(delivery.message).not.toContain('()');
      expect(delivery.message).toMatch(/within 0\.05 s \(last status: queued\)$/);
      expect(delivery.status === 'fail' && delivery.fix).toContain('a handler that never answers looks like this');
    });

    it('quotes a webhook URL whose password a parser reads as a second scheme with the credentials hidden, in every check', async () => {
      const url = 'https://https://u:secretpw@shop.example/payments/webhooks/siglume';
      const report = await runReadiness({ ...LOCAL_OPTIONS, webhook_url: url, client: failedWith('ECONNREFUSED shop.example:443') });
      expect(byName(report, 'webhook_url').status).toBe('pass');
      expect(JSON.stringify(report)).not.toContain('secretpw');
      expect(byName(report, 'webhook_url').message).toBe('Webhook URL is https://***@shop.example/payments/webhooks/siglume');
      expect(byName(report, 'webhook_callback_matches').message).toContain('https://***@shop.example/payments/webhooks/siglume');
    });

    it('says to mount the webhook route when the shop answers 404, naming a route that exists', async () => {
      const client = fakeClient({
        ...failedWith(undefined),
        listWebhookDeliveries: async () => [{ id: 'whd_1', event_id: 'evt_probe', delivery_status: 'failed', response_status: 404 }],
      });
      const delivery = byName(await runReadiness({ ...LOCAL_OPTIONS, client }), 'webhook_delivery_probe_passed');
      expect(delivery.status === 'fail' && delivery.fix).toBe(
        `Nothing handles POST ${WEBHOOK_URL}: mount the webhook route at that path (the templates that "siglume-sdrp init" copies serve POST /payments/webhooks/siglume) or fix SHOP_WEBHOOK_URL.`,
      );
    });

    it('falls back to reachability from the internet when the log gives no cause for a public URL', async () => {
      const report = await runReadiness({ ...LOCAL_OPTIONS, client: failedWith(undefined) });
      const delivery = byName(report, 'webhook_delivery_probe_passed');
      expect(delivery.message).toBe(`Test event evt_probe was not accepted by ${WEBHOOK_URL}: no response`);
      expect(delivery.status === 'fail' && delivery.fix).toContain('reachable from the internet');
    });
  });

  describe('when two subscriptions post to the webhook URL', () => {
    it('delivers the probe through the one whose secret hint matches (the subscription group hands it on)', async () => {
      const queued: string[][] = [];
      const polled: unknown[] = [];
      const other: DirectRequestPaymentWebhookSubscription = { ...READY_SUBS[0]!, id: 'whsub_0', signing_secret_hint: 'zzzz' };
      const client = fakeClient({
        getMerchant: async () => READY_ACCOUNT,
        getMerchantReadiness: async () => READY_READINESS,
        listWebhookSubscriptions: async () => [other, READY_SUBS[0]!],
        createCheckoutSession: async () => PROBE_SESSION,
        queueWebhookTestDelivery: async (input) => {
          queued.push(input.subscription_ids ?? []);
          return { event: { id: 'evt_probe' } };
        },
        listWebhookDeliveries: async (query) => {
          polled.push(query);
          return [{ id: 'whd_1', event_id: 'evt_probe', delivery_status: 'delivered', response_status: 204 }];
        },
      });
      const report = await runReadiness({ ...LOCAL_OPTIONS, client });
      // CONTRACT-2 section 18.5: the poll names the subscription, the event type and `limit: 10`.
      expect(polled).toEqual([{ subscription_id: 'whsub_1', event_type: 'direct_payment.confirmed', limit: 10 }]);
      expect(byName(report, 'direct_payment_confirmed_subscribed').details).toEqual({ subscription_id: 'whsub_0' });
      expect(byName(report, 'webhook_secret_matches_subscription_hint').details).toEqual({ subscription_id: 'whsub_1' });
      expect(queued).toEqual([['whsub_1']]);
      expect(report.ok).toBe(true);
    });
  });

  describe('webhook subscription rules (CONTRACT-2 section 18.4)', () => {
    const withSubs = (subs: DirectRequestPaymentWebhookSubscription[]) =>
      fakeClient({
        getMerchant: async () => READY_ACCOUNT,
        getMerchantReadiness: async () => READY_READINESS,
        listWebhookSubscriptions: async () => subs,
      });
    const sub = (fields: Partial<DirectRequestPaymentWebhookSubscription>) => ({ ...READY_SUBS[0]!, ...fields });

    it.each(['active', 'Enabled', 'ready', 'ok'])('counts an active-like subscription status (%s)', async (status) => {
      const report = await runReadiness({ ...LOCAL_OPTIONS, probe: false, client: withSubs([sub({ status })]) });
      expect(byName(report, 'webhook_subscription_exists').status).toBe('pass');
    });

    it.each([['paused'], ['disabled'], [undefined]])('does not count a subscription whose status is %s', async (status) => {
      const report = await runReadiness({ ...LOCAL_OPTIONS, probe: false, client: withSubs([sub({ status })]) });
      expect(byName(report, 'webhook_subscription_exists')).toMatchObject({ status: 'fail', message: expect.stringContaining(`status: ${status ?? 'none'}`) });
    });

    it('never hands out a masked URL to copy: a webhook URL with an "@" in its path is shown masked, and the fix names SHOP_WEBHOOK_URL', async () => {
      const webhook_url = 'https://shop.example/hooks/@acme';
      const none = await runReadiness({ ...LOCAL_OPTIONS, webhook_url, probe: false, client: withSubs([]) });
      const fixOf = (report: Awaited<ReturnType<typeof runReadiness>>, name: string) => {
        const check = byName(report, name);
        return check.status === 'fail' ? check.fix : '';
      };
      const fix = fixOf(none, 'webhook_subscription_exists');
      // The masked form would subscribe another URL if pasted; the variable holds the real one.
      expect(fix).not.toContain("callback_url: 'https://***@acme'");
      expect(fix).toContain('callback_url: process.env.SHOP_WEBHOOK_URL');
      const other = await runReadiness({ ...LOCAL_OPTIONS, webhook_url, probe: false, client: withSubs([sub({ callback_url: 'https://shop.example/x' })]) });
      expect(fixOf(other, 'webhook_callback_matches')).toContain('callback_url: process.env.SHOP_WEBHOOK_URL');
      // A URL the masking leaves alone is still quoted as it is.
      const plain = await runReadiness({ ...LOCAL_OPTIONS, probe: false, client: withSubs([]) });
      expect(fixOf(plain, 'webhook_subscription_exists')).toContain(`callback_url: '${LOCAL_OPTIONS.webhook_url}'`);
    });

    it('matches the callback URL as a URL: host case and the default port do not matter, the path does', async () => {
      const same = await runReadiness({ ...LOCAL_OPTIONS, probe: false, client: withSubs([sub({ callback_url: 'https://SHOP.example:443/payments/webhooks/siglume' })]) });
      expect(byName(same, 'webhook_callback_matches').status).toBe('pass');
      const other = await runReadiness({ ...LOCAL_OPTIONS, probe: false, client: withSubs([sub({ callback_url: 'https://shop.example/payments/webhooks/Siglume' })]) });
      expect(byName(other, 'webhook_callback_matches').status).toBe('fail');
    });

    it('passes direct_payment_confirmed_subscribed for an empty event_types list (it filters nothing)', async () => {
      const report = await runReadiness({ ...LOCAL_OPTIONS, probe: false, client: withSubs([sub({ event_types: [] })]) });
      expect(byName(report, 'direct_payment_confirmed_subscribed')).toMatchObject({ status: 'pass', message: expect.stringContaining('every event type') });
      expect(byName(report, 'webhook_secret_matches_subscription_hint').status).toBe('pass');
    });
  });

  describe('when an account check fails', () => {
    it('skips the subscription checks (no fail so far is their precondition), as the JSON example in docs/readiness.md shows', async () => {
      // As Siglume answers a merchant without a mandate: its readiness gates say so too.
      const gates = { ...READY_READINESS, ready: false, status: 'action_required', live_mode_enabled: true, missing_requirements: ['billing_mandate'] };
      const client = fakeClient({
        getMerchantReadiness: async () => gates,
        getMerchant: async () => ({ merchant_account: { ...READY_ACCOUNT.merchant_account, merchant: 'my_shop', billing_mandate_id: null } }),
        listWebhookSubscriptions: () => Promise.reject(new Error('the subscription checks must not run')),
      });
      const report = await runReadiness({ ...LOCAL_OPTIONS, merchant: 'my_shop', client });
      for (const name of ['webhook_subscription_exists', 'webhook_callback_matches', 'direct_payment_confirmed_subscribed', 'webhook_secret_matches_subscription_hint']) {
        expect(byName(report, name)).toMatchObject({ status: 'skip', reason: 'billing_mandate failed' });
      }
      const doc = readFileSync(fileURLToPath(new URL('../../docs/readiness.md', import.meta.url)), 'utf8');
      const example = JSON.parse(/## JSON[\s\S]*?```json\n([\s\S]*?)```/.exec(doc)![1]!) as ReadinessReport;
      expect(report.summary).toEqual(example.summary);
      for (const shown of example.checks) {
        const { fix: _fix, duration_ms: _ms, ...rest } = shown as ReadinessCheckResult & { fix?: string };
        expect(byName(report, shown.name)).toMatchObject(rest);
      }
    });
  });

  describe('billing_status_active', () => {
    const withBilling = (billing_status: string) =>
      fakeClient({
        getMerchant: async () => ({ ...READY_ACCOUNT, merchant_account: { ...READY_ACCOUNT.merchant_account, billing_status } }),
        getMerchantReadiness: async () => READY_READINESS,
      });

    it.each(['active', 'Current', 'ok', 'enabled', 'paid', 'COMPLETE', 'completed', 'ready'])('passes billing in good standing (%s)', async (status) => {
      const report = await runReadiness({ ...LOCAL_OPTIONS, probe: false, client: withBilling(status) });
      expect(byName(report, 'billing_status_active')).toMatchObject({ status: 'pass', message: `Billing status is ${status}` });
    });

    it.each(['past_due', 'suspended', 'pending', 'active_pending'])('fails any other billing status (%s), naming it', async (status) => {
      const report = await runReadiness({ ...LOCAL_OPTIONS, probe: false, client: withBilling(status) });
      const check = byName(report, 'billing_status_active');
      expect(check).toMatchObject({ status: 'fail', message: `Billing status is "${status}", not active` });
      // Read from the same answer: checked too, so one run shows every account problem.
      expect(byName(report, 'merchant_status_active').status).toBe('pass');
      expect(byName(report, 'webhook_subscription_exists')).toMatchObject({ status: 'skip', reason: expect.stringContaining('billing_status_active failed') });
    });
  });

  describe('when the API answers a shape the typed client rejects', () => {
    it('fails merchant_exists saying the answer has no merchant_account, and skips the rest', async () => {
      const { fetch } = recordingFetch(() => ({ body: { data: { merchant: 'shop_one' } } }));
      const client = new DirectRequestPaymentMerchantClient({ auth_token: TEST_TOKEN, base_url: 'https://siglume.example/v1', fetch });
      const report = await runReadiness({ ...LOCAL_OPTIONS, client });
      const check = byName(report, 'merchant_exists');
      expect(check).toMatchObject({ status: 'fail', message: 'The answer for merchant shop_one has no merchant_account' });
      expect(check.status === 'fail' && check.fix).toContain('SIGLUME_API_BASE');
      expect(byName(report, 'billing_mandate')).toMatchObject({ status: 'skip', reason: 'merchant_exists failed' });
      expect(report.base_url).toBe('https://siglume.example/v1');
    });
  });

  describe('when the API base answers a page that is not JSON', () => {
    /** A server answering every request with `status` and an HTML page (an nginx 404, a proxy's 502). */
    async function pageServer(status: number): Promise<{ base: string; close: () => Promise<void> }> {
      const server = createHttpServer((_req, res) => {
        res.writeHead(status, { 'content-type': 'text/html' });
        res.end('<html><body><h1>nginx</h1></body></html>');
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      return {
        base: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`,
        close: () => new Promise<void>((r) => server.close(() => r())),
      };
    }

    it("shows the client's message with the upstream status and says to retry a 5xx page", async () => {
      const page = await pageServer(502);
      try {
        const client = new DirectRequestPaymentMerchantClient({ auth_token: TEST_TOKEN, base_url: page.base, max_retries: 0 });
        const report = await runReadiness({ ...LOCAL_OPTIONS, client, input_names: { base_url: '--base-url' } });
        for (const name of ['hosted_checkout_readiness_api', 'merchant_exists']) {
          const check = byName(report, name);
          expect(check).toMatchObject({ status: 'fail', details: { code: 'INVALID_JSON_RESPONSE', http_status: 502 } });
          expect(check.message).toContain('answered GET /sdrp/direct-payments/merchants/shop_one');
          expect(check.message).toContain('with HTTP 502 and a non-JSON page (temporarily unavailable?)');
          expect(check.message).not.toMatch(/lacks ready|has no merchant_account/);
          const fix = check.status === 'fail' ? check.fix : '';
          expect(fix).toMatch(/^Siglume or a proxy in front of it answered HTTP 502 with a page instead of the API's JSON: retry in a moment\./);
          expect(fix).toContain(`check that --base-url (now ${page.base})`);
          expect(fix).not.toContain('SIGLUME_API_BASE');
        }
      } finally {
        await page.close();
      }
    });

    it('names the base URL setting for a page of another status (a web server, not the API)', async () => {
      for (const status of [404, 200]) {
        const page = await pageServer(status);
        try {
          const report = await runReadiness({ ...LOCAL_OPTIONS, base_url: page.base });
          const check = byName(report, 'hosted_checkout_readiness_api');
          expect(check).toMatchObject({ status: 'fail', details: { code: 'INVALID_JSON_RESPONSE', http_status: status } });
          expect(check.message).toContain(`with HTTP ${status} and a body that is not JSON. Check that the base URL ${page.base} points at the Siglume API`);
          const fix = check.status === 'fail' ? check.fix : '';
          expect(fix).toBe(
            `${page.base} answered HTTP ${status} with a page that is not the Siglume API's JSON: check that SIGLUME_API_BASE (now ${page.base}) points at the Siglume API (…/v1), not at a web site or your shop.`,
          );
          expect(fix).not.toMatch(/report this to Siglume support|retry/i);
        } finally {
          await page.close();
        }
      }
    });
  });

  describe('when the API base answers a redirect', () => {
    it('says to set the base URL setting to the final URL, not to retry', async () => {
      const server = createHttpServer((_req, res) => {
        res.writeHead(302, { location: 'https://api.other.example/v1/elsewhere' });
        res.end();
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
      try {
        const report = await runReadiness({ ...LOCAL_OPTIONS, base_url: base, input_names: { base_url: '--base-url' } });
        const check = byName(report, 'hosted_checkout_readiness_api');
        expect(check).toMatchObject({ status: 'fail', details: { status: 302, code: 'UNEXPECTED_REDIRECT', location_origin: 'https://api.other.example' } });
        expect(check.message).toContain('Redirects are never followed');
        const fix = check.status === 'fail' ? check.fix : '';
        expect(fix).toBe(
          `Redirects are never followed: set --base-url (now ${base}) to the final URL of the Siglume API (it redirects to https://api.other.example), ending in /v1.`,
        );
        expect(fix).not.toMatch(/retry|support/i);
      } finally {
        await new Promise<void>((r) => server.close(() => r()));
      }
    });
  });

  describe('when the API cannot be reached', () => {
    it('fails the first API check naming the base URL and how to fix it, and makes no further call', async () => {
      const server = createServer();
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      const { port } = server.address() as { port: number };
      await new Promise<void>((r) => server.close(() => r()));
      const base = `http://127.0.0.1:${port}/v1`;
      const report = await runReadiness({ ...LOCAL_OPTIONS, base_url: base });
      const check = byName(report, 'hosted_checkout_readiness_api');
      expect(check.status).toBe('fail');
      expect(check.message).toBe(
        `Reading the Hosted Checkout readiness of shop_one failed: could not connect to ${base} (connection refused: nothing listens there)`,
      );
      expect(check.details).toMatchObject({ error_code: 'CONNECTION_ERROR', connection: 'refused' });
      expect(check.status === 'fail' && check.fix).toContain('SIGLUME_API_BASE');
      // Every later call would fail the same way: they are skipped, not each left to fail.
      expect(report.checks.filter((c) => c.status === 'fail').map((c) => c.name)).toEqual(['hosted_checkout_readiness_api']);
      expect(byName(report, 'merchant_exists')).toMatchObject({ status: 'skip', reason: 'hosted_checkout_readiness_api failed' });
    });
  });

  describe('when the base URL lacks /v1', () => {
    it('says to fix SIGLUME_API_BASE at merchant_exists instead of saying the merchant does not exist', async () => {
      const base = shop.sandbox.api_base.replace(/\/v1$/, '');
      const report = await runReadiness({ ...shop.options(), base_url: base });
      const check = byName(report, 'merchant_exists');
      expect(check).toMatchObject({ status: 'fail', details: { status: 404, code: 'ROUTE_NOT_FOUND' } });
      expect(check.message).toBe('Reading merchant sandbox_shop failed: the API has no such route (404 ROUTE_NOT_FOUND)');
      const fix = check.status === 'fail' ? check.fix : '';
      expect(fix).toContain(`check --base-url / SIGLUME_API_BASE (now ${base}); it should end in /v1`);
      expect(fix).not.toContain('setupCheckout');
      expect(byName(report, 'hosted_checkout_readiness_api').status === 'fail' && byName(report, 'hosted_checkout_readiness_api')).toMatchObject({
        fix: expect.stringContaining('it should end in /v1'),
      });
    });

    it('still says an unknown merchant does not exist (404 MERCHANT_NOT_FOUND)', async () => {
      const report = await runReadiness({ ...shop.options(), sandbox: false, shop_origin: 'https://shop.example', webhook_url: WEBHOOK_URL, merchant: 'nobody_here' });
      const check = byName(report, 'merchant_exists');
      expect(check).toMatchObject({ status: 'fail', details: { status: 404, code: 'MERCHANT_NOT_FOUND' } });
      expect(check.status === 'fail' && check.fix).toContain("setupCheckout({ merchant: 'nobody_here'");
    });
  });

  describe('when fetch refuses the port of the base URL', () => {
    it('says nothing was sent and names the port, not that the server may have acted', async () => {
      const base = 'http://127.0.0.1:6666/v1';
      for (const sandbox of [false, true]) {
        const report = await runReadiness({ ...LOCAL_OPTIONS, base_url: base, sandbox });
        const check = byName(report, 'hosted_checkout_readiness_api');
        expect(check).toMatchObject({ status: 'fail', details: { error_code: 'CONNECTION_ERROR', connection: 'not_connected' } });
        expect(check.message).toBe(
          `Reading the Hosted Checkout readiness of shop_one failed: could not connect to ${base}: fetch refuses port 6666 (a port the Fetch standard blocks for other protocols), so nothing was sent`,
        );
        const fix = check.status === 'fail' ? check.fix : '';
        expect(fix).toContain(sandbox ? 'Run the sandbox on another port' : 'no API can be reached at port 6666');
        expect(fix).not.toMatch(/may have acted/);
        // Nothing else can reach the API either: the later checks are skipped, not each left to fail.
        expect(report.checks.filter((c) => c.status === 'fail').map((c) => c.name)).toEqual(['hosted_checkout_readiness_api']);
      }
    });
  });

  describe('when something takes the connection but never answers', () => {
    it('says it timed out and points at the base URL instead of saying to start a sandbox there', async () => {
      const sockets: Socket[] = [];
      const silent = createServer((socket) => void sockets.push(socket.on('data', () => {})));
      await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
      const base = `http://127.0.0.1:${(silent.address() as AddressInfo).port}/v1`;
      try {
        for (const sandbox of [false, true]) {
          const client = new DirectRequestPaymentMerchantClient({ auth_token: TEST_TOKEN, base_url: base, timeout_ms: 150, max_retries: 0 });
          const report = await runReadiness({ ...LOCAL_OPTIONS, client, sandbox });
          const check = byName(report, 'hosted_checkout_readiness_api');
          expect(check).toMatchObject({ status: 'fail', details: { error_code: 'TIMEOUT', connection: 'timed_out' } });
          expect(check.message).toBe(`Reading the Hosted Checkout readiness of shop_one failed: timed out: ${base} did not answer within 150 ms`);
          const fix = check.status === 'fail' ? check.fix : '';
          expect(fix).toContain(`Something at ${base} took the request but did not answer within 150 ms`);
          expect(fix).toContain('not another server');
          expect(fix).not.toMatch(/start/i);
        }
      } finally {
        for (const socket of sockets) socket.destroy();
        await new Promise<void>((r) => silent.close(() => r()));
      }
    });
  });

  describe('when the connection is lost after the request was sent', () => {
    it('says the server may have acted and to run again, not to start a sandbox', async () => {
      try {
        // The readiness call is the first: a live-mode run (https shop URLs) reaches it as a sandbox run does.
        const live = { ...shop.options(), sandbox: false, shop_origin: 'https://shop.example', webhook_url: WEBHOOK_URL };
        for (const [options, hint] of [[shop.options(), 'POST /__sandbox/reset-faults'], [live, 'no proxy on the way cuts connections']] as const) {
          shop.sandbox.setFaults({ drop_connections: 3 });
          const report = await runReadiness(options);
          const check = byName(report, 'hosted_checkout_readiness_api');
          expect(check).toMatchObject({ status: 'fail', details: { error_code: 'CONNECTION_ERROR', connection: 'lost' } });
          expect(check.message).toBe(
            `Reading the Hosted Checkout readiness of sandbox_shop failed: the connection to ${shop.sandbox.api_base} was lost after the request was sent`,
          );
          const fix = check.status === 'fail' ? check.fix : '';
          expect(fix).toMatch(/^The server at \S+ may have acted on the request before the connection dropped: run readiness again\./);
          expect(fix).toContain(hint);
          expect(fix).not.toMatch(/start/i);
        }
      } finally {
        shop.sandbox.resetFaults();
      }
    });
  });

  describe('when the signal aborts during the delivery wait', () => {
    it('rejects with the abort reason instead of reporting', async () => {
      const controller = new AbortController();
      const client = fakeClient({
        getMerchant: async () => READY_ACCOUNT,
        getMerchantReadiness: async () => READY_READINESS,
        listWebhookSubscriptions: async () => READY_SUBS,
        createCheckoutSession: async () => PROBE_SESSION,
        queueWebhookTestDelivery: async () => ({ event: { id: 'evt_probe' } }),
        listWebhookDeliveries: async () => [],
      });
      setTimeout(() => controller.abort(new Error('interrupted')), 100);
      await expect(runReadiness({ ...LOCAL_OPTIONS, client, signal: controller.signal })).rejects.toThrow('interrupted');
    });
  });
});
