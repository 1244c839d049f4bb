/**
 * The `--state-file`: JSON written atomically (temp file in the same directory, fsync, rename), so a
 * crash mid-write leaves the previous file intact. A file that exists but cannot be used is an error
 * naming the file, never a silent reset: it may hold the only copy of a merchant's secrets.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, open, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import * as z from 'zod/mini';
import { parseInput } from '../core/validation.js';
import { SandboxStateFileError } from './errors.js';
import { newMerchant } from './records.js';
import { SANDBOX_SCENARIOS } from './scenarios.js';
import { RECORD_KINDS, SANDBOX_STATE_VERSION, SEED_KEYS, type SandboxState } from './store.js';

const RESTORE = 'Restore it from a backup, or delete it to start from a freshly seeded sandbox.';
const errnoCode = (error: unknown) => (error as NodeJS.ErrnoException).code;

const nonEmpty = z.string({ error: 'must be a string' }).check(z.minLength(1, { error: 'must not be empty' }));
/** What a usable state file holds; each record map may be missing (a file from an older sandbox) and gets `{}`. */
const records = z._default(
  z.record(z.string(), z.looseObject({}, { error: 'must be an object' }), { error: 'must be an object' }),
  {},
);
const stateFileSchema = z.looseObject(
  {
    version: z.literal(SANDBOX_STATE_VERSION, { error: `must be ${SANDBOX_STATE_VERSION}` }),
    seed: z.looseObject(Object.fromEntries(SEED_KEYS.map((key) => [key, nonEmpty])), { error: 'must be an object' }),
    scenario: z.enum(SANDBOX_SCENARIOS, { error: 'must be a known scenario name' }),
    hosted_checkout_routes: z.boolean({ error: 'must be a boolean' }),
    ...Object.fromEntries(RECORD_KINDS.map((kind) => [kind, records])),
  },
  { error: 'must be a JSON object' },
);

/**
 * Reads the state file. Returns null when it does not exist yet. A file written by an older sandbox gets
 * the record kinds and merchant fields added since, at their defaults.
 * @throws {SandboxStateFileError} when it exists but cannot be read or is not a sandbox state.
 */
export async function loadStateFile(file: string): Promise<SandboxState | null> {
  const fail = (message: string, cause?: unknown) => new SandboxStateFileError(file, message, { cause });
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    if (errnoCode(error) === 'ENOENT') return null;
    const reason = errnoCode(error) ?? 'read error';
    throw fail(`Cannot read the sandbox state file ${file} (${reason}). Check the path and its permissions.`, error);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    // The parser's message quotes the file's text, which holds secrets: say only where it is.
    throw fail(`The sandbox state file ${file} is not valid JSON (corrupt or truncated). ${RESTORE}`);
  }
  let state: SandboxState;
  try {
    state = parseInput(stateFileSchema, parsed, 'state') as unknown as SandboxState;
  } catch (error) {
    const problem = (error as Error).message;
    throw fail(`The sandbox state file ${file} is not a usable sandbox state: ${problem}. ${RESTORE}`);
  }
  for (const [key, m] of Object.entries(state.merchants))
    state.merchants[key] = { ...newMerchant(key, m.created_at), ...m };
  for (const b of Object.values(state.settlement_batches)) {
    b.settlement_trigger ??= 'scheduled_close';
    b.threshold_reached_at ??= null;
  }
  return state;
}

/** Whether a process runs under this pid (EPERM: it does, as another user). */
function isRunning(pid: number): boolean {
  if (!Number.isSafeInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return errnoCode(error) === 'EPERM';
  }
}

/**
 * Takes `<file>.lock` (holding this pid), so a second sandbox on the same file is refused rather than the two
 * silently overwriting each other's changes. A lock whose process is gone (a crash) is taken over. Resolves
 * with the function that removes it.
 * @throws {SandboxStateFileError} when a running process holds it (this one too: another sandbox in it).
 */
export async function lockStateFile(file: string): Promise<() => Promise<void>> {
  const lock = `${file}.lock`;
  await mkdir(dirname(file), { recursive: true }).catch(() => undefined); // a problem shows in the write below
  for (let attempt = 0; ; attempt++) {
    try {
      await writeFile(lock, `${process.pid}\n`, { flag: 'wx', mode: 0o600 });
      return () => rm(lock, { force: true });
    } catch (error) {
      const code = errnoCode(error) ?? 'write error';
      if (code !== 'EEXIST' || attempt === 2) {
        const message = `Cannot create the lock file ${lock} of the sandbox state file (${code}).`;
        throw new SandboxStateFileError(file, message, { cause: error });
      }
    }
    const pid = Number((await readFile(lock, 'utf8').catch(() => '')).trim());
    if (isRunning(pid)) {
      const message =
        `The sandbox state file ${file} is in use by another sandbox (process ${pid}, lock file ${lock}). ` +
        'Close that sandbox, or use another state file (--state-file); if that process is no sandbox, delete the lock file.';
      throw new SandboxStateFileError(file, message);
    }
    await rm(lock, { force: true }); // left by a process that is gone
  }
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
 * what is pending now; the error of the last write (null once one succeeds) is in `error`, and each is handed to `onError`.
 */
export class StateFileWriter {
  error: SandboxStateFileError | null = null;
  #timer: NodeJS.Timeout | null = null;
  #dirty = false;
  #writing: Promise<void> | null = null;
  #closed = false;

  constructor(
    readonly file: string,
    private readonly snapshot: () => SandboxState,
    private readonly onError: (error: SandboxStateFileError) => void,
    private readonly unlock: () => Promise<void>,
  ) {}

  /** Marks the state changed; a write follows shortly. */
  schedule(): void {
    if (this.#closed) return;
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
        // A later write that succeeds clears the error: close() must not reject with a problem that is gone.
        await writeStateFile(this.file, this.snapshot()).then(
          () => (this.error = null),
          (error: SandboxStateFileError) => this.onError((this.error = error)),
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

  /**
   * Writes what is pending, then takes no more changes (one after close is not persisted, nor a deleted directory
   * re-created) and removes the lock.
   */
  async close(): Promise<void> {
    await this.flush();
    this.#closed = true;
    this.#dirty = false;
    if (this.#timer) clearTimeout(this.#timer);
    await this.unlock();
  }
}
