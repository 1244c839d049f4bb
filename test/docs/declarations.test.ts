/**
 * The built declarations compile in a Node project without the DOM lib (`lib: ["ES2023"]`, `types: ["node"]`,
 * `skipLibCheck: false`): a name only lib.dom.d.ts declares (`RequestInfo`) failed such a project's build (TS2552).
 * The orders entries of a database need that driver's types, so they are left out.
 */
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
});
