/**
 * The CLI's one dotenv loader: `.env` in the working directory (else
 * `.env.local` when there is no `.env`, as a Next.js project keeps it), or
 * the file named with `--dotenv <path>`. It reads with a size cap, drops a UTF-8 byte
 * order mark, parses with Node's own parser (`util.parseEnv`, the one behind
 * `node --env-file`) and merges the values under the real environment, which
 * always wins. The process environment is not modified.
 *
 * Why the flag is not called `--env-file`: Node 20 reads `--env-file` itself,
 * before any JavaScript runs, wherever it appears on the command line up to a
 * `--` (also after the script name). `siglume-sdrp readiness --env-file x`
 * therefore makes Node load `x` into the process environment, or exit 9 with
 * `node: x: not found` when it is missing, before this CLI starts. The only
 * portable way around that (a `#!/usr/bin/env -S node --` shebang fails on
 * BusyBox `env`, e.g. Alpine images) does not exist, so the CLI uses a name
 * Node does not own and refuses `--env-file` with a pointer to `--dotenv`.
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { usageError } from './errors.js';

const TOKEN_VARS: readonly string[] = ['SIGLUME_MERCHANT_AUTH_TOKEN', 'SIGLUME_AUTH_TOKEN'];

/** The default env file, relative to the working directory. */
export const DEFAULT_ENV_FILE = '.env';

/**
 * Read instead of {@link DEFAULT_ENV_FILE} when that does not exist: Next.js
 * projects keep their settings there, and a run that read nothing would check
 * stand-ins instead of the shop.
 */
export const FALLBACK_ENV_FILE = '.env.local';

/** The flag that names another env file. */
export const ENV_FILE_FLAG = '--dotenv';

/**
 * Largest env file read. A dotenv file is a few hundred bytes; the cap makes
 * `--dotenv /dev/zero` or a mistaken multi-gigabyte file fail at once instead
 * of filling memory.
 */
export const ENV_FILE_MAX_BYTES = 1024 * 1024;

/** What {@link mergeEnvFile} returns. */
export interface MergedEnv {
  /** The real environment with the file's values added where it had none. */
  env: Record<string, string | undefined>;
  /** Absolute path of the file read, or null when there was none. */
  loaded: string | null;
  /**
   * Every value the file sets, the ones the environment overrides included: a command that masks secrets
   * masks these too (a test endpoint may echo the file's value). Not enumerable, never printed.
   */
  file_values?: Record<string, string | undefined>;
  /** True when {@link FALLBACK_ENV_FILE} was read because there is no `.env`. */
  fallback?: true;
  /** Lines of the file the parser could not read as `NAME=value` (see {@link envFileWarnings}); names and line numbers only. */
  warnings?: string[];
  /**
   * Set when `.env` was read by default and {@link FALLBACK_ENV_FILE} also
   * exists: the names it sets that neither the environment nor `.env` has
   * (names only, never values). Absent when there are none.
   */
  unread?: { file: string; names: string[] };
}

function codeOf(error: unknown): string | undefined {
  return (error as NodeJS.ErrnoException | undefined)?.code;
}

/** The text of `path`, or null when a default `.env` is absent. Throws a usage error otherwise. */
function readEnvText(path: string, label: string, optional: boolean): string | null {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (error) {
    const code = codeOf(error);
    if (optional && (code === 'ENOENT' || code === 'ENOTDIR')) return null;
    if (code === 'ENOENT') throw usageError(`Cannot read ${label}: no such file`);
    if (code === 'EISDIR') throw usageError(`Cannot read ${label}: it is a directory`);
    throw usageError(`Cannot read ${label}: ${code ?? 'unreadable'}`);
  }
  try {
    const stat = fstatSync(fd);
    if (stat.isDirectory()) throw usageError(`Cannot read ${label}: it is a directory`);
    const tooLarge = () => usageError(`Cannot read ${label}: larger than ${ENV_FILE_MAX_BYTES / 1024 / 1024} MiB, not a dotenv file`);
    if (stat.isFile() && stat.size > ENV_FILE_MAX_BYTES) throw tooLarge();
    // Devices and pipes report no size: read at most one byte past the cap.
    const buffer = Buffer.alloc(stat.isFile() ? stat.size + 1 : ENV_FILE_MAX_BYTES + 1);
    let length = 0;
    while (length < buffer.length) {
      let n: number;
      try {
        n = readSync(fd, buffer, length, buffer.length - length, null);
      } catch (error) {
        if (codeOf(error) === 'EISDIR') throw usageError(`Cannot read ${label}: it is a directory`);
        throw usageError(`Cannot read ${label}: ${codeOf(error) ?? 'unreadable'}`);
      }
      if (n === 0) break;
      length += n;
    }
    if (length > ENV_FILE_MAX_BYTES) throw tooLarge();
    const text = buffer.toString('utf8', 0, length);
    // Editors on Windows save "UTF-8 with BOM"; parseEnv would read the BOM
    // into the first key and the first variable would silently go missing.
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } finally {
    closeSync(fd);
  }
}

/**
 * Returns `env` with the file's variables added where `env` has no value.
 * Without `file`, reads `.env`, else {@link FALLBACK_ENV_FILE} when there is
 * no `.env` (`fallback` says so); when both exist only `.env` is read and
 * `unread` names what the other one would have added. A missing default file
 * is fine; a file named with `--dotenv` that is missing, a directory or
 * larger than {@link ENV_FILE_MAX_BYTES} is a usage error, and so is a
 * default file that is a directory or too large.
 */
export function mergeEnvFile(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  file: string | undefined,
): MergedEnv {
  if (file !== undefined) return mergeText(env, readEnvText(resolve(cwd, file), `${ENV_FILE_FLAG} ${file}`, false), resolve(cwd, file));
  const path = resolve(cwd, DEFAULT_ENV_FILE);
  const localPath = resolve(cwd, FALLBACK_ENV_FILE);
  const text = readEnvText(path, DEFAULT_ENV_FILE, true);
  if (text === null) {
    const local = readEnvText(localPath, FALLBACK_ENV_FILE, true);
    // Object.assign, not a spread: the result's file_values is not enumerable.
    return local === null ? { env: { ...env }, loaded: null } : Object.assign(mergeText(env, local, localPath), { fallback: true as const });
  }
  const merged = mergeText(env, text, path);
  // Both exist: .env alone is read, as before; name what only .env.local sets, so a missing setting is not a mystery.
  let local: string | null = null;
  try {
    local = readEnvText(localPath, FALLBACK_ENV_FILE, true);
  } catch {
    // An unreadable .env.local is not this run's business: it is not read.
  }
  if (local === null) return merged;
  const names = Object.entries(parseEnv(local))
    .filter(([key, value]) => value !== undefined && value !== '' && (merged.env[key] === undefined || merged.env[key] === ''))
    .map(([key]) => key);
  return names.length === 0 ? merged : Object.assign(merged, { unread: { file: localPath, names } });
}

/** `env` with the variables of `text` (read from `path`; null: no file) added where it has none. */
function mergeText(env: Readonly<Record<string, string | undefined>>, text: string | null, path: string): MergedEnv {
  if (text === null) return { env: { ...env }, loaded: null };
  const fromFile = parseEnv(text);
  const merged: Record<string, string | undefined> = { ...env };
  // The two token variables are one setting: a token in the real environment
  // (either name) must not be overridden by the file's token under the other,
  // higher-priority name.
  const realToken = TOKEN_VARS.some((name) => env[name] !== undefined && env[name] !== '');
  for (const [key, value] of Object.entries(fromFile)) {
    if (realToken && TOKEN_VARS.includes(key)) continue;
    if (merged[key] === undefined && value !== undefined) merged[key] = value;
  }
  const warnings = malformedLines(text, fromFile, path);
  // Not enumerable: kept out of any print or JSON of the result.
  return Object.defineProperty({ env: merged, loaded: path, ...(warnings.length > 0 ? { warnings } : {}) } as MergedEnv, 'file_values', {
    value: fromFile,
  });
}

const VARIABLE_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/**
 * One warning per name `parseEnv` read with whitespace in it. Node's parser takes everything up to the next
 * `=` as the name, so a line without one (`stray`) swallows the next line's name: `stray\nSIGLUME_ENV=sandbox`
 * sets the variable "stray⏎SIGLUME_ENV", and SIGLUME_ENV silently stays unset. Names the file, the line and the
 * lost variable, never the line's text (a stray line may be a pasted secret).
 */
function malformedLines(text: string, parsed: Record<string, string | undefined>, path: string): string[] {
  const lines = text.split(/\r?\n/);
  const warnings: string[] = [];
  let from = 0;
  for (const key of Object.keys(parsed)) {
    if (!/\s/.test(key)) continue;
    const parts = key.split(/\r?\n/);
    const first = parts[0]!.trim();
    let index = -1;
    for (let i = from; i < lines.length; i++) {
      if (lines[i]!.trim().replace(/^export\s+/, '').startsWith(first)) {
        index = i;
        break;
      }
    }
    if (index >= 0) from = index + parts.length;
    const where = index >= 0 ? `${path} line ${index + 1}` : path;
    const lost = parts.length > 1 ? parts[parts.length - 1]!.trim() : '';
    warnings.push(
      parts.length > 1
        ? `${where} has no "=", so it was read together with the ${parts.length === 2 ? 'next line' : `next ${parts.length - 1} lines`} as one name` +
            `${VARIABLE_NAME.test(lost) ? `: ${lost} is not set from this file` : ''}. Remove the line or write it as NAME=value.`
        : `${where} sets a name with whitespace in it, which nothing reads. Write it as NAME=value.`,
    );
  }
  return warnings;
}

/** The warnings of {@link MergedEnv.warnings}: lines of the env file that were not read as `NAME=value`. */
export function envFileWarnings(merged: MergedEnv): string[] {
  return merged.warnings ?? [];
}

/**
 * One line saying which env file was read when that is not the obvious one
 * (`.env.local` for want of a `.env`), or what a `.env.local` beside the `.env`
 * sets that was not read; null otherwise. Names only, never values.
 */
export function envFileNote(merged: MergedEnv): string | null {
  if (merged.fallback) return `Read ${FALLBACK_ENV_FILE}: there is no ${DEFAULT_ENV_FILE} here (${ENV_FILE_FLAG} <path> names another file).`;
  if (merged.unread) {
    const { names } = merged.unread;
    const shown = names.length > 3 ? `${names.slice(0, 3).join(', ')} and ${names.length - 3} more` : names.join(', ');
    return `Read ${DEFAULT_ENV_FILE} only; ${FALLBACK_ENV_FILE} also sets ${shown}, which ${DEFAULT_ENV_FILE} does not (${ENV_FILE_FLAG} ${FALLBACK_ENV_FILE} reads that file instead).`;
  }
  return null;
}

/**
 * Where a setting's value comes from after {@link mergeEnvFile}: the real
 * environment, the env file, or nowhere.
 */
export function envSource(
  name: string,
  real: Readonly<Record<string, string | undefined>>,
  merged: MergedEnv,
): 'environment' | 'env_file' | null {
  if (real[name] !== undefined && real[name] !== '') return 'environment';
  if (merged.loaded !== null && merged.env[name] !== undefined && merged.env[name] !== '') return 'env_file';
  return null;
}

/**
 * A usage error for `--env-file` anywhere before `--`, the same positions
 * Node 20 scans for its own flag (see the top of this file); null otherwise.
 */
export function nodeOwnedFlagError(argv: readonly string[]): Error | null {
  for (const arg of argv) {
    if (arg === '--') return null;
    if (arg === '--env-file' || arg.startsWith('--env-file=')) {
      return usageError(
        `--env-file is read by Node itself before this CLI starts; name the dotenv file with ${ENV_FILE_FLAG} <path> instead`,
      );
    }
  }
  return null;
}
