/**
 * A small route table: `/merchants/:merchant/billing-mandate` patterns, one
 * handler per method, 404 for an unknown path and 405 (with `Allow`) for a
 * known path with the wrong method.
 */
import type { SandboxRuntime } from './runtime.js';

/** Which bearer token a route needs (`none`: the loopback-only control routes). */
export type RouteAuth = 'merchant' | 'buyer' | 'none';

/** What a handler gets. */
export interface RouteContext {
  rt: SandboxRuntime;
  /** Decoded path parameters. */
  params: Record<string, string>;
  query: URLSearchParams;
  /** The parsed JSON body (`{}` when there was none). */
  body: Record<string, unknown>;
  requestId: string;
}

/** What a handler returns: the `data` of the success envelope. */
export interface RouteResult {
  /** @default 200 */
  status?: number;
  data: unknown;
}

/** A route handler. Throw `SandboxHttpError` or `SiglumeValidationError` for 4xx answers. */
export type RouteHandler = (ctx: RouteContext) => RouteResult | Promise<RouteResult>;

/** One route. */
export interface Route {
  method: 'GET' | 'POST';
  pattern: string;
  auth: RouteAuth;
  handler: RouteHandler;
}

interface CompiledRoute extends Route {
  parts: string[];
}

/** Result of matching a request. */
export type RouteMatch =
  | { kind: 'found'; route: Route; params: Record<string, string> }
  | { kind: 'method_not_allowed'; allow: string[] }
  | { kind: 'not_found' };

function matchParts(parts: readonly string[], segments: readonly string[]): Record<string, string> | null {
  if (parts.length !== segments.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < parts.length; i++) {
    const p = parts[i]!;
    const s = segments[i]!;
    if (p.startsWith(':')) {
      if (s === '') return null;
      params[p.slice(1)] = s;
    } else if (p !== s) {
      return null;
    }
  }
  return params;
}

/** Holds the routes of one prefix (e.g. `/v1`). */
export class Router {
  readonly #routes: CompiledRoute[] = [];

  /** Registers routes. */
  add(...routes: Route[]): this {
    for (const r of routes) this.#routes.push({ ...r, parts: r.pattern.split('/').slice(1) });
    return this;
  }

  /**
   * Matches decoded path segments (the part after the prefix, split on `/`,
   * each segment already percent-decoded).
   */
  match(method: string, segments: readonly string[]): RouteMatch {
    const allow: string[] = [];
    for (const route of this.#routes) {
      const params = matchParts(route.parts, segments);
      if (!params) continue;
      if (route.method === method) return { kind: 'found', route, params };
      allow.push(route.method);
    }
    return allow.length ? { kind: 'method_not_allowed', allow } : { kind: 'not_found' };
  }
}
