/**
 * Parsers of iproute2's one-line output: `ip -o link show` (NICs, MACs, bond masters) and
 * `ip -o -4 addr show` (addresses per device). EL6's iproute prints `\` where a line was folded;
 * newer versions add `@ifN` suffixes and `valid_lft` tails; both are accepted.
 */

/** One link from `ip -o link show`. */
export interface IpLink {
  index: number;
  name: string;
  flags: string[];
  /** Lower-case MAC (`link/ether`), absent for non-Ethernet links. */
  mac?: string;
  /** The bond/bridge this link is enslaved to (`master bond0`). */
  master?: string;
  state?: string;
}

/** Parse `ip -o link show`. */
export function parseIpLink(text: string): IpLink[] {
  const out: IpLink[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):\s+([^:\s@]+)(?:@\S+?)?:\s+<([^>]*)>(.*)$/.exec(line.trim());
    if (!m) continue;
    const rest = m[4];
    out.push({
      index: Number(m[1]),
      name: m[2],
      flags: m[3] ? m[3].split(',') : [],
      mac: /link\/ether\s+([0-9A-Fa-f:]{17})/.exec(rest)?.[1]?.toLowerCase(),
      master: /\bmaster\s+(\S+)/.exec(rest)?.[1],
      state: /\bstate\s+(\S+)/.exec(rest)?.[1],
    });
  }
  return out;
}

/** One IPv4 address from `ip -o -4 addr show`. */
export interface IpAddr {
  dev: string;
  ip: string;
  prefix: number;
}

/** Parse `ip -o -4 addr show` (also accepts `ip -o addr show`, skipping IPv6 lines). */
export function parseIpAddr(text: string): IpAddr[] {
  const out: IpAddr[] = [];
  for (const line of text.split('\n')) {
    const m = /^\d+:\s+([^:\s@]+)(?:@\S+)?:?\s+inet\s+([\d.]+)\/(\d+)/.exec(line.trim());
    if (m) out.push({ dev: m[1], ip: m[2], prefix: Number(m[3]) });
  }
  return out;
}
