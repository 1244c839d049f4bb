import { describe, expect, it } from 'vitest';
import { envSecretValues, redactShown } from '../../src/cli/env-secrets.js';

describe('envSecretValues', () => {
  it('keeps the package\'s secret variables from 8 characters, and leaves a shorter test value unmasked', () => {
    const known = envSecretValues({ SIGLUME_MERCHANT_AUTH_TOKEN: 't', SIGLUME_WEBHOOK_SECRET: 'whsec_12', SIGLUME_RECONCILE_TOKEN: 'short' });
    expect(known).toEqual(['whsec_12']);
    expect(redactShown('createOrderStore() started at the store', known)).toBe('createOrderStore() started at the store');
  });
});
