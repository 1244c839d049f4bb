/**
 * Every relative link in README.md and docs/ (the generated API reference
 * included) points at a file that exists, and every `#anchor` at a heading
 * of the target page.
 */
import { existsSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { headingAnchors, linksIn, markdownFilesUnder, repoPath, root } from './support/markdown.js';

const EXTERNAL = /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i;

function documents(): string[] {
  return [join(root, 'README.md'), ...markdownFilesUnder(join(root, 'docs'))];
}

const anchorCache = new Map<string, Set<string>>();
function anchorsOf(file: string): Set<string> {
  let anchors = anchorCache.get(file);
  if (!anchors) {
    anchors = headingAnchors(file);
    anchorCache.set(file, anchors);
  }
  return anchors;
}

describe('relative links in README.md and docs/', () => {
  it('link every guide from the README', () => {
    const readmeTargets = new Set(
      linksIn(join(root, 'README.md'))
        .filter((l) => !EXTERNAL.test(l.target))
        .map((l) => repoPath(resolve(root, l.target.split('#')[0]!))),
    );
    const guides = markdownFilesUnder(join(root, 'docs'))
      .map(repoPath)
      .filter((p) => !p.startsWith('docs/api/'));
    const missing = guides.filter((p) => !readmeTargets.has(p));
    expect(missing, 'docs pages the README does not link to').toEqual([]);
    expect(readmeTargets.has('docs/api/README.md'), 'the README links the API reference').toBe(true);
  });

  it('resolve to existing files and headings', () => {
    const broken: string[] = [];
    let checked = 0;
    for (const file of documents()) {
      for (const link of linksIn(file)) {
        if (EXTERNAL.test(link.target)) continue;
        checked++;
        const [path, anchor] = link.target.split('#') as [string, string | undefined];
        const where = `${repoPath(file)}:${link.line} -> ${link.target}`;
        const target = path === '' ? file : resolve(dirname(file), decodeURIComponent(path));
        if (!existsSync(target)) {
          broken.push(`${where}: no such file`);
          continue;
        }
        if (anchor && target.endsWith('.md') && statSync(target).isFile() && !anchorsOf(target).has(decodeURIComponent(anchor))) {
          broken.push(`${where}: no heading with that anchor`);
        }
      }
    }
    expect(checked).toBeGreaterThan(20);
    expect(broken).toEqual([]);
  });
});
