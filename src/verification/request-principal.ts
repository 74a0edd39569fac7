import type { IncomingHttpHeaders } from 'node:http';
import type { IdentityKeys } from '../auth/identity-keys';
import { parseAuthorization } from '../auth/credentials';
import type { Principal } from '../auth/principal';
import type { MaybePromise } from '../common/maybe-promise';
import type { Config } from '../config';
import { unauthenticated } from '../errors';
import { CLIENT_ADDRESS_HEADER, GatewayIdentity, GatewayIdentityError, GATEWAY_SECRET_HEADER, hasGatewayCredential, IDENTITY_HEADER, verifyGatewayIdentity } from '../subgraph-kit';
import type { Authenticator } from './authenticator';

/** Who is calling, from a request's headers, its client address and user agent. */
export type RequestPrincipal = (headers: IncomingHttpHeaders, ip: string | undefined, userAgent: string | undefined) => MaybePromise<Principal | null>;

export interface RequestPrincipalOptions {
  authenticator: Authenticator;
  identityKeys: IdentityKeys;
  config: Pick<Config, 'gatewaySecret' | 'requireGateway' | 'subgraphName'>;
}

/**
 * Request → principal, for /graphql. Through the gateway (credential + signed identity) the
 * identity says who, with which token or session; what they may do now is decided here, as for
 * a direct request (Authenticator.authenticateIdentity). A forged or incomplete gateway header is
 * refused (UNAUTHENTICATED), never read as anonymous. Otherwise the Authorization header, unless
 * TOKENS_REQUIRE_GATEWAY refuses direct calls. Without a gateway secret, a token in the
 * verification cache is answered synchronously: no promise to wait for.
 */
export function requestPrincipal({ authenticator, identityKeys, config }: RequestPrincipalOptions): RequestPrincipal {
  const gatewaySecret = config.gatewaySecret;
  if (!gatewaySecret) {
    return (headers, ip, userAgent) => {
      if (headers[IDENTITY_HEADER] !== undefined || headers[GATEWAY_SECRET_HEADER] !== undefined) {
        throw unauthenticated('Gateway identity is not accepted by this service');
      }
      return authenticator.authenticate(parseAuthorization(headers.authorization), ip, userAgent);
    };
  }
  const verifyOptions = { keys: identityKeys.jwks, audience: config.subgraphName, gatewaySecret, requireGateway: config.requireGateway };
  return async (headers, ip, userAgent) => {
    let identity: GatewayIdentity | null;
    try {
      identity = await verifyGatewayIdentity(headers, verifyOptions);
    } catch (err) {
      if (err instanceof GatewayIdentityError) throw unauthenticated(err.message);
      throw err;
    }
    // `ip` is then the client the gateway forwarded (http/request-address.ts): a token's allowlist is checked against it.
    if (identity) return authenticator.authenticateIdentity(identity, ip, userAgent, headers[CLIENT_ADDRESS_HEADER] !== undefined);
    // The gateway's own calls without an identity are anonymous: it never forwards client credentials.
    if (hasGatewayCredential(headers, gatewaySecret)) return null;
    return authenticator.authenticate(parseAuthorization(headers.authorization), ip, userAgent);
  };
}
