/**
 * A TCP proxy on loopback between a store and its database, which a test can
 * stall as a frozen server or a partitioned network would: bytes are held
 * both ways on every connection and new connections are accepted but not
 * forwarded, so the driver hears nothing (no reset, no close). `resume()`
 * lets everything through again. The real database servers are never
 * touched.
 */
import net from 'node:net';

interface Link {
  client: net.Socket;
  upstream: net.Socket | null;
  stalled: boolean;
  /** Bytes held while stalled, in order, with the side they go to. */
  held: Array<['client' | 'upstream', Buffer]>;
}

export interface StallProxy {
  /** The proxy's port on 127.0.0.1. */
  port: number;
  /** Holds all traffic, and every new connection, until {@link resume}. */
  stall(): void;
  /** Stalls the first connection that sends a chunk matching `pattern`, after forwarding it: its answer is held. */
  stallOn(pattern: RegExp): void;
  /** Connections stalled by {@link stallOn} so far. */
  readonly triggered: number;
  /** Forwards what was held and lets traffic through again. */
  resume(): void;
  close(): Promise<void>;
}

export async function startStallProxy(target: { host: string; port: number }): Promise<StallProxy> {
  const links = new Set<Link>();
  let stalledAll = false;
  let trigger: RegExp | null = null;
  let triggered = 0;

  const connect = (link: Link) => {
    const upstream = net.connect(target.port, target.host);
    link.upstream = upstream;
    upstream.on('error', () => undefined);
    upstream.on('close', () => link.client.destroy());
    upstream.on('data', (chunk) => (link.stalled ? link.held.push(['client', chunk]) : link.client.write(chunk)));
  };
  const server = net.createServer((client) => {
    const link: Link = { client, upstream: null, stalled: stalledAll, held: [] };
    links.add(link);
    client.on('error', () => undefined);
    client.on('close', () => {
      links.delete(link);
      link.upstream?.destroy();
    });
    client.on('data', (chunk) => {
      if (link.stalled || !link.upstream) {
        link.held.push(['upstream', chunk]);
        return;
      }
      link.upstream.write(chunk);
      if (trigger?.test(chunk.toString('latin1'))) {
        trigger = null;
        triggered += 1;
        link.stalled = true;
      }
    });
    if (!stalledAll) connect(link);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as net.AddressInfo).port;
  return {
    port,
    get triggered() {
      return triggered;
    },
    stall() {
      stalledAll = true;
      for (const link of links) link.stalled = true;
    },
    stallOn(pattern) {
      trigger = pattern;
    },
    resume() {
      stalledAll = false;
      trigger = null;
      for (const link of links) {
        link.stalled = false;
        if (!link.upstream) connect(link);
        for (const [to, chunk] of link.held.splice(0)) (to === 'client' ? link.client : link.upstream!).write(chunk);
      }
    },
    async close() {
      for (const link of links) {
        link.client.destroy();
        link.upstream?.destroy();
      }
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
