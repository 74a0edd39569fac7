import ipaddr from 'ipaddr.js';
import { badInput } from '../errors';

/*
 * IP allowlists of API tokens: parsing, canonical form and matching, with
 * ipaddr.js (the library the webhook address checks use). Shared by the
 * tokens service (validation, verification) and the gateway (its auth cache).
 */

type Address = ipaddr.IPv4 | ipaddr.IPv6;
type Range = [Address, number];

export const MAX_ALLOWED_CIDRS = 20;
/** Longest text accepted for one entry (a full IPv6 address with a prefix is 43 characters). */
const MAX_ENTRY_LENGTH = 50;

const v4Text = (s: string): boolean => ipaddr.IPv4.isValidFourPartDecimal(s);
const v6Text = (s: string): boolean => s.includes(':') && !s.includes('%') && ipaddr.IPv6.isValid(s);

/**
 * One range in canonical form (the network address, IPv6 compressed as RFC 5952, the prefix), or null
 * when the text is not an IPv4 or IPv6 address or range. A bare address is its own range (/32, /128);
 * host bits are cleared (10.1.2.3/24 is 10.1.2.0/24); an IPv4-mapped IPv6 range is written as IPv4.
 */
export function canonicalCidr(text: string): string | null {
  const s = text.trim();
  if (s.length === 0 || s.length > MAX_ENTRY_LENGTH) return null;
  const slash = s.indexOf('/');
  const addressText = slash < 0 ? s : s.slice(0, slash);
  const prefixText = slash < 0 ? null : s.slice(slash + 1);
  if (prefixText !== null && !/^\d{1,3}$/.test(prefixText)) return null;
  if (!v4Text(addressText) && !v6Text(addressText)) return null;
  let address: Address = ipaddr.parse(addressText);
  let prefix = prefixText === null ? (address.kind() === 'ipv4' ? 32 : 128) : Number(prefixText);
  if (prefix > (address.kind() === 'ipv4' ? 32 : 128)) return null;
  if (address.kind() === 'ipv6' && (address as ipaddr.IPv6).isIPv4MappedAddress() && prefix >= 96) {
    address = (address as ipaddr.IPv6).toIPv4Address();
    prefix -= 96;
  }
  return `${networkOf(address, prefix).toString()}/${prefix}`;
}

/** The address with every bit after the prefix cleared. */
function networkOf(address: Address, prefix: number): Address {
  const bytes = address.toByteArray();
  for (let bit = prefix; bit < bytes.length * 8; bit++) bytes[bit >> 3] &= ~(0x80 >> (bit & 7));
  return ipaddr.fromByteArray(bytes);
}

/**
 * A token's allowlist as given by a client: each entry an IPv4 or IPv6 range, at most 20, stored in
 * canonical form without duplicates. An empty list means "from anywhere". Errors name the field and the
 * entry's position, never its text.
 */
export function normaliseAllowedCidrs(field: string, values: readonly string[]): string[] {
  if (values.length > MAX_ALLOWED_CIDRS) throw badInput(field, `may list at most ${MAX_ALLOWED_CIDRS} ranges`);
  const out: string[] = [];
  values.forEach((value, i) => {
    const canonical = typeof value === 'string' ? canonicalCidr(value) : null;
    if (!canonical) {
      throw badInput(`${field}[${i}]`, 'must be an IPv4 or IPv6 address or range in CIDR notation, e.g. 203.0.113.0/24 or 2001:db8::/48');
    }
    if (!out.includes(canonical)) out.push(canonical);
  });
  return out;
}

const parsedRanges = new WeakMap<readonly string[], Range[]>();

function rangesOf(cidrs: readonly string[]): Range[] {
  let ranges = parsedRanges.get(cidrs);
  if (!ranges) {
    ranges = [];
    for (const c of cidrs) {
      try {
        ranges.push(ipaddr.parseCIDR(c));
      } catch {
        // Stored lists are canonical; anything else matches nothing (fail closed).
      }
    }
    parsedRanges.set(cidrs, ranges);
  }
  return ranges;
}

/** The client address as ipaddr.js reads it (IPv4-mapped IPv6 as IPv4), or null when it is not an address. */
function clientAddress(ip: string | undefined): Address | null {
  if (!ip) return null;
  const s = ip.trim();
  if (!v4Text(s) && !v6Text(s)) return null;
  return ipaddr.process(s);
}

/**
 * Whether a request from `ip` may use a token with this allowlist: always when the list is empty;
 * otherwise only from an address inside one of the ranges (an unknown address never is).
 */
export function ipAllowed(cidrs: readonly string[] | null | undefined, ip: string | undefined): boolean {
  if (!cidrs || cidrs.length === 0) return true;
  const address = clientAddress(ip);
  if (!address) return false;
  return rangesOf(cidrs).some((range) => range[0].kind() === address.kind() && address.match(range));
}

/** The /24 (IPv4) or /64 (IPv6) range an address belongs to, for allowlist suggestions; null when it is not an address. */
export function suggestedRangeOf(ip: string): string | null {
  const address = clientAddress(ip);
  if (!address) return null;
  const prefix = address.kind() === 'ipv4' ? 24 : 64;
  return `${networkOf(address, prefix).toString()}/${prefix}`;
}
