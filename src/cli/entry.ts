/**
 * What bin/siglume-sdrp.mjs runs. `--help` and `--version` on their own are
 * answered here, before anything else loads; every other command line goes
 * to {@link main} (commander and the command modules), imported on demand.
 */
import { DIRECT_REQUEST_PAYMENT_SDK_VERSION } from '../version.js';
import { programName } from './io.js';
import { rootHelpText } from './root-help.js';

/** Runs the CLI for `argv` and resolves with the exit code. */
export async function run(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  if (argv.length === 1) {
    const [arg] = argv;
    if (arg === '--help' || arg === '-h') {
      process.stdout.write(rootHelpText(programName(process.argv[1])));
      return 0;
    }
    if (arg === '--version' || arg === '-v') {
      process.stdout.write(`${DIRECT_REQUEST_PAYMENT_SDK_VERSION}\n`);
      return 0;
    }
  }
  const { main } = await import('./main.js');
  return main(argv);
}
