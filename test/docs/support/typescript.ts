/**
 * The TypeScript compiler API for the doc checks: the package's built
 * declarations (what a merchant compiles against), their exported names and
 * error classes, and diagnostics formatted for a test failure.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { root } from './markdown.js';

/** The package's public entries and their built declarations. */
export const ENTRIES = [
  { specifier: '@siglume/direct-request-payment', module: 'main', dts: join(root, 'dist/index.d.ts') },
  { specifier: '@siglume/direct-request-payment/webhooks', module: 'webhooks', dts: join(root, 'dist/webhooks.d.ts') },
  { specifier: '@siglume/direct-request-payment/testing', module: 'testing', dts: join(root, 'dist/testing.d.ts') },
  { specifier: '@siglume/direct-request-payment/sandbox', module: 'sandbox', dts: join(root, 'dist/sandbox.d.ts') },
  { specifier: '@siglume/direct-request-payment/orders', module: 'orders', dts: join(root, 'dist/orders.d.ts') },
  { specifier: '@siglume/direct-request-payment/orders/postgres', module: 'orders-postgres', dts: join(root, 'dist/orders-postgres.d.ts') },
  { specifier: '@siglume/direct-request-payment/orders/mysql', module: 'orders-mysql', dts: join(root, 'dist/orders-mysql.d.ts') },
  { specifier: '@siglume/direct-request-payment/orders/sqlite', module: 'orders-sqlite', dts: join(root, 'dist/orders-sqlite.d.ts') },
  { specifier: '@siglume/direct-request-payment/orders/sql', module: 'orders-sql', dts: join(root, 'dist/orders-sql.d.ts') },
] as const;

/** Throws a clear error when the build the doc checks compile against is missing. */
export function requireDist(): void {
  const missing = ENTRIES.filter((e) => !existsSync(e.dts)).map((e) => e.dts.slice(root.length + 1));
  if (missing.length > 0) {
    throw new Error(`dist/ is missing ${missing.join(', ')}: run \`npm run build\` first (npm test does it through pretest).`);
  }
}

/** `paths` mapping every package specifier to its built declarations. */
export function packagePaths(): Record<string, string[]> {
  return Object.fromEntries(ENTRIES.map((e) => [e.specifier, [e.dts]]));
}

/** Diagnostics as `file:line:col message`, one per line. */
export function formatDiagnostics(diagnostics: readonly ts.Diagnostic[], mapFile?: (file: string, line: number) => string): string {
  return diagnostics
    .map((d) => {
      const message = ts.flattenDiagnosticMessageText(d.messageText, '\n');
      if (!d.file || d.start === undefined) return message;
      const { line, character } = d.file.getLineAndCharacterOfPosition(d.start);
      const where = mapFile ? mapFile(d.file.fileName, line) : `${d.file.fileName}:${line + 1}`;
      return `${where}:${character + 1} ${message}`;
    })
    .join('\n');
}

/** One exported name of an entry, and whether it is an Error subclass. */
export interface ExportedName {
  entry: (typeof ENTRIES)[number];
  name: string;
  isErrorClass: boolean;
}

function extendsError(type: ts.Type, checker: ts.TypeChecker, depth = 0): boolean {
  if (depth > 20) return false;
  for (const base of checker.getBaseTypes(type as ts.InterfaceType) ?? []) {
    if (base.symbol?.name === 'Error') return true;
    if (extendsError(base, checker, depth + 1)) return true;
  }
  return false;
}

/** Every name exported by the built entries, read with the type checker. */
export function exportedNames(): ExportedName[] {
  const program = ts.createProgram({
    rootNames: ENTRIES.map((e) => e.dts),
    options: { target: ts.ScriptTarget.ES2022, module: ts.ModuleKind.ESNext, skipLibCheck: true, noEmit: true, types: ['node'] },
  });
  const checker = program.getTypeChecker();
  const out: ExportedName[] = [];
  for (const entry of ENTRIES) {
    const source = program.getSourceFile(entry.dts);
    const moduleSymbol = source && checker.getSymbolAtLocation(source);
    if (!moduleSymbol) throw new Error(`Cannot read the exports of ${entry.dts}`);
    for (const symbol of checker.getExportsOfModule(moduleSymbol)) {
      const target = symbol.flags & ts.SymbolFlags.Alias ? checker.getAliasedSymbol(symbol) : symbol;
      const isClass = (target.flags & ts.SymbolFlags.Class) !== 0;
      const isErrorClass = isClass && extendsError(checker.getDeclaredTypeOfSymbol(target), checker);
      out.push({ entry, name: symbol.name, isErrorClass });
    }
  }
  return out;
}
