/**
 * The guides that explain lists from the code must list all of them: each
 * readiness check has its own section in docs/readiness.md, each error
 * class and error code has a row in docs/troubleshooting.md, and each sandbox
 * fault setting has a row in docs/sandbox.md. The lists come
 * from the code, so adding a check, class or code without documenting it
 * fails here.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { PREFLIGHT_CHECK_NAMES, READINESS_CHECK_NAMES } from '../../src/readiness/types.js';
import { faultsSchema } from '../../src/sandbox/faults.js';
import { root, scanMarkdown, sectionTitles } from './support/markdown.js';
import { exportedNames, requireDist } from './support/typescript.js';

const READINESS = join(root, 'docs/readiness.md');
const TROUBLESHOOTING = join(root, 'docs/troubleshooting.md');
const SANDBOX = join(root, 'docs/sandbox.md');

/** First cells of every Markdown table row in the file, backticks removed. */
function tableFirstCells(file: string): string[] {
  return scanMarkdown(file)
    .prose.filter((line) => /^\s*\|/.test(line) && !/^\s*\|\s*-/.test(line))
    .map((line) => line.split('|')[1]!.replace(/`/g, '').trim());
}

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? sourceFiles(full) : name.endsWith('.ts') ? [full] : [];
  });
}

/**
 * Error codes the library can put on an error it throws: `code: 'X'` and
 * `code ?? 'X'` in the library's own modules (the sandbox server's HTTP
 * codes, the local webhook receiver's HTTP answers and the CLI are
 * documented in their own pages).
 */
function libraryErrorCodes(): string[] {
  const dirs = ['core', 'clients', 'webhooks', 'challenges', 'internal', 'testing', 'devtools', 'init', 'orders'];
  const httpAnswers = new Set([join(root, 'src/devtools/webhook-receiver.ts')]);
  const files = [
    ...dirs.flatMap((d) => sourceFiles(join(root, 'src', d))).filter((f) => !httpAnswers.has(f)),
    join(root, 'src/sandbox/errors.ts'),
  ];
  const codes = new Set<string>();
  for (const file of files) {
    const text = readFileSync(file, 'utf8');
    for (const m of text.matchAll(/\bcode(?::|\s*\?\?)\s*'([A-Z][A-Z0-9_]+)'/g)) codes.add(m[1]!);
    // Codes typed as unions of literals, e.g. WebhookSignatureErrorCode.
    for (const m of text.matchAll(/'(WEBHOOK_[A-Z_]+)'/g)) codes.add(m[1]!);
  }
  return [...codes].sort();
}

describe('docs/readiness.md', () => {
  it('has a "## <name>" section for every readiness check, in run order', () => {
    expect(existsSync(READINESS), 'docs/readiness.md is missing').toBe(true);
    const sections = sectionTitles(READINESS);
    const missing = READINESS_CHECK_NAMES.filter((name) => !sections.includes(name));
    expect(missing, 'readiness checks without a section').toEqual([]);
    const order = sections.filter((s) => (READINESS_CHECK_NAMES as readonly string[]).includes(s));
    expect(order).toEqual([...READINESS_CHECK_NAMES]);
  });

  it('has a section for each preflight check too, in preflight order', () => {
    const sections = sectionTitles(READINESS);
    const order = sections.filter((s) => (PREFLIGHT_CHECK_NAMES as readonly string[]).includes(s));
    expect(order).toEqual([...PREFLIGHT_CHECK_NAMES]);
  });
});

describe('docs/sandbox.md', () => {
  it('has a table row for every fault setting', () => {
    const rows = tableFirstCells(SANDBOX);
    const missing = Object.keys(faultsSchema.shape).filter((name) => !rows.includes(name));
    expect(missing, 'fault settings without a row (first cell must be the name)').toEqual([]);
  });
});

describe('docs/troubleshooting.md', () => {
  it('has a table row for every exported error class', () => {
    requireDist();
    const classes = [...new Set(exportedNames().filter((n) => n.isErrorClass).map((n) => n.name))];
    expect(classes).toContain('HostedCheckoutNotAvailableError');
    expect(classes).toContain('SiglumeDirectRequestPaymentError');
    const rows = tableFirstCells(TROUBLESHOOTING);
    const missing = classes.filter((name) => !rows.some((cell) => cell.split(/[\s,/]+/).includes(name)));
    expect(missing, 'error classes without a row (first cell must name the class)').toEqual([]);
  });

  it('mentions every error code the library throws', () => {
    const text = readFileSync(TROUBLESHOOTING, 'utf8');
    const codes = libraryErrorCodes();
    expect(codes).toEqual(expect.arrayContaining(['INVALID_INPUT', 'MISSING_AUTH_TOKEN', 'WEBHOOK_SIGNATURE_MISMATCH']));
    const missing = codes.filter((code) => !text.includes(`\`${code}\``));
    expect(missing, 'codes not mentioned as `CODE` in troubleshooting.md').toEqual([]);
  });
});
