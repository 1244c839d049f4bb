/**
 * `init <template>`: copies a shipped copy-in template into the merchant's
 * project through `copyTemplate`, and prints what was copied and what to do
 * next. Conflicts are printed and end with exit 1; nothing is written then.
 */
import type { Command } from 'commander';
import { CliError } from '../errors.js';
import type { CliIo } from '../io.js';
import type { Output } from '../output.js';

interface InitFlags {
  target: string;
  database: string;
  force?: boolean;
  json?: boolean;
}

/** Registers `init` on the program. */
export function registerInitCommand(program: Command, io: CliIo, output: Output): void {
  program
    .command('init')
    .summary('copy the Express checkout + webhook routes into your project')
    .description(
      'Copy a copy-in template (the Express wiring, its config, the payment-table schema and a sample orders table) into your project. ' +
        'Available: express (fastapi is not shipped yet).',
    )
    .argument('<template>', 'template to copy: express')
    .option('--target <dir>', 'directory to copy into', '.')
    .option('--database <name>', 'database of the schema files: postgres', 'postgres')
    .option('--force', 'overwrite files that already exist')
    .option('--json', 'print the result as JSON')
    .action(async (template: string, flags: InitFlags) => {
      const { copyTemplate } = await import('../../init/copy-template.js');
      const { resolve } = await import('node:path');
      const result = await copyTemplate({
        template: template as 'express',
        target: resolve(io.cwd, flags.target),
        database: flags.database as 'postgres',
        force: flags.force === true,
      });
      output.initResult(result, { json: flags.json === true });
      if (result.kind === 'conflicts') throw new CliError('failed');
    });
}
