import { describe, expect, it } from 'vitest';
import { looksLikeSecret, redactCredentialText } from '../../src/core/redact-text.js';

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
    // A secret may hold any printable character, so a full stop right after one is taken as part of it.
    expect(redactCredentialText('token sdrp_live_1a2b, secret whsec_X-y_z.', [])).toBe('token sdrp_***, secret whsec_***');
    expect(redactCredentialText('the token is tok-12345', ['tok-12345', undefined, ''])).toBe('the token is [redacted]');
  });

  it('masks the shapes a first version missed: a secret with / + =, env-style and JSON password fields, Basic auth, a password with /', () => {
    expect(redactCredentialText('secret whsec_abc/def+ghi== leaked', [])).toBe('secret whsec_*** leaked');
    expect(redactCredentialText('DB_PASSWORD=hunter2 PGPASSWORD=hunter3', [])).toBe('DB_PASSWORD=*** PGPASSWORD=***');
    expect(redactCredentialText('{"user":"x","password":"hunter2"}', [])).toBe('{"user":"x","password":***}');
    expect(redactCredentialText('password: hunter2', [])).toBe('password: ***');
    expect(redactCredentialText('Authorization: Basic dXNlcjpwYXNz', [])).toBe('Authorization: Basic ***');
    expect(redactCredentialText('postgres://admin:pa/ss@db/x', [])).toBe('postgres://admin:***@db/x');
  });

  it('masks Bearer / Basic only before a word shaped like a credential, not in prose', () => {
    for (const token of ['sdrp_live_1a2b', 'eyJhbGciOiJIUzI1NiJ9.e30.sig', 'tok-abc', 'a+b/c==', 'abc.def', 'dXNlcjpwYXNz', 'x1', 'abc~def', 'qwertyuiopasdfghjk']) {
      expect(redactCredentialText(`Authorization: Bearer ${token}`, []), token).toBe('Authorization: Bearer ***');
    }
    for (const text of [
      'The bearer token is not valid for this sandbox',
      'Check the Bearer token.',
      'Use Basic auth, or a Bearer JWT: bearer tokens only.',
    ]) {
      expect(redactCredentialText(text, [])).toBe(text);
    }
  });

  it('leaves the texts a user needs alone', () => {
    for (const text of ['Invalid auth_token: must not contain whitespace', 'SIGLUME_WEBHOOK_SECRET is not set', 'connect ECONNREFUSED 127.0.0.1:5432', 'postgres://db:5432/shop']) {
      expect(redactCredentialText(text, [])).toBe(text);
    }
  });
});

describe('looksLikeSecret', () => {
  it('knows credentials by prefix or by a long random run, and not names, paths or UUIDs', () => {
    const secrets = ['whsec_x', 'sdrp_sandbox_merchant_token', 'sk_live_abc', 'Bearer abc', 'q8Zr2LmN5vX1pT7wK3yB9cD', 'aB3dE5fG7hJ9kL1mN3pQ5rS7/uV9wX1yZ3'];
    const names = ['hono2024template', 'sk_template', 'express_2024_edition', '3f2b8c1e-9d4a-4c2e-8b7f-1a2b3c4d5e6f', './store.mjs', 'standard-settled', 'my shop'];
    expect(secrets.filter((s) => !looksLikeSecret(s))).toEqual([]);
    expect(names.filter((s) => looksLikeSecret(s))).toEqual([]);
  });
});

