/**
 * The Fetch-API side of the `#platform` seam (package.json `imports`,
 * conditions `workerd`, `edge-light`, `worker`, `browser` and the default):
 * no undici, so requests go through the global `fetch`.
 */
import type { UndiciLike } from './types.js';

/** There is no undici here. */
export function loadUndici(): Promise<UndiciLike | null> {
  return Promise.resolve(null);
}
