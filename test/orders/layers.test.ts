/**
 * The order core stays runtime-neutral and driver-free: it must load where
 * only `fetch` and Web Crypto exist (workers, edge runtimes), and a shop that
 * does not use PostgreSQL must not need `pg`. Only the layers below it may be
 * imported.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '../..');
const ordersDir = join(root, 'src/orders');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = join(dir, name);
    return statSync(full).isDirectory() ? sources(full) : name.endsWith('.ts') ? [full] : [];
  });
}

const imports = sources(ordersDir).flatMap((file) =>
  [...readFileSync(file, 'utf8').matchAll(/^\s*(?:import|export)\b[^'"]*?from\s+'([^']+)'/gm)].map((m) => ({ file: relative(root, file), spec: m[1]! })),
);

describe('src/orders', () => {
  it('has imports to check', () => {
    expect(imports.length).toBeGreaterThan(20);
  });

  it('imports no node: module and no database driver (adapters take the driver\'s objects from the caller)', () => {
    expect(imports.filter((i) => i.spec.startsWith('node:') || !i.spec.startsWith('.'))).toEqual([]);
  });

  it('imports only core, internal, clients, webhooks and challenges from outside src/orders', () => {
    const outside = imports.filter((i) => i.spec.startsWith('../') && !join(root, i.file, '..', i.spec).startsWith(ordersDir));
    const layers = new Set(outside.map((i) => relative(join(root, 'src'), join(root, i.file, '..', i.spec)).split('/')[0]));
    for (const layer of layers) expect(['core', 'internal', 'clients', 'webhooks', 'challenges']).toContain(layer);
  });
});
