import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import { BlockList, isIP } from 'node:net';
import { badInput } from '../../errors';

/** Cloud metadata endpoints and link-local ranges: refused everywhere. */
const ALWAYS_BLOCKED = new BlockList();
ALWAYS_BLOCKED.addSubnet('0.0.0.0', 8, 'ipv4');
ALWAYS_BLOCKED.addSubnet('169.254.0.0', 16, 'ipv4'); // link-local: AWS/GCP/Azure/OCI metadata 169.254.169.254
ALWAYS_BLOCKED.addAddress('100.100.100.200', 'ipv4'); // Alibaba Cloud metadata
ALWAYS_BLOCKED.addSubnet('224.0.0.0', 4, 'ipv4'); // multicast
ALWAYS_BLOCKED.addSubnet('240.0.0.0', 4, 'ipv4'); // reserved, broadcast
ALWAYS_BLOCKED.addAddress('::', 'ipv6');
ALWAYS_BLOCKED.addSubnet('fe80::', 10, 'ipv6'); // link-local
ALWAYS_BLOCKED.addAddress('fd00:ec2::254', 'ipv6'); // AWS metadata over IPv6
ALWAYS_BLOCKED.addSubnet('ff00::', 8, 'ipv6'); // multicast

/** Loopback and private networks: refused unless WEBHOOK_ALLOW_PRIVATE (default outside production). */
const PRIVATE = new BlockList();
PRIVATE.addSubnet('127.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('10.0.0.0', 8, 'ipv4');
PRIVATE.addSubnet('172.16.0.0', 12, 'ipv4');
PRIVATE.addSubnet('192.168.0.0', 16, 'ipv4');
PRIVATE.addSubnet('100.64.0.0', 10, 'ipv4'); // carrier-grade NAT
PRIVATE.addSubnet('198.18.0.0', 15, 'ipv4');
PRIVATE.addAddress('::1', 'ipv6');
PRIVATE.addSubnet('fc00::', 7, 'ipv6'); // unique local

const BLOCKED_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal', 'metadata.azure.internal']);

/** ::ffff:a.b.c.d and ::ffff:7f00:1 are IPv4 addresses in IPv6 clothing: judge them as IPv4. */
function unmapped(ip: string): string {
  const lower = ip.toLowerCase();
  const dotted = /^(?:0*:)*:?ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower) ?? /^::ffff:(\d+\.\d+\.\d+\.\d+)$/.exec(lower);
  if (dotted) return dotted[1];
  const hex = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(lower);
  if (hex) {
    const hi = parseInt(hex[1], 16);
    const lo = parseInt(hex[2], 16);
    return `${hi >> 8}.${hi & 255}.${lo >> 8}.${lo & 255}`;
  }
  return ip;
}

/** Why an address must not be called, or null when it may. */
export function blockedAddressReason(address: string, allowPrivate: boolean): string | null {
  const ip = unmapped(address.replace(/^\[|\]$/g, ''));
  const family = isIP(ip);
  if (family === 0) return 'not an IP address';
  const type = family === 4 ? 'ipv4' : 'ipv6';
  if (ALWAYS_BLOCKED.check(ip, type)) return 'link-local, metadata or reserved address';
  if (!allowPrivate && PRIVATE.check(ip, type)) return 'loopback or private address';
  return null;
}

/** Validate a webhook URL when it is registered. Delivery checks the resolved addresses again (DNS may change). */
export function validateWebhookUrl(raw: string, allowPrivate: boolean): string {
  const value = raw.trim();
  if (value === '' || value.length > 2000) throw badInput('url', 'must be 1 to 2000 characters');
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw badInput('url', 'is not a valid URL');
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw badInput('url', 'must be an http:// or https:// URL');
  if (url.username || url.password) throw badInput('url', 'must not contain credentials');
  const host = url.hostname.replace(/^\[|\]$/g, '').replace(/\.$/, '').toLowerCase();
  if (host === '') throw badInput('url', 'must name a host');
  if (BLOCKED_NAMES.has(host)) throw badInput('url', 'points at a cloud metadata service');
  if (!allowPrivate && (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal') || host.endsWith('.local'))) {
    throw badInput('url', 'points at a loopback or private host');
  }
  if (isIP(host)) {
    const reason = blockedAddressReason(host, allowPrivate);
    if (reason) throw badInput('url', `points at a ${reason}`);
  }
  return url.toString();
}

/**
 * A dns.lookup for http.request that refuses blocked addresses, so the
 * address checked is the address connected to (no DNS-rebinding window).
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: object, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, []);
      for (const a of addresses) {
        const reason = blockedAddressReason(a.address, allowPrivate);
        if (reason) return callback(Object.assign(new Error(`refused to connect to ${a.address}: ${reason}`), { code: 'EBLOCKED' }), []);
      }
      if ((options as { all?: boolean }).all) return callback(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  };
}
