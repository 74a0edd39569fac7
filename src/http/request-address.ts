import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import { forwardedClient } from '../subgraph-kit';

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

/** Who is at the other end of a request: the client's address and user agent. */
export interface RequestClient {
  ip: string | undefined;
  userAgent: string | undefined;
}

/**
 * The client of a /graphql request. Through Tokengate's gateway (its credential on the request) it is
 * the client the gateway calls for, as the gateway forwards it (subgraph-kit's CLIENT_ADDRESS_HEADER and
 * CLIENT_AGENT_HEADER): the audit trail, the per-address throttles and a token's IP allowlist then concern
 * the person, not the gateway. Without the credential those headers are ignored; a gateway that forwards
 * no address leaves the connection's.
 */
export function requestClient(config: { trustProxy: boolean | number | string; gatewaySecret?: string }): (req: IncomingMessage) => RequestClient {
  const addressOf = requestAddress(config.trustProxy);
  const gatewaySecret = config.gatewaySecret;
  return (req) => {
    const forwarded = gatewaySecret ? forwardedClient(req.headers, gatewaySecret) : null;
    if (forwarded?.ip !== undefined) return { ip: forwarded.ip, userAgent: forwarded.userAgent };
    return { ip: addressOf(req), userAgent: req.headers['user-agent'] };
  };
}
