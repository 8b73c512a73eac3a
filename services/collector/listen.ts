import type { AddressInfo, Server } from 'node:net';

/**
 * Binds `server` (node:http, node:https or node:http2) to `host:port` (port 0:
 * a free one); resolves with the bound address once it listens, rejects with
 * the bind error (e.g. EADDRINUSE) otherwise.
 */
export function listenOn(server: Server, host: string, port: number): Promise<AddressInfo> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve(server.address() as AddressInfo);
    });
  });
}
