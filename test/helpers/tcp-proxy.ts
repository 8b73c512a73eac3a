import { createServer, type Server, Socket } from 'node:net';

/** A TCP proxy in front of a real server that a test can break in the ways networks break. */
export interface TcpProxy {
  /** Port the proxy listens on (127.0.0.1). */
  port: number;
  /** Forwarding both ways (the initial mode). */
  forward(): void;
  /** Keeps accepting connections and keeps existing ones open, but forwards nothing either way: a server that never answers. */
  blackhole(): void;
  /** Resets every connection and stops listening (new connections are refused): a server that is down. One-way. */
  refuse(): void;
  /** Closes the listener and every connection. */
  close(): Promise<void>;
}

/** Starts a {@link TcpProxy} to `targetHost:targetPort` on a free port. */
export async function startTcpProxy(targetHost: string, targetPort: number): Promise<TcpProxy> {
  let mode: 'forward' | 'blackhole' | 'refuse' = 'forward';
  const pairs = new Set<[Socket, Socket | undefined]>();
  const server: Server = createServer((client) => {
    client.on('error', () => client.destroy());
    if (mode === 'refuse') return void client.resetAndDestroy();
    if (mode === 'blackhole') {
      // Accepted and silent: whatever the client sends is read and dropped.
      client.on('data', () => undefined);
      pairs.add([client, undefined]);
      return;
    }
    const upstream = new Socket();
    const pair: [Socket, Socket | undefined] = [client, upstream];
    pairs.add(pair);
    upstream.on('error', () => client.destroy());
    upstream.connect(targetPort, targetHost);
    client.on('data', (d: Buffer) => {
      if (mode === 'forward') upstream.write(d);
    });
    upstream.on('data', (d: Buffer) => {
      if (mode === 'forward') client.write(d);
    });
    const end = () => {
      pairs.delete(pair);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('proxy has no port');
  const dropAll = () => {
    for (const [a, b] of pairs) {
      a.resetAndDestroy();
      b?.destroy();
    }
    pairs.clear();
  };
  return {
    port: address.port,
    forward() {
      mode = 'forward';
    },
    blackhole() {
      mode = 'blackhole';
    },
    refuse() {
      mode = 'refuse';
      server.close();
      dropAll();
    },
    async close() {
      dropAll();
      if (server.listening) await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
