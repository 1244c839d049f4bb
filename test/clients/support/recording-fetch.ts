/**
 * A fetch double for client tests: answers from a queue (or a function) and
 * records every call as the server would see it.
 */
import type { FetchLike, FetchLikeInit } from '../../../src/core/transport-types.js';

export interface RecordedCall {
  url: string;
  method: string;
  headers: Record<string, string>;
  /** Parsed JSON body, or undefined when none was sent. */
  body: unknown;
  rawBody: string | undefined;
}

export interface Reply {
  status?: number;
  statusText?: string;
  /** An object is sent as JSON; a string is sent verbatim. */
  body?: unknown;
  headers?: Record<string, string>;
}

/** The success envelope the API wraps data in. */
export function envelope(data: unknown, meta: Record<string, unknown> = { request_id: 'req_1', trace_id: 'tr_1' }) {
  return { data, meta };
}

export function recordingFetch(replies: Reply[] | ((call: RecordedCall, index: number) => Reply)) {
  const calls: RecordedCall[] = [];
  const fetch: FetchLike = async (url: string, init: FetchLikeInit) => {
    const call: RecordedCall = {
      url,
      method: init.method,
      headers: { ...init.headers },
      body: init.body === undefined ? undefined : JSON.parse(init.body),
      rawBody: init.body,
    };
    calls.push(call);
    const index = calls.length - 1;
    const reply = typeof replies === 'function' ? replies(call, index) : replies[index];
    if (!reply) throw new Error(`recordingFetch: no reply queued for call ${index + 1} (${init.method} ${url})`);
    const status = reply.status ?? 200;
    const text =
      reply.body === undefined ? '' : typeof reply.body === 'string' ? reply.body : JSON.stringify(reply.body);
    const headers = new Headers(reply.headers ?? {});
    return {
      status,
      statusText: reply.statusText ?? '',
      headers: { get: (name: string) => headers.get(name) },
      text: async () => text,
    };
  };
  return { fetch, calls };
}
