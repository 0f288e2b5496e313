/**
 * Updating /etc/hosts: every node name on every network, the IPMI BMCs and the extra devices,
 * identical on both nodes, so the cluster, DRBD and fencing never depend on DNS.
 */
import type { Step } from '../src/engine/types.js';
import type { Plan, PlanNode } from '../src/plan/derive.js';
import { VerifyFailed } from '../src/errors.js';
import { q } from '../src/engine/shell.js';

/** Every name a node is known by, with the address it must resolve to. */
export function hostNames(p: Plan): { name: string; ip: string }[] {
  return p.nodes.flatMap((m: PlanNode) => [
    { name: m.name, ip: m.bcn },
    { name: `${m.name}.bcn`, ip: m.bcn },
    { name: m.fqdn, ip: m.bcn },
    { name: `${m.name}.ipmi`, ip: m.ipmi },
    { name: `${m.name}.sn`, ip: m.sn },
    { name: `${m.name}.ifn`, ip: m.ifn },
  ]);
}

export const hosts: Step = {
  id: 'hosts',
  perNode: true,
  title: 'Updating /etc/hosts',
  ifSkipped:
    "the nodes cannot resolve each other's names: the SSH key exchange and cman (which finds its nodes by name) fail",
  doc:
    'On both nodes, update the /etc/hosts file to reflect your network configuration. Remember to add entries for your ' +
    'IPMI, switched PDUs and other devices. The cluster decides which network to use by resolving each clusternode name, ' +
    'and fence devices named by host name must resolve without DNS, which is another layer that could fail.',
  tasks: [
    {
      id: 'hosts.write',
      title: 'Write /etc/hosts',
      on: 'both',
      kind: 'safe',
      files: () => [{ path: '/etc/hosts', template: 'etc/hosts.ejs', backup: 'orig' }],
      expect: (p) => [
        `every node name resolves: ${hostNames(p)
          .map((h) => `${h.name} -> ${h.ip}`)
          .join(', ')}`,
      ],
      async verify(ctx) {
        const names = hostNames(ctx.plan);
        // NOTE: one lookup per name, each name mapped to the address of its own answer: a line of
        // another name's answer (which lists aliases too) must not overwrite what this name resolves to.
        const seen = new Map<string, string>();
        for (const h of names) {
          const r = await ctx.node.exec(`getent hosts ${q(h.name)}`);
          const ip = r.code === 0 ? r.stdout.trim().split(/\s+/)[0] : '';
          if (ip) seen.set(h.name, ip);
        }
        const wrong = names.filter((h) => seen.get(h.name) !== h.ip);
        if (wrong.length)
          throw new VerifyFailed(
            'hosts.write',
            ctx.node.plan.name,
            wrong.map((h) => `${h.name} -> ${h.ip}`).join(', '),
            wrong.map((h) => `${h.name} -> ${seen.get(h.name) ?? 'unresolved'}`).join(', '),
          );
        return { summary: `${names.length} names resolve as planned`, details: { names: names.length } };
      },
    },
  ],
};
