import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';

/**
 * The address a request comes from, read as express's `req.ip` reads it under `trust proxy` =
 * TRUST_PROXY, for the routes served without express (/graphql): the socket's address unless a
 * proxy is trusted, then the nearest untrusted address of X-Forwarded-For (true: the left-most; a
 * number: that many hops; addresses or subnets: those proxies). What is stored of it goes through
 * common/client-address.ts, which keeps only a plain IP address. The one reading of TRUST_PROXY outside
 * express: the tokens service's /graphql and the gateway both use it.
 */
export function requestAddress(trustProxy: boolean | number | string): (req: IncomingMessage) => string | undefined {
  if (trustProxy === false) return (req) => req.socket?.remoteAddress;
  const trust = compileTrust(trustProxy);
  return (req) => (req.socket ? proxyaddr(req, trust) : undefined);
}

function compileTrust(value: true | number | string): (address: string, hop: number) => boolean {
  if (value === true) return () => true;
  if (typeof value === 'number') return (_address, hop) => hop < value;
  return proxyaddr.compile(
    value
      .split(',')
      .map((v) => v.trim())
      .filter(Boolean),
  );
}
