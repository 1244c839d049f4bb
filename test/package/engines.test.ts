/**
 * `engines.node` states the real minimum: no lower than what a production
 * dependency declares (undici 7 needs 20.18.1), and no lower than the Node
 * APIs the code calls statically (`util.parseEnv`, 20.12). A dependency bump
 * that raises its floor fails here until engines follows.
 */
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = resolve(__dirname, '../..');
const readJson = (file: string) => JSON.parse(readFileSync(file, 'utf8')) as Record<string, any>;

/** The lowest version a `>=x.y.z` range (or the first `^x.y.z` alternative) admits. */
function floor(range: string): [number, number, number] {
  const m = /(?:>=|\^)?\s*(\d+)(?:\.(\d+))?(?:\.(\d+))?/.exec(range);
  if (!m) throw new Error(`cannot read the floor of ${range}`);
  return [Number(m[1]), Number(m[2] ?? 0), Number(m[3] ?? 0)];
}

const compare = (a: number[], b: number[]) => a[0]! - b[0]! || a[1]! - b[1]! || a[2]! - b[2]!;

describe('package.json engines.node', () => {
  const pkg = readJson(join(root, 'package.json'));
  const ours = floor(pkg.engines.node);

  it('is a single lower bound', () => {
    expect(pkg.engines.node).toMatch(/^>=\d+\.\d+\.\d+$/);
  });

  it.each(Object.keys(pkg.dependencies))('is no lower than what %s declares', (dep) => {
    const declared = readJson(join(root, 'node_modules', dep, 'package.json')).engines?.node as string | undefined;
    if (declared === undefined) return; // no floor declared
    expect(compare(ours, floor(declared)), `${dep} needs ${declared}`).toBeGreaterThanOrEqual(0);
  });

  it('covers util.parseEnv (20.12) and process.getBuiltinModule (20.16)', () => {
    expect(compare(ours, [20, 16, 0])).toBeGreaterThanOrEqual(0);
  });
});
