import { describe, expect, it } from 'vitest';
import { suggestKey } from '../../src/core/errors.js';

describe('suggestKey', () => {
  const known = ['base_url', 'auth_token', 'tolerance_seconds', 'max_retries', 'amount_minor', 'allowance_amount_minor', 'error_503_rate'];

  it.each([
    ['baseUrl', 'base_url'],
    ['authToken', 'auth_token'],
    ['error503Rate', 'error_503_rate'],
    ['tolerance', 'tolerance_seconds'],
    ['amount', 'amount_minor'],
    ['toleranceSeconds', 'tolerance_seconds'],
  ])('suggests %s -> %s', (unknown, meant) => {
    expect(suggestKey(unknown, known)).toBe(meant);
  });

  it.each(['note', 'retries', 'retry', 'url'])('suggests nothing for %s (no known key it plainly stands for)', (unknown) => {
    expect(suggestKey(unknown, known)).toBeUndefined();
  });

  it('prefers a listed rename, which no spelling rule can find', () => {
    expect(suggestKey('token', ['merchant_token', 'buyer_token'], { token: 'merchant_token' })).toBe('merchant_token');
    expect(suggestKey('token', ['merchant_token', 'buyer_token'])).toBeUndefined();
  });

  it('ignores inherited names in the rename list', () => {
    expect(suggestKey('toString', ['to_string'], {})).toBe('to_string');
    expect(suggestKey('constructor', known, {})).toBeUndefined();
  });
});
