/**
 * Part (b) of the reliability suite: the merchant client, over its real
 * undici transport, against the sandbox while the sandbox injects faults
 * (latency, a share of 503s, 429 bursts, dropped connections, answers slower
 * than the client's timeout, and answers lost or late AFTER the sandbox
 * created the session). Every call must end, within its deadline, in a
 * checkout session or a typed SDK error; and retries must never create a
 * second checkout session for one call (sessions are counted per nonce in
 * the sandbox's own state). The count is shown to catch a transport that
 * makes a new Idempotency-Key per attempt.
 */
import { randomUUID } from 'node:crypto';
import diagnostics_channel from 'node:diagnostics_channel';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DirectRequestPaymentMerchantClient } from '../../../src/clients/merchant.js';
import { SiglumeDirectRequestPaymentError, SiglumeTimeoutError } from '../../../src/core/errors.js';
import { INITIAL_RETRY_DELAY_MS } from '../../../src/core/retry.js';
import type { FetchLike } from '../../../src/core/transport-types.js';
import { startSandbox, type SandboxFaults, type SandboxHandle } from '../../../src/sandbox/index.js';
import { counts } from './counters.js';

const SEED = Number(process.env.RELIABILITY_SEED ?? 20_260_611);

/** Client settings of one call; `fetch` swaps the transport's network layer (the mutation check below). */
type ClientOptions = { timeout_ms: number; max_retries: number; fetch?: FetchLike };

/**
 * Checkout sessions created more than once for one call: each call has its own
 * nonce, so every session beyond the first for a nonce is a duplicate that a
 * retry created.
 */
export function duplicatedSessions(handle: SandboxHandle): number {
  const per = new Map<string, number>();
  for (const s of handle.listCheckoutSessions()) per.set(s.nonce, (per.get(s.nonce) ?? 0) + 1);
  let duplicated = 0;
  for (const n of per.values()) if (n > 1) duplicated += n - 1;
  return duplicated;
}

/**
 * A broken transport for the mutation check: the request goes out as the SDK
 * built it, except that every attempt carries a fresh Idempotency-Key, as a
 * transport that generated the key per attempt instead of per call would.
 */
export const perAttemptKeyFetch: FetchLike = (url, init) =>
  fetch(url, { ...init, headers: { ...init.headers, 'Idempotency-Key': `mutant-${randomUUID()}` } }) as ReturnType<FetchLike>;

type CallResult = { kind: 'session'; session_id: string; nonce: string } | { kind: 'error'; error: SiglumeDirectRequestPaymentError; nonce: string };

export function describeClientFaults(): void {
  describe('merchant client against the sandbox under injected faults', () => {
    let sandbox: SandboxHandle;
    let port = 0;
    let seq = 0;
    let apiRequests = 0;
    const statuses = new Map<number, number>();
    const onRequest = (message: unknown) => {
      const m = message as { request: { url?: string }; socket: { localPort?: number } };
      if (m.socket.localPort === port && m.request.url?.startsWith('/v1/')) apiRequests += 1;
    };

    beforeAll(async () => {
      sandbox = await startSandbox({
        port: 0,
        onLog: (e) => {
          if (e.kind === 'request' && e.path.startsWith('/v1/')) statuses.set(e.status, (statuses.get(e.status) ?? 0) + 1);
        },
      });
      port = Number(new URL(sandbox.url).port);
      diagnostics_channel.subscribe('http.server.request.start', onRequest);
    });

    afterAll(async () => {
      diagnostics_channel.unsubscribe('http.server.request.start', onRequest);
      await sandbox?.close();
    });

    const client = (o: ClientOptions) =>
      new DirectRequestPaymentMerchantClient({ base_url: sandbox.api_base, auth_token: sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN, ...o });

    const sessionInput = (nonce: string) => ({
      merchant: sandbox.env.SIGLUME_DIRECT_PAYMENT_MERCHANT,
      amount_minor: 4200,
      currency: 'JPY' as const,
      nonce,
      success_url: `${sandbox.env.SHOP_PUBLIC_ORIGIN}/checkout/siglume/success`,
      cancel_url: `${sandbox.env.SHOP_PUBLIC_ORIGIN}/checkout/siglume/cancel`,
    });

    /** Worst case for one call: every attempt times out, every backoff is the longest, plus slack. */
    const deadlineMs = (o: { timeout_ms: number; max_retries: number }, retryAfterMs = 0) => {
      let backoff = 0;
      for (let i = 0; i < o.max_retries; i++) backoff += Math.max(INITIAL_RETRY_DELAY_MS * 2 ** i, retryAfterMs);
      return (o.max_retries + 1) * o.timeout_ms + backoff + 2000;
    };

    /** One create; its outcome must be a session or a typed error before the deadline, else it counts as lost. */
    async function create(
      o: ClientOptions,
      opts: { nonce?: string; idempotency_key?: string; retryAfterMs?: number } = {},
    ): Promise<CallResult> {
      const nonce = opts.nonce ?? `rel-${process.pid}-${++seq}`;
      const limit = deadlineMs(o, opts.retryAfterMs);
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'deadline'>((r) => (timer = setTimeout(() => r('deadline'), limit)));
      const call = client(o)
        .createCheckoutSession(sessionInput(nonce), opts.idempotency_key ? { idempotency_key: opts.idempotency_key } : undefined)
        .then(
          (s): CallResult => ({ kind: 'session', session_id: s.session_id, nonce }),
          (error: unknown): CallResult => {
            expect(error, `untyped rejection for nonce ${nonce}`).toBeInstanceOf(SiglumeDirectRequestPaymentError);
            return { kind: 'error', error: error as SiglumeDirectRequestPaymentError, nonce };
          },
        );
      const r = await Promise.race([call, deadline]);
      clearTimeout(timer);
      if (r === 'deadline') {
        counts.lost += 1;
        throw new Error(`createCheckoutSession(${nonce}) had no outcome within ${limit} ms`);
      }
      if (r.kind === 'session') {
        // A returned session exists in the sandbox, for this nonce.
        const stored = sandbox.getCheckoutSession(r.session_id);
        if (!stored || stored.nonce !== nonce) counts.lost += 1;
        expect(stored?.nonce).toBe(nonce);
      }
      return r;
    }

    async function pool<T>(n: number, concurrency: number, fn: (i: number) => Promise<T>): Promise<T[]> {
      const out: T[] = new Array(n);
      let next = 0;
      await Promise.all(Array.from({ length: concurrency }, async () => {
        for (let i = next++; i < n; i = next++) out[i] = await fn(i);
      }));
      return out;
    }

    /** The fault counters still unused (read from the control endpoint, which faults never touch). */
    async function faultsLeft(): Promise<SandboxFaults> {
      const res = await fetch(`${sandbox.url}/__sandbox/faults`);
      return ((await res.json()) as { data: { faults: SandboxFaults } }).data.faults;
    }

    /** Runs `fn` under `faults`, then clears them; adds the faults that actually hit a request to the tally. */
    async function phase<T>(faults: SandboxFaults, fn: () => Promise<T>): Promise<T> {
      const before = { api: apiRequests, s503: statuses.get(503) ?? 0, s429: statuses.get(429) ?? 0 };
      const active = sandbox.setFaults(faults);
      try {
        return await fn();
      } finally {
        const left = await faultsLeft();
        sandbox.resetFaults();
        const dropped = (active.drop_connections ?? 0) - (left.drop_connections ?? 0);
        const lostAfterCommit = (active.drop_after_commit ?? 0) - (left.drop_after_commit ?? 0);
        const lateAfterCommit = (active.delay_after_commit?.count ?? 0) - (left.delay_after_commit?.count ?? 0);
        const limited = (statuses.get(429) ?? 0) - before.s429;
        const unavailable = (statuses.get(503) ?? 0) - before.s503;
        // With latency injected, every API request that arrived was delayed.
        const delayed = faults.latency_ms ? apiRequests - before.api : 0;
        counts.faults += dropped + lostAfterCommit + lateAfterCommit + limited + unavailable + delayed;
      }
    }

    const sessionsPerNonce = () => {
      const per = new Map<string, number>();
      for (const s of sandbox.listCheckoutSessions()) per.set(s.nonce, (per.get(s.nonce) ?? 0) + 1);
      return per;
    };

    it('ends every call in a session or a typed error within its deadline under latency, 503s, 429 bursts and dropped connections', async () => {
      const o = { timeout_ms: 2000, max_retries: 2 };
      const results: CallResult[] = [];
      results.push(...(await phase({ latency_ms: 40 }, () => pool(16, 8, () => create(o)))));
      results.push(...(await phase({ error_503_rate: 0.4, seed: SEED }, () => pool(30, 10, () => create(o)))));
      results.push(...(await phase({ rate_limit: { count: 14, retry_after_seconds: 0 } }, () => pool(20, 10, () => create(o)))));
      results.push(...(await phase({ rate_limit: { count: 2, retry_after_seconds: 1 } }, () => pool(2, 2, () => create(o, { retryAfterMs: 1000 })))));
      results.push(...(await phase({ drop_connections: 8 }, () => pool(12, 4, () => create(o)))));
      // Everything either worked or failed as a typed error the caller can act on.
      const errors = results.filter((r) => r.kind === 'error');
      for (const e of errors) expect(e.error.constructor.name).toMatch(/^Siglume(ServerError|RateLimitError|ConnectionError|TimeoutError)$/);
      expect(results.filter((r) => r.kind === 'session').length).toBeGreaterThan(results.length / 2);
    }, 30_000);

    it('survives random mixes of every fault, reads included', async () => {
      const o = { timeout_ms: 1500, max_retries: 2 };
      const mix = fc.record({
        latency_ms: fc.integer({ min: 0, max: 30 }),
        error_503_rate: fc.double({ min: 0, max: 0.5, noNaN: true }),
        rate_limit: fc.record({ count: fc.integer({ min: 0, max: 4 }), retry_after_seconds: fc.constant(0) }),
        drop_connections: fc.integer({ min: 0, max: 3 }),
        seed: fc.integer({ min: 0, max: 0xffff }),
      });
      const known = await create({ timeout_ms: 2000, max_retries: 0 });
      expect(known.kind).toBe('session');
      const knownId = known.kind === 'session' ? known.session_id : '';
      await fc.assert(
        fc.asyncProperty(mix, async (faults) => {
          await phase(faults, () =>
            pool(8, 4, async (i) => {
              if (i % 4 !== 3) return create(o);
              // A read under the same faults: retried without an idempotency key, never duplicated.
              const r = await client(o).getCheckoutSession(knownId).then(
                (s) => s.session_id,
                (e: unknown) => {
                  expect(e).toBeInstanceOf(SiglumeDirectRequestPaymentError);
                  return null;
                },
              );
              if (r !== null) expect(r).toBe(knownId);
              return r;
            }),
          );
        }),
        { numRuns: 5, seed: SEED },
      );
    }, 30_000);

    it('creates one session when every attempt times out, and hands it back when the caller retries with the same key', async () => {
      const o = { timeout_ms: 150, max_retries: 1 };
      const keys = Array.from({ length: 6 }, (_, i) => ({ nonce: `rel-timeout-${process.pid}-${i}`, idempotency_key: `rel-key-${process.pid}-${i}` }));
      const first = await phase({ latency_ms: 400 }, async () => {
        const r = await pool(keys.length, keys.length, (i) => create(o, keys[i]));
        await new Promise((res) => setTimeout(res, 600)); // let the slow answers finish server-side
        return r;
      });
      for (const r of first) {
        expect(r.kind).toBe('error');
        if (r.kind === 'error') expect(r.error).toBeInstanceOf(SiglumeTimeoutError);
      }
      // The sandbox did the work once per call even though the client gave up; the retry gets that same session.
      const again = await pool(keys.length, keys.length, (i) => create({ timeout_ms: 2000, max_retries: 0 }, keys[i]));
      const per = sessionsPerNonce();
      for (const r of again) {
        expect(r.kind).toBe('session');
        expect(per.get(r.nonce)).toBe(1);
      }
    }, 30_000);

    it('creates one session per call when the answer is lost or late after the sandbox committed (keys the SDK generated)', async () => {
      // The server acted; only the answer went missing. The retry must carry the
      // call's key, so the sandbox hands back the stored session instead of a second one.
      const o = { timeout_ms: 600, max_retries: 2 };
      const before = duplicatedSessions(sandbox);
      const faultsBefore = counts.faults;
      const lost = await phase({ drop_after_commit: 6 }, () => pool(6, 3, () => create(o)));
      const late = await phase({ delay_after_commit: { count: 6, delay_ms: 1500 } }, () => pool(6, 3, () => create(o)));
      // Every call got its session back on a retry, and all twelve faults really hit a request.
      for (const r of [...lost, ...late]) expect(r.kind).toBe('session');
      expect(counts.faults - faultsBefore).toBe(12);
      expect(duplicatedSessions(sandbox) - before).toBe(0);
    }, 60_000);

    it('detects the duplicates of a transport that makes a new Idempotency-Key per attempt (the check can fail)', async () => {
      // The mutation runs against its own sandbox, so its duplicates never reach the suite's tally.
      const other = await startSandbox({ port: 0, quiet: true });
      try {
        const mutant = new DirectRequestPaymentMerchantClient({
          base_url: other.api_base,
          auth_token: other.env.SIGLUME_MERCHANT_AUTH_TOKEN,
          timeout_ms: 600,
          max_retries: 2,
          fetch: perAttemptKeyFetch,
        });
        other.setFaults({ drop_after_commit: 3 });
        const sessions = await Promise.all(
          [0, 1, 2].map((i) => mutant.createCheckoutSession({ ...sessionInput(`mutant-${process.pid}-${i}`) })),
        );
        expect(sessions).toHaveLength(3);
        // Each of the three calls had its first answer dropped after the commit and was retried under a new key.
        expect(duplicatedSessions(other)).toBe(3);
      } finally {
        await other.close();
      }
    }, 60_000);

    it('never created two checkout sessions for one call across all of the above', () => {
      // One nonce per call, so more than one session per nonce is a duplicate from a retry.
      const duplicated = duplicatedSessions(sandbox);
      counts.duplicated += duplicated;
      expect(sandbox.listCheckoutSessions().length).toBeGreaterThan(50);
      expect(duplicated).toBe(0);
    });
  });
}
