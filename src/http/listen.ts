import type http from 'node:http';
import type { AddressInfo } from 'node:net';

/** Addresses that mean "every interface": a client reaches them at localhost. */
const WILDCARDS = new Set(['0.0.0.0', '::']);

/**
 * Listen on `port` (0 = any free port) at `host` (HOST / GATEWAY_HOST; undefined = every interface,
 * Node's default) and resolve with the base URL a local client uses: `http://localhost:<port>` when
 * bound to every interface, otherwise the address actually bound (IPv6 in brackets).
 */
export function listenOn(server: http.Server, port: number, host: string | undefined): Promise<string> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen({ port, host }, () => {
      server.off('error', reject);
      const address = server.address() as AddressInfo;
      const where = host === undefined || WILDCARDS.has(address.address) ? 'localhost' : address.family === 'IPv6' ? `[${address.address}]` : address.address;
      resolve(`http://${where}:${address.port}`);
    });
  });
}
