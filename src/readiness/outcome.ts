/**
 * What one check returns. A check is a plain function from typed facts to a
 * {@link Checked} value: a passing outcome together with the fact it
 * established (handed to the next check or group), or a failure, which has
 * no fact. The recorder adds name, group and timing.
 */
import {
  SiglumeApiError,
  SiglumeAuthenticationError,
  SiglumeConnectionError,
  SiglumeInvalidResponseError,
  SiglumePermissionError,
  SiglumeRedirectError,
  SiglumeTimeoutError,
  SiglumeValidationError,
} from '../core/errors.js';
import { BAD_PORT, portOf } from '../core/bad-port.js';
import { connectionFailure, errorCode } from '../core/retry.js';
import { isLoopbackHost } from '../core/validation.js';
import { readinessInputSource } from './env.js';
import type {
  ReadinessCheckFail,
  ReadinessCheckPass,
  ReadinessCheckSkip,
  ReadinessCheckWarn,
} from './types.js';

type Outcome<T> = Omit<T, 'name' | 'group' | 'duration_ms'>;

/** A pass or a warning: the check did not block readiness. */
export type PassingOutcome = Outcome<ReadinessCheckPass> | Outcome<ReadinessCheckWarn>;
/** A failure; `fix` is required. */
export type FailingOutcome = Outcome<ReadinessCheckFail>;
/** A skipped check. */
export type SkippedOutcome = Outcome<ReadinessCheckSkip>;
/** Any outcome; the recorder turns it into a `ReadinessCheckResult`. */
export type CheckOutcome = PassingOutcome | FailingOutcome | SkippedOutcome;

/** What a check found: `ok` with the fact it established, or a failure. */
export type Checked<T> = { ok: true; outcome: PassingOutcome; fact: T } | { ok: false; outcome: FailingOutcome };

/** A passing outcome. */
export function pass(message: string, details?: Record<string, unknown>): Outcome<ReadinessCheckPass> {
  return details ? { status: 'pass', message, details } : { status: 'pass', message };
}

/** A warning outcome (does not block readiness). */
export function warn(message: string, fix?: string, details?: Record<string, unknown>): Outcome<ReadinessCheckWarn> {
  const out: Outcome<ReadinessCheckWarn> = { status: 'warn', message };
  if (fix !== undefined) out.fix = fix;
  if (details) out.details = details;
  return out;
}

/** A failing outcome; a fix is required. */
export function fail(message: string, fix: string, details?: Record<string, unknown>): FailingOutcome {
  return details ? { status: 'fail', message, fix, details } : { status: 'fail', message, fix };
}

/** A skipped outcome. */
export function skip(reason: string): SkippedOutcome {
  return { status: 'skip', message: `Skipped: ${reason}`, reason };
}

/** A check that passed (or warned) and established `fact`. */
export function found<T>(outcome: PassingOutcome, fact: T): Checked<T> {
  return { ok: true, outcome, fact };
}

/** A check that failed. */
export function failed(outcome: FailingOutcome): { ok: false; outcome: FailingOutcome } {
  return { ok: false, outcome };
}

/** Where API calls go and whether this is a sandbox run: what an API failure's fix depends on. */
export interface ApiTarget {
  base_url: string;
  sandbox: boolean;
  /** What fixes call the base URL's setting: the flag or variable that gave it (`--base-url`), when known. */
  setting?: string | undefined;
}

/** The setting a fix tells the merchant to check for the base URL: the one that gave it, else the usual ones. */
export function baseSetting(target: ApiTarget): string {
  return target.setting ?? (target.sandbox ? '--base-url / SIGLUME_API_BASE' : 'SIGLUME_API_BASE');
}

/**
 * What became of a call that got no answer, by the transport's error: `refused` (nothing listens at the
 * address: ECONNREFUSED), `not_connected` (no connection for another reason: the name did not resolve, no
 * route to the host, TLS failed), `timed_out` (no answer in time: in practice something took the connection
 * and kept silent) or `lost` (the connection dropped after the request was sent: the server may have acted).
 * `details.connection` of the failing check.
 */
export type ConnectionFailureKind = 'refused' | 'not_connected' | 'timed_out' | 'lost';

/** The {@link ConnectionFailureKind} of a connection error, from its class and the cause's system code. */
export function connectionKind(error: SiglumeConnectionError): ConnectionFailureKind {
  if (error instanceof SiglumeTimeoutError) return 'timed_out';
  if (errorCode(error.cause) === 'ECONNREFUSED') return 'refused';
  return connectionFailure(error.cause).kind === 'not_sent' ? 'not_connected' : 'lost';
}

function onThisMachine(base: string): boolean {
  try {
    return isLoopbackHost(new URL(base).hostname);
  } catch {
    return false;
  }
}

/**
 * What happened and what to do, by the kind of connection failure. Only a refused connection (nothing
 * listens) is told to start the sandbox: where something listens, starting one there cannot work.
 */
function connectionFailureText(target: ApiTarget, error: SiglumeConnectionError): { what: string; fix: string } {
  const base = target.base_url;
  const setting = baseSetting(target);
  switch (connectionKind(error)) {
    case 'refused':
      return {
        what: `could not connect to ${base} (connection refused: nothing listens there)`,
        fix: target.sandbox
          ? `Start the sandbox (npx siglume-sdrp sandbox) or point ${setting} at a running one (now ${base}).`
          : `Nothing listens at ${base}: check ${setting} (now ${base})${onThisMachine(base) ? ' or, for the local sandbox, start it (npx siglume-sdrp sandbox)' : ' and your network connection'}, then run readiness again.`,
      };
    case 'not_connected': {
      const code = errorCode(error.cause);
      if (code === BAD_PORT) {
        // fetch refuses the port before connecting: nothing was sent, and no server at that port can be reached.
        const port = portOf(base);
        return {
          what: `could not connect to ${base}: fetch refuses port ${port} (a port the Fetch standard blocks for other protocols), so nothing was sent`,
          fix: target.sandbox
            ? `Run the sandbox on another port (npx siglume-sdrp sandbox --port 8787) and point ${setting} at it (now ${base}).`
            : `Check ${setting} (now ${base}): no API can be reached at port ${port}; use the Siglume API's address (…/v1).`,
        };
      }
      return {
        what: `could not connect to ${base}${code ? ` (${code})` : ''}`,
        fix: `Check ${setting} (now ${base}) and your network connection, then run readiness again.`,
      };
    }
    case 'timed_out': {
      const within = error instanceof SiglumeTimeoutError ? ` within ${error.timeout_ms} ms` : '';
      const api = target.sandbox ? "the sandbox's address (siglume-sdrp sandbox prints it)" : 'the Siglume API (…/v1)';
      return {
        what: `timed out: ${base} did not answer${within}`,
        fix: `Something at ${base} took the request but did not answer${within}: check that ${setting} (now ${base}) is ${api}, not another server${target.sandbox ? '' : ', and that your network reaches it'}; then run readiness again.`,
      };
    }
    case 'lost':
      return {
        what: `the connection to ${base} was lost after the request was sent`,
        fix: `The server at ${base} may have acted on the request before the connection dropped: run readiness again. If it keeps happening, ${
          target.sandbox
            ? `check that ${setting} (now ${base}) is the sandbox and clear the faults set on it (drop_connections, drop_after_commit: POST /__sandbox/reset-faults)`
            : `check that ${setting} (now ${base}) is the Siglume API and that no proxy on the way cuts connections`
        }.`,
      };
  }
}

/**
 * Turns a failed API call into a failing outcome: one line saying what
 * happened (status, code, request id) and a fix that fits the kind of
 * failure. `action` reads like "Reading merchant sandbox_shop".
 */
export function apiFailure(
  target: ApiTarget,
  action: string,
  error: unknown,
  fixes: { notFound?: string; other?: string } = {},
): FailingOutcome {
  const base = target.base_url;
  if (error instanceof SiglumeConnectionError) {
    const { what, fix } = connectionFailureText(target, error);
    return fail(`${action} failed: ${what}`, fix, { error_code: error.code, connection: connectionKind(error) });
  }
  if (error instanceof SiglumeApiError) {
    const details: Record<string, unknown> = { status: error.status, code: error.code };
    if (error.request_id) details.request_id = error.request_id;
    const line = `${action} failed: ${error.status} ${error.code}: ${error.message}`;
    if (error instanceof SiglumeAuthenticationError) {
      const where = target.sandbox
        ? 'the value the sandbox printed for it when it started (its default unless it was started with --token)'
        : 'a valid merchant auth token for this environment';
      return fail(line, `The API rejected the merchant token: set SIGLUME_MERCHANT_AUTH_TOKEN to ${where}.`, details);
    }
    if (error instanceof SiglumePermissionError) {
      return fail(
        line,
        'The token may not manage this merchant: use the merchant auth token of the account that owns SIGLUME_DIRECT_PAYMENT_MERCHANT.',
        details,
      );
    }
    if (error instanceof SiglumeRedirectError) {
      // The client's message says why a redirect is never followed; the fix is the setting that sent it there.
      const to = error.location_origin ? ` (it redirects to ${error.location_origin})` : '';
      return fail(
        line,
        `Redirects are never followed: set ${baseSetting(target)} (now ${base}) to the final URL of the Siglume API${to}, ending in /v1.`,
        { ...details, ...(error.location_origin ? { location_origin: error.location_origin } : {}) },
      );
    }
    if (error instanceof SiglumeInvalidResponseError && error.code !== SHAPE_MISMATCH) return unreadableAnswer(target, action, error, details);
    if (error.status === 404 && fixes.notFound) return fail(line, fixes.notFound, details);
    return fail(
      line,
      fixes.other ?? `Retry in a moment; if it persists, contact Siglume support${error.request_id ? ` with request id ${error.request_id}` : ''}.`,
      details,
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return fail(
    `${action} failed: ${message}`,
    fixes.other ?? inputFix(error) ?? 'Run readiness again with --verbose; if it persists, report it with the output.',
  );
}

/** `code` of an answer that is JSON but lacks a field this SDK relies on (each check words it as its own). */
const SHAPE_MISMATCH = 'INVALID_RESPONSE_SHAPE';

/**
 * True for an answer that is JSON but lacks a field this SDK relies on. Not for a page that is not JSON (a
 * proxy's 502, a web server's 404): {@link apiFailure} words those with the client's own message.
 */
export function shapeMismatch(error: unknown): error is SiglumeInvalidResponseError {
  return error instanceof SiglumeInvalidResponseError && error.code === SHAPE_MISMATCH;
}

/**
 * An answer the client could not read (a page that is not JSON, a body over max_response_bytes): the client's
 * message, which names the HTTP status, and a fix by that status. A 5xx page is a proxy or load balancer
 * while Siglume is unavailable (the base URL is most likely right): retry. Any other status is a server that
 * is not the Siglume API: the base URL setting.
 */
function unreadableAnswer(target: ApiTarget, action: string, error: SiglumeInvalidResponseError, details: Record<string, unknown>): FailingOutcome {
  const base = target.base_url;
  const setting = baseSetting(target);
  const http = (error.data as { http_status?: unknown } | null)?.http_status;
  const upstream = typeof http === 'number' ? http : null;
  const line = `${action} failed: ${error.message}`;
  const withUpstream = upstream === null ? details : { ...details, http_status: upstream };
  if (upstream !== null && upstream >= 500 && upstream < 600) {
    const after = error.retry_after_ms !== null ? ` (it asked for ${Math.ceil(error.retry_after_ms / 1000)} s)` : '';
    return fail(
      line,
      `Siglume or a proxy in front of it answered HTTP ${upstream} with a page instead of the API's JSON: retry in a moment${after}. If it persists, check that ${setting} (now ${base}) is the Siglume API (…/v1), then contact Siglume support${error.request_id ? ` with request id ${error.request_id}` : ''}.`,
      withUpstream,
    );
  }
  if (error.code === 'RESPONSE_TOO_LARGE') {
    return fail(line, `Check that ${setting} (now ${base}) points at the Siglume API (…/v1): its answers are far smaller.`, withUpstream);
  }
  return fail(
    line,
    `${base} answered${upstream === null ? '' : ` HTTP ${upstream}`} with a page that is not the Siglume API's JSON: check that ${setting} (now ${base}) points at the Siglume API (…/v1), not at a web site or your shop.`,
    withUpstream,
  );
}

/**
 * The fix for a {@link SiglumeValidationError} that names a readiness input:
 * its `field` says which input, and so where the merchant sets it. Null for
 * any other error.
 */
export function inputFix(error: unknown): string | null {
  const source = error instanceof SiglumeValidationError ? readinessInputSource(error.field) : null;
  return source ? `Fix ${source}, then run readiness again.` : null;
}

/**
 * 404 codes that say the route is missing, not the object: the sandbox's and the reference's unknown-route
 * codes, and the ones CONTRACT section 3 reads as "route missing" (`HTTP_404` is the transport's code for a 404
 * without one). An unknown merchant has its own code (`MERCHANT_NOT_FOUND`, `EXTERNAL_402_MERCHANT_NOT_FOUND`).
 */
const ROUTE_MISSING_CODES = /* @__PURE__ */ new Set(['ROUTE_NOT_FOUND', 'SANDBOX_ROUTE_NOT_FOUND', 'NOT_FOUND', 'HTTP_404']);

/** True for a 404 that says the API has no such route (in practice a base URL without `/v1`), not that an object is unknown. */
export function routeMissing(error: unknown): boolean {
  return (
    error instanceof SiglumeApiError &&
    error.status === 404 &&
    !/MERCHANT/i.test(error.code) &&
    ROUTE_MISSING_CODES.has(error.code.toUpperCase())
  );
}

/** The fix for a {@link routeMissing} answer: the base URL, which should end in `/v1`. */
export function routeMissingFix(target: ApiTarget): string {
  const setting = baseSetting(target);
  return `The API at ${target.base_url} has no such route: check ${setting} (now ${target.base_url}); it should end in /v1 (e.g. https://siglume.com/v1, or the sandbox's http://127.0.0.1:8787/v1).`;
}

/** The fix when an answer does not have the shape the typed client expects: the base URL setting that was used. */
export function wrongApiFix(target: ApiTarget): string {
  return `Check that ${baseSetting(target)} (now ${target.base_url}) points at the Siglume API (…/v1), not at your shop.`;
}

/** The fix when an answer of the Siglume API lacks a field this SDK relies on. */
export function reportShapeFix(target: ApiTarget): string {
  return `Check that ${baseSetting(target)} (now ${target.base_url}) points at the Siglume API (…/v1); if it does, report this to Siglume support.`;
}
