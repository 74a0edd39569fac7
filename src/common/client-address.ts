import { isIP } from 'node:net';

/** Longest textual IP address (IPv4-mapped IPv6). */
const MAX_IP_LENGTH = 45;
/** An IPv4 address as a dual-stack socket reports it (`::ffff:192.0.2.1`, any case). */
const V4_MAPPED = /^::ffff:(\d{1,3}(?:\.\d{1,3}){3})$/i;

/**
 * The client address as an IP, or undefined. Behind a proxy trusted with
 * TRUST_PROXY=true, req.ip is the left-most X-Forwarded-For entry, which the
 * client writes: anything that is not a plain IP address is dropped, so it can
 * neither be stored nor overflow the column and fail the whole batched write.
 * An IPv4 client seen through a dual-stack socket (`::ffff:192.0.2.1`) is
 * written as the IPv4 address it is, so one client has one address in the
 * audit trail and in `lastUsedIps`, whichever socket it came in on.
 */
export function clientAddress(ip: string | undefined): string | undefined {
  if (!ip || ip.length > MAX_IP_LENGTH || isIP(ip) === 0) return undefined;
  const mapped = V4_MAPPED.exec(ip);
  return mapped && isIP(mapped[1]) === 4 ? mapped[1] : ip;
}
