import { mkdirSync, writeFileSync } from 'node:fs';
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

  describe('when the template is unknown', () => {
    it('throws a validation error naming the template field', async () => {
      await expect(copyTemplate({ template: 'rails' as 'express', target: emptyDir() })).rejects.toBeInstanceOf(SiglumeValidationError);
      await expect(copyTemplate({ template: 'rails' as 'express', target: emptyDir() })).rejects.toMatchObject({ field: 'template' });
    });
  });
});
