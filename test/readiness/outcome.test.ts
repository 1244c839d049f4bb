/**
 * The fix readiness gives when the API refuses the merchant token names where
 * the right token is: the sandbox's start-up output in sandbox mode, the
 * environment's token otherwise.
 */
import { describe, expect, it } from 'vitest';
import { SiglumeAuthenticationError } from '../../src/core/errors.js';
import { apiFailure } from '../../src/readiness/outcome.js';

const refused = () => new SiglumeAuthenticationError({ status: 401, code: 'UNAUTHORIZED', message: 'The bearer token is not valid' });

describe('apiFailure for a refused merchant token', () => {
  it('points at the token the sandbox printed when the target is a sandbox', () => {
    const outcome = apiFailure({ base_url: 'http://127.0.0.1:8787/v1', sandbox: true }, 'Reading the merchant', refused());
    expect(outcome).toMatchObject({ status: 'fail', message: 'Reading the merchant failed: 401 UNAUTHORIZED: The bearer token is not valid' });
    expect(outcome.fix).toBe(
      'The API rejected the merchant token: set SIGLUME_MERCHANT_AUTH_TOKEN to the value the sandbox printed for it when it started (its default unless it was started with --token).',
    );
  });

  it('asks for a valid token of the environment otherwise', () => {
    const outcome = apiFailure({ base_url: 'https://siglume.com/v1', sandbox: false }, 'Reading the merchant', refused());
    expect(outcome.fix).toBe('The API rejected the merchant token: set SIGLUME_MERCHANT_AUTH_TOKEN to a valid merchant auth token for this environment.');
  });
});
