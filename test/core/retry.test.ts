import { describe, expect, it } from 'vitest';
import { connectionFailure, errorCode, MAX_RETRY_DELAY_MS, parseRetryAfter, retryDelay, shouldRetry } from '../../src/core/retry.js';

const headers = (h: Record<string, string>) => (name: string) => h[name.toLowerCase()] ?? null;

describe('shouldRetry', () => {
  describe('when the request is idempotent (the default policy)', () => {
    it.each([429, 500, 502, 503, 504])('retries a %i while attempts remain', (status) => {
      expect(shouldRetry({ kind: 'response', status }, 0, 2)).toBe(true);
      expect(shouldRetry({ kind: 'response', status }, 2, 2)).toBe(false);
    });

    it.each([400, 401, 403, 404, 409, 422, 501, 505])('never retries a %i', (status) => {
      expect(shouldRetry({ kind: 'response', status }, 0, 5)).toBe(false);
    });

    it.each(['not_sent', 'connection_lost', 'timeout'] as const)('retries a %s failure until max_retries, never with 0', (kind) => {
      expect(shouldRetry({ kind }, 1, 2)).toBe(true);
      expect(shouldRetry({ kind }, 2, 2)).toBe(false);
      expect(shouldRetry({ kind }, 0, 0)).toBe(false);
    });
  });

  describe('when the request may only repeat refusals', () => {
    it('retries a 429: the server refused before acting', () => {
      expect(shouldRetry({ kind: 'response', status: 429 }, 0, 2, 'refusals_only')).toBe(true);
    });

    it("retries a 503 the API vouched for (its envelope or Retry-After), not a bare proxy 503", () => {
      expect(shouldRetry({ kind: 'response', status: 503, api_refusal: true }, 0, 2, 'refusals_only')).toBe(true);
      expect(shouldRetry({ kind: 'response', status: 503, api_refusal: false }, 0, 2, 'refusals_only')).toBe(false);
      expect(shouldRetry({ kind: 'response', status: 503 }, 0, 2, 'refusals_only')).toBe(false);
      expect(shouldRetry({ kind: 'response', status: 503, api_refusal: false }, 0, 2)).toBe(true);
    });

    it('retries a connection that was never established', () => {
      expect(shouldRetry({ kind: 'not_sent' }, 0, 2, 'refusals_only')).toBe(true);
    });

    it.each([
      ['a timeout', { kind: 'timeout' }],
      ['a connection lost after sending', { kind: 'connection_lost' }],
      ['a 502 from a gateway', { kind: 'response', status: 502 }],
      ['a 504 from a gateway', { kind: 'response', status: 504 }],
      ['a 500', { kind: 'response', status: 500 }],
    ] as const)('does not retry %s: the server may have acted', (_title, outcome) => {
      expect(shouldRetry(outcome, 0, 5, 'refusals_only')).toBe(false);
    });

    it('still stops at max_retries', () => {
      expect(shouldRetry({ kind: 'response', status: 503, api_refusal: true }, 2, 2, 'refusals_only')).toBe(false);
    });
  });
});

describe('connectionFailure', () => {
  it.each(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'UND_ERR_CONNECT_TIMEOUT'])(
    'reads %s as never sent',
    (code) => {
      expect(connectionFailure(Object.assign(new Error('x'), { code }))).toEqual({ kind: 'not_sent' });
    },
  );

  it('reads a code nested two causes deep', () => {
    const inner = Object.assign(new Error('connect'), { code: 'ECONNREFUSED' });
    const error = new TypeError('fetch failed', { cause: new Error('wrapped', { cause: inner }) });
    expect(connectionFailure(error)).toEqual({ kind: 'not_sent' });
  });

  it.each(['CERT_HAS_EXPIRED', 'DEPTH_ZERO_SELF_SIGNED_CERT', 'UNABLE_TO_VERIFY_LEAF_SIGNATURE', 'ERR_TLS_CERT_ALTNAME_INVALID', 'ERR_SSL_WRONG_VERSION_NUMBER'])(
    'reads the TLS failure %s as never sent',
    (code) => {
      expect(connectionFailure(new TypeError('fetch failed', { cause: Object.assign(new Error('tls'), { code }) }))).toEqual({ kind: 'not_sent' });
    },
  );

  it('reads the code global fetch nests under cause', () => {
    const error = new TypeError('fetch failed', { cause: Object.assign(new Error('connect'), { code: 'ECONNREFUSED' }) });
    expect(connectionFailure(error)).toEqual({ kind: 'not_sent' });
  });

  describe("when fetch refuses a blocked port (Node's TypeError with cause 'bad port', no code)", () => {
    const badPort = () => new TypeError('fetch failed', { cause: new Error('bad port') });

    it('reads it as BAD_PORT, never sent, and not worth sending again', () => {
      expect(errorCode(badPort())).toBe('BAD_PORT');
      expect(connectionFailure(badPort())).toEqual({ kind: 'not_sent', final: true });
      expect(shouldRetry(connectionFailure(badPort()), 0, 2)).toBe(false);
    });

    it('reads the real fetch error that way', async () => {
      const error = await fetch('http://127.0.0.1:6666/').catch((e: unknown) => e);
      expect(errorCode(error)).toBe('BAD_PORT');
    });
  });

  it.each([
    ['ECONNRESET', Object.assign(new Error('read ECONNRESET'), { code: 'ECONNRESET' })],
    ['socket hang up', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['an undici socket error', Object.assign(new Error('other side closed'), { code: 'UND_ERR_SOCKET' })],
    // A TLS record that fails once the connection is up may be the answer to a request already sent.
    ['a TLS record failure', new TypeError('fetch failed', { cause: Object.assign(new Error('tls'), { code: 'ERR_SSL_DECRYPTION_FAILED_OR_BAD_RECORD_MAC' }) })],
    ['an error without a code', new Error('something broke')],
    ['a non-error', 'boom'],
  ])('reads %s as possibly sent', (_title, error) => {
    expect(connectionFailure(error)).toEqual({ kind: 'connection_lost' });
  });
});

describe('retryDelay', () => {
  it('doubles per attempt and caps at 8 s', () => {
    expect(retryDelay(0, 0)).toBe(500);
    expect(retryDelay(1, 0)).toBe(1000);
    expect(retryDelay(2, 0)).toBe(2000);
    expect(retryDelay(10, 0)).toBe(MAX_RETRY_DELAY_MS);
  });

  it('takes off at most a quarter as jitter', () => {
    expect(retryDelay(1, 0.999)).toBeGreaterThanOrEqual(750);
    expect(retryDelay(1, 0.5)).toBe(875);
  });
});

describe('parseRetryAfter', () => {
  it('reads delta seconds, fractional seconds and retry-after-ms', () => {
    expect(parseRetryAfter(headers({ 'retry-after': '2' }))).toBe(2000);
    expect(parseRetryAfter(headers({ 'retry-after': '0.5' }))).toBe(500);
    expect(parseRetryAfter(headers({ 'retry-after-ms': '120', 'retry-after': '9' }))).toBe(120);
  });

  it('reads an HTTP date relative to now', () => {
    const now = Date.parse('2026-11-23T10:00:00Z');
    expect(parseRetryAfter(headers({ 'retry-after': 'Mon, 23 Nov 2026 10:00:03 GMT' }), now)).toBe(3000);
    expect(parseRetryAfter(headers({ 'retry-after': 'Mon, 23 Nov 2026 09:00:00 GMT' }), now)).toBe(0);
  });

  it('returns null when absent, negative or unparsable', () => {
    expect(parseRetryAfter(headers({}))).toBeNull();
    expect(parseRetryAfter(headers({ 'retry-after': '-1' }))).toBeNull();
    expect(parseRetryAfter(headers({ 'retry-after': 'soon' }))).toBeNull();
  });
});
