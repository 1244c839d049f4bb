/**
 * The process surface the CLI touches, injectable so tests can run `main()`
 * in-process with their own environment, streams and shutdown signal.
 */

/** A stream the CLI writes text to. */
export interface CliWritable {
  write(chunk: string): unknown;
  isTTY?: boolean;
  columns?: number;
}

/** A stream the CLI reads bytes from (stdin). */
export interface CliReadable extends AsyncIterable<Uint8Array | string> {
  isTTY?: boolean;
}

/** Everything the CLI reads from or writes to the outside world. */
export interface CliIo {
  /** Program name shown in help and messages (`siglume-sdrp` or `siglume-check`). */
  name: string;
  stdout: CliWritable;
  stderr: CliWritable;
  stdin: CliReadable;
  /** Environment (the real one is never modified). */
  env: Readonly<Record<string, string | undefined>>;
  /** Directory relative paths (`--dotenv`, `--target`) resolve against. */
  cwd: string;
  /** Ends long-running commands (`sandbox`); defaults to SIGINT / SIGTERM. */
  signal?: AbortSignal;
}

const BIN_NAMES = new Set(['siglume-sdrp', 'siglume-check']);

/** The program name from the script path (both bin names run the same program). */
export function programName(scriptPath: string | undefined): string {
  const base = (scriptPath ?? '').split(/[\\/]/).pop()?.replace(/\.(mjs|cjs|js)$/, '') ?? '';
  return BIN_NAMES.has(base) ? base : 'siglume-sdrp';
}

let pipeGuarded = false;

// `siglume-sdrp ... | head` closes stdout early; that is not an error worth a stack trace.
function guardBrokenPipe(): void {
  if (pipeGuarded) return;
  pipeGuarded = true;
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
    });
  }
}

/** The real process as a {@link CliIo}, with `overrides` applied. */
export function processIo(overrides: Partial<CliIo> = {}): CliIo {
  if (!overrides.stdout || !overrides.stderr) guardBrokenPipe();
  return {
    name: overrides.name ?? programName(process.argv[1]),
    stdout: overrides.stdout ?? process.stdout,
    stderr: overrides.stderr ?? process.stderr,
    stdin: overrides.stdin ?? process.stdin,
    env: overrides.env ?? process.env,
    cwd: overrides.cwd ?? process.cwd(),
    signal: overrides.signal,
  };
}
