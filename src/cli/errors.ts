/**
 * Typed CLI outcomes other than success. Commands throw these; only
 * `cli/main.ts` turns them into exit codes (usage -> 2, everything else -> 1).
 */
import { REDACTED } from '../core/redact.js';

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

/** Prefixes of Siglume and other common credentials (webhook secret, merchant token, API keys, a pasted auth header). */
const SECRET_PREFIX = /^(?:whsec_|sdrp_|sk_|rk_|pk_live_|Bearer\s)/i;

/** Bits of Shannon entropy per character of `text`. */
function entropy(text: string): number {
  const counts = new Map<string, number>();
  for (const ch of text) counts.set(ch, (counts.get(ch) ?? 0) + 1);
  let bits = 0;
  for (const n of counts.values()) bits -= (n / text.length) * Math.log2(n / text.length);
  return bits;
}

/**
 * Whether a typed value looks like a credential: a known secret prefix, or a random-looking token
 * (no path or URL, and a run of 16+ letters and digits mixed, with high entropy; `express_2024_edition`
 * or a UUID is not one).
 */
export function looksLikeSecret(value: string): boolean {
  const v = value.trim();
  if (SECRET_PREFIX.test(v)) return true;
  if (!/^[A-Za-z0-9_\-+=.]+$/.test(v)) return false;
  return v
    .split(/[_\-.]/)
    .some((run) => run.length >= 16 && /[0-9]/.test(run) && /[A-Za-z]/.test(run) && entropy(run) >= 3.5);
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
