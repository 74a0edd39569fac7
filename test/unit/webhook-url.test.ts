import { AppError } from '../../src/errors';
import { blockedAddressReason, classifyAddress, deliveryErrorMessage, embeddedIPv4, guardedLookup, NO_ALLOWED_ADDRESS, validateWebhookUrl } from '../../src/modules/webhook/webhook-url';
import ipaddr from 'ipaddr.js';

/** Which addresses a webhook may call: IPv4 inside IPv6 is judged as the IPv4 address it reaches. */
const refusal = (url: string, allowPrivate: boolean): string | null => {
  try {
    validateWebhookUrl(url, allowPrivate);
    return null;
  } catch (err) {
    if (!(err instanceof AppError)) throw err;
    expect(err.code).toBe('BAD_USER_INPUT');
    return err.message;
  }
};

describe('IPv4 embedded in IPv6', () => {
  test.each([
    ['NAT64 well-known prefix', '64:ff9b::a9fe:a9fe', ['169.254.169.254']],
    ['IPv4-compatible', '::7f00:1', ['127.0.0.1']],
    ['6to4', '2002:7f00:1::', ['127.0.0.1']],
    ['IPv4-compatible metadata', '::a9fe:a9fe', ['169.254.169.254']],
    ['IPv4-mapped', '::ffff:7f00:1', ['127.0.0.1']],
    ['IPv4-translated (RFC 6145)', '::ffff:0:a00:1', ['10.0.0.1']],
    // Teredo: server 65.54.227.120, client 127.0.0.1 stored with its bits inverted (~7f00:0001 = 80ff:fffe).
    ['Teredo', '2001:0:4136:e378:8000:63bf:80ff:fffe', ['65.54.227.120', '127.0.0.1']],
    // RFC 8215 local-use NAT64 prefix, every RFC 6052 layout: /48, /56, /64, /96.
    ['NAT64 local-use', '64:ff9b:1:7f00:1::', ['127.0.1.0', '0.1.0.0', '1.0.0.0', '0.0.0.0']],
  ])('%s: %s carries %j', (_form, address, expected) => {
    expect(embeddedIPv4(ipaddr.IPv6.parse(address)).map(String)).toEqual(expected);
  });

  test('ordinary IPv6 addresses carry none', () => {
    for (const a of ['2606:4700:4700::1111', '::1', '::', 'fe80::1', 'fd12:3456::1']) expect(embeddedIPv4(ipaddr.IPv6.parse(a))).toEqual([]);
  });
});

describe('classifyAddress', () => {
  test.each([
    // The four addresses the security review got accepted with WEBHOOK_ALLOW_PRIVATE=false.
    ['64:ff9b::a9fe:a9fe', 'blocked'],
    ['::7f00:1', 'private'],
    ['2002:7f00:1::', 'private'],
    ['::a9fe:a9fe', 'blocked'],
    // Teredo clients and servers, NAT64 local use.
    ['2001:0:4136:e378:8000:63bf:80ff:fffe', 'private'],
    ['2001:0:4136:e378::5601:5601', 'blocked'], // client 169.254.169.254
    ['2001:0:a00:1::f7f7:f7f7', 'private'], // server 10.0.0.1, client 8.8.8.8
    ['64:ff9b:1::a9fe:a9fe', 'blocked'], // /96 layout
    ['64:ff9b:1:a9fe:a9:fe00::', 'blocked'], // /48 layout
    ['64:ff9b:1::808:808', 'private'], // 8.8.8.8 through a local-use prefix: not globally reachable
    ['64:ff9b:1:7f00:1::', 'private'],
    ['::ffff:a9fe:a9fe', 'blocked'],
    ['::ffff:0:7f00:1', 'private'],
    // Plain IPv4 and IPv6.
    ['127.0.0.1', 'private'],
    ['10.1.2.3', 'private'],
    ['172.16.0.1', 'private'],
    ['192.168.1.1', 'private'],
    ['100.64.0.1', 'private'],
    ['198.18.0.1', 'private'],
    ['169.254.169.254', 'blocked'],
    ['100.100.100.200', 'blocked'],
    ['0.0.0.0', 'blocked'],
    ['224.0.0.1', 'blocked'],
    ['240.0.0.1', 'blocked'],
    ['255.255.255.255', 'blocked'],
    ['192.0.2.1', 'blocked'],
    ['::1', 'private'],
    ['fd12:3456::1', 'private'],
    ['fec0::1', 'private'],
    ['fd00:ec2::254', 'blocked'],
    ['fe80::1', 'blocked'],
    ['ff02::1', 'blocked'],
    ['::', 'blocked'],
    ['2001:db8::1', 'blocked'],
    ['100::1', 'blocked'],
    ['::1:0:0:1', 'blocked'], // the rest of ::/8
    // Public, in every wrapping.
    ['93.184.215.14', 'public'],
    ['2606:4700:4700::1111', 'public'],
    ['64:ff9b::808:808', 'public'],
    ['2002:808:808::1', 'public'],
    ['::808:808', 'public'],
    ['::ffff:808:808', 'public'],
    ['2001:0:4136:e378:8000:63bf:f7f7:f7f7', 'public'], // Teredo client 8.8.8.8
    ['[2606:4700:4700::1111]', 'public'],
  ])('%s is %s', (address, expected) => {
    expect(classifyAddress(address)).toBe(expected);
  });

  test('names and non-canonical forms are not addresses here', () => {
    for (const v of ['example.com', '0x7f.1', '127.1', '2130706433', '', 'localhost']) expect(classifyAddress(v)).toBeNull();
  });

  test('blockedAddressReason: private only when private addresses are allowed, blocked never', () => {
    expect(blockedAddressReason('::7f00:1', false)).toBe('loopback or private address');
    expect(blockedAddressReason('::7f00:1', true)).toBeNull();
    expect(blockedAddressReason('64:ff9b::a9fe:a9fe', true)).toBe('link-local, metadata or reserved address');
    expect(blockedAddressReason('2606:4700:4700::1111', false)).toBeNull();
  });
});

describe('validateWebhookUrl', () => {
  test.each([
    ['http://[64:ff9b::a9fe:a9fe]/', /^url: points at a link-local, metadata or reserved address$/],
    ['http://[::7f00:1]/', /^url: points at a loopback or private address$/],
    ['http://[2002:7f00:1::]/', /^url: points at a loopback or private address$/],
    ['http://[::a9fe:a9fe]/', /^url: points at a link-local, metadata or reserved address$/],
    ['https://[2001:0:4136:e378:8000:63bf:80ff:fffe]:8443/hook', /loopback or private/],
    ['http://[64:ff9b:1::a00:1]/', /loopback or private/],
    ['http://[::ffff:127.0.0.1]/', /loopback or private/], // the URL parser writes it ::ffff:7f00:1
    ['http://0x7f.1/', /loopback or private/], // … and this 127.0.0.1
    ['http://2130706433/', /loopback or private/],
  ])('with WEBHOOK_ALLOW_PRIVATE=false, %s is refused', (url, message) => {
    expect(refusal(url, false)).toMatch(message);
  });

  test('metadata addresses are refused even when private ones are allowed; private ones then pass', () => {
    expect(refusal('http://[64:ff9b::a9fe:a9fe]/latest/meta-data', true)).toMatch(/metadata/);
    expect(refusal('http://[::a9fe:a9fe]/', true)).toMatch(/metadata/);
    expect(refusal('http://[2002:a9fe:a9fe::]/', true)).toMatch(/metadata/);
    expect(refusal('http://[::7f00:1]:8080/hook', true)).toBeNull();
  });

  test('public addresses in any form, and host names, pass', () => {
    for (const url of ['https://[64:ff9b::808:808]/hook', 'https://[2002:808:808::1]/', 'https://93.184.215.14/x', 'https://hooks.example.com/x']) {
      expect([url, refusal(url, false)]).toEqual([url, null]);
    }
  });
});

describe('delivery', () => {
  const lookup = (host: string, allowPrivate: boolean) =>
    new Promise<{ err: NodeJS.ErrnoException | null; address: unknown }>((resolve) => guardedLookup(allowPrivate)(host, {}, (err, address) => resolve({ err, address })));

  test('a name resolving to a refused address fails without saying what it resolved to', async () => {
    const { err } = await lookup('localhost', false);
    expect(err?.code).toBe('EBLOCKED');
    expect(err?.message).toBe(NO_ALLOWED_ADDRESS);
    expect(err?.message).not.toMatch(/127\.0\.0\.1|::1/);
    expect((await lookup('localhost', true)).address).toBe('127.0.0.1');
  });

  test('every failure is a fixed phrase: no address, port or certificate name', () => {
    const withAddress = (code: string, message: string) => Object.assign(new Error(message), { code });
    expect(deliveryErrorMessage(withAddress('ECONNREFUSED', 'connect ECONNREFUSED 10.0.0.7:443'), 10_000)).toBe('connection refused');
    expect(deliveryErrorMessage(withAddress('ENOTFOUND', 'getaddrinfo ENOTFOUND db.corp'), 10_000)).toBe(NO_ALLOWED_ADDRESS);
    expect(deliveryErrorMessage(withAddress('EBLOCKED', NO_ALLOWED_ADDRESS), 10_000)).toBe(NO_ALLOWED_ADDRESS);
    expect(deliveryErrorMessage(withAddress('ETIMEDOUT', 'connect ETIMEDOUT 10.0.0.7:443'), 5000)).toBe('no answer within 5000 ms');
    expect(deliveryErrorMessage(withAddress('EHOSTUNREACH', 'connect EHOSTUNREACH 10.0.0.7:443'), 10_000)).toBe('host unreachable');
    expect(deliveryErrorMessage(withAddress('ERR_TLS_CERT_ALTNAME_INVALID', "Hostname/IP does not match certificate's altnames: DNS:db.corp"), 10_000)).toBe(
      'TLS handshake failed (certificate not accepted)',
    );
    expect(deliveryErrorMessage(withAddress('DEPTH_ZERO_SELF_SIGNED_CERT', 'self-signed certificate'), 10_000)).toMatch(/^TLS/);
    expect(deliveryErrorMessage(new Error('something 10.0.0.7 said'), 10_000)).toBe('connection failed');
  });
});
