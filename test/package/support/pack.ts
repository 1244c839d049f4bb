/**
 * Packs the built tree with `npm pack` and installs the tarball into a fresh
 * temporary project, as a merchant would. Needs `dist/` (npm test builds it
 * first through the `pretest` script).
 */
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';

export const run = promisify(execFile);
export const root = resolve(__dirname, '../../..');
export const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { version: string; name: string };

/** Packs the package and installs it into a new temporary project; returns the project directory. */
export async function packAndInstall(prefix: string, consumer: Record<string, unknown> = { type: 'module' }): Promise<string> {
  if (!existsSync(join(root, 'dist/index.js'))) throw new Error('dist/ is missing: run `npm run build` first');
  const work = mkdtempSync(join(tmpdir(), prefix));
  // --ignore-scripts: dist/ is already built; rebuilding here would race other suites that read it.
  const { stdout } = await run('npm', ['pack', '--json', '--ignore-scripts', '--pack-destination', work], { cwd: root });
  const { filename } = (JSON.parse(stdout) as Array<{ filename: string }>)[0]!;
  writeFileSync(join(work, 'package.json'), JSON.stringify({ name: 'sdrp-consumer', private: true, ...consumer }));
  await run('npm', ['install', '--no-audit', '--no-fund', '--prefer-offline', join(work, filename)], { cwd: work });
  return work;
}
