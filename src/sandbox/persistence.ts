/**
 * The `--state-file`: JSON written atomically (temp file in the same directory, fsync, rename), so a
 * crash mid-write leaves the previous file intact. A file that exists but cannot be used is an error
 * naming the file, never a silent reset: it may hold the only copy of a merchant's secrets.
 */
import { randomBytes } from 'node:crypto';
import { link, mkdir, open, readFile, realpath, rename, rm, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import * as z from 'zod/mini';
import { nonEmptyStringSchema, parseInput } from '../core/validation.js';
import { SandboxStateFileError } from './errors.js';
import { newMerchant } from './records.js';
import { SANDBOX_SCENARIOS } from './scenarios.js';
import { RECORD_KINDS, SANDBOX_STATE_VERSION, SEED_KEYS, type SandboxState } from './store.js';

const RESTORE = 'Restore it from a backup, or delete it to start from a freshly seeded sandbox.';
const errnoCode = (error: unknown) => (error as NodeJS.ErrnoException).code;

const seedKeys = Object.fromEntries(SEED_KEYS.map((key) => [key, nonEmptyStringSchema]));
/** What a usable state file holds; each record map may be missing (a file from an older sandbox) and gets `{}`. */
const records = z._default(
  z.record(z.string(), z.looseObject({}, { error: 'must be an object' }), { error: 'must be an object' }),
  {},
);
const stateFileSchema = z.looseObject(
  {
    version: z.literal(SANDBOX_STATE_VERSION, { error: `must be ${SANDBOX_STATE_VERSION}` }),
    seed: z.looseObject(seedKeys, { error: 'must be an object' }),
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
    // Older sandboxes said `scheduled_close` of open batches too.
    b.settlement_trigger = b.status === 'open' ? null : (b.settlement_trigger ?? 'scheduled_close');
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

/** The state files this process's sandboxes hold. */
const LOCKED_HERE = new Set<string>();

const inUse = (file: string, pid: number) =>
  new SandboxStateFileError(
    file,
    `The sandbox state file ${file} is in use by another sandbox (process ${pid}, lock file ${file}.lock). ` +
      'Close that sandbox, or use another state file (--state-file); if that process is no sandbox, delete the lock file.',
  );

/**
 * Takes `<file>.lock`, so a second sandbox on the same file is refused rather than the two silently overwriting
 * each other's changes. The lock appears whole (written aside, then hard-linked into place: a reader never sees it
 * empty) and holds this pid plus a random tag. A lock whose process is gone (a crash) is renamed aside, which only
 * one taker can do, and is put back if it turns out to be a live one placed meanwhile. Resolves with the function
 * that removes the lock if it is still this sandbox's.
 * @throws {SandboxStateFileError} when a running process holds it (this one too: another sandbox in it).
 */
export async function lockStateFile(file: string): Promise<() => Promise<void>> {
  const lock = `${file}.lock`;
  await mkdir(dirname(file), { recursive: true }).catch(() => undefined); // a problem shows when the lock is written
  // This process's sandboxes are told apart by the file's real path (a directory reached through a symlink is the
  // same file); the check and the mark follow the last await together, so two starting at once cannot both pass.
  const key = join(await realpath(dirname(file)).catch(() => resolve(dirname(file))), basename(file));
  if (LOCKED_HERE.has(key)) throw inUse(file, process.pid);
  LOCKED_HERE.add(key);
  try {
    const unlock = await takeLock(file, lock);
    return () => unlock().finally(() => LOCKED_HERE.delete(key));
  } catch (error) {
    LOCKED_HERE.delete(key);
    throw error;
  }
}

/** Takes the lock file for {@link lockStateFile}, against other processes. */
async function takeLock(file: string, lock: string): Promise<() => Promise<void>> {
  const mine = `${process.pid} ${randomBytes(8).toString('hex')}\n`;
  // Short names beside the lock: a state file's name may leave little room under the 255-byte limit.
  const aside = (kind: string) => join(dirname(file), `.sdrp-${randomBytes(6).toString('hex')}.${kind}`);
  const cannot = (error: unknown) => {
    const why = errnoCode(error) ?? 'write error';
    return new SandboxStateFileError(file, `Cannot create the lock file ${lock} of the sandbox state file (${why}).`, {
      cause: error,
    });
  };
  const temp = aside('tmp');
  /** Puts `mine` in place as the lock: true when taken, false when a lock is there. */
  const place = async (): Promise<boolean> => {
    try {
      await link(temp, lock).catch((error: unknown) =>
        // A file system without hard links gets an exclusive create instead (the lock is empty for an instant).
        errnoCode(error) === 'EEXIST' ? Promise.reject(error) : writeFile(lock, mine, { flag: 'wx' }),
      );
      return true;
    } catch (error) {
      if (errnoCode(error) === 'EEXIST') return false;
      throw cannot(error);
    }
  };
  const unlock = async () => {
    if ((await readFile(lock, 'utf8').catch(() => '')) === mine) await rm(lock, { force: true });
  };
  await writeFile(temp, mine, { mode: 0o600 }).catch((error: unknown) => Promise.reject(cannot(error)));
  try {
    for (let attempt = 0; attempt < 3; attempt++) {
      if (await place()) return unlock;
      const held = await readFile(lock, 'utf8').catch(() => '');
      const pid = Number(held.split(' ')[0]);
      // This pid, for a file none of this process's sandboxes holds: left by an earlier life of the pid (pid 1 in a container).
      if (pid !== process.pid && isRunning(pid)) throw inUse(file, pid);
      const stale = aside('stale');
      const moved = await rename(lock, stale).then(
        () => true,
        () => false, // another taker moved it first
      );
      if (moved && (await readFile(stale, 'utf8').catch(() => held)) !== held) {
        await link(stale, lock).catch(() => undefined); // a live lock placed meanwhile: put it back
      }
      if (moved) await rm(stale, { force: true });
    }
    throw cannot(Object.assign(new Error('the lock kept changing'), { code: 'EEXIST' }));
  } finally {
    await rm(temp, { force: true });
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
