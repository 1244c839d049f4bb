import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

export default defineConfig({
  resolve: {
    // The copy-in templates import the published package name; tests resolve
    // it to the sources. Exact-match patterns, so '/testing' never falls
    // through to the main entry.
    alias: [
      // The `#platform` seam (package.json `imports`) as Node resolves it.
      { find: /^#platform$/, replacement: here('./src/core/platform/node.ts') },
      { find: /^@siglume\/direct-request-payment\/testing$/, replacement: here('./src/testing/index.ts') },
      { find: /^@siglume\/direct-request-payment\/sandbox$/, replacement: here('./src/sandbox/index.ts') },
      { find: /^@siglume\/direct-request-payment\/orders$/, replacement: here('./src/orders/index.ts') },
      { find: /^@siglume\/direct-request-payment\/orders\/postgres$/, replacement: here('./src/orders/postgres/index.ts') },
      { find: /^@siglume\/direct-request-payment\/orders\/mysql$/, replacement: here('./src/orders/mysql/index.ts') },
      { find: /^@siglume\/direct-request-payment\/orders\/sqlite$/, replacement: here('./src/orders/sqlite/index.ts') },
      { find: /^@siglume\/direct-request-payment\/orders\/sql$/, replacement: here('./src/orders/sql/index.ts') },
      { find: /^@siglume\/direct-request-payment$/, replacement: here('./src/index.ts') },
    ],
  },
  test: {
    include: ['test/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    // The JSON report lets .ci/run print a plain "N passed, N failed" closing line.
    reporters: ['default', 'json'],
    outputFile: { json: '.tmp/vitest-report.json' },
  },
});
