/**
 * What both clients do when they are built and when they send: validate the
 * client options, resolve base URL and token, build the one Transport, and
 * check per-call options before handing a request to it.
 */
import { describeAuthTokenSource, resolveAuthTokenSource, resolveBaseUrl } from '../core/config.js';
import { DEFAULT_TIMEOUT_MS } from '../core/constants.js';
import { DIRECT_REQUEST_PAYMENT_SDK_ID } from '../version.js';
import { SiglumeValidationError } from '../core/errors.js';
import { Transport } from '../core/transport.js';
import type { RequestSpec } from '../core/transport-types.js';
import { isLoopbackHost, parseInput } from '../core/validation.js';
import { parseKnownInput } from './schemas/known-fields.js';
import {
  clientOptionsSchema,
  requestOptionsSchema,
  type DirectRequestPaymentClientOptions,
  type DirectRequestPaymentRequestOptions,
} from './schemas/client-options.js';
import {
  credentialQueryValues,
  credentialValues,
  extraHeadersSchema,
  rawRequestMethodSchema,
  rawRequestPathSchema,
} from './schemas/raw-request.js';

/** A client's transport plus the facts its schemas depend on. */
export interface ClientConnection {
  transport: Transport;
  base_url: string;
  /** True when the base URL is localhost / 127.0.0.1 / [::1] (the local sandbox). */
  loopback: boolean;
  /** The client's per-attempt timeout. */
  timeout_ms: number;
  /** The User-Agent header the client sends. */
  user_agent: string;
}

/** A request as a client method describes it: the transport's spec with the caller's (unchecked) options. */
export type ClientRequest<T> = Omit<RequestSpec<T>, 'options'> & { options?: DirectRequestPaymentRequestOptions | undefined };

/** Validates `options`, resolves base URL and token (option, then environment) and builds the Transport. */
export function connectClient(
  options: DirectRequestPaymentClientOptions | undefined,
  kind: 'merchant' | 'buyer',
): ClientConnection {
  if (options !== undefined && (options === null || typeof options !== 'object' || Array.isArray(options))) {
    throw new SiglumeValidationError('options', 'Invalid options: must be an object');
  }
  const opts = parseKnownInput(clientOptionsSchema(), options ?? {}, '', 'option');
  const base_url = resolveBaseUrl(opts.base_url);
  const { token: auth_token, source } = resolveAuthTokenSource(opts.auth_token, kind);
  const user_agent = opts.user_agent ?? DIRECT_REQUEST_PAYMENT_SDK_ID;
  const transport = new Transport({
    base_url,
    auth_token,
    fetch: opts.fetch ?? undefined,
    timeout_ms: opts.timeout_ms ?? undefined,
    max_retries: opts.max_retries,
    user_agent,
    max_response_bytes: opts.max_response_bytes,
    auth_source: describeAuthTokenSource(source, kind),
  });
  return {
    transport,
    base_url,
    loopback: isLoopbackHost(new URL(base_url).hostname),
    timeout_ms: opts.timeout_ms ?? DEFAULT_TIMEOUT_MS,
    user_agent,
  };
}

/** Checks the per-call options, then sends. */
export function send<T>(transport: Transport, spec: ClientRequest<T>): Promise<T> {
  const options = spec.options === undefined ? undefined : parseInput(requestOptionsSchema(), spec.options, 'options');
  return transport.request({ ...spec, options });
}

/**
 * `value` itself, as a body sent verbatim (the raw `request`, 0.4.20's
 * `verifyPaymentRequirement` input), once `JSON.stringify` is known to write
 * it: a cycle or a BigInt is a validation error naming `field`, not a
 * `TypeError` from the transport.
 */
export function verbatimJsonBody<T>(value: T, field = 'input'): T {
  let text: string | undefined;
  try {
    text = JSON.stringify(value);
  } catch (error) {
    throw new SiglumeValidationError(field, `Invalid ${field}: must be JSON-serializable`, { cause: error });
  }
  if (text === undefined) throw new SiglumeValidationError(field, `Invalid ${field}: must be JSON-serializable`);
  return value;
}

/**
 * The public `request` of both clients (CONTRACT-2 section 14): any API
 * route, through the same transport as the named methods. The path is
 * appended to the base URL as is; `extra_headers` replace headers of the same
 * name (so `Authorization` may carry another credential for this one call)
 * and their credential values are redacted from errors like the token.
 * `Content-Type` is set last when there is a body. A mutating call is retried
 * after a timeout or lost connection only with an idempotency key of the
 * caller's (`options.idempotency_key` or an `Idempotency-Key` header), since
 * the route may move money; without one, only refusals are retried.
 */
export function sendRaw<T>(
  transport: Transport,
  args: {
    method: unknown;
    path: unknown;
    json_body: unknown;
    extra_headers: unknown;
    options: DirectRequestPaymentRequestOptions | undefined;
  },
): Promise<T> {
  const method = parseInput(rawRequestMethodSchema(), args.method, 'method');
  const path = parseInput(rawRequestPathSchema(), args.path, 'path');
  const headers = parseInput(extraHeadersSchema(), args.extra_headers ?? {}, 'extra_headers');
  if (args.json_body !== undefined) {
    if (method === 'GET') {
      throw new SiglumeValidationError('json_body', "Invalid json_body: a GET request has no body; put parameters in the path's query string");
    }
    verbatimJsonBody(args.json_body, 'json_body');
  }
  let options = args.options;
  const keyHeader = Object.keys(headers).find((name) => name.toLowerCase() === 'idempotency-key');
  if (keyHeader !== undefined) {
    const key = headers[keyHeader]!;
    delete headers[keyHeader];
    if (options?.idempotency_key !== undefined && options.idempotency_key !== key) {
      throw new SiglumeValidationError(
        `extra_headers.${keyHeader}`,
        `Invalid extra_headers.${keyHeader}: differs from options.idempotency_key; give the key once`,
      );
    }
    options = { ...options, idempotency_key: key };
  }
  return send<T>(transport, {
    method,
    path,
    body: args.json_body,
    headers,
    secrets: [...credentialValues(headers), ...credentialQueryValues(path)],
    options,
    retry: method !== 'GET' && options?.idempotency_key === undefined ? 'refusals_only' : 'idempotent',
  });
}
