import { defineConfig } from 'tsup';

// One build, two formats: ESM (.js + .d.ts) and CJS (.cjs + .d.cts), as the
// package.json `exports` map promises. Heavy optional modules (undici, the CLI
// commands) are loaded with dynamic import() at the point of use, so the entry
// stays light; tsup keeps those as separate chunks.
export default defineConfig({
  entry: {
    index: 'src/index.ts',
    testing: 'src/testing/index.ts',
  },
  format: ['esm', 'cjs'],
  dts: true,
  clean: true,
  sourcemap: false,
  splitting: true,
  treeshake: true,
  target: 'node20',
  platform: 'neutral',
  external: ['undici', 'commander', 'picocolors', 'zod'],
  outExtension({ format }) {
    return { js: format === 'cjs' ? '.cjs' : '.js' };
  },
});
