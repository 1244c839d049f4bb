/**
 * Just enough Markdown reading for the doc checks: fenced code blocks (with
 * their info string and line), links outside code, and headings as GitHub
 * anchors. Hand-written on purpose: the docs use plain CommonMark, and a
 * parser dependency would be a second opinion on what GitHub renders.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative, sep } from 'node:path';

export const root = join(__dirname, '../../..');

/** Repository-relative path with `/` separators. */
export function repoPath(file: string): string {
  return relative(root, file).split(sep).join('/');
}

/** Every `.md` file under `dir`, sorted. */
export function markdownFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const full = join(dir, name);
    if (statSync(full).isDirectory()) out.push(...markdownFilesUnder(full));
    else if (name.endsWith('.md')) out.push(full);
  }
  return out;
}

/** A fenced code block. `line` is the 1-based line of its first content line. */
export interface CodeBlock {
  file: string;
  /** First word of the info string, e.g. `ts`. */
  lang: string;
  /** The rest of the info string, e.g. `['fragment']`. */
  attributes: string[];
  line: number;
  code: string;
}

interface Fence {
  marker: string;
  lang: string;
  attributes: string[];
  start: number;
  lines: string[];
}

const FENCE = /^ {0,3}(`{3,}|~{3,})\s*([^`\s]*)\s*(.*)$/;

/**
 * Splits a Markdown file into code blocks and the prose lines between them
 * (code lines are blanked, so prose line numbers stay true).
 */
export function scanMarkdown(file: string): { blocks: CodeBlock[]; prose: string[] } {
  const lines = readFileSync(file, 'utf8').split('\n');
  const blocks: CodeBlock[] = [];
  const prose: string[] = [];
  let open: Fence | null = null;
  lines.forEach((text, index) => {
    if (open) {
      const close = text.match(/^ {0,3}(`{3,}|~{3,})\s*$/);
      if (close && close[1]![0] === open.marker[0] && close[1]!.length >= open.marker.length) {
        blocks.push({ file, lang: open.lang, attributes: open.attributes, line: open.start, code: open.lines.join('\n') });
        open = null;
      } else {
        open.lines.push(text);
      }
      prose.push('');
      return;
    }
    const fence = text.match(FENCE);
    if (fence) {
      open = {
        marker: fence[1]!,
        lang: fence[2]!.toLowerCase(),
        attributes: fence[3]!.split(/\s+/).filter(Boolean),
        start: index + 2,
        lines: [],
      };
      prose.push('');
      return;
    }
    prose.push(text);
  });
  if (open) throw new Error(`${repoPath(file)}: code fence opened at line ${(open as Fence).start - 1} is never closed`);
  return { blocks, prose };
}

/** A link found in prose. */
export interface MarkdownLink {
  file: string;
  line: number;
  target: string;
}

/** Inline links `[text](target)`, images, and reference definitions `[x]: target`, outside code. */
export function linksIn(file: string): MarkdownLink[] {
  const { prose } = scanMarkdown(file);
  const links: MarkdownLink[] = [];
  prose.forEach((raw, index) => {
    const text = raw.replace(/`[^`]*`/g, '');
    for (const m of text.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) {
      links.push({ file, line: index + 1, target: m[1]! });
    }
    const def = text.match(/^ {0,3}\[[^\]]+\]:\s*<?(\S+?)>?(?:\s+"[^"]*")?\s*$/);
    if (def) links.push({ file, line: index + 1, target: def[1]! });
  });
  return links;
}

/**
 * GitHub's anchor for a heading: formatting dropped, lower-cased,
 * punctuation removed, spaces to dashes; repeats get `-1`, `-2`, ...
 */
export function headingAnchors(file: string): Set<string> {
  const { prose } = scanMarkdown(file);
  const seen = new Map<string, number>();
  const anchors = new Set<string>();
  for (const line of prose) {
    const m = line.match(/^ {0,3}#{1,6}\s+(.*?)\s*#*\s*$/);
    if (!m) continue;
    const text = m[1]!
      .replace(/\[([^\]]*)\]\([^)]*\)/g, '$1')
      .replace(/\\(.)/g, '$1')
      .replace(/[`*]/g, '');
    const base = text
      .toLowerCase()
      .replace(/[^\p{L}\p{N}\s_-]/gu, '')
      .replace(/\s/g, '-');
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    anchors.add(n === 0 ? base : `${base}-${n}`);
  }
  return anchors;
}

/** Second-level headings (`## name`), with backticks removed. */
export function sectionTitles(file: string): string[] {
  return scanMarkdown(file)
    .prose.map((line) => line.match(/^##\s+(.+?)\s*$/)?.[1])
    .filter((t): t is string => t !== undefined)
    .map((t) => t.replace(/`/g, ''));
}
