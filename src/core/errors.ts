/**
 * The SDK's one error tree. Every failure the SDK raises is an instance of
 * {@link SiglumeDirectRequestPaymentError}; catch that to catch everything.
 *
 * ```text
 * SiglumeDirectRequestPaymentError            bad input, configuration
 * ├─ SiglumeValidationError                   a named input field is invalid
 * ├─ SiglumeConnectionError                   no HTTP response (DNS, reset, refused)
 * │  └─ SiglumeTimeoutError                   no response within timeout_ms
 * ├─ SiglumeApiError                          the API answered with an error
 * │  ├─ SiglumeAuthenticationError            401
 * │  ├─ SiglumePermissionError                403
 * │  ├─ SiglumeNotFoundError                  404
 * │  ├─ SiglumeConflictError                  409
 * │  │  └─ SiglumeHostedCheckoutReadinessRequiredError  409 HOSTED_CHECKOUT_READINESS_REQUIRED
 * │  ├─ SiglumeRateLimitError                 429
 * │  ├─ SiglumeServerError                    5xx
 * │  ├─ SiglumeInvalidResponseError           502 INVALID_JSON_RESPONSE / INVALID_RESPONSE_SHAPE
 * │  │  └─ SiglumeResponseTooLargeError       502 RESPONSE_TOO_LARGE (body over max_response_bytes)
 * │  ├─ SiglumeRedirectError                  3xx UNEXPECTED_REDIRECT (redirects are never followed)
 * │  └─ HostedCheckoutNotAvailableError       409 HOSTED_CHECKOUT_NOT_ENABLED
 * ├─ SiglumeWebhookSignatureError             webhook header / signature / timestamp
 * └─ SiglumeWebhookPayloadError               webhook body is not a valid event
 * ```
 *
 * Error messages never contain auth tokens or signing secrets.
 */
import { DIRECT_REQUEST_PAYMENT_SDK_ID } from '../version.js';
import { requirementNames } from './requirement-names.js';

// The names of an error's classes, under a registry symbol both builds of one version share. An app that
// loads the package as ESM and through `require` (a CommonJS library of its own, say) holds two copies of
// each class; `instanceof` reads this list when the prototype chain says no, so an error from the other
// copy still matches (see `Symbol.hasInstance` below). Only the package's own classes are listed and
// matched this way: a subclass of yours matches by its prototype chain alone, so two of yours that share a
// name (anonymous, or renamed by a minifier) never match each other.
const LINEAGE = Symbol.for(`${DIRECT_REQUEST_PAYMENT_SDK_ID}:error-classes`);
// Each own class's name as written in the source: a minifier renames classes per module (an edge bundle made two
// different classes both `x`, and `instanceof` matched them by name), but keeps the keys of an object literal.
const OWN_NAMES = new WeakMap<object, string>();

/**
 * @internal Marks error classes as the package's own, by name (`ownErrorClasses({ SiglumeApiError })`): every
 * module that defines some calls it once.
 */
export function ownErrorClasses(classes: Record<string, object>): void {
  for (const [name, c] of Object.entries(classes)) OWN_NAMES.set(c, name);
}

/** Root of every error the SDK throws. */
export class SiglumeDirectRequestPaymentError extends Error {
  /** Machine-readable code, e.g. `INVALID_INPUT`, `HTTP_404`, `CONNECTION_ERROR`. */
  readonly code: string;

  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = OWN_NAMES.get(new.target) ?? new.target.name;
    this.code = options.code ?? 'SDRP_ERROR';
    const names: string[] = [];
    for (let c: unknown = new.target; typeof c === 'function' && c !== Error; c = Object.getPrototypeOf(c)) {
      const own = OWN_NAMES.get(c);
      if (own !== undefined) names.push(own);
    }
    Object.defineProperty(this, LINEAGE, { value: names });
  }

  /**
   * `instanceof` for this class and its subclasses: the prototype chain, or else, for the package's own
   * classes, an error of the same class from the package's other build (its ESM and CommonJS files each
   * define the classes).
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (Function.prototype[Symbol.hasInstance].call(this, value)) return true;
    const own = OWN_NAMES.get(this);
    if (own === undefined || typeof value !== 'object' || value === null) return false;
    const names = (value as { [LINEAGE]?: unknown })[LINEAGE];
    return Array.isArray(names) && names.includes(own);
  }
}

/**
 * An input (method argument, client option, environment value) failed
 * validation before any request was sent. `field` names it, e.g. `amount_minor`
 * or `checkout_allowed_origins[1]`.
 */
export class SiglumeValidationError extends SiglumeDirectRequestPaymentError {
  /** Path of the offending field. */
  readonly field: string;

  constructor(field: string, message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, { code: options.code ?? 'INVALID_INPUT', cause: options.cause });
    this.field = field;
  }
}

/** Options of {@link SiglumeConnectionError}: where the request was going, and whether Siglume may have acted on it. */
export interface SiglumeConnectionErrorOptions {
  code?: string | undefined;
  cause?: unknown;
  /** HTTP method of the request, e.g. `POST`. */
  method?: string | null | undefined;
  /** Path of the request below the base URL, without its query. */
  path?: string | null | undefined;
  /** Attempts made, retries included. */
  attempts?: number | null | undefined;
  /**
   * Whether the server may have received the request.
   * @default true
   */
  may_have_acted?: boolean | undefined;
}

/**
 * The request never got an HTTP response (refused, reset, DNS failure). The
 * original error is in `cause`. `may_have_acted` says whether Siglume may
 * still have received the request and acted on it: after a connection lost
 * once the request was sent, a timeout, or an abort mid-request it is true,
 * and a payment must be looked up (e.g. `getPaymentRequirement`,
 * `getCheckoutSession`) before it is sent again.
 */
export class SiglumeConnectionError extends SiglumeDirectRequestPaymentError {
  /** HTTP method of the request, e.g. `POST`; null when the error did not come from an API call. */
  readonly method: string | null;
  /** Path of the request below the base URL, without its query; null when the error did not come from an API call. */
  readonly path: string | null;
  /** Attempts the call made, retries included; null when the error did not come from an API call. */
  readonly attempts: number | null;
  /**
   * False only when no attempt of the call can have reached the server: the
   * connection was refused, the name did not resolve, TLS failed, or the call
   * was aborted before sending. True otherwise (a timeout, a connection lost
   * after sending, or a cause the SDK cannot place): Siglume may have acted
   * on the request.
   */
  readonly may_have_acted: boolean;

  constructor(message: string, options: SiglumeConnectionErrorOptions = {}) {
    super(message, { code: options.code ?? 'CONNECTION_ERROR', cause: options.cause });
    this.method = options.method ?? null;
    this.path = options.path ?? null;
    this.attempts = options.attempts ?? null;
    this.may_have_acted = options.may_have_acted ?? true;
  }
}

/** No response arrived within `timeout_ms`. Siglume may have received the request (`may_have_acted` is true). */
export class SiglumeTimeoutError extends SiglumeConnectionError {
  /** The per-attempt timeout that elapsed. */
  readonly timeout_ms: number;

  /** `message` replaces the default `Request timed out after <timeout_ms> ms`. */
  constructor(timeoutMs: number, options: Omit<SiglumeConnectionErrorOptions, 'code' | 'may_have_acted'> & { message?: string } = {}) {
    const { message, ...rest } = options;
    super(message ?? `Request timed out after ${timeoutMs} ms`, { ...rest, code: 'TIMEOUT', may_have_acted: true });
    this.timeout_ms = timeoutMs;
  }
}

/** Fields carried by every {@link SiglumeApiError}. */
export interface SiglumeApiErrorInit {
  status: number;
  code: string;
  message: string;
  /** The parsed error body, if any. */
  data?: unknown;
  request_id?: string | null | undefined;
  trace_id?: string | null | undefined;
  /** The input field the API names as the problem (`error.field` of the body), when it names one. */
  field?: string | null | undefined;
  /** Parsed `Retry-After` in milliseconds, when the response carried one. */
  retry_after_ms?: number | null | undefined;
  /** An earlier attempt of the same call got no answer and may have been acted on (see {@link SiglumeApiError.may_have_acted}). */
  may_have_acted?: boolean | undefined;
  cause?: unknown;
}

/** The second argument of `new SiglumeApiError(message, init)` (the 0.4.20 argument list). */
export type SiglumeApiErrorLegacyInit = Omit<SiglumeApiErrorInit, 'message' | 'code'> & { code?: string };

/** The API answered with an error status (or an unusable body). */
export class SiglumeApiError extends SiglumeDirectRequestPaymentError {
  /** HTTP status (502 for a body that is not JSON). */
  readonly status: number;
  /** The parsed error body (`{ error: { code, message } }` or `{ code, message }`). */
  readonly data: unknown;
  /** `meta.request_id` of the error envelope; quote it to Siglume support. */
  readonly request_id: string | null;
  /** `meta.trace_id` of the error envelope. */
  readonly trace_id: string | null;
  /**
   * The request field the API rejected, e.g. `currency` for a 422 on a currency the merchant does not take
   * (`error.field` of the body); null when the answer names none.
   */
  readonly field: string | null;
  /**
   * True when Siglume may have acted on this call although it ends in this error: an earlier attempt got
   * no answer (a timeout, a connection lost after sending, a 5xx page), and this answer, a refusal of the
   * retry (a 429, a 409, a redirect, ...), says nothing about that attempt (the message then says to look
   * first); or, for a call that changes something, this answer does not prove a refusal (a 5xx other than
   * the API's own 503, a success answer the SDK could not read). Look up what it would have made before
   * sending the call again. False for a refusal with no lost attempt before it.
   */
  readonly may_have_acted: boolean;

  constructor(init: SiglumeApiErrorInit);
  /** The 0.4.20 argument list: the message, then `{ status, code?, data? }`; `code` defaults to `SIGLUME_API_ERROR`. */
  constructor(message: string, init: SiglumeApiErrorLegacyInit);
  constructor(first: SiglumeApiErrorInit | string, second?: SiglumeApiErrorLegacyInit) {
    const init: SiglumeApiErrorInit =
      typeof first === 'string'
        ? { ...second, message: first, status: second?.status ?? 0, code: second?.code ?? 'SIGLUME_API_ERROR' }
        : first;
    super(init.message, { code: init.code, cause: init.cause });
    this.status = init.status;
    this.data = init.data ?? null;
    this.request_id = init.request_id ?? null;
    this.trace_id = init.trace_id ?? null;
    this.field = init.field ?? null;
    this.may_have_acted = init.may_have_acted === true;
  }

  /**
   * Picks the subclass for a status. This is the only place that maps HTTP
   * statuses to classes, so `instanceof` checks stay consistent.
   */
  static generate(init: SiglumeApiErrorInit): SiglumeApiError {
    return apiErrorFor(init);
  }
}

/** 401: the token is missing, wrong, expired or revoked. */
export class SiglumeAuthenticationError extends SiglumeApiError {}
/** 403: the token is valid but may not do this (e.g. a buyer token on a merchant route). */
export class SiglumePermissionError extends SiglumeApiError {}
/** 404: no such resource (or route). */
export class SiglumeNotFoundError extends SiglumeApiError {}
/** 409: the request conflicts with the resource's state. Never retried. */
export class SiglumeConflictError extends SiglumeApiError {}
/** Code of the 409 that refuses a checkout while the merchant's readiness is incomplete. */
const HOSTED_CHECKOUT_READINESS_REQUIRED = 'HOSTED_CHECKOUT_READINESS_REQUIRED';

function recordOf(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

// The list `key` of an error body: in `error` (where the API puts it), in
// `error.details`, or at the top level; the first array found wins.
function bodyList(data: unknown, key: string): unknown[] {
  const body = recordOf(data);
  const nested = recordOf(body?.['error']);
  for (const holder of [nested, recordOf(nested?.['details']), body]) {
    const value = holder?.[key];
    if (Array.isArray(value)) return value;
  }
  return [];
}

/**
 * 409 `HOSTED_CHECKOUT_READINESS_REQUIRED`: `createCheckoutSession` was
 * refused because the merchant's Standard Hosted Checkout readiness is
 * incomplete (live mode was asked for before the terms, the responsibility
 * attestation or another gate). Not retried. The body's lists are copied onto
 * the error; `getMerchantReadiness` shows the full picture.
 *
 * @example
 * try { await merchant.createCheckoutSession(input); }
 * catch (e) {
 *   if (e instanceof SiglumeHostedCheckoutReadinessRequiredError) console.error(e.missing_requirements, e.blockers);
 *   else throw e;
 * }
 */
export class SiglumeHostedCheckoutReadinessRequiredError extends SiglumeConflictError {
  /** Gates still open, by name (e.g. `terms_acceptance`). */
  readonly missing_requirements: string[];
  /** What blocks the merchant beyond its own gates. */
  readonly blockers: string[];
  /** The failing checks as the API sent them. */
  readonly checks: Record<string, unknown>[];

  constructor(init: SiglumeApiErrorInit) {
    super(init);
    this.missing_requirements = requirementNames(bodyList(init.data, 'missing_requirements'));
    this.blockers = requirementNames(bodyList(init.data, 'blockers'));
    this.checks = bodyList(init.data, 'checks').flatMap((v) => {
      const check = recordOf(v);
      return check ? [check] : [];
    });
  }
}

/** 429: too many requests; retried automatically, honouring `Retry-After`. */
export class SiglumeRateLimitError extends SiglumeApiError {
  /** `Retry-After` in milliseconds, when present. */
  readonly retry_after_ms: number | null;
  constructor(init: SiglumeApiErrorInit) {
    super(init);
    this.retry_after_ms = init.retry_after_ms ?? null;
  }
}
/**
 * 5xx: Siglume had a problem. 500, 502, 503 and 504 are retried for idempotent
 * calls; a call that moves money without your own idempotency key repeats
 * only a 503 the API itself answered (its error envelope or `Retry-After`).
 */
export class SiglumeServerError extends SiglumeApiError {}

// Shown-once secrets of a response that failed its shape check, kept out of
// the error's own properties so no logger or JSON.stringify can reach them.
const withheldSecrets = new WeakMap<object, Readonly<Record<string, string>>>();

/**
 * Keeps `secrets` (by key path) on `error` for {@link SiglumeInvalidResponseError.response_secrets}.
 * @internal
 */
export function withholdResponseSecrets(error: SiglumeInvalidResponseError, secrets: Record<string, string>): void {
  if (Object.keys(secrets).length > 0) withheldSecrets.set(error, Object.freeze({ ...secrets }));
}

/**
 * The response could not be used: not JSON (`INVALID_JSON_RESPONSE`, status
 * 502; the server's status is in `data.http_status`) or missing a field the
 * SDK relies on (`INVALID_RESPONSE_SHAPE`; the message names the field).
 * After a POST the server answered with success, so the object may exist
 * anyway: the message then says so, with its id when the answer had one.
 */
export class SiglumeInvalidResponseError extends SiglumeApiError {
  /** `Retry-After` of the unusable answer in milliseconds (e.g. a proxy's 503 page), when it carried one. */
  readonly retry_after_ms: number | null;

  constructor(init: SiglumeApiErrorInit);
  /** The argument list of `SiglumeApiError`'s 0.4.20 form. */
  constructor(message: string, init: SiglumeApiErrorLegacyInit);
  constructor(first: SiglumeApiErrorInit | string, second?: SiglumeApiErrorLegacyInit) {
    if (typeof first === 'string') super(first, second ?? { status: 0 });
    else super(first);
    this.retry_after_ms = (typeof first === 'string' ? second?.retry_after_ms : first.retry_after_ms) ?? null;
  }

  /**
   * Secrets the unusable answer carried (a creation's shown-once
   * `signing_secret` or `challenge_secret`), by key path such as
   * `signing_secret`; `{}` when it carried none. They are removed from
   * `data` and the message, and this accessor is not an own property, so
   * logging or serializing the error never shows them.
   *
   * @example
   * catch (e) {
   *   if (e instanceof SiglumeInvalidResponseError && e.response_secrets.signing_secret) {
   *     await secretStore.put('SIGLUME_WEBHOOK_SECRET', e.response_secrets.signing_secret);
   *   }
   *   throw e;
   * }
   */
  get response_secrets(): Record<string, string> {
    return { ...withheldSecrets.get(this) };
  }
}

/**
 * The response body was larger than `max_response_bytes`. Reading stopped at
 * the limit (or before reading, when `Content-Length` already said so), so a
 * misbehaving server cannot fill this process's memory. `status` is 502;
 * the server's status is in `data.http_status`.
 */
export class SiglumeResponseTooLargeError extends SiglumeInvalidResponseError {
  /** The limit that was exceeded, in bytes. */
  readonly max_response_bytes: number;

  constructor(init: Omit<SiglumeApiErrorInit, 'status' | 'code'> & { max_response_bytes: number }) {
    super({ ...init, status: 502, code: 'RESPONSE_TOO_LARGE' });
    this.max_response_bytes = init.max_response_bytes;
  }
}

/**
 * The server answered with a redirect (any 3xx). The SDK never follows one:
 * a redirect can carry the request's `Authorization` header and body to
 * another host. `status` is the 3xx; `location_origin` the origin the
 * `Location` header pointed at (never its path or query), or null.
 */
export class SiglumeRedirectError extends SiglumeApiError {
  /** Origin of the `Location` header, e.g. `https://other.example`, or null when absent or unparseable. */
  readonly location_origin: string | null;

  constructor(init: Omit<SiglumeApiErrorInit, 'code'> & { location_origin: string | null }) {
    super({ ...init, code: 'UNEXPECTED_REDIRECT' });
    this.location_origin = init.location_origin;
  }
}

/**
 * Hosted Checkout is not enabled for this merchant or environment. Raised by
 * the checkout-session calls for a 409 `HOSTED_CHECKOUT_NOT_ENABLED` /
 * `FEATURE_DISABLED` and for a 404 `HTTP_404` / `NOT_FOUND` /
 * `ROUTE_NOT_FOUND` / `FEATURE_DISABLED`. `status` is always 409 and `code`
 * always `HOSTED_CHECKOUT_NOT_ENABLED`; what the server actually sent is in
 * `upstream_status` and `upstream_code`.
 */
export class HostedCheckoutNotAvailableError extends SiglumeApiError {
  readonly upstream_status: number;
  readonly upstream_code: string;

  /**
   * From the API error it replaces; or, as in 0.4.20, from an optional
   * message alone (then `upstream_status` is 409 and `upstream_code`
   * `HOSTED_CHECKOUT_NOT_ENABLED`).
   */
  constructor(init?: SiglumeApiErrorInit | string) {
    const upstream: SiglumeApiErrorInit =
      init === undefined || typeof init === 'string'
        ? {
            status: 409,
            code: 'HOSTED_CHECKOUT_NOT_ENABLED',
            message:
              init ??
              "Hosted Checkout is not available: Siglume's Hosted Checkout rollout is not switched on for this merchant or environment.",
          }
        : init;
    super({
      ...upstream,
      status: 409,
      code: 'HOSTED_CHECKOUT_NOT_ENABLED',
      message:
        typeof init === 'object'
          ? `Hosted Checkout is not available for this merchant (${upstream.status} ${upstream.code}: ${upstream.message}). ` +
            'Enable Hosted Checkout for the merchant in Siglume, or check SIGLUME_API_BASE.'
          : upstream.message,
    });
    this.upstream_status = upstream.status;
    this.upstream_code = upstream.code;
  }
}

/**
 * The webhook signature header is missing or malformed, the signature does not match, or the timestamp is outside
 * the tolerance. Answer `webhookErrorStatus(error)`: 400 for a missing or malformed header, 503 for a signature or
 * timestamp that does not verify (this server's secret or clock: Siglume keeps the event), 500 for an empty secret.
 */
export class SiglumeWebhookSignatureError extends SiglumeDirectRequestPaymentError {
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, { code: options.code ?? 'WEBHOOK_SIGNATURE_INVALID', cause: options.cause });
  }
}

/** The webhook body is not a usable event, or was passed as a parsed object instead of the raw bytes. */
export class SiglumeWebhookPayloadError extends SiglumeDirectRequestPaymentError {
  constructor(message: string, options: { code?: string; cause?: unknown } = {}) {
    super(message, { code: options.code ?? 'WEBHOOK_PAYLOAD_INVALID', cause: options.cause });
  }
}

ownErrorClasses({
  SiglumeDirectRequestPaymentError,
  SiglumeValidationError,
  SiglumeConnectionError,
  SiglumeTimeoutError,
  SiglumeApiError,
  SiglumeAuthenticationError,
  SiglumePermissionError,
  SiglumeNotFoundError,
  SiglumeConflictError,
  SiglumeHostedCheckoutReadinessRequiredError,
  SiglumeRateLimitError,
  SiglumeServerError,
  SiglumeInvalidResponseError,
  SiglumeResponseTooLargeError,
  SiglumeRedirectError,
  HostedCheckoutNotAvailableError,
  SiglumeWebhookSignatureError,
  SiglumeWebhookPayloadError,
});

// Outside the class on purpose: a class body that names its own class is
// renamed by the bundler (`class _SiglumeApiError`), and `name` would follow.
function apiErrorFor(init: SiglumeApiErrorInit): SiglumeApiError {
  const s = init.status;
  if (s === 401) return new SiglumeAuthenticationError(init);
  if (s === 403) return new SiglumePermissionError(init);
  if (s === 404) return new SiglumeNotFoundError(init);
  if (s === 409) {
    return init.code === HOSTED_CHECKOUT_READINESS_REQUIRED
      ? new SiglumeHostedCheckoutReadinessRequiredError(init)
      : new SiglumeConflictError(init);
  }
  if (s === 429) return new SiglumeRateLimitError(init);
  if (s >= 500) return new SiglumeServerError(init);
  return new SiglumeApiError(init);
}

// "Did you mean" for an unknown option or field name, for the validation errors of the clients and the
// webhook verifier. Plain string rules, no zod; kept here so the webhook entry loads no extra module for it.

// The camelCase spelling's snake_case form: `baseUrl` -> `base_url`, `error503Rate` -> `error_503_rate`.
function snakeCase(key: string): string {
  return key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').replace(/([a-zA-Z])([0-9])/g, '$1_$2').toLowerCase();
}

/**
 * The known key `unknown` most likely stands for, or undefined: its new name
 * when `renamed` lists it; else its snake_case form when that is known
 * (`baseUrl` -> `base_url`); else the one known key it is the first word(s)
 * of (`tolerance` -> `tolerance_seconds`, `amount` -> `amount_minor`).
 */
export function suggestKey(
  unknown: string,
  known: readonly string[],
  renamed: Readonly<Record<string, string>> = {},
): string | undefined {
  if (Object.prototype.hasOwnProperty.call(renamed, unknown)) return renamed[unknown];
  const snake = snakeCase(unknown);
  if (snake !== unknown && known.includes(snake)) return snake;
  const longer = known.filter((k) => k.startsWith(`${snake}_`));
  return longer.length === 1 ? longer[0] : undefined;
}
