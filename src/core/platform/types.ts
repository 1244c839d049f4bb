/**
 * What the sender needs from undici, written out so that nothing outside
 * `./node.ts` imports undici's types or code.
 */

/** The response of undici's `request` that the sender reads. */
export interface UndiciResponse {
  statusCode: number;
  headers: Record<string, string | string[] | undefined>;
  body: AsyncIterable<Uint8Array> & {
    text(): Promise<string>;
    /** Reads and discards up to a small limit, keeping the connection reusable. */
    dump(options?: { limit?: number }): Promise<void>;
    destroy(error?: Error): unknown;
    on(event: 'error', listener: (error: Error) => void): unknown;
  };
}

/** The part of the undici module the sender calls. */
export interface UndiciLike {
  request(
    url: string,
    options: {
      method: string;
      headers: Record<string, string>;
      body?: string;
      /** undici takes an AbortSignal or an EventEmitter-style object with `on` / `once` / `removeListener`. */
      signal?: { aborted: boolean; reason: unknown; on(event: 'abort', listener: () => void): unknown };
    },
  ): Promise<UndiciResponse>;
}
