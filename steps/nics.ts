/**
 * NIC MAC capture: find the six interfaces the bonds are built from, map them to their roles
 * (BCN/SN/IFN, link 1/link 2) and record their MACs, which the ifcfg-ethX files pin with HWADDR.
 */
import type { NodeHandle, Step, TaskContext } from '../src/engine/types.js';
import type { NetName, PlanNode, Iface } from '../src/plan/derive.js';
import { NETWORKS, NET_TITLES } from '../src/plan/derive.js';
import { AnvilError, VerifyFailed } from '../src/errors.js';
import { parseIpLink } from '../src/verify/ip-addr.js';
import { parseBonding } from '../src/verify/bonding.js';

const TASK = 'nics.capture';

/** MACs per network, [link 1, link 2], as the answers file writes them (`nodes[].nics`). */
export type NicMap = Record<NetName, [string, string]>;

/** Short role name used in messages: "BCN link 2". */
export function roleName(i: Pick<Iface, 'net' | 'link'>): string {
  return `${i.net.toUpperCase()} link ${i.link}`;
}

/** The interfaces in role order (bcn 1, bcn 2, sn 1, ...). */
function roles(n: PlanNode): Iface[] {
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
        bonds.set(l.master, new Map((text ? parseBonding(text).slaves : []).filter((s) => s.permanentMac).map((s) => [s.name, s.permanentMac!])));
      }
      mac = bonds.get(l.master)!.get(l.name) ?? mac;
    }
    out.set(l.name, mac.toUpperCase());
  }
  return new Map([...out].sort(([a], [b]) => Number(a.slice(3)) - Number(b.slice(3))));
}

/** Fail (with `mk`) naming every planned ethN the node lacks. */
function requireDevs(n: PlanNode, nics: Map<string, string>, mk: (expected: string, seen: string) => Error): void {
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
    m[net] = [nics.get(l1!)!, nics.get(l2!)!];
  }
  return m;
}

function describeMap(n: PlanNode, m: NicMap): string {
  return roles(n)
    .map((i) => `  ${i.dev}\t${m[i.net][i.link - 1]}\t# ${NET_TITLES[i.net]} - Link ${i.link}`)
    .join('\n');
}

/** Ask the operator to confirm the proposal or to pick the NIC of each role. */
async function confirmMap(ctx: TaskContext, n: PlanNode, nics: Map<string, string>): Promise<NicMap> {
  const proposal = proposeMap(n, nics);
  ctx.log(`${n.name} NICs (as ~/${n.name}-nics.txt in the tutorial):\n${describeMap(n, proposal)}`);
  if (await ctx.prompt.confirm(`Use this NIC map for ${n.name}?`, true)) return proposal;
  const choices = [...nics].map(([dev, mac]) => `${dev} ${mac}`);
  const chosen = {} as Record<NetName, string[]>;
  const used = new Set<string>();
  for (const i of roles(n)) {
    const pick = await ctx.prompt.select(`${n.name}: which NIC is ${NET_TITLES[i.net]} link ${i.link} (${i.dev})?`, choices, `${i.dev} ${nics.get(i.dev)}`);
    const dev = pick.split(' ')[0]!;
    if (used.has(dev)) throw new AnvilError(`${n.name}: ${dev} was chosen for two roles`, 'each of the six NICs takes exactly one role');
    used.add(dev);
    (chosen[i.net] ??= [])[i.link - 1] = dev;
  }
  const wrong = roles(n).filter((i) => chosen[i.net][i.link - 1] !== i.dev);
  if (wrong.length)
    // NOTE: the ifcfg files name devices eth0..eth5 by role and pin them with HWADDR; a NIC whose kernel name
    // differs would be ignored by ifup ("different MAC address than expected"), so names must be fixed first.
    throw new AnvilError(
      `${n.name}: ${wrong.map((i) => `${roleName(i)} must be named ${i.dev}, but you chose ${chosen[i.net][i.link - 1]}`).join('; ')}`,
      'rename the interfaces first (HWADDR lines in /etc/udev/rules.d/70-persistent-net.rules, then reboot), as the tutorial\'s ' +
        'interface re-ordering tutorial does, or write the MACs into nodes[].nics; then run again',
    );
  return proposeMap(n, nics);
}

export const nics: Step = {
  id: 'nics',
  title: 'NIC MAC capture',
  doc:
    'Before you assemble your servers, it is highly advised to first record the MAC addresses of the NICs ' +
    '(the tutorial keeps a little <node>-nics.txt). Six interfaces are bonded into three active/passive pairs: ' +
    'BCN on eth0 (link 1) and eth3 (link 2), SN on eth1/eth4, IFN on eth2/eth5, each link on an alternate switch. ' +
    'The ifcfg-ethX files pin each name to its MAC with HWADDR, so the MACs must be right. When the answers file ' +
    'already lists them they are checked against what the node reports; otherwise they are read from the node and ' +
    'the operator confirms the map.',
  tasks: [
    {
      id: TASK,
      title: 'Read the NICs and record their MACs',
      on: 'each',
      kind: 'safe',
      commands: () => ['ip -o link show'],
      expect: (_p, n) => [
        `six NICs ${n.ifaces.map((i) => i.dev).join(', ')}`,
        ...roles(n).map((i) => `${i.dev} is ${roleName(i)}${i.mac ? ` with MAC ${i.mac}` : ''}`),
      ],
      expectedOutput: (_p, n) =>
        roles(n)
          .map((i) => `${i.dev}\t${i.mac ?? '..:..:..:..:..:..'}\t# ${NET_TITLES[i.net]} - Link ${i.link}`)
          .join('\n'),
      async run(ctx) {
        const n = ctx.node.plan;
        const found = await readNics(ctx.node);
        requireDevs(n, found, (e, s) => new AnvilError(`${n.name}: expected ${e}; found ${s}`, 'check that every NIC is installed and named ethN (udev 70-persistent-net.rules)'));
        let map: NicMap;
        if (n.nics) {
          const diff = nicDifferences(n, n.nics as NicMap, found);
          if (diff.length)
            throw new AnvilError(`${n.name}: the NICs differ from nodes[${n.index}].nics: ${diff.join('; ')}`, `fix nodes[${n.index}].nics (or remove it to capture the MACs from the node)`);
          map = n.nics as NicMap;
        } else map = await confirmMap(ctx, n, found);
        ctx.capture(`nics.${n.name}`, {
          bcn: map.bcn.map((m) => m.toUpperCase()),
          sn: map.sn.map((m) => m.toUpperCase()),
          ifn: map.ifn.map((m) => m.toUpperCase()),
        });
      },
      async verify(ctx) {
        const n = ctx.node.plan;
        const want = ctx.captured<NicMap>(`nics.${n.name}`) ?? (n.nics as NicMap | undefined);
        const fail = (e: string, s: string) => new VerifyFailed(TASK, n.name, e, s);
        if (!want) throw fail('MACs recorded for the six NICs', 'none recorded yet');
        const found = await readNics(ctx.node);
        requireDevs(n, found, fail);
        const diff = nicDifferences(n, want, found);
        if (diff.length) throw fail('every NIC to have its recorded MAC', diff.join('; '));
        return {
          summary: `6 NICs match: ${roles(n).map((i) => `${i.dev}=${found.get(i.dev)}`).join(' ')}`,
          details: Object.fromEntries(roles(n).map((i) => [i.dev, found.get(i.dev)!])),
        };
      },
    },
  ],
};
