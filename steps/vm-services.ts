/**
 * Making the VMs highly available: two ordered failover domains (each node preferred by one), one
 * `vm:` service per VM in its host's domain, pushed to the cluster; then each VM enabled on the
 * node it already runs on, and cman + rgmanager set to start at boot.
 */
import type { Step } from '../src/engine/types.js';
import type { Plan, PlanNode, PlanVm } from '../src/plan/derive.js';
import { VerifyFailed } from '../src/errors.js';
import { clustatService } from '../src/verify/clustat.js';
import { isOnAtBoot, parseChkconfig } from '../src/verify/chkconfig.js';
import { q } from '../src/engine/shell.js';
import { pushTask, readClustat, validateTask, vmProblems, writeConfTask } from './cluster-conf.js';

/** The VMs whose home (priority 1) is node `n`. */
export const vmsOf = (p: Plan, n: PlanNode) => p.vms.filter((v) => v.host.name === n.name);

/** `clusvcadm -e vm:<name> -m <host fqdn>`: enable a VM's service on its home node. */
export const enableVm = (v: PlanVm) => `clusvcadm -e ${q(`vm:${v.name}`)} -m ${q(v.host.fqdn)}`;

/** `clusvcadm -e vm:<name> -m <host fqdn>` for each VM of a node. */
export function enableCommands(p: Plan, n: PlanNode): string[] {
  return vmsOf(p, n).map(enableVm);
}

export const vmServices: Step = {
  id: 'vm-services',
  title: 'Making the VMs highly available cluster services',
  doc:
    'Each VM should normally run on one node and be restarted on the other if that node fails. Two ordered, restricted ' +
    'failover domains, primary_<label>, give each node priority 1 in its own domain and 2 in the other. Each VM becomes ' +
    'a vm: service in its host\'s domain, with path pointing at the definitions directory on the shared GFS2 volume ' +
    '(where the provisioning step dumped each VM\'s XML). autostart is off because the storage takes too long to come ' +
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
        const c = await readClustat(ctx.node);
        for (const v of vmsOf(ctx.plan, ctx.node.plan)) {
          const s = clustatService(c, `vm:${v.name}`);
          if (s?.state === 'started') {
            if (s.owner !== v.host.fqdn) ctx.log(`vm:${v.name} already runs on ${s.owner}; leaving it there`);
            continue;
          }
          // NOTE: a failed service must be disabled before rgmanager accepts to enable it again.
          if (s?.state === 'failed') await ctx.node.sh(`clusvcadm -d ${q(`vm:${v.name}`)}`, { timeoutMs: 300_000 });
          await ctx.node.sh(enableVm(v), { timeoutMs: 300_000 });
        }
      },
      expect: (p, n) => vmsOf(p, n).map((v) => `clustat: vm:${v.name} started on ${n.fqdn}`),
      expectedOutput: (p, n) => vmsOf(p, n).map((v) => `vm:${v.name} is now running on ${n.fqdn}`).join('\n'),
      async verify(ctx) {
        const mine = vmsOf(ctx.plan, ctx.node.plan);
        const problems = vmProblems(ctx.plan, await readClustat(ctx.node), mine);
        if (problems.length) throw new VerifyFailed('vm-services.enable', ctx.node.plan.name, `${mine.map((v) => `vm:${v.name}`).join(', ')} started on ${ctx.node.plan.fqdn}`, problems.join('; '));
        return { summary: `${mine.length} VM service(s) started on ${ctx.node.plan.name}`, details: { vms: mine.length } };
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
        if (off.length) throw new VerifyFailed('vm-services.autostart', ctx.node.plan.name, 'cman and rgmanager on at boot', `${off.join(', ')} not on in runlevels 2-5`);
        return { summary: 'cman and rgmanager start at boot' };
      },
    },
  ],
};
