/**
 * 0.4.20 code runs unchanged (CONTRACT-2 section 21): a program written
 * against the 0.4.20 API (fixtures/drop-in-0420.ts: its argument lists, class
 * options and the 59 type names) is installed with the PACKED package into a
 * temporary project, compiled with tsc as ESM and as CommonJS, and run
 * against a sandbox on port 0. Needs `dist/` (npm test builds it first).
 */
import { copyFileSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.js';
import { packAndInstall, pkg, root, run } from './support/pack.js';

let work: string;

beforeAll(async () => {
  work = await packAndInstall('sdrp-drop-in-', {});
  for (const [dir, type] of [
    ['esm', 'module'],
    ['cjs', 'commonjs'],
  ] as const) {
    const project = join(work, dir);
    mkdirSync(project);
    writeFileSync(join(project, 'package.json'), JSON.stringify({ name: `drop-in-${dir}`, private: true, type }));
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          target: 'ES2022',
          module: 'NodeNext',
          moduleResolution: 'NodeNext',
          lib: ['ES2022', 'DOM'],
          types: [],
          strict: true,
          skipLibCheck: true,
          outDir: 'out',
          rootDir: '.',
        },
        include: ['main.ts'],
      }),
    );
    copyFileSync(join(__dirname, 'fixtures/drop-in-0420.ts'), join(project, 'main.ts'));
    // The compiler of this repository, against the installed package's .d.ts (ESM: .d.ts, CJS: .d.cts).
    // tsc prints its diagnostics on stdout: put them in the failure, not just "Command failed".
    await run(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', project], { cwd: project }).catch(
      (error: { stdout?: string; message: string }) => {
        throw new Error(`tsc (${dir}) failed:\n${error.stdout || error.message}`);
      },
    );
  }
}, 300_000);

afterAll(() => {
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('a 0.4.20 program, compiled against the packed package', () => {
  let sandbox: SandboxHandle;
  beforeEach(async () => {
    sandbox = await startSandbox({ port: 0, quiet: true });
  });
  afterEach(async () => {
    await sandbox.close();
  });

  async function runProgram(dir: 'esm' | 'cjs') {
    const key = sandbox.env.SIGLUME_DIRECT_PAYMENT_MERCHANT;
    const env: Record<string, string> = {};
    for (const [name, value] of Object.entries(process.env)) if (value !== undefined && !name.startsWith('SIGLUME_')) env[name] = value;
    Object.assign(env, {
      SIGLUME_API_BASE: sandbox.api_base,
      SIGLUME_MERCHANT_AUTH_TOKEN: sandbox.env.SIGLUME_MERCHANT_AUTH_TOKEN,
      SIGLUME_DIRECT_PAYMENT_MERCHANT: key,
      SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET: sandbox.getMerchant(key)!.challenge_secret,
      SIGLUME_BUYER_TOKEN: sandbox.buyer_token,
      SHOP_PUBLIC_ORIGIN: sandbox.env.SHOP_PUBLIC_ORIGIN,
    });
    const { stdout } = await run(process.execPath, [join(work, dir, 'out/main.js')], { cwd: join(work, dir), env, timeout: 60_000 });
    return JSON.parse(stdout.trim()) as Record<string, unknown>;
  }

  it.each(['esm', 'cjs'] as const)('runs as %s: challenges in both argument lists, webhooks, errors and clients against the sandbox', async (dir) => {
    const out = await runProgram(dir);
    expect(out).toEqual({
      values: 8,
      constants: true,
      challenges: {
        signatures_match: true,
        scheme: 'siglume-external-402-v1',
        verified: [true, true, true],
        refused: [false, false],
        recurring_signatures_match: true,
        recurring_verified: [true, true, true, false],
        hashes_ok: true,
      },
      webhooks: {
        header_ok: true,
        timestamp: 1_800_000_000,
        event_id: 'evt_drop_in_1',
        reparsed_id: 'evt_drop_in_1',
        kind: expect.any(String),
        tampered: 'SiglumeWebhookSignatureError',
        payload: 'SiglumeWebhookPayloadError',
      },
      errors: {
        api: ['SiglumeApiError', 418, 'SIGLUME_API_ERROR', true],
        hosted: ['HostedCheckoutNotAvailableError', 409, 'HOSTED_CHECKOUT_NOT_ENABLED', true],
        base: 'SiglumeDirectRequestPaymentError',
      },
      clients: {
        props: [true, 20_000, 'drop-in-0420/1'],
        merchant: sandbox.env.SIGLUME_DIRECT_PAYMENT_MERCHANT,
        session_status: 'open',
        raw_merchant: sandbox.env.SIGLUME_DIRECT_PAYMENT_MERCHANT,
        deliveries: true,
        subscriptions: true,
        summary_ok: true,
        provider_settled: '0',
        metered_rows: 'buyer provider 0 0 0 0', // compiled reading section 22's required fields as strings; the sandbox tests read real rows
        requirement: true,
        payload_keys: ['transaction_request', 'receipt_kind', 'reference_type', 'reference_id', 'metadata', 'await_finality'],
      },
    });
    expect(pkg.name).toBe('@siglume/direct-request-payment');
  });
});
