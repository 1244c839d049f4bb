/**
 * The `siglume-sdrp` / `siglume-check` program. This is the only place that
 * maps outcomes to exit codes:
 *
 * - 0: success (readiness / verify: ready; preflight: passed)
 * - 1: the command ran and the answer is negative, or it failed (not ready,
 *   conflicting files, endpoint refused the event, API unreachable)
 * - 2: usage error (unknown flag, bad value, missing argument); one line,
 *   no stack trace
 *
 * Only commander, picocolors and the small command modules load at start-up;
 * each command imports what it needs when it runs, so `--help` stays fast.
 */
import { Command, CommanderError, Help, Option } from 'commander';
import { SiglumeValidationError } from '../core/errors.js';
import { DIRECT_REQUEST_PAYMENT_SDK_VERSION } from '../version.js';
import { registerInitCommand } from './commands/init.js';
import { registerReadinessCommand } from './commands/readiness.js';
import { registerReconcileCommand } from './commands/reconcile.js';
import { registerSandboxCommand } from './commands/sandbox.js';
import { registerWebhookCommand } from './commands/webhook.js';
import { nodeOwnedFlagError } from './env-file.js';
import { CliError, shownValue, usageError } from './errors.js';
import { processIo, type CliIo } from './io.js';
import { createOutput, type Output } from './output.js';
import { rootHelpFooter } from './root-help.js';

/** Exit code of each outcome. */
export const EXIT_CODES = Object.freeze({ ok: 0, failed: 1, usage: 2 } as const);

/** `webhook trigger` for the trigger command; '' for the program itself. */
function commandPath(command: Command | null): string {
  const names: string[] = [];
  for (let c = command; c?.parent; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/**
 * The value a value flag took from the next argument (`--merchant --json`) when that argument starts with
 * `--`: refused, because it was almost always meant as a flag of its own. `--token=--abc` says it is a
 * value, and is left alone. The message echoes the argument only when it is one of the command's flags,
 * never a value (it could be a secret).
 */
function flagTakenAsValue(action: Command, argv: readonly string[]): string | null {
  for (const option of action.options) {
    if (!option.required || !option.long) continue;
    const value: unknown = action.getOptionValue(option.attributeName());
    for (const v of Array.isArray(value) ? value : [value]) {
      if (typeof v !== 'string' || !v.startsWith('--') || argv.includes(`${option.long}=${v}`)) continue;
      const flag = v.split('=')[0]!;
      return action.options.some((o) => o.long === flag) || flag === '--help' || flag === '--version'
        ? `${option.long} needs a value; it was followed by ${flag}`
        : `${option.long} needs a value; the argument after it starts with "--" (for such a value, write ${option.long}=<value>)`;
    }
  }
  return null;
}

/** The error for `-v` after a command: it is not the version there; --verbose when the command has it. */
function shortVersionAfterCommand(action: Command, name: string): string {
  const verbose = action.options.some((o) => o.long === '--verbose');
  return `unknown option '-v' for ${commandPath(action)}${verbose ? ' (did you mean --verbose?)' : ''}; the version is \`${name} --version\``;
}

function buildProgram(io: CliIo, output: Output, track: (command: Command) => void, argv: readonly string[]): Command {
  const program = new Command(io.name)
    .description('Siglume Direct Request Payment: readiness checks, the local sandbox, templates and webhook tools.')
    .version(DIRECT_REQUEST_PAYMENT_SDK_VERSION, '-v, --version', 'print the version')
    .helpOption('-h, --help', 'show help')
    .helpCommand(false)
    // The root's options (-v, --version) only before a command: after one, they are that command's.
    .enablePositionalOptions()
    .exitOverride()
    .showSuggestionAfterError(true)
    // A command made of subcommands (webhook) is listed as `webhook <command>`: it takes a subcommand, not options.
    .configureHelp({
      subcommandTerm: (cmd) => (cmd.commands.length > 0 ? `${cmd.name()} <command>` : new Help().subcommandTerm(cmd)),
    })
    .configureOutput({
      writeOut: (s) => output.stdout(s),
      writeErr: (s) => output.stderr(s),
      outputError: (s) => output.commanderError(s),
    });
  program.addHelpText(
    'after',
    `\n${rootHelpFooter(io.name)}`,
  );
  registerReadinessCommand(program, io, output);
  registerInitCommand(program, io, output);
  registerSandboxCommand(program, io, output);
  registerWebhookCommand(program, io, output);
  registerReconcileCommand(program, io, output);
  // `help`, `help <command>` and `help <command> <subcommand>` as well as --help (CONTRACT-2 section 18.1).
  program
    .command('help')
    .argument('[command...]', 'the command, e.g. readiness or webhook trigger')
    .description('show help for a command')
    .addHelpText('after', '\nExit codes: 0 help shown, 2 unknown command.')
    .action((path: string[]) => {
      let command: Command = program;
      for (const name of path) {
        const sub = command.commands.find((c) => c.name() === name || c.aliases().includes(name));
        if (!sub) {
          // The hint names the deepest command found (`siglume-sdrp --help`), not `help --help`.
          track(command);
          throw usageError(`unknown command '${path.map(shownValue).join(' ')}'`);
        }
        command = sub;
      }
      command.outputHelp();
    });
  // Remember the deepest command reached, so a usage error names its --help.
  program.hook('preSubcommand', (_parent, sub) => track(sub));
  // A value flag followed by another flag (`--merchant --json`) takes the flag as its value: refuse it
  // rather than run with a merchant named "--json" and without --json.
  program.hook('preAction', (_program, action) => {
    const refused = flagTakenAsValue(action, argv);
    if (refused) throw usageError(refused);
    if (action.getOptionValue('v') === true) throw usageError(shortVersionAfterCommand(action, io.name));
  });
  // -v / --version belong to the root only: `verify -v` answering the version and exit 0 passed a CI step that
  // never checked anything. After a command, -v is a usage error that says what it probably meant.
  const stack = program.commands.filter((c) => c.name() !== 'help');
  while (stack.length > 0) {
    const command = stack.pop()!;
    if (command.commands.length === 0) command.addOption(new Option('-v').hideHelp());
    command.hook('preSubcommand', (_parent, sub) => track(sub));
    stack.push(...command.commands);
  }
  return program;
}

/**
 * `argv` without `--help` / `-h` when it names a subcommand that does not exist (`webhook listen --help`):
 * commander would print the parent's help and exit 0; without them it reports the unknown command, exit 2,
 * as `webhook listen` does.
 */
function withoutHelpOfUnknownCommand(program: Command, argv: readonly string[]): readonly string[] {
  let command = program;
  for (const arg of argv) {
    if (arg === '--') break;
    if (arg.startsWith('-')) continue;
    if (command.commands.length === 0) return argv;
    const sub = command.commands.find((c) => c.name() === arg || c.aliases().includes(arg));
    if (!sub) return argv.filter((a, i) => (a !== '--help' && a !== '-h') || argv.slice(0, i).includes('--'));
    if (sub.name() === 'help') return argv;
    command = sub;
  }
  return argv;
}

/**
 * Runs the CLI with `argv` (the arguments after the program name) and
 * resolves with the exit code. Never calls `process.exit`, so it can run
 * in-process in tests with an injected {@link CliIo}.
 *
 * @example
 * process.exitCode = await main(process.argv.slice(2));
 */
export async function main(argv: readonly string[] = process.argv.slice(2), io: Partial<CliIo> = {}): Promise<number> {
  const resolved = processIo(io);
  const output = createOutput(resolved);
  let current: Command | null = null;
  const program = buildProgram(
    resolved,
    output,
    (command) => {
      current = command;
    },
    argv,
  );
  if (argv.length === 0) {
    program.outputHelp({ error: true });
    return EXIT_CODES.usage;
  }
  try {
    const refused = nodeOwnedFlagError(argv);
    if (refused) throw refused;
    await program.parseAsync([...withoutHelpOfUnknownCommand(program, argv)], { from: 'user' });
    return EXIT_CODES.ok;
  } catch (error) {
    if (error instanceof CommanderError) {
      if (error.code === 'commander.helpDisplayed' || error.code === 'commander.version') return EXIT_CODES.ok;
      // A bare parent command (e.g. `webhook`) prints its help as an error.
      if (error.code === 'commander.help') return error.exitCode === 0 ? EXIT_CODES.ok : EXIT_CODES.usage;
      output.usageHint(commandPath(current));
      return EXIT_CODES.usage;
    }
    if (error instanceof CliError) {
      if (!error.silent && error.kind === 'usage') output.usage(error.message, commandPath(current));
      else if (!error.silent) output.error(error.message);
      return error.kind === 'usage' ? EXIT_CODES.usage : EXIT_CODES.failed;
    }
    // SDK validation errors name the bad input (a flag or env value): usage errors here.
    if (error instanceof SiglumeValidationError) {
      output.usage(error.message, commandPath(current));
      return EXIT_CODES.usage;
    }
    const message = error instanceof Error ? error.message : String(error);
    output.error(message);
    if (resolved.env.SIGLUME_DEBUG && error instanceof Error && error.stack) output.stderr(`${error.stack}\n`);
    return EXIT_CODES.failed;
  }
}
