/**
 * `Idempotency-Key` for POSTs: the same key on the same route (and token) replays the stored answer
 * instead of creating a second object; a retry that arrives while the first attempt is still running waits
 * for it. The answer is stored when the handler finishes, before any after-commit fault decides whether
 * the client gets to see it.
 */
import { getCryptoBackend } from '../core/crypto.js';
import { SandboxHttpError } from './errors.js';

/** A finished API answer: the full envelope that was (or is to be) sent. */
export interface StoredResponse {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/** Bounded store of answers by idempotency key (the newest 20,000); a body is kept as its SHA-256, not whole. */
export class IdempotencyStore {
  readonly #entries = new Map<string, { bodyHash: string; pending: Promise<StoredResponse> }>();

  /**
   * Runs `exec` once per key; later calls with the key replay its answer.
   * @throws {SandboxHttpError} 409 `IDEMPOTENCY_KEY_REUSED_WITH_DIFFERENT_PAYLOAD` when the key comes back with another body.
   */
  async run(key: string, requestBody: string, exec: () => Promise<StoredResponse>) {
    // Up to 64 KiB a body for 20,000 keys was over 1 GB held; the hash is 64 characters.
    const bodyHash = await getCryptoBackend().sha256Hex(requestBody);
    const existing = this.#entries.get(key);
    if (existing && existing.bodyHash !== bodyHash) {
      const message =
        'This Idempotency-Key was already used with a different request body. Use a new key for a new request.';
      throw new SandboxHttpError(409, 'IDEMPOTENCY_KEY_REUSED_WITH_DIFFERENT_PAYLOAD', message, {
        field: 'Idempotency-Key',
      });
    }
    if (existing) return { response: await existing.pending, replayed: true };
    const pending = exec();
    // A 5xx (or a crash) is not stored, so a retry after an injected 503 really runs.
    const forget = () => this.#entries.get(key)?.pending === pending && this.#entries.delete(key);
    pending.then((response) => response.status >= 500 && forget(), forget);
    if (this.#entries.size >= 20_000) this.#entries.delete(this.#entries.keys().next().value!);
    this.#entries.set(key, { bodyHash, pending });
    return { response: await pending, replayed: false };
  }
}
