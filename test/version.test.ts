import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DIRECT_REQUEST_PAYMENT_SDK_VERSION } from '../src/version.js';

describe('DIRECT_REQUEST_PAYMENT_SDK_VERSION', () => {
  it('equals the version in package.json, so the User-Agent tells the truth', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string };
    expect(DIRECT_REQUEST_PAYMENT_SDK_VERSION).toBe(pkg.version);
  });
});
