/**
 * Error mapping for the Hosted Checkout calls (contract section 2): the
 * feature being off shows up as a 409 or, where the route is not deployed, a
 * 404. Both become one error a merchant can catch and explain.
 */
import { HostedCheckoutNotAvailableError, type SiglumeApiError } from '../core/errors.js';

const UNAVAILABLE_CODES: Readonly<Record<number, ReadonlySet<string>>> = {
  409: new Set(['HOSTED_CHECKOUT_NOT_ENABLED', 'FEATURE_DISABLED']),
  404: new Set(['HTTP_404', 'NOT_FOUND', 'ROUTE_NOT_FOUND', 'FEATURE_DISABLED']),
};

/**
 * Turns a 409 `HOSTED_CHECKOUT_NOT_ENABLED` / `FEATURE_DISABLED` or a 404
 * `HTTP_404` / `NOT_FOUND` / `ROUTE_NOT_FOUND` / `FEATURE_DISABLED` into a
 * {@link HostedCheckoutNotAvailableError} carrying the same request id, trace
 * id and body; any other error is returned unchanged.
 */
export function mapHostedCheckoutError(error: SiglumeApiError): SiglumeApiError {
  if (!UNAVAILABLE_CODES[error.status]?.has(error.code)) return error;
  return new HostedCheckoutNotAvailableError({
    status: error.status,
    code: error.code,
    message: error.message,
    data: error.data,
    request_id: error.request_id,
    trace_id: error.trace_id,
    may_have_acted: error.may_have_acted,
    cause: error,
  });
}
