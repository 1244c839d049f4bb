import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { mergeEnvFile } from '../../src/cli/env-file.js';

function dirWith(envText: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'sdrp-envfile-'));
  writeFileSync(join(dir, '.env'), envText);
  return dir;
}

describe('mergeEnvFile', () => {
  it('adds the file values the real environment lacks and never overrides it', () => {
    const dir = dirWith('SIGLUME_DIRECT_PAYMENT_MERCHANT=from_file\nSHOP_PUBLIC_ORIGIN=https://file.example\n');
    const { env } = mergeEnvFile({ SIGLUME_DIRECT_PAYMENT_MERCHANT: 'real_shop' }, dir, undefined);
    expect(env).toMatchObject({ SIGLUME_DIRECT_PAYMENT_MERCHANT: 'real_shop', SHOP_PUBLIC_ORIGIN: 'https://file.example' });
  });

  describe('when the real environment has a token under either name', () => {
    it("ignores the file's token, even under the higher-priority name", () => {
      const dir = dirWith('SIGLUME_MERCHANT_AUTH_TOKEN=file_token_value\n');
      const { env } = mergeEnvFile({ SIGLUME_AUTH_TOKEN: 'real_token_value' }, dir, undefined);
      expect(env.SIGLUME_MERCHANT_AUTH_TOKEN).toBeUndefined();
      expect(env.SIGLUME_AUTH_TOKEN).toBe('real_token_value');
    });
  });

  it('uses the file token when the real environment has none', () => {
    const dir = dirWith('SIGLUME_MERCHANT_AUTH_TOKEN=file_token_value\n');
    expect(mergeEnvFile({}, dir, undefined).env.SIGLUME_MERCHANT_AUTH_TOKEN).toBe('file_token_value');
  });
});
