/**
 * Building blocks shared by the client schemas: strict input objects, URL
 * rules that depend on the client's base URL, and lenient response pieces.
 *
 * Input schemas are strict (the sandbox answers 422 for an unknown body
 * key); the clients read only the keys a schema knows and drop the rest, as
 * 0.4.20 did (see `known-fields.ts`). Responses are loose: unknown fields
 * pass through untouched, and only the fields the SDK or a merchant relies on
 * are checked.
 */
import * as z from 'zod/mini';
// Imported by name: reading `z.core.$constructor` off the namespace would make
// bundlers keep all of zod's core.
import { $constructor } from 'zod/v4/core';
import { suggestKey } from '../../core/errors.js';
import { absoluteUrlSchema } from '../../core/validation.js';

/**
 * Defers building a schema to its first use, then keeps it. The clients hold
 * about a hundred schemas; building them all when the package is imported
 * would cost every process that imports it (and every serverless cold start)
 * several milliseconds, for schemas most never use.
 *
 * @example
 * export const sessionSchema = lazySchema(() => responseObject({ ... }));
 * z.safeParse(sessionSchema(), value);
 */
export function lazySchema<S>(build: () => S): () => S {
  let schema: S | undefined;
  return () => (schema ??= build());
}

/**
 * {@link lazySchema} for a schema that depends on whether the client talks to
 * a loopback base URL (the local sandbox), which allows plain-http URLs.
 */
export function lazyLoopbackSchema<S>(build: (allowLoopbackHttp: boolean) => S): (allowLoopbackHttp: boolean) => S {
  let strict: S | undefined;
  let loopback: S | undefined;
  return (allowLoopbackHttp) => (allowLoopbackHttp ? (loopback ??= build(true)) : (strict ??= build(false)));
}

/** How {@link strictInput} names an unknown key, and the old names it recognises. */
export interface StrictInputOptions {
  /**
   * `field` for data the call sends (`unknown field "note"`), `option` for a
   * bag that configures the SDK (`unknown option "baseUrl"`).
   * @default 'field'
   */
  kind?: 'field' | 'option';
  /** Old names of renamed keys, old -> new, for a "did you mean" hint the snake_case rule cannot find (`token` -> `merchant_token`). */
  renamed?: Readonly<Record<string, string>>;
}

/**
 * A strict input object whose "unknown key" message lists the offending keys,
 * with the name each probably meant, e.g.
 * `unknown option "baseUrl" (did you mean "base_url"?)`. {@link parseInput}
 * reports the first unknown key as the error's `field`.
 */
export function strictInput<Shape extends z.core.$ZodShape>(shape: Shape, options: StrictInputOptions = {}) {
  const kind = options.kind ?? 'field';
  const known = Object.keys(shape);
  return z.strictObject(shape, {
    error: (issue) => {
      if (issue.code === 'invalid_type') return 'must be an object';
      if (issue.code === 'unrecognized_keys') {
        const keys = issue.keys.map((k) => {
          const hint = suggestKey(k, known, options.renamed);
          return hint === undefined ? `"${k}"` : `"${k}" (did you mean "${hint}"?)`;
        });
        return `unknown ${kind}${keys.length > 1 ? 's' : ''} ${keys.join(', ')}`;
      }
      return undefined;
    },
  });
}

/**
 * A response object: the fields in `shape` are checked, every other field is
 * passed through untouched, as `z.looseObject(shape)` would do (and typed as
 * one). zod's loose object runs a catch-all schema for each field it does not
 * know and adds each to a fresh object one by one, which for an API answer
 * with twenty-odd fields costs more than parsing the JSON; here the shape is
 * checked in strip mode and the result is laid over a copy of the input, so
 * fields keep the order the API sent them in (new ones from defaults last).
 */
export function responseObject<Shape extends z.core.$ZodShape>(shape: Shape): z.ZodMiniObject<Shape, z.core.$loose> {
  return new PassThroughObject({ type: 'object', shape }) as unknown as z.ZodMiniObject<Shape, z.core.$loose>;
}

// A zod/mini object in strip mode whose parse then lays its output over a
// copy of the input. `__proto__` is never carried over, as in zod.
const PassThroughObject = /* @__PURE__ */ $constructor(
  'ZodMiniPassThroughObject',
  (inst: z.core.$ZodObject, def: z.core.$ZodObjectDef) => {
    const base: $constructor<z.ZodMiniObject> = z.ZodMiniObject;
    base.init(inst as z.ZodMiniObject, def);
    const strip = inst._zod.parse;
    inst._zod.parse = (payload, ctx) => {
      const input = payload.value;
      const result = strip(payload, ctx) as z.core.ParsePayload;
      const output = result.value;
      if (result.issues.length === 0 && isRecord(input) && isRecord(output)) {
        const merged: Record<string, unknown> = { ...input, ...output };
        if (Object.prototype.hasOwnProperty.call(input, '__proto__')) delete merged['__proto__'];
        result.value = merged;
      }
      return result;
    };
  },
);

function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** An optional boolean input. */
export const booleanInput = /* @__PURE__ */ lazySchema(() => z.boolean({ error: 'must be true or false' }));

/** A positive, finite number of seconds (fractions allowed, e.g. a 0.5 s poll interval). */
export const positiveSecondsInput = /* @__PURE__ */ lazySchema(() =>
  z.custom<number>((v) => typeof v === 'number' && Number.isFinite(v) && v > 0, {
    error: 'must be a positive number of seconds',
  }),
);

/** A non-empty string input of at most `max` characters, optionally trimmed first. */
export function textInput(max: number, options: { trim?: boolean } = {}) {
  const length = [
    z.minLength(1, { error: 'must not be empty' }),
    z.maxLength(max, { error: `must be at most ${max} characters` }),
  ] as const;
  return z.string({ error: 'must be a string' }).check(...(options.trim ? [z.trim(), ...length] : length));
}

/**
 * Where Hosted Checkout sends the buyer back (success / cancel URL): https,
 * or http on localhost / 127.0.0.1 / [::1] regardless of the base URL, since
 * shops run on localhost during development. The buyer's browser follows
 * this URL, so a loopback address only ever points at the buyer's own machine.
 */
export const returnUrlSchema = /* @__PURE__ */ lazySchema(() => absoluteUrlSchema(true));

/** A string field of a response that may be absent or null. */
export const optionalString = /* @__PURE__ */ lazySchema(() => z.nullish(z.string()));

/** A numeric field of a response that may be absent or null. */
export const optionalNumber = /* @__PURE__ */ lazySchema(() => z.nullish(z.number()));

/** A boolean field of a response that may be absent or null. */
export const optionalBoolean = /* @__PURE__ */ lazySchema(() => z.nullish(z.boolean()));

/** A non-empty string the SDK relies on in a response. */
export const requiredResponseString = /* @__PURE__ */ lazySchema(() =>
  z.string({ error: 'must be a non-empty string' }).check(z.minLength(1, { error: 'must be a non-empty string' })),
);

const DECIMAL = /^-?\d+(\.\d+)?$/;

/**
 * `n` as a plain decimal string, or null when it has none exactly: a small
 * fraction JavaScript writes with an exponent (`1.5e-7`) is spelled out
 * (`0.00000015`); an integer past 2^53 (parsing already rounded it) or one of
 * 1e21 and more (`1e+21`) has none.
 */
function decimalOf(n: number): string | null {
  if (!Number.isFinite(n) || (Number.isInteger(n) && !Number.isSafeInteger(n))) return null;
  const text = String(n);
  const small = /^(-?)(\d)(?:\.(\d+))?e-(\d+)$/.exec(text);
  if (small) return `${small[1]}0.${'0'.repeat(Number(small[4]) - 1)}${small[2]}${small[3] ?? ''}`;
  return DECIMAL.test(text) ? text : null;
}

/**
 * A minor-unit amount in a statement: a decimal string such as `"4200"` or
 * `"0.2"` (Nano fees are below one minor unit). A JSON number is accepted and
 * turned into its decimal string (`1.5e-7` into `"0.00000015"`), so callers
 * always get a string; a number that has no exact decimal string (`1e21`, an
 * integer past 2^53 that parsing already rounded) is refused rather than
 * passed on changed.
 */
export const decimalAmountSchema = /* @__PURE__ */ lazySchema(() =>
  z.union(
    [
      z.string().check(z.regex(DECIMAL)),
      z.pipe(
        z.number().check(z.refine((n) => decimalOf(n) !== null)),
        z.transform((n: number) => decimalOf(n)!),
      ),
    ],
    { error: 'must be a decimal string amount' },
  ),
);

/** An optional decimal-string amount. */
export const optionalDecimalAmount = /* @__PURE__ */ lazySchema(() => z.nullish(decimalAmountSchema()));

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
export function arrayOrItemsSchema<Item extends z.core.SomeType>(item: Item) {
  return z.pipe(
    z.transform(unwrapItems),
    z.array(item, { error: 'must be an array (or an object with an items array)' }),
  );
}

/**
 * A paginated statement list: `{ items, next_cursor }`. `next_cursor` is
 * `null` on the last page (also when the server leaves it out).
 */
export function pageSchema<Item extends z.core.SomeType>(item: Item) {
  return responseObject({
    items: z.array(item, { error: 'must be an array' }),
    next_cursor: z.pipe(
      z.nullish(z.string()),
      z.transform((v: string | null | undefined) => v ?? null),
    ),
  });
}
