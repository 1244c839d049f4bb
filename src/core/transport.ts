/**
 * The one request loop. Timeouts, retries, idempotency keys, envelope
 * unwrapping, response validation and error mapping live here and nowhere
 * else; client methods only describe a request ({@link RequestSpec}).
 *
 * Retries rest on one assumption about the Siglume API, stated here and
 * nowhere else: **a mutating request that carries an Idempotency-Key the
 * server has seen is not acted on again; the server answers it with the
 * first outcome.** Every mutating request carries a key, generated once per
 * call (or the caller's `idempotency_key`) and identical on every attempt,
 * so repeating a POST the server may already have acted on (after a timeout
 * or a connection lost mid-request) cannot create a second object. A request
 * whose spec says `retry: 'refusals_only'` does not lean on that assumption:
 * it is repeated only when the server refused before acting (see
 * `./retry.ts`).
 */
import { BAD_PORT, portOf } from './bad-port.js';
import { randomId } from './crypto.js';
import {
  SiglumeApiError,
  SiglumeConnectionError,
  SiglumeDirectRequestPaymentError,
  SiglumeInvalidResponseError,
  SiglumeTimeoutError,
  withholdResponseSecrets,
} from './errors.js';
import { MIN_MASKED_SECRET_LENGTH, redactErrorSecrets, redactSecretKeys, redactSecretValues, secretKeyValues } from './redact.js';
import {
  connectionFailure,
  errorCode,
  MAX_RETRY_AFTER_MS,
  parseRetryAfter,
  refusedBeforeActing,
  retryDelay,
  shouldRetry,
  type AttemptOutcome,
} from './retry.js';
import { abortedError, defaultSender, fetchSender, type SentResponse, type Sender } from './sender.js';
import { DEFAULT_MAX_RESPONSE_BYTES, DEFAULT_MAX_RETRIES, DEFAULT_SIGLUME_SANDBOX_API_BASE, DEFAULT_TIMEOUT_MS } from './constants.js';
import type { FetchLike, RequestSpec } from './transport-types.js';
import { DIRECT_REQUEST_PAYMENT_SDK_ID } from '../version.js';
import { sleep } from './sleep.js';
import { createdId, issueText } from './shape-issue.js';

/** Resolved transport settings (validated by the client that builds it). */
export interface TransportInit {
  base_url: string;
  auth_token: string;
  fetch?: FetchLike;
  timeout_ms?: number;
  max_retries?: number;
  user_agent?: string;
  /** Largest response body read, in bytes (default {@link DEFAULT_MAX_RESPONSE_BYTES}). */
  max_response_bytes?: number;
  /** Test seam: the jitter source for backoff. */
  random?: () => number;
  /**
   * Where the token came from, in words (see `describeAuthTokenSource`): a
   * 401 / 403 without a message from the API names it. Never the token.
   */
  auth_source?: string;
}

type Envelope = { data?: unknown; meta?: { request_id?: unknown; trace_id?: unknown } };

// "Is the body empty?" without trim(), which copies the whole body.
const NOT_BLANK = /\S/;

function asString(value: unknown): string | null {
  return typeof value === 'string' && value !== '' ? value : null;
}

// Sets a header, replacing any of the same name in another case (HTTP header
// names are case-insensitive; two spellings would be sent as one joined value).
function setHeader(headers: Record<string, string>, name: string, value: string): void {
  const lower = name.toLowerCase();
  for (const existing of Object.keys(headers)) if (existing.toLowerCase() === lower) delete headers[existing];
  headers[name] = value;
}


/** Sends requests to the Siglume API for one client. */
export class Transport {
  /** Normalized API base URL, without a trailing slash. */
  readonly base_url: string;
  // Private fields: the token cannot be read, serialized or inspected from outside.
  readonly #token: string;
  readonly #sender: Sender | null;
  readonly #timeoutMs: number;
  readonly #maxRetries: number;
  readonly #userAgent: string;
  readonly #maxResponseBytes: number;
  readonly #random: () => number;
  readonly #authSource: string | undefined;

  constructor(init: TransportInit) {
    this.base_url = init.base_url;
    this.#token = init.auth_token;
    this.#sender = init.fetch ? fetchSender(init.fetch) : null;
    this.#timeoutMs = init.timeout_ms ?? DEFAULT_TIMEOUT_MS;
    this.#maxRetries = init.max_retries ?? DEFAULT_MAX_RETRIES;
    this.#userAgent = init.user_agent ?? DIRECT_REQUEST_PAYMENT_SDK_ID;
    this.#maxResponseBytes = init.max_response_bytes ?? DEFAULT_MAX_RESPONSE_BYTES;
    this.#random = init.random ?? Math.random;
    this.#authSource = init.auth_source;
  }

  /** Sends `spec`, retrying what is safe to retry, and returns the unwrapped `data`. */
  async request<T>(spec: RequestSpec<T>): Promise<T> {
    const url = this.#url(spec);
    const mutating = spec.method !== 'GET';
    const headers: Record<string, string> = {
      Accept: 'application/json',
      Authorization: `Bearer ${this.#token}`,
      'User-Agent': this.#userAgent,
    };
    for (const [name, value] of Object.entries(spec.headers ?? {})) setHeader(headers, name, value);
    let body: string | undefined;
    if (spec.body !== undefined) {
      body = JSON.stringify(spec.body);
      setHeader(headers, 'Content-Type', 'application/json');
    }
    // Generated once per call, so every retry of this call carries the same key
    // and the server can deduplicate it.
    if (mutating) setHeader(headers, 'Idempotency-Key', spec.options?.idempotency_key ?? randomId());

    const maxRetries = spec.options?.max_retries ?? this.#maxRetries;
    const timeoutMs = spec.options?.timeout_ms ?? this.#timeoutMs;
    const userSignal = spec.options?.signal;
    const sender = this.#sender ?? (await defaultSender());
    // Whether an earlier attempt of this call may have reached the server and
    // been acted on: a later "connection refused" does not undo that.
    let earlierMayHaveActed = false;

    for (let attempt = 0; ; attempt++) {
      let response: SentResponse;
      // An abort seen before the attempt starts means this attempt sent nothing.
      const abortedBefore = userSignal?.aborted === true;
      try {
        response = await this.#attempt(sender, url, { method: spec.method, headers, body }, timeoutMs, userSignal, this.#secrets(spec));
      } catch (error) {
        // A redirect, an oversized body or an unusable response is an answer, not a lost connection: never retried.
        // It says nothing of an earlier attempt that got no answer: the error says so.
        if (error instanceof SiglumeApiError) throw earlierMayHaveActed ? actedBefore(error, spec) : error;
        const err = error as SiglumeConnectionError;
        const call = { spec, url, attempts: attempt + 1 };
        // Aborted before this attempt started: it was not made.
        if (err.code === 'REQUEST_ABORTED') throw aborted(err, { ...call, attempts: abortedBefore ? attempt : attempt + 1 }, earlierMayHaveActed || !abortedBefore);
        const outcome: AttemptOutcome = err instanceof SiglumeTimeoutError ? { kind: 'timeout' } : connectionFailure(err.cause);
        if (outcome.kind !== 'not_sent') earlierMayHaveActed = true;
        if (shouldRetry(outcome, attempt, maxRetries, spec.retry)) {
          await this.#wait(retryDelay(attempt, this.#random()), userSignal, { ...call, mayHaveActed: earlierMayHaveActed });
          continue;
        }
        throw err instanceof SiglumeTimeoutError
          ? timedOut(err, call)
          : connectionLost(err.cause, call, earlierMayHaveActed);
      }

      if (response.status >= 200 && response.status < 300) return this.#success(spec, response, earlierMayHaveActed);

      const { error: apiError, envelope } = this.#failure(spec, response, earlierMayHaveActed);
      const retryAfter = parseRetryAfter(response.header);
      const waitMs = retryAfter ?? retryDelay(attempt, this.#random());
      const outcome: AttemptOutcome = { kind: 'response', status: response.status, api_refusal: envelope || retryAfter !== null };
      if (!refusedBeforeActing(outcome)) earlierMayHaveActed = true;
      if (shouldRetry(outcome, attempt, maxRetries, spec.retry) && waitMs <= MAX_RETRY_AFTER_MS) {
        await this.#wait(waitMs, userSignal, { spec, url, attempts: attempt + 1, mayHaveActed: earlierMayHaveActed });
        continue;
      }
      // A 5xx other than the API's own refusal does not say the call was not carried out.
      if (spec.method !== 'GET' && response.status >= 500 && !refusedBeforeActing(outcome)) setMayHaveActed(apiError);
      throw spec.mapError ? spec.mapError(apiError) : apiError;
    }
  }

  /**
   * What an error of this request must not show: the client's token and the request's own secrets. A token under
   * {@link MIN_MASKED_SECRET_LENGTH} characters is a test double's (`'test'`), not a credential.
   */
  #secrets(spec: RequestSpec<unknown>): string[] {
    return [...(this.#token.length >= MIN_MASKED_SECRET_LENGTH ? [this.#token] : []), ...(spec.secrets ?? [])];
  }

  #url(spec: RequestSpec<unknown>): string {
    let url = this.base_url + spec.path;
    if (spec.query) {
      const params = new URLSearchParams();
      for (const [key, value] of spec.query) if (value !== undefined) params.append(key, String(value));
      const qs = params.toString();
      if (qs) url += `?${qs}`;
    }
    return url;
  }

  async #attempt(
    sender: Sender,
    url: string,
    init: { method: string; headers: Record<string, string>; body: string | undefined },
    timeoutMs: number,
    userSignal: AbortSignal | undefined,
    secrets: readonly string[],
  ): Promise<SentResponse> {
    // The sender enforces the deadline, the caller's signal, the body cap and
    // the no-redirect rule, and throws those as typed errors.
    try {
      return await sender(url, init, { timeout_ms: timeoutMs, signal: userSignal, max_response_bytes: this.#maxResponseBytes });
    } catch (error) {
      if (error instanceof SiglumeDirectRequestPaymentError) throw error;
      // A custom fetch may quote the request (headers included) in its error: scrubbed from the message and the cause.
      // The request loop words the final error; this one only carries the cause.
      throw new SiglumeConnectionError('connection failed', { cause: redactErrorSecrets(error, secrets) });
    }
  }

  async #wait(ms: number, signal: AbortSignal | undefined, call: CallFacts & { mayHaveActed: boolean }): Promise<void> {
    try {
      await sleep(ms, signal);
    } catch (reason) {
      throw aborted(abortedError(reason), call, call.mayHaveActed);
    }
  }

  #success<T>(spec: RequestSpec<T>, response: SentResponse, earlierMayHaveActed: boolean): T {
    let parsed: unknown = {};
    if (NOT_BLANK.test(response.text)) {
      try {
        parsed = JSON.parse(response.text);
      } catch (error) {
        throw invalidJson(spec, this.base_url, response, error, earlierMayHaveActed);
      }
    }
    const envelope = parsed as Envelope;
    const data =
      parsed !== null && typeof parsed === 'object' && !Array.isArray(parsed) && 'data' in envelope
        ? envelope.data
        : parsed;
    if (!spec.schema) return data as T;
    const result = spec.schema.safeParse(data);
    if (result.success) return result.data;
    const issue = result.error.issues[0]!;
    const field = issue.path.map(String).join('.') || '(body)';
    const secrets = this.#secrets(spec);
    const withheld = secretKeyValues(data);
    let message = `Unexpected response from ${routeOf(spec)}: ${field} ${issueText(issue, data)}.`;
    if (spec.method !== 'GET') {
      // The server said yes: whatever the request asked for may exist now, and a
      // creation's shown-once secret is only in this answer.
      const id = createdId(data, secrets);
      message +=
        ` It answered HTTP ${response.status}, so the request may have been carried out and the object may have been created` +
        `${id ? ` (id "${id}")` : ''}: look it up before sending it again.`;
      const keys = Object.keys(withheld);
      if (keys.length > 0) {
        message += ` The answer's ${keys.join(', ')} ${keys.length === 1 ? 'is' : 'are'} kept on error.response_secrets (not in this message or in data).`;
      }
    }
    const error = new SiglumeInvalidResponseError({
      status: 502,
      code: 'INVALID_RESPONSE_SHAPE',
      message: `${message} The API may be newer than this SDK, or SIGLUME_API_BASE points at something else.`,
      data: redactSecretValues(redactSecretKeys(data), secrets),
      // The server said yes to a call that changes something (or an earlier attempt got no answer).
      may_have_acted: spec.method !== 'GET' || earlierMayHaveActed,
      ...meta(parsed, response),
    });
    withholdResponseSecrets(error, withheld);
    throw error;
  }

  /** The error for a non-2xx answer, and whether its body is the API's error envelope (a code of its own). */
  /**
   * The error of an answer that is not a success. `earlierMayHaveActed`: an earlier attempt of the call got no
   * answer, so this answer (often a refusal of the retry, such as a 429) does not say nothing happened: the
   * error says so (`may_have_acted`, and the message tells to look before sending again).
   */
  #failure(spec: RequestSpec<unknown>, response: SentResponse, earlierMayHaveActed = false): { error: SiglumeApiError; envelope: boolean } {
    let parsed: unknown;
    try {
      parsed = NOT_BLANK.test(response.text) ? JSON.parse(response.text) : {};
    } catch (error) {
      return { error: invalidJson(spec, this.base_url, response, error, earlierMayHaveActed), envelope: false };
    }
    type Fields = { code?: unknown; message?: unknown; field?: unknown };
    const body = (parsed !== null && typeof parsed === 'object' ? parsed : {}) as Fields & { error?: Fields };
    const nested = body.error && typeof body.error === 'object' ? body.error : undefined;
    const ownCode = asString(nested?.code) ?? asString(body.code);
    const code = ownCode ?? `HTTP_${response.status}`;
    const message =
      asString(nested?.message) ??
      asString(body.message) ??
      this.#authRefusal(spec, response) ??
      (response.statusText || `HTTP ${response.status}`);
    // A server (or proxy) that echoes the request's Authorization header must
    // not put this client's token into an error message or its data.
    const secrets = this.#secrets(spec);
    const error = SiglumeApiError.generate({
      status: response.status,
      code,
      message: earlierMayHaveActed ? closed(redactSecretValues(message, secrets)) + lookFirst(spec, true) : redactSecretValues(message, secrets),
      may_have_acted: earlierMayHaveActed,
      field: redactSecretValues(asString(nested?.field) ?? asString(body.field) ?? '', secrets) || null,
      data: redactSecretValues(redactSecretKeys(parsed), secrets),
      retry_after_ms: parseRetryAfter(response.header),
      ...meta(parsed, response),
    });
    return { error, envelope: ownCode !== null };
  }

  // A bare 401 / 403 says nothing about which token was sent; say where it came
  // from and what to check. A call that set its own Authorization header
  // (schedule token, extra_headers) sent that instead of the client's token.
  #authRefusal(spec: RequestSpec<unknown>, response: SentResponse): string | null {
    if (response.status !== 401 && response.status !== 403) return null;
    const own = Object.keys(spec.headers ?? {}).some((name) => name.toLowerCase() === 'authorization');
    const token = own ? 'the Authorization header given for this call' : this.#authSource;
    if (token === undefined) return null;
    const refused =
      response.status === 401
        ? `refused ${token}`
        : `accepted ${token} but does not allow it on this route`;
    // The status text first, as a message without one from the API reads (CONTRACT-2 section 14).
    const status = `${response.statusText ? `${response.statusText}: ` : ''}HTTP ${response.status}`;
    return (
      `${status} from ${routeOf(spec)}: the Siglume API ${refused}. ` +
      `Check that the token is for the API at ${this.base_url}: sandbox and live tokens each work only against their own base URL.`
    );
  }
}

/** What the final error of a call says about it. */
interface CallFacts {
  spec: RequestSpec<unknown>;
  url: string;
  /** Attempts made so far, the failed one included. */
  attempts: number;
}

function attemptsText(n: number): string {
  return n === 1 ? '1 attempt' : `${n} attempts`;
}

/**
 * `text` ending as a sentence, before a sentence is added to it: a status text (`Internal Server Error`) or an
 * API's message may have no full stop.
 */
function closed(text: string): string {
  const trimmed = text.trimEnd();
  return /[.!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** What to do about a request that may have been acted on: for a mutating call, look before sending again, or the spec's own advice. */
function lookFirst(spec: RequestSpec<unknown>, earlier: boolean): string {
  const where = earlier ? 'an earlier attempt may have reached Siglume' : 'the request may have reached Siglume';
  if (spec.method === 'GET') return ` ${where[0]!.toUpperCase()}${where.slice(1)}; reading again is safe.`;
  const advice =
    spec.look_up ??
    'Look up what it would have made (a payment: getPaymentRequirement; a checkout: getCheckoutSession; a webhook subscription: listWebhookSubscriptions) before sending it again';
  return ` ${where[0]!.toUpperCase()}${where.slice(1)} and been acted on. ${advice}.`;
}

const SANDBOX_ORIGIN = new URL(DEFAULT_SIGLUME_SANDBOX_API_BASE).origin;

/** The connection failed and no response arrived. */
function connectionLost(cause: unknown, call: CallFacts, earlierMayHaveActed: boolean): SiglumeConnectionError {
  const { spec, url, attempts } = call;
  const route = routeOf(spec);
  const origin = new URL(url).origin;
  const detail = describeCause(cause);
  const notSent = connectionFailure(cause).kind === 'not_sent';
  const facts = `${detail ? `${detail}; ` : ''}${attemptsText(attempts)}`;
  const badPort = errorCode(cause) === BAD_PORT;
  const message = notSent
    ? `Could not reach the Siglume API at ${origin} (${facts}): ${route} was not sent.` +
      (earlierMayHaveActed
        ? lookFirst(spec, true)
        : badPort
          ? ` fetch refuses port ${portOf(url)} (a port the Fetch standard blocks): the API is not at that port; check SIGLUME_API_BASE.`
          : origin === SANDBOX_ORIGIN
            ? " That is the local sandbox's default address: start it with `siglume-sdrp sandbox`. To use Siglume's API instead, unset SIGLUME_API_BASE if it names this address, and SIGLUME_ENV, whose value sandbox selects it when SIGLUME_API_BASE is unset."
            : ' Check SIGLUME_API_BASE and your network.')
    : `The connection to the Siglume API at ${origin} failed during ${route} (${facts}).${lookFirst(spec, false)}`;
  return new SiglumeConnectionError(message, {
    cause,
    method: spec.method,
    path: pathOf(spec),
    attempts,
    may_have_acted: !notSent || earlierMayHaveActed,
  });
}

/** The last attempt ran out of time: the server may have received it. */
function timedOut(error: SiglumeTimeoutError, call: CallFacts): SiglumeTimeoutError {
  const { spec, attempts } = call;
  return new SiglumeTimeoutError(error.timeout_ms, {
    message: `Request timed out after ${error.timeout_ms} ms (${routeOf(spec)}, ${attemptsText(attempts)}).${lookFirst(spec, false)}`,
    cause: error.cause,
    method: spec.method,
    path: pathOf(spec),
    attempts,
  });
}

/** The caller aborted; `mayHaveActed` when an attempt was under way or an earlier one may have reached the server. */
function aborted(error: SiglumeConnectionError, call: CallFacts, mayHaveActed: boolean): SiglumeConnectionError {
  const { spec, attempts } = call;
  const tail = mayHaveActed
    ? lookFirst(spec, false)
    : attempts === 0
      ? ` Nothing was sent for ${routeOf(spec)}.`
      : ' Nothing was carried out: every attempt was refused or never sent.';
  return new SiglumeConnectionError(`The request was aborted by the caller (${routeOf(spec)}, ${attemptsText(attempts)}).${tail}`, {
    code: 'REQUEST_ABORTED',
    cause: error.cause,
    method: spec.method,
    path: pathOf(spec),
    attempts,
    may_have_acted: mayHaveActed,
  });
}

function meta(parsed: unknown, response: SentResponse): { request_id: string | null; trace_id: string | null } {
  const m = parsed && typeof parsed === 'object' ? (parsed as Envelope).meta : undefined;
  return {
    request_id: asString(m?.request_id) ?? response.header('x-request-id'),
    trace_id: asString(m?.trace_id) ?? response.header('x-trace-id'),
  };
}

/** The path without the query (a caller's `request()` path may carry one, credentials included). */
function pathOf(spec: RequestSpec<unknown>): string {
  const q = spec.path.indexOf('?');
  return q === -1 ? spec.path : spec.path.slice(0, q);
}

/** Method and path for an error message, without the query. */
function routeOf(spec: RequestSpec<unknown>): string {
  return `${spec.method} ${pathOf(spec)}`;
}

function invalidJson(
  spec: RequestSpec<unknown>,
  base: string,
  response: SentResponse,
  cause: unknown,
  earlierMayHaveActed = false,
): SiglumeInvalidResponseError {
  const status = response.status;
  const retry_after_ms = parseRetryAfter(response.header);
  // A 5xx page is what a load balancer or proxy shows while Siglume is
  // unavailable: the base URL is most likely right. Otherwise it is named by
  // its value: it came from base_url, SIGLUME_API_BASE or a sandbox variable.
  const message =
    status >= 500 && status < 600
      ? `Siglume or a proxy in front of it answered ${routeOf(spec)} with HTTP ${status} and a non-JSON page (temporarily unavailable?).` +
        (retry_after_ms !== null ? ` It asked to retry after ${Math.ceil(retry_after_ms / 1000)} s.` : '') +
        (spec.method === 'GET' ? '' : lookFirst(spec, earlierMayHaveActed))
      : `The Siglume API answered ${routeOf(spec)} with HTTP ${status} and a body that is not JSON. Check that the base URL ${base} points at the Siglume API (…/v1).` +
        (earlierMayHaveActed ? lookFirst(spec, true) : '');
  return new SiglumeInvalidResponseError({
    status: 502,
    code: 'INVALID_JSON_RESPONSE',
    message,
    data: retry_after_ms === null ? { http_status: status } : { http_status: status, retry_after_ms },
    retry_after_ms,
    request_id: response.header('x-request-id'),
    trace_id: response.header('x-trace-id'),
    // A call that changes something answered with a success or a 5xx page may have been carried out.
    may_have_acted: earlierMayHaveActed || (spec.method !== 'GET' && (status < 300 || status >= 500)),
    cause,
  });
}

/** Sets `may_have_acted` on an error this transport made (a readonly field for callers, set here only). */
function setMayHaveActed(error: SiglumeApiError): void {
  (error as { may_have_acted: boolean }).may_have_acted = true;
}

/**
 * `error` (an answer to a retry) marked as ending a call whose earlier attempt got no answer: `may_have_acted`,
 * and the look-first text once.
 */
function actedBefore(error: SiglumeApiError, spec: RequestSpec<unknown>): SiglumeApiError {
  if (!error.may_have_acted) error.message = closed(error.message) + lookFirst(spec, true);
  setMayHaveActed(error);
  return error;
}

function describeCause(error: unknown): string {
  const message = (error as { message?: unknown } | null | undefined)?.message;
  return errorCode(error) ?? (typeof message === 'string' ? message : '');
}
