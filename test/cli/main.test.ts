import { describe, expect, it } from 'vitest';
import { runCli } from './support.js';

describe('main', () => {
  describe('when a usage error ends the run', () => {
    // One wording for every kind of usage error: commander's own, the
    // commands' CliError and an SDK validation error about a flag.
    it.each([
      ['an unknown option (commander)', ['readiness', '--bogus'], 'readiness'],
      ['a bad option value (commander)', ['webhook', 'trigger', 'unknown', '--timeout', 'soon'], 'webhook trigger'],
      ['an unreadable --dotenv file (the command)', ['readiness', '--dotenv', 'nope.env'], 'readiness'],
      ['a bad URL (SDK validation)', ['webhook', 'trigger', 'unknown', '--url', 'ftp://127.0.0.1/'], 'webhook trigger'],
      ['an unknown command', ['frobnicate'], ''],
      ["Node's own --env-file", ['sandbox', '--env-file', 'x.env'], ''],
      ['a value flag followed by a flag', ['readiness', '--merchant', '--json', '--no-api'], 'readiness'],
    ])('ends %s with the same hint naming the command', async (_title, argv, command) => {
      const run = await runCli(argv);
      expect(run.code).toBe(2);
      const lines = run.stderr.trimEnd().split('\n');
      expect(lines[0]).toMatch(/^error: /);
      expect(lines.at(-1)).toBe(`Run \`siglume-check${command ? ` ${command}` : ''} --help\` for usage.`);
      expect(run.stderr).not.toContain('(run ');
    });

    it.each([
      [['readiness', '--merchant', '--json', '--no-api'], '--merchant needs a value; it was followed by --json'],
      [['sandbox', '--allowed-host', 'a.test', '--allowed-host', '--json'], '--allowed-host needs a value; it was followed by --json'],
    ])('refuses %j instead of taking the next flag as the value (CONTRACT-2 section 18.1)', async (argv, message) => {
      const run = await runCli(argv);
      expect(run).toMatchObject({ code: 2, stdout: '' });
      expect(run.stderr).toContain(message);
    });
  });
});
