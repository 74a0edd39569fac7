import { isIP } from 'node:net';

/** Longest textual IP address (IPv4-mapped IPv6). */
const MAX_IP_LENGTH = 45;

/**
 * The client address as an IP, or undefined. Behind a proxy trusted with
 * TRUST_PROXY=true, req.ip is the left-most X-Forwarded-For entry, which the
 * client writes: anything that is not a plain IP address is dropped, so it can
 * neither be stored nor overflow the column and fail the whole batched write.
 */
export function clientAddress(ip: string | undefined): string | undefined {
  if (!ip || ip.length > MAX_IP_LENGTH || isIP(ip) === 0) return undefined;
  return ip;
}
