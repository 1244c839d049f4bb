import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SiglumeValidationError } from '../../src/core/errors.js';
import { copyTemplate, defaultTemplatesDir } from '../../src/init/copy-template.js';
import { emptyDir, REPO_ROOT } from '../cli/support.js';

describe('copyTemplate', () => {
  describe('when run from the source tree', () => {
    it("finds the package's templates directory", () => {
      expect(defaultTemplatesDir()).toBe(join(REPO_ROOT, 'templates'));
    });
  });

  describe('when the template has nested directories', () => {
    it('keeps the layout and reports paths with forward slashes', async () => {
      const templates = emptyDir();
      mkdirSync(join(templates, 'express/sub'), { recursive: true });
      writeFileSync(join(templates, 'express/a.ts'), 'a');
      writeFileSync(join(templates, 'express/sub/b.ts'), 'b');
      const target = join(emptyDir(), 'new/dir');
      const result = await copyTemplate({ template: 'express', target, templates_dir: templates });
      expect(result).toMatchObject({
        kind: 'copied',
        target,
        files: [
          { path: 'a.ts', action: 'created' },
          { path: 'sub/b.ts', action: 'created' },
        ],
      });
    });
  });

  describe('when a directory stands where a file would go', () => {
    it('counts it as a conflict', async () => {
      const templates = emptyDir();
      mkdirSync(join(templates, 'express'));
      writeFileSync(join(templates, 'express/a.ts'), 'a');
      const target = emptyDir();
      mkdirSync(join(target, 'a.ts'));
      const result = await copyTemplate({ template: 'express', target, templates_dir: templates });
      expect(result).toEqual({ kind: 'conflicts', template: 'express', target, conflicts: ['a.ts'] });
    });
  });

  describe('when a destination file is a dangling symbolic link', () => {
    it('refuses without force and writes nothing, not even where the link points', async () => {
      const target = emptyDir();
      const outside = emptyDir();
      symlinkSync(join(outside, 'planted.ts'), join(target, 'siglume-store.ts'));
      await expect(copyTemplate({ template: 'express', target })).rejects.toMatchObject({
        name: 'SiglumeValidationError',
        field: 'target',
        code: 'TEMPLATE_TARGET_SYMLINK',
        message: `Refusing to write through the symbolic link siglume-store.ts in ${target}: init writes only regular files inside the target. Remove the link, or choose another target.`,
      });
      expect(existsSync(join(outside, 'planted.ts'))).toBe(false);
      expect(readdirSync(outside)).toEqual([]);
      expect(readdirSync(target)).toEqual(['siglume-store.ts']);
    });
  });

  describe('when a destination file is a symbolic link to a file outside the target', () => {
    it('refuses even with force and leaves the outside file unchanged', async () => {
      const target = emptyDir();
      const outside = emptyDir();
      writeFileSync(join(outside, 'victim.txt'), 'not yours\n');
      symlinkSync(join(outside, 'victim.txt'), join(target, 'siglume-config.ts'));
      await expect(copyTemplate({ template: 'express', target, force: true })).rejects.toMatchObject({
        field: 'target',
        code: 'TEMPLATE_TARGET_SYMLINK',
        message: expect.stringContaining('symbolic link siglume-config.ts'),
      });
      expect(readFileSync(join(outside, 'victim.txt'), 'utf8')).toBe('not yours\n');
      expect(readdirSync(outside)).toEqual(['victim.txt']);
      expect(readdirSync(target)).toEqual(['siglume-config.ts']);
    });
  });

  describe('when a directory below the target is a symbolic link', () => {
    it('refuses and writes nothing into the directory it points to', async () => {
      const target = emptyDir();
      const outside = emptyDir();
      symlinkSync(outside, join(target, 'siglume'), 'dir');
      await expect(copyTemplate({ template: 'nextjs', target, force: true })).rejects.toMatchObject({
        field: 'target',
        code: 'TEMPLATE_TARGET_SYMLINK',
        message: expect.stringContaining('symbolic link siglume in'),
      });
      expect(readdirSync(outside)).toEqual([]);
      expect(readdirSync(target)).toEqual(['siglume']);
    });
  });

  describe('when the target itself is a symbolic link to a directory', () => {
    it('copies into the directory it points to', async () => {
      const real = emptyDir();
      const link = join(emptyDir(), 'link');
      symlinkSync(real, link, 'dir');
      const result = await copyTemplate({ template: 'express', target: link });
      expect(result).toMatchObject({ kind: 'copied', target: link });
      expect(readdirSync(real)).toEqual(expect.arrayContaining(['siglume-checkout.ts', 'siglume-config.ts', 'siglume-store.ts']));
    });
  });

  describe('when the Next.js template is copied', () => {
    it('drops the .js of the shared files\' relative imports (from and import()), created or overwritten, and leaves the others\'', async () => {
      const templates = emptyDir();
      mkdirSync(join(templates, 'nextjs/siglume'), { recursive: true });
      mkdirSync(join(templates, 'shared'));
      mkdirSync(join(templates, 'express'));
      writeFileSync(join(templates, 'nextjs/siglume/a.ts'), "import { c } from './c';\n");
      writeFileSync(join(templates, 'express/a.ts'), "import { c } from './c.js';\n");
      const shared = "import { s } from './siglume-store.js';\nexport type { T } from \"../up/t.js\";\nconst m = import('./lazy.js');\nimport { z } from 'zod/v4.js';\n// see ./notes.js\n";
      writeFileSync(join(templates, 'shared/c.ts'), shared);
      const target = emptyDir();
      mkdirSync(join(target, 'siglume'));
      writeFileSync(join(target, 'siglume/c.ts'), 'my own file\n');
      const result = await copyTemplate({ template: 'nextjs', target, templates_dir: templates, force: true });
      expect(result).toMatchObject({ files: [{ path: 'siglume/a.ts', action: 'created' }, { path: 'siglume/c.ts', action: 'overwritten' }] });
      expect(readFileSync(join(target, 'siglume/c.ts'), 'utf8')).toBe(
        "import { s } from './siglume-store';\nexport type { T } from \"../up/t\";\nconst m = import('./lazy');\nimport { z } from 'zod/v4.js';\n// see ./notes.js\n",
      );
      const express = emptyDir();
      await copyTemplate({ template: 'express', target: express, templates_dir: templates });
      expect(readFileSync(join(express, 'c.ts'), 'utf8')).toBe(shared);
    });
  });

  describe('when a server template is copied', () => {
    it.each(['express', 'fastify', 'hono'] as const)('%s: the mount step builds the service with startSiglumeCheckout, which checks the tables at boot', async (template) => {
      const result = await copyTemplate({ template, database: 'sqlite', target: emptyDir() });
      if (result.kind !== 'copied') throw new Error(`not copied: ${result.kind}`);
      const mount = result.next_steps.find((step) => /Mount it|Register it/.test(step));
      expect(mount).toContain('await startSiglumeCheckout()');
      // The function the step names is what the copied config exports.
      const config = readFileSync(join(result.target, 'siglume-config.ts'), 'utf8');
      expect(config).toMatch(/export async function startSiglumeCheckout\(/);
    });
  });

  describe('when the template is unknown', () => {
    it('throws a validation error naming the template field', async () => {
      await expect(copyTemplate({ template: 'rails' as 'express', target: emptyDir() })).rejects.toBeInstanceOf(SiglumeValidationError);
      await expect(copyTemplate({ template: 'rails' as 'express', target: emptyDir() })).rejects.toMatchObject({ field: 'template' });
    });
  });

  describe('when a Next.js project keeps its routes in src/app and the target is the project', () => {
    it('refuses with TEMPLATE_TARGET_NOT_SERVED, naming the absolute src directory, and writes nothing', async () => {
      const target = emptyDir();
      mkdirSync(join(target, 'src/app'), { recursive: true });
      await expect(copyTemplate({ template: 'nextjs', target, force: true })).rejects.toMatchObject({
        name: 'SiglumeValidationError',
        field: 'target',
        code: 'TEMPLATE_TARGET_NOT_SERVED',
        message: `This project keeps its routes in src/app, the only place Next.js serves them from: run with --target ${join(target, 'src')}`,
      });
      expect(readdirSync(target)).toEqual(['src']);
    });
  });
});
