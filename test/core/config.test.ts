import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SIGLUME_API_BASE } from '../../src/core/constants.js';
import { SiglumeValidationError } from '../../src/core/errors.js';
import { authTokenProblem, normalizeBaseUrl, resolveAuthToken, resolveBaseUrl } from '../../src/core/config.js';

const VARS = ['SIGLUME_API_BASE', 'SIGLUME_MERCHANT_AUTH_TOKEN', 'SIGLUME_AUTH_TOKEN'];
let saved: Record<string, string | undefined>;

beforeEach(() => {
  saved = Object.fromEntries(VARS.map((v) => [v, process.env[v]]));
  for (const v of VARS) delete process.env[v];
});
afterEach(() => {
  for (const v of VARS) {
    if (saved[v] === undefined) delete process.env[v];
    else process.env[v] = saved[v];
  }
});

describe('normalizeBaseUrl', () => {
  it('drops trailing slashes', () => {
    expect(normalizeBaseUrl('http://localhost:8787/v1/')).toBe('http://localhost:8787/v1');
    expect(normalizeBaseUrl('https://siglume.com/v1///')).toBe('https://siglume.com/v1');
  });
  it.each(['http://[::1]:8787/v1', 'http://127.0.0.1/v1', 'https://api.example/v1'])('accepts %s', (url) => {
    expect(normalizeBaseUrl(url)).toBe(url);
  });
  it.each([
    ['http://siglume.com/v1', 'https'],
    ['https://user:pass@siglume.com/v1', 'username or password'],
    ['siglume.com/v1', 'absolute URL'],
    ['https://siglume.com/v1?x=1', 'query'],
  ])('rejects %s', (url, text) => {
    expect(() => normalizeBaseUrl(url)).toThrow(text);
  });
});

describe('resolveBaseUrl', () => {
  it('prefers the option, then SIGLUME_API_BASE, then the default', () => {
    expect(resolveBaseUrl(undefined)).toBe(DEFAULT_SIGLUME_API_BASE);
    process.env.SIGLUME_API_BASE = 'http://127.0.0.1:8787/v1/';
    expect(resolveBaseUrl(undefined)).toBe('http://127.0.0.1:8787/v1');
    expect(resolveBaseUrl('https://x.example/v1')).toBe('https://x.example/v1');
  });
  it('names the env var when it is the bad source', () => {
    process.env.SIGLUME_API_BASE = 'http://evil.example/v1';
    expect(() => resolveBaseUrl(undefined)).toThrow(/SIGLUME_API_BASE/);
  });
});

describe('resolveAuthToken', () => {
  describe('when building a merchant client', () => {
    it('reads the option, then SIGLUME_MERCHANT_AUTH_TOKEN, then SIGLUME_AUTH_TOKEN', () => {
      process.env.SIGLUME_AUTH_TOKEN = 'generic';
      expect(resolveAuthToken(undefined, 'merchant')).toBe('generic');
      process.env.SIGLUME_MERCHANT_AUTH_TOKEN = 'merchant';
      expect(resolveAuthToken(undefined, 'merchant')).toBe('merchant');
      expect(resolveAuthToken('explicit', 'merchant')).toBe('explicit');
    });
  });

  describe('when building a buyer client', () => {
    it('ignores SIGLUME_MERCHANT_AUTH_TOKEN', () => {
      process.env.SIGLUME_MERCHANT_AUTH_TOKEN = 'merchant';
      expect(() => resolveAuthToken(undefined, 'buyer')).toThrow(/SIGLUME_AUTH_TOKEN/);
    });
  });

  it('refuses a missing token at construction with a clear code', () => {
    const err = (() => {
      try {
        resolveAuthToken(undefined, 'merchant');
      } catch (e) {
        return e as SiglumeValidationError;
      }
    })();
    expect(err).toBeInstanceOf(SiglumeValidationError);
    expect(err!.code).toBe('MISSING_AUTH_TOKEN');
  });

  it('refuses a Developer Portal key without echoing it', () => {
    process.env.SIGLUME_AUTH_TOKEN = 'cli_supersecret123';
    let message = '';
    try {
      resolveAuthToken(undefined, 'buyer');
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toContain('Developer Portal');
    expect(message).toContain('SIGLUME_AUTH_TOKEN');
    expect(message).not.toContain('supersecret');
  });
});

describe('authTokenProblem', () => {
  it.each([
    [undefined, 'missing'],
    ['', 'missing'],
    ['cli_abcdef123456', 'developer_portal_key'],
    ['tok_with space', 'whitespace'],
    ['tok_with_newline\n', 'whitespace'],
    ['sdrp_token_123', null],
  ] as const)('judges %j as %s', (token, problem) => {
    expect(authTokenProblem(token)).toBe(problem);
  });
});
