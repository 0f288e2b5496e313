/**
 * NIC MAC capture: find the six interfaces the bonds are built from, map them to their roles
 * (BCN/SN/IFN, link 1/link 2) and record their MACs, which the ifcfg-ethX files pin with HWADDR.
 */
import type { Step, TaskContext } from '../src/engine/types.js';
import type { NetName, PlanNode } from '../src/plan/derive.js';
import { NET_TITLES } from '../src/plan/derive.js';
import { AnvilError, VerifyFailed } from '../src/errors.js';
import {
  missingMacs,
  nicDifferences,
  proposeMap,
  readNics,
  requireDevs,
  roleName,
  roles,
  type NicMap,
} from './nic-map.js';
import { nicNamesTask } from './nic-names.js';

export { nicDifferences, proposeMap, readNics, roleName, type NicMap } from './nic-map.js';

const TASK = 'nics.capture';

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
    const pick = await ctx.prompt.select(
      `${n.name}: which NIC is ${NET_TITLES[i.net]} link ${i.link} (${i.dev})?`,
      choices,
      `${i.dev} ${nics.get(i.dev)}`,
    );
    const dev = pick.split(' ')[0];
    if (used.has(dev))
      throw new AnvilError(`${n.name}: ${dev} was chosen for two roles`, 'each of the six NICs takes exactly one role');
    used.add(dev);
    (chosen[i.net] ??= [])[i.link - 1] = dev;
  }
  // NOTE: a role moved to another NIC keeps the role's name (eth0 is BCN link 1): the naming task
  // renames the NICs (udev) and reboots, as the tutorial's interface re-ordering does.
  const map = {} as NicMap;
  for (const net of Object.keys(chosen) as NetName[]) map[net] = [nics.get(chosen[net][0])!, nics.get(chosen[net][1])!];
  return map;
}

export const nics: Step = {
  id: 'nics',
  perNode: true,
  title: 'NIC MAC capture',
  ifSkipped:
    'the MACs are not captured and the NIC names not pinned: the network step cannot write its ifcfg files (HWADDR) and fails',
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
        requireDevs(
          n,
          found,
          (e, s) =>
            new AnvilError(
              `${n.name}: expected ${e}; found ${s}`,
              'check that every NIC is installed and named ethN (udev 70-persistent-net.rules)',
            ),
        );
        let map: NicMap;
        if (n.nics) {
          const missing = missingMacs(n, n.nics, found);
          if (missing.length)
            throw new AnvilError(
              `${n.name}: MACs of nodes[${n.index}].nics not found: ${missing.join('; ')}`,
              `fix nodes[${n.index}].nics (or remove it to capture the MACs from the node)`,
            );
          map = n.nics;
        } else map = await confirmMap(ctx, n, found);
        const renames = nicDifferences(n, map, found);
        if (renames.length)
          ctx.log(
            `${n.name}: the kernel names differ from the roles; the next task renames them: ${renames.join('; ')}`,
          );
        ctx.capture(`nics.${n.name}`, {
          bcn: map.bcn.map((m) => m.toUpperCase()),
          sn: map.sn.map((m) => m.toUpperCase()),
          ifn: map.ifn.map((m) => m.toUpperCase()),
        });
      },
      async verify(ctx) {
        const n = ctx.node.plan;
        const want = ctx.captured<NicMap>(`nics.${n.name}`) ?? n.nics;
        const fail = (e: string, s: string) => new VerifyFailed(TASK, n.name, e, s);
        if (!want) throw fail('MACs recorded for the six NICs', 'none recorded yet');
        const found = await readNics(ctx.node);
        requireDevs(n, found, fail);
        const missing = missingMacs(n, want, found);
        if (missing.length) throw fail('every recorded MAC on a NIC of the node', missing.join('; '));
        return {
          summary: `6 MACs recorded: ${roles(n)
            .map((i) => `${roleName(i)}=${want[i.net][i.link - 1]}`)
            .join(' ')}`,
          details: Object.fromEntries(roles(n).map((i) => [roleName(i), want[i.net][i.link - 1]])),
        };
      },
    },
    nicNamesTask,
  ],
};
