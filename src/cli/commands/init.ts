/**
 * `init <template>`: copies a shipped copy-in template into the merchant's
 * project through `copyTemplate`, and prints what was copied and what to do
 * next. Conflicts are printed and end with exit 1; nothing is written then.
 * A file that cannot be written (`TemplateWriteError`) ends with exit 1 and a
 * message naming it, the reason, and the files already written and not.
 * Invalid input, including a symbolic link below the target
 * (`TEMPLATE_TARGET_SYMLINK`) or a Next.js target Next.js would not serve
 * (`TEMPLATE_TARGET_NOT_SERVED`), is a `SiglumeValidationError`: `main` prints
 * it and exits 2, and nothing is written.
 */
import type { Command } from 'commander';
import type { TemplateDatabase, TemplateName } from '../../init/copy-template.js';
import { CliError, shownValue } from '../errors.js';
import type { CliIo } from '../io.js';
import type { Output } from '../output.js';
import { refuseEmptyValues } from '../parse.js';

interface InitFlags {
  target: string;
  database: string;
  force?: boolean;
  json?: boolean;
}

/** Registers `init` on the program. */
export function registerInitCommand(program: Command, io: CliIo, output: Output): void {
  const command = program
    .command('init')
    .summary('copy the checkout + webhook routes for your framework into your project')
    .description(
      'Copy a copy-in template (the framework wiring, its config, the order store of your database, the payment-table schema ' +
        'and a sample orders table) into your project. Available: express, fastify, hono, nextjs (fastapi is not shipped yet).',
    )
    .argument('<template>', 'template to copy: express, fastify, hono or nextjs')
    .option('--target <dir>', 'directory to copy into', '.')
    .option('--database <name>', 'your database: postgres, mysql (also MariaDB) or sqlite', 'postgres')
    .option('--force', 'overwrite files that already exist')
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      '\nExamples:\n' +
        `  ${'siglume-sdrp init express --target src/payments'.padEnd(60)}Express routes in src/payments, Postgres\n` +
        `  ${'siglume-sdrp init hono --database sqlite'.padEnd(60)}Hono with SQLite, into this directory\n` +
        `  ${'siglume-sdrp init nextjs'.padEnd(60)}Next.js with app/ at the project root\n` +
        `  ${'siglume-sdrp init nextjs --target src'.padEnd(60)}Next.js with src/app (create-next-app --src-dir)\n` +
        '\nExit codes: 0 copied, 1 files already exist (nothing written) or a file could not be written, 2 usage error\n' +
        '(unknown template or database, a target that is a file, a symbolic link inside the target,\n' +
        'a Next.js target Next.js does not serve: with routes in src/app or src/pages, run with --target src).',
    )
    .action(async (template: string, flags: InitFlags) => {
      const { copyTemplate } = await import('../../init/copy-template.js');
      const { resolve } = await import('node:path');
      const result = await copyTemplate({
        // Echoed by an unknown-name error: never a secret typed in the wrong place.
        template: shownValue(template) as TemplateName,
        target: resolve(io.cwd, flags.target),
        database: shownValue(flags.database) as TemplateDatabase,
        force: flags.force === true,
        shown_from: io.cwd,
      });
      output.initResult(result, { json: flags.json === true });
      if (result.kind === 'conflicts') throw new CliError('failed');
    });
  // An empty value (`--target "$UNSET"`) is a usage error, not the default.
  refuseEmptyValues(command);
}
