/**
 * docs/quickstart-10-minutes.md is run, block by block, the way a reader
 * follows it. Every fenced block whose info string holds `quickstart` is a
 * step, in document order:
 *
 * - ```sh quickstart            runs in bash (-e -o pipefail) in the project; must exit 0
 * - ```sh quickstart exit=N     must exit N (a forged webhook, refused)
 * - ```sh quickstart background=NAME ready=URL
 *                               starts a long-running command (the reader's second terminal)
 *                               and waits until URL answers HTTP
 * - ```<lang> quickstart file=PATH   the block is saved as PATH in the project
 *
 * The project is a temporary folder outside the repository, made by the
 * doc's own `npm init -y`; the package comes from `npm pack` of the built
 * repository. Exported variables carry over from one shell block to the
 * next, as in one terminal. Only these substitutions are made, each of which
 * must find its text (so the doc cannot silently drift away from them):
 *
 * - `npm install @siglume/direct-request-payment` installs the packed tarball;
 *   every `npm install` gets `--prefer-offline --no-audit --no-fund` (npm's
 *   cache, warmed by the repository's `npm ci`, serves the packages);
 * - the sandbox's `--port 8787` / 127.0.0.1:8787 and the shop's
 *   127.0.0.1:3000 / listen(3000) become free ephemeral ports;
 * - the doc's DATABASE_URL becomes a PostgreSQL database created for this
 *   run and dropped after it.
 *
 * At the end the database must hold exactly one paid order with its payment
 * and one processed payment event, and the shop's success page must answer
 * the order id from its URL as text/plain (never HTML). Everything started is killed (process
 * group) in afterAll, with bounded waits. Needs PostgreSQL and psql: skipped
 * (and saying so) without them, except under CI=true, where it fails.
 */
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { root, scanMarkdown, type CodeBlock } from './support/markdown.js';
import { READINESS_CHECK_NAMES } from '../../src/readiness/types.js';

const run = promisify(execFile);
const DOC = join(root, 'docs/quickstart-10-minutes.md');
const ADMIN_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
/** Longest a foreground step may take (npm install on a cold, busy machine). */
const STEP_TIMEOUT_MS = 240_000;
/** Longest a background step may take to answer its ready URL. */
const READY_TIMEOUT_MS = 90_000;

/** One step of the quickstart. */
export type QuickstartStep =
  | { kind: 'run'; line: number; code: string; exit: number }
  | { kind: 'background'; line: number; code: string; name: string; ready: string }
  | { kind: 'file'; line: number; code: string; path: string };

function attributes(block: CodeBlock): Record<string, string> {
  const out: Record<string, string> = {};
  for (const a of block.attributes) {
    const eq = a.indexOf('=');
    if (eq > 0) out[a.slice(0, eq)] = a.slice(eq + 1);
  }
  return out;
}

/** The marked blocks of `markdown`, in order, as steps. */
export function quickstartSteps(file: string): QuickstartStep[] {
  return scanMarkdown(file)
    .blocks.filter((b) => b.attributes.includes('quickstart'))
    .map((b): QuickstartStep => {
      const a = attributes(b);
      if (a.file) return { kind: 'file', line: b.line, code: `${b.code}\n`, path: a.file };
      if (b.lang !== 'sh') throw new Error(`${DOC}:${b.line}: a quickstart block without file= must be sh`);
      if (a.background) {
        if (!a.ready) throw new Error(`${DOC}:${b.line}: background=${a.background} needs ready=<url>`);
        return { kind: 'background', line: b.line, code: b.code, name: a.background, ready: a.ready };
      }
      return { kind: 'run', line: b.line, code: b.code, exit: a.exit === undefined ? 0 : Number(a.exit) };
    });
}

/** A text substitution the test makes; `used` counts where it applied. */
interface Substitution {
  from: RegExp;
  to: string;
  used: number;
}

function substitute(text: string, subs: Substitution[]): string {
  let out = text;
  for (const s of subs) {
    out = out.replace(s.from, () => {
      s.used += 1;
      return s.to;
    });
  }
  return out;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Why the quickstart cannot run here (no PostgreSQL, no psql), or null. */
async function unavailable(): Promise<string | null> {
  try {
    await run('psql', ['--version']);
  } catch {
    return 'psql is not installed';
  }
  const client = new pg.Client({ connectionString: ADMIN_URL, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    return null;
  } catch (error) {
    return `PostgreSQL is unreachable at DATABASE_URL (${(error as Error).message})`;
  } finally {
    await client.end().catch(() => {});
  }
}

const skipReason = await unavailable();
if (skipReason && process.env.CI === 'true') throw new Error(`the quickstart test needs PostgreSQL and psql in CI: ${skipReason}`);

interface Background {
  name: string;
  child: ChildProcess;
  output: string;
  exited: Promise<void>;
  done: boolean;
}

/** Kills a process group: SIGTERM, then SIGKILL after `graceMs`; waits at most that long plus a second. */
async function killGroup(b: Background, graceMs = 5000): Promise<void> {
  if (b.done || b.child.pid === undefined) return;
  const signal = (s: NodeJS.Signals) => {
    try {
      process.kill(-b.child.pid!, s);
    } catch {
      // already gone
    }
  };
  signal('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const waited = await Promise.race([b.exited.then(() => true), new Promise<false>((r) => (timer = setTimeout(() => r(false), graceMs)))]);
  clearTimeout(timer);
  if (!waited) {
    signal('SIGKILL');
    await Promise.race([b.exited, new Promise((r) => setTimeout(r, 1000))]);
  }
}

/** What a reader's terminal has: PATH, HOME and the locale; no SIGLUME_* / SHOP_* / npm_* from this run. */
function readerEnv(): Record<string, string> {
  const env: Record<string, string> = { NO_COLOR: '1' };
  for (const k of ['PATH', 'HOME', 'USER', 'LANG', 'TMPDIR']) if (process.env[k]) env[k] = process.env[k]!;
  return env;
}

describe.skipIf(skipReason !== null)('docs/quickstart-10-minutes.md, run as written', () => {
  let project = '';
  /** Outside the project: where each shell block leaves its environment for the next. */
  let scratch = '';
  let database = '';
  let databaseUrl = '';
  let sandboxPort = 0;
  let shopPort = 0;
  let tarball = '';
  const background: Background[] = [];
  const outputs: Array<{ step: QuickstartStep; stdout: string }> = [];
  let subs: Substitution[] = [];
  const started = Date.now();
  // Last resort if the worker dies before afterAll: no sandbox or shop outlives the run.
  const killAll = () => {
    for (const b of background) {
      try {
        if (!b.done && b.child.pid !== undefined) process.kill(-b.child.pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
  };
  process.once('exit', killAll);

  beforeAll(async () => {
    project = mkdtempSync(join(tmpdir(), 'sdrp-quickstart-'));
    scratch = mkdtempSync(join(tmpdir(), 'sdrp-quickstart-env-'));
    const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', project], { cwd: root, maxBuffer: 16 * 1024 * 1024 });
    tarball = join(project, (JSON.parse(stdout) as Array<{ filename: string }>)[0]!.filename);
    readFileSync(join(root, 'dist/index.js')); // the pack holds the build: fail here, not in npm, when it is missing
    database = `quickstart_${process.pid}_${Date.now().toString(36)}`;
    const admin = new pg.Client({ connectionString: ADMIN_URL });
    await admin.connect();
    try {
      await admin.query(`CREATE DATABASE ${database}`);
    } finally {
      await admin.end();
    }
    const url = new URL(ADMIN_URL);
    url.pathname = `/${database}`;
    databaseUrl = url.toString();
    sandboxPort = await freePort();
    shopPort = await freePort();
    subs = [
      { from: /npm install @siglume\/direct-request-payment/g, to: `npm install ${tarball}`, used: 0 },
      { from: /npm install /g, to: 'npm install --prefer-offline --no-audit --no-fund ', used: 0 },
      { from: /--port 8787/g, to: `--port ${sandboxPort}`, used: 0 },
      { from: /127\.0\.0\.1:8787/g, to: `127.0.0.1:${sandboxPort}`, used: 0 },
      { from: /127\.0\.0\.1:3000/g, to: `127.0.0.1:${shopPort}`, used: 0 },
      { from: /listen\(3000,/g, to: `listen(${shopPort},`, used: 0 },
      { from: /postgres:\/\/postgres@127\.0\.0\.1:5432\/shop/g, to: databaseUrl, used: 0 },
    ];
  }, 120_000);

  afterAll(async () => {
    await Promise.allSettled(background.map((b) => killGroup(b)));
    process.off('exit', killAll);
    if (database) {
      const admin = new pg.Client({ connectionString: ADMIN_URL });
      await admin.connect();
      try {
        await admin.query(`DROP DATABASE IF EXISTS ${database} WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    }
    if (project) rmSync(project, { recursive: true, force: true });
    if (scratch) rmSync(scratch, { recursive: true, force: true });
    // The figure the report quotes: how long a reader's quickstart takes here, install included.
    process.stdout.write(`\nquickstart: all steps in ${Math.round((Date.now() - started) / 1000)} s\n`);
  }, 60_000);

  /** Runs a foreground block in bash with the carried-over environment; returns its output. */
  async function runStep(step: Extract<QuickstartStep, { kind: 'run' }>, env: Record<string, string>, envDump: string): Promise<{ code: number; stdout: string; stderr: string }> {
    const script = `set -eo pipefail\n${substitute(step.code, subs)}\nenv -0 > ${JSON.stringify(envDump)}\n`;
    const child = spawn('bash', ['-c', script], { cwd: project, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const b: Background = { name: `line ${step.line}`, child, output: '', done: false, exited: new Promise((r) => child.once('exit', () => r())) };
    void b.exited.then(() => (b.done = true));
    let timer: NodeJS.Timeout | undefined;
    const timedOut = await Promise.race([
      new Promise<number>((r) => child.once('exit', (code) => r(code ?? 128))),
      new Promise<'timeout'>((r) => (timer = setTimeout(() => r('timeout'), STEP_TIMEOUT_MS))),
    ]);
    clearTimeout(timer);
    if (timedOut === 'timeout') {
      await killGroup(b);
      throw new Error(`quickstart block at line ${step.line} did not finish within ${STEP_TIMEOUT_MS / 1000} s\n${stdout}\n${stderr}`);
    }
    return { code: timedOut, stdout, stderr };
  }

  async function startBackground(step: Extract<QuickstartStep, { kind: 'background' }>, env: Record<string, string>): Promise<Background> {
    const child = spawn('bash', ['-c', `exec ${substitute(step.code, subs).trim()}`], { cwd: project, env, detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
    const b: Background = { name: step.name, child, output: '', done: false, exited: new Promise((r) => child.once('exit', () => r())) };
    void b.exited.then(() => (b.done = true));
    child.stdout!.on('data', (d: Buffer) => (b.output += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (b.output += d.toString()));
    background.push(b);
    const ready = substitute(step.ready, subs);
    const deadline = Date.now() + READY_TIMEOUT_MS;
    for (let attempt = 0; attempt < 1000 && Date.now() < deadline; attempt++) {
      if (b.done) throw new Error(`${step.name} (line ${step.line}) exited before ${ready} answered:\n${b.output}`);
      const answered = await fetch(ready, { signal: AbortSignal.timeout(2000) }).then(
        (r) => r.status > 0,
        () => false,
      );
      if (answered) return b;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`${step.name} (line ${step.line}): ${ready} did not answer within ${READY_TIMEOUT_MS / 1000} s:\n${b.output}`);
  }

  it('has the steps a reader follows: install, readiness, init, schema, server, sandbox, checkout, pay, edges', () => {
    const steps = quickstartSteps(DOC);
    const code = steps.map((s) => s.code).join('\n');
    for (const needle of ['npm init -y', 'npm pkg set type=module', 'npx tsc --init --types node', 'siglume-sdrp init express', 'export DATABASE_URL=', 'psql "$DATABASE_URL" -f', 'siglume-sdrp sandbox', 'checkout/siglume/start', '/pay', 'webhook trigger', 'readiness --sandbox']) {
      expect(code, `no quickstart block contains ${needle}`).toContain(needle);
    }
    expect(steps.filter((s) => s.kind === 'background').map((s) => (s as { name: string }).name)).toEqual(['sandbox', 'shop']);
    expect(steps.filter((s) => s.kind === 'file').map((s) => (s as { path: string }).path)).toEqual(['src/server.ts', '.env']);
  });

  it('runs every marked block in order and ends with one paid order', async () => {
    const steps = quickstartSteps(DOC);
    let env = readerEnv();
    const envDump = join(scratch, 'env');
    for (const step of steps) {
      if (step.kind === 'file') {
        const target = join(project, step.path);
        mkdirSync(dirname(target), { recursive: true });
        writeFileSync(target, substitute(step.code, subs));
        continue;
      }
      if (step.kind === 'background') {
        const b = await startBackground(step, env);
        if (step.name === 'sandbox') {
          // The .env block must be what the sandbox prints for the shop (its six variables), a block that
          // ends at the first blank line; the paid-API section after it is not the shop's.
          const shopBlock = b.output.slice(b.output.indexOf('SIGLUME_ENV=sandbox')).split('\n\n')[0]!;
          const printed = shopBlock.split('\n').filter((l) => /^(SIGLUME|SHOP)_[A-Z_]+=/.test(l) && !l.startsWith('SIGLUME_ENV='));
          expect(printed).toHaveLength(6);
          const dotenv = steps.find((s) => s.kind === 'file' && s.path === '.env')!;
          for (const line of printed) expect(substitute(dotenv.code, subs).split('\n'), `the .env block lacks ${line}`).toContain(line);
        }
        continue;
      }
      const result = await runStep(step, env, envDump);
      outputs.push({ step, stdout: result.stdout });
      const logs = background.map((b) => `--- ${b.name} ---\n${b.output.slice(-4000)}`).join('\n');
      expect(result.code, `quickstart block at line ${step.line} exited ${result.code}:\n${step.code}\n--- stdout ---\n${result.stdout}\n--- stderr ---\n${result.stderr}\n${logs}`).toBe(step.exit);
      if (step.exit === 0) {
        env = Object.fromEntries(
          readFileSync(envDump, 'utf8')
            .split('\0')
            .filter(Boolean)
            .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
        );
      }
    }
    // Every substitution applied somewhere: the doc still has the text this test rewrites.
    for (const s of subs) expect(s.used, `substitution ${s.from} found nothing in the quickstart`).toBeGreaterThan(0);

    // What the reader sees: a paid order, the payment on its attempt, 204s from the shop.
    const all = outputs.map((o) => o.stdout).join('\n');
    if (process.env.QUICKSTART_LOG) writeFileSync(process.env.QUICKSTART_LOG, outputs.map((o) => `--- line ${o.step.line}\n${o.stdout}`).join('\n'));
    expect(all).toMatch(/^\s*paid\s*$/m);
    // The count the page states is the count readiness runs, and the run passed them all.
    const stated = /runs all (\d+)\s+checks/.exec(readFileSync(DOC, 'utf8'))?.[1];
    expect(Number(stated)).toBe(READINESS_CHECK_NAMES.length);
    expect(all).toContain(`Ready: all ${READINESS_CHECK_NAMES.length} checks passed`);
    const paid = JSON.parse(readFileSync(join(project, 'paid.json'), 'utf8')) as { data: { deliveries: Array<{ response_status: number | null }> } };
    expect(paid.data.deliveries.map((d) => d.response_status)).toEqual([204]);
    const edges = outputs.find((o) => o.step.kind === 'run' && o.step.exit === 0 && o.step.code.includes('webhook trigger'))!;
    const [redeliverLine, ...triggerLines] = edges.stdout.split('\n');
    const redelivered = JSON.parse(redeliverLine!) as { data: { event_id: string; deliveries: Array<{ response_status: number | null }> } };
    expect(redelivered.data.deliveries.map((d) => d.response_status)).toEqual([204]);
    expect(triggerLines.join('\n')).toMatch(/^✔ POST \S+\/payments\/webhooks\/siglume -> 204 /m);
    const forged = outputs.find((o) => o.step.kind === 'run' && o.step.exit === 1)!;
    expect(forged.stdout).toMatch(/^✖ POST \S+ -> 503 /m);

    // The shop's success page (step 4) reads the order from the database: the paid order says paid (the page once
    // said "we will email you" whatever the order), and an id from the URL is never echoed, as HTML or at all.
    const successOf = (id: string) => fetch(`http://127.0.0.1:${shopPort}/checkout/siglume/success?order_id=${encodeURIComponent(id)}`);
    const success = await successOf('o1');
    expect(success.status).toBe(200);
    expect(await success.text()).toContain('Order o1 is paid.');
    const probe = await (await successOf('<script>alert(1)</script>')).text();
    expect(probe).not.toContain('script');
    expect(probe).toContain('Your order page shows whether your order is paid.');

    // And the database: one order, paid exactly once.
    const db = new pg.Client({ connectionString: databaseUrl });
    await db.connect();
    try {
      const orders = await db.query<{ order_id: string; status: string; paid_at: Date | null }>('SELECT order_id, status, paid_at FROM orders');
      expect(orders.rows).toEqual([{ order_id: 'o1', status: 'paid', paid_at: expect.any(Date) }]);
      const attempts = await db.query<{ requirement_id: string | null; chain_receipt_id: string | null }>(
        "SELECT requirement_id, chain_receipt_id FROM siglume_checkout_attempts WHERE order_id = 'o1'",
      );
      expect(attempts.rows).toHaveLength(1);
      expect(attempts.rows[0]).toEqual({ requirement_id: expect.stringMatching(/\S/), chain_receipt_id: expect.stringMatching(/\S/) });
      const outcomes = await db.query<{ outcome: string; n: string }>('SELECT outcome, count(*) AS n FROM siglume_webhook_events GROUP BY outcome ORDER BY outcome');
      const byOutcome = Object.fromEntries(outcomes.rows.map((r) => [r.outcome, Number(r.n)]));
      // One payment event marked the order paid (its redelivery changed nothing), the triggered
      // test event matched no order and became a review, the readiness probe was ignored, no review.
      expect(byOutcome).toEqual({ marked_paid: 1, 'review:ORDER_NOT_FOUND': 1, 'ignored:readiness_probe': 1 });
      const reviews = await db.query<{ code: string; order_id: string | null }>('SELECT code, order_id FROM siglume_payment_reviews');
      expect(reviews.rows).toEqual([{ code: 'ORDER_NOT_FOUND', order_id: null }]);
    } finally {
      await db.end();
    }
  }, 900_000);
});
