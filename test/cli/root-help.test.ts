import { describe, expect, it } from 'vitest';
import { rootHelpText } from '../../src/cli/root-help.js';
import { runCli } from './support.js';

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
