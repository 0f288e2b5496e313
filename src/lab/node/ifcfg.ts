/**
 * Reading EL6 shell-variable config files (ifcfg-*, /etc/sysconfig/network): `KEY="value"` lines.
 */

/** Parse `KEY=value` lines (quotes removed, comments and blank lines ignored). */
export function parseShellVars(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line || line.startsWith('#')) continue;
    const m = /^(?:export\s+)?([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(line);
    if (!m) continue;
    let v = m[2].trim();
    if (/^"(.*)"$/.test(v)) v = v.slice(1, -1).replace(/\\(["\\$`])/g, '$1');
    else if (/^'(.*)'$/.test(v)) v = v.slice(1, -1);
    else v = v.replace(/\s+#.*$/, '');
    out[m[1]] = v;
  }
  return out;
}

/** Parse BONDING_OPTS ("mode=1 miimon=100 ...") into a map. */
export function parseBondingOpts(s: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const kv of s.trim().split(/\s+/)) {
    const i = kv.indexOf('=');
    if (i > 0) out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

/** Whether an ifcfg value means "no" (ONBOOT=no, NM_CONTROLLED=no). */
export const isNo = (v: string | undefined) => v !== undefined && /^(no|false|0)$/i.test(v);
/** Whether an ifcfg value means "yes". */
export const isYes = (v: string | undefined) => v !== undefined && /^(yes|true|1)$/i.test(v);

/** IPv4 helpers. */
export function ipToInt(ip: string): number {
  return ip.split('.').reduce((a, o) => ((a << 8) | (Number(o) & 255)) >>> 0, 0);
}
/** Dotted quad from an integer. */
export function intToIp(n: number): string {
  return [24, 16, 8, 0].map((s) => (n >>> s) & 255).join('.');
}
/** Prefix length of a dotted netmask (255.255.0.0 → 16). */
export function maskToPrefix(mask: string): number {
  const n = ipToInt(mask);
  let p = 0;
  while (p < 32 && n & (0x80000000 >>> p)) p++;
  return p;
}
/** Dotted netmask of a prefix length. */
export function prefixToMask(p: number): string {
  return intToIp(p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0);
}
/** Broadcast address of ip/prefix. */
export function broadcast(ip: string, p: number): string {
  return intToIp((ipToInt(ip) | (p === 32 ? 0 : 0xffffffff >>> p)) >>> 0);
}
/** Whether two addresses share the network of prefix `p`. */
export function sameNet(a: string, b: string, p: number): boolean {
  const m = p === 0 ? 0 : (0xffffffff << (32 - p)) >>> 0;
  return (ipToInt(a) & m) >>> 0 === (ipToInt(b) & m) >>> 0;
}
/** Default prefix of an address class (EL6's ipcalc when NETMASK/PREFIX is absent). */
export function classPrefix(ip: string): number {
  const a = Number(ip.split('.')[0]);
  return a < 128 ? 8 : a < 192 ? 16 : 24;
}
