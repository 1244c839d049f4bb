/**
 * `reconcile`: repairs orders whose buyer paid while the webhook was lost.
 * The merchant settings come from the same environment as `readiness`; the
 * order store comes from the shop's own store module (`--store`, e.g. the
 * siglume-store.ts that `siglume-sdrp init` wrote). The work is
 * `reconcileOrderPayments` of the orders core; this module only wires it.
 */
import { execFile } from 'node:child_process';
import { statSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { InvalidArgumentError, type Command } from 'commander';
import type { OrderReconcileReport } from '../../orders/reconcile.js';
import { parseReconcileSince } from '../../orders/since.js';
import type { OrderStore } from '../../orders/store.js';
import { CliError, usageError } from '../errors.js';
import type { CliIo } from '../io.js';
import { animationEnabled, neutralise, SLOW_WAIT_MS, type Output } from '../output.js';
import { refuseEmptyValues } from '../parse.js';

interface ReconcileFlags {
  store?: string;
  since?: Date;
  limit?: number;
  minAge?: number;
  dryRun?: boolean;
  json?: boolean;
  merchant?: string;
  baseUrl?: string;
  dotenv?: string;
}

const ENV_HELP = `
The store module (--store) exports createOrderStore() returning the shop's
OrderStore, and optionally closeOrderStore() to end its connections: the
siglume-store.ts that \`siglume-sdrp init\` wrote does both. A .ts module needs
a TypeScript loader on Node before 22.6:
  NODE_OPTIONS="--import tsx" siglume-sdrp reconcile --store ./siglume-store.ts
or pass the compiled .js file.

Environment (as for readiness; flags win; a .env file, else .env.local, fills in what is missing):
  SIGLUME_DIRECT_PAYMENT_MERCHANT   merchant key (--merchant)
  SIGLUME_MERCHANT_AUTH_TOKEN       merchant auth token (or SIGLUME_AUTH_TOKEN); env only
  SIGLUME_API_BASE                  API base URL (--base-url)
  SHOP_ALLOW_METERED_PAYMENTS       "true" when the shop accepts Micro / Nano payments
  plus whatever the store module reads (DATABASE_URL, SQLITE_PATH, ...), which
  the .env file also fills in

Each examined attempt costs one API request: Siglume's rate limits apply
(429 and Retry-After are honoured; a run that is still limited stops early).

A run takes the window in slices by when each session was stored, newest
first (the last quarter of an hour, then ever longer slices); within a slice,
oldest first.

Exit codes: 0 consistent or repaired, 1 something went to review or failed, or
the run stopped early (at --limit, leaving attempts of the window unexamined:
raise --limit; the API rate limited, refused
the token or was unreachable; the store listed the same attempts again or
failed while listing them (what was done is printed); or
Ctrl+C / SIGTERM: a read of Siglume in progress is abandoned, a store write in
progress is finished and the report printed; a second signal quits at once), 2 usage
error (bad flag, missing setting, a store module that cannot be loaded or whose
createOrderStore() throws), 130 / 143 a second Ctrl+C (SIGINT) / SIGTERM quit at
once (the attempt in progress is left for the next run). Credentials in the error
texts printed are masked.`;

/** `--since`: `72h`, `30m`, `7d` ago, or an ISO 8601 time in the past. */
function since(value: string): Date {
  const parsed = parseReconcileSince(value);
  if (!parsed.ok) throw new InvalidArgumentError(`${parsed.reason}.`);
  return parsed.since;
}

function integer(min: number, max: number) {
  return (value: string): number => {
    const n = /^\d+$/.test(value.trim()) ? Number(value.trim()) : NaN;
    if (!Number.isSafeInteger(n) || n < min || n > max) throw new InvalidArgumentError(`must be an integer from ${min} to ${max}.`);
    return n;
  };
}

interface StoreModule {
  store: OrderStore;
  close: () => Promise<void>;
}

/** `file:///x/store.mjs:2:7` or `/x/store.mjs:2` as a path with line (and column); null for Node's own frames. */
function location(text: string | undefined): string | null {
  const m = text === undefined ? null : /^\s*(?:at\s+(?:.*?\()?)?((?:file:\/\/)?\/[^\s():]*|[A-Za-z]:\\[^\s():]*):(\d+)(?::(\d+))?\)?\s*$/.exec(text);
  if (!m) return null;
  const path = m[1]!.startsWith('file://') ? fileURLToPath(m[1]!) : m[1]!;
  return `${path}:${m[2]}${m[3] ? `:${m[3]}` : ''}`;
}

// Node gives an ES module's syntax error no location (only `node --check` prints it); a CommonJS one has
// it as the stack's first line, and any other error has it in the first frame. Never the stack itself.
async function whereFailed(error: unknown, file: string): Promise<string | null> {
  const lines = (error instanceof Error && typeof error.stack === 'string' ? error.stack : '').split('\n');
  const first = location(lines[0]);
  if (first) return first;
  if (error instanceof SyntaxError && /\.[cm]?js$/.test(file)) {
    const stderr = await new Promise<string>((done) => {
      execFile(process.execPath, ['--check', file], { timeout: 10_000, env: { ...process.env, NODE_OPTIONS: '' } }, (_e, _out, err) => done(String(err)));
    });
    return location(stderr.split('\n')[0]);
  }
  for (const line of lines.slice(1)) {
    if (!/^\s*at /.test(line)) continue;
    const at = location(line);
    if (at) return at;
  }
  return null;
}

async function loadStore(path: string, io: CliIo, scrub: (text: string) => string): Promise<StoreModule> {
  const file = resolve(io.cwd, path);
  let isDirectory: boolean;
  try {
    isDirectory = statSync(file).isDirectory();
  } catch {
    throw usageError(`--store: no file ${path}`);
  }
  if (isDirectory) throw usageError(`--store: ${path} is a directory; pass the module file`);
  let mod: Record<string, unknown>;
  try {
    mod = (await import(pathToFileURL(file).href)) as Record<string, unknown>;
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (code === 'ERR_UNKNOWN_FILE_EXTENSION' && /\.[cm]?tsx?$/.test(file)) {
      throw usageError(`--store: ${path} is TypeScript, which this Node cannot load. Run with NODE_OPTIONS="--import tsx" (npm install --save-dev tsx), or pass the compiled .js`);
    }
    const where = await whereFailed(error, file);
    const what = error instanceof Error ? `${error.name === 'Error' ? '' : `${error.name}: `}${error.message}` : String(error);
    // A module that cannot be loaded is a usage error, as the help and the guide say.
    throw usageError(scrub(`--store: could not load the store module ${path}: ${what}${where ? ` (at ${where})` : ''}`));
  }
  const create = mod.createOrderStore;
  if (typeof create !== 'function') throw usageError(`--store: ${path} must export a function createOrderStore()`);
  const closeFn = mod.closeOrderStore;
  const close = typeof closeFn === 'function' ? async () => void (await closeFn()) : async () => {};
  let store: OrderStore;
  try {
    store = (await create()) as OrderStore;
  } catch (error) {
    await close().catch(() => undefined);
    // Most often a setting the module reads is missing (DATABASE_URL, SQLITE_PATH): a usage error, as documented.
    // Its text may quote a connection URL with its password: masked.
    throw usageError(scrub(`createOrderStore() of ${path} failed: ${error instanceof Error ? error.message : String(error)}`));
  }
  return { store, close };
}

/**
 * What reconcile shows while it runs, on stderr. On a terminal (not TERM=dumb, not CI) one line redrawn in place:
 * the count, and from the start of each read the session it waits on Siglume for. Elsewhere (a log, CI), as
 * readiness does for a check: one plain line for a read that has waited {@link SLOW_WAIT_MS}, so a silent API is
 * not taken for a hung command. Nothing with --json.
 */
function progress(io: CliIo, output: Output, json: boolean) {
  const stream = io.stderr;
  if (json) return { onProgress: undefined, onReading: undefined, stop: () => {} };
  const tty = animationEnabled(io.env, stream);
  let drawn = false;
  let slow: ReturnType<typeof setTimeout> | null = null;
  const cancelSlow = () => {
    if (slow) clearTimeout(slow);
    slow = null;
  };
  const draw = (text: string) => {
    // One row, as readiness's line: a wrapped one would leave rows behind at every redraw.
    const width = Math.max(20, (stream.columns !== undefined && stream.columns > 0 ? stream.columns : 80) - 1);
    drawn = true;
    stream.write(`\r\x1b[2K${text.length > width ? `${text.slice(0, width - 1)}…` : text}`);
  };
  return {
    onProgress: (p: { examined: number; limit: number }) => {
      cancelSlow();
      if (tty) draw(`Reconciling: ${p.examined} examined (at most ${p.limit})`);
    },
    onReading: (r: { order_id: string; checkout_session_id: string; examined: number; limit: number }) => {
      // The ids are the store's: neutralised before they reach the terminal. On its one row, without the order
      // and the limit: a session id is long enough.
      if (tty) return draw(`Reconciling: ${r.examined} examined; ${neutralise(`reading ${r.checkout_session_id} from Siglume`, false)}`);
      const what = neutralise(`reading ${r.checkout_session_id} (order ${r.order_id}) from Siglume`, false);
      cancelSlow();
      slow = setTimeout(() => output.stderr(`… still waiting: ${what} (${SLOW_WAIT_MS / 1000} s so far)\n`), SLOW_WAIT_MS);
      slow.unref?.();
    },
    stop: () => {
      cancelSlow();
      if (drawn) stream.write('\r\x1b[2K');
      drawn = false;
    },
  };
}

/** The fields of a report entry that hold ids, never an error text. */
const REPORT_ID_FIELDS = new Set(['order_id', 'attempt_id', 'checkout_session_id', 'event_id']);

/** Where the settings a failure points at came from, as the user gave them: a flag, or the variable. */
interface SettingNames {
  token: string;
  base_url: string;
  store: string;
}

function printReport(out: (s: string) => void, r: OrderReconcileReport, names: SettingNames): void {
  const mode = r.dry_run ? ' (dry run: nothing was changed)' : '';
  out(`Reconciled attempts created or given a session ${r.since} .. ${r.until}${mode}\n`);
  // A dry run's counts say "would", so a log search for "repaired" finds only real repairs.
  const would = r.dry_run ? 'would be ' : '';
  out(`  examined ${r.examined}, ${would}repaired ${r.repaired.length}, consistent ${r.consistent.length}, ${would}retired ${r.retired.length}, ${r.dry_run ? 'would go to ' : ''}review ${r.review.length}, errors ${r.errors.length}\n`);
  const groups: Array<[string, OrderReconcileReport['repaired'], boolean]> = [
    [`Repaired (${would}marked paid)`, r.repaired, false],
    [`Retired (the session expired or was cancelled at Siglume; the attempt ${r.dry_run ? 'would be' : 'was'} retired)`, r.retired, false],
    [r.dry_run ? 'Would go to review' : 'Sent to review', r.review, true],
    // Siglume unreachable: nothing written. A store failure: each says whether its outcome is unknown.
    ['Errors (run again later: an attempt still unpaid is examined again)', r.errors, true],
  ];
  for (const [title, entries, details] of groups) {
    if (entries.length === 0) continue;
    out(`\n${title}: ${entries.length}\n`);
    for (const e of entries) out(`  order ${e.order_id}  session ${e.checkout_session_id}${details ? `  ${e.detail}` : ''}\n`);
  }
  if (r.stopped === 'limit') {
    out(`\nStopped at --limit: the window holds more than ${r.examined} attempts, and the rest were not examined (a run takes the newest slice of the window first, and examines unpaid attempts again on every run). Raise --limit (at most 10000). A later --since must still reach back past your previous run by --min-age plus a session's lifetime: a session stays payable that long after the run that last saw it.\n`);
  }
  if (r.stopped === 'rate_limited') out(`\nStopped early: Siglume's API kept answering 429 (${r.stopped_detail}). Run again later, less often.\n`);
  if (r.stopped === 'api_unavailable') {
    out(`\nStopped early: Siglume's API refused the merchant token or could not be reached: ${r.stopped_detail}\nCheck ${names.token} and ${names.base_url}.\n`);
  }
  if (r.stopped === 'interrupted') {
    out(`\nInterrupted after ${r.examined} attempt${r.examined === 1 ? '' : 's'}: what is listed above was done; the rest of the window was not examined. Run again to finish.\n`);
  }
  if (r.stopped === 'store_failed') {
    out(`\nStopped early: the order store (${names.store}) failed while listing the next attempts: ${r.stopped_detail}\nWhat is listed above was done; the rest of the window was not examined. Run again once the database answers.\n`);
  }
  if (r.stopped === 'store_repeated') {
    out('\nStopped early: the order store listed attempts it had already returned, so the rest of the window cannot be reached. Its listUnpaidCheckoutAttempts must return only attempts after `after` in (created_at, attempt_id) order, comparing created_at in milliseconds.\n');
  }
  // What was examined is in order: nothing to review, no error, at most the limit left the rest unexamined.
  const clean = r.review.length === 0 && r.errors.length === 0 && (r.stopped === null || r.stopped === 'limit');
  const rest = r.stopped === 'limit' ? ' The rest of the window is not examined.' : '';
  if (clean && r.dry_run && r.repaired.length + r.retired.length > 0) {
    // Nothing was written: what is listed above is still to be done.
    out(`\nNot consistent yet: a real run would repair ${r.repaired.length} and retire ${r.retired.length}; run without --dry-run to apply.${rest}\n`);
  } else if (clean) out(r.stopped === 'limit' ? `\nConsistent so far.${rest}\n` : '\nConsistent.\n');
  else if (r.review.length > 0 || r.errors.length > 0) out('\nNeeds attention: see siglume_payment_reviews and the errors above.\n');
}

async function runReconcileCommand(flags: ReconcileFlags, io: CliIo, output: Output): Promise<void> {
  if (!flags.store) throw usageError('--store <module> is required: the module exporting createOrderStore() (siglume-store.ts / .js)');
  const [{ mergeEnvFile, envFileNote, envFileWarnings }, { readinessOptionsFromEnv, readinessInputSource }, { reconcileOrderPayments }, { DirectRequestPaymentMerchantClient }, { redactCredentialText }, { redactSecretValues }, { normalizeBaseUrl, environmentApiBase }, { maskableSecrets }] = await Promise.all([
    import('../env-file.js'),
    import('../../readiness/env.js'),
    import('../../orders/reconcile.js'),
    import('../../clients/merchant.js'),
    import('../../core/redact-text.js'),
    import('../../core/redact.js'),
    import('../../core/config.js'),
    import('../env-secrets.js'),
  ]);
  const merged = mergeEnvFile(io.env, io.cwd, flags.dotenv);
  const { env } = merged;
  const note = envFileNote(merged);
  if (note) output.note(note);
  for (const warning of envFileWarnings(merged)) output.warning(warning);
  const fromEnv = readinessOptionsFromEnv(env);
  const merchant = flags.merchant ?? fromEnv.merchant;
  if (!merchant) throw usageError(`The merchant key is not set: ${readinessInputSource('merchant')}`);
  if (!fromEnv.auth_token) throw usageError(`The merchant auth token is not set: ${readinessInputSource('auth_token')}`);
  // As the templates read it: a "TRUE" or "1" taken for false would send every Micro / Nano payment to review.
  const metered = env.SHOP_ALLOW_METERED_PAYMENTS?.trim() ?? '';
  if (!['', 'true', 'false'].includes(metered)) throw usageError('SHOP_ALLOW_METERED_PAYMENTS must be true or false (or unset)');
  // Error texts from the API, the store or its module reach the output: the token, the webhook secret and whatever
  // looks like a credential (a connection URL's password, sdrp_… / whsec_…) are masked there. A value too short to
  // be a credential (a test's `t`) is not: masking it would garble every word that holds the letter.
  const secrets = maskableSecrets([fromEnv.auth_token, fromEnv.webhook_secret]);
  const scrub = (text: string) => redactCredentialText(text, secrets);
  const reason = (error: unknown) => scrub(error instanceof Error ? error.message : String(error));
  const baseUrl = flags.baseUrl ?? fromEnv.base_url;
  const names: SettingNames = {
    token: fromEnv.input_names?.auth_token ?? 'SIGLUME_MERCHANT_AUTH_TOKEN',
    base_url: flags.baseUrl !== undefined ? '--base-url' : environmentApiBase(env)?.field === 'SIGLUME_SANDBOX_API_BASE' ? 'SIGLUME_SANDBOX_API_BASE' : 'SIGLUME_API_BASE',
    store: `--store ${flags.store}`,
  };
  let client: InstanceType<typeof DirectRequestPaymentMerchantClient>;
  try {
    // Named as the user gave it: the flag, or the variable it came from.
    if (baseUrl) normalizeBaseUrl(baseUrl, names.base_url);
    client = new DirectRequestPaymentMerchantClient({ auth_token: fromEnv.auth_token, ...(baseUrl ? { base_url: baseUrl } : {}) });
  } catch (error) {
    throw usageError(reason(error));
  }

  // The store module reads process.env (DATABASE_URL, SQLITE_PATH, ...): in a real run, the env file fills in
  // what the process environment lacks for it too, as it does for the settings above. The real environment wins.
  if (io.env === process.env) {
    for (const [key, value] of Object.entries(env)) if (process.env[key] === undefined && value !== undefined) process.env[key] = value;
  }
  const { store, close } = await loadStore(flags.store, io, scrub);
  const json = flags.json === true;
  const bar = progress(io, output, json);
  // Ctrl-C (or a scheduler's SIGTERM; in-process, `io.signal`) ends the run: the read of Siglume in progress (a GET)
  // is aborted, so a silent API does not hold it for all its retries, and a store write in progress is finished, so
  // what was already repaired or retired is reported. A second signal quits at once: the attempt in progress is left
  // as it was (a decision is one transaction), for the next run.
  const interrupt = new AbortController();
  const stopping = (name: string) => {
    bar.stop();
    output.warning(
      `${name}: stopping (a read of Siglume in progress is dropped, a store write in progress is finished)${io.signal ? '' : '; send it again to quit at once'}.`,
    );
    interrupt.abort();
  };
  const onSignal = (name: NodeJS.Signals) => (interrupt.signal.aborted ? process.exit(name === 'SIGINT' ? 130 : 143) : stopping(name));
  const signals = io.signal ? [] : (['SIGINT', 'SIGTERM'] as const);
  const onAbort = () => stopping('Interrupted');
  if (io.signal?.aborted) onAbort();
  else io.signal?.addEventListener('abort', onAbort, { once: true });
  for (const name of signals) process.on(name, onSignal);
  let report: OrderReconcileReport;
  try {
    report = await reconcileOrderPayments(
      { merchant_client: client, order_store: store, merchant, allow_metered_payments: metered === 'true' },
      {
        ...(flags.since ? { since: flags.since } : {}),
        ...(flags.limit === undefined ? {} : { limit: flags.limit }),
        ...(flags.minAge === undefined ? {} : { min_age_seconds: flags.minAge }),
        dry_run: flags.dryRun === true,
        ...(bar.onProgress ? { onProgress: bar.onProgress, onReading: bar.onReading } : {}),
        signal: interrupt.signal,
      },
    );
  } catch (error) {
    if (error instanceof Error && error.name === 'SiglumeValidationError') throw usageError(reason(error));
    // A store failure after the first attempt ends the run with a report (stopped: store_failed); one that throws
    // came before any attempt was examined.
    // The only call that throws here is the store's first listing: say so, or "connect ECONNREFUSED" reads as Siglume's.
    const message =
      `Reconciliation failed before examining any attempt (nothing was written): the order store (${names.store}) could not list ` +
      `the attempts: ${reason(error).replace(/\.$/, '')}. Check the database it uses (e.g. DATABASE_URL) is up and reachable.`;
    // A cron line reading the JSON (`| jq .ok`) gets an answer for a failed run too.
    if (json) output.stdout(`${JSON.stringify({ ok: false, error: message }, null, 2)}\n`);
    throw new CliError('failed', message);
  } finally {
    io.signal?.removeEventListener('abort', onAbort);
    for (const name of signals) process.off(name, onSignal);
    bar.stop();
    await close().catch((error: unknown) => output.warning(`closeOrderStore() failed: ${reason(error)}`));
  }
  // Every text of the report, once: the exact secrets everywhere, and whatever looks like a credential (a store
  // error's connection URL, an sdrp_… key) in every text but the ids. Ids are the store's and Siglume's own: an order
  // id may well start with sdrp_, and one masked by its shape could not be found again.
  report = JSON.parse(JSON.stringify(report), (key, value: unknown) => {
    if (typeof value !== 'string') return value;
    return REPORT_ID_FIELDS.has(key) ? redactSecretValues(value, secrets) : scrub(value);
  });
  if (json) output.stdout(`${JSON.stringify(report, null, 2)}\n`);
  else printReport((s) => output.stdout(s), report, names);
  if (!report.ok) throw new CliError('failed');
}

/** Registers `reconcile` on the program. */
export function registerReconcileCommand(program: Command, io: CliIo, output: Output): void {
  const command = program
    .command('reconcile')
    .summary('repair orders paid at Siglume whose webhook was lost')
    .description(
      "Ask Siglume's API about every unpaid checkout attempt with a session and repair paid ones through the webhook's exactly-once path; retire expired and cancelled ones.",
    )
    .option('--store <module>', 'module exporting createOrderStore() (and optionally closeOrderStore()), e.g. ./siglume-store.ts')
    .option('--since <when>', 'examine attempts created (or given a session) since: a duration (30m, 72h, 7d) or an ISO 8601 time (default 72h)', since)
    .option('--limit <n>', 'examine at most n attempts (1-10000, default 500)', integer(1, 10_000))
    .option('--min-age <seconds>', 'leave attempts younger than this, and sessions stored more recently, to their webhook (0-86400, default 300)', integer(0, 86_400))
    .option('--dry-run', 'report what would change; write nothing')
    .option('--json', 'print the report as JSON')
    .option('--merchant <key>', 'merchant key')
    .option('--base-url <url>', 'API base URL')
    .option('--dotenv <path>', 'dotenv file to read without overriding the environment (default .env, else .env.local)')
    .addHelpText('after', ENV_HELP)
    .action((flags: ReconcileFlags) => runReconcileCommand(flags, io, output));
  // `--base-url ""` would otherwise send the token to SIGLUME_API_BASE or the live API.
  refuseEmptyValues(command);
}
