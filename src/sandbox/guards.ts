/**
 * Defences against the browser the sandbox runs next to, where any web page can make requests to 127.0.0.1:
 *
 * - DNS rebinding: a page on `rebind.attacker.example`, whose name later resolves to 127.0.0.1, is
 *   same-origin with itself and may read answers. Its requests carry its own name in `Host`, so every
 *   route answers only the hosts the sandbox serves (421 otherwise).
 * - Cross-site requests: a `text/plain` form or fetch from another origin needs no preflight. The control
 *   routes (no auth) and the hosted page's Pay / Cancel posts refuse a foreign `Origin` or `Sec-Fetch-Site:
 *   cross-site` (403). `/v1` needs a bearer token, which a cross-site page cannot attach without a CORS
 *   preflight the sandbox never grants.
 */
import { SandboxHttpError } from './errors.js';

const hostPort = (url: URL) =>
  `${url.hostname.toLowerCase()}:${url.port || (url.protocol === 'https:' ? '443' : '80')}`;

/** The `Host` values a sandbox answers: its own host and `localhost` / `127.0.0.1` / `[::1]` at its port, plus `allowed_hosts`. */
export class HostAllowList {
  readonly #allowed = new Set<string>();

  /** `extra` entries are `name` (any port) or `name:port`. */
  constructor(origin: string, extra: readonly string[]) {
    const own = new URL(origin);
    for (const name of [own.hostname, 'localhost', '127.0.0.1', '[::1]'])
      this.#allowed.add(hostPort(new URL(`${own.protocol}//${name}:${own.port}`)));
    for (const entry of extra)
      this.#allowed.add(/:[0-9]+$/.test(entry) ? hostPort(new URL(`http://${entry}`)) : `${entry}:*`);
  }

  #allows(host: string, protocol: string): boolean {
    try {
      const url = new URL(`${protocol}//${host}`);
      return this.#allowed.has(hostPort(url)) || this.#allowed.has(`${url.hostname.toLowerCase()}:*`);
    } catch {
      return false;
    }
  }

  /**
   * Checks the request URL's authority and the `Host` header when present (they differ only for
   * absolute-form request targets).
   * @throws {SandboxHttpError} 421 `HOST_NOT_ALLOWED`
   */
  check(req: Request, url = new URL(req.url)): void {
    const header = req.headers.get('host')?.toLowerCase() ?? url.host;
    if (this.#allows(url.host, url.protocol) && (header === url.host || this.#allows(header, url.protocol))) return;
    const message = `This sandbox answers only requests addressed to ${[...this.#allowed].join(', ')}. Use one of those, or allow the name with the allowed_hosts option (--allowed-host).`;
    throw new SandboxHttpError(421, 'HOST_NOT_ALLOWED', message);
  }
}

/**
 * Refuses a cross-origin browser request: an `Origin` other than the one the request was addressed to, or
 * `Sec-Fetch-Site: cross-site`. Requests without either header (curl, the SDK, Node's fetch) pass.
 * @throws {SandboxHttpError} 403 `CROSS_ORIGIN_FORBIDDEN`
 */
export function checkSameOrigin(req: Request, url = new URL(req.url)): void {
  const origin = req.headers.get('origin');
  if (req.headers.get('sec-fetch-site') !== 'cross-site' && (origin === null || origin === url.origin)) return;
  const message = 'The sandbox refuses cross-origin browser requests to its control routes and hosted page forms.';
  throw new SandboxHttpError(403, 'CROSS_ORIGIN_FORBIDDEN', message);
}

/** True for a loopback peer address, or none (an in-process request). */
export const isLoopbackPeer = (address: string | undefined): boolean =>
  address === undefined || address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
