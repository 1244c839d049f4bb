import { describe, expect, it } from 'vitest';
import { MAX_RETRY_DELAY_MS, parseRetryAfter, retryDelay, shouldRetry } from '../../src/core/retry.js';

const headers = (h: Record<string, string>) => (name: string) => h[name.toLowerCase()] ?? null;

describe('shouldRetry', () => {
  it.each([429, 502, 503, 504])('retries a %i while attempts remain', (status) => {
    expect(shouldRetry({ kind: 'response', status }, 0, 2)).toBe(true);
    expect(shouldRetry({ kind: 'response', status }, 2, 2)).toBe(false);
  });

  it.each([400, 401, 403, 404, 409, 422, 500, 501])('never retries a %i', (status) => {
    expect(shouldRetry({ kind: 'response', status }, 0, 5)).toBe(false);
  });

  it('retries connection errors until max_retries, and never with max_retries 0', () => {
    expect(shouldRetry({ kind: 'connection_error' }, 1, 2)).toBe(true);
    expect(shouldRetry({ kind: 'connection_error' }, 0, 0)).toBe(false);
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
