/**
 * Random and mutated inputs for the fuzzing part: a valid sample with a few
 * random edits (delete, insert, replace, duplicate, truncate) finds the
 * parser edges that purely random strings rarely reach.
 */
import fc from 'fast-check';

/** Any string: ASCII, full Unicode graphemes, or raw code points (lone surrogates included). */
export const anyString = (maxLength = 64): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: 'grapheme', maxLength }),
    fc.string({ unit: 'binary', maxLength }),
  );

type Edit = { op: 0 | 1 | 2 | 3 | 4; at: number; text: string };

function apply(base: string, edits: readonly Edit[]): string {
  let s = base;
  for (const e of edits) {
    const at = s.length === 0 ? 0 : e.at % (s.length + 1);
    if (e.op === 0) s = s.slice(0, at) + s.slice(at + 1 + (e.text.length % 4)); // delete 1-4
    else if (e.op === 1) s = s.slice(0, at) + e.text + s.slice(at); // insert
    else if (e.op === 2) s = s.slice(0, at) + e.text + s.slice(at + e.text.length); // overwrite
    else if (e.op === 3) s = s.slice(0, at) + s.slice(at, at + 8) + s.slice(at); // duplicate a run
    else s = s.slice(0, at); // truncate
  }
  return s;
}

/** `base` with 1-4 random edits; the edit text leans on the characters parsers split on. */
export function mutated(base: string): fc.Arbitrary<string> {
  const text = fc.oneof(
    fc.constantFrom(',', '=', ':', ' ', '"', '{', '}', '[', ']', '\\', '\u0000', '\ufeff', 'v1=', 't=', ',v1=', '-1', '1e3', 'null'),
    fc.string({ maxLength: 4 }),
    fc.string({ unit: 'binary', maxLength: 3 }),
  );
  const edit = fc.record({ op: fc.constantFrom<Edit['op']>(0, 1, 2, 3, 4), at: fc.nat(), text });
  return fc.array(edit, { minLength: 1, maxLength: 4 }).map((edits) => apply(base, edits));
}

/** Values of any type, for parameters typed `string` that a JavaScript caller may still fill with anything. */
export const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  fc.anything(),
  fc.constantFrom(null, undefined, NaN, Infinity, -0, 0n, Symbol('x'), () => 'fn', new Date(Number.NaN)),
);
