/**
 * The one helper that puts values into URL paths. Every interpolated value is
 * percent-encoded as a single path segment, so an id such as `a/b?c` can never
 * change which route is called. `.` and `..` are refused: percent-encoding
 * leaves them as they are, and a URL parser resolves them as dot segments
 * (`/checkout-sessions/..` would call the collection route instead).
 *
 * @example
 * path`/sdrp/direct-payments/merchants/${merchant}/billing-mandate`
 */
import { SiglumeValidationError } from './errors.js';

export function path(strings: TemplateStringsArray, ...values: Array<string | number>): string {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) {
    const value = String(values[i]);
    if (value === '.' || value === '..' || value === '') {
      throw new SiglumeValidationError(
        'id',
        `Invalid id: ${value === '' ? 'must not be empty' : `"${value}" cannot be used in a URL path`}`,
      );
    }
    out += encodeURIComponent(value) + (strings[i + 1] ?? '');
  }
  return out;
}
