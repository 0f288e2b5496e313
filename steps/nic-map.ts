/**
 * The NIC map: which ethN plays which role (BCN/SN/IFN, link 1/link 2) and the MACs the node reports.
 * Shared by the capture and the naming tasks.
 */
import type { NodeHandle } from '../src/engine/types.js';
import type { NetName, PlanNode, Iface } from '../src/plan/derive.js';
import { NETWORKS } from '../src/plan/derive.js';
import { parseIpLink } from '../src/verify/ip-addr.js';
import { parseBonding } from '../src/verify/bonding.js';

/** MACs per network, [link 1, link 2], as the answers file writes them (`nodes[].nics`). */
export type NicMap = Record<NetName, [string, string]>;

/** Short role name used in messages: "BCN link 2". */
export function roleName(i: Pick<Iface, 'net' | 'link'>): string {
  return `${i.net.toUpperCase()} link ${i.link}`;
}

/** The interfaces in role order (bcn 1, bcn 2, sn 1, ...). */
export function roles(n: PlanNode): Iface[] {
  return NETWORKS.flatMap((net) => [1, 2].map((link) => n.ifaces.find((i) => i.net === net && i.link === link)!));
}

/**
 * The node's Ethernet NICs: name -> MAC (upper case). Once a NIC is a bond slave, `ip link` shows the
 * bond's MAC on every slave, so for enslaved NICs the permanent address comes from /proc/net/bonding.
 */
export async function readNics(node: NodeHandle): Promise<Map<string, string>> {
  const links = parseIpLink(await node.sh('ip -o link show'));
  const out = new Map<string, string>();
  const bonds = new Map<string, Map<string, string>>();
  for (const l of links) {
    if (!l.mac || !/^eth\d+$/.test(l.name)) continue;
    let mac = l.mac;
    if (l.master && /^bond\d+$/.test(l.master)) {
      if (!bonds.has(l.master)) {
        const text = await node.readFile(`/proc/net/bonding/${l.master}`);
        bonds.set(
          l.master,
          new Map(
            (text ? parseBonding(text).slaves : []).filter((s) => s.permanentMac).map((s) => [s.name, s.permanentMac!]),
          ),
        );
      }
      mac = bonds.get(l.master)!.get(l.name) ?? mac;
    }
    out.set(l.name, mac.toUpperCase());
  }
  return new Map([...out].sort(([a], [b]) => Number(a.slice(3)) - Number(b.slice(3))));
}

/** Fail (with `mk`) naming every planned ethN the node lacks. */
export function requireDevs(
  n: PlanNode,
  nics: Map<string, string>,
  mk: (expected: string, seen: string) => Error,
): void {
  const missing = n.ifaces.map((i) => i.dev).filter((d) => !nics.has(d));
  if (missing.length)
    throw mk(
      `six NICs ${n.ifaces.map((i) => i.dev).join(', ')}`,
      `${nics.size} (${[...nics.keys()].join(', ') || 'none'}); missing ${missing.map((d) => `${d} (${roleName(n.ifaces.find((i) => i.dev === d)!)})`).join(', ')}`,
    );
}

/** Compare a MAC map with the node's NICs; returns one message per NIC that differs. */
export function nicDifferences(n: PlanNode, want: NicMap, nics: Map<string, string>): string[] {
  const byMac = new Map([...nics].map(([dev, mac]) => [mac, dev]));
  const out: string[] = [];
  for (const i of roles(n)) {
    const mac = want[i.net][i.link - 1].toUpperCase();
    const seen = nics.get(i.dev);
    if (seen === mac) continue;
    const where = byMac.get(mac);
    out.push(
      `${i.dev} (${roleName(i)}) should be ${mac} but is ${seen ?? 'absent'}` +
        (where ? `; ${mac} is ${where}` : `; no NIC on ${n.name} has ${mac}`),
    );
  }
  return out;
}

/** The proposal: the tutorial's fixed map (bcn eth0/eth3, sn eth1/eth4, ifn eth2/eth5) with the node's MACs. */
export function proposeMap(n: PlanNode, nics: Map<string, string>): NicMap {
  const m = {} as NicMap;
  for (const net of NETWORKS) {
    const [l1, l2] = [1, 2].map((link) => n.ifaces.find((i) => i.net === net && i.link === link)!.dev);
    m[net] = [nics.get(l1)!, nics.get(l2)!];
  }
  return m;
}

/** Planned MACs the node does not have at all, one message each (role and MAC). */
export function missingMacs(n: PlanNode, want: NicMap, nics: Map<string, string>): string[] {
  const have = new Set(nics.values());
  return roles(n)
    .filter((i) => !have.has(want[i.net][i.link - 1].toUpperCase()))
    .map((i) => `${roleName(i)} (${i.dev}) ${want[i.net][i.link - 1].toUpperCase()}: no NIC on ${n.name} has it`);
}
