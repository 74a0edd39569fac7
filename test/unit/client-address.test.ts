import { clientAddress } from '../../src/common/client-address';

describe('clientAddress: what is stored of a client address', () => {
  test.each([
    ['192.0.2.1', '192.0.2.1'],
    ['2001:db8::1', '2001:db8::1'],
    // An IPv4 client on a dual-stack socket is the same client as on an IPv4 one.
    ['::ffff:127.0.0.1', '127.0.0.1'],
    ['::FFFF:198.51.100.7', '198.51.100.7'],
    // Other IPv6 forms that embed IPv4 stay IPv6: they are not what a socket reports for an IPv4 client.
    ['::ffff:7f00:1', '::ffff:7f00:1'],
    ['64:ff9b::192.0.2.1', '64:ff9b::192.0.2.1'],
  ])('%s is stored as %s', (given, stored) => {
    expect(clientAddress(given)).toBe(stored);
  });

  test.each([undefined, '', 'localhost', '::ffff:999.0.0.1', '192.0.2.1, 10.0.0.1', `::ffff:${'1'.repeat(50)}`])('what is not one plain IP address is dropped: %p', (given) =>
    expect(clientAddress(given)).toBeUndefined(),
  );
});
