/**
 * What bin/siglume-sdrp.cjs runs for every command but the fast ones (see fast.ts). `--help` and `--version` on their own are
 * answered here, before anything else loads; every other command line goes
 * to {@link main} (commander and the command modules), imported on demand.
 */
import { answerFast } from './fast.js';

/** Runs the CLI for `argv` and resolves with the exit code. */
export async function run(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  const fast = answerFast(argv);
  if (fast !== null) return fast;
  const { main } = await import('./main.js');
  return main(argv);
}
