/**
 * What both clients do when they are built and when they send: validate the
 * client options, resolve base URL and token, build the one Transport, and
 * check per-call options before handing a request to it.
 */
import { resolveAuthToken, resolveBaseUrl } from '../core/config.js';
import { DEFAULT_TIMEOUT_MS } from '../core/constants.js';
import { SiglumeValidationError } from '../core/errors.js';
import { Transport } from '../core/transport.js';
import type { RequestSpec } from '../core/transport-types.js';
import { isLoopbackHost, parseInput } from '../core/validation.js';
import {
  clientOptionsSchema,
  requestOptionsSchema,
  type DirectRequestPaymentClientOptions,
  type DirectRequestPaymentRequestOptions,
} from './schemas/client-options.js';

/** A client's transport plus the facts its schemas depend on. */
export interface ClientConnection {
  transport: Transport;
  base_url: string;
  /** True when the base URL is localhost / 127.0.0.1 / [::1] (the local sandbox). */
  loopback: boolean;
  /** The client's per-attempt timeout. */
  timeout_ms: number;
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
  const opts = parseInput(clientOptionsSchema(), options ?? {});
  const base_url = resolveBaseUrl(opts.base_url);
  const auth_token = resolveAuthToken(opts.auth_token, kind);
  const transport = new Transport({
    base_url,
    auth_token,
    fetch: opts.fetch,
    timeout_ms: opts.timeout_ms,
    max_retries: opts.max_retries,
    user_agent: opts.user_agent,
    max_response_bytes: opts.max_response_bytes,
  });
  return {
    transport,
    base_url,
    loopback: isLoopbackHost(new URL(base_url).hostname),
    timeout_ms: opts.timeout_ms ?? DEFAULT_TIMEOUT_MS,
  };
}

/** Checks the per-call options, then sends. */
export function send<T>(transport: Transport, spec: ClientRequest<T>): Promise<T> {
  const options = spec.options === undefined ? undefined : parseInput(requestOptionsSchema(), spec.options, 'options');
  return transport.request({ ...spec, options });
}
