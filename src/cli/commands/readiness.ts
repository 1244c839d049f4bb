/**
 * `readiness` (alias `doctor`), `verify` and `preflight`: wire flags, the env
 * file and the environment into `runReadiness` / `runVerify` /
 * `runPreflight` and hand the report to the output module. The engine, the
 * client and the sandbox are imported only when a command runs.
 */
import type { Command } from 'commander';
import type { ReadinessCommand, ReadinessOptions, ReadinessReport } from '../../readiness/types.js';
import { CliError, usageError } from '../errors.js';
import type { CliIo } from '../io.js';
import type { MergedEnv } from '../env-file.js';
import type { Output, SandboxPresentation } from '../output.js';
import { parseAmountMinor, parseCurrency, parseTimeoutMs, refuseEmptyValues } from '../parse.js';

interface ReadinessFlags {
  merchant?: string;
  origin?: string;
  webhookUrl?: string;
  currency?: 'JPY' | 'USD';
  amountMinor?: number;
  baseUrl?: string;
  api: boolean;
  probe: boolean;
  timeout?: number;
  dotenv?: string;
  sandbox?: boolean;
  json?: boolean;
  verbose?: boolean;
}

const ENV_HELP = `
Environment (flags win; a .env file, else .env.local when there is no .env, fills in what the environment lacks):
  SIGLUME_DIRECT_PAYMENT_MERCHANT           merchant key (--merchant)
  SIGLUME_MERCHANT_AUTH_TOKEN               merchant auth token (or SIGLUME_AUTH_TOKEN); env only
  SIGLUME_WEBHOOK_SECRET                    webhook signing secret (whsec_...); env only
  SHOP_PUBLIC_ORIGIN                        shop origin (--origin)
  SHOP_WEBHOOK_URL                          webhook URL (--webhook-url)
  SIGLUME_DIRECT_PAYMENT_TEST_CURRENCY      probe currency (--currency), default JPY
  SIGLUME_DIRECT_PAYMENT_TEST_AMOUNT_MINOR  probe amount (--amount-minor), default 501 JPY / 301 USD
  SIGLUME_API_BASE                          API base URL (--base-url)
  SIGLUME_ENV=sandbox                       sandbox mode (as --sandbox, without starting a sandbox);
                                            API base SIGLUME_SANDBOX_API_BASE, else http://127.0.0.1:8787/v1
The token and the webhook secret are never printed.`;

/** `checked_url_from` when no address was named (no flag, no variable): the one address readiness may start a sandbox for. */
const DEFAULT_FROM = 'the default sandbox address';

/**
 * Where the API base readiness --sandbox checks first came from, for the "which sandbox" line: the flag,
 * else the variable `environmentApiBase` took it from (and the .env file when it came from there).
 */
function baseUrlFrom(
  flags: ReadinessFlags,
  real: Readonly<Record<string, string | undefined>>,
  merged: MergedEnv,
  envSource: (name: string, real: Readonly<Record<string, string | undefined>>, merged: MergedEnv) => 'environment' | 'env_file' | null,
  field: string | undefined,
): string {
  if (flags.baseUrl !== undefined) return '--base-url';
  if (field === undefined || field === 'DEFAULT_SIGLUME_SANDBOX_API_BASE') return DEFAULT_FROM;
  return envSource(field, real, merged) === 'env_file' && merged.loaded ? `${field} in ${merged.loaded}` : field;
}
/**
 * The last line of a `--sandbox` run whose webhook went to the local receiver: the checks passed against
 * stand-ins, so the shop itself was never contacted. Next.js keeps its settings in .env.local: say how to
 * read it, unless that was the file read.
 */
function shopNotChecked(readLocal: boolean, fileGiven: boolean, localFile: string, flag: string): string {
  const how = readLocal ? ` (in ${localFile}, the file read)` : '';
  // Only when the default file was read: a --dotenv the user gave is the file they meant.
  const next = readLocal || fileGiven ? '' : ` (Next.js with its settings in ${localFile} beside a .env: add ${flag} ${localFile})`;
  return `Your shop was not checked: no SHOP_WEBHOOK_URL (or --webhook-url), so a local webhook receiver stood in for it. Set SHOP_WEBHOOK_URL${how} to check the shop${next}.`;
}

// Node's default for a signal: the run ends at once, with no report (the shell's 128 + signal number).
const SIGNAL_EXIT_HELP = '130 stopped with Ctrl+C (SIGINT), 143 stopped with SIGTERM (no report is printed).';

const READY_EXIT_HELP = `
Exit codes: 0 ready, 1 not ready (a check failed, or --no-api / --no-probe left checks unrun), 2 usage error,
${SIGNAL_EXIT_HELP}`;

const EXIT_HELP: Record<ReadinessCommand, string> = {
  readiness: READY_EXIT_HELP,
  verify: READY_EXIT_HELP,
  preflight: `
Exit codes: 0 preflight passed (mount the routes, then run verify), 1 a check failed or
--no-api / --no-probe left checks unrun, 2 usage error, ${SIGNAL_EXIT_HELP}`,
};

/** A command's examples, as the other commands show theirs. */
function examplesHelp(command: ReadinessCommand): string {
  const line = (args: string, what: string) => `  ${`siglume-sdrp ${command}${args}`.padEnd(52)}${what}\n`;
  const delivery = command === 'preflight' ? 'no test webhook' : 'with a test webhook';
  return (
    '\nExamples:\n' +
    line('', `settings from the environment or .env, against Siglume (${delivery})`) +
    line(' --sandbox', 'against the local sandbox (started for the run when none runs)') +
    line(' --no-api', 'the local settings only; never reported ready') +
    line(' --dotenv .env.production', 'the settings of another env file') +
    line(' --json', 'the report as one JSON document (for CI)')
  );
}

/** What each command is for, as `--help` says it. */
const COMMANDS: Record<ReadinessCommand, { summary: string; description: string }> = {
  readiness: {
    summary: 'check that payments can work end to end (readiness API, account, webhook, Hosted Checkout, delivery)',
    description:
      'Check the configuration, the merchant readiness gates (terms, sandbox confirmation, responsibility attestation, live mode), billing, the webhook subscription and secret, Hosted Checkout and webhook delivery, and say exactly what to fix.',
  },
  verify: {
    summary: 'the last step before going live: every readiness check, including a test webhook delivery',
    description:
      'Run every readiness check (the same as readiness) once the checkout and webhook routes are mounted: configuration, readiness gates, account, webhook subscription, an unpaid Hosted Checkout session and a test webhook your handler must accept.',
  },
  preflight: {
    summary: 'check everything except webhook delivery, before the routes are mounted',
    description:
      'Run the readiness checks and create an unpaid Hosted Checkout session, but send no test webhook (webhook_delivery_probe_skipped): what can be proven before the webhook route is mounted. When it passes, mount the routes and run verify.',
  },
};

async function runReadinessCommand(command: ReadinessCommand, flags: ReadinessFlags, io: CliIo, output: Output): Promise<void> {
  const [{ mergeEnvFile, envSource, envFileNote, envFileWarnings, FALLBACK_ENV_FILE, ENV_FILE_FLAG }, { readinessOptionsFromEnv }, engine, { environmentApiBase, normalizeBaseUrl, sandboxSelected }, constants] = await Promise.all([
    import('../env-file.js'),
    import('../../readiness/env.js'),
    import('../../readiness/runner.js'),
    import('../../core/config.js'),
    import('../../core/constants.js'),
  ]);
  const merged = mergeEnvFile(io.env, io.cwd, flags.dotenv);
  const { env } = merged;
  const env_note = envFileNote(merged);
  for (const warning of envFileWarnings(merged)) output.warning(warning);
  // --sandbox is sandbox mode as SIGLUME_ENV=sandbox is (CONTRACT-2 section 18.2), so SIGLUME_SANDBOX_API_BASE names
  // the address to check with either.
  const sandboxMode = flags.sandbox === true || sandboxSelected(env);
  const fromEnv = readinessOptionsFromEnv(env, { sandbox: sandboxMode });
  // A flag given empty never gets here (refuseEmptyValues): a flag given wins over the environment.
  let options: ReadinessOptions = {
    ...fromEnv,
    merchant: flags.merchant ?? fromEnv.merchant,
    shop_origin: flags.origin ?? fromEnv.shop_origin,
    webhook_url: flags.webhookUrl ?? fromEnv.webhook_url,
    currency: flags.currency ?? fromEnv.currency,
    amount_minor: flags.amountMinor ?? fromEnv.amount_minor,
    base_url: flags.baseUrl ?? fromEnv.base_url,
    api: flags.api,
    probe: flags.probe,
    sandbox: sandboxMode,
    delivery_timeout_ms: flags.timeout,
    // A problem with a value the flag gave is reported under the flag, not under a variable that may hold another value.
    input_names: {
      ...fromEnv.input_names,
      ...(flags.origin !== undefined ? { shop_origin: '--origin' } : {}),
      ...(flags.webhookUrl !== undefined ? { webhook_url: '--webhook-url' } : {}),
    },
  };
  const base_url_from = baseUrlFrom(flags, io.env, merged, envSource, environmentApiBase(env, sandboxMode)?.field);
  // The fixes name the setting the base URL came from (a value from --base-url is not SIGLUME_API_BASE's).
  if (base_url_from !== DEFAULT_FROM) options.input_names = { ...options.input_names, base_url: base_url_from };
  // The engine would name its option (`Invalid base_url`), which nobody set: name the flag or variable that was.
  // Only when the API is asked: --no-api checks the local configuration and never reads the base URL.
  if (flags.api !== false && options.base_url !== undefined) normalizeBaseUrl(options.base_url, base_url_from);

  let sandbox: SandboxPresentation | null = null;
  let close = async () => {};
  let explain = (report: ReadinessReport) => report;
  if (flags.sandbox && flags.api) {
    const [{ prepareSandboxReadiness, applyUnreachableFix }, { isLoopbackHost }] = await Promise.all([
      import('../../devtools/sandbox-readiness.js'),
      import('../../core/validation.js'),
    ]);
    // SIGLUME_ENV=sandbox alone names no address: its default is the one readiness may stand a sandbox in for.
    const named = base_url_from !== DEFAULT_FROM;
    // The sandbox started for the run delivers its test webhook to the shop's URL, signed with the shop's secret:
    // from the settings (a deployed project's .env names the live shop), only a URL on this machine, as webhook trigger.
    const beforeStart = (webhook_url: string) => {
      if (flags.webhookUrl !== undefined || !URL.canParse(webhook_url) || isLoopbackHost(new URL(webhook_url).hostname)) return;
      const name = envSource('SHOP_WEBHOOK_URL', io.env, merged) === 'env_file' ? `SHOP_WEBHOOK_URL in ${merged.loaded}` : 'SHOP_WEBHOOK_URL';
      throw usageError(
        `${name} is ${new URL(webhook_url).origin}, not this machine: the sandbox started for this run would send it a signed test ` +
          'payment webhook. Pass --webhook-url to send it there on purpose, or leave SHOP_WEBHOOK_URL unset for this run to let a local receiver stand in for the shop.',
      );
    };
    const setup = await prepareSandboxReadiness(named ? options : { ...options, base_url: undefined }, { base_url_from, beforeStart });
    options = { ...setup.options, api: flags.api, probe: flags.probe, delivery_timeout_ms: flags.timeout };
    explain = (report) => applyUnreachableFix(report, setup.unreachable_fix);
    sandbox = {
      source: setup.sandbox,
      receiver: setup.receiver,
      base_url: setup.base_url,
      reason: setup.reason,
      checked_url: setup.checked_url,
      checked_url_from: setup.checked_url_from,
      message: setup.message,
      ...(setup.receiver ? { shop_not_checked: shopNotChecked(
        merged.fallback === true || (merged.loaded?.endsWith(FALLBACK_ENV_FILE) ?? false),
        flags.dotenv !== undefined,
        FALLBACK_ENV_FILE,
        ENV_FILE_FLAG,
      ) } : {}),
    };
    close = setup.close;
  }

  // The engine's client keeps the transport's defaults: the progress line names them with the API it waits for.
  const verbose = flags.verbose === true;
  const progress = output.readinessProgress({
    json: flags.json === true,
    head: { command, verbose, sandbox, env_note },
    api: {
      timeout_ms: constants.DEFAULT_TIMEOUT_MS,
      max_retries: constants.DEFAULT_MAX_RETRIES,
    },
  });
  const run = { readiness: engine.runReadiness, verify: engine.runVerify, preflight: engine.runPreflight }[command];
  let report;
  try {
    report = explain(await run({ ...options, onProgress: progress.onProgress }));
  } finally {
    progress.stop();
    await close();
  }
  output.readinessReport(report, { json: flags.json === true, verbose, sandbox, env_note, head_printed: progress.headPrinted() });
  if (!report.ok) throw new CliError('not_ready');
}

/** Registers one of the check commands with its flags. */
function registerCheckCommand(program: Command, command: ReadinessCommand, io: CliIo, output: Output): void {
  const { summary, description } = COMMANDS[command];
  const cmd = program.command(command);
  if (command === 'readiness') cmd.alias('doctor');
  cmd
    .summary(summary)
    .description(description)
    .option('--merchant <key>', 'merchant key')
    .option('--origin <url>', 'public origin of the shop, e.g. https://shop.example')
    .option('--webhook-url <url>', 'URL Siglume posts webhooks to')
    .option('--currency <code>', 'currency of the checkout probe: JPY or USD', parseCurrency)
    .option('--amount-minor <n>', 'amount of the checkout probe in minor units (Standard band)', parseAmountMinor)
    .option('--base-url <url>', 'API base URL')
    .option('--no-api', 'check the local configuration only (never passes)')
    .option(
      '--no-probe',
      command === 'preflight' ? 'skip the checkout probe (never passes)' : 'skip the checkout and delivery probes (never reported ready)',
    );
  if (command !== 'preflight') cmd.option('--timeout <ms>', 'how long to wait for the test delivery (default 10000)', parseTimeoutMs);
  cmd
    .option('--dotenv <path>', 'dotenv file to read without overriding the environment (default .env, else .env.local)')
    .option('--sandbox', 'run against a local sandbox: the one at --base-url / SIGLUME_API_BASE, else the one at 127.0.0.1:8787 or, when none runs there, one started for the run (with a webhook receiver)')
    .option('--json', 'print the report as JSON')
    .option('--verbose', 'show details and timings of each check')
    .addHelpText('after', `${ENV_HELP}\n${examplesHelp(command)}${EXIT_HELP[command]}`)
    .action((flags: ReadinessFlags) => runReadinessCommand(command, flags, io, output));
  refuseEmptyValues(cmd);
}

/** Registers `readiness` (alias `doctor`), `preflight` and `verify` on the program. */
export function registerReadinessCommand(program: Command, io: CliIo, output: Output): void {
  registerCheckCommand(program, 'readiness', io, output);
  registerCheckCommand(program, 'preflight', io, output);
  registerCheckCommand(program, 'verify', io, output);
}
