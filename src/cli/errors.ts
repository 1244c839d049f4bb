/**
 * Typed CLI outcomes other than success. Commands throw these; only
 * `cli/main.ts` turns them into exit codes (usage -> 2, everything else -> 1).
 */

/** Why a command did not succeed. */
export type CliErrorKind =
  /** Bad flag, argument or environment value; nothing was done. Exit 2. */
  | 'usage'
  /** The command ran and reported a negative result it already printed (e.g. not ready). Exit 1. */
  | 'not_ready'
  /** The command could not do its job (conflicting files, endpoint refused, ...). Exit 1. */
  | 'failed';

/** A CLI outcome that ends the process with a non-zero exit code. */
export class CliError extends Error {
  readonly kind: CliErrorKind;
  /** True when the command already printed everything the user needs. */
  readonly silent: boolean;

  constructor(kind: CliErrorKind, message = '', options: { silent?: boolean } = {}) {
    super(message);
    this.name = 'CliError';
    this.kind = kind;
    this.silent = options.silent ?? message === '';
  }
}

/** A usage error: a clear one-line message, exit 2. */
export function usageError(message: string): CliError {
  return new CliError('usage', message);
}
