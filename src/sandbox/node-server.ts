/**
 * The one file of the sandbox that knows about `node:http`: it serves the
 * app's `fetch` on a socket through `@hono/node-server`'s request listener
 * (which turns an `IncomingMessage` into a web `Request` and writes the
 * `Response` back). Everything else is web-standard.
 */
import { createServer } from 'node:http';
import { getRequestListener } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { ConnectionDropped, SandboxStartError } from './errors.js';
import { responseText, type SandboxAppEnv } from './http.js';

/** A listening server. */
export interface Listening {
  port: number;
  /** Stops accepting, lets running requests finish (at most 1 s), then closes every connection. */
  close(): Promise<void>;
}

/**
 * Listens on `host:port` (port 0 picks a free one).
 * @throws {SandboxStartError} when the port is taken or the host is not an address of this machine.
 */
export function listen(
  fetch: (req: Request, peer: SandboxAppEnv['Bindings']) => Promise<Response>,
  port: number,
  host: string,
): Promise<Listening> {
  const listener = getRequestListener(
    async (req, { incoming, outgoing }) => {
      try {
        const res = await fetch(req, { remote_address: incoming.socket.remoteAddress });
        // Written here rather than returned: the adapter would stream the body through a reader and a
        // timer tick per answer (about 1 ms on these small bodies); the app kept the text aside.
        const text = responseText.get(res);
        const body = text === undefined ? Buffer.from(await res.arrayBuffer()) : Buffer.from(text, 'utf8');
        const headers: Record<string, string | number> = {};
        res.headers.forEach((value, name) => (headers[name] = value));
        headers['content-length'] = body.length;
        if (!outgoing.destroyed) outgoing.writeHead(res.status, headers).end(body);
      } catch (error) {
        if (!(error instanceof ConnectionDropped)) throw error;
        incoming.socket.destroy();
      }
      return RESPONSE_ALREADY_SENT;
    },
    // Never replace the process-wide Request / Response: the sandbox runs inside other people's processes.
    { overrideGlobalObjects: false },
  );
  const server = createServer({ keepAliveTimeout: 10_000, requestTimeout: 60_000 }, listener);
  server.on('clientError', (_error, socket) => {
    if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
    else socket.destroy();
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'EADDRINUSE'
          ? `port ${port} is already in use on ${host} (pass port 0 to pick a free one)`
          : error.code === 'EADDRNOTAVAIL' || error.code === 'ENOTFOUND'
            ? `host ${host} is not an address of this machine`
            : (error.code ?? error.message);
      reject(new SandboxStartError(`The sandbox could not listen: ${reason}.`, { cause: error }));
    });
    server.listen(port, host, () => {
      server.removeAllListeners('error');
      const address = server.address();
      const close = () =>
        new Promise<void>((done) => {
          const force = setTimeout(() => server.closeAllConnections(), 1000);
          server.close(() => (clearTimeout(force), done()));
          server.closeIdleConnections();
        });
      resolve({ port: typeof address === 'object' && address ? address.port : port, close });
    });
  });
}
