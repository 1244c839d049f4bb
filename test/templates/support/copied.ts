/**
 * A template as `siglume-sdrp init <template> --database <database>` copies
 * it into a merchant's project, in the repository's .tmp/ (so its imports of
 * express, pg, ... resolve from the repository's node_modules, and the
 * package name from vitest's aliases). Tests import the copied files.
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { copyTemplate, type TemplateDatabase, type TemplateName } from '../../../src/init/copy-template.js';
import type { FetchLike } from '../../../src/index.js';
import type { OrderCheckoutService } from '../../../src/orders/index.js';

/** `ShopUser` of the copied siglume-config.ts. */
export interface ShopUser {
  id: string;
}

/**
 * What the tests use of the copied siglume-config.ts (typed here: that file
 * imports ./siglume-store.js, which exists only once copied).
 */
export interface ConfigModule<Connection> {
  createSiglumeCheckout(
    connection?: Connection,
    options?: { currentUser?: (request: Request) => ShopUser | null | Promise<ShopUser | null>; fetch?: FetchLike },
  ): OrderCheckoutService<ShopUser | null>;
  /** `createSiglumeCheckout`, then the store's start-up check. */
  startSiglumeCheckout?(
    connection?: Connection,
    options?: { currentUser?: (request: Request) => ShopUser | null | Promise<ShopUser | null> },
  ): Promise<OrderCheckoutService<ShopUser | null>>;
}

const root = resolve(__dirname, '../../..');

export interface CopiedTemplate {
  dir: string;
  /** Imports a copied file (path relative to the target). */
  load<T>(path: string): Promise<T>;
  /** Replaces `from` with `to` in a copied file, as the merchant edits a marked place; throws when `from` is not there. */
  edit(path: string, from: string, to: string): void;
  remove(): void;
}

export async function copiedTemplate(template: TemplateName, database: TemplateDatabase): Promise<CopiedTemplate> {
  const dir = join(root, '.tmp', `template-${template}-${database}-${process.pid}-${Date.now().toString(36)}`);
  mkdirSync(dir, { recursive: true });
  const result = await copyTemplate({ template, database, target: dir });
  if (result.kind !== 'copied') throw new Error(`could not copy ${template}: ${JSON.stringify(result)}`);
  return {
    dir,
    load: <T>(path: string) => import(pathToFileURL(join(dir, path)).href) as Promise<T>,
    edit(path, from, to) {
      const file = join(dir, path);
      const text = readFileSync(file, 'utf8');
      if (!text.includes(from)) throw new Error(`${path} has no ${JSON.stringify(from)}`);
      writeFileSync(file, text.replace(from, to));
    },
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
