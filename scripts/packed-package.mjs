/**
 * The package as a merchant installs it, for the runtime tests and the bench:
 * `npm pack` the built tree, `npm install` the tarball into a fresh project
 * in the OS temp directory (outside this repository, so no tsconfig `paths`
 * or parent node_modules can stand in for it), and bundle worker code from
 * there with esbuild the way wrangler does: `--platform=browser`, conditions
 * `workerd, worker, browser`, no externals.
 *
 * Installs are cached per tarball digest, so the test files of one run (and
 * a bench run after them) share one install; concurrent callers each build
 * in a private directory and the first rename wins.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gzipSync } from 'node:zlib';

const run = promisify(execFile);
const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';

/** The conditions wrangler (workerd) resolves with; Vercel's edge adds `edge-light`. */
export const WORKER_CONDITIONS = ['workerd', 'worker', 'browser'];

/**
 * Packs `root` (dist/ must be built) and installs the tarball into a fresh
 * consumer project. Returns the project directory, the installed package
 * directory and the tarball path.
 *
 * @param {string} root repository root
 * @returns {Promise<{ consumerDir: string, packageDir: string, tarball: string, name: string }>}
 */
export async function packedPackage(root) {
  if (!existsSync(join(root, 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  const packDir = mkdtempSync(join(tmpdir(), 'sdrp-pack-'));
  // --ignore-scripts: dist/ is already built; rebuilding here would race other suites that read it.
  const { stdout } = await run(npm, ['pack', '--json', '--ignore-scripts', '--pack-destination', packDir], {
    cwd: root,
    maxBuffer: 16 << 20,
  });
  const { filename } = JSON.parse(stdout)[0];
  const packed = join(packDir, filename);
  const digest = createHash('sha256').update(readFileSync(packed)).digest('hex').slice(0, 16);
  const consumerDir = join(tmpdir(), `sdrp-consumer-${digest}`);
  const packageDir = join(consumerDir, 'node_modules', ...pkg.name.split('/'));
  const tarball = join(consumerDir, filename);
  if (!existsSync(join(consumerDir, '.ready'))) {
    const work = mkdtempSync(join(tmpdir(), `sdrp-consumer-${digest}-`));
    renameSync(packed, join(work, filename));
    writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'sdrp-consumer', private: true, type: 'module' }));
    // An empty tsconfig stops bundlers from looking further up for one.
    writeFileSync(join(work, 'tsconfig.json'), '{}\n');
    await run(npm, ['install', '--no-audit', '--no-fund', '--prefer-offline', '--no-package-lock', join(work, filename)], {
      cwd: work,
      maxBuffer: 16 << 20,
    });
    writeFileSync(join(work, '.ready'), digest);
    try {
      renameSync(work, consumerDir);
    } catch {
      // Another process installed the same tarball first; use theirs.
      rmSync(work, { recursive: true, force: true });
    }
  }
  rmSync(packDir, { recursive: true, force: true });
  return { consumerDir, packageDir, tarball, name: pkg.name };
}

/**
 * Bundles worker code that imports the package, as a worker would be
 * bundled: esbuild, `--bundle --minify --platform=browser --format=esm`, the
 * given conditions, no externals. The files are written to a private
 * directory inside `consumerDir` (so the installed package resolves) and
 * removed afterwards. Throws with esbuild's messages when the bundle does not
 * build (e.g. a `node:` import is reached).
 *
 * @param {string} consumerDir directory the package is installed in
 * @param {{ files: Record<string, string>, entry: string }} source file name -> source, and the entry's name
 * @param {{ conditions?: string[], minify?: boolean, format?: 'esm' | 'iife', nodePaths?: string[] }} [options]
 *   nodePaths: extra directories to resolve other packages from (e.g. hono from this repo's node_modules)
 * @returns {Promise<{ code: string, bytes: number, gzipBytes: number, inputs: Record<string, number> }>}
 */
export async function bundleWorker(consumerDir, source, options = {}) {
  const esbuild = await import('esbuild');
  const dir = mkdtempSync(join(consumerDir, 'bundle-'));
  try {
    for (const [name, text] of Object.entries(source.files)) writeFileSync(join(dir, name), text);
    const result = await esbuild.build({
      entryPoints: [join(dir, source.entry)],
      absWorkingDir: dir,
      bundle: true,
      write: false,
      minify: options.minify ?? true,
      platform: 'browser',
      format: options.format ?? 'esm',
      target: 'es2022',
      conditions: options.conditions ?? WORKER_CONDITIONS,
      nodePaths: options.nodePaths ?? [],
      metafile: true,
      logLevel: 'silent',
    });
    const code = result.outputFiles[0].text;
    const output = Object.values(result.metafile.outputs)[0];
    const inputs = Object.fromEntries(Object.entries(output.inputs).map(([k, v]) => [k, v.bytesInOutput]));
    return { code, bytes: Buffer.byteLength(code), gzipBytes: gzipSync(code, { level: 9 }).length, inputs };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
