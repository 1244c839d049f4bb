/**
 * Ports `fetch` refuses to connect to: the Fetch standard's "bad ports" (https://fetch.spec.whatwg.org/#port-blocking),
 * reserved for other protocols (SMTP 25, IRC 6665-6669, X11 6000, ...). Node's `fetch` fails on them before
 * opening a connection, with a `TypeError('fetch failed')` whose cause is `Error('bad port')` and carries no
 * system code; {@link errorCode} of `retry.ts` reports that as {@link BAD_PORT}, the one place it is recognized.
 * Nothing was sent, and sending again cannot help.
 */

/** The code `errorCode` gives fetch's refusal of a blocked port. */
export const BAD_PORT = 'BAD_PORT';

/** The message of the cause fetch (undici) gives for a blocked port. */
export const BAD_PORT_MESSAGE = 'bad port';

/** The Fetch standard's blocked ports, as Node's fetch applies them. */
const FETCH_BLOCKED_PORTS: ReadonlySet<number> = /* @__PURE__ */ new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110, 111,
  113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532, 540,
  548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061, 6000,
  6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

/** True when `fetch` will not connect to `port` (so a server listening there cannot be reached by this SDK). */
export function fetchBlocksPort(port: number): boolean {
  return FETCH_BLOCKED_PORTS.has(port);
}

/** The port of `url` as a number (the scheme's default when it names none), or null when `url` does not parse. */
export function portOf(url: string): number | null {
  try {
    const u = new URL(url);
    return u.port !== '' ? Number(u.port) : u.protocol === 'https:' ? 443 : u.protocol === 'http:' ? 80 : null;
  } catch {
    return null;
  }
}
