/**
 * The one file of the sandbox that knows about `node:http`: it serves the
 * app's `fetch` on a socket through `@hono/node-server`'s request listener
 * (which turns an `IncomingMessage` into a web `Request` and writes the
 * `Response` back). Everything else is web-standard.
 */
import { createServer, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { getRequestListener } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { ConnectionDropped, SandboxStartError } from './errors.js';
import { responseText, type SandboxAppEnv } from './http.js';

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
      // The adapter builds the URL from the Host header without parsing it: `Host: 1.2.3.256` made the app's
      // `new URL()` throw, a 500. Refused here as the adapter refuses other malformed requests.
      if (!URL.canParse(req.url)) {
        outgoing.writeHead(400, { Connection: 'close', 'Content-Length': 0 }).end();
        return RESPONSE_ALREADY_SENT;
      }
      try {
        const res = await fetch(req, { remote_address: incoming.socket.remoteAddress });
        // Written here rather than returned: the adapter would stream the body through a reader and a
        // timer tick per answer (about 1 ms on these small bodies); the app kept the text aside.
        const text = responseText.get(res);
        const body = text === undefined ? Buffer.from(await res.arrayBuffer()) : Buffer.from(text, 'utf8');
        const headers: Record<string, string | number> = {};
        res.headers.forEach((value, name) => (headers[name] = value));
        headers['content-length'] = body.length;
        // Answered before the body arrived (a 401, a GET with a body): closing stops the read, where keeping the
        // connection would read and discard whatever length the client declared. While closing: kept, it held close().
        if (!incoming.complete) lingerOnClose(incoming.socket);
        if (!incoming.complete || !server.listening) headers.connection = 'close';
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
  // The answers each connection still owes, so the 400 for a malformed request pipelined behind well-formed
  // ones goes out after theirs: written at once, it read as the answer to the first of them.
  const owed = new WeakMap<Socket, Set<ServerResponse>>();
  const server = createServer({ keepAliveTimeout: 10_000, requestTimeout: 60_000 }, (incoming, outgoing) => {
    // Pipelined behind a body that was answered early, on a connection that is closing: never run, and drained
    // rather than destroyed (a reset would take the answer already sent with it); the linger ends the socket.
    if (incoming.socket.writableEnded) return void incoming.resume();
    const answers = owed.get(incoming.socket) ?? new Set<ServerResponse>();
    owed.set(incoming.socket, answers.add(outgoing));
    outgoing.once('close', () => answers.delete(outgoing));
    return listener(incoming, outgoing);
  });
  const refused = new WeakSet<Socket>();
  server.on('clientError', (_error, socket: Socket) => {
    if (refused.has(socket)) return;
    refused.add(socket);
    const refuse = () => {
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\nContent-Length: 0\r\n\r\n');
      else socket.destroy();
    };
    // A request whose body the error cut short is the malformed one: the 400 is its answer.
    const earlier = [...(owed.get(socket) ?? [])].filter((res) => res.req.complete);
    if (earlier.length === 0) return refuse();
    void Promise.all(earlier.map((res) => new Promise((done) => res.once('close', done)))).then(refuse);
  });
  return new Promise((resolve, reject) => {
    server.once('error', (error: NodeJS.ErrnoException) => {
      const reason =
        error.code === 'EADDRINUSE'
          ? `port ${port} is already in use on ${host} (use port 0, or --port 0 on the command line, to pick a free one)`
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
          server.close(() => (clearTimeout(force), done())); // which closes the idle connections at once
        });
      resolve({ port: typeof address === 'object' && address ? address.port : port, close });
    });
  });
}

// Closing a socket with unread bytes resets it, and the reset can overtake the answer in the client's buffer (a
// client still uploading lost its 413): the FIN goes first, then what still comes is dropped, for 1 s at most.
function lingerOnClose(socket: Socket): void {
  socket.destroySoon = () => {
    socket.end();
    setTimeout(() => socket.destroy(), 1000).unref();
  };
}
