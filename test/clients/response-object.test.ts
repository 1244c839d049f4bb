/**
 * Responses keep every field the SDK does not type (the API may be newer than
 * the SDK): `responseObject` must behave exactly like `z.looseObject`.
 */
import { describe, expect, it } from 'vitest';
import * as z from 'zod/mini';
import { arrayOrItemsSchema, optionalString, requiredResponseString, responseObject } from '../../src/clients/schemas/common.js';

const shape = () => ({ id: requiredResponseString(), status: optionalString(), nested: z.optional(responseObject({ n: z.number() })) });

describe('responseObject', () => {
  it.each([
    { id: 'a', future: { x: 1 }, status: 'open', list: [1, 2] },
    { later: true, id: 'b', nested: { n: 1, extra: 'kept' } },
    { id: 'c', status: null },
  ])('returns what z.looseObject returns for %j, fields in the order the API sent them', (input) => {
    const fast = z.safeParse(responseObject(shape()), input);
    const loose = z.safeParse(z.looseObject({ ...shape(), nested: z.optional(z.looseObject({ n: z.number() })) }), input);
    expect(fast.success).toBe(true);
    expect(fast.data).toStrictEqual(loose.data);
    expect(Object.keys(fast.data!)).toEqual(Object.keys(input));
  });

  it('adds fields the schema fills in (defaults, transforms) after the ones sent', () => {
    const schema = responseObject({ id: requiredResponseString(), cursor: z.pipe(z.nullish(z.string()), z.transform((v: string | null | undefined) => v ?? null)) });
    const out = z.parse(schema, { x: 1, id: 'a' });
    expect(out).toStrictEqual({ x: 1, id: 'a', cursor: null });
    expect(Object.keys(out)).toEqual(['x', 'id', 'cursor']);
  });

  it('still checks the fields it names, with the same issue path', () => {
    const result = z.safeParse(responseObject(shape()), { id: 'a', nested: { n: 'one', extra: 1 } });
    expect(result.success).toBe(false);
    expect(result.error!.issues[0]!.path).toEqual(['nested', 'n']);
  });

  it('never copies __proto__ and never shares the input object', () => {
    const input = JSON.parse('{"id":"a","__proto__":{"polluted":true},"x":1}') as Record<string, unknown>;
    const out = z.parse(responseObject(shape()), input) as Record<string, unknown>;
    expect(out).not.toBe(input);
    expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
    expect(Object.keys(out)).toEqual(['id', 'x']);
  });

  it('keeps unknown fields of list items answered as { items }', () => {
    const list = arrayOrItemsSchema(responseObject(shape()));
    expect(z.parse(list, { items: [{ id: 'a', future: 1 }] })).toEqual([{ id: 'a', future: 1 }]);
  });
});
