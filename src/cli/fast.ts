/**
 * The answers the CLI gives without loading anything: `--help` / `-h` and
 * `--version` / `-v` on their own. Built on its own as `dist/cli-fast.cjs`,
 * which the bin requires first: CommonJS starts a few milliseconds sooner than
 * an ES module, and these are the commands people run to see if the tool is
 * there. Everything else goes to `dist/cli.js`.
 */
import { DIRECT_REQUEST_PAYMENT_SDK_VERSION } from '../version.js';
import { programName } from './io.js';
import { rootHelpText } from './root-help.js';

/** Writes the answer and returns the exit code when `argv` is a fast command; null otherwise. */
export function answerFast(argv: readonly string[], scriptPath: string | undefined = process.argv[1]): number | null {
  if (argv.length !== 1) return null;
  const [arg] = argv;
  if (arg === '--help' || arg === '-h') {
    process.stdout.write(rootHelpText(programName(scriptPath)));
    return 0;
  }
  if (arg === '--version' || arg === '-v') {
    process.stdout.write(`${DIRECT_REQUEST_PAYMENT_SDK_VERSION}\n`);
    return 0;
  }
  return null;
}
