/**
 * Part (a), CLI: `main(argv)` in-process with random and mutated argv. It
 * must always resolve to exit code 0, 1 or 2 (never throw), a usage error
 * must be a message without a stack trace, and the token and webhook secret
 * from the environment must never be printed.
 *
 * Kept on loopback and inside a temporary directory: every argv is sanitized
 * before it runs (URLs only to this file's own receiver or a closed local
 * port, paths relative to a temp working directory, no `--host`), readiness
 * always gets `--no-api`, and the long-running `sandbox` command gets an
 * already-aborted shutdown signal so it starts, prints and stops.
 */
import fc from 'fast-check';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/cli/main.js';
import { counts } from './counters.js';
import { anyString, mutated } from './mutate.js';

const ENV_TOKEN = 'sdrp_envtoken_DO_NOT_PRINT_4b1c';
const ENV_SECRET = 'whsec_envsecret_DO_NOT_PRINT_9e2a';
const SEED = Number(process.env.RELIABILITY_SEED ?? 20_260_611);

const FLAGS = [
  '--json', '--verbose', '--help', '-h', '--version', '-v', '--sandbox', '--no-api', '--no-probe', '--force',
  '--merchant', '--origin', '--webhook-url', '--currency', '--amount-minor', '--base-url', '--timeout', '--env-file', '--dotenv', '--test-secret',
  '--target', '--url', '--secret', '--timestamp', '--port', '--state-file', '--scenario', '--webhook-secret', '--token',
];
const WORDS = ['readiness', 'doctor', 'init', 'express', 'fastapi', 'sandbox', 'webhook', 'trigger', 'sign', 'standard-settled', 'metered-accepted', 'batch-settled', 'unknown', 'help'];
const VALUES = ['0', '1', '301', '501', '-1', '1e3', '9007199254740993', 'JPY', 'usd', 'EUR', 'shop_alpha', 'SHOP', 'whsec_x', 'cli_key', 'out', 'a/b', '.env', 'state.json', ''];

export function describeCliFuzz(): void {
  describe('CLI argument parsing under random and mutated argv', () => {
    let receiver: Server;
    let okUrl = '';
    let closedUrl = '';
    let cwd = '';

    beforeAll(async () => {
      cwd = mkdtempSync(join(tmpdir(), 'sdrp-reliability-cli-'));
      receiver = createServer((req, res) => {
        req.resume();
        req.on('end', () => res.writeHead(req.url?.includes('reject') ? 400 : 204).end());
      });
      await new Promise<void>((r) => receiver.listen(0, '127.0.0.1', r));
      okUrl = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/hook`;
      // A port that was free a moment ago: connection refused, quickly.
      const probe = createServer();
      await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
      closedUrl = `http://127.0.0.1:${(probe.address() as AddressInfo).port}/v1`;
      await new Promise<void>((r) => probe.close(() => r()));
    });

    afterAll(async () => {
      receiver.closeAllConnections();
      await new Promise<void>((r) => receiver.close(() => r()));
      rmSync(cwd, { recursive: true, force: true });
    });

    /** Keeps a generated argv on loopback and inside the temp directory. */
    function sanitize(argv: string[]): string[] {
      const allowed = [okUrl, `${okUrl}?reject`, closedUrl];
      const out: string[] = [];
      for (let a of argv) {
        if (a === '--' || a.startsWith('--host')) continue;
        const value = a.replace(/^--[a-z-]+=/, '');
        if (a.includes(':') && !allowed.some((u) => value.startsWith(u))) a = a.replaceAll(':', '_');
        if (!a.includes(':')) {
          a = a.replaceAll('..', '__');
          if (/^[/\\~]/.test(value)) a = a.replace(value, `x${value}`);
        }
        out.push(a);
      }
      // Readiness checks the local config only: no API, no probes, no in-process sandbox.
      if (out.some((a) => a === 'readiness' || a === 'doctor')) out.push('--no-api', '--no-api');
      return out;
    }

    it('always ends in exit 0, 1 or 2 with a one-line usage message and no secret in the output', async () => {
      const corpus: string[][] = [
        ['readiness', '--json'],
        ['readiness', '--merchant', 'shop_alpha', '--currency', 'usd', '--amount-minor', '301', '--origin', 'https://shop.example'],
        ['doctor', '--webhook-url', 'https://shop.example/payments/webhooks/siglume', '--timeout', '500', '--verbose'],
        ['init', 'express', '--target', 'out', '--force', '--json'],
        ['init', 'fastapi'],
        ['webhook', 'trigger', 'standard-settled', '--url', okUrl, '--secret', 'whsec_x', '--amount-minor', '4200'],
        ['webhook', 'trigger', 'metered-accepted', '--url', `${okUrl}?reject`, '--json', '--timeout', '2000'],
        ['webhook', 'trigger', 'unknown', '--url', closedUrl, '--currency', 'USD'],
        ['webhook', 'sign', '--secret', 'whsec_x', '--timestamp', '1800000000'],
        ['sandbox', '--port', '0', '--json', '--merchant', 'shop_alpha', '--state-file', 'state.json'],
        ['--help'],
        ['--version'],
        ['webhook'],
        [],
      ];
      const token = fc.oneof(
        { weight: 3, arbitrary: fc.constantFrom(...FLAGS) },
        { weight: 2, arbitrary: fc.constantFrom(...WORDS, ...VALUES) },
        { weight: 2, arbitrary: anyString(16) },
        { weight: 1, arbitrary: fc.constantFrom(okUrl, closedUrl).chain((u) => mutated(u)) },
        { weight: 1, arbitrary: fc.constantFrom(...FLAGS).chain((f) => anyString(8).map((v) => `${f}=${v}`)) },
      );
      type Edit = { op: 0 | 1 | 2 | 3; at: number; tok: string; keepCommand: boolean };
      const edit = fc.record({ op: fc.constantFrom<Edit['op']>(0, 1, 2, 3), at: fc.nat(), tok: token, keepCommand: fc.boolean() });
      // Mostly edits after the command words, so most inputs reach a command's own option parsing and action.
      const mutate = ([base, edits]: [string[], Edit[]]) => {
        const a = [...base];
        const fixed = a[0] === 'webhook' || a[0] === 'init' ? 2 : a.length > 0 && !a[0]!.startsWith('-') ? 1 : 0;
        for (const e of edits) {
          const from = e.keepCommand ? Math.min(fixed, a.length) : 0;
          const at = from + (a.length - from === 0 ? 0 : e.at % (a.length - from));
          if (e.op === 0 && at < a.length) a.splice(at, 1);
          else if (e.op === 1) a.splice(at, 0, e.tok);
          else if (e.op === 2 && at < a.length) a[at] = e.tok;
          else a.push(e.tok);
        }
        return a;
      };
      const argvArb = fc.oneof(
        { weight: 5, arbitrary: fc.tuple(fc.constantFrom(...corpus), fc.array(edit, { minLength: 1, maxLength: 3 })).map(mutate) },
        { weight: 1, arbitrary: fc.array(token, { maxLength: 6 }) },
      );

      const codes = new Map<number, number>();
      await fc.assert(
        fc.asyncProperty(argvArb, fc.string({ maxLength: 40 }), async (raw, stdinText) => {
          const argv = sanitize(raw);
          counts.badInputs += 1;
          let stdout = '';
          let stderr = '';
          const code = await main(argv, {
            name: 'siglume-check',
            env: {
              PATH: process.env.PATH,
              NO_COLOR: '1',
              SIGLUME_API_BASE: closedUrl,
              SIGLUME_MERCHANT_AUTH_TOKEN: ENV_TOKEN,
              SIGLUME_WEBHOOK_SECRET: ENV_SECRET,
            },
            cwd,
            stdout: { write: (s: string) => (stdout += s), isTTY: false },
            stderr: { write: (s: string) => (stderr += s), isTTY: false },
            stdin: Object.assign(Readable.from([Buffer.from(stdinText)]), { isTTY: false }),
            signal: AbortSignal.abort(),
          });
          codes.set(code, (codes.get(code) ?? 0) + 1);
          expect([0, 1, 2], `argv ${JSON.stringify(argv)}`).toContain(code);
          expect(stderr, `argv ${JSON.stringify(argv)}`).not.toMatch(/\n\s+at .+:\d+:\d+/);
          if (code === 2) expect(stderr.trim().length, `argv ${JSON.stringify(argv)}`).toBeGreaterThan(0);
          for (const secret of [ENV_TOKEN, ENV_SECRET]) {
            expect(stdout + stderr, `argv ${JSON.stringify(argv)}`).not.toContain(secret);
          }
        }),
        { numRuns: 1000, seed: SEED },
      );
      // The generator reached both accepted and refused command lines.
      expect(codes.get(2) ?? 0).toBeGreaterThan(0);
      expect((codes.get(0) ?? 0) + (codes.get(1) ?? 0)).toBeGreaterThan(0);
    }, 60_000);
  });
}
