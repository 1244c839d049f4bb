import { defineConfig, type Options } from 'tsup';

// Library entries ship as ESM (.js + .d.ts) and CJS (.cjs + .d.cts), as the
// package.json `exports` map promises. The CLI is ESM only (bin/siglume-sdrp.mjs
// imports it) and needs no type declarations. Runtime dependencies stay
// external; undici and each CLI command are loaded with dynamic import() at the
// point of use, so importing the package entry or printing --help stays light.
// The two builds run concurrently, so neither cleans: `npm run build` empties
// dist/ first.
const shared: Options = {
  target: 'node20',
  platform: 'node',
  splitting: true,
  treeshake: true,
  sourcemap: false,
  external: ['undici', 'commander', 'picocolors', 'zod', 'pg', 'mysql2', 'better-sqlite3'],
};

export default defineConfig([
  {
    ...shared,
    entry: {
      index: 'src/index.ts',
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
    ...shared,
    entry: { cli: 'src/cli/entry.ts' },
    format: ['esm'],
    dts: false,
    clean: false,
    outExtension: () => ({ js: '.js' }),
  },
]);
