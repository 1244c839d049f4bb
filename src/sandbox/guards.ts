/**
 * The sandbox's defences against the browser it runs next to. A page on any
 * site can make the developer's browser send requests to 127.0.0.1; two
 * checks keep such a page out:
 *
 * - DNS rebinding: a page on `rebind.attacker.example` whose name later
 *   resolves to 127.0.0.1 is same-origin with itself and may read answers.
 *   Its requests carry `Host: rebind.attacker.example`, so every route
 *   answers only the `Host` values the sandbox serves (421 otherwise).
 * - Cross-site requests: a `text/plain` form or fetch from another origin is
 *   sent without a preflight. The control routes (no auth) and the hosted
 *   page's Pay / Cancel posts refuse a foreign `Origin` or
 *   `Sec-Fetch-Site: cross-site` (403). `/v1` needs a bearer token, which a
 *   cross-site page cannot attach without a CORS preflight the sandbox never
 *   grants.
 */
import { SandboxHttpError } from './errors.js';

const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** `host:port` with the scheme's default port made explicit, lower-case. */
function hostPort(url: URL): string {
  return `${url.hostname.toLowerCase()}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;
}

/** The `Host` values a sandbox answers. */
export class HostAllowList {
  readonly #exact = new Set<string>();
  readonly #anyPort = new Set<string>();

  /**
   * @param origin the sandbox's own origin, e.g. `http://127.0.0.1:8787`
   * @param extra `allowed_hosts`: `name` (any port) or `name:port`
   */
  constructor(origin: string, extra: readonly string[]) {
    const own = new URL(origin);
    const port = own.port || '80';
    for (const name of [own.hostname.toLowerCase(), ...LOOPBACK_NAMES]) this.#exact.add(`${name}:${port}`);
    for (const entry of extra) {
      if (/:[0-9]+$/.test(entry)) this.#exact.add(hostPort(new URL(`http://${entry}`)));
      else this.#anyPort.add(entry.toLowerCase());
    }
  }

  /** The allowed `host:port` values, for messages. */
  describe(): string {
    return [...this.#exact, ...[...this.#anyPort].map((h) => `${h}:*`)].join(', ');
  }

  #allows(url: URL): boolean {
    return this.#exact.has(hostPort(url)) || this.#anyPort.has(url.hostname.toLowerCase());
  }

  /**
   * Checks the request URL's authority and, when present, the `Host` header
   * (they differ only for absolute-form request targets).
   * @throws {SandboxHttpError} 421 `HOST_NOT_ALLOWED`
   */
  check(req: Request): void {
    const url = new URL(req.url);
    const header = req.headers.get('host');
    let ok = this.#allows(url);
    if (ok && header !== null) {
      try {
        ok = this.#allows(new URL(`${url.protocol}//${header}`));
      } catch {
        ok = false;
      }
    }
    if (!ok) {
      throw new SandboxHttpError(421, 'HOST_NOT_ALLOWED',
        `This sandbox answers only requests addressed to ${this.describe()}. ` +
          'Use one of those addresses, or add the name with the allowed_hosts option (--allowed-host).');
    }
  }
}

/**
 * Refuses a cross-origin browser request: an `Origin` other than the one the
 * request was addressed to (already checked by {@link HostAllowList}), or
 * `Sec-Fetch-Site: cross-site`. Requests without either header (curl, the SDK,
 * Node's fetch) pass.
 * @throws {SandboxHttpError} 403 `CROSS_ORIGIN_FORBIDDEN`
 */
export function checkSameOrigin(req: Request): void {
  const origin = req.headers.get('origin');
  if (req.headers.get('sec-fetch-site') === 'cross-site' || (origin !== null && origin !== new URL(req.url).origin)) {
    throw new SandboxHttpError(403, 'CROSS_ORIGIN_FORBIDDEN',
      'The sandbox refuses cross-origin browser requests to its control routes and hosted page forms.');
  }
}

/** True for a loopback peer address (or none: an in-process request). */
export function isLoopbackPeer(address: string | undefined): boolean {
  return address === undefined || address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}
