/**
 * How the clients read an input or option bag: the fields they know, and
 * nothing else. 0.4.20 built each request body from the fields it knew and
 * dropped the rest (CONTRACT-2 sections 15, 17: "Body, in order"), so an
 * order or config object with keys of its own (`order_id`, `merchant` next
 * to `auth_token`) ran. It still does, and an unknown key is never sent.
 *
 * The one exception is a key that is another spelling of a known one that
 * was not given (`baseUrl` with no `base_url`, `amountMinor` with no
 * `amount_minor`: the same letters in another case or without underscores):
 * that is a typo, and dropping it would run the call without the setting (a
 * sandbox token sent to production), so it is refused naming the key it
 * stands for. A key that only starts like a known one (`user`, `amount`) is
 * dropped like any other.
 *
 * The schemas themselves stay strict: the sandbox parses request bodies
 * with them and answers 422 for an unknown key.
 */
import type * as z from 'zod/mini';
import { SiglumeValidationError, suggestKey } from '../../core/errors.js';
import { parseInput } from '../../core/validation.js';

/** A schema of an object input, whose keys are the fields a call knows. */
type ObjectInputSchema = z.core.$ZodType & { shape: Readonly<Record<string, unknown>> };

function isBag(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

// `baseUrl` and `base_url`, `Cadence` and `cadence`: one name spelt two ways. Not `user` and
// `user_agent` or `amount` and `amount_minor`, which an order or app config has for its own reasons.
const sameLetters = (a: string, b: string): boolean => a.replace(/_/g, '').toLowerCase() === b.replace(/_/g, '').toLowerCase();

/**
 * `value` with only the keys `schema` knows (a copy; `value` itself is never
 * changed). A value that is not an object is returned as is, for the schema
 * to refuse.
 *
 * @throws {SiglumeValidationError} for an unknown key that stands for a
 *   known key that is absent, naming both.
 */
export function knownFields(schema: ObjectInputSchema, value: unknown, root = '', kind: 'field' | 'option' = 'field'): unknown {
  if (!isBag(value)) return value;
  const known = Object.keys(schema.shape);
  const out: Record<string, unknown> = {};
  const keys = Object.keys(value);
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    if (Object.prototype.hasOwnProperty.call(schema.shape, key)) {
      out[key] = value[key];
      continue;
    }
    const meant = suggestKey(key, known);
    if (meant !== undefined && sameLetters(key, meant) && value[meant] === undefined) {
      const field = root ? `${root}.${key}` : key;
      throw new SiglumeValidationError(field, `Invalid ${root || 'input'}: unknown ${kind} "${key}" (did you mean "${meant}"?)`);
    }
  }
  return out;
}

/**
 * {@link parseInput} of the known fields of `value` (see {@link knownFields}):
 * an unknown key is dropped, never sent, unless it is a typo of an absent
 * known key.
 */
export function parseKnownInput<S extends ObjectInputSchema>(
  schema: S,
  value: unknown,
  root = '',
  kind: 'field' | 'option' = 'field',
): z.output<S> {
  return parseInput(schema, knownFields(schema, value, root, kind), root);
}
