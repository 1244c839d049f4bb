import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { checkLayers, describeViolation, readImports, type LayerViolation } from './layers.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));

/** Every .ts file under src/, keyed `src/…` with POSIX separators. */
function sources(): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.name.endsWith('.ts')) files.set(relative(ROOT, full).split(sep).join('/'), readFileSync(full, 'utf8'));
    }
  };
  walk(join(ROOT, 'src'));
  return files;
}

const kinds = (violations: LayerViolation[]) => violations.map((v) => v.kind).sort();

describe('the layering of src/', () => {
  describe('when every import in the package is read', () => {
    const { edges, violations } = checkLayers(sources());

    it('finds the imports (a parser that reads nothing would pass anything)', () => {
      expect(edges.length).toBeGreaterThan(300);
      expect(edges.some((e) => e.dynamic)).toBe(true);
      expect(edges.some((e) => e.from === 'src/index.ts' && e.specifier.startsWith('./readiness/'))).toBe(true);
    });

    it('reports no cycle, no upward import and no static node: import in a runtime-neutral folder', () => {
      expect(violations.map(describeViolation)).toEqual([]);
    });
  });

  describe('when fed a fixture graph that breaks the rules', () => {
    const fixture = new Map<string, string>([
      // A cycle between two clients, one side through a type-only import.
      ['src/clients/a.ts', "import { b } from './b.js';\nexport const a = 1;"],
      ['src/clients/b.ts', "import type { a } from './a.js';\nexport const b = 2;"],
      // The core reaching up into a client, through a re-export.
      ['src/core/low.ts', "export { a } from '../clients/a.js';"],
      // Readiness importing the CLI lazily, and node:http statically.
      ['src/readiness/engine.ts', "import { createServer } from 'node:http';\nexport const load = () => import('../cli/main.js');"],
      ['src/cli/main.ts', 'export const main = 1;'],
      // Allowed: a type-only node: import, and a lazy import down the layers.
      ['src/webhooks/ok.ts', "import type { Server } from 'node:http';\nexport const core = () => import('../core/low.js');"],
      ['src/unknown/x.ts', 'export {};'],
    ]);
    const { violations } = checkLayers(fixture);

    it('reports the cycle with both files', () => {
      expect(violations).toContainEqual({ kind: 'cycle', files: ['src/clients/a.ts', 'src/clients/b.ts'] });
    });

    it('reports the upward re-export and the lazy import of the CLI', () => {
      const upward = violations.filter((v) => v.kind === 'upward').map(describeViolation);
      expect(upward).toEqual([
        'src/core/low.ts:1 imports src/clients/a.ts (core may not import clients)',
        'src/readiness/engine.ts:2 imports src/cli/main.ts (readiness may not import cli)',
      ]);
    });

    it('reports the static node: import in a runtime-neutral folder, not the type-only one', () => {
      const node = violations.filter((v) => v.kind === 'node_import').map(describeViolation);
      expect(node).toEqual([expect.stringContaining('src/readiness/engine.ts:1 imports node:http statically')]);
    });

    it('reports a folder that belongs to no layer, and nothing else', () => {
      expect(kinds(violations)).toEqual(['cycle', 'node_import', 'unknown_layer', 'upward', 'upward']);
    });
  });

  describe('when reading the imports of one file', () => {
    it('sees static, type-only, re-exported, dynamic and typeof-import specifiers', () => {
      const found = readImports(
        'src/x.ts',
        [
          "import a from './a.js';",
          "import type { B } from './b.js';",
          "import { type C } from './c.js';",
          "export * from './d.js';",
          "export type { E } from './e.js';",
          "const f = await import('./f.js');",
          "type G = typeof import('./g.js');",
        ].join('\n'),
      );
      expect(found.map((e) => [e.specifier, e.type_only, e.dynamic])).toEqual([
        ['./a.js', false, false],
        ['./b.js', true, false],
        ['./c.js', true, false],
        ['./d.js', false, false],
        ['./e.js', true, false],
        ['./f.js', false, true],
        ['./g.js', true, false],
      ]);
    });
  });
});
