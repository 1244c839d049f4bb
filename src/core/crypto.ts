/**
 * The crypto seam: HMAC-SHA256, SHA-256, constant-time comparison and random
 * ids behind one small interface with two backends.
 *
 * - **Node** (`node:crypto`, found through `process.getBuiltinModule`, Node >=
 *   20.16): synchronous, fastest, one `KeyObject` cached per secret.
 * - **Web Crypto** (`globalThis.crypto.subtle`): for Fetch-API runtimes
 *   (workers, edge route handlers) where no `node:` module exists.
 *
 * There is deliberately no static `node:` import anywhere in the package, so
 * the bundle loads in a worker. The backend is chosen once, on first use
 * rather than at import: loading `node:crypto` costs several milliseconds,
 * which a process that imports the package without hashing anything (or a
 * cold start that has not received its first webhook yet) should not pay.
 * Every hashing function returns a Promise because Web Crypto is async.
 */
import { concatBytes } from './bytes.js';
import { SiglumeDirectRequestPaymentError } from './errors.js';

/** Bytes or text; text is hashed as its UTF-8 encoding. */
export type CryptoInput = string | Uint8Array;

/** What both backends provide. Hex output is always lower-case. */
export interface CryptoBackend {
  /** `'node'` or `'webcrypto'`. */
  readonly name: 'node' | 'webcrypto';
  /** HMAC-SHA256 keyed by the UTF-8 bytes of `key` over the concatenation of `parts`. */
  hmacSha256Hex(key: string, parts: ReadonlyArray<CryptoInput>): Promise<string>;
  /** SHA-256 of `data`. */
  sha256Hex(data: CryptoInput): Promise<string>;
  /**
   * Compares two strings in time that depends only on their lengths. Strings
   * of different lengths are unequal (lengths of signatures are not secret).
   */
  timingSafeEqualString(a: string, b: string): boolean;
  /** A random (v4) UUID. */
  randomId(): string;
}

/** The subset of `node:crypto` this module uses. */
type NodeCrypto = typeof import('node:crypto');
type NodeBuffer = typeof import('node:buffer');
type KeyObject = import('node:crypto').KeyObject;

/**
 * Secrets are few (one or two per endpoint during a rotation), so a small
 * bounded cache keeps the key import off the hot path without letting a
 * caller that passes ever-new secrets grow memory without bound.
 */
const KEY_CACHE_LIMIT = 32;

function boundedSet<V>(cache: Map<string, V>, key: string, value: V): V {
  if (cache.size >= KEY_CACHE_LIMIT) {
    const oldest = cache.keys().next().value;
    if (oldest !== undefined) cache.delete(oldest);
  }
  cache.set(key, value);
  return value;
}

function getBuiltin<T>(id: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  try {
    return proc?.getBuiltinModule?.(id) as T | undefined;
  } catch {
    return undefined;
  }
}

// Scratch space for the Node comparison: writing both strings into reusable
// buffers avoids two allocations per comparison on the webhook hot path.
const SCRATCH_BYTES = 1024;

/**
 * The `node:crypto` backend. Pass the module explicitly, or let it be found
 * with `process.getBuiltinModule('node:crypto')`.
 *
 * @throws {SiglumeDirectRequestPaymentError} `CRYPTO_UNAVAILABLE` outside Node (>= 20.16).
 */
export function createNodeCryptoBackend(nodeCrypto?: NodeCrypto, nodeBuffer?: NodeBuffer): CryptoBackend {
  const c = nodeCrypto ?? getBuiltin<NodeCrypto>('node:crypto');
  const B = (nodeBuffer ?? getBuiltin<NodeBuffer>('node:buffer'))?.Buffer;
  if (!c || !B) {
    throw new SiglumeDirectRequestPaymentError('node:crypto is not available in this runtime', {
      code: 'CRYPTO_UNAVAILABLE',
    });
  }
  const keys = new Map<string, KeyObject>();
  const scratchA = B.alloc(SCRATCH_BYTES);
  const scratchB = B.alloc(SCRATCH_BYTES);
  const views: Array<[Uint8Array, Uint8Array]> = [];

  function keyFor(secret: string): KeyObject {
    return keys.get(secret) ?? boundedSet(keys, secret, c!.createSecretKey(B!.from(secret, 'utf8')));
  }

  return {
    name: 'node',
    hmacSha256Hex(key, parts) {
      const h = c.createHmac('sha256', keyFor(key));
      for (let i = 0; i < parts.length; i++) h.update(parts[i]!);
      return Promise.resolve(h.digest('hex'));
    },
    sha256Hex(data) {
      return Promise.resolve(c.createHash('sha256').update(data).digest('hex'));
    },
    timingSafeEqualString(a, b) {
      if (a.length !== b.length) return false;
      // UTF-16LE is a fixed two bytes per code unit, so equal-length strings
      // give equal-length buffers and the encoding is injective.
      const n = a.length * 2;
      if (n > SCRATCH_BYTES) return c.timingSafeEqual(B.from(a, 'utf16le'), B.from(b, 'utf16le'));
      scratchA.write(a, 0, 'utf16le');
      scratchB.write(b, 0, 'utf16le');
      const v = (views[n] ??= [scratchA.subarray(0, n), scratchB.subarray(0, n)]);
      return c.timingSafeEqual(v[0], v[1]);
    },
    randomId() {
      return c.randomUUID();
    },
  };
}

const HEX: readonly string[] = /* @__PURE__ */ Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));

function toHex(buf: ArrayBuffer): string {
  const bytes = new Uint8Array(buf);
  let out = '';
  for (let i = 0; i < bytes.length; i++) out += HEX[bytes[i]!];
  return out;
}

const encoder = /* @__PURE__ */ new TextEncoder();

function concatParts(parts: ReadonlyArray<CryptoInput>): Uint8Array {
  return concatBytes(parts.map((p) => (typeof p === 'string' ? encoder.encode(p) : p)));
}

/** Constant-time (for equal lengths) comparison in plain JavaScript. */
function xorEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}

function uuidFromRandom(getRandomValues: (a: Uint8Array) => Uint8Array): string {
  const b = getRandomValues(new Uint8Array(16));
  b[6] = (b[6]! & 0x0f) | 0x40;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = toHex(b.buffer as ArrayBuffer);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
}

/**
 * The Web Crypto backend, for runtimes with only `globalThis.crypto`.
 * Node also has Web Crypto, which is how the tests exercise this backend.
 *
 * @param webCrypto - A `Crypto` object.
 * @default globalThis.crypto
 * @throws {SiglumeDirectRequestPaymentError} `CRYPTO_UNAVAILABLE` when there is no `crypto.subtle`.
 */
export function createWebCryptoBackend(webCrypto: Crypto | undefined = globalThis.crypto): CryptoBackend {
  const subtle = webCrypto?.subtle;
  if (!webCrypto || !subtle) {
    throw new SiglumeDirectRequestPaymentError('Web Crypto (globalThis.crypto.subtle) is not available in this runtime', {
      code: 'CRYPTO_UNAVAILABLE',
    });
  }
  // The promise is cached, not the key, so concurrent first calls share one import.
  const keys = new Map<string, Promise<CryptoKey>>();

  function keyFor(secret: string): Promise<CryptoKey> {
    const cached = keys.get(secret);
    if (cached) return cached;
    const imported = subtle!.importKey('raw', encoder.encode(secret), { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
    // A failed import must not poison the cache for later calls.
    imported.catch(() => keys.delete(secret));
    return boundedSet(keys, secret, imported);
  }

  return {
    name: 'webcrypto',
    async hmacSha256Hex(key, parts) {
      const cryptoKey = await keyFor(key);
      return toHex(await subtle.sign('HMAC', cryptoKey, concatParts(parts) as BufferSource));
    },
    async sha256Hex(data) {
      const bytes = typeof data === 'string' ? encoder.encode(data) : data;
      return toHex(await subtle.digest('SHA-256', bytes as BufferSource));
    },
    timingSafeEqualString: xorEqual,
    randomId() {
      return typeof webCrypto.randomUUID === 'function'
        ? webCrypto.randomUUID()
        : uuidFromRandom((a) => webCrypto.getRandomValues(a));
    },
  };
}

function selectBackend(): CryptoBackend | null {
  if (getBuiltin<NodeCrypto>('node:crypto')) {
    try {
      return createNodeCryptoBackend();
    } catch {
      // fall through to Web Crypto
    }
  }
  try {
    return createWebCryptoBackend();
  } catch {
    return null;
  }
}

/** undefined until the first use; null when no backend exists. */
let selected: CryptoBackend | null | undefined;

/**
 * The backend of this runtime, chosen on first use: `node` when
 * `process.getBuiltinModule('node:crypto')` works, else `webcrypto`.
 *
 * @throws {SiglumeDirectRequestPaymentError} `CRYPTO_UNAVAILABLE` when neither exists.
 */
export function getCryptoBackend(): CryptoBackend {
  if (selected === undefined) selected = selectBackend();
  if (!selected) {
    throw new SiglumeDirectRequestPaymentError(
      'No crypto implementation found: need node:crypto (Node >= 20.16) or globalThis.crypto.subtle',
      { code: 'CRYPTO_UNAVAILABLE' },
    );
  }
  return selected;
}

/** HMAC-SHA256 (lower-case hex) keyed by the UTF-8 bytes of `key` over the concatenated `parts`. */
export function hmacSha256Hex(key: string, parts: ReadonlyArray<CryptoInput>): Promise<string> {
  return (selected || getCryptoBackend()).hmacSha256Hex(key, parts);
}

/** SHA-256 (lower-case hex) of `data` (strings as UTF-8). */
export function sha256Hex(data: CryptoInput): Promise<string> {
  return (selected || getCryptoBackend()).sha256Hex(data);
}

/** Compares two strings in time independent of their content; different lengths are unequal. */
export function timingSafeEqualString(a: string, b: string): boolean {
  return (selected || getCryptoBackend()).timingSafeEqualString(a, b);
}

/** A random v4 UUID. */
export function randomId(): string {
  return (selected || getCryptoBackend()).randomId();
}

/** `sha256:` + lower-case hex SHA-256 of `data`: the contract's tagged hash (challenge and request hashes). */
export async function sha256Tagged(data: CryptoInput): Promise<string> {
  return `sha256:${await sha256Hex(data)}`;
}
