/**
 * `--env-file`: read a dotenv file with Node's own parser (`util.parseEnv`,
 * the same one behind `node --env-file`) and merge it under the real
 * environment, which always wins. The process environment is not modified.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { parseEnv } from 'node:util';
import { usageError } from './errors.js';

const TOKEN_VARS: readonly string[] = ['SIGLUME_MERCHANT_AUTH_TOKEN', 'SIGLUME_AUTH_TOKEN'];

/** The default env file, relative to the working directory. */
export const DEFAULT_ENV_FILE = '.env';

/**
 * Returns `env` with the file's variables added where `env` has no value.
 * A missing default `.env` is fine; a missing file named with `--env-file` is
 * a usage error.
 */
export function mergeEnvFile(
  env: Readonly<Record<string, string | undefined>>,
  cwd: string,
  file: string | undefined,
): { env: Record<string, string | undefined>; loaded: string | null } {
  const path = resolve(cwd, file ?? DEFAULT_ENV_FILE);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (file === undefined && (code === 'ENOENT' || code === 'ENOTDIR')) return { env: { ...env }, loaded: null };
    throw usageError(`Cannot read --env-file ${file ?? DEFAULT_ENV_FILE}: ${code ?? 'unreadable'}`);
  }
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
  return { env: merged, loaded: path };
}
