import { defineConfig, type Options } from 'tsup';

// Library entries ship as ESM (.js + .d.ts) and CJS (.cjs + .d.cts), as the
// package.json `exports` map promises. The CLI is ESM (bin/siglume-sdrp.cjs
// imports it) apart from `cli-fast.cjs`, which answers --help / --version
// before any ES module loads; neither needs type declarations.
//
// - `zod/mini` (and `zod/v4/core`, the files it is built on) is bundled and
//   tree-shaken: a worker or edge bundle then carries only the few KB of zod
//   the schemas use, and Node does not walk zod's ~70-module graph at import
//   time. Nothing imports classic `zod` any more (the sandbox moved to
//   zod/mini too); `zod` stays a dependency only because the `.d.ts` files
//   name zod/mini types.
// - `#platform` stays an import resolved by the consumer through package.json
//   `imports`: `platform-node` (lazy undici) under the `node` condition,
//   `platform-web` (global fetch) under workerd / edge-light / worker /
//   browser, so non-Node bundlers never see undici.
// - undici and each CLI command are loaded with dynamic import() at the point
//   of use, so importing the package entry or printing --help stays light.
// The two builds run concurrently, so neither cleans: `npm run build` empties
// dist/ first.
const shared: Options = {
  target: 'node20',
  platform: 'node',
  splitting: true,
  treeshake: true,
  sourcemap: false,
  external: ['undici', 'commander', 'picocolors', 'pg', 'mysql2', 'better-sqlite3', 'hono', '@hono/node-server', '#platform'],
  noExternal: [/^zod\/mini$/, /^zod\/v4\/core$/],
};

export default defineConfig([
  {
    ...shared,
    entry: {
      index: 'src/index.ts',
      webhooks: 'src/webhooks/index.ts',
      testing: 'src/testing/index.ts',
      sandbox: 'src/sandbox/index.ts',
      orders: 'src/orders/index.ts',
      'orders-postgres': 'src/orders/postgres/index.ts',
      'orders-mysql': 'src/orders/mysql/index.ts',
      'orders-sqlite': 'src/orders/sqlite/index.ts',
      'orders-sql': 'src/orders/sql/index.ts',
    },
    format: ['esm', 'cjs'],
    dts: true,
    clean: false,
    outExtension: ({ format }) => ({ js: format === 'cjs' ? '.cjs' : '.js' }),
  },
  {
    // The two sides of the `#platform` seam: self-contained, no shared chunks.
    ...shared,
    entry: { 'platform-node': 'src/core/platform/node.ts', 'platform-web': 'src/core/platform/web.ts' },
    format: ['esm', 'cjs'],
    splitting: false,
    dts: false,
    clean: false,
    outExtension: ({ format }) => ({ js: format === 'cjs' ? '.cjs' : '.js' }),
  },
  {
    // What the bin requires first (--help / --version): one CommonJS file, no chunks.
    ...shared,
    entry: { 'cli-fast': 'src/cli/fast.ts' },
    format: ['cjs'],
    splitting: false,
    dts: false,
    clean: false,
    outExtension: () => ({ js: '.cjs' }),
  },
  {
    ...shared,
    entry: { cli: 'src/cli/entry.ts' },
    format: ['esm'],
    dts: false,
    clean: false,
    outExtension: () => ({ js: '.js' }),
  },
]);
