/**
 * The layering rule of CONTRIBUTING.md as code: reads every import of the
 * given sources with the TypeScript parser and reports cycles, imports against
 * the layer order, and static `node:` imports in runtime-neutral folders.
 *
 * Kept apart from the test so a fixture graph can be fed to the same checker
 * (a check that cannot fail is a defect).
 */
import { builtinModules } from 'node:module';
import { posix } from 'node:path';
import ts from 'typescript';

/**
 * Rank of each top-level entry of `src/`: a module may import only modules of
 * the same or a lower rank. The root `index.ts` is the package entry: it may
 * re-export any library layer, and nothing imports it. Nothing imports the CLI
 * (it has the top rank, and no folder sits above it).
 */
export const LAYERS: Readonly<Record<string, number>> = Object.freeze({
  'version.ts': 0,
  core: 0,
  internal: 1,
  clients: 2,
  webhooks: 2,
  challenges: 2,
  testing: 2,
  readiness: 3,
  sandbox: 3,
  orders: 3,
  devtools: 4,
  init: 4,
  'index.ts': 5,
  cli: 6,
});

/** Folders that must run where only Web Crypto and `fetch` exist. */
export const RUNTIME_NEUTRAL = Object.freeze(['core', 'internal', 'clients', 'webhooks', 'challenges', 'readiness']);

/**
 * The documented crypto / runtime seam: the only runtime-neutral files allowed
 * to reach Node built-ins, and only through `process.getBuiltinModule` or a
 * dynamic `import()`, never a static import.
 */
export const RUNTIME_SEAM = Object.freeze(['src/core/crypto.ts']);

/** One import found in a source file. */
export interface ImportEdge {
  /** Importing file, e.g. `src/clients/merchant.ts`. */
  from: string;
  /** The specifier as written, e.g. `../core/path.js` or `node:http`. */
  specifier: string;
  /** Resolved file for a relative specifier (null for a package or an unresolvable path). */
  to: string | null;
  /** `import type` / `export type` / `typeof import()`: erased at build time. */
  type_only: boolean;
  /** `import()` called at run time (loaded lazily). */
  dynamic: boolean;
  line: number;
}

/** One broken rule. */
export type LayerViolation =
  | { kind: 'cycle'; files: string[] }
  | { kind: 'upward'; edge: ImportEdge; from_layer: string; to_layer: string }
  | { kind: 'unknown_layer'; file: string }
  | { kind: 'unresolved'; edge: ImportEdge }
  | { kind: 'node_import'; edge: ImportEdge };

function isTypeOnlyImport(node: ts.ImportDeclaration): boolean {
  const clause = node.importClause;
  if (!clause) return false;
  if (clause.isTypeOnly) return true;
  if (clause.name) return false;
  const bindings = clause.namedBindings;
  return bindings !== undefined && ts.isNamedImports(bindings) && bindings.elements.length > 0 && bindings.elements.every((e) => e.isTypeOnly);
}

function isTypeOnlyExport(node: ts.ExportDeclaration): boolean {
  if (node.isTypeOnly) return true;
  const clause = node.exportClause;
  return clause !== undefined && ts.isNamedExports(clause) && clause.elements.length > 0 && clause.elements.every((e) => e.isTypeOnly);
}

/** Every import, re-export, `import()` and `typeof import()` of one source text. */
export function readImports(file: string, text: string): Array<Omit<ImportEdge, 'to'>> {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const out: Array<Omit<ImportEdge, 'to'>> = [];
  const add = (node: ts.Node, specifier: ts.Expression | undefined, type_only: boolean, dynamic: boolean) => {
    if (!specifier || !ts.isStringLiteralLike(specifier)) return;
    const line = source.getLineAndCharacterOfPosition(node.getStart(source)).line + 1;
    out.push({ from: file, specifier: specifier.text, type_only, dynamic, line });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node)) add(node, node.moduleSpecifier, isTypeOnlyImport(node), false);
    else if (ts.isExportDeclaration(node)) add(node, node.moduleSpecifier, isTypeOnlyExport(node), false);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference)) {
      add(node, node.moduleReference.expression, node.isTypeOnly, false);
    } else if (ts.isCallExpression(node) && node.expression.kind === ts.SyntaxKind.ImportKeyword) {
      add(node, node.arguments[0], false, true);
    } else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) {
      add(node, node.argument.literal, true, false);
    } else if (
      ts.isCallExpression(node) &&
      ts.isIdentifier(node.expression) &&
      node.expression.text === 'require' &&
      node.arguments.length === 1
    ) {
      add(node, node.arguments[0], false, false);
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return out;
}

/** `src/<top>/…` -> `<top>`; `src/index.ts` -> `index.ts`. */
export function topOf(file: string): string {
  return file.split('/')[1] ?? file;
}

function resolveRelative(from: string, specifier: string, exists: (file: string) => boolean): string | null {
  const base = posix.normalize(posix.join(posix.dirname(from), specifier));
  const stem = base.replace(/\.(c|m)?js$/, '');
  for (const candidate of [`${stem}.ts`, `${stem}.tsx`, `${stem}/index.ts`, base]) {
    if (exists(candidate)) return candidate;
  }
  return null;
}

const NODE_BUILTINS = new Set(builtinModules);

function isNodeBuiltin(specifier: string): boolean {
  return specifier.startsWith('node:') || NODE_BUILTINS.has(specifier.split('/')[0] ?? '');
}

/** Strongly connected components of more than one file (or a file importing itself). */
function cycles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const indices = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  const connect = (v: string) => {
    indices.set(v, index);
    low.set(v, index);
    index += 1;
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!indices.has(w)) {
        connect(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) {
        low.set(v, Math.min(low.get(v)!, indices.get(w)!));
      }
    }
    if (low.get(v) === indices.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1 || (graph.get(v) ?? []).includes(v)) found.push(component.sort());
    }
  };
  for (const v of [...graph.keys()].sort()) if (!indices.has(v)) connect(v);
  return found;
}

/**
 * Checks a set of sources. `files` maps paths (`src/…`, POSIX separators) to
 * their text. Returns every violation, sorted for stable output.
 */
export function checkLayers(files: ReadonlyMap<string, string>): { edges: ImportEdge[]; violations: LayerViolation[] } {
  const exists = (file: string) => files.has(file);
  const edges: ImportEdge[] = [];
  const violations: LayerViolation[] = [];
  const graph = new Map<string, string[]>();
  for (const [file, text] of [...files].sort(([a], [b]) => a.localeCompare(b))) {
    if (LAYERS[topOf(file)] === undefined) violations.push({ kind: 'unknown_layer', file });
    const targets: string[] = [];
    for (const raw of readImports(file, text)) {
      const to = raw.specifier.startsWith('.') ? resolveRelative(file, raw.specifier, exists) : null;
      const edge: ImportEdge = { ...raw, to };
      edges.push(edge);
      if (raw.specifier.startsWith('.') && to === null) violations.push({ kind: 'unresolved', edge });
      if (to !== null) targets.push(to);
    }
    graph.set(file, [...new Set(targets)]);
  }

  for (const edge of edges) {
    const fromTop = topOf(edge.from);
    if (edge.to !== null) {
      const toTop = topOf(edge.to);
      const fromRank = LAYERS[fromTop];
      const toRank = LAYERS[toTop];
      // The entry and the CLI are imported by nobody; every other import goes down or sideways.
      const intoEntry = (toTop === 'index.ts' || toTop === 'cli') && fromTop !== toTop;
      if (fromRank !== undefined && toRank !== undefined && (toRank > fromRank || intoEntry)) {
        violations.push({ kind: 'upward', edge, from_layer: fromTop, to_layer: toTop });
      }
    }
    const neutral = RUNTIME_NEUTRAL.includes(fromTop) && !RUNTIME_SEAM.includes(edge.from);
    if (neutral && isNodeBuiltin(edge.specifier) && !edge.type_only) violations.push({ kind: 'node_import', edge });
  }

  for (const files of cycles(graph)) violations.push({ kind: 'cycle', files });
  return { edges, violations };
}

/** One line per violation, as a person reads it. */
export function describeViolation(v: LayerViolation): string {
  switch (v.kind) {
    case 'cycle':
      return `import cycle: ${v.files.join(' <-> ')}`;
    case 'upward':
      return `${v.edge.from}:${v.edge.line} imports ${v.edge.to} (${v.from_layer} may not import ${v.to_layer})`;
    case 'unknown_layer':
      return `${v.file} is in no layer: add its folder to LAYERS in test/architecture/layers.ts and to CONTRIBUTING.md`;
    case 'unresolved':
      return `${v.edge.from}:${v.edge.line} imports ${v.edge.specifier}, which is not a file in src/`;
    case 'node_import':
      return `${v.edge.from}:${v.edge.line} imports ${v.edge.specifier} statically in a runtime-neutral folder (use the crypto/runtime seam)`;
    default: {
      const never: never = v;
      return never;
    }
  }
}
