/**
 * docs/performance.md publishes what the last complete bench run measured,
 * and nothing else: its tables are generated from the committed
 * bench/results/latest.json, and the hand-written prose around them states
 * no figure of its own.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { BEGIN, END, PAGE, readReport, renderBenchBlock, renderPerformancePage, tableRow, type BenchReport } from '../../bench/docs.mjs';

const page = readFileSync(PAGE, 'utf8');
const report = readReport();

/** A measured quantity: a number with a unit of time, rate, ratio or size ("503s" is a status code, not seconds). */
const FIGURE = /\d[\d,.]*(?:\s?(?:ms|µs|x|ops\/s|sessions\/s|deliveries\/s|KiB|MiB|GiB|kB|KB|MB)|\s(?:s|seconds?|minutes?))(?![\w/])/;

describe('docs/performance.md', () => {
  it('is exactly what bench/docs.mjs generates from the committed bench/results/latest.json', () => {
    // On a mismatch: `npm run bench` (new figures) or `npm run bench:docs` (same figures).
    expect(renderPerformancePage(page, report)).toBe(page);
  });

  it('publishes every row of the run, with its verdict', () => {
    expect(report.rows.length).toBeGreaterThan(10);
    for (const row of report.rows) expect(page).toContain(tableRow(row));
    expect(report.quick, 'the page comes from a complete run, not --quick').toBe(false);
  });

  it('states no figure outside the generated block', () => {
    const prose = page.slice(0, page.indexOf(BEGIN)) + page.slice(page.indexOf(END) + END.length);
    const outsideCode = prose.replace(/```[\s\S]*?```/g, '').replace(/`[^`\n]*`/g, '');
    const figures = outsideCode.split('\n').filter((line) => FIGURE.test(line));
    expect(figures).toEqual([]);
  });
});

describe('the page generator', () => {
  const base: BenchReport = {
    date: '2026-01-02T03:04:05.000Z',
    command: 'npm run bench',
    machine: { node: 'v20.0.0', platform: 'linux x64', cpus: 2, cpu_model: 'Test CPU', memory_gib: 4, load_average: { start: 1.5, end: 2.5, max: 3 } },
    seconds: 12.3,
    quick: false,
    rows: [],
    errors: [],
  };

  describe('when a module it has never seen adds rows', () => {
    it('renders name, value, unit, floor, ratio, target and verdict for each', () => {
      const block = renderBenchBlock({
        ...base,
        rows: [
          { module: 'bundle', figure: 'browser bundle | gzip', value: 12.5, unit: 'KiB', floor: { name: 'zod alone', value: 25, unit: 'KiB' }, ratio: 0.5, target: '<= 1x', verdict: 'ok' },
          { module: 'adapters', figure: 'hono adapter', value: 1234.5, unit: 'ops/s', floor: null, ratio: null, target: '>= 2000 ops/s', verdict: 'MISSED', note: 'one note' },
          { module: 'adapters', figure: 'fastify adapter', value: null, unit: 'ops/s', floor: null, ratio: null, target: null, verdict: 'skipped', skipped: 'fastify missing' },
        ],
      });
      expect(block).toContain('| browser bundle \\| gzip | 12.5 KiB | 25 KiB (zod alone) | 0.50x | <= 1x | ok |');
      expect(block).toContain('| hono adapter | 1,235 ops/s | - | - | >= 2000 ops/s | **MISSED** |');
      expect(block).toContain('| fastify adapter | - | - | - | - | skipped |');
      expect(block).toContain('- hono adapter: one note');
      expect(block).toContain('- fastify adapter: skipped: fastify missing');
    });
  });

  describe('when the machine was shared', () => {
    it('says so in the machine line, with the load averages of the run', () => {
      expect(renderBenchBlock(base)).toMatch(/^Machine: 2 CPUs \(Test CPU\), 4 GiB, linux x64, Node v20\.0\.0\. Load average \(1 minute\) 1\.5 at the start, 2\.5 at the end and 3 at most: the machine is shared/);
      expect(renderBenchBlock(base)).toContain('Run: `npm run bench` on 2026-01-02, 12.3 s.');
    });
  });

  describe('when a module failed', () => {
    it('lists it under the table', () => {
      expect(renderBenchBlock({ ...base, errors: [{ module: 'express', error: 'exit 1\nstack' }] })).toContain('- `express`: exit 1');
    });
  });

  describe('when the page lacks its markers', () => {
    it('refuses to write rather than guess', () => {
      expect(() => renderPerformancePage('# Performance\n', base)).toThrow(/lacks the markers/);
    });
  });
});
