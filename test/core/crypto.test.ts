import { createHash, createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createNodeCryptoBackend,
  createWebCryptoBackend,
  getCryptoBackend,
  hmacSha256Hex,
  randomId,
  sha256Hex,
  timingSafeEqualString,
} from '../../src/core/crypto.js';
import { SiglumeDirectRequestPaymentError } from '../../src/core/errors.js';
import { loadRuntimes } from '../support/runtimes.js';

const backends = [createNodeCryptoBackend(), createWebCryptoBackend()];
const encoder = new TextEncoder();

function concat(parts: ReadonlyArray<string | Uint8Array>): Buffer {
  return Buffer.concat(parts.map((p) => (typeof p === 'string' ? Buffer.from(p, 'utf8') : Buffer.from(p))));
}

// Any UTF-16 code unit, lone surrogates included.
const codeUnit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
const part = fc.oneof(fc.string({ unit: 'grapheme', maxLength: 40 }), fc.uint8Array({ maxLength: 64 }));

describe('crypto seam', () => {
  describe('when running in Node', () => {
    it('selects the node:crypto backend', () => {
      expect(getCryptoBackend().name).toBe('node');
    });

    it('delegates the module-level functions to the selected backend', async () => {
      expect(await hmacSha256Hex('Jefe', ['what do ya want ', 'for nothing?'])).toBe(
        '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
      );
      expect(await sha256Hex('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
      expect(timingSafeEqualString('abc', 'abc')).toBe(true);
      expect(randomId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    });
  });

  describe('when process.getBuiltinModule is absent (worker, edge runtime)', () => {
    it('selects the Web Crypto backend', async () => {
      const [, web] = await loadRuntimes();
      expect(web!.crypto.getCryptoBackend().name).toBe('webcrypto');
    });
  });

  describe('when no implementation exists', () => {
    it('rejects a Web Crypto backend without subtle with CRYPTO_UNAVAILABLE', () => {
      expect(() => createWebCryptoBackend({} as Crypto)).toThrow(
        expect.objectContaining({ code: 'CRYPTO_UNAVAILABLE' }),
      );
      expect(() => createWebCryptoBackend({} as Crypto)).toThrow(SiglumeDirectRequestPaymentError);
    });
  });

  describe.each(backends)('$name backend', (backend) => {
    it('computes the RFC 4231 HMAC-SHA256 vector', async () => {
      expect(await backend.hmacSha256Hex('Jefe', ['what do ya want for nothing?'])).toBe(
        '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
      );
    });

    it('computes SHA-256 of text and of bytes', async () => {
      const abc = 'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad';
      expect(await backend.sha256Hex('abc')).toBe(abc);
      expect(await backend.sha256Hex(encoder.encode('abc'))).toBe(abc);
    });

    it('hashes the concatenation of any mix of string and byte parts, keyed by the UTF-8 secret', async () => {
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 24 }), fc.array(part, { maxLength: 4 }), async (key, parts) => {
          const expected = createHmac('sha256', Buffer.from(key, 'utf8')).update(concat(parts)).digest('hex');
          expect(await backend.hmacSha256Hex(key, parts)).toBe(expected);
        }),
        { numRuns: 300 },
      );
    });

    it('hashes text as UTF-8', async () => {
      await fc.assert(
        fc.asyncProperty(fc.string({ unit: 'grapheme', maxLength: 64 }), async (s) => {
          expect(await backend.sha256Hex(s)).toBe(createHash('sha256').update(s, 'utf8').digest('hex'));
        }),
        { numRuns: 300 },
      );
    });

    it('stays correct when more secrets are used than the key cache holds', async () => {
      for (let round = 0; round < 2; round++) {
        for (let i = 0; i < 80; i++) {
          const key = `whsec_rotating_${i}`;
          const expected = createHmac('sha256', key).update('body').digest('hex');
          expect(await backend.hmacSha256Hex(key, ['body'])).toBe(expected);
        }
      }
    });

    it('compares strings exactly like ===', () => {
      fc.assert(
        fc.property(fc.string({ unit: codeUnit, maxLength: 80 }), fc.string({ unit: codeUnit, maxLength: 80 }), (a, b) =>
          backend.timingSafeEqualString(a, b) === (a === b) && backend.timingSafeEqualString(a, a),
        ),
        { numRuns: 500 },
      );
    });

    it('rejects an equal-length string that differs in a single code unit', () => {
      fc.assert(
        fc.property(
          fc.string({ unit: codeUnit, minLength: 1, maxLength: 600 }),
          fc.nat(),
          fc.integer({ min: 1, max: 0xffff }),
          (a, at, delta) => {
            const i = at % a.length;
            const b = a.slice(0, i) + String.fromCharCode((a.charCodeAt(i) + delta) % 0x10000) + a.slice(i + 1);
            return !backend.timingSafeEqualString(a, b) && !backend.timingSafeEqualString(b, a);
          },
        ),
        { numRuns: 500 },
      );
    });

    it('tells apart equal-length strings that differ in one character, including long and non-ASCII ones', () => {
      const long = 'a'.repeat(5000);
      expect(backend.timingSafeEqualString(long, long)).toBe(true);
      expect(backend.timingSafeEqualString(long, `${long.slice(0, -1)}b`)).toBe(false);
      expect(backend.timingSafeEqualString('é', 'e')).toBe(false);
      expect(backend.timingSafeEqualString('\u0101', '\u0201')).toBe(false);
      expect(backend.timingSafeEqualString('', '')).toBe(true);
      expect(backend.timingSafeEqualString('abc', 'abcd')).toBe(false);
    });

    it('returns distinct v4 UUIDs', () => {
      const ids = new Set(Array.from({ length: 50 }, () => backend.randomId()));
      expect(ids.size).toBe(50);
      for (const id of ids) expect(id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    });
  });

  describe('Web Crypto backend', () => {
    it('retries a key import that failed instead of caching the failure', async () => {
      let failures = 1;
      const subtle = globalThis.crypto.subtle;
      const flaky = {
        subtle: {
          importKey: (...args: Parameters<SubtleCrypto['importKey']>) =>
            failures-- > 0 ? Promise.reject(new Error('transient')) : subtle.importKey(...args),
          sign: subtle.sign.bind(subtle),
          digest: subtle.digest.bind(subtle),
        },
        getRandomValues: (a: Uint8Array) => globalThis.crypto.getRandomValues(a),
      } as unknown as Crypto;
      const backend = createWebCryptoBackend(flaky);
      await expect(backend.hmacSha256Hex('k', ['x'])).rejects.toThrow('transient');
      expect(await backend.hmacSha256Hex('k', ['x'])).toBe(createHmac('sha256', 'k').update('x').digest('hex'));
    });

    it('builds v4 UUIDs from getRandomValues when randomUUID is missing', () => {
      const backend = createWebCryptoBackend({
        subtle: globalThis.crypto.subtle,
        getRandomValues: (a: Uint8Array) => globalThis.crypto.getRandomValues(a),
      } as unknown as Crypto);
      expect(backend.randomId()).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    });
  });

  describe('runtime neutrality', () => {
    it('keeps everything the webhook and challenge modules load free of static node: imports', () => {
      const root = join(import.meta.dirname, '../../src');
      const queue = ['webhooks/signature.ts', 'webhooks/event.ts', 'webhooks/request.ts',
        'challenges/challenge.ts', 'challenges/recurring.ts', 'challenges/request-hash.ts'];
      const seen = new Set<string>();
      const offenders: string[] = [];
      while (queue.length > 0) {
        const file = queue.pop()!;
        if (seen.has(file)) continue;
        seen.add(file);
        const text = readFileSync(join(root, file), 'utf8');
        const imports = text.matchAll(/^\s*(?:import|export)\s+(type\s+)?[^;]*?from\s+['"]([^'"]+)['"]/gm);
        for (const [, typeOnly, spec] of imports) {
          if (spec!.startsWith('node:') && !typeOnly) offenders.push(`${file} -> ${spec}`);
          if (spec!.startsWith('.')) queue.push(posix.join(posix.dirname(file), spec!.replace(/\.js$/, '.ts')));
        }
        if (/\brequire\(/.test(text)) offenders.push(`${file} -> require()`);
      }
      expect(seen.has('core/crypto.ts')).toBe(true);
      expect(offenders).toEqual([]);
    });
  });
});
