/**
 * `sandbox`: runs the local Siglume sandbox (`startSandbox`) until SIGINT /
 * SIGTERM, printing the environment a merchant app needs and, in human mode,
 * one line per request and webhook delivery.
 */
import type { Command } from 'commander';
import { fetchBlocksPort } from '../../core/bad-port.js';
import { docPath } from '../../init/package-dir.js';
import { shownValue, usageError } from '../errors.js';
import type { CliIo } from '../io.js';
import type { Output } from '../output.js';
import { parsePort, refuseEmptyValues } from '../parse.js';

interface SandboxFlags {
  port?: number;
  host?: string;
  allowedHost?: string[];
  merchant?: string;
  origin?: string;
  webhookUrl?: string;
  webhookSecret?: string;
  token?: string;
  stateFile?: string;
  scenario?: string;
  dotenv?: string;
  json?: boolean;
}

/**
 * The seeding options a variable stands in for when its flag is not given (CONTRACT-2 section 19.1); `name` is
 * also where the option's value shows in the shop's environment (`handle.env`).
 */
const SEED_VARS = [
  { key: 'merchant', flag: 'merchant', name: 'SIGLUME_DIRECT_PAYMENT_MERCHANT' },
  { key: 'origin', flag: 'origin', name: 'SHOP_PUBLIC_ORIGIN' },
  { key: 'webhook_url', flag: 'webhookUrl', name: 'SHOP_WEBHOOK_URL' },
  { key: 'webhook_secret', flag: 'webhookSecret', name: 'SIGLUME_WEBHOOK_SECRET' },
] as const;

const SANDBOX_EXAMPLES =
  '\nExamples:\n' +
  `  ${'siglume-sdrp sandbox'.padEnd(60)}port 8787, seeded from the shop's .env\n` +
  `  ${'siglume-sdrp sandbox --port 0 --json'.padEnd(60)}a free port; one JSON line to read the env from\n` +
  `  ${'siglume-sdrp sandbox --state-file .sandbox.json'.padEnd(60)}keep merchants and payments across restarts\n` +
  `  ${'siglume-sdrp sandbox --scenario no_mandate'.padEnd(60)}start with a readiness gate failing\n` +
  `  ${'createSandbox() of @siglume/direct-request-payment/sandbox'.padEnd(60)}in tests instead: in-process, no port ("Testing your shop" in the guide below)\n`;

const ENV_HELP = `
Environment (flags win; a .env file, else .env.local when there is no .env, fills in what the environment lacks):
  SIGLUME_SANDBOX_PORT             port (--port)
  SIGLUME_DIRECT_PAYMENT_MERCHANT  key of the seeded merchant (--merchant)
  SHOP_PUBLIC_ORIGIN               the shop's public origin (--origin)
  SHOP_WEBHOOK_URL                 the shop's webhook endpoint (--webhook-url)
  SHOP_BASE_PATH                   a shop served under a path (/store): the default endpoint is under it too
  SIGLUME_WEBHOOK_SECRET           signing secret of the seeded subscription (--webhook-secret)
Neither set: the defaults above. A value from the environment the sandbox cannot take is a usage error naming the variable;
so is a SHOP_PUBLIC_ORIGIN or SHOP_WEBHOOK_URL on another machine than this one (a deployed shop's: the sandbox would
send it signed webhooks): pass --origin / --webhook-url to use another host on purpose.

Exit codes: 0 stopped with Ctrl+C (SIGINT) or SIGTERM, 1 could not start or keep running (port taken, state file
unwritable or used by another sandbox), 2 usage error, 130 / 143 a second Ctrl+C (SIGINT) / SIGTERM while it
shuts down quit at once.`;

/** What an error names for a variable: `NAME`, or `NAME in <file>` when the env file gave it. */
type VariableLabel = (name: string) => string;

/**
 * `port`, unless fetch refuses to connect to it (6666, 6000, 25, ... see core/bad-port.ts): the sandbox would
 * listen there, and then every readiness run, client and webhook trigger against it would fail.
 */
function reachablePort(port: number, name: string): number {
  if (!fetchBlocksPort(port)) return port;
  throw usageError(
    `${name} ${port} is a port fetch refuses to connect to (the Fetch standard blocks it for other protocols): ` +
      'no client could reach the sandbox there. Pick another, e.g. 8787, or 0 for a free one.',
  );
}

/** `SIGLUME_SANDBOX_PORT`, the port when `--port` is not given (unset or empty: the sandbox's default). */
function portFromEnv(value: string | undefined, label: VariableLabel): number | undefined {
  if (value === undefined || value.trim() === '') return undefined;
  let port: number;
  try {
    port = parsePort(value);
  } catch {
    throw usageError(`${label('SIGLUME_SANDBOX_PORT')} must be an integer from 0 to 65535 (got "${shownValue(value).slice(0, 20)}").`);
  }
  return reachablePort(port, label('SIGLUME_SANDBOX_PORT'));
}

/**
 * A --host name that does not resolve (`nosuchhost.invalid`, a typo) is a usage error, found before the
 * not-loopback warning: listening would fail anyway, after a warning about a host it never reached.
 * An IP address is left to the listen call (an address of another machine fails there, exit 1).
 */
async function refuseUnresolvableHost(host: string): Promise<void> {
  const [{ isIP }, { lookup }] = await Promise.all([import('node:net'), import('node:dns/promises')]);
  if (isIP(host) !== 0) return;
  try {
    await lookup(host);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why = code === 'ENOTFOUND' ? 'no such host' : (code ?? 'lookup failed');
    throw usageError(`--host ${shownValue(host)} does not resolve to an address (${why}); give an address of this machine, e.g. 127.0.0.1`);
  }
}

/**
 * Why SHOP_PUBLIC_ORIGIN or SHOP_WEBHOOK_URL from the settings is refused when it is not on this machine (the rule of
 * `webhook trigger`): a deployed project's settings name the live shop, and a sandbox seeded with them would post
 * its payments' webhooks there (the origin's `/payments/webhooks/siglume` is the default endpoint), signed with the
 * shop's own SIGLUME_WEBHOOK_SECRET. Another host is taken only from a flag, given on purpose.
 */
function shopElsewhere(name: string, origin: string, flag: '--origin' | '--webhook-url'): string {
  const [why, local] =
    flag === '--origin'
      ? ["it names a deployed shop (the sandbox's default webhook endpoint is on it)", 'http://127.0.0.1:3000']
      : ["the sandbox would post its webhooks there, signed with the shop's secret", 'http://127.0.0.1:3000/payments/webhooks/siglume'];
  return `${name} is ${origin}, not this machine: ${why}. Pass ${flag} to use it on purpose, or one on this machine, e.g. ${flag} ${local}`;
}

/** Resolves when `signal` aborts, or on the first SIGINT / SIGTERM. */
function waitForShutdown(signal: AbortSignal | undefined): Promise<void> {
  if (signal) {
    return new Promise((resolve) => {
      if (signal.aborted) resolve();
      else signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }
  return new Promise((resolve) => {
    const stop = () => {
      process.off('SIGINT', stop);
      process.off('SIGTERM', stop);
      resolve();
    };
    process.on('SIGINT', stop);
    process.on('SIGTERM', stop);
  });
}

function logLine(entry: Record<string, unknown>): string {
  if (entry.kind === 'request') return `${entry.method} ${entry.path} ${entry.status} ${entry.duration_ms} ms`;
  if (entry.kind === 'delivery') {
    const status = entry.response_status ?? 'no response';
    const reason = entry.failure_reason ? `: ${entry.failure_reason}` : '';
    return `webhook ${entry.event_type} ${entry.event_id} -> ${entry.callback_url}: ${entry.delivery_status} (${status}, ${entry.attempts} attempt${entry.attempts === 1 ? '' : 's'}${reason})`;
  }
  return String(entry.message ?? JSON.stringify(entry));
}

/** Registers `sandbox` on the program. */
export function registerSandboxCommand(program: Command, io: CliIo, output: Output): void {
  const command = program
    .command('sandbox')
    .summary('run the local Siglume sandbox API for development and tests')
    .description(
      'Run a local Siglume-compatible API with a ready merchant, Hosted Checkout pages and signed webhook delivery. Stops on Ctrl+C.',
    )
    .option('--port <n>', 'port to listen on (0 picks a free one; default SIGLUME_SANDBOX_PORT, else 8787)', (v: string) =>
      reachablePort(parsePort(v), '--port'),
    )
    .option('--host <host>', 'interface to listen on (default 127.0.0.1)')
    .option('--allowed-host <name>', 'also answer this Host (name or name:port; repeatable); others get 421', (v: string, all: string[] = []) => [...all, v])
    .option('--merchant <key>', 'key of the seeded merchant (default SIGLUME_DIRECT_PAYMENT_MERCHANT, else sandbox_shop)')
    .option('--origin <url>', "the shop's public origin (default SHOP_PUBLIC_ORIGIN, else http://127.0.0.1:3000)")
    .option('--webhook-url <url>', "the shop's webhook endpoint (default SHOP_WEBHOOK_URL, else <origin>/payments/webhooks/siglume)")
    .option('--webhook-secret <whsec>', 'signing secret of the seeded subscription (default SIGLUME_WEBHOOK_SECRET, else whsec_sandbox_secret)')
    .option('--token <token>', 'merchant bearer token (default sdrp_sandbox_merchant_token)')
    .option('--state-file <path>', 'keep state in this JSON file across restarts')
    .option('--scenario <name>', 'start in a failing scenario (listed in the guide named below)')
    .option('--dotenv <path>', 'dotenv file to read without overriding the environment (default .env, else .env.local)')
    .option('--json', 'print the start-up information as one JSON line and no request log')
    // Resolved when help is shown: the guide shipped with this installed version.
    .addHelpText('after', () => `${ENV_HELP}\n${SANDBOX_EXAMPLES}\nScenarios, control endpoints and the state file: ${docPath('sandbox.md')}`)
    .action(async (flags: SandboxFlags) => {
      const [{ startSandbox }, { sandboxOptionOrUndefined, sandboxOptionProblem, resolveSandboxOptions }, { resolve }, { isLoopbackHost, sameUrl, shopBasePath }, { mergeEnvFile, envSource, envFileNote, envFileWarnings }] = await Promise.all([
        import('../../sandbox/index.js'),
        import('../../sandbox/options.js'),
        import('node:path'),
        import('../../core/validation.js'),
        import('../env-file.js'),
      ]);
      // The shop's own settings, read as readiness reads them: a sandbox seeded with them answers the shop's merchant key.
      const merged = mergeEnvFile(io.env, io.cwd, flags.dotenv);
      const note = envFileNote(merged);
      if (note) output.note(note);
      for (const warning of envFileWarnings(merged)) output.warning(warning);
      const label: VariableLabel = (name) => (envSource(name, io.env, merged) === 'env_file' ? `${name} in ${merged.loaded}` : name);
      const seed: Partial<Record<(typeof SEED_VARS)[number]['key'], string>> = {};
      for (const { key, flag, name } of SEED_VARS) {
        // A flag is never blank here (refuseEmptyValues); a blank variable counts as unset.
        const value = flags[flag] ?? merged.env[name];
        if (value === undefined || value.trim() === '') continue;
        if (flags[flag] === undefined) {
          // Refused here, not by the sandbox: its error would name the option, which nobody typed.
          const problem = sandboxOptionProblem(key, value);
          if (problem !== null) throw usageError(`${label(name)} ${problem}`);
          if ((key === 'origin' || key === 'webhook_url') && !isLoopbackHost(new URL(value).hostname)) {
            throw usageError(shopElsewhere(label(name), new URL(value).origin, key === 'origin' ? '--origin' : '--webhook-url'));
          }
        }
        seed[key] = value;
      }
      // A shop served under a path (SHOP_BASE_PATH, as its templates read it) takes its webhooks there too: the
      // sandbox's own default endpoint is at the origin's root.
      const basePath = merged.env.SHOP_BASE_PATH?.trim();
      if (seed.webhook_url === undefined && basePath) {
        let path: string;
        try {
          path = shopBasePath(basePath, 'SHOP_BASE_PATH');
        } catch (error) {
          throw usageError(`${label('SHOP_BASE_PATH')} ${(error as Error).message.replace(/^Invalid SHOP_BASE_PATH: /, '')}`);
        }
        seed.webhook_url = `${resolveSandboxOptions({ origin: seed.origin }).origin}${path}/payments/webhooks/siglume`;
      }
      // A bad flag named as typed (`--webhook-url must use https ...`), not as the option the sandbox would name
      // (`Invalid webhook_url:`); the values of --webhook-secret and --token are never echoed.
      const flagged = [
        ...SEED_VARS.map(({ key, flag }) => [key, `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}`, flags[flag]] as const),
        ['merchant_token', '--token', flags.token] as const,
        ['scenario', '--scenario', flags.scenario] as const,
      ];
      for (const [key, flag, value] of flagged) {
        const problem = value === undefined ? null : sandboxOptionProblem(key, value);
        if (problem !== null) throw usageError(`${flag} ${problem}`);
      }
      for (const host of flags.allowedHost ?? []) {
        const problem = sandboxOptionProblem('allowed_hosts', [host]);
        if (problem !== null) throw usageError(`--allowed-host ${problem} (got "${shownValue(host)}")`);
      }
      if (flags.host !== undefined && sandboxOptionOrUndefined('host', flags.host) === undefined) {
        throw usageError(`--host must be an IP address or host name of this machine, e.g. 127.0.0.1, ::1 or 0.0.0.0 (got "${shownValue(flags.host)}")`);
      }
      if (flags.host !== undefined) await refuseUnresolvableHost(flags.host);
      const json = flags.json === true;
      // Another interface than loopback: the sandbox's tokens are public defaults and its Pay button needs none.
      if (flags.host !== undefined && !isLoopbackHost(flags.host) && !isLoopbackHost(`[${flags.host}]`)) {
        output.warning(
          `Listening on ${flags.host}: anyone who can reach this machine can call the sandbox's API with its default tokens ` +
            'and press Pay on its checkout pages (the /__sandbox/ control routes still answer this machine only). ' +
            'Pass --token and --webhook-secret of your own, or listen on 127.0.0.1.',
        );
      }
      const stateFile = flags.stateFile === undefined ? undefined : resolve(io.cwd, flags.stateFile);
      const handle = await startSandbox({
        port: flags.port ?? portFromEnv(merged.env.SIGLUME_SANDBOX_PORT, label),
        host: flags.host,
        allowed_hosts: flags.allowedHost,
        ...seed,
        merchant_token: flags.token,
        state_file: stateFile,
        scenario: flags.scenario as never,
        ...(json ? { quiet: true } : { onLog: (entry: unknown) => output.sandboxLog(logLine(entry as Record<string, unknown>)) }),
      });
      // A state file that exists wins over what was given: say which given values it replaced (never their values).
      // URLs compared as URLs: `https://SHOP.Example:443/hook` is the endpoint the state file has as `https://shop.example/hook`.
      const replaced = SEED_VARS.filter(({ key, name }) => {
        const given = seed[key] === undefined ? undefined : sandboxOptionOrUndefined(key, seed[key]);
        return given !== undefined && !sameUrl(given, handle.env[name]);
      }).map(({ flag, name }) => (flags[flag] !== undefined ? `--${flag.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`)}` : label(name)));
      if (replaced.length > 0) {
        output.note(`The state file ${stateFile} keeps what it was seeded with; not used: ${replaced.join(', ')}. Delete the file to seed anew.`);
      }
      // The webhook secret is printed only when it is a sandbox value: typed on this command line, or the built-in
      // default. Otherwise it is the shop's own (from its settings, now or when the state file was seeded): never printed.
      const secret = handle.env.SIGLUME_WEBHOOK_SECRET;
      const printable = secret === flags.webhookSecret || secret === resolveSandboxOptions().webhook_secret;
      const secretFrom = printable ? undefined : seed.webhook_secret === secret ? label('SIGLUME_WEBHOOK_SECRET') : `the state file ${stateFile}`;
      // Apart from `env` (the shop's, which readiness and the templates read): a paid API signs its 402
      // challenges with the merchant's challenge secret, and its buyer pays with the buyer token.
      const seeded = handle.getMerchant(handle.env.SIGLUME_DIRECT_PAYMENT_MERCHANT);
      const paid_api = { challenge_secret: seeded?.challenge_secret ?? null, buyer_token: handle.buyer_token };
      output.sandboxStarted(
        // SIGLUME_ENV=sandbox first: readiness on these values needs it (http on loopback), and it is not in `handle.env`.
        {
          url: handle.url,
          api_base: handle.api_base,
          env: { SIGLUME_ENV: 'sandbox', ...handle.env },
          scenario: handle.scenario,
          paid_api,
          ...(secretFrom === undefined ? {} : { webhook_secret_from: secretFrom }),
        },
        { json },
      );
      await waitForShutdown(io.signal);
      await handle.close();
      output.sandboxStopped({ json });
    });
  // An empty value (`--state-file "$UNSET"`) is a usage error, not the default.
  refuseEmptyValues(command);
}
