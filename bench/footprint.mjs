#!/usr/bin/env node
/**
 * Install footprint:
 *
 *   - packed tarball size and file count (`npm pack --dry-run --json`, scripts
 *     ignored so it reads the dist/ that is there instead of rebuilding it);
 *   - dist/ size, raw and gzip (node:zlib, level 9, file by file: what a
 *     registry or CDN would serve);
 *   - production dependencies from package-lock.json (direct and total), and
 *     their installed size on disk;
 *   - `import` (ESM) and `require` (CJS) time of the package entry, and
 *     `import` of the webhook-only entry (`/webhooks`), through the package's
 *     own name (self-reference, so the `exports` map is used), next to
 *     `node -e 0`, interleaved spawns, medians. Targets (issue 13): the entry
 *     <= 1.3x, the webhook-only entry <= 1.15x.
 *
 * Usage: `npm run build && node bench/footprint.mjs [--json]`, or import `run`.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { gzipSync } from 'node:zlib';
import { ROOT, interleavedProcessTimes, median, pairedRatio, round, row } from './lib.mjs';

const KIB = 1024;

function walk(dir) {
  const out = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...walk(p));
    else if (entry.isFile()) out.push(p);
  }
  return out;
}

function distSizes() {
  let raw = 0;
  let gzip = 0;
  let js = 0;
  let jsGzip = 0;
  const files = walk(join(ROOT, 'dist'));
  for (const file of files) {
    const bytes = readFileSync(file);
    const gz = gzipSync(bytes, { level: 9 }).length;
    raw += bytes.length;
    gzip += gz;
    if (/\.(c?js)$/.test(file)) {
      js += bytes.length;
      jsGzip += gz;
    }
  }
  return { files: files.length, raw, gzip, js, jsGzip };
}

function packInfo() {
  // npm's own --json output; `--ignore-scripts` skips `prepack` (a rebuild).
  const npm = process.platform === 'win32' ? 'npm.cmd' : 'npm';
  const out = execFileSync(npm, ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: ROOT,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const [info] = JSON.parse(out);
  return { size: info.size, unpackedSize: info.unpackedSize, entryCount: info.entryCount ?? info.files.length };
}

function productionDependencies() {
  const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
  const lock = JSON.parse(readFileSync(join(ROOT, 'package-lock.json'), 'utf8'));
  const direct = Object.keys(pkg.dependencies ?? {});
  // Every non-dev entry of the lockfile is installed for a consumer too (optional ones included).
  const all = Object.entries(lock.packages ?? {}).filter(([path, meta]) => path !== '' && !meta.dev && !meta.devOptional);
  let installed = 0;
  for (const [path] of all) {
    try {
      for (const f of walk(join(ROOT, path))) installed += statSync(f).size;
    } catch {
      // not installed locally (optional / other platform)
    }
  }
  return { direct, total: all.map(([p]) => p.replace(/^.*node_modules\//, '')), installed };
}

/**
 * Runs the measurement and returns its rows.
 * @param {{ json?: boolean, runs?: number }} [options]
 */
export async function run({ json = false, runs = 21 } = {}) {
  const pack = packInfo();
  const dist = distSizes();
  const deps = productionDependencies();
  const name = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).name;
  const times = interleavedProcessTimes(
    {
      import: ['--input-type=module', '-e', `await import(${JSON.stringify(name)})`],
      webhooks: ['--input-type=module', '-e', `await import(${JSON.stringify(`${name}/webhooks`)})`],
      require: ['-e', `require(${JSON.stringify(name)})`],
      node: ['-e', '0'],
    },
    { runs },
  );
  const nodeMs = median(times.node);
  const FIGURES = {
    import: ['`import` of the package entry', 1.3],
    webhooks: ['`import` of the webhook-only entry (`/webhooks`)', 1.15],
    require: ['`require` of the package entry', null],
  };
  const timeRow = (kind) => {
    const [figure, target] = FIGURES[kind];
    const ratio = round(pairedRatio(times[kind], times.node));
    return row({
      figure,
      value: round(median(times[kind]), 1),
      unit: 'ms',
      floor: { name: '`node -e 0`', value: round(nodeMs, 1), unit: 'ms' },
      ratio,
      target: target === null ? null : `<= ${target}x`,
      pass: target === null ? null : ratio <= target,
      note: `process wall time, median of ${runs} interleaved spawns${target === null ? '; no target' : ''}`,
    });
  };

  const rows = [
    row({
      figure: 'packed tarball (npm pack)',
      value: round(pack.size / KIB, 1),
      unit: 'KiB',
      note: `${pack.entryCount} files, ${round(pack.unpackedSize / KIB, 1)} KiB unpacked (dist ESM+CJS+types, bin, templates, the guides in docs/, README, CHANGELOG)`,
    }),
    row({
      figure: 'dist/ size, raw',
      value: round(dist.raw / KIB, 1),
      unit: 'KiB',
      note: `${dist.files} files; JavaScript only: ${round(dist.js / KIB, 1)} KiB (ESM + CJS)`,
    }),
    row({
      figure: 'dist/ size, gzip -9 per file',
      value: round(dist.gzip / KIB, 1),
      unit: 'KiB',
      note: `JavaScript only: ${round(dist.jsGzip / KIB, 1)} KiB`,
    }),
    row({
      figure: 'production dependencies (package-lock)',
      value: deps.total.length,
      unit: 'packages',
      note: `${deps.direct.length} direct (${deps.direct.join(', ')}), ${deps.total.length} total; ${round(deps.installed / KIB / KIB, 2)} MiB installed`,
    }),
    timeRow('import'),
    timeRow('webhooks'),
    timeRow('require'),
  ];
  if (!json) for (const r of rows) console.log(`${r.figure}: ${r.value} ${r.unit}${r.ratio !== null ? ` (${r.ratio}x ${r.floor.name})` : ''}${r.note ? `  ${r.note}` : ''}`);
  return rows;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const json = process.argv.includes('--json');
  const rows = await run({ json });
  if (json) console.log(JSON.stringify(rows, null, 2));
}
