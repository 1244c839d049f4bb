import { describe, expect, it } from 'vitest';
import { redactCredentialText } from '../../src/core/redact-text.js';

describe('redactCredentialText', () => {
  it('masks the password of a connection URL, keeping the scheme, user and host', () => {
    expect(redactCredentialText('db down: postgres://admin:sdrp_pw@db/x', [])).toBe('db down: postgres://admin:***@db/x');
    expect(redactCredentialText('mysql://root:p@ss:w0rd@db:3306/shop failed', [])).toBe('mysql://root:***@db:3306/shop failed');
    expect(redactCredentialText('redis://:s3cret@cache:6379', [])).toBe('redis://:***@cache:6379');
    expect(redactCredentialText('https://example.com/a@b and postgres://db/x', [])).toBe('https://example.com/a@b and postgres://db/x');
  });

  it('masks password=, bearer tokens, sdrp_ and whsec_ values, and the secrets it is given', () => {
    expect(redactCredentialText("host=db password='a b' user=x", [])).toBe('host=db password=*** user=x');
    expect(redactCredentialText('Authorization: Bearer abc.def', [])).toBe('Authorization: Bearer ***');
    expect(redactCredentialText('token sdrp_live_1a2b, secret whsec_X-y_z.', [])).toBe('token sdrp_***, secret whsec_***.');
    expect(redactCredentialText('the token is tok-12345', ['tok-12345', undefined, ''])).toBe('the token is [redacted]');
  });
});
