import type { IncomingMessage } from 'node:http';
import { requestAddress } from '../../src/http/request-address';
import { isGraphQLPath } from '../../src/http/graphql-handler';

describe('isGraphQLPath: what bypasses express, exactly what express mounted at /graphql', () => {
  it.each(['/graphql', '/graphql?query=%7B__typename%7D', '/graphql/', '/graphql/anything', '/GraphQL', '/GRAPHQL?x=1'])('%s goes to /graphql', (url) => {
    expect(isGraphQLPath(url)).toBe(true);
  });
  it.each([undefined, '', '/', '/graphq', '/graphqlx', '/graphql-other', '/healthz', '/internal/introspect', '//graphql', 'graphql'])('%s does not', (url) => {
    expect(isGraphQLPath(url)).toBe(false);
  });
});

describe('requestAddress: TRUST_PROXY as express reads it', () => {
  const req = (remote: string, forwarded?: string) =>
    ({ socket: { remoteAddress: remote }, connection: { remoteAddress: remote }, headers: forwarded ? { 'x-forwarded-for': forwarded } : {} }) as unknown as IncomingMessage;

  it('ignores X-Forwarded-For unless a proxy is trusted', () => {
    expect(requestAddress(false)(req('127.0.0.1', '198.51.100.9'))).toBe('127.0.0.1');
  });
  it('true: the left-most forwarded address', () => {
    expect(requestAddress(true)(req('127.0.0.1', '198.51.100.9, 10.0.0.2'))).toBe('198.51.100.9');
  });
  it('a hop count: that many proxies from the socket', () => {
    expect(requestAddress(1)(req('127.0.0.1', '198.51.100.9, 10.0.0.2'))).toBe('10.0.0.2');
    expect(requestAddress(2)(req('127.0.0.1', '198.51.100.9, 10.0.0.2'))).toBe('198.51.100.9');
  });
  it('addresses or subnets: only those proxies are believed', () => {
    expect(requestAddress('loopback')(req('127.0.0.1', '198.51.100.9'))).toBe('198.51.100.9');
    expect(requestAddress('loopback, 10.0.0.0/8')(req('127.0.0.1', '198.51.100.9, 10.0.0.2'))).toBe('198.51.100.9');
    expect(requestAddress('10.0.0.0/8')(req('203.0.113.5', '198.51.100.9'))).toBe('203.0.113.5');
  });
  it('the gateway reads it the same way: empty list entries are ignored, a request without a socket has no address', () => {
    expect(requestAddress('loopback, ')(req('127.0.0.1', '198.51.100.9'))).toBe('198.51.100.9');
    expect(requestAddress(true)({ headers: {} } as unknown as IncomingMessage)).toBeUndefined();
    expect(requestAddress(false)({ headers: {} } as unknown as IncomingMessage)).toBeUndefined();
  });
});
