import { describe, expect, it } from 'vitest';
import { readinessInputSource, readinessOptionsFromEnv } from '../../src/readiness/env.js';

describe('readinessInputSource', () => {
  describe('when a validation error names a readiness input', () => {
    it.each([
      ['merchant', 'SIGLUME_DIRECT_PAYMENT_MERCHANT (or pass --merchant)'],
      ['SHOP_PUBLIC_ORIGIN', 'SHOP_PUBLIC_ORIGIN (or pass --origin)'],
      ['auth_token', 'SIGLUME_MERCHANT_AUTH_TOKEN (or SIGLUME_AUTH_TOKEN)'],
      ['SIGLUME_AUTH_TOKEN', 'SIGLUME_MERCHANT_AUTH_TOKEN (or SIGLUME_AUTH_TOKEN)'],
      ['webhook_secret', 'SIGLUME_WEBHOOK_SECRET'],
      ['base_url', 'SIGLUME_API_BASE (or pass --base-url)'],
    ])('names where %s is set', (field, source) => {
      expect(readinessInputSource(field)).toBe(source);
    });
  });

  describe('when the field is not a readiness input', () => {
    it('returns null', () => {
      expect(readinessInputSource('checkout_allowed_origins[0]')).toBeNull();
    });
  });
});

describe('readinessOptionsFromEnv', () => {
  describe('when the environment sets the inputs', () => {
    it('maps them, prefers the merchant token and treats empty values as unset', () => {
      const options = readinessOptionsFromEnv({
        SIGLUME_DIRECT_PAYMENT_MERCHANT: 'shop_one',
        SIGLUME_MERCHANT_AUTH_TOKEN: 'tok_merchant',
        SIGLUME_AUTH_TOKEN: 'tok_fallback',
        SHOP_PUBLIC_ORIGIN: '',
        SIGLUME_DIRECT_PAYMENT_TEST_CURRENCY: 'usd',
        SIGLUME_DIRECT_PAYMENT_TEST_AMOUNT_MINOR: '301',
      });
      expect(options).toEqual({ merchant: 'shop_one', auth_token: 'tok_merchant', currency: 'USD', amount_minor: 301 });
    });
  });
});

describe('readinessOptionsFromEnv with SIGLUME_ENV', () => {
  describe('when SIGLUME_ENV is sandbox (any case, trimmed)', () => {
    it.each([
      [{ SIGLUME_ENV: ' Sandbox ' }, 'http://127.0.0.1:8787/v1'],
      [{ SIGLUME_ENV: 'sandbox', SIGLUME_SANDBOX_API_BASE: 'http://127.0.0.1:9911/v1' }, 'http://127.0.0.1:9911/v1'],
      [{ SIGLUME_ENV: 'SANDBOX', SIGLUME_SANDBOX_API_BASE: 'http://127.0.0.1:9911/v1', SIGLUME_API_BASE: 'http://localhost:7000/v1' }, 'http://localhost:7000/v1'],
    ])('selects sandbox mode and the API base (%j)', (env, base_url) => {
      expect(readinessOptionsFromEnv(env)).toEqual({ sandbox: true, base_url });
    });
  });

  describe('when the caller selects sandbox mode (a CLI\'s --sandbox) and SIGLUME_ENV does not', () => {
    it.each([
      [{}, 'http://127.0.0.1:8787/v1'],
      [{ SIGLUME_SANDBOX_API_BASE: 'http://127.0.0.1:9911/v1' }, 'http://127.0.0.1:9911/v1'],
      [{ SIGLUME_ENV: 'production', SIGLUME_SANDBOX_API_BASE: 'http://127.0.0.1:9911/v1' }, 'http://127.0.0.1:9911/v1'],
      [{ SIGLUME_SANDBOX_API_BASE: 'http://127.0.0.1:9911/v1', SIGLUME_API_BASE: 'http://localhost:7000/v1' }, 'http://localhost:7000/v1'],
    ])('reads the sandbox API base as SIGLUME_ENV=sandbox would (%j)', (env, base_url) => {
      expect(readinessOptionsFromEnv(env, { sandbox: true })).toEqual({ sandbox: true, base_url });
    });
  });

  describe('when SIGLUME_ENV is anything else', () => {
    it.each([[{ SIGLUME_ENV: 'production' }], [{ SIGLUME_ENV: '' }], [{ SIGLUME_SANDBOX_API_BASE: 'http://127.0.0.1:9911/v1' }]])(
      'leaves sandbox mode and the base URL alone (%j)',
      (env) => {
        expect(readinessOptionsFromEnv(env)).toEqual({});
      },
    );
  });
});
