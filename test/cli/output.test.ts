import { describe, expect, it } from 'vitest';
import type { CliIo } from '../../src/cli/io.js';
import type { WebhookTriggerResult } from '../../src/devtools/webhook-trigger.js';
import { colorEnabled, createOutput, readinessJson } from '../../src/cli/output.js';
import type { ReadinessReport } from '../../src/readiness/types.js';

function capture(opts: { env?: Record<string, string>; tty?: boolean } = {}) {
  const written = { stdout: '', stderr: '' };
  const io: CliIo = {
    name: 'siglume-check',
    env: opts.env ?? {},
    cwd: '/',
    stdin: (async function* () {})(),
    stdout: { write: (s: string) => (written.stdout += s), isTTY: opts.tty ?? false },
    stderr: { write: (s: string) => (written.stderr += s), isTTY: opts.tty ?? false },
  };
  return { output: createOutput(io), written };
}

const REPORT: ReadinessReport = {
  ok: false,
  command: 'readiness',
  environment: 'live',
  mode: 'full',
  base_url: 'https://siglume.com/v1',
  merchant: 'shop_one',
  checks: [
    { name: 'merchant_key', group: 'config', status: 'pass', message: 'Merchant key is shop_one', duration_ms: 0 },
    { name: 'webhook_url', group: 'config', status: 'warn', message: 'Webhook URL looks odd', fix: 'Check the account.', duration_ms: 3 },
    { name: 'billing_mandate', group: 'account', status: 'fail', message: 'No mandate', fix: 'Prepare one.', duration_ms: 2, details: { merchant: 'shop_one' } },
    { name: 'hosted_checkout_probe', group: 'probe', status: 'skip', message: 'Skipped: billing_mandate failed', reason: 'billing_mandate failed', duration_ms: 0 },
  ],
  summary: { total: 4, pass: 1, warn: 1, fail: 1, skip: 1, verdict: 'Not ready: 1 check failed (billing_mandate), 1 skipped.' },
  duration_ms: 12,
};

describe('colorEnabled', () => {
  describe('when deciding from the environment and the stream', () => {
    it.each([
      [{}, true, true],
      [{}, false, false],
      [{ NO_COLOR: '1' }, true, false],
      [{ NO_COLOR: '' }, true, true],
      [{ FORCE_COLOR: '1' }, false, true],
      [{ FORCE_COLOR: '0' }, true, false],
      [{ NO_COLOR: '1', FORCE_COLOR: '1' }, true, false],
      [{ TERM: 'dumb' }, true, false],
    ])('env %j with isTTY=%s -> %s', (env, isTTY, expected) => {
      expect(colorEnabled(env, { write: () => true, isTTY })).toBe(expected);
    });
  });
});

describe('Output.readinessReport', () => {
  describe('when printing for a person', () => {
    it('marks each check, puts the fix under failures and warnings, and ends with the verdict', () => {
      const { output, written } = capture();
      output.readinessReport(REPORT, { json: false, verbose: false });
      const lines = written.stdout.split('\n');
      const at = (text: string) => lines.findIndex((l) => l.includes(text));
      expect(lines[at('✔ merchant_key')]).toContain('Merchant key is shop_one');
      expect(lines[at('! webhook_url') + 1]).toBe('      fix: Check the account.');
      expect(lines[at('✖ billing_mandate') + 1]).toBe('      fix: Prepare one.');
      expect(lines[at('- hosted_checkout_probe')]).toContain('Skipped: billing_mandate failed');
      expect(lines[0]).toBe('Siglume Direct Request Payment readiness');
      expect(lines[1]).toBe('  live · merchant shop_one · API https://siglume.com/v1');
      expect(lines.at(-2)).toMatch(/^✖ Not ready: 1 check failed \(billing_mandate\), 1 skipped\. \(1 passed, 1 warning, 1 failed, 1 skipped in 12 ms\)$/);
      expect(written.stdout).not.toContain('merchant: shop_one');
      expect(written.stdout).not.toContain('\x1b[');
    });

    it('prints a fix naming several requirements one per line, aligned under the first', () => {
      const { output, written } = capture();
      const report: ReadinessReport = {
        ...REPORT,
        checks: [
          {
            name: 'hosted_checkout_missing_requirements',
            group: 'readiness',
            status: 'fail',
            message: 'Missing requirements: terms_acceptance, live_mode_requested',
            fix: 'terms_acceptance: accept the terms.\nlive_mode_requested: ask for live mode.',
            duration_ms: 1,
          },
        ],
      };
      output.readinessReport(report, { json: false, verbose: false });
      const lines = written.stdout.split('\n');
      const at = lines.findIndex((l) => l.includes('✖ hosted_checkout_missing_requirements'));
      expect(lines.slice(at + 1, at + 3)).toEqual([
        '      fix: terms_acceptance: accept the terms.',
        '           live_mode_requested: ask for live mode.',
      ]);
      expect(lines[at - 1]).toBe('Readiness gates');
    });

    it('adds details and timings with verbose', () => {
      const { output, written } = capture();
      output.readinessReport(REPORT, { json: false, verbose: true });
      expect(written.stdout).toContain('No mandate (2 ms)');
      expect(written.stdout).toContain('      merchant: shop_one');
    });

    it('colours only when asked to', () => {
      const forced = capture({ env: { FORCE_COLOR: '1' } });
      forced.output.readinessReport(REPORT, { json: false, verbose: false });
      expect(forced.written.stdout).toContain('\x1b[');
      const tty = capture({ tty: true, env: { NO_COLOR: '1' } });
      tty.output.readinessReport(REPORT, { json: false, verbose: false });
      expect(tty.written.stdout).not.toContain('\x1b[');
    });
  });

  describe('when printing JSON', () => {
    it('keeps fix on fail and warn, reason on skip, and nothing else optional', () => {
      const json = readinessJson(REPORT) as { checks: Array<Record<string, unknown>> };
      expect(json.checks.map((c) => Object.keys(c))).toEqual([
        ['name', 'group', 'status', 'message', 'duration_ms'],
        ['name', 'group', 'status', 'message', 'fix', 'duration_ms'],
        ['name', 'group', 'status', 'message', 'fix', 'duration_ms', 'details'],
        ['name', 'group', 'status', 'message', 'reason', 'duration_ms'],
      ]);
    });
  });
});

describe('Output.readinessReport with control characters', () => {
  const hostile: ReadinessReport = {
    ...REPORT,
    checks: [
      {
        name: 'billing_mandate',
        group: 'account',
        status: 'fail',
        message: 'API said \x1b[2J\u009b2Jall good',
        fix: 'Ask \x1b]0;PWNED\x07support',
        duration_ms: 2,
        details: { error: 'upstream \x1b[1A\u009bK\x7f' },
      },
    ],
  };

  describe('when printing for a person', () => {
    it('shows ESC, C1 and DEL from the message, fix and details escaped', () => {
      const { output, written } = capture();
      output.readinessReport(hostile, { json: false, verbose: true });
      expect(written.stdout).not.toMatch(/[\x1b\x07\x7f\u009b]/);
      expect(written.stdout).toContain('API said \\u001b[2J\\u009b2Jall good');
      expect(written.stdout).toContain('fix: Ask \\u001b]0;PWNED\\u0007support');
      expect(written.stdout).toContain('      error: upstream \\u001b[1A\\u009bK\\u007f');
    });
  });

  describe('when printing JSON', () => {
    it('escapes C1 and DEL too, and parses back to the original strings', () => {
      const { output, written } = capture({ env: { FORCE_COLOR: '1' } });
      output.readinessReport(hostile, { json: true, verbose: false });
      expect(written.stdout).not.toMatch(/[\x1b\x07\x7f\u009b]/);
      expect(written.stdout).toContain('\\u009b');
      const check = (JSON.parse(written.stdout) as { checks: Array<Record<string, unknown>> }).checks[0]!;
      expect(check.message).toBe(hostile.checks[0]!.message);
      expect(check.fix).toBe('Ask \x1b]0;PWNED\x07support');
      expect(check.details).toEqual({ error: 'upstream \x1b[1A\u009bK\x7f' });
    });
  });
});

describe('Output.webhookTriggerResult', () => {
  const HOSTILE_BODY = '\x1b]0;PWNED-TITLE\x07\x1b[2J\x1b[5mFAKE: all good';
  const result: WebhookTriggerResult & { url: string } = {
    url: 'http://127.0.0.1:4000/webhooks',
    status: 500,
    status_text: 'Oops\r\x1b[2K',
    ok: false,
    kind: 'standard_settled',
    event_id: 'evt_1',
    event_type: 'payment.settled',
    signing_secret_hint: 'abcd',
    test_secret: false,
    response_body: HOSTILE_BODY,
    duration_ms: 5,
  };

  describe('when the receiver answers with terminal control sequences', () => {
    it('writes them escaped, never as ESC, BEL or CR bytes', () => {
      const { output, written } = capture();
      output.webhookTriggerResult({ ...result, response_body: `${HOSTILE_BODY} \x1b[31mred` }, { source: 'flag' }, { json: false });
      expect(written.stdout).not.toMatch(/[\x1b\x07\r]/);
      expect(written.stdout).toContain('-> 500 Oops\\u000d\\u001b[2K (5 ms)');
      expect(written.stdout).toContain('  response: \\u001b]0;PWNED-TITLE\\u0007\\u001b[2J\\u001b[5mFAKE: all good \\u001b[31mred');
    });
  });

  describe('when colours are on', () => {
    it("keeps the module's own colour codes and escapes the receiver's", () => {
      const { output, written } = capture({ env: { FORCE_COLOR: '1' } });
      output.webhookTriggerResult(result, { source: 'flag' }, { json: false });
      expect(written.stdout).toContain('\x1b[31m✖\x1b[39m POST');
      expect(written.stdout).toContain('\x1b[31m500 Oops\\u000d\\u001b[2K\x1b[39m');
      expect(written.stdout).toContain('\x1b[2m  response: \\u001b]0;PWNED-TITLE\\u0007\\u001b[2J\\u001b[5mFAKE: all good\x1b[22m');
      expect(written.stdout.replace(/\x1b\[(?:1|2|22|31|32|33|36|39)m/g, '')).not.toMatch(/[\x1b\x07\r]/);
    });
  });
});

describe('Output.error', () => {
  describe('when the message carries control characters', () => {
    it('escapes them on the error line, coloured or not', () => {
      const plain = capture();
      plain.output.error('API said \x1b[2J\x1b]0;t\x07done');
      expect(plain.written.stderr).toBe('error: API said \\u001b[2J\\u001b]0;t\\u0007done\n');
      const coloured = capture({ env: { FORCE_COLOR: '1' } });
      coloured.output.error('API said \x1b[2J');
      expect(coloured.written.stderr).toBe('\x1b[31merror: API said \\u001b[2J\x1b[39m\n');
    });
  });
});

describe('Output.readinessProgress', () => {
  const waiting = { type: 'delivery_waiting', event_id: 'evt_1', attempt: 1, elapsed_ms: 120, timeout_ms: 10_000 } as const;

  describe('when stderr is a TTY', () => {
    it('draws a spinner line while waiting and clears it afterwards', () => {
      const { output, written } = capture({ tty: true });
      const progress = output.readinessProgress({ json: false });
      progress.onProgress(waiting);
      progress.stop();
      expect(written.stderr).toContain('Waiting for the test delivery evt_1 (0.1 s of 10 s)');
      expect(written.stderr.endsWith('\r\x1b[2K')).toBe(true);
      expect(written.stdout).toBe('');
    });
  });

  describe('when a check waits for the API on a narrow terminal', () => {
    it('names the check and the API on one row, cut to the width', () => {
      const { output, written } = capture({ tty: true });
      (output as unknown as { io: CliIo }).io.stderr.columns = 90;
      const progress = output.readinessProgress({
        json: false,
        api: { timeout_ms: 15_000, max_retries: 2 },
      });
      progress.onProgress({ type: 'config_checked', environment: 'live', base_url: 'http://127.0.0.1:9/v1', merchant: null });
      progress.onProgress({ type: 'check_started', name: 'hosted_checkout_readiness_api', group: 'readiness' });
      progress.stop();
      const row = written.stderr.split('\r\x1b[2K')[1]!.replace(/\x1b\[3[69]m/g, '');
      expect(row.startsWith('⠋ hosted_checkout_readiness_api: waiting for the API at http://127.0.0.1:9/v1 (0.')).toBe(true);
      expect(row.endsWith('…')).toBe(true);
      expect([...row].length).toBeLessThanOrEqual(89);
    });
  });

  describe('when the event id from the server carries control characters', () => {
    it('draws it escaped, keeping only its own line clearing', () => {
      const { output, written } = capture({ tty: true });
      const progress = output.readinessProgress({ json: false });
      progress.onProgress({ ...waiting, event_id: 'evt_\x1b]0;x\x07\x1b[2J' });
      progress.stop();
      expect(written.stderr).toContain('Waiting for the test delivery evt_\\u001b]0;x\\u0007\\u001b[2J (0.1 s of 10 s)');
      expect(written.stderr.replace(/\r\x1b\[2K|\x1b\[3[69]m/g, '')).not.toMatch(/[\x1b\x07\r]/);
    });
  });

  describe('when stderr is not a TTY or JSON is requested', () => {
    it('prints nothing at once (a terminal-less run says only what waits over 2 s)', () => {
      const pipe = capture({ tty: false });
      const progress = pipe.output.readinessProgress({ json: false });
      progress.onProgress(waiting);
      progress.stop();
      const json = capture({ tty: true });
      json.output.readinessProgress({ json: true }).onProgress(waiting);
      expect(pipe.written.stderr + json.written.stderr).toBe('');
    });
  });
});
