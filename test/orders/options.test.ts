import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DirectRequestPaymentMerchantClient } from '../../src/clients/merchant.js';
import { SiglumeValidationError } from '../../src/core/errors.js';
import { OrderAuthorizationRequiredError, createOrderCheckoutService, type OrderCheckoutServiceOptions, type OrderStore } from '../../src/orders/index.js';

const store = Object.fromEntries(
  ['findOrder', 'beginCheckoutAttempt', 'markCheckoutPending', 'markCheckoutFailed', 'previewWebhookEvent', 'processWebhookEvent',
    'listUnpaidCheckoutAttempts', 'retireCheckoutAttempt'].map((m) => [m, async () => null]),
) as unknown as OrderStore;
const valid: OrderCheckoutServiceOptions<string> = {
  merchant_client: new DirectRequestPaymentMerchantClient({ auth_token: 'sdrp_token_for_options', base_url: 'http://127.0.0.1:9/v1' }),
  order_store: store,
  merchant: 'shop_test',
  webhook_secret: 'whsec_options',
  shop_public_origin: 'https://shop.example',
  authorize_order: () => true,
};
const build = (over: Record<string, unknown>) => () => createOrderCheckoutService({ ...valid, ...over } as OrderCheckoutServiceOptions<string>);

describe('shop_base_path', () => {
  /** The success / cancel URLs of the session the service asks for. */
  async function returnUrls(over: Record<string, unknown>) {
    const asked: Array<{ success_url: string; cancel_url: string }> = [];
    const order = { order_id: 'o 1', amount_minor: 4200, currency: 'JPY' as const, status: 'pending' as const, owner_id: 'alice' };
    const service = createOrderCheckoutService<string>({
      ...valid,
      ...over,
      merchant_client: {
        createCheckoutSession: async (input: { success_url: string; cancel_url: string }) => {
          asked.push(input);
          return { session_id: 'cs_1', checkout_url: 'https://pay.example/cs_1', challenge_hash: 'h', status: 'open', expires_at: null };
        },
        getCheckoutSession: async () => {
          throw new Error('not asked');
        },
      } as unknown as OrderCheckoutServiceOptions<string>['merchant_client'],
      order_store: {
        ...store,
        findOrder: async () => order,
        beginCheckoutAttempt: async () => ({ kind: 'create', order, attempt: { attempt_id: 'a1', order_id: order.order_id, nonce: 'n1', amount_minor: 4200, currency: 'JPY' } }),
        markCheckoutPending: async () => true,
      } as unknown as OrderStore,
    } as OrderCheckoutServiceOptions<string>);
    const started = await service.startCheckout('o 1', 'alice');
    expect(started.kind).toBe('redirect');
    return asked.map(({ success_url, cancel_url }) => [success_url, cancel_url]);
  }

  it('puts the success and cancel pages under the path the shop is served under', async () => {
    expect(await returnUrls({ shop_base_path: '/store/' })).toEqual([[
      'https://shop.example/store/checkout/siglume/success?order_id=o%201', 'https://shop.example/store/checkout/siglume/cancel?order_id=o%201',
    ]]);
    for (const root of [undefined, '', '/']) {
      expect(await returnUrls({ shop_base_path: root })).toEqual([[
        'https://shop.example/checkout/siglume/success?order_id=o%201', 'https://shop.example/checkout/siglume/cancel?order_id=o%201',
      ]]);
    }
    expect(build({ shop_base_path: '/a/b-c_d.e~f/v2' })).not.toThrow();
  });

  it('answers an origin with a path by naming shop_base_path', () => {
    expect(build({ shop_public_origin: 'https://shop.example/store/' })).toThrow(
      'Invalid shop_public_origin: must be an origin only, without a path, query or fragment; a shop served under a path keeps the origin here and sets shop_base_path (SHOP_BASE_PATH in the templates) to /store',
    );
  });
});

describe('createOrderCheckoutService', () => {
  it('accepts valid options, a list of secrets while rotating, and an explicit opt-out of authorization', () => {
    expect(build({})).not.toThrow();
    expect(build({ webhook_secret: ['whsec_new', 'whsec_old'] })).not.toThrow();
    expect(build({ authorize_order: undefined, allow_unverified_order_lookup: true })).not.toThrow();
  });

  it('fails closed without authorize_order: OrderAuthorizationRequiredError unless the opt-out is literally true', () => {
    for (const optOut of [undefined, false, 'true', 1]) {
      expect(build({ authorize_order: undefined, allow_unverified_order_lookup: optOut })).toThrow(OrderAuthorizationRequiredError);
    }
    expect(build({ authorize_order: undefined })).toThrow(expect.objectContaining({ code: 'ORDER_AUTHORIZATION_REQUIRED' }));
  });

  const bad: Array<[string, Record<string, unknown>]> = [
    ['merchant', { merchant: 'ab' }],
    ['merchant', { merchant: 42 }],
    ['webhook_secret', { webhook_secret: '' }],
    ['webhook_secret', { webhook_secret: [] }],
    // A newline from a secret file or a space from .env quoting: every delivery would fail its signature.
    ['webhook_secret', { webhook_secret: 'whsec_options\n' }],
    ['webhook_secret[1]', { webhook_secret: ['whsec_options', ' '] }],
    ['shop_public_origin', { shop_public_origin: 'http://shop.example' }],
    ['shop_public_origin', { shop_public_origin: 'https://shop.example/path' }],
    ['merchant_client', { merchant_client: {} }],
    ['order_store', { order_store: { findOrder: () => null } }],
    ['authorize_order', { authorize_order: 'yes' }],
    ['creation_lease_seconds', { creation_lease_seconds: -1 }],
    ['webhook_tolerance_seconds', { webhook_tolerance_seconds: 1.5 }],
    ['onError', { onError: 'console.error' }],
    ['onReview', { onReview: true }],
    // A path the buyer's browser or a proxy could read another way, or that is no path at all.
    ...['store', '/store?x=1', '/store#top', '/a/../b', '/a/./b', '/a//b', '/%2e%2e', '/a b', '/a\r\nb', '/a;b', '/a\\b', 42, `/${'a'.repeat(200)}`]
      .map((shop_base_path): [string, Record<string, unknown>] => ['shop_base_path', { shop_base_path }]),
  ];
  it.each(bad)('throws a SiglumeValidationError naming %s', (field, over) => {
    let error: unknown;
    try {
      build(over)();
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(SiglumeValidationError);
    expect((error as SiglumeValidationError).field.startsWith(field)).toBe(true);
    expect(String((error as Error).message)).not.toContain('whsec_options');
  });

  describe('reconcile_token', () => {
    // Long enough, yet guessable; the token guards a route that makes the shop ask Siglume about every open session.
    const weak = [
      'a'.repeat(32),
      'ab'.repeat(16),
      '0123456789abcdef'.repeat(2),
      `${'0123456789abcdef'.repeat(2)}0123`, // a repeat cut short is still one
      'Passw0rd!'.repeat(4),
      `${'0'.repeat(31)}1`,
      'aaaaaaaaaaaaaaaabbbbbbbbbbbbbbbbccccccc',
    ];
    it.each(weak)('refuses %s as too predictable, naming the option and how to make one, not echoing it', (token) => {
      let error: unknown;
      try {
        build({ reconcile_token: token })();
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(SiglumeValidationError);
      expect((error as SiglumeValidationError).field).toBe('reconcile_token');
      expect((error as Error).message).toMatch(/^Invalid reconcile_token: .*openssl rand -hex 32/);
      expect((error as Error).message).not.toContain(token);
    });

    it('refuses a token of the wrong length or with spaces as before, without echoing it', () => {
      for (const token of ['short', 'x'.repeat(257), `${randomBytes(20).toString('hex')} x`]) {
        expect(build({ reconcile_token: token })).toThrow(expect.objectContaining({ field: 'reconcile_token' }));
        expect(build({ reconcile_token: token })).not.toThrow(token);
      }
    });

    it('accepts every random token the docs suggest, and a long readable one', () => {
      // 2,000 of each of `openssl rand -hex 32` (64 hex characters), a base64url 32-byte token (43 characters) and
      // 32 random decimal digits. The rule refuses fewer than 5 different characters, or the whole token one
      // sequence repeated. P(fewer than 5 different) is 5e-36, 1e-46 and 4e-11 for these (exact occupancy sums, see
      // src/orders/options.ts); a whole-token repeat needs at least half the characters to match by chance, below
      // 1e-14 for 32 digits. Over these 6,000 tokens the test fails by chance with probability below 1e-7.
      const digits = () => Array.from(randomBytes(32), (b) => String(b % 10)).join(''); // near-uniform: a bias of 6/256
      for (let i = 0; i < 2000; i++) {
        expect(build({ reconcile_token: randomBytes(32).toString('hex') })).not.toThrow();
        expect(build({ reconcile_token: randomBytes(32).toString('base64url') })).not.toThrow();
        expect(build({ reconcile_token: digits() })).not.toThrow();
      }
      expect(build({ reconcile_token: 'reconcile_template_e2e_0123456789abcdef' })).not.toThrow();
    });
  });

  it('allows http for a loopback shop origin (development against the sandbox)', () => {
    expect(build({ shop_public_origin: 'http://127.0.0.1:3000' })).not.toThrow();
  });
});
