/**
 * Both SDK clients against the sandbox: every method at least once, plus the
 * error envelopes a merchant meets and the retries under injected faults. The
 * whole suite runs twice: over the sandbox's socket (the clients' own undici
 * transport) and in-process through `handle.fetch` (the clients' `fetch`
 * option), with no socket at all.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDirectRequestPaymentChallenge } from '../../src/challenges/challenge.js';
import { DirectRequestPaymentClient } from '../../src/clients/buyer.js';
import { DirectRequestPaymentMerchantClient } from '../../src/clients/merchant.js';
import { buildPreparedTransactionExecutionPayload } from '../../src/clients/payloads.js';
import {
  HostedCheckoutNotAvailableError,
  SiglumeApiError,
  SiglumeAuthenticationError,
  SiglumeNotFoundError,
  SiglumePermissionError,
  SiglumeValidationError,
} from '../../src/core/errors.js';
import type { FetchLike } from '../../src/core/transport-types.js';
import type { SandboxHandle } from '../../src/sandbox/index.js';
import { classifyDirectPaymentConfirmation } from '../../src/webhooks/classify.js';
import { verifyDirectRequestPaymentWebhook } from '../../src/webhooks/event.js';
import { TRANSPORTS, clientFetch, sandboxFor, startReceiver, waitFor, type WebhookReceiver } from './helpers.js';

async function caught(p: Promise<unknown>): Promise<unknown> {
  return p.then(
    () => {
      throw new Error('expected a rejection');
    },
    (e: unknown) => e,
  );
}

let receiver: WebhookReceiver;

beforeAll(async () => {
  receiver = await startReceiver();
});

afterAll(() => receiver.close());

describe.each(TRANSPORTS)('clients against the sandbox $name', ({ inProcess }) => {
  let sandbox: SandboxHandle;
  let merchant: DirectRequestPaymentMerchantClient;
  let buyer: DirectRequestPaymentClient;
  let provider: DirectRequestPaymentClient;

  beforeAll(async () => {
    sandbox = await sandboxFor(receiver, {}, inProcess);
    const fetch = clientFetch(sandbox, inProcess);
    merchant = new DirectRequestPaymentMerchantClient({ base_url: sandbox.api_base, auth_token: sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN, fetch });
    buyer = new DirectRequestPaymentClient({ base_url: sandbox.api_base, auth_token: sandbox.buyer_token, fetch });
    provider = new DirectRequestPaymentClient({ base_url: sandbox.api_base, auth_token: sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN, fetch });
  });

  afterAll(() => sandbox.close());

  const returnUrls = () => ({ success_url: `${receiver.origin}/checkout/siglume/success`, cancel_url: `${receiver.origin}/checkout/siglume/cancel` });

  describe('merchant client against the sandbox', () => {
    let secret = '';

    it('sets up, reads, rotates and mandates a merchant', async () => {
      const setup = await merchant.setupMerchant({ merchant: 'E2E_Shop', allowed_currencies: ['JPY', 'USD'], checkout_allowed_origins: [receiver.origin] });
      expect(setup.created).toBe(true);
      expect(setup.challenge_secret).toMatch(/^sdrp_cs_/);
      expect(setup.merchant_account).toMatchObject({ merchant: 'e2e_shop', billing_status: 'pending_mandate', billing_mandate_id: null });

      const again = await merchant.setupMerchant({ merchant: 'e2e_shop', display_name: 'E2E Shop' });
      expect(again.created).toBe(false);
      expect(again.challenge_secret).toBeUndefined();

      const read = await merchant.getMerchant('e2e_shop');
      expect(read.merchant_account.display_name).toBe('E2E Shop');
      expect(read.challenge_secret).toBeUndefined();

      const rotated = await merchant.rotateChallengeSecret('e2e_shop');
      expect(rotated.challenge_secret).not.toBe(setup.challenge_secret);
      secret = rotated.challenge_secret;

      const mandate = await merchant.prepareBillingMandate('e2e_shop', { max_amount_minor: 100_000 });
      expect(mandate.billing_mandate_id).toMatch(/^mandate_/);
      expect(mandate.merchant_account?.billing_status).toBe('active');
    });

    it('runs setupCheckout end to end, returning the env the shop needs', async () => {
      const result = await merchant.setupCheckout({
        merchant: 'e2e_setup',
        webhook_callback_url: receiver.url,
        checkout_allowed_origins: [receiver.origin],
      });
      expect(result.billing_mandate?.status).toBe('active');
      expect(result.webhook_subscription?.callback_url).toBe(receiver.url);
      expect(result.env.SIGLUME_DIRECT_PAYMENT_MERCHANT).toBe('e2e_setup');
      expect(result.env.SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET).toMatch(/^sdrp_cs_/);
      expect(result.env.SIGLUME_WEBHOOK_SECRET).toMatch(/^whsec_/);
      // The sandbox starts with a subscription to receiver.url: the new one is created anyway, with a note.
      expect(result.notes).toEqual([expect.stringMatching(/^Subscription \S+ already delivers to this URL/)]);
    });

    it('creates and reads a checkout session', async () => {
      const created = await merchant.createCheckoutSession({ merchant: 'e2e_shop', amount_minor: 4200, currency: 'jpy', nonce: 'e2e-1', ...returnUrls() });
      const expected = await createDirectRequestPaymentChallenge({ secret, merchant: 'e2e_shop', amount_minor: 4200, currency: 'JPY', nonce: 'e2e-1' });
      expect(created.challenge_hash).toBe(expected.challenge_hash);
      expect(created.checkout_url).toBe(`${sandbox.url}/pay/${created.session_id}`);
      const read = await merchant.getCheckoutSession(created.session_id);
      expect(read).toMatchObject({ status: 'open', currency: 'JPY', token_symbol: 'JPYC', pricing_band: 'standard', protocol_fee_minor: '76' });
    });

    it('names the rejected field on the API error (error.field of the 422)', async () => {
      await merchant.setupMerchant({ merchant: 'e2e_jpy_only', allowed_currencies: ['JPY'] });
      const input = { merchant: 'e2e_jpy_only', amount_minor: 500, currency: 'USD', nonce: 'e2e-usd', ...returnUrls() };
      const error = await merchant.createCheckoutSession(input).catch((e: unknown) => e);
      expect(error).toMatchObject({ status: 422, code: 'VALIDATION_ERROR', field: 'currency' });
      expect((error as Error).message).toMatch(/USD is not an allowed currency/);
    });

    it('creates, lists, test-delivers and logs webhooks', async () => {
      const sub = await merchant.createWebhookSubscription({ callback_url: receiver.url, event_types: ['subscription.created'] });
      expect(sub.signing_secret).toMatch(/^whsec_/);
      const subs = await merchant.listWebhookSubscriptions();
      const listed = subs.find((s) => s.id === sub.id)!;
      expect(listed.signing_secret).toBeUndefined();
      expect(sub.signing_secret!.endsWith(listed.signing_secret_hint!)).toBe(true);

      const queued = await merchant.queueWebhookTestDelivery({ event_type: 'subscription.created', data: { plan: 'monthly' }, subscription_ids: [sub.id] });
      const delivered = await waitFor(async () => {
        const log = await merchant.listWebhookDeliveries({ subscription_id: sub.id, event_type: 'subscription.created', limit: 10 });
        return log.find((d) => d.event_id === queued.event.id && d.delivery_status === 'delivered');
      });
      expect(delivered.response_status).toBe(204);
      const onlyDelivered = await merchant.listWebhookDeliveries({ status: 'delivered' });
      expect(onlyDelivered.every((d) => d.delivery_status === 'delivered')).toBe(true);
    });

    describe('when the API answers with an error envelope', () => {
      it('throws typed errors carrying status, code and request_id', async () => {
        const missing = await caught(merchant.getMerchant('nobody_here'));
        expect(missing).toBeInstanceOf(SiglumeNotFoundError);
        expect(missing).toMatchObject({ status: 404, code: 'MERCHANT_NOT_FOUND' });
        expect((missing as SiglumeApiError).request_id).toMatch(/^req_/);

        const foreign = await caught(
          merchant.createCheckoutSession({ merchant: 'e2e_shop', amount_minor: 900, currency: 'JPY', nonce: 'f1', success_url: 'https://evil.example/ok', cancel_url: 'https://evil.example/no' }),
        );
        expect(foreign).toMatchObject({ status: 422, code: 'VALIDATION_ERROR' });

        const noSession = await caught(merchant.getCheckoutSession('cs_missing'));
        expect(noSession).toBeInstanceOf(SiglumeNotFoundError);
        expect(noSession).not.toBeInstanceOf(HostedCheckoutNotAvailableError);

        const wrongToken = new DirectRequestPaymentMerchantClient({ base_url: sandbox.api_base, auth_token: 'sdrp_wrong_token_1', fetch: clientFetch(sandbox, inProcess) });
        const unauthorized = await caught(wrongToken.listWebhookSubscriptions());
        expect(unauthorized).toBeInstanceOf(SiglumeAuthenticationError);
        expect(String((unauthorized as Error).message)).not.toContain('sdrp_wrong_token_1');
      });

      it('refuses a return URL carrying CR/LF before anything is sent, naming the field', async () => {
      const before = sandbox.listCheckoutSessions().length;
      const bad = await caught(
        merchant.createCheckoutSession({ merchant: 'sandbox_shop', amount_minor: 900, currency: 'JPY', nonce: 'crlf-1', ...returnUrls(), cancel_url: `${receiver.origin}/no\r\nSet-Cookie: x=1` }),
      );
      expect(bad).toBeInstanceOf(SiglumeValidationError);
      expect(bad).toMatchObject({ field: 'cancel_url' });
      expect(sandbox.listCheckoutSessions()).toHaveLength(before);
    });

    it('reports Hosted Checkout being off (409 and 404) as HostedCheckoutNotAvailableError', async () => {
        const input = { merchant: 'sandbox_shop', amount_minor: 501, currency: 'JPY', nonce: 'hc-e2e', ...returnUrls() };
        try {
          sandbox.setScenario('hosted_checkout_disabled_409');
          const e409 = await caught(merchant.createCheckoutSession(input));
          expect(e409).toBeInstanceOf(HostedCheckoutNotAvailableError);
          expect(e409).toMatchObject({ upstream_status: 409, upstream_code: 'HOSTED_CHECKOUT_NOT_ENABLED' });

          sandbox.setScenario('hosted_checkout_disabled_404');
          const e404 = await caught(merchant.createCheckoutSession(input));
          expect(e404).toBeInstanceOf(HostedCheckoutNotAvailableError);
          expect(e404).toMatchObject({ upstream_status: 404, upstream_code: 'ROUTE_NOT_FOUND' });
          expect(await caught(merchant.getCheckoutSession('cs_any'))).toBeInstanceOf(HostedCheckoutNotAvailableError);
        } finally {
          sandbox.setScenario('ready');
        }
      });
    });

    describe('when the sandbox injects transient faults', () => {
      it('retries 503, 429 and a dropped connection with one idempotency key, creating one session each', async () => {
        const statuses: number[] = [];
        const flaky = await sandboxFor(receiver, {
          onLog: (e) => {
            if (e.kind === 'request' && e.path.endsWith('/checkout-sessions')) statuses.push(e.status);
          },
        }, inProcess);
        const client = new DirectRequestPaymentMerchantClient({ base_url: flaky.api_base, auth_token: flaky.env.SIGLUME_MERCHANT_AUTH_TOKEN, fetch: clientFetch(flaky, inProcess) });
        const create = (nonce: string) =>
          client.createCheckoutSession({ merchant: 'sandbox_shop', amount_minor: 800, currency: 'JPY', nonce, ...returnUrls() });
        try {
          flaky.setFaults({ drop_connections: 1 });
          const a = await create('flaky-1');
          flaky.setFaults({ rate_limit: { count: 1, retry_after_seconds: 0 } });
          const b = await create('flaky-2');
          flaky.setFaults({ rate_limit: { count: 0, retry_after_seconds: 0 }, error_503_rate: 1 });
          const pending = create('flaky-3');
          await waitFor(() => (statuses.includes(503) ? true : undefined));
          flaky.resetFaults();
          const c = await pending;
          expect(new Set([a.session_id, b.session_id, c.session_id]).size).toBe(3);
          // The dropped connection leaves no log line; the 429 and the 503 do, each followed by a 201.
          expect(statuses).toEqual([201, 429, 201, 503, 201]);
          expect(flaky.listCheckoutSessions().map((s) => s.session_id)).toHaveLength(3);
        } finally {
          await flaky.close();
        }
      });

      it('creates one session when every attempt times out client-side but still runs server-side', async () => {
        const slow = await sandboxFor(receiver, {}, inProcess);
        const client = new DirectRequestPaymentMerchantClient({
          base_url: slow.api_base, auth_token: slow.env.SIGLUME_MERCHANT_AUTH_TOKEN, timeout_ms: 150, max_retries: 2, fetch: clientFetch(slow, inProcess),
        });
        const input = { merchant: 'sandbox_shop', amount_minor: 800, currency: 'JPY', nonce: 'slow-1', ...returnUrls() };
        try {
          slow.setFaults({ latency_ms: 300 });
          expect(await caught(client.createCheckoutSession(input, { idempotency_key: 'slow-key-1' }))).toMatchObject({ code: 'TIMEOUT' });
          await new Promise((r) => setTimeout(r, 400)); // let the server finish the abandoned attempts
          slow.resetFaults();
          const replayed = await client.createCheckoutSession(input, { idempotency_key: 'slow-key-1' });
          expect(slow.listCheckoutSessions().map((s) => s.session_id)).toEqual([replayed.session_id]);
        } finally {
          await slow.close();
        }
      });
    });
  });

  describe('buyer and provider client against the sandbox', () => {
    it('creates, reads, approves, pays and verifies a requirement; the shop gets a standard_settled event', async () => {
      const secret = (await merchant.rotateChallengeSecret('sandbox_shop')).challenge_secret;
      const challenge = await createDirectRequestPaymentChallenge({ secret, merchant: 'sandbox_shop', amount_minor: 4200, currency: 'JPY', nonce: 'buyer-1' });
      const requirement = await buyer.createPaymentRequirement({
        merchant: 'sandbox_shop',
        amount_minor: 4200,
        currency: 'JPY',
        challenge: challenge.challenge,
        allowance_amount_minor: 4200,
        metadata: { order_id: 'b-1' },
      });
      expect(requirement).toMatchObject({ status: 'requires_payment', mode: 'external_402', challenge_hash: challenge.challenge_hash, pricing_band: 'standard' });

      const read = await buyer.getPaymentRequirement(requirement.requirement_id);
      expect(read.approve_transaction_request).toBeTruthy();
      // The ERC-20 calls carry the amount in the token's base units: 4200 JPYC at 18 decimals, not 4200 wei.
      const amountWord = (tx: unknown) => BigInt(`0x${String((tx as { data: string }).data).slice(-64)}`);
      expect(amountWord(read.transaction_request)).toBe(4200n * 10n ** 18n);
      expect(amountWord(read.approve_transaction_request)).toBe(4200n * 10n ** 18n);

      const approval = await buyer.executeAllowanceTransaction(read);
      expect(approval).toMatchObject({ status: 'confirmed', receipt_kind: 'sdrp_direct_payment_allowance' });

      receiver.received.length = 0;
      const receipt = await buyer.executePaymentTransaction(read, { await_finality: true, metadata: { source: 'e2e' } });
      expect(receipt.status).toBe('confirmed');
      expect(receipt.chain_receipt_id).toMatch(/^chr_/);

      const verification = await buyer.verifyPaymentRequirement(requirement.requirement_id, { receipt_id: receipt.receipt_id!, await_finality: true });
      expect(verification).toMatchObject({ verified: true, status: 'paid', settlement_status: 'settled', chain_receipt_id: receipt.chain_receipt_id });

      const [delivery] = receiver.received;
      const { event } = await verifyDirectRequestPaymentWebhook('whsec_sandbox_secret', delivery!.rawBody, delivery!.headers['siglume-signature'] as string);
      const classified = classifyDirectPaymentConfirmation(event);
      expect(classified.kind).toBe('standard_settled');
      expect(event.data).toMatchObject({ requirement_id: requirement.requirement_id, request_hash_v2: requirement.request_hash_v2, metadata: { order_id: 'b-1' } });

      const twice = await caught(buyer.executePaymentTransaction(read));
      expect(twice).toMatchObject({ status: 409, code: 'REQUIREMENT_ALREADY_PAID' });

      // The challenge with its signature upper-cased verifies too, and is the same challenge: no second requirement.
      const variant = challenge.challenge.replace(/[^:]+$/, (signature) => signature.toUpperCase());
      const again = await buyer.createPaymentRequirement({ merchant: 'sandbox_shop', amount_minor: 4200, currency: 'JPY', challenge: variant });
      expect(again).toMatchObject({ created: false, requirement_id: requirement.requirement_id, challenge_hash: challenge.challenge_hash, status: 'paid' });
    });

    it('rejects what it must: a forged challenge, an allowance that does not exist, the buyer token on provider routes', async () => {
      const forged = await caught(
        buyer.createPaymentRequirement({ merchant: 'sandbox_shop', amount_minor: 100, currency: 'JPY', challenge: 'siglume-external-402-v1:n:ffff' }),
      );
      expect(forged).toMatchObject({ status: 422, code: 'INVALID_CHALLENGE' });
      expect(await caught(buyer.executeAllowanceTransaction({ requirement_id: 'dpr_x', transaction_request: {} }))).toBeInstanceOf(SiglumeValidationError);
      expect(await caught(buyer.getProviderMeteredSummary())).toBeInstanceOf(SiglumePermissionError);
    });

    it('builds metered statements from Micro / Nano payments for buyer and provider', async () => {
      const secret = (await merchant.rotateChallengeSecret('sandbox_shop')).challenge_secret;
      for (const [amount, nonce] of [[300, 'm-1'], [20, 'n-1']] as const) {
        const c = await createDirectRequestPaymentChallenge({ secret, merchant: 'sandbox_shop', amount_minor: amount, currency: 'JPY', nonce });
        const r = await buyer.createPaymentRequirement({ merchant: 'sandbox_shop', amount_minor: amount, currency: 'JPY', challenge: c.challenge });
        const executed = await buyer.executePreparedTransaction(buildPreparedTransactionExecutionPayload(r));
        expect(executed).toMatchObject({ status: 'confirmed', chain_receipt_id: null });
      }

      const summary = await buyer.getBuyerMeteredSummary({ token_symbol: 'jpyc' });
      expect(summary).toMatchObject({ usage_event_count: 2, buyer_debit_minor: '320', pending_settlement_minor: '320' });
      const usage = await buyer.listBuyerUsageEvents({ plan_type: 'micro', limit: 1 });
      expect(usage.items).toHaveLength(1);
      expect(usage.items[0]).toMatchObject({ amount_minor: '300', protocol_fee_minor: '2' });
      const buyerBatches = await buyer.listBuyerSettlementBatches({ plan_type: 'nano' });
      expect(buyerBatches.items[0]).toMatchObject({ settlement_cadence: 'monthly', gross_amount_minor: '20' });

      const providerSummary = await provider.getProviderMeteredSummary({ token_symbol: 'JPYC' });
      expect(providerSummary).toMatchObject({ gross_amount_minor: '320', protocol_fee_minor: '2.2', provider_receivable_minor: '317.8' });
      const providerUsage = await provider.listProviderUsageEvents({ status: 'pending_settlement' });
      expect(providerUsage.items).toHaveLength(2);
      const batches = await provider.listProviderSettlementBatches({ plan_type: 'micro', limit: 5 });
      expect(batches.next_cursor).toBeNull();
      const batch = await provider.getProviderSettlementBatch(batches.items[0]!.settlement_batch_id!, { capability_key: 'direct_request_payment' });
      expect(batch).toMatchObject({ plan_type: 'micro', status: 'open', usage_event_count: 1 });
      expect(await caught(provider.getProviderSettlementBatch('msb_missing'))).toBeInstanceOf(SiglumeNotFoundError);
    });
  });
});

describe('handle.fetch as a client transport', () => {
  it('is taken as is (`fetch: sandbox.fetch`: detached, with fetch arguments) and still takes a Request alone', async () => {
    const sandbox = await sandboxFor(receiver, {}, true);
    try {
      // Type-level: assignable to the clients' FetchLike under strict TS (was `(request: Request) => ...`).
      const asClientFetch: FetchLike = sandbox.fetch;
      const auth_token = sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN;
      const merchant = new DirectRequestPaymentMerchantClient({ base_url: sandbox.api_base, auth_token, fetch: sandbox.fetch, max_retries: 0 });
      await expect(merchant.listWebhookSubscriptions()).resolves.toBeDefined();
      const { fetch } = sandbox;
      expect((await fetch(`${sandbox.url}/`)).status).toBe(200);
      expect((await fetch(new URL(`${sandbox.url}/v1/market/webhooks/subscriptions`), { headers: { Authorization: `Bearer ${auth_token}` } })).status).toBe(200);
      expect((await sandbox.fetch(new Request(`${sandbox.url}/`))).status).toBe(200);
      expect(asClientFetch).toBe(sandbox.fetch);
    } finally {
      await sandbox.close();
    }
  });
});
