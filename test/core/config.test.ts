import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SIGLUME_API_BASE, DEFAULT_SIGLUME_SANDBOX_API_BASE } from '../../src/core/constants.js';
import { SiglumeValidationError } from '../../src/core/errors.js';
import { authTokenProblem, normalizeBaseUrl, resolveAuthToken, resolveBaseUrl } from '../../src/core/config.js';

const VARS = ['SIGLUME_API_BASE', 'SIGLUME_MERCHANT_AUTH_TOKEN', 'SIGLUME_AUTH_TOKEN', 'SIGLUME_ENV', 'SIGLUME_SANDBOX_API_BASE'];
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
  it('refuses an empty base_url option instead of falling back to the environment', () => {
    process.env.SIGLUME_API_BASE = 'https://x.example/v1';
    expect(() => resolveBaseUrl('')).toThrow('Invalid base_url: must be an absolute URL');
    expect(resolveBaseUrl(null)).toBe('https://x.example/v1');
  });
  it('names an out-of-range port as the reason a base URL does not parse', () => {
    expect(() => resolveBaseUrl('http://127.0.0.1:87870/v1')).toThrow('Invalid base_url: port 87870 is out of range (1-65535)');
  });
  it('trims SIGLUME_API_BASE and treats a blank one as unset', () => {
    process.env.SIGLUME_API_BASE = '  https://x.example/v1 \n';
    expect(resolveBaseUrl(undefined)).toBe('https://x.example/v1');
    process.env.SIGLUME_API_BASE = '   ';
    expect(resolveBaseUrl(undefined)).toBe(DEFAULT_SIGLUME_API_BASE);
  });

  describe('when SIGLUME_ENV selects the sandbox', () => {
    it.each(['sandbox', ' Sandbox ', 'SANDBOX'])('uses the sandbox default for SIGLUME_ENV=%j', (value) => {
      process.env.SIGLUME_ENV = value;
      expect(resolveBaseUrl(undefined)).toBe(DEFAULT_SIGLUME_SANDBOX_API_BASE);
      expect(DEFAULT_SIGLUME_SANDBOX_API_BASE).toBe('http://127.0.0.1:8787/v1');
    });
    it('uses SIGLUME_SANDBOX_API_BASE (trimmed) over the default', () => {
      process.env.SIGLUME_ENV = 'sandbox';
      process.env.SIGLUME_SANDBOX_API_BASE = ' http://localhost:9999/v1/ ';
      expect(resolveBaseUrl(undefined)).toBe('http://localhost:9999/v1');
    });
    it('still lets the option and SIGLUME_API_BASE win', () => {
      process.env.SIGLUME_ENV = 'sandbox';
      process.env.SIGLUME_SANDBOX_API_BASE = 'http://localhost:9999/v1';
      process.env.SIGLUME_API_BASE = 'https://x.example/v1';
      expect(resolveBaseUrl(undefined)).toBe('https://x.example/v1');
      expect(resolveBaseUrl('https://y.example/v1')).toBe('https://y.example/v1');
    });
    it('ignores SIGLUME_SANDBOX_API_BASE when the sandbox is not selected', () => {
      process.env.SIGLUME_ENV = 'production';
      process.env.SIGLUME_SANDBOX_API_BASE = 'http://localhost:9999/v1';
      expect(resolveBaseUrl(undefined)).toBe(DEFAULT_SIGLUME_API_BASE);
    });
    it('names SIGLUME_SANDBOX_API_BASE when it is not a usable URL', () => {
      process.env.SIGLUME_ENV = 'sandbox';
      process.env.SIGLUME_SANDBOX_API_BASE = 'http://sandbox.example/v1';
      expect(() => resolveBaseUrl(undefined)).toThrow(/^Invalid SIGLUME_SANDBOX_API_BASE: /);
    });
    it('changes nothing about the token: there is no sandbox token default', () => {
      process.env.SIGLUME_ENV = 'sandbox';
      expect(() => resolveAuthToken(undefined, 'merchant')).toThrow('Missing auth token');
    });
  });
});

describe('resolveAuthToken', () => {
  it('trims a token read from the environment (a .env line ending in a space or CR)', () => {
    process.env.SIGLUME_AUTH_TOKEN = ' tok_from_env_123\r';
    expect(resolveAuthToken(undefined, 'buyer')).toBe('tok_from_env_123');
  });

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

  it('refuses a token with a control character before it reaches a header (fetch would quote it in its error)', () => {
    process.env.SIGLUME_MERCHANT_AUTH_TOKEN = 'sk_live_SECRET\u001b[2Jx';
    let error: unknown;
    try {
      resolveAuthToken(undefined, 'merchant');
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'INVALID_AUTH_TOKEN', field: 'SIGLUME_MERCHANT_AUTH_TOKEN' });
    expect((error as Error).message).toBe(
      'Invalid SIGLUME_MERCHANT_AUTH_TOKEN: must be printable ASCII (no control or non-ASCII characters)',
    );
  });

  it.each([
    ['SIGLUME_MERCHANT_AUTH_TOKEN', '"sdrp_quoted_token_123"'],
    ['SIGLUME_AUTH_TOKEN', "'sdrp_quoted_token_123'"],
  ])('refuses %s kept in quotes (docker --env-file), naming the variable and not the token', (name, value) => {
    process.env[name] = value;
    let error: unknown;
    try {
      resolveAuthToken(undefined, 'merchant');
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'INVALID_AUTH_TOKEN', field: name });
    expect((error as Error).message).toMatch(new RegExp(`^Invalid ${name}: starts or ends with a quote character; remove the quotes`));
    expect((error as Error).message).not.toContain('sdrp_quoted');
  });

  it('refuses a quoted auth_token option, naming the option', () => {
    expect(() => resolveAuthToken('"sdrp_quoted_token_123"', 'buyer')).toThrow(/^Invalid auth_token: starts or ends with a quote character/);
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
    ['"sdrp_token_123"', 'quoted'],
    ["'sdrp_token_123'", 'quoted'],
    ['sdrp_token_123"', 'quoted'],
    ['"cli_abcdef123456"', 'quoted'],
    ['tok_with space', 'whitespace'],
    ['tok_with_newline\n', 'whitespace'],
    ['tok_with_nul\u0000x', 'invalid_characters'],
    ['tok_with_escape\u001b[2J', 'invalid_characters'],
    ['tok_zero_width\u200b', 'invalid_characters'],
    ['tok_non_ascii_é', 'invalid_characters'],
    ['sdrp_token_123', null],
  ] as const)('judges %j as %s', (token, problem) => {
    expect(authTokenProblem(token)).toBe(problem);
  });
});
