/**
 * Typed CLI outcomes other than success. Commands throw these; only
 * `cli/main.ts` turns them into exit codes (usage -> 2, everything else -> 1).
 */
import { REDACTED } from '../core/redact.js';
import { looksLikeSecret } from '../core/redact-text.js';

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

/**
 * A value the user typed, as an error message may echo it: `[redacted]` when it looks like a secret
 * (a webhook secret or token typed where a kind, command or host was expected), else the value.
 */
export function shownValue(value: string): string {
  return looksLikeSecret(value) ? REDACTED : value;
}

/**
 * Commander's message with each quoted value (`'...'`) that looks like a secret replaced by `[redacted]`,
 * also an unknown option carrying one (`'--tokn=sdrp_...'`, `'--whsec_...'`).
 */
export function redactQuoted(message: string): string {
  const secret = (text: string) => looksLikeSecret(text) || text.split('=').some((part) => looksLikeSecret(part.replace(/^-+/, '')));
  return message.replace(/'([^'\n]*)'/g, (quoted, inner: string) => (secret(inner) ? `'${REDACTED}'` : quoted));
}
