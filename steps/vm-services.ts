/**
 * Making the VMs highly available: two ordered failover domains (each node preferred by one), one
 * `vm:` service per VM in its host's domain, pushed to the cluster; then each VM enabled on the
 * node it already runs on, and cman + rgmanager set to start at boot.
 */
import type { Step, TaskContext } from '../src/engine/types.js';
import type { Plan, PlanNode, PlanVm } from '../src/plan/derive.js';
import { AnvilError, VerifyFailed } from '../src/errors.js';
import { parseVirshList } from '../src/verify/virsh-list.js';
import { clustatService } from '../src/verify/clustat.js';
import { isOnAtBoot, parseChkconfig } from '../src/verify/chkconfig.js';
import { q } from '../src/engine/shell.js';
import { clusterCauses, pushTask, readClustat, validateTask, vmProblems, writeConfTask } from './cluster-conf.js';
import { until } from './cluster-ops.js';

/** The VMs whose home (priority 1) is node `n`. */
export const vmsOf = (p: Plan, n: PlanNode) => p.vms.filter((v) => v.host.name === n.name);

/** `clusvcadm -e vm:<name> -m <host fqdn>`: enable a VM's service on its home node. */
export const enableVm = (v: PlanVm) => `clusvcadm -e ${q(`vm:${v.name}`)} -m ${q(v.host.fqdn)}`;

/** The guests running on each node now (`virsh list --all` on both). */
export async function runningGuests(ctx: TaskContext): Promise<Map<string, Set<string>>> {
  const out = new Map<string, Set<string>>();
  for (const n of [ctx.node, ctx.peer]) {
    const r = await n.exec('virsh list --all');
    if (r.code !== 0)
      throw new VerifyFailed(
        'vm-services.enable',
        n.plan.name,
        '`virsh list --all` answers (libvirtd runs under the storage service)',
        r.stderr.trim() || `exit ${r.code}`,
      );
    out.set(
      n.plan.name,
      new Set(
        parseVirshList(r.stdout)
          .filter((d) => d.state === 'running' || d.state === 'paused' || d.state === 'idle')
          .map((d) => d.name),
      ),
    );
  }
  return out;
}

/** `clusvcadm -e vm:<name> -m <host fqdn>` for each VM of a node. */
export function enableCommands(p: Plan, n: PlanNode): string[] {
  return vmsOf(p, n).map(enableVm);
}

export const vmServices: Step = {
  id: 'vm-services',
  title: 'Making the VMs highly available cluster services',
  ifSkipped:
    'the VMs are not cluster services: nothing restarts or moves them after a failure; the acceptance tests fail',
  doc:
    'Each VM should normally run on one node and be restarted on the other if that node fails. Two ordered, restricted ' +
    'failover domains, primary_<label>, give each node priority 1 in its own domain and 2 in the other. Each VM becomes ' +
    "a vm: service in its host's domain, with path pointing at the definitions directory on the shared GFS2 volume " +
    "(where the provisioning step dumped each VM's XML). autostart is off because the storage takes too long to come " +
    'on-line at cluster start; exclusive is off so a VM does not stop everything else on its node; recovery, ' +
    'max_restarts and restart_expire_time decide when repeated failures on one node turn into a relocation. After the ' +
    'push rgmanager lists the VMs as disabled, even though they run: the cluster is told to take them over with ' +
    '`clusvcadm -e vm:<name> -m <node>` on the node each already runs on, which does not restart them. Finally cman ' +
    'and rgmanager are enabled at boot, so the cluster starts by itself from now on.',
  warnings: ['The vm: prefix is required when using clusvcadm on a VM service.'],
  tasks: [
    writeConfTask('vm-services.write-conf', 'vms'),
    validateTask('vm-services.validate'),
    pushTask('vm-services.push', 'vms'),
    {
      id: 'vm-services.enable',
      title: 'Enable each VM service on the node it runs on',
      on: 'each',
      kind: 'safe',
      commands: enableCommands,
      async run(ctx) {
        // NOTE: rgmanager reads the pushed configuration a moment after `cman_tool version -r`:
        // wait until clustat lists this node's vm: services before asking for them.
        const mine = vmsOf(ctx.plan, ctx.node.plan);
        const listed = await until(async () => {
          const st = await readClustat(ctx.node).catch(() => undefined);
          return st && mine.every((v) => clustatService(st, `vm:${v.name}`)) ? st : undefined;
        }, 120_000);
        if (!listed)
          throw new VerifyFailed(
            'vm-services.enable',
            ctx.node.plan.name,
            `clustat lists ${mine.map((v) => `vm:${v.name}`).join(', ')} (rgmanager read the new cluster.conf)`,
            'not listed after 120 s',
          );
        const c = listed;
        // NOTE: clustat shows a guest started outside the cluster as disabled wherever it runs; before
        // asking rgmanager to start one, look at both nodes (tutorial 4062-4093): a guest running on
        // the peer must never be started a second time on the same LV.
        const running = await runningGuests(ctx);
        for (const v of vmsOf(ctx.plan, ctx.node.plan)) {
          const s = clustatService(c, `vm:${v.name}`);
          if (s?.state === 'started') {
            if (s.owner !== v.host.fqdn) ctx.log(`vm:${v.name} already runs on ${s.owner}; leaving it there`);
            continue;
          }
          const where = ctx.plan.nodes.filter((n) => running.get(n.name)?.has(v.name));
          if (where.length > 1)
            throw new AnvilError(
              `${v.name} runs on both ${where.map((n) => n.name).join(' and ')} at once: its disk is being written twice`,
              `stop one copy at once (\`virsh destroy ${v.name}\` on the node that should not run it), check the guest's file systems, then resume`,
            );
          // NOTE: a failed service must be disabled before rgmanager accepts to enable it again.
          if (s?.state === 'failed') await ctx.node.sh(`clusvcadm -d ${q(`vm:${v.name}`)}`, { timeoutMs: 300_000 });
          const on = where[0];
          if (on && on.name !== v.host.name) {
            // NOTE: adopt it where it runs (no restart), then live-migrate it home.
            ctx.log(
              `${v.name} runs on ${on.name}, not on its home ${v.host.name}: taking it over there, then migrating it home`,
            );
            await ctx.node.sh(`clusvcadm -e ${q(`vm:${v.name}`)} -m ${q(on.fqdn)}`, { timeoutMs: 300_000 });
            await ctx.node.sh(`clusvcadm -M ${q(`vm:${v.name}`)} -m ${q(v.host.fqdn)}`, { timeoutMs: 600_000 });
            continue;
          }
          await ctx.node.sh(enableVm(v), { timeoutMs: 300_000 });
        }
      },
      expect: (p, n) => vmsOf(p, n).map((v) => `clustat: vm:${v.name} started on ${n.fqdn}`),
      expectedOutput: (p, n) =>
        vmsOf(p, n)
          .map((v) => `vm:${v.name} is now running on ${n.fqdn}`)
          .join('\n'),
      async verify(ctx) {
        const mine = vmsOf(ctx.plan, ctx.node.plan);
        const problems = vmProblems(ctx.plan, await readClustat(ctx.node), mine);
        const peerRuns = (await runningGuests(ctx)).get(ctx.peer.plan.name) ?? new Set<string>();
        for (const v of mine)
          if (peerRuns.has(v.name)) problems.push(`${v.name} also runs on ${ctx.peer.plan.name} (virsh list)`);
        if (problems.length)
          throw new VerifyFailed(
            'vm-services.enable',
            ctx.node.plan.name,
            `${mine.map((v) => `vm:${v.name}`).join(', ')} started on ${ctx.node.plan.fqdn}`,
            problems.join('; '),
            clusterCauses(problems),
          );
        return {
          summary: `${mine.length} VM service(s) started on ${ctx.node.plan.name}`,
          details: { vms: mine.length },
        };
      },
    },
    {
      id: 'vm-services.autostart',
      title: 'Start cman and rgmanager at boot',
      on: 'both',
      kind: 'safe',
      commands: () => ['chkconfig cman on && chkconfig rgmanager on'],
      expect: () => ['chkconfig --list: cman and rgmanager 2:on 3:on 4:on 5:on'],
      async verify(ctx) {
        const list = parseChkconfig(await ctx.node.sh('chkconfig --list cman; chkconfig --list rgmanager'));
        const off = ['cman', 'rgmanager'].filter((s) => !isOnAtBoot(list, s));
        if (off.length)
          throw new VerifyFailed(
            'vm-services.autostart',
            ctx.node.plan.name,
            'cman and rgmanager on at boot',
            `${off.join(', ')} not on in runlevels 2-5`,
          );
        return { summary: 'cman and rgmanager start at boot' };
      },
    },
  ],
};
