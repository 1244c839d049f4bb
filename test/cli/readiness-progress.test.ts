/**
 * A readiness run that waits says what for, while it waits: a spinner on a
 * terminal from the first API call on, one plain stderr line per check that
 * has waited 2 s elsewhere, nothing with --json (whose stdout stays one JSON
 * document). Driven against a loopback server that accepts connections and
 * never answers; the test ends the wait by closing it.
 */
import { createServer, type Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { main } from '../../src/cli/main.js';
import { startSandbox, type SandboxHandle } from '../../src/sandbox/index.js';
import { TEST_SECRET, TEST_TOKEN } from '../readiness/support.js';
import { emptyDir } from './support.js';

/** A server that accepts every request and never answers it. */
async function silentServer(): Promise<{ server: Server; url: string }> {
  const server = createServer(() => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

function closeServer(server: Server): Promise<void> {
  server.closeAllConnections();
  return new Promise((resolve) => server.close(() => resolve()));
}

/** `main(argv)` in-process, with its output readable while it runs. */
function startCli(argv: string[], env: Record<string, string>, tty = false, columns = 200) {
  const out = { stdout: '', stderr: '', code: null as number | null };
  const done = main(argv, {
    name: 'siglume-check',
    env,
    cwd: emptyDir(),
    stdout: { write: (s: string) => (out.stdout += s), isTTY: tty },
    stderr: { write: (s: string) => (out.stderr += s), isTTY: tty, columns },
    stdin: Object.assign((async function* () {})(), { isTTY: false }),
  }).then((code) => (out.code = code));
  return { out, done };
}

/** `text` without the colour codes (CI keeps colours on a terminal; TERM=dumb does not). */
const plain = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, '');

async function until(condition: () => boolean, ms: number): Promise<void> {
  const deadline = performance.now() + ms;
  while (!condition() && performance.now() < deadline) await new Promise((r) => setTimeout(r, 25));
}

/** A complete sandbox configuration pointing at `api`. */
function envFor(api: string): Record<string, string> {
  return {
    SIGLUME_ENV: 'sandbox',
    SIGLUME_API_BASE: `${api}/v1`,
    SIGLUME_MERCHANT_AUTH_TOKEN: TEST_TOKEN,
    SIGLUME_DIRECT_PAYMENT_MERCHANT: 'sandbox_shop',
    SIGLUME_WEBHOOK_SECRET: TEST_SECRET,
    SHOP_PUBLIC_ORIGIN: 'http://127.0.0.1:3000',
    SHOP_WEBHOOK_URL: 'http://127.0.0.1:3000/payments/webhooks/siglume',
  };
}

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  while (closers.length) await closers.pop()!();
});

describe('readiness progress while the API does not answer', () => {
  describe('when stderr is not a terminal', () => {
    it('prints one line naming the check, the API and its timeout once the wait passes 2 s, before the run ends', async () => {
      const { server, url } = await silentServer();
      closers.push(() => closeServer(server));
      const run = startCli(['readiness'], envFor(url));
      // Generous: a loaded CI machine may be slow to start the CLI; until() returns as soon as the line is there.
      await until(() => run.out.stderr !== '', 12_000);
      expect(run.out.code).toBeNull();
      const line = run.out.stderr.match(
        /^… hosted_checkout_readiness_api: still waiting for the API at (\S+) \((\d+\.\d) s; timeout 15 s, 2 retries\)\n$/,
      );
      expect(line?.[1]).toBe(`${url}/v1`);
      expect(Number(line?.[2])).toBeGreaterThanOrEqual(2);
      // The head and the Config section are out already; the rest waits for the API.
      expect(run.out.stdout).toMatch(/^Siglume Direct Request Payment readiness\n  sandbox · merchant sandbox_shop · API http:\S+\n\nConfig\n/);
      expect(run.out.stdout).toContain('  ✔ merchant_key ');
      expect(run.out.stdout).not.toContain('Readiness gates');
      await closeServer(server);
      await run.done;
      expect(run.out.code).toBe(1);
      expect(run.out.stdout).toContain('\n\nReadiness gates\n  ✖ hosted_checkout_readiness_api');
      expect(run.out.stdout.match(/Siglume Direct Request Payment/g)).toHaveLength(1);
      expect(run.out.stdout.match(/\nConfig\n/g)).toHaveLength(1);
    }, 20_000);
  });

  describe('when stderr is a terminal', () => {
    it('shows a spinner line naming the check and the API from the first API call on, and clears it', async () => {
      const { server, url } = await silentServer();
      closers.push(() => closeServer(server));
      const run = startCli(['readiness'], envFor(url), true);
      await until(() => run.out.stderr.includes('waiting'), 10_000);
      expect(run.out.code).toBeNull();
      expect(run.out.stderr).toContain(
        `hosted_checkout_readiness_api: waiting for the API at ${url}/v1 (0.`,
      );
      expect(run.out.stderr).toContain('timeout 15 s, 2 retries');
      await closeServer(server);
      await run.done;
      expect(run.out.stderr.endsWith('\r\x1b[2K')).toBe(true);
    }, 20_000);
  });

  describe('when the terminal cannot redraw a line (TERM=dumb) or the run is in CI', () => {
    it('writes no spinner frames, only the plain line of a wait past 2 s', async () => {
      const { server, url } = await silentServer();
      closers.push(() => closeServer(server));
      const runs = [startCli(['readiness'], { ...envFor(url), TERM: 'dumb' }, true), startCli(['readiness'], { ...envFor(url), CI: 'true' }, true)];
      await until(() => runs.every((run) => run.out.stderr !== ''), 12_000);
      await closeServer(server);
      await Promise.all(runs.map((run) => run.done));
      for (const run of runs) {
        expect(run.out.stderr).not.toContain('\r');
        expect(run.out.stderr).not.toContain('\x1b[2K');
        expect(plain(run.out.stderr)).toMatch(/^… hosted_checkout_readiness_api: still waiting for the API at \S+ \(\d+\.\d s; timeout 15 s, 2 retries\)\n$/);
      }
    }, 20_000);
  });

  describe('when the terminal reports 0 columns', () => {
    it('takes the width as unknown (80), not as 20 characters', async () => {
      const { server, url } = await silentServer();
      closers.push(() => closeServer(server));
      const run = startCli(['readiness'], envFor(url), true, 0);
      await until(() => run.out.stderr.includes('waiting'), 10_000);
      await closeServer(server);
      await run.done;
      const frame = plain(run.out.stderr.split('\r\x1b[2K').find((f) => f.includes('waiting'))!);
      // Spinner mark, a space and 77 characters of text, the last of them the ellipsis of a cut line.
      expect(frame).toContain('hosted_checkout_readiness_api: waiting for the API');
      expect([...frame].length).toBeLessThanOrEqual(2 + 77);
      expect([...frame].length).toBeGreaterThan(40);
    }, 20_000);
  });

  describe('when --json is given', () => {
    it('keeps stdout one JSON document and prints no progress', async () => {
      const { server, url } = await silentServer();
      closers.push(() => closeServer(server));
      const run = startCli(['readiness', '--json'], envFor(url));
      await new Promise((r) => setTimeout(r, 2500));
      expect(run.out.code).toBeNull();
      await closeServer(server);
      await run.done;
      expect(run.out.code).toBe(1);
      expect(run.out.stderr).toBe('');
      const report = JSON.parse(run.out.stdout) as { ok: boolean; checks: Array<{ name: string; status: string }> };
      expect(report.ok).toBe(false);
      expect(report.checks.find((c) => c.name === 'hosted_checkout_readiness_api')?.status).toBe('fail');
    }, 20_000);
  });
});

describe('verify progress while the shop does not answer the test delivery', () => {
  let sandbox: SandboxHandle;

  it('says, without a terminal, that it is waiting for the test delivery, before the run ends', async () => {
    const shop = await silentServer();
    closers.push(() => closeServer(shop.server));
    sandbox = await startSandbox({
      port: 0,
      merchant_token: TEST_TOKEN,
      webhook_secret: TEST_SECRET,
      origin: shop.url,
      webhook_url: `${shop.url}/payments/webhooks/siglume`,
      quiet: true,
      delivery_timeout_ms: 8000,
    });
    closers.push(() => sandbox.close());
    // The line comes at 2 s of waiting and the run ends at 6 s: room for a slow machine between the two.
    const run = startCli(['verify', '--timeout', '6000'], { ...sandbox.env, SIGLUME_ENV: 'sandbox' } as Record<string, string>);
    await until(() => run.out.stderr !== '', 12_000);
    expect(run.out.code).toBeNull();
    expect(run.out.stderr).toMatch(
      /^… Still waiting for the test delivery evt_\w+ \(\d\.\d s of 6 s\)\n$/,
    );
    await run.done;
    expect(run.out.code).toBe(1);
    expect(run.out.stderr.split('\n').filter(Boolean)).toHaveLength(1);
  }, 30_000);
});
