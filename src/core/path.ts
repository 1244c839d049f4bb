/**
 * The one helper that puts values into URL paths. Every interpolated value is
 * percent-encoded as a single path segment, so an id such as `a/b?c` can never
 * change which route is called.
 *
 * @example
 * path`/sdrp/direct-payments/merchants/${merchant}/billing-mandate`
 */
export function path(strings: TemplateStringsArray, ...values: Array<string | number>): string {
  let out = strings[0] ?? '';
  for (let i = 0; i < values.length; i++) {
    out += encodeURIComponent(String(values[i])) + (strings[i + 1] ?? '');
  }
  return out;
}
