import { lookup as dnsLookup, LookupAddress } from 'node:dns';
import ipaddr from 'ipaddr.js';
import { badInput } from '../../errors';

type IPv4 = ipaddr.IPv4;
type IPv6 = ipaddr.IPv6;

/**
 * How a webhook may treat an address: `public` may always be called,
 * `private` only with WEBHOOK_ALLOW_PRIVATE, `blocked` never (link-local,
 * cloud metadata, multicast, reserved and special-purpose ranges).
 */
export type AddressClass = 'public' | 'private' | 'blocked';

const cidr = (s: string): [IPv4 | IPv6, number] => ipaddr.parseCIDR(s);

/** Cloud metadata endpoints outside the link-local range: always refused. */
const METADATA = [cidr('100.100.100.200/32'), cidr('fd00:ec2::254/128')]; // Alibaba Cloud; AWS over IPv6
/** RFC 2544 benchmarking: test networks, treated like private ones (as before). */
const BENCHMARKING_V4 = cidr('198.18.0.0/15');

/** IPv4 ranges ipaddr.js names, by class; anything it calls `unicast` is public. */
const V4_PRIVATE = new Set(['private', 'loopback', 'carrierGradeNat']);
/** IPv6: loopback, unique local (fc00::/7) and the deprecated site-local fec0::/10 are private networks. */
const V6_PRIVATE = new Set(['loopback', 'uniqueLocal', 'deprecatedSiteLocal']);

const NAT64_WELL_KNOWN = cidr('64:ff9b::/96'); // RFC 6052
const NAT64_LOCAL = cidr('64:ff9b:1::/48'); // RFC 8215, local use: never globally reachable
const IPV4_COMPATIBLE = cidr('::/96'); // RFC 4291 §2.5.5.1, deprecated ::a.b.c.d
const RESERVED_ZERO = cidr('::/8'); // what is left of ::/8 after the forms above
const SIX_TO_FOUR = cidr('2002::/16'); // RFC 3056: 2002:AABB:CCDD::/48 routes to a.b.c.d
const TEREDO = cidr('2001::/32'); // RFC 4380: 2001:0:<server v4>:<flags>:<port>:<client v4, bits inverted>

const v4 = (hi: number, lo: number): IPv4 => new ipaddr.IPv4([hi >> 8, hi & 255, lo >> 8, lo & 255]);
const inRange = (a: IPv4 | IPv6, range: [IPv4 | IPv6, number]): boolean => a.kind() === range[0].kind() && a.match(range);
const worst = (classes: AddressClass[]): AddressClass => (classes.includes('blocked') ? 'blocked' : classes.includes('private') ? 'private' : 'public');

function classifyV4(a: IPv4): AddressClass {
  if (METADATA.some((r) => inRange(a, r))) return 'blocked';
  if (inRange(a, BENCHMARKING_V4)) return 'private';
  const range = a.range();
  if (range === 'unicast') return 'public';
  return V4_PRIVATE.has(range) ? 'private' : 'blocked';
}

/**
 * The IPv4 addresses an IPv6 address stands for under the standard
 * translation and tunnelling schemes, which a network may deliver to the
 * IPv4 host: IPv4-mapped (::ffff:a.b.c.d) and translated (::ffff:0:a.b.c.d),
 * IPv4-compatible (::a.b.c.d), NAT64 (64:ff9b::/96; 64:ff9b:1::/48 with every
 * RFC 6052 prefix length an operator may pick inside it), 6to4 (2002::/16)
 * and Teredo (2001::/32: the server, and the client with its bits inverted).
 */
export function embeddedIPv4(a: IPv6): IPv4[] {
  const p = a.parts;
  const range = a.range();
  if (range === 'ipv4Mapped' || range === 'rfc6145') return [v4(p[6], p[7])];
  if (inRange(a, NAT64_WELL_KNOWN)) return [v4(p[6], p[7])];
  if (inRange(a, NAT64_LOCAL)) {
    const bytes = a.toByteArray();
    const at = (...i: number[]) => new ipaddr.IPv4(i.map((k) => bytes[k]));
    // RFC 6052 §2.2: /48 → bytes 6,7,9,10; /56 → 7,9,10,11; /64 → 9..12; /96 → 12..15 (byte 8 is always skipped).
    return [at(6, 7, 9, 10), at(7, 9, 10, 11), at(9, 10, 11, 12), at(12, 13, 14, 15)];
  }
  if (inRange(a, IPV4_COMPATIBLE) && range !== 'unspecified' && range !== 'loopback') return [v4(p[6], p[7])];
  if (inRange(a, SIX_TO_FOUR)) return [v4(p[1], p[2])];
  if (inRange(a, TEREDO)) return [v4(p[2], p[3]), v4(~p[6] & 0xffff, ~p[7] & 0xffff)];
  return [];
}

function classifyV6(a: IPv6): AddressClass {
  if (METADATA.some((r) => inRange(a, r))) return 'blocked';
  const embedded = embeddedIPv4(a);
  if (inRange(a, NAT64_LOCAL)) {
    // Not globally reachable, so private at best; which layout the operator chose is unknown, so every
    // reading that lands on a link-local or metadata address refuses it (the other readings are mostly
    // zeros, meaningless rather than dangerous).
    return embedded.some((e) => e.range() === 'linkLocal' || METADATA.some((r) => inRange(e, r))) ? 'blocked' : 'private';
  }
  if (embedded.length > 0) return worst(embedded.map(classifyV4));
  const range = a.range();
  if (V6_PRIVATE.has(range)) return 'private';
  if (range !== 'unicast' || inRange(a, RESERVED_ZERO)) return 'blocked';
  return 'public';
}

/** The class of an IP address (IPv4, or IPv6 with or without brackets); null when it is not one. */
export function classifyAddress(address: string): AddressClass | null {
  const text = address.replace(/^\[|\]$/g, '');
  // Only the canonical forms: a URL host is already canonical, and DNS answers are; "0x7f.1" is not an address here.
  if (!ipaddr.IPv4.isValidFourPartDecimal(text) && !(text.includes(':') && ipaddr.IPv6.isValid(text))) return null;
  const parsed = ipaddr.parse(text);
  return parsed.kind() === 'ipv4' ? classifyV4(parsed as IPv4) : classifyV6(parsed as IPv6);
}

/** Why an address must not be called, or null when it may. */
export function blockedAddressReason(address: string, allowPrivate: boolean): string | null {
  const kind = classifyAddress(address);
  if (kind === null) return 'not an IP address';
  if (kind === 'blocked') return 'link-local, metadata or reserved address';
  if (kind === 'private' && !allowPrivate) return 'loopback or private address';
  return null;
}

const BLOCKED_NAMES = new Set(['metadata.google.internal', 'metadata.goog', 'metadata', 'instance-data', 'instance-data.ec2.internal', 'metadata.azure.internal']);

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
  const host = url.hostname
    .replace(/^\[|\]$/g, '')
    .replace(/\.$/, '')
    .toLowerCase();
  if (host === '') throw badInput('url', 'must name a host');
  if (BLOCKED_NAMES.has(host)) throw badInput('url', 'points at a cloud metadata service');
  if (!allowPrivate && (host === 'localhost' || host.endsWith('.localhost') || host.endsWith('.internal') || host.endsWith('.local'))) {
    throw badInput('url', 'points at a loopback or private host');
  }
  // The URL parser writes every IP address in its canonical form (0x7f.1 → 127.0.0.1, [::ffff:127.0.0.1] → [::ffff:7f00:1]).
  if (classifyAddress(host) !== null) {
    const reason = blockedAddressReason(host, allowPrivate);
    if (reason) throw badInput('url', `points at a ${reason}`);
  }
  return url.toString();
}

/** What a delivery attempt records when the host name has no address webhooks may call, or none at all. */
export const NO_ALLOWED_ADDRESS = 'the host name has no address webhooks may call';

/**
 * A dns.lookup for http.request that refuses blocked addresses, so the
 * address checked is the address connected to (no DNS-rebinding window). The
 * error says neither what the name resolved to nor why it was refused: an
 * admin could otherwise map the internal network through the resolver.
 */
export function guardedLookup(allowPrivate: boolean) {
  return (hostname: string, options: object, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, []);
      if (addresses.length === 0 || addresses.some((a) => blockedAddressReason(a.address, allowPrivate) !== null)) {
        return callback(Object.assign(new Error(NO_ALLOWED_ADDRESS), { code: 'EBLOCKED' }), []);
      }
      if ((options as { all?: boolean }).all) return callback(null, addresses);
      return callback(null, addresses[0].address, addresses[0].family);
    });
  };
}

const TLS_CODE = /^(?:ERR_TLS_|CERT_|UNABLE_TO_|DEPTH_ZERO_SELF_SIGNED_CERT|SELF_SIGNED_CERT_IN_CHAIN|ERR_SSL_|EPROTO$)/;

/**
 * A delivery failure as recorded in the attempt log and shown to admins: a
 * fixed phrase per kind of failure. Node's own messages carry the address it
 * connected to (`connect ECONNREFUSED 10.0.0.7:443`) or the certificate's
 * names, which would tell an admin what an internal host name resolves to.
 */
export function deliveryErrorMessage(err: unknown, timeoutMs: number): string {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'ETIMEDOUT' || code === 'ESOCKETTIMEDOUT' || (err as Error | null)?.message === 'timeout') return `no answer within ${timeoutMs} ms`;
  if (code === 'EBLOCKED' || code === 'ENOTFOUND' || code === 'EAI_AGAIN' || code === 'EAI_NODATA' || code === 'EAI_NONAME') return NO_ALLOWED_ADDRESS;
  if (code === 'ECONNREFUSED') return 'connection refused';
  if (code === 'ECONNRESET' || code === 'EPIPE') return 'connection reset before an answer';
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH' || code === 'EADDRNOTAVAIL') return 'host unreachable';
  if (typeof code === 'string' && TLS_CODE.test(code)) return 'TLS handshake failed (certificate not accepted)';
  if (code === 'HPE_INVALID_CONSTANT' || (typeof code === 'string' && code.startsWith('HPE_'))) return 'the answer was not valid HTTP';
  return 'connection failed';
}
