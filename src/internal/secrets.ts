/**
 * Checks for signing secrets. Kept hand-written (no zod) because webhook
 * verification calls them on every request; messages name the field and
 * never include the value.
 */
import { SiglumeValidationError } from '../core/errors.js';

/** Throws unless `value` is a non-empty string. */
export function assertSecret(value: unknown, field = 'secret'): asserts value is string {
  if (typeof value !== 'string' || value.length === 0) {
    throw new SiglumeValidationError(
      field,
      value === undefined || value === null
        ? `Invalid ${field}: is required`
        : `Invalid ${field}: must be a non-empty string`,
    );
  }
}

/**
 * Accepts one secret or a non-empty list of secrets (several are valid at
 * once while a merchant rotates its signing secret) and returns them as a list.
 */
export function normalizeSecrets(value: unknown, field = 'secret'): readonly string[] {
  if (Array.isArray(value)) {
    if (value.length === 0) {
      throw new SiglumeValidationError(field, `Invalid ${field}: the list of secrets must not be empty`);
    }
    for (let i = 0; i < value.length; i++) assertSecret(value[i], `${field}[${i}]`);
    return value as readonly string[];
  }
  assertSecret(value, field);
  return [value];
}
