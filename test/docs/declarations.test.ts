/**
 * The built declarations compile in a Node project without the DOM lib (`lib: ["ES2023"]`, `types: ["node"]`,
 * `skipLibCheck: false`): a name only lib.dom.d.ts declares (`RequestInfo`) failed such a project's build (TS2552).
 * The orders entries of a database need that driver's types, so they are left out.
 *
 * Nor do they import another package's types but zod's: the sandbox's imported hono's, which TS 5.4 cannot
 * read (TS2315 in hono's own files), so `/sandbox` failed such a project's build though nothing of hono is public.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { ENTRIES, formatDiagnostics, requireDist } from './support/typescript.js';

describe('the built declarations', () => {
  it('compile with lib ES2023 and @types/node, without the DOM lib and without skipLibCheck', () => {
    requireDist();
    const entries = ENTRIES.filter((e) => !/^orders-/.test(e.module)).map((e) => e.dts);
    const program = ts.createProgram({
      rootNames: entries,
      options: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.NodeNext, lib: ['lib.es2023.d.ts'], types: ['node'], strict: true, skipLibCheck: false, noEmit: true },
    });
    expect(formatDiagnostics(ts.getPreEmitDiagnostics(program))).toBe('');
  }, 60_000);

  it("import no other package's types but zod's", () => {
    requireDist();
    const dist = dirname(ENTRIES[0]!.dts);
    const files = readdirSync(dist).filter((f) => /\.d\.c?ts$/.test(f));
    expect(files.length).toBeGreaterThan(ENTRIES.length);
    // Declarations and re-exports only, at the start of a line: a JSDoc example's import is no dependency.
    const foreign = files.flatMap((file) =>
      [...readFileSync(join(dist, file), 'utf8').matchAll(/^(?:import|export)\b[^;]*?['"]([^'"]+)['"]/gm)]
        .map((m) => m[1]!)
        .filter((from) => !from.startsWith('.') && !/^zod(\/|$)/.test(from))
        .map((from) => `${file}: ${from}`),
    );
    expect(foreign).toEqual([]);
  });
});
