import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { rootHelpText } from '../../src/cli/root-help.js';
import { REPO_ROOT, runCli } from './support.js';

describe('rootHelpText', () => {
  it.each(['siglume-sdrp', 'siglume-check'])('is exactly what the commander program prints for %s --help', async (name) => {
    const run = await runCli(['--help'], { name });
    expect(run.code).toBe(0);
    expect(rootHelpText(name)).toBe(run.stdout);
  });
});

describe('the Start here lines of the root help', () => {
  it.each(['siglume-sdrp', 'siglume-check'])('line up their descriptions in one column within 80 columns for %s', (name) => {
    const lines = rootHelpText(name).split('Start here:\n')[1]!.split('\n\n')[0]!.split('\n');
    expect(lines).toHaveLength(3);
    const columns = lines.map((line) => /^ {2}\S.*?\S {2,}(?=\S)/.exec(line)![0].length);
    expect(new Set(columns).size).toBe(1);
    for (const line of lines) expect(line.length).toBeLessThanOrEqual(80);
  });
});

describe('the help command (CONTRACT-2 section 18.1: help, --help and -h print usage)', () => {
  it('prints the same usage as --help and exits 0', async () => {
    const run = await runCli(['help'], { name: 'siglume-sdrp' });
    expect(run).toMatchObject({ code: 0, stdout: rootHelpText('siglume-sdrp') });
  });

  it('prints a command\'s own help for help <command>, as <command> --help does', async () => {
    const run = await runCli(['help', 'webhook'], { name: 'siglume-sdrp' });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe((await runCli(['webhook', '--help'], { name: 'siglume-sdrp' })).stdout);
    expect(run.stdout).toMatch(/^Usage: siglume-sdrp webhook /);
  });

  it('follows a path of subcommands: help webhook trigger is webhook trigger --help', async () => {
    const run = await runCli(['help', 'webhook', 'trigger'], { name: 'siglume-sdrp' });
    expect(run.code).toBe(0);
    expect(run.stdout).toBe((await runCli(['webhook', 'trigger', '--help'], { name: 'siglume-sdrp' })).stdout);
  });

  it('exits 2 naming a command that does not exist', async () => {
    const run = await runCli(['help', 'webhook', 'nope'], { name: 'siglume-sdrp' });
    expect(run.code).toBe(2);
    expect(run.stderr).toMatch(/^error: unknown command 'webhook nope'\n/);
    expect(run.stderr).toContain('Run `siglume-sdrp webhook --help` for usage.');
  });

  it('points at the program help, not help --help, for an unknown command', async () => {
    const run = await runCli(['help', 'nosuch'], { name: 'siglume-sdrp' });
    expect(run).toMatchObject({ code: 2, stderr: "error: unknown command 'nosuch'\nRun `siglume-sdrp --help` for usage.\n" });
  });
});

describe('--help after a command that does not exist', () => {
  it.each([
    [['webhook', 'listen', '--help'], "error: unknown command 'listen'\nRun `siglume-sdrp webhook --help` for usage.\n"],
    [['webhook', 'listen', '-h'], "error: unknown command 'listen'\nRun `siglume-sdrp webhook --help` for usage.\n"],
    [['nosuch', '--help'], "error: unknown command 'nosuch'\nRun `siglume-sdrp --help` for usage.\n"],
  ])('%j is the same usage error as without --help, not the parent help', async (argv, stderr) => {
    const run = await runCli(argv, { name: 'siglume-sdrp' });
    expect(run).toMatchObject({ code: 2, stdout: '', stderr });
    const without = await runCli(argv.filter((a) => a !== '--help' && a !== '-h'), { name: 'siglume-sdrp' });
    expect(without).toMatchObject({ code: 2, stderr });
  });

  it('still shows the help of a command that exists', async () => {
    const run = await runCli(['webhook', 'trigger', '--help'], { name: 'siglume-sdrp' });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/^Usage: siglume-sdrp webhook trigger /);
  });
});

describe('the help texts agree with each other', () => {
  it('lists webhook as taking a subcommand, and names every exit code and SIGLUME_DEBUG', () => {
    const text = rootHelpText('siglume-sdrp');
    expect(text).toMatch(/^ {2}webhook <command> {2,}send signed/m);
    expect(text).toContain('130 / 143 stopped with\nCtrl+C (SIGINT) / SIGTERM');
    expect(text).toContain('sandbox exits 0 when stopped that way');
    expect(text).toContain('reconcile 1 after printing its report');
    expect(text).toContain('SIGLUME_DEBUG=1');
    for (const line of text.split('\n')) expect(line.length).toBeLessThanOrEqual(80);
  });

  it('lists the webhook subcommands as every other command is listed: lower case, no full stop', async () => {
    const run = await runCli(['webhook', '--help'], { name: 'siglume-sdrp' });
    const listed = run.stdout.split('Commands:\n')[1]!.split('\n\n')[0]!;
    expect(listed).toMatch(/^ {2}trigger \[options\] <kind> {2}POST a signed/m);
    expect(listed).toMatch(/^ {2}sign \[options\] {2,}print the Siglume-Signature/m);
    expect(listed.trimEnd()).not.toMatch(/\.$/);
    expect(run.stdout).toMatch(/^Usage: siglume-sdrp webhook <command> \[options\]$/m);
  });

  it('says Ctrl+C everywhere, reconcile --help too', async () => {
    for (const argv of [['reconcile', '--help'], ['sandbox', '--help'], ['readiness', '--help']]) {
      const run = await runCli(argv, { name: 'siglume-sdrp' });
      expect(run.stdout, argv.join(' ')).not.toContain('Ctrl-C');
    }
  });
});

describe("README.md's command table", () => {
  it('has a row for every command the root help lists', () => {
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');
    const table = readme.split('| command | what it runs |\n')[1]!.split('\n\n')[0]!;
    const listed = rootHelpText('siglume-sdrp').split('Commands:\n')[1]!.split('\n\n')[0]!;
    const names = [...listed.matchAll(/^ {2}([a-z]+)/gm)].map((m) => m[1]!).filter((name) => name !== 'help');
    expect(names).toEqual(['readiness', 'preflight', 'verify', 'init', 'sandbox', 'webhook', 'reconcile']);
    for (const name of names) expect(table, name).toMatch(new RegExp(`^\\| \`${name}[ \`]`, 'm'));
  });
});
