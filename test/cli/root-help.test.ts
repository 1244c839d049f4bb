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
