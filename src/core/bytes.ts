/**
 * Byte helpers shared by the HTTP sender and the webhook request verifier:
 * joining chunks, a declared `Content-Length`, and reading a body with a
 * hard cap.
 */

/** The chunks joined into one array (the chunk itself when there is only one). */
export function concatBytes(chunks: readonly Uint8Array[], total?: number): Uint8Array {
  if (chunks.length === 1) return chunks[0]!;
  let size = total ?? 0;
  if (total === undefined) for (const chunk of chunks) size += chunk.length;
  const out = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.length;
  }
  return out;
}

/** `Content-Length` as a number, or null when absent or not a plain decimal. */
export function declaredLength(value: string | null): number | null {
  if (value === null || value === '' || !/^\d+$/.test(value)) return null;
  return Number(value);
}

/** The part of a `ReadableStreamDefaultReader` that {@link readCappedBytes} uses. */
export interface ByteStreamReader {
  read(): Promise<{ done: boolean; value?: Uint8Array }>;
  cancel(reason?: unknown): Promise<void>;
}

/**
 * Reads a stream to its end, keeping at most `max` bytes: one byte more
 * cancels the stream and throws `onTooLarge()`, so an endless or huge body is
 * never buffered.
 */
export async function readCappedBytes(
  reader: ByteStreamReader,
  max: number,
  onTooLarge: () => Error,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (!value) continue;
    total += value.length;
    if (total > max) {
      reader.cancel().catch(() => {});
      throw onTooLarge();
    }
    chunks.push(value);
  }
  return concatBytes(chunks, total);
}
