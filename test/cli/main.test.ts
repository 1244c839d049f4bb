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

    it('does not echo a next argument that is not a flag (it may be a secret), and says how to pass it', async () => {
      const run = await runCli(['webhook', 'sign', '--secret', '--whsec_value_that_is_secret']);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain('--secret needs a value; the argument after it starts with "--" (for such a value, write --secret=<value>)');
      expect(run.stderr).not.toContain('whsec_value_that_is_secret');
    });

    it.each([
      [['webhook', 'trigger', 'whsec_POSITIONAL_1234'], 'Unknown kind "[redacted]"'],
      [['help', 'sdrp_live_token_abcd'], "unknown command '[redacted]'"],
      [['whsec_typed_as_command'], "unknown command '[redacted]'"],
      [['init', 'sk_live_51HxY2eK8aBcD3fG4hIjK5lMn'], 'Unknown template "[redacted]"'],
      [['init', 'express', '--database', 'Bearer eyJhbGciOiJIUzI1NiJ9'], '[redacted]'],
      [['sandbox', '--port', 'aB3kF9xQ2mZ7pL4wR8tY6vN1'], "argument '[redacted]' is invalid"],
      [['sandbox', '--host', 'whsec_as_host'], '(got "[redacted]")'],
      [['readiness', '--tokn=sdrp_typo_of_token'], "unknown option '[redacted]'"],
    ])('redacts a secret typed where %j expects something else', async (argv, shown) => {
      const run = await runCli(argv);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(shown);
      const typed = argv.at(-1)!.replace(/^--tokn=/, '');
      expect(run.stderr).not.toContain(typed);
    });

    it.each([
      [['webhook', 'trigger', 'standard'], 'Unknown kind "standard"'],
      [['help', 'nosuch'], "unknown command 'nosuch'"],
      [['init', 'express_2024_edition_final'], 'Unknown template "express_2024_edition_final"'],
    ])('still echoes an ordinary mistake %j', async (argv, shown) => {
      const run = await runCli(argv);
      expect(run.code).toBe(2);
      expect(run.stderr).toContain(shown);
    });

    it('takes a value written --flag=--value as the value', async () => {
      const run = await runCli(['readiness', '--merchant=--not-a-flag', '--no-api', '--json']);
      expect(run.code).toBe(1);
      const report = JSON.parse(run.stdout) as { checks: Array<{ name: string; status: string; message: string }> };
      expect(report.checks.find((c) => c.name === 'merchant_key')).toMatchObject({ status: 'fail', message: expect.stringContaining('"--not-a-flag"') });
    });
  });
});
