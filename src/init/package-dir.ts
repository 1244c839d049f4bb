/**
 * Where this package is installed: the nearest ancestor of the running
 * module that holds this package's package.json. Works from `dist/` (ESM and
 * CJS) and from `src/`. The templates and the docs ship next to it.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The published package name. */
export const PACKAGE_NAME = '@siglume/direct-request-payment';

/** Where the source lives; docs not found in the installed package are linked here. */
export const REPOSITORY_URL = 'https://github.com/siglume/direct-request-payment-js';

function moduleDir(): string {
  try {
    return dirname(fileURLToPath(import.meta.url));
  } catch {
    // The CommonJS build has no import.meta; it has __dirname instead.
    return typeof __dirname === 'string' ? __dirname : process.cwd();
  }
}

/** The installed package's root directory, or null when it cannot be found. */
export function packageDir(): string | null {
  let dir = moduleDir();
  for (let i = 0; i < 8; i++) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === PACKAGE_NAME) return dir;
      } catch {
        // Not our package.json; keep walking up.
      }
    }
    const parent = dirname(dir);
    if (parent === dir) break;
    dir = parent;
  }
  return null;
}

/**
 * Where to read a shipped guide, e.g. `docPath('sandbox.md')`: its absolute
 * path in the installed package (the docs of exactly this version), else its
 * URL in the repository.
 */
export function docPath(name: string): string {
  const root = packageDir();
  const local = root === null ? null : join(root, 'docs', name);
  return local !== null && existsSync(local) ? local : `${REPOSITORY_URL}/blob/main/docs/${name}`;
}
