/**
 * `Idempotency-Key` for POSTs: the same key on the same route (and token)
 * replays the stored answer instead of creating a second object; a retry that
 * arrives while the first attempt is still running waits for it. 5xx answers
 * are not stored, so a retry after an injected 503 really runs. The answer is
 * stored when the handler finishes, before any after-commit fault decides
 * whether the client gets to see it.
 */
import { SandboxHttpError } from './errors.js';

/** A finished API answer. */
export interface StoredResponse {
  status: number;
  /** The full envelope that was (or is to be) sent. */
  body: unknown;
  headers: Record<string, string>;
}

interface Entry {
  requestBody: string;
  pending: Promise<StoredResponse>;
}

/** Bounded store of answers by idempotency key (the newest 20,000). */
export class IdempotencyStore {
  readonly #entries = new Map<string, Entry>();

  /**
   * Runs `exec` once per key; later calls with the key replay its answer.
   * @throws {SandboxHttpError} 409 `IDEMPOTENCY_KEY_REUSED_WITH_DIFFERENT_PAYLOAD` when the key comes back with another body.
   */
  async run(
    key: string,
    requestBody: string,
    exec: () => Promise<StoredResponse>,
  ): Promise<{ response: StoredResponse; replayed: boolean }> {
    const existing = this.#entries.get(key);
    if (existing) {
      if (existing.requestBody !== requestBody) {
        throw new SandboxHttpError(
          409,
          'IDEMPOTENCY_KEY_REUSED_WITH_DIFFERENT_PAYLOAD',
          'This Idempotency-Key was already used with a different request body. Use a new key for a new request.',
          { field: 'Idempotency-Key' },
        );
      }
      return { response: await existing.pending, replayed: true };
    }
    const pending = exec().then(
      (response) => {
        if (response.status >= 500) this.#entries.delete(key);
        return response;
      },
      (error: unknown) => {
        this.#entries.delete(key);
        throw error;
      },
    );
    if (this.#entries.size >= 20_000) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { requestBody, pending });
    return { response: await pending, replayed: false };
  }
}
