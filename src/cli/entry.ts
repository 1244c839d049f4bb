/**
 * The CLI as an ES module: bin/siglume-sdrp.cjs comes here for every command
 * line except a lone `--help` / `--version`, which it answers from
 * dist/cli-fast.cjs first. `run` answers those too (for callers that import
 * it directly); everything else goes to {@link main} (commander and the
 * command modules), imported on demand.
 */
import { answerFast } from './fast.js';

/** Runs the CLI for `argv` and resolves with the exit code. */
export async function run(argv: readonly string[] = process.argv.slice(2)): Promise<number> {
  const fast = answerFast(argv);
  if (fast !== null) return fast;
  const { main } = await import('./main.js');
  return main(argv);
}
