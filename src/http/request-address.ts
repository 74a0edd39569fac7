import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import type { Config } from '../config';

/**
 * The address a request comes from, read as express's `req.ip` reads it under `trust proxy` =
 * TRUST_PROXY, for the routes served without express (/graphql): the socket's address unless a
 * proxy is trusted, then the nearest untrusted address of X-Forwarded-For (true: the left-most; a
 * number: that many hops; addresses or subnets: those proxies). What is stored of it goes through
 * common/client-address.ts, which keeps only a plain IP address.
 */
export function requestAddress(trustProxy: Config['trustProxy']): (req: IncomingMessage) => string | undefined {
  if (trustProxy === false) return (req) => req.socket.remoteAddress;
  const trust = compileTrust(trustProxy);
  return (req) => proxyaddr(req, trust);
}

function compileTrust(value: true | number | string): (address: string, hop: number) => boolean {
  if (value === true) return () => true;
  if (typeof value === 'number') return (_address, hop) => hop < value;
  return proxyaddr.compile(value.split(',').map((v) => v.trim()));
}
