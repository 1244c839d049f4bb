/**
 * The only module of the CLI that writes to the terminal. It decides colour
 * (NO_COLOR, FORCE_COLOR, TTY), the marks (✔ ! ✖ -), the layout of each
 * command's human output and the `--json` shapes, so every command looks the
 * same and no other module prints. Every write goes through {@link neutralise},
 * because much of what is printed comes from outside (API error messages,
 * a webhook receiver's answer, delivery failures) and a control character in
 * it could retitle, clear or repaint the terminal to show forged output.
 */
import pc from 'picocolors';
import type { CopyTemplateResult } from '../init/copy-template.js';
import type { SandboxReadinessSetup } from '../devtools/sandbox-readiness.js';
import type { WebhookTriggerAttempt, WebhookTriggerResult } from '../devtools/webhook-trigger.js';
import type {
  ReadinessCheckGroup,
  ReadinessCommand,
  ReadinessCheckResult,
  ReadinessProgressEvent,
  ReadinessReport,
} from '../readiness/types.js';
import { NOT_VERIFIED_YET } from '../webhooks/status.js';
import { DEFAULT_SIGLUME_SANDBOX_API_BASE } from '../core/constants.js';
import { redactQuoted } from './errors.js';
import type { CliIo, CliWritable } from './io.js';

type Colors = ReturnType<typeof pc.createColors>;

/**
 * Whether to colour a stream: off when `NO_COLOR` is set and non-empty, on
 * when `FORCE_COLOR` is set (except `0` / `false`), else only on a TTY that
 * is not `TERM=dumb`.
 */
export function colorEnabled(env: Readonly<Record<string, string | undefined>>, stream: CliWritable): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined) return env.FORCE_COLOR !== '0' && env.FORCE_COLOR !== 'false';
  return stream.isTTY === true && env.TERM !== 'dumb';
}

/**
 * The control characters that could drive a terminal: C0 except `\n` and
 * `\t`, DEL and C1. The first alternative is the SGR codes picocolors emits
 * for the colours used here (bold/dim `1` `2` `22`, red/green/yellow/cyan
 * `31` `32` `33` `36` `39`); {@link neutralise} keeps those on a coloured
 * stream and escapes every other match.
 */
/**
 * Whether a stream may show redrawn frames (a spinner): a TTY that is not `TERM=dumb` (no cursor control) and not
 * a CI run (`CI` set and not `0` / `false`: its log keeps every frame, `\r` and all). Elsewhere progress is plain lines.
 */
export function animationEnabled(env: Readonly<Record<string, string | undefined>>, stream: CliWritable): boolean {
  if (stream.isTTY !== true || env.TERM === 'dumb') return false;
  const ci = env.CI;
  return ci === undefined || ci === '' || ci === '0' || ci.toLowerCase() === 'false';
}

const CONTROL = /\x1b\[(?:[12]|22|3[12369])m|[\x00-\x08\x0b-\x1f\x7f-\x9f]/g;

/**
 * `text` with each control character shown as `\u001b`-style text (lower-case,
 * 4 hex digits): visible to a person, and the same escape JSON uses, so JSON
 * text stays valid and parses back to the same strings. With `colors`, the
 * module's own SGR codes pass; without, nothing does (the module then emits
 * none, so any there came from outside).
 */
export function neutralise(text: string, colors: boolean): string {
  return text.replace(CONTROL, (m) =>
    m.length > 1 && colors ? m : `\\u${m.charCodeAt(0).toString(16).padStart(4, '0')}${m.slice(1)}`,
  );
}

const MARKS = { pass: '✔', warn: '!', fail: '✖', skip: '-' } as const;

const SECTIONS: ReadonlyArray<{ title: string; groups: readonly ReadinessCheckGroup[] }> = [
  { title: 'Config', groups: ['config'] },
  { title: 'Readiness gates', groups: ['readiness'] },
  { title: 'Account', groups: ['account'] },
  { title: 'Webhook subscription', groups: ['subscription'] },
  { title: 'Probes', groups: ['probe', 'delivery'] },
];

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

/** Context lines printed above a readiness report. */
export interface ReadinessPresentation {
  json: boolean;
  verbose: boolean;
  /** Set with `--sandbox`: which sandbox was used and why, and whether a local receiver stood in for the shop. */
  sandbox?: SandboxPresentation | null;
  /** Which env file was read when it is not the obvious `.env` (see `envFileNote`): a head line in text mode, stderr with `--json`. */
  env_note?: string | null;
}

/** `readiness --sandbox`: which sandbox was used and why (printed above the report, and `sandbox` in `--json`). */
export interface SandboxPresentation {
  /** `existing`: one already answering; `started`: an embedded one started for this run; `none`: nothing answers at the address named. */
  source: SandboxReadinessSetup['sandbox'];
  /** True when a local receiver stood in for the shop's webhook endpoint. */
  receiver: boolean;
  /** The API base readiness used. */
  base_url: string;
  /** `no_answer` or `not_sandbox` (so one was started), `answered`, `unreachable` (a named address, nothing started) or `not_loopback`. */
  reason: SandboxReadinessSetup['reason'];
  /** The address checked for a running sandbox, and where it came from. */
  checked_url: string;
  checked_url_from: string;
  /** The sentence printed in text mode. */
  message: string;
  /**
   * Set when a local receiver stood in for the shop (`receiver`): the shop itself was not checked, and how to
   * check it. Printed as the report's last line; it does not change the verdict or the exit status.
   */
  shop_not_checked?: string;
}

/**
 * Where `webhook trigger` / `webhook sign` took the signing secret from:
 * `--secret`, SIGLUME_WEBHOOK_SECRET in the real environment or in an env
 * file, or the testing secret (asked for with `--test-secret`, or the
 * fallback when nothing is configured).
 */
export type WebhookSecretOrigin =
  | { source: 'flag' }
  | { source: 'environment' }
  | { source: 'env_file'; env_file: string }
  | { source: 'test_secret' }
  | { source: 'test_secret_fallback' };

/** `hint` is '' for a secret too short to show any of (signingSecretHint): then only where it came from. */
function describeSecret(origin: WebhookSecretOrigin, hint: string): string {
  const ends = hint === '' ? '' : ` (ends "${hint}")`;
  switch (origin.source) {
    case 'flag':
      return `signed with the --secret value${ends}`;
    case 'environment':
      return `signed with SIGLUME_WEBHOOK_SECRET from the environment${ends}`;
    case 'env_file':
      return `signed with SIGLUME_WEBHOOK_SECRET from ${origin.env_file}${ends}`;
    case 'test_secret':
      return 'signed with the built-in TEST secret (--test-secret)';
    case 'test_secret_fallback':
      return 'signed with the built-in TEST secret: no secret is configured';
    default: {
      const never: never = origin;
      return never;
    }
  }
}

/** A signature that did not verify, as the SDK's handlers word it (503, so Siglume keeps the event): the order core's code or the verifier's. */
const SIGNATURE_REFUSAL = new RegExp(['invalid_signature', ...NOT_VERIFIED_YET].join('|'));

/** What to do about a non-2xx answer to `webhook trigger`, or null. */
function webhookStatusHint(status: number, body: string | null | undefined): string | null {
  if (status === 503 && SIGNATURE_REFUSAL.test(body ?? '')) {
    return "the signature did not verify: is the secret the shop's SIGLUME_WEBHOOK_SECRET, and the shop's clock right?";
  }
  if (status === 400) return "the handler refused the event, most often its signature: is the secret the shop's SIGLUME_WEBHOOK_SECRET?";
  if (status === 401 || status === 403) return 'keep auth (login, CSRF) off the webhook route: the signature is its authentication';
  if (status === 404 || status === 405) return 'no POST route at this path; the templates mount the webhook at /payments/webhooks/siglume';
  if (status >= 300 && status < 400) return 'the endpoint redirects: use the final URL';
  if (status >= 500) return "the shop's handler failed: see its log";
  return null;
}

/** `secret_source` (and `env_file`) of the `webhook trigger --json` result. */
function secretSourceJson(origin: WebhookSecretOrigin): Record<string, string> {
  return { secret_source: origin.source, ...(origin.source === 'env_file' ? { env_file: origin.env_file } : {}) };
}

/** What `sandbox` prints on start. */
export interface SandboxStartedInfo {
  url: string;
  api_base: string;
  /** The shop's environment: `SIGLUME_ENV=sandbox` and `sandbox.env`. */
  env: Record<string, string>;
  scenario?: string;
  /** What a paid API and its buyer need, kept out of `env`. */
  paid_api: { challenge_secret: string | null; buyer_token: string };
  /**
   * Where the webhook secret came from when it is not a sandbox value (the built-in default, or the
   * `--webhook-secret` typed on this command line): `SIGLUME_WEBHOOK_SECRET`, `SIGLUME_WEBHOOK_SECRET in .env`, or
   * `the state file <path>`. It is then the shop's own secret and is not printed (the shop has it already).
   */
  webhook_secret_from?: string;
}

/** How long a readiness check waits before a terminal-less run says what it is waiting for. */
export const SLOW_WAIT_MS = 2000;

/** The limits of the client a readiness run calls the API with, named by the progress line. */
export interface ReadinessProgressApi {
  /** Per-request timeout. */
  timeout_ms: number;
  /** Retries of a read after the first attempt. */
  max_retries: number;
}

/** A live progress display for one readiness run; `stop()` clears it. */
export interface ReadinessProgress {
  onProgress(event: ReadinessProgressEvent): void;
  stop(): void;
  /** True once the report's head and Config section were printed (pass it to `readinessReport` as `head_printed`). */
  headPrinted(): boolean;
}

function formatValue(value: unknown): string {
  if (value === null || value === undefined) return '-';
  if (typeof value === 'string') return value;
  return JSON.stringify(value);
}

/** The CLI's presenter. Build one per `main()` call with {@link createOutput}. */
export class Output {
  private readonly out: Colors;
  private readonly err: Colors;

  constructor(private readonly io: CliIo) {
    this.out = pc.createColors(colorEnabled(io.env, io.stdout));
    this.err = pc.createColors(colorEnabled(io.env, io.stderr));
  }

  /** The one way text reaches the terminal: control characters neutralised, own colours kept. */
  private write(to: 'stdout' | 'stderr', text: string): void {
    this.io[to].write(neutralise(text, (to === 'stdout' ? this.out : this.err).isColorSupported));
  }

  /** Raw stdout (commander's help and version text). */
  stdout(text: string): void {
    this.write('stdout', text);
  }

  /** Raw stderr. */
  stderr(text: string): void {
    this.write('stderr', text);
  }

  /** Commander's own error lines ("error: unknown option '--x'"), coloured; a quoted value that looks like a secret is redacted. */
  commanderError(text: string): void {
    this.write('stderr', this.err.red(redactQuoted(text)));
  }

  /** One error line: `error: <message>`. */
  error(message: string): void {
    this.write('stderr', `${this.err.red(`error: ${message}`)}\n`);
  }

  /** One warning line on stderr: `warning: <message>`. */
  warning(message: string): void {
    this.write('stderr', `${this.err.yellow(`warning: ${message}`)}\n`);
  }

  /** One note line on stderr: `note: <message>` (dim). */
  note(message: string): void {
    this.write('stderr', `${this.err.dim(`note: ${message}`)}\n`);
  }

  /** A usage error plus where to look for help. */
  usage(message: string, command?: string): void {
    this.error(message);
    this.usageHint(command);
  }

  /** The one line under every usage error: `Run \`<name> [command] --help\` for usage.` */
  usageHint(command?: string): void {
    this.write('stderr', this.err.dim(`Run \`${this.io.name}${command ? ` ${command}` : ''} --help\` for usage.\n`));
  }

  private mark(c: Colors, status: ReadinessCheckResult['status']): string {
    const m = MARKS[status];
    if (status === 'pass') return c.green(m);
    if (status === 'warn') return c.yellow(m);
    if (status === 'fail') return c.red(m);
    return c.dim(m);
  }

  /**
   * The head of a readiness report (title, where, the sandbox line) and its Config section: all known once
   * the config checks ran, so a run prints them before its first API call.
   */
  private readinessHead(
    head: Pick<ReadinessReport, 'command' | 'environment' | 'merchant' | 'base_url'>,
    config: readonly ReadinessCheckResult[],
    opts: Pick<ReadinessPresentation, 'verbose' | 'sandbox' | 'env_note'>,
  ): string[] {
    const c = this.out;
    const where: string[] = [];
    if (head.merchant) where.push(`merchant ${head.merchant}`);
    where.push(head.base_url ? `API ${head.base_url}` : 'local configuration only');
    if (opts.sandbox) {
      where.push({ started: 'in-process sandbox', existing: 'running sandbox', none: 'no sandbox answering' }[opts.sandbox.source]);
      if (opts.sandbox.receiver) where.push('local webhook receiver');
    }
    where.unshift(head.environment);
    const lines = [c.bold(`Siglume Direct Request Payment ${head.command}`), c.dim(`  ${where.join(' · ')}`)];
    if (opts.env_note) lines.push(`  ${c.cyan('env file:')} ${opts.env_note}`);
    if (opts.sandbox) lines.push(`  ${c.cyan('sandbox:')} ${opts.sandbox.message}`);
    return [...lines, ...this.readinessSection(SECTIONS[0]!, config, opts.verbose)];
  }

  /** One section of the report: a blank line, its title, and a line (with fix and details) per check. */
  private readinessSection(section: (typeof SECTIONS)[number], all: readonly ReadinessCheckResult[], verbose: boolean): string[] {
    const c = this.out;
    const checks = all.filter((r) => section.groups.includes(r.group));
    if (checks.length === 0) return [];
    const width = Math.max(...checks.map((r) => r.name.length));
    const lines = ['', c.bold(section.title)];
    for (const r of checks) {
      const name = r.status === 'skip' ? c.dim(r.name.padEnd(width)) : r.name.padEnd(width);
      const time = verbose && r.status !== 'skip' ? c.dim(` (${r.duration_ms} ms)`) : '';
      const message = r.status === 'skip' ? c.dim(r.message) : r.message;
      lines.push(`  ${this.mark(c, r.status)} ${name}  ${message}${time}`);
      if ((r.status === 'fail' || r.status === 'warn') && r.fix) {
        const label = r.status === 'fail' ? c.red('fix:') : c.yellow('fix:');
        // A fix naming several requirements has one line each, aligned under the first.
        const [first, ...rest] = r.fix.split('\n');
        lines.push(`      ${label} ${first}`, ...rest.map((line) => `           ${line}`));
      }
      if (verbose && r.details) {
        for (const [k, v] of Object.entries(r.details)) lines.push(c.dim(`      ${k}: ${formatValue(v)}`));
      }
    }
    return lines;
  }

  /**
   * The readiness report: `--json` or grouped sections with marks, fixes and a verdict. With `head_printed`,
   * the head and the Config section are left out (the progress display printed them as the run started).
   */
  readinessReport(report: ReadinessReport, opts: ReadinessPresentation & { head_printed?: boolean }): void {
    if (opts.json) {
      if (opts.env_note) this.note(opts.env_note);
      this.write('stdout', `${JSON.stringify(readinessJson(report, opts), null, 2)}\n`);
      return;
    }
    const c = this.out;
    const lines = opts.head_printed ? [] : this.readinessHead(report, report.checks, opts);
    for (const section of SECTIONS.slice(1)) lines.push(...this.readinessSection(section, report.checks, opts.verbose));
    const s = report.summary;
    const verdictMark = report.ok ? c.green(MARKS.pass) : s.fail > 0 ? c.red(MARKS.fail) : c.yellow(MARKS.warn);
    const verdict = report.ok ? c.green(s.verdict) : s.fail > 0 ? c.red(s.verdict) : c.yellow(s.verdict);
    lines.push(
      '',
      `${verdictMark} ${verdict} ${c.dim(`(${s.pass} passed, ${s.warn} warning${s.warn === 1 ? '' : 's'}, ${s.fail} failed, ${s.skip} skipped in ${report.duration_ms} ms)`)}`,
    );
    // Last, so a green verdict is not the final word on a shop that was never contacted.
    if (opts.sandbox?.shop_not_checked) lines.push(`${c.yellow(MARKS.warn)} ${c.yellow(opts.sandbox.shop_not_checked)}`);
    this.write('stdout', `${lines.join('\n')}\n`);
  }

  /**
   * Shows what a readiness run is waiting for, on stderr, from the first API
   * call on: on a TTY a spinner line naming the running check and the API (or
   * the test delivery) with its timeout; elsewhere (and on a `TERM=dumb` or CI
   * terminal, see {@link animationEnabled}) one plain line per check
   * that has been waiting for {@link SLOW_WAIT_MS}, so a hung API is not
   * silence. Never with `--json`.
   */
  readinessProgress(opts: {
    json: boolean;
    api?: ReadinessProgressApi;
    /** Print the report's head and Config section on stdout as soon as the config checks ran. */
    head?: { command: ReadinessCommand } & Pick<ReadinessPresentation, 'verbose' | 'sandbox' | 'env_note'>;
  }): ReadinessProgress {
    const stream = this.io.stderr;
    if (opts.json) return { onProgress: () => {}, stop: () => {}, headPrinted: () => false };
    const config: ReadinessCheckResult[] = [];
    let headPrinted = false;
    // The API base the engine calls (normalized), from its config_checked event.
    let base: string | null = null;
    const tty = animationEnabled(this.io.env, stream);
    const c = this.err;
    const api = opts.api;
    let timer: ReturnType<typeof setInterval> | null = null;
    let slow: ReturnType<typeof setTimeout> | null = null;
    let frame = 0;
    // The check running now, when it calls the API, and the last delivery poll of the delivery probe.
    let running: { name: string; started: number } | null = null;
    let waiting: { event: Extract<ReadinessProgressEvent, { type: 'delivery_waiting' }>; at: number } | null = null;
    const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    // Text from outside (the event id, the API base) is neutralised: the spinner writes straight to the stream.
    const describe = (still = false): string => {
      const verb = still ? 'still waiting' : 'waiting';
      const now = performance.now();
      if (waiting) {
        const { event, at } = waiting;
        return neutralise(
          `${still ? 'Still waiting' : 'Waiting'} for the test delivery ${event.event_id} (${seconds(event.elapsed_ms + now - at)} of ${event.timeout_ms / 1000} s)`,
          false,
        );
      }
      if (!running) return '';
      const what = `the API${base ? ` at ${base}` : ''}${running.name === 'webhook_delivery_probe_passed' ? ' to send the test delivery' : ''}`;
      const limits = api ? `; timeout ${api.timeout_ms / 1000} s, ${api.max_retries} retries` : '';
      return neutralise(`${running.name}: ${verb} for ${what} (${seconds(now - running.started)}${limits})`, false);
    };
    const draw = () => {
      // One row: a wrapped line would leave its first rows behind at every redraw. A width of 0 (some
      // pseudo-terminals, a terminal not yet sized) says nothing: 80, as when it is unknown.
      const columns = stream.columns !== undefined && stream.columns > 0 ? stream.columns : 80;
      const width = Math.max(20, columns - 3);
      const text = describe();
      stream.write(`\r\x1b[2K${c.cyan(SPINNER[frame++ % SPINNER.length]!)} ${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
    };
    // The pipe's one line is per check: a new or finished check drops the pending one.
    const cancelSlow = () => {
      if (slow) clearTimeout(slow);
      slow = null;
    };
    const stop = () => {
      cancelSlow();
      if (!timer) return;
      clearInterval(timer);
      timer = null;
      stream.write('\r\x1b[2K');
    };
    const start = () => {
      if (tty) {
        if (!timer) {
          timer = setInterval(draw, 80);
          timer.unref?.();
        }
        draw();
      } else if (!slow) {
        // Once per check: a line when it has waited SLOW_WAIT_MS, saying for what, then nothing more.
        slow = setTimeout(() => this.write('stderr', `${c.dim(`… ${describe(true)}`)}\n`), SLOW_WAIT_MS);
        slow.unref?.();
      }
    };
    return {
      onProgress: (event) => {
        if (event.type === 'check_finished' && event.result.group === 'config') config.push(event.result);
        if (event.type === 'config_checked') base = event.base_url;
        if (event.type === 'config_checked' && opts.head && !headPrinted) {
          headPrinted = true;
          this.write('stdout', `${this.readinessHead({ ...event, command: opts.head.command }, config, opts.head).join('\n')}\n`);
        } else if (event.type === 'check_started') {
          if (event.group === 'config') return;
          cancelSlow();
          running = { name: event.name, started: performance.now() };
          waiting = null;
          start();
        } else if (event.type === 'delivery_waiting') {
          waiting = { event, at: performance.now() };
          if (!running) running = { name: 'webhook_delivery_probe_passed', started: performance.now() - event.elapsed_ms };
          start();
        } else if (event.type === 'check_finished' && event.result.name === running?.name) {
          cancelSlow();
          running = null;
          waiting = null;
          if (event.result.name === 'webhook_delivery_probe_passed') stop();
        }
      },
      stop,
      headPrinted: () => headPrinted,
    };
  }

  /** Result of `init <template>`. */
  initResult(result: CopyTemplateResult, opts: { json: boolean }): void {
    if (opts.json) {
      this.write('stdout', `${JSON.stringify(result, null, 2)}\n`);
      return;
    }
    const c = this.out;
    if (result.kind === 'conflicts') {
      const lines = [
        `${c.red(MARKS.fail)} Refusing to overwrite ${result.conflicts.length} existing file${result.conflicts.length === 1 ? '' : 's'} in ${result.target}:`,
        ...result.conflicts.map((f) => `    ${f}`),
        'Nothing was written. Move them aside, or re-run with --force to overwrite them.',
      ];
      this.write('stderr', `${lines.join('\n')}\n`);
      return;
    }
    const lines = [
      `${c.green(MARKS.pass)} Copied the ${result.template} template into ${result.target} (${result.files.length} files):`,
      ...result.files.map((f) => `    ${f.action === 'created' ? c.green('+') : c.yellow('~')} ${f.path}${f.action === 'overwritten' ? c.dim(' (overwritten)') : ''}`),
      '',
      c.bold('Next steps:'),
      ...result.next_steps.map((step, i) => `  ${i + 1}. ${step}`),
    ];
    this.write('stdout', `${lines.join('\n')}\n`);
  }

  /**
   * The environment a merchant app needs, printed when the sandbox is up; then, in a section of its
   * own, what a paid API (HTTP 402) and its buyer need. `--json` carries the same as `paid_api`
   * (`challenge_secret` is null when the scenario hides the seeded merchant).
   */
  sandboxStarted(info: SandboxStartedInfo, opts: { json: boolean }): void {
    const from = info.webhook_secret_from;
    // The shop's own secret is never printed: `env` leaves it out and `webhook_secret_from` says whose it is.
    const { SIGLUME_WEBHOOK_SECRET: secret, ...others } = info.env;
    const env = from === undefined ? info.env : others;
    if (opts.json) {
      const { url, api_base, paid_api } = info;
      // merchant, webhook_url and webhook_secret at the top level as CONTRACT-2 section 19.1 lists them, beside `env`.
      const seeded = { merchant: env.SIGLUME_DIRECT_PAYMENT_MERCHANT, webhook_url: env.SHOP_WEBHOOK_URL, webhook_secret: from === undefined ? secret : null };
      const source = from === undefined ? {} : { webhook_secret_from: from };
      this.write('stdout', `${JSON.stringify({ url, api_base, ...seeded, ...source, scenario: info.scenario ?? null, env, paid_api })}\n`);
      return;
    }
    const c = this.out;
    const { challenge_secret, buyer_token } = info.paid_api;
    const lines = [
      `${c.green(MARKS.pass)} Siglume sandbox listening on ${c.bold(info.url)} (API ${info.api_base})`,
      '',
      c.dim('# Environment for your shop (sandbox values, not real credentials):'),
      ...Object.entries(env).map(([k, v]) => `${k}=${v}`),
      ...(from === undefined ? [] : [c.dim(`# SIGLUME_WEBHOOK_SECRET: the sandbox signs with yours, from ${from} (not printed)`)]),
      '',
      c.dim("# For a paid API (HTTP 402): the seeded merchant's challenge secret (sandbox value, not a real credential):"),
      challenge_secret === null
        ? c.dim('# (none now: this scenario hides the seeded merchant)')
        : `SIGLUME_DIRECT_PAYMENT_CHALLENGE_SECRET=${challenge_secret}`,
      c.dim("# For its buyer: the buyer token, DirectRequestPaymentClient's auth_token (the buyer's, not the shop's):"),
      `buyer token: ${buyer_token}`,
      '',
      // readiness --sandbox looks at 127.0.0.1:8787 unless told otherwise (docs/readiness.md, `--sandbox`). Ctrl+C only
      // where someone can press it: not in a CI log or a test's captured output.
      c.dim(
        `${animationEnabled(this.io.env, this.io.stdout) ? 'Press Ctrl+C to stop. ' : ''}Check your shop against it with: npx siglume-check readiness --sandbox${info.api_base === DEFAULT_SIGLUME_SANDBOX_API_BASE ? '' : ` --base-url ${info.api_base}`}`,
      ),
    ];
    this.write('stdout', `${lines.join('\n')}\n`);
  }

  /** One line of sandbox activity (requests and deliveries), human mode only. */
  sandboxLog(line: string): void {
    this.write('stdout', `${this.out.dim(line)}\n`);
  }

  /** The sandbox stopped. */
  sandboxStopped(opts: { json: boolean }): void {
    if (!opts.json) this.write('stdout', `${this.out.dim('Sandbox stopped.')}\n`);
  }

  /** `webhook trigger` has waited a while for the endpoint (only on a terminal, never with --json). */
  webhookTriggerWaiting(url: string): void {
    this.write('stderr', `${this.err.dim(`still waiting for ${url}…`)}\n`);
  }

  /** Result of `webhook trigger` (already scrubbed of every secret the command knows). */
  webhookTriggerResult(result: WebhookTriggerResult & { url: string }, origin: WebhookSecretOrigin, opts: { json: boolean }): void {
    if (opts.json) {
      this.write('stdout', `${JSON.stringify({ ...result, ...secretSourceJson(origin), error: null }, null, 2)}\n`);
      return;
    }
    const c = this.out;
    const status = `${result.status}${result.status_text ? ` ${result.status_text}` : ''}`;
    const lines = [
      `${result.ok ? c.green(MARKS.pass) : c.red(MARKS.fail)} POST ${result.url} -> ${result.ok ? c.green(status) : c.red(status)} ${c.dim(`(${result.duration_ms} ms)`)}`,
      c.dim(`  event ${result.event_id} · ${result.event_type} · ${result.kind}`),
      origin.source === 'test_secret' || origin.source === 'test_secret_fallback'
        ? c.yellow(`  ${describeSecret(origin, result.signing_secret_hint)}`)
        : c.dim(`  ${describeSecret(origin, result.signing_secret_hint)}`),
    ];
    if (!result.ok && result.response_body) lines.push(c.dim(`  response: ${result.response_body.replace(/\s+/g, ' ').slice(0, 200)}`));
    const hint = webhookStatusHint(result.status, result.response_body);
    if (hint) lines.push(c.yellow(`  hint: ${hint}`));
    this.write('stdout', `${lines.join('\n')}\n`);
  }

  /**
   * `webhook trigger --json` when no answer came: the result's shape, with `ok: false`, `status`,
   * `status_text` and `response_body` null and the cause in `error` (text mode prints `error.message` alone).
   */
  webhookTriggerFailure(attempt: WebhookTriggerAttempt & { url: string }, origin: WebhookSecretOrigin): void {
    const { code, message, duration_ms, url, ...event } = attempt;
    const json = { status: null, status_text: null, ok: false, ...event, response_body: null, duration_ms, url, ...secretSourceJson(origin), error: { code, message } };
    this.write('stdout', `${JSON.stringify(json, null, 2)}\n`);
  }

  /** `webhook sign`: the header value alone, so it can be captured by a shell. */
  webhookHeader(header: string): void {
    this.write('stdout', `${header}\n`);
  }
}

/**
 * The `--json` shape of a readiness report: `{ ok, command, environment,
 * mode, base_url, merchant, sandbox?, checks: [{ name, group, status, message, fix?,
 * reason?, duration_ms, details? }], summary, duration_ms }`.
 */
export function readinessJson(report: ReadinessReport, opts: Pick<ReadinessPresentation, 'sandbox'> = {}): Record<string, unknown> {
  const out: Record<string, unknown> = {
    ok: report.ok,
    command: report.command,
    environment: report.environment,
    mode: report.mode,
    base_url: report.base_url,
    merchant: report.merchant,
  };
  if (opts.sandbox) out.sandbox = opts.sandbox;
  out.checks = report.checks.map((r) => {
    const check: Record<string, unknown> = { name: r.name, group: r.group, status: r.status, message: r.message };
    if ((r.status === 'fail' || r.status === 'warn') && r.fix) check.fix = r.fix;
    if (r.status === 'skip') check.reason = r.reason;
    check.duration_ms = r.duration_ms;
    if (r.details) check.details = r.details;
    return check;
  });
  out.summary = report.summary;
  out.duration_ms = report.duration_ms;
  return out;
}

/** Builds the presenter for one CLI run. */
export function createOutput(io: CliIo): Output {
  return new Output(io);
}
