#!/usr/bin/env node
/**
 * Checkout sessions created per second through DirectRequestPaymentMerchantClient
 * against the local sandbox, with p50 / p99 latency of one create, beside a
 * bare undici `request` loop posting the same body to the same endpoint
 * (same headers, an Idempotency-Key too, so the server does identical work).
 *
 * The sandbox runs as a separate process (`siglume-sdrp sandbox --port 0`),
 * so the client's own CPU cost shows in the ratio instead of being diluted
 * by the server's. Both loops use undici's global keep-alive pool. Cases are
 * interleaved run by run; each figure is the median of the runs.
 *
 * Usage: `npm run build && node bench/merchant-client.mjs [--json]`, or import `run`.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { request } from 'undici';
import { DIRECT_REQUEST_PAYMENT_SDK_VERSION, DirectRequestPaymentMerchantClient } from '../dist/index.js';
import { ROOT, median, pairedRatio, percentile, round, row } from './lib.mjs';

/** Starts the sandbox CLI on a free port; resolves with its start-up JSON and a stop function. */
async function startSandboxProcess() {
  const child = spawn(process.execPath, [join(ROOT, 'bin/siglume-sdrp.cjs'), 'sandbox', '--port', '0', '--json'], {
    cwd: ROOT,
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, NO_COLOR: '1' },
  });
  let out = '';
  let err = '';
  child.stderr.on('data', (d) => (err += d));
  const info = await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`sandbox did not start in 20 s: ${err}`)), 20_000);
    child.stdout.on('data', (d) => {
      out += d;
      const nl = out.indexOf('\n');
      if (nl !== -1) {
        clearTimeout(timer);
        resolve(JSON.parse(out.slice(0, nl)));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`sandbox exited (${code}) before listening: ${err}`));
    });
  });
  return {
    info,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      await Promise.race([once(child, 'exit'), new Promise((r) => setTimeout(r, 5000))]);
      if (child.exitCode === null) child.kill('SIGKILL');
    },
  };
}

/**
 * Runs `op` from `concurrency` workers for `runMs`; returns ops/s and every
 * latency (ms). Each op is awaited before the worker starts the next.
 */
async function loadRun(op, { runMs, concurrency }) {
  const latencies = [];
  const start = performance.now();
  const deadline = start + runMs;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        const t0 = performance.now();
        await op();
        latencies.push(performance.now() - t0);
      }
    }),
  );
  return { opsPerSec: latencies.length / ((performance.now() - start) / 1000), latencies };
}

/**
 * Runs the benchmark and returns its rows.
 * @param {{ json?: boolean, runs?: number, run_ms?: number, concurrency?: number }} [options]
 */
export async function run({ json = false, runs = 7, run_ms = 400, concurrency = 8 } = {}) {
  const sandbox = await startSandboxProcess();
  try {
    const { env, api_base: apiBase } = sandbox.info;
    const token = env.SIGLUME_MERCHANT_AUTH_TOKEN;
    const merchant = env.SIGLUME_DIRECT_PAYMENT_MERCHANT;
    const origin = env.SHOP_PUBLIC_ORIGIN;
    const client = new DirectRequestPaymentMerchantClient({ base_url: apiBase, auth_token: token });
    const url = `${apiBase}/sdrp/direct-payments/checkout-sessions`;
    let seq = 0;
    const input = () => ({
      merchant,
      amount_minor: 4200,
      currency: 'JPY',
      nonce: `bench-${process.pid}-${++seq}`,
      success_url: `${origin}/checkout/siglume/success`,
      cancel_url: `${origin}/checkout/siglume/cancel`,
      metadata: { order_id: `order-${seq}` },
    });

    const sdk = async () => {
      const s = await client.createCheckoutSession(input());
      if (!s.checkout_url) throw new Error('no checkout_url');
    };
    const bare = async () => {
      const res = await request(url, {
        method: 'POST',
        headers: {
          accept: 'application/json',
          authorization: `Bearer ${token}`,
          'content-type': 'application/json',
          'user-agent': `bench/${DIRECT_REQUEST_PAYMENT_SDK_VERSION}`,
          'idempotency-key': randomUUID(),
        },
        body: JSON.stringify(input()),
      });
      const body = await res.body.json();
      if (res.statusCode !== 201 && res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}: ${JSON.stringify(body)}`);
      if (!body.data.checkout_url) throw new Error('no checkout_url');
    };

    const cases = [
      { id: 'sdk_1', op: sdk, concurrency: 1 },
      { id: 'bare_1', op: bare, concurrency: 1 },
      { id: 'sdk_n', op: sdk, concurrency },
      { id: 'bare_n', op: bare, concurrency },
    ];
    for (const c of cases) await loadRun(c.op, { runMs: 200, concurrency: c.concurrency }); // warm-up: JIT, sockets
    // Per run: sessions/s, p50 and p99 of that run. Figures are medians over
    // runs; ratios are medians of run-by-run ratios (see lib.pairedRatio).
    const stats = new Map(cases.map((c) => [c.id, { rate: [], p50: [], p99: [] }]));
    for (let r = 0; r < runs; r++) {
      for (const c of cases) {
        const result = await loadRun(c.op, { runMs: run_ms, concurrency: c.concurrency });
        const s = stats.get(c.id);
        s.rate.push(result.opsPerSec);
        s.p50.push(percentile(result.latencies, 50));
        s.p99.push(percentile(result.latencies, 99));
      }
    }
    const m = (id, k) => median(stats.get(id)[k]);
    const ratio = (a, b, k) => round(pairedRatio(stats.get(a)[k], stats.get(b)[k]));

    // Targets of issue 13: 1 in flight measures the SDK's own CPU per call.
    const throughput = (id, peer, label, target) =>
      row({
        figure: `merchant client: checkout sessions/s (${label}, keep-alive)`,
        value: Math.round(m(id, 'rate')),
        unit: 'sessions/s',
        floor: { name: 'bare undici request loop', value: Math.round(m(peer, 'rate')), unit: 'sessions/s' },
        ratio: ratio(id, peer, 'rate'),
        target: `>= ${target}x`,
        pass: ratio(id, peer, 'rate') >= target,
      });
    const latency = (k) =>
      row({
        figure: `merchant client: create latency ${k} (1 in flight)`,
        value: round(m('sdk_1', k), 2),
        unit: 'ms',
        floor: { name: `bare undici ${k}`, value: round(m('bare_1', k), 2), unit: 'ms' },
        ratio: ratio('sdk_1', 'bare_1', k),
        note: 'ratio of times: lower is better',
      });
    const rows = [
      throughput('sdk_1', 'bare_1', '1 in flight', 0.8),
      throughput('sdk_n', 'bare_n', `${concurrency} in flight`, 0.85),
      latency('p50'),
      latency('p99'),
    ];
    if (!json) for (const r of rows) console.log(`${r.figure}: ${r.value} ${r.unit} vs ${r.floor.value} (${r.ratio}x)`);
    return rows;
  } finally {
    await sandbox.stop();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const json = process.argv.includes('--json');
  const rows = await run({ json });
  if (json) console.log(JSON.stringify(rows, null, 2));
}
