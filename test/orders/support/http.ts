/**
 * A Node HTTP server around Fetch handlers (what any Fetch-API framework does
 * for you), and a delivery tap the sandbox posts webhooks to: it forwards
 * each delivery to the shop, or drops it, as the test says.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

export type FetchHandler = (request: Request) => Promise<Response>;

async function toRequest(req: IncomingMessage, origin: string): Promise<Request> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) if (typeof v === 'string') headers.set(k, v);
  const body = chunks.length && req.method !== 'GET' && req.method !== 'HEAD' ? Buffer.concat(chunks) : undefined;
  return new Request(new URL(req.url ?? '/', origin), { method: req.method ?? 'GET', headers, ...(body ? { body } : {}) });
}

async function send(res: ServerResponse, response: Response): Promise<void> {
  const body = Buffer.from(await response.arrayBuffer());
  const headers: Record<string, string> = {};
  response.headers.forEach((value, key) => {
    headers[key] = value;
  });
  res.writeHead(response.status, headers);
  res.end(body);
}

export interface FetchServer {
  url: string;
  server: Server;
  close(): Promise<void>;
}

/** Serves `route(path)` handlers on 127.0.0.1 and a free port. `handlers` may be set after the start (`setRoutes`). */
export async function serveFetch(routes: Record<string, FetchHandler> = {}): Promise<FetchServer & { setRoutes(r: Record<string, FetchHandler>): void }> {
  let table = routes;
  let origin = '';
  const server = createServer((req, res) => {
    void (async () => {
      try {
        const request = await toRequest(req, origin);
        const handler = table[new URL(request.url).pathname];
        await send(res, handler ? await handler(request) : new Response('not found', { status: 404 }));
      } catch (error) {
        res.writeHead(500).end(String(error));
      }
    })();
  });
  server.keepAliveTimeout = 1000;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return {
    url: origin,
    server,
    setRoutes: (r) => {
      table = r;
    },
    close: () => {
      server.closeAllConnections();
      return new Promise((r) => server.close(() => r()));
    },
  };
}

/** Where the sandbox delivers: forwards to `target` (a URL) or answers 503 without forwarding (`drop`). */
export interface DeliveryTap {
  url: string;
  /** Forward deliveries to this webhook URL, or drop them (answer 503) when null. */
  target: string | null;
  /** Bodies of every delivery seen, with the status answered. */
  seen: Array<{ event_id: string; status: number }>;
  close(): Promise<void>;
}

export async function startDeliveryTap(): Promise<DeliveryTap> {
  const tap: DeliveryTap = { url: '', target: null, seen: [], close: async () => undefined };
  const srv = await serveFetch({
    '/payments/webhooks/siglume': async (request) => {
      const body = await request.arrayBuffer();
      const eventId = request.headers.get('siglume-event-id') ?? '';
      if (!tap.target) {
        tap.seen.push({ event_id: eventId, status: 503 });
        return new Response(null, { status: 503 });
      }
      const headers: Record<string, string> = {};
      for (const name of ['content-type', 'siglume-signature', 'siglume-event-id']) {
        const value = request.headers.get(name);
        if (value !== null) headers[name] = value;
      }
      const res = await fetch(tap.target, { method: 'POST', headers, body });
      tap.seen.push({ event_id: eventId, status: res.status });
      const answer = await res.arrayBuffer();
      return new Response(res.status === 204 ? null : answer, { status: res.status });
    },
  });
  tap.url = `${srv.url}/payments/webhooks/siglume`;
  tap.close = srv.close;
  return tap;
}
