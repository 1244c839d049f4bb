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
  });
});
