/**
 * Headless Debian Chromium through playwright-core (no browser download).
 * CHROMIUM_PATH overrides the binary.
 */
import { existsSync } from 'node:fs';
import { chromium, type Browser } from 'playwright-core';

export type { Browser };

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Skip the browser test on a machine without Chromium, never in CI. */
export const skipBrowser = !existsSync(CHROMIUM_PATH) && process.env.CI !== 'true';
if (skipBrowser) console.warn(`[templates] browser test skipped: no Chromium at ${CHROMIUM_PATH} (set CHROMIUM_PATH).`);

export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    timeout: 30_000,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
}
