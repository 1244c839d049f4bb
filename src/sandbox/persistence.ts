/**
 * The `--state-file`: JSON written atomically (temp file in the same directory, fsync, rename), so a
 * crash mid-write leaves the previous file intact. A file that exists but cannot be used is an error
 * naming the file, never a silent reset: it may hold the only copy of a merchant's secrets.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { SandboxStateFileError } from './errors.js';
import { newMerchant } from './records.js';
import { isSandboxScenario } from './scenarios.js';
import { RECORD_KINDS, SANDBOX_STATE_VERSION, type SandboxState } from './store.js';

const SEED_STRINGS = ['merchant', 'origin', 'webhook_url', 'webhook_secret', 'subscription_id', 'created_at'] as const;
const RESTORE = 'Restore it from a backup, or delete it to start from a freshly seeded sandbox.';

const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);
const errnoCode = (error: unknown) => (error as NodeJS.ErrnoException).code;

/** What is wrong with the parsed file, or null when it is usable. */
function problemWith(value: unknown): string | null {
  if (!isObject(value)) return 'the top level is not a JSON object';
  if (value.version !== SANDBOX_STATE_VERSION)
    return `"version" is ${JSON.stringify(value.version ?? null)}, expected ${SANDBOX_STATE_VERSION}`;
  const seed = value.seed;
  if (!isObject(seed)) return '"seed" is missing or not an object';
  const badSeed = SEED_STRINGS.find((key) => typeof seed[key] !== 'string' || seed[key] === '');
  if (badSeed) return `"seed.${badSeed}" is missing or not a string`;
  if (!isSandboxScenario(value.scenario)) return '"scenario" is not a known scenario name';
  if (typeof value.hosted_checkout_routes !== 'boolean') return '"hosted_checkout_routes" is not a boolean';
  for (const kind of RECORD_KINDS) {
    const records = (value[kind] ??= {});
    if (!isObject(records)) return `"${kind}" is not an object`;
    const bad = Object.keys(records).find((id) => !isObject(records[id]));
    if (bad !== undefined) return `"${kind}.${bad}" is not an object`;
  }
  return null;
}

/**
 * Reads the state file. Returns null when it does not exist yet. A file written by an older sandbox gets
 * the record kinds and merchant fields added since, at their defaults.
 * @throws {SandboxStateFileError} when it exists but cannot be read or is not a sandbox state.
 */
export async function loadStateFile(file: string): Promise<SandboxState | null> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    const reason = errnoCode(error) ?? 'read error';
    throw new SandboxStateFileError(
      file,
      `Cannot read the sandbox state file ${file} (${reason}). Check the path and its permissions.`,
      {
        cause: error,
      },
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The parser's message quotes the file's text, which holds secrets: say only where it is.
    throw new SandboxStateFileError(
      file,
      `The sandbox state file ${file} is not valid JSON (corrupt or truncated). ${RESTORE}`,
    );
  }
  const problem = problemWith(parsed);
  if (problem)
    throw new SandboxStateFileError(
      file,
      `The sandbox state file ${file} is not a usable sandbox state: ${problem}. ${RESTORE}`,
    );
  const state = parsed as SandboxState;
  for (const [key, m] of Object.entries(state.merchants))
    state.merchants[key] = { ...newMerchant(key, m.created_at), ...m };
  return state;
}

/** Writes the state atomically: temp file (mode 0600) next to the target, fsync, rename. */
async function writeStateFile(file: string, data: SandboxState): Promise<void> {
  const dir = dirname(file);
  const temp = join(dir, `.${basename(file)}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await mkdir(dir, { recursive: true });
    const handle = await open(temp, 'w', 0o600);
    try {
      await handle.writeFile(`${JSON.stringify(data, null, 2)}\n`, 'utf8');
      await handle.sync();
    } finally {
      await handle.close();
    }
    await rename(temp, file);
  } catch (error) {
    await rm(temp, { force: true }).catch(() => undefined);
    const reason = errnoCode(error) ?? 'write error';
    throw new SandboxStateFileError(file, `Cannot write the sandbox state file ${file} (${reason}).`, { cause: error });
  }
}

/**
 * Coalesces bursts of changes into one write at a time (20 ms after the first change). `flush()` writes
 * what is pending now; the last write error is kept in `error` and handed to `onError`.
 */
export class StateFileWriter {
  error: SandboxStateFileError | null = null;
  #timer: NodeJS.Timeout | null = null;
  #dirty = false;
  #writing: Promise<void> | null = null;

  constructor(
    readonly file: string,
    private readonly snapshot: () => SandboxState,
    private readonly onError: (error: SandboxStateFileError) => void,
  ) {}

  /** Marks the state changed; a write follows shortly. */
  schedule(): void {
    this.#dirty = true;
    if (this.#timer || this.#writing) return;
    this.#timer = setTimeout(() => void this.#drain(), 20).unref();
  }

  #drain(): Promise<void> {
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = null;
    this.#writing ??= (async () => {
      while (this.#dirty) {
        this.#dirty = false;
        await writeStateFile(this.file, this.snapshot()).catch((error: SandboxStateFileError) =>
          this.onError((this.error = error)),
        );
      }
    })().finally(() => {
      this.#writing = null;
      if (this.#dirty) this.schedule(); // changed while the last write was finishing
    });
    return this.#writing;
  }

  /** Writes any pending change now and waits for it. */
  async flush(): Promise<void> {
    await this.#writing;
    if (this.#dirty) await this.#drain();
  }
}
