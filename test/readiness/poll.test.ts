import { describe, expect, it, vi } from 'vitest';
import { pollInterval, pollUntil } from '../../src/readiness/poll.js';

describe('pollInterval', () => {
  describe('with the defaults', () => {
    it('starts at 50 ms and grows to a 1 s ceiling', () => {
      const waits = Array.from({ length: 9 }, (_, i) => pollInterval(i + 1));
      expect(waits[0]).toBe(50);
      for (let i = 1; i < waits.length; i++) expect(waits[i]!).toBeGreaterThanOrEqual(waits[i - 1]!);
      expect(waits[1]! / waits[0]!).toBeGreaterThanOrEqual(1.5);
      expect(waits[1]! / waits[0]!).toBeLessThanOrEqual(2);
      expect(waits.at(-1)).toBe(1000);
      expect(Math.max(...waits)).toBe(1000);
    });
  });
});

describe('pollUntil', () => {
  describe('when the first attempt is done', () => {
    it('returns at once without waiting', async () => {
      const timers = vi.spyOn(globalThis, 'setTimeout');
      try {
        const result = await pollUntil(async () => ({ done: true, value: 'x' }), { timeout_ms: 5000 });
        expect(result).toMatchObject({ kind: 'done', value: 'x', attempts: 1 });
        expect(timers).not.toHaveBeenCalled();
      } finally {
        timers.mockRestore();
      }
    });
  });

  describe('when the result arrives on the third attempt', () => {
    it('waits only the two short first intervals', async () => {
      let n = 0;
      const timers = vi.spyOn(globalThis, 'setTimeout');
      try {
        const result = await pollUntil(async () => (++n === 3 ? { done: true, value: n } : { done: false }), { timeout_ms: 10_000 });
        expect(result).toMatchObject({ kind: 'done', value: 3, attempts: 3 });
        expect(timers.mock.calls.map((c) => c[1])).toEqual([50, 88]);
      } finally {
        timers.mockRestore();
      }
    });
  });

  describe('when nothing arrives', () => {
    it('times out close to timeout_ms, with a last attempt at the deadline', async () => {
      const times: number[] = [];
      const started = performance.now();
      const result = await pollUntil(
        async () => {
          times.push(performance.now() - started);
          return { done: false };
        },
        { timeout_ms: 300 },
      );
      const elapsed = performance.now() - started;
      expect(result.kind).toBe('timeout');
      expect(elapsed).toBeGreaterThanOrEqual(295);
      expect(elapsed).toBeLessThan(2000);
      expect(times.at(-1)!).toBeGreaterThanOrEqual(290);
    });
  });

  describe('when the signal aborts while waiting', () => {
    it('rejects with the abort reason', async () => {
      const controller = new AbortController();
      setTimeout(() => controller.abort(new Error('stop')), 30);
      await expect(pollUntil(async () => ({ done: false }), { timeout_ms: 5000, signal: controller.signal })).rejects.toThrow('stop');
    });
  });
});
