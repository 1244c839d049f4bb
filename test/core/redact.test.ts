/**
 * redactSecretValues: the one place that decides which values count as
 * secrets, so callers hand over their settings as they are (an unset token is
 * undefined, an empty variable '').
 */
import { describe, expect, it } from 'vitest';
import { REDACTED, redactSecretValues } from '../../src/core/redact.js';

describe('redactSecretValues', () => {
  it('replaces every secret in strings at any depth', () => {
    const value = { message: 'token sdrp_tok_1 refused', data: { echo: ['Bearer sdrp_tok_1', 'whsec_abc'] } };
    expect(redactSecretValues(value, ['sdrp_tok_1', 'whsec_abc'])).toEqual({
      message: `token ${REDACTED} refused`,
      data: { echo: [`Bearer ${REDACTED}`, REDACTED] },
    });
  });

  it('skips unset secrets instead of matching between every character', () => {
    expect(redactSecretValues('token sdrp_tok_1 refused', ['', undefined, null, 'sdrp_tok_1'])).toBe(`token ${REDACTED} refused`);
    expect(redactSecretValues({ message: 'nothing secret' }, ['', undefined])).toEqual({ message: 'nothing secret' });
  });
});
