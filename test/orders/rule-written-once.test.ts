/**
 * The merchant rule (which classification pays an order) is written once, in
 * src/orders/decide.ts. This test reads every TypeScript source, template and
 * example, and every TypeScript block in the docs, and fails on code that
 * compares classification kinds anywhere else: that would be a second
 * statement of the rule, free to drift from the first.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { scanMarkdown } from '../docs/support/markdown.js';

const root = join(__dirname, '../..');
const KINDS = '(standard_settled|metered_usage_accepted|metered_batch_settled)';
/** `x.kind === 'standard_settled'`, `'...' !== kind`, `case 'metered_usage_accepted':`. */
const RULE = new RegExp(`\\bkind\\s*[!=]==?\\s*'${KINDS}'|'${KINDS}'\\s*[!=]==?\\s*[\\w.]*kind\\b|\\bcase\\s+'${KINDS}'\\s*:`);

/** Where kinds may be compared: the decision function, the classifier, and the test-event factory (builds one event per kind, decides nothing). */
const ALLOWED = new Set(['src/orders/decide.ts', 'src/webhooks/classify.ts', 'src/testing/factories.ts']);

function files(dir: string, ext: RegExp): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    if (name === 'node_modules' || name === 'api' || name.startsWith('.')) return [];
    return statSync(full).isDirectory() ? files(full, ext) : ext.test(name) ? [full] : [];
  });
}

/** Code to check, as [path:line, text] pairs. */
function codeLines(): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  for (const dir of ['src', 'templates', 'examples']) {
    for (const file of files(join(root, dir), /\.(ts|mts|mjs)$/)) {
      readFileSync(file, 'utf8').split('\n').forEach((line, i) => out.push([`${relative(root, file)}:${i + 1}`, line]));
    }
  }
  for (const file of [join(root, 'README.md'), ...files(join(root, 'docs'), /\.md$/)]) {
    for (const block of scanMarkdown(file).blocks.filter((b) => b.lang === 'ts' || b.lang === 'typescript')) {
      block.code.split('\n').forEach((line, i) => out.push([`${relative(root, file)}:${block.line + i}`, line]));
    }
  }
  return out;
}

describe('the merchant rule', () => {
  const lines = codeLines();

  it('is found where it lives (the pattern works)', () => {
    expect(lines.filter(([where, text]) => where.startsWith('src/orders/decide.ts:') && RULE.test(text)).length).toBeGreaterThan(3);
  });

  it('is not restated anywhere else in src/, templates/, examples/ or the docs', () => {
    const offenders = lines.filter(([where, text]) => RULE.test(text) && !ALLOWED.has(where.slice(0, where.lastIndexOf(':'))));
    expect(offenders.map(([where, text]) => `${where}: ${text.trim()}`)).toEqual([]);
  });
});
