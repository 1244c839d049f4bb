/**
 * Building blocks shared by the client schemas: strict input objects, URL
 * rules that depend on the client's base URL, and lenient response pieces.
 *
 * Inputs are strict (an unknown key such as `webhookUrl` is an error rather
 * than a silently ignored option). Responses are loose: unknown fields pass
 * through untouched, and only the fields the SDK or a merchant relies on are
 * checked.
 */
import { z } from 'zod';
import { absoluteUrlSchema } from '../../core/validation.js';

/**
 * A strict input object whose "unknown key" message lists the offending keys,
 * e.g. `unknown option "webhook_url"`.
 */
export function strictInput<Shape extends z.ZodRawShape>(shape: Shape) {
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'invalid_type') return 'must be an object';
      if (issue.code === 'unrecognized_keys') {
        return `unknown option${issue.keys.length > 1 ? 's' : ''} ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
      }
      return undefined;
    },
  });
}

/** An optional boolean input. */
export const booleanInput = z.boolean({ error: 'must be true or false' });

/** A positive, finite number of seconds (fractions allowed, e.g. a 0.5 s poll interval). */
export const positiveSecondsInput = z.custom<number>(
  (v) => typeof v === 'number' && Number.isFinite(v) && v > 0,
  { error: 'must be a positive number of seconds' },
);

/**
 * Where Hosted Checkout sends the buyer back (success / cancel URL): https,
 * or http on localhost / 127.0.0.1 / [::1] regardless of the base URL, since
 * shops run on localhost during development. The buyer's browser follows
 * this URL, so a loopback address only ever points at the buyer's own machine.
 */
export const returnUrlSchema = absoluteUrlSchema(true);

/** A string field of a response that may be absent or null. */
export const optionalString = z.string().nullish();

/** A numeric field of a response that may be absent or null. */
export const optionalNumber = z.number().nullish();

/** A non-empty string the SDK relies on in a response. */
export const requiredResponseString = z
  .string({ error: 'must be a non-empty string' })
  .min(1, { error: 'must be a non-empty string' });

/**
 * A minor-unit amount in a statement: a decimal string such as `"4200"` or
 * `"0.2"` (Nano fees are below one minor unit). A JSON number is accepted and
 * turned into its decimal string, so callers always get a string.
 */
export const decimalAmountSchema = z.union(
  [
    z.string().regex(/^-?\d+(\.\d+)?$/),
    z
      .number()
      .refine((n) => Number.isFinite(n))
      .transform((n) => String(n)),
  ],
  { error: 'must be a decimal string amount' },
);

/** An optional decimal-string amount. */
export const optionalDecimalAmount = decimalAmountSchema.nullish();

function unwrapItems(value: unknown): unknown {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const items = (value as { items?: unknown }).items;
    if (Array.isArray(items)) return items;
  }
  return value;
}

/**
 * A list answered either as a bare array or as `{ items: [...] }`; both come
 * back as an array.
 */
export function arrayOrItemsSchema<Item extends z.ZodType>(item: Item) {
  return z.preprocess(unwrapItems, z.array(item, { error: 'must be an array (or an object with an items array)' }));
}

/**
 * A paginated statement list: `{ items, next_cursor }`. `next_cursor` is
 * `null` on the last page (also when the server leaves it out).
 */
export function pageSchema<Item extends z.ZodType>(item: Item) {
  return z.looseObject({
    items: z.array(item, { error: 'must be an array' }),
    next_cursor: z
      .string()
      .nullish()
      .transform((v) => v ?? null),
  });
}
