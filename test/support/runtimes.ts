/**
 * Loads the crypto-backed modules twice: once as Node loads them (node:crypto
 * backend) and once as a Fetch-API runtime without `process.getBuiltinModule`
 * would (Web Crypto backend), so every contract vector runs on both.
 *
 * Each runtime gets its own module graph, including its own error classes;
 * tests must use `rt.errors` for `instanceof` checks.
 */
import { vi } from 'vitest';

async function loadAll() {
  const [crypto, errors, challenge, recurring, requestHash, signature, event, request] = await Promise.all([
    import('../../src/core/crypto.js'),
    import('../../src/core/errors.js'),
    import('../../src/challenges/challenge.js'),
    import('../../src/challenges/recurring.js'),
    import('../../src/challenges/request-hash.js'),
    import('../../src/webhooks/signature.js'),
    import('../../src/webhooks/event.js'),
    import('../../src/webhooks/request.js'),
  ]);
  return { crypto, errors, challenge, recurring, requestHash, signature, event, request };
}

export type Runtime = Awaited<ReturnType<typeof loadAll>> & { name: 'node' | 'webcrypto' };

/** Both runtimes, Node first. Call once per test file (top-level await). */
export async function loadRuntimes(): Promise<Runtime[]> {
  const node = { name: 'node' as const, ...(await loadAll()) };
  const proc = process as { getBuiltinModule?: unknown };
  const original = proc.getBuiltinModule;
  vi.resetModules();
  proc.getBuiltinModule = undefined;
  try {
    const web = { name: 'webcrypto' as const, ...(await loadAll()) };
    // The backend is chosen on first use; choose it while node:crypto is hidden.
    web.crypto.getCryptoBackend();
    return [node, web];
  } finally {
    proc.getBuiltinModule = original;
  }
}
