/**
 * What schedulers send to the reconcile route: a POST with the token and a
 * query, and no body, but often a Content-Type (`curl -d ''` says
 * form-urlencoded; others say application/octet-stream or application/json).
 * The route reads no body, so every template must answer each of them as it
 * answers a POST without one: the service's answer, never "Send the body as
 * JSON". The same requests and assertions for Express, Fastify and Hono.
 */
import { expect } from 'vitest';
import type { OrderCheckoutService } from '../../../src/orders/index.js';

export const SCHEDULER_PATH = '/payments/siglume/reconcile?dry_run=true';

/** Bodyless scheduler POSTs, by what they say their body is. */
export const SCHEDULER_POSTS: ReadonlyArray<[string, Record<string, string>]> = [
  ['no Content-Type', {}],
  ["curl -d '' (form-urlencoded)", { 'content-type': 'application/x-www-form-urlencoded' }],
  ['an empty application/octet-stream body', { 'content-type': 'application/octet-stream' }],
  ['an empty application/json body', { 'content-type': 'application/json' }],
];

const REPORT = { dry_run: true, checked: 0 };

/**
 * A service whose reconcile answers 200 with a fixed report, recording the token and query it was given
 * (through `handleReconcile` for Express and Fastify, its Fetch form for Hono).
 */
export function schedulerService(): { service: OrderCheckoutService<null>; seen: unknown[][] } {
  const seen: unknown[][] = [];
  const handleReconcile = async (authorization: string | null | undefined, query = '') => {
    seen.push([authorization, query]);
    return { kind: 'report', status: 200, body: REPORT };
  };
  const service = {
    handleReconcile,
    handleReconcileRequest: async (request: Request) => {
      const { body, status } = await handleReconcile(request.headers.get('authorization'), new URL(request.url).search.slice(1));
      return Response.json(body, { status });
    },
  } as unknown as OrderCheckoutService<null>;
  return { service, seen };
}

/** Sends every {@link SCHEDULER_POSTS} through `send` and asserts each reached the service and got its 200. */
export async function expectSchedulerPostsAnswered(send: (headers: Record<string, string>) => Promise<Response>, seen: unknown[][]): Promise<void> {
  for (const [what, headers] of SCHEDULER_POSTS) {
    const res = await send({ authorization: 'Bearer sched_token', ...headers });
    expect([what, res.status, await res.json()]).toEqual([what, 200, REPORT]);
  }
  expect(seen).toEqual(SCHEDULER_POSTS.map(() => ['Bearer sched_token', 'dry_run=true']));
}
