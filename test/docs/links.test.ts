/**
 * Every relative link in README.md and docs/ (the generated API reference
 * included) points at a file that exists, and every `#anchor` at a heading
 * of the target page. Links into this repository by URL (for what the npm
 * package does not ship: examples/, docs/api/) must name files that exist too.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { headingAnchors, linksIn, markdownFilesUnder, repoPath, root } from './support/markdown.js';

const EXTERNAL = /^(?:[a-z][a-z0-9+.-]*:|\/\/)/i;
const REPOSITORY = (JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as { homepage: string }).homepage.replace(/#.*$/, '');
const IN_REPOSITORY = new RegExp(`^${REPOSITORY.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}/(?:blob|tree)/main/([^#]+)(#.*)?$`);

/** A link into this repository by URL, as a root-relative path (plus anchor); null for other links. */
function repositoryTarget(target: string): string | null {
  const m = IN_REPOSITORY.exec(target);
  return m ? `${m[1]}${m[2] ?? ''}` : null;
}

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
        .map((l) => repositoryTarget(l.target) ?? l.target)
        .filter((target) => !EXTERNAL.test(target))
        .map((target) => repoPath(resolve(root, target.split('#')[0]!))),
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
        const inRepository = repositoryTarget(link.target);
        if (inRepository === null && EXTERNAL.test(link.target)) continue;
        checked++;
        const [path, anchor] = (inRepository ?? link.target).split('#') as [string, string | undefined];
        const where = `${repoPath(file)}:${link.line} -> ${link.target}`;
        const base = inRepository === null ? dirname(file) : root;
        const target = path === '' ? file : resolve(base, decodeURIComponent(path));
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
