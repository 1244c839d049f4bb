/**
 * The Fetch handlers' body reader: a body is read up to its cap and no further, whether or not the request
 * declares its length, and a body that cannot be read is told apart from one that is too large (413 vs 400).
 */
import { describe, expect, it } from 'vitest';
import { readRequestBody } from '../../src/orders/fetch.js';

/** A streamed POST without Content-Length, in `chunks` of `size` bytes; `pulled` counts the chunks handed out. */
function streamed(chunks: number, size: number, fail = false) {
  const state = { pulled: 0, cancelled: false };
  const body = new ReadableStream<Uint8Array>({
    pull(controller) {
      if (fail && state.pulled === 1) return controller.error(new Error('connection reset'));
      if (state.pulled === chunks) return controller.close();
      state.pulled += 1;
      controller.enqueue(new Uint8Array(size).fill(0x61));
    },
    cancel() {
      state.cancelled = true;
    },
  });
  const request = new Request('http://127.0.0.1/checkout', { method: 'POST', body, duplex: 'half' } as RequestInit);
  return { request, state };
}

describe('readRequestBody', () => {
  it('returns the bytes of a streamed body within the cap', async () => {
    const { request } = streamed(3, 100);
    const read = await readRequestBody(request, 300);
    expect(read.kind).toBe('ok');
    expect(read.kind === 'ok' && read.bytes.byteLength).toBe(300);
  });

  it('stops reading a streamed body one chunk past the cap and cancels the stream', async () => {
    const { request, state } = streamed(1000, 1024);
    expect(await readRequestBody(request, 4096)).toEqual({ kind: 'too_large' });
    expect(state.pulled).toBeLessThan(10);
    expect(state.cancelled).toBe(true);
  });

  it('refuses a declared length over the cap without reading the body', async () => {
    const { request, state } = streamed(10, 10);
    const declared = new Request(request, { headers: { 'content-length': '5000' } });
    expect(await readRequestBody(declared, 4096)).toEqual({ kind: 'too_large' });
    expect(state.pulled).toBeLessThanOrEqual(1);
  });

  it('tells a body that failed mid-stream, or was already read, from one that is too large', async () => {
    expect(await readRequestBody(streamed(5, 10, true).request, 4096)).toEqual({ kind: 'unreadable' });
    const used = new Request('http://127.0.0.1/checkout', { method: 'POST', body: '{}' });
    await used.text();
    expect(await readRequestBody(used, 4096)).toEqual({ kind: 'used' });
  });

  it('reads an absent body as empty', async () => {
    const read = await readRequestBody(new Request('http://127.0.0.1/checkout', { method: 'POST' }), 10);
    expect(read.kind === 'ok' && read.bytes.byteLength).toBe(0);
  });
});
