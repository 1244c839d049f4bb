/**
 * `Idempotency-Key` for POSTs: the same key on the same route (and token)
 * replays the stored answer instead of creating a second object. A retry that
 * arrives while the first attempt is still running waits for it. 5xx answers
 * are not stored, so a retry after an injected 503 really runs.
 */
import { SandboxHttpError } from './errors.js';

/** A finished API answer. */
export interface StoredResponse {
  status: number;
  /** The full envelope that was sent. */
  body: unknown;
  headers?: Record<string, string>;
}

interface Entry {
  requestBody: string;
  response: StoredResponse | null;
  pending: Promise<StoredResponse> | null;
}

/** Answers the caller gets from {@link IdempotencyStore.run}. */
export interface IdempotentOutcome {
  response: StoredResponse;
  replayed: boolean;
}

/** Bounded store of answers by idempotency key. */
export class IdempotencyStore {
  readonly #entries = new Map<string, Entry>();
  readonly #limit: number;

  constructor(limit = 20_000) {
    this.#limit = limit;
  }

  /**
   * Runs `exec` once per key; later calls with the key replay its answer.
   * @throws {SandboxHttpError} 422 `IDEMPOTENCY_KEY_REUSED` when the key comes back with a different body.
   */
  async run(key: string, requestBody: string, exec: () => Promise<StoredResponse>): Promise<IdempotentOutcome> {
    const existing = this.#entries.get(key);
    if (existing) {
      if (existing.requestBody !== requestBody) {
        throw new SandboxHttpError(
          422,
          'IDEMPOTENCY_KEY_REUSED',
          'This Idempotency-Key was already used with a different request body. Use a new key for a new request.',
          { field: 'Idempotency-Key' },
        );
      }
      if (existing.response) return { response: existing.response, replayed: true };
      if (existing.pending) return { response: await existing.pending, replayed: true };
    }
    const entry: Entry = { requestBody, response: null, pending: null };
    entry.pending = exec().then(
      (response) => {
        entry.pending = null;
        if (response.status >= 500) this.#entries.delete(key);
        else entry.response = response;
        return response;
      },
      (error: unknown) => {
        this.#entries.delete(key);
        throw error;
      },
    );
    this.#remember(key, entry);
    return { response: await entry.pending, replayed: false };
  }

  #remember(key: string, entry: Entry): void {
    if (this.#entries.size >= this.#limit) {
      const oldest = this.#entries.keys().next().value;
      if (oldest !== undefined) this.#entries.delete(oldest);
    }
    this.#entries.set(key, entry);
  }
}
