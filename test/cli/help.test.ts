/**
 * Every command's --help ends with its exit codes, as readiness and reconcile
 * always did: a script author reads them there. The commands are found from
 * the help itself, so a new command without the line fails here.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from './support.js';

/** Command paths listed under "Commands:" in the help of `path` (`readiness|doctor [options]` -> `readiness`). */
async function subcommands(path: string[]): Promise<string[][]> {
  const { stdout } = await runCli([...path, '--help']);
  const section = /^Commands:\n((?: {2}.*\n?)*)/m.exec(stdout)?.[1] ?? '';
  const names = [...section.matchAll(/^ {2}([a-z][a-z-]*)/gm)].map((m) => m[1]!);
  const nested = await Promise.all(names.map((name) => subcommands([...path, name])));
  return names.flatMap((name, i) => [[...path, name], ...nested[i]!]);
}

describe('siglume-sdrp --help', () => {
  it('finds every command, subcommands included', async () => {
    const paths = (await subcommands([])).map((p) => p.join(' '));
    expect(paths).toEqual(expect.arrayContaining(['readiness', 'init', 'sandbox', 'webhook', 'webhook trigger', 'webhook sign', 'reconcile', 'help']));
  });

  describe('of each command', () => {
    it('has an exit-code section', async () => {
      const missing: string[] = [];
      for (const path of [[], ...(await subcommands([]))]) {
        const run = await runCli([...path, '--help']);
        expect(run.code, path.join(' ')).toBe(0);
        if (!/^Exit codes: 0 /m.test(run.stdout)) missing.push(path.join(' ') || '(root)');
      }
      expect(missing).toEqual([]);
    });
  });

  describe('of the commands that run until they finish or are stopped', () => {
    it.each(['readiness', 'preflight', 'verify', 'reconcile', 'sandbox'])('names the exit codes of a signal (130, 143) for %s', async (command) => {
      const help = (await runCli([command, '--help'])).stdout;
      const codes = help.slice(help.search(/^Exit codes: /m));
      expect(codes).toMatch(/\b130\b[^\n]*SIGINT|SIGINT[^\n]*\b130\b/);
      expect(codes).toMatch(/\b143\b/);
      expect(codes).toContain('SIGTERM');
    });
  });

  describe('of the commands people start with', () => {
    it.each(['init', 'sandbox', 'webhook trigger', 'webhook sign', 'readiness', 'preflight', 'verify'])('shows at least two examples of %s', async (command) => {
      const help = await runCli([...command.split(' '), '--help'], { name: 'siglume-sdrp' });
      const section = /^Examples[^\n]*:\n((?: {2}.*\n)+)/m.exec(help.stdout)?.[1] ?? '';
      expect(section.split('\n').filter((line) => line.startsWith(`  siglume-sdrp ${command} `)).length).toBeGreaterThanOrEqual(2);
    });
  });
});
