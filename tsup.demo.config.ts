import { defineConfig, type Options } from 'tsup';
import base from './tsup.config';

// `npm run demo` only: the same bundles as `npm run build`, JavaScript only.
// The type declarations (most of a full build's time) and the rollup
// tree-shaking pass are skipped and tsup is silent, so a fresh clone goes from
// `npm ci` to the readiness report in a few seconds with nothing printed
// before it. `npm run build` and `npm pack` still use tsup.config.ts.
export default defineConfig(async (flags) => {
  const resolved = typeof base === 'function' ? await base(flags) : base;
  return ([] as Options[]).concat(resolved).map((options) => ({ ...options, dts: false, treeshake: false, silent: true }));
});
