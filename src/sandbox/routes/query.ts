/**
 * Query-string helpers: query values are strings, so numbers are parsed
 * here with the same "positive safe integer" rule the clients apply.
 */
import { z } from 'zod';
import { invalidField } from '../errors.js';

/** `limit`: a positive safe integer written in decimal digits. */
export const limitSchema = z
  .string()
  .refine((s) => /^[0-9]{1,16}$/.test(s) && Number.isSafeInteger(Number(s)) && Number(s) > 0, {
    error: 'must be a positive safe integer',
  })
  .transform(Number);

/**
 * The named query parameters as an object (absent ones omitted). A parameter
 * given twice is rejected rather than silently picking one.
 */
export function queryObject(query: URLSearchParams, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) {
    const values = query.getAll(name);
    if (values.length > 1) throw invalidField(name, 'must be given at most once');
    if (values.length === 1) out[name] = values[0]!;
  }
  return out;
}
