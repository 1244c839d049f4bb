#!/usr/bin/env node
/**
 * Interleaved A/B of the three spawn-timed figures of bench/footprint.mjs
 * (`import` and `require` of the package entry, `import` of `/webhooks`)
 * across two or more builds, for judging a change before a full bench run:
 *
 *   node bench/ab-entry.mjs [--runs 21] [--cpu] DIR_A DIR_B [DIR_C ...]
 *
 * Each DIR is a package directory (package.json, dist/, and node_modules or a
 * symlink to one), e.g. this checkout after `npx tsup` and a copy of a build
 * of main. Same method as footprint.mjs: one untimed warm-up per command, then
 * `--runs` rounds, every command once per round, medians, ratios paired round
 * by round against `node -e 0`; the last column pairs each build with DIR_A.
 *
 * `--cpu` reports each child's own user + system CPU time instead of wall
 * time: other processes on a shared machine disturb it less, so a difference
 * of a few percent shows through. A diagnostic only: the bench's figures are
 * wall time.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { median, pairedRatio, timeProcess } from './lib.mjs';

const CPU_PRINT = ';{const u=process.cpuUsage();process.stderr.write("\\ncpu_ms="+(u.user+u.system)/1000)}';

function parseArgs(argv) {
  const dirs = [];
  let runs = 21;
  let cpu = false;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--runs') runs = Number(argv[++i]);
    else if (argv[i] === '--cpu') cpu = true;
    else dirs.push(resolve(argv[i]));
  }
  if (dirs.length < 2 || !Number.isSafeInteger(runs) || runs < 1) {
    console.error('usage: node bench/ab-entry.mjs [--runs 21] [--cpu] DIR_A DIR_B [DIR_C ...]');
    process.exit(2);
  }
  return { dirs, runs, cpu };
}

const { dirs, runs, cpu } = parseArgs(process.argv.slice(2));
const name = JSON.parse(readFileSync(join(dirs[0], 'package.json'), 'utf8')).name;
const suffix = cpu ? CPU_PRINT : '';
const KINDS = {
  import: ['--input-type=module', '-e', `await import(${JSON.stringify(name)})${suffix}`],
  webhooks: ['--input-type=module', '-e', `await import(${JSON.stringify(`${name}/webhooks`)})${suffix}`],
  require: ['-e', `require(${JSON.stringify(name)})${suffix}`],
};
const commands = [{ id: 'node', args: ['-e', `0${suffix}`], cwd: dirs[0] }];
// Ids by position, so one directory given twice (a null A/B) is measured twice.
for (const [kind, args] of Object.entries(KINDS))
  dirs.forEach((cwd, i) => commands.push({ id: `${kind} ${i}`, args, cwd }));

function measure({ args, cwd }) {
  const r = timeProcess(args, { cwd });
  if (!cpu) return r.ms;
  const m = /cpu_ms=([\d.]+)/.exec(r.stderr);
  if (!m) throw new Error(`no cpu_ms in the output of node ${args.join(' ')}`);
  return Number(m[1]);
}

for (const c of commands) measure(c);
const samples = new Map(commands.map((c) => [c.id, []]));
for (let r = 0; r < runs; r++) for (const c of commands) samples.get(c.id).push(measure(c));

const node = samples.get('node');
console.log(
  `${cpu ? 'child CPU ms' : 'wall ms'}, ${runs} interleaved rounds; node -e 0: ${median(node).toFixed(1)} ms`,
);
for (const kind of Object.keys(KINDS)) {
  const first = samples.get(`${kind} 0`);
  dirs.forEach((dir, i) => {
    const s = samples.get(`${kind} ${i}`);
    console.log(
      `${kind.padEnd(8)} ${median(s).toFixed(1).padStart(6)} ms  ${pairedRatio(s, node).toFixed(3)}x node  ${pairedRatio(s, first).toFixed(3)}x A  ${dir}`,
    );
  });
}
