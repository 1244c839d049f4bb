/**
 * The Node side of the `#platform` seam (package.json `imports`, condition
 * `node`): undici, for its pooled keep-alive `request`.
 *
 * Only Node resolves `#platform` to this file. Worker, edge and browser
 * builds resolve it to `./web.ts`, so their bundlers never see the
 * `import('undici')` below and never reach undici's `node:` modules.
 * undici is still loaded lazily, on the first request, because importing it
 * costs more than the rest of the package put together.
 */
import type { UndiciLike } from './types.js';

/** Loads undici, or resolves null when it cannot be loaded. */
export function loadUndici(): Promise<UndiciLike | null> {
  return import('undici').then(
    (undici) => undici as unknown as UndiciLike,
    () => null,
  );
}
