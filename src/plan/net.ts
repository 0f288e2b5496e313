/** IPv4 arithmetic for the answers checks and the ifcfg templates. */

/** Parse a dotted quad to an unsigned 32-bit number. */
export function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, o) => (acc * 256 + Number(o)) >>> 0, 0);
}

/** Format an unsigned 32-bit number as a dotted quad. */
export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}

/** Netmask of a prefix length: 16 -> 255.255.0.0. */
export function prefixToNetmask(prefix: number): string {
  return intToIp(prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0);
}

/** Whether `ip` is inside `cidr` (e.g. 10.20.0.0/16). */
export function inCidr(ip: string, cidr: string): boolean {
  const [base, p] = cidr.split('/');
  const prefix = Number(p);
  const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
  return (ipToInt(ip) & mask) >>> 0 === (ipToInt(base) & mask) >>> 0;
}

/** Netmask of a CIDR: 10.20.0.0/16 -> 255.255.0.0. */
export function cidrNetmask(cidr: string): string {
  return prefixToNetmask(Number(cidr.split('/')[1]));
}
