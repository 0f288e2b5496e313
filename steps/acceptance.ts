/**
 * Acceptance tests ("Taking theory and putting it into practice"): controlled live migration and
 * node withdrawal, VM crashes until the recovery policy relocates them, node crashes, and a cold
 * stop and cold start of the whole cluster. Each is an operator gate, verified by the cluster
 * being back in its ideal state afterwards.
 */
import type { Plan, PlanNode, PlanVm } from '../src/plan/derive.js';
import type { Step, Task, TestTable } from '../src/engine/types.js';
import { q } from '../src/engine/shell.js';
import { fenceAgentCommand, storageService, verifyIdealState } from './cluster-conf.js';
import { enableVm, vmsOf } from './vm-services.js';
import { HANG } from './fence-tests.js';
import { VerifyFailed } from '../src/errors.js';
import { driveColdStopStart, driveNodeCrash, driveVmCrash, driveWithdraw, drbdNotReady } from './acceptance-drive.js';

const migrate = (v: PlanVm, to: PlanNode) => `clusvcadm -M ${q(`vm:${v.name}`)} -m ${q(to.fqdn)}`;
const ideal = (p: Plan) =>
  `\`clustat\` shows both members "Online, rgmanager", ${p.nodes.map((n) => `service:${storageService(n)}`).join(' and ')} started on their nodes, and ${p.vms.map((v) => `vm:${v.name} on ${v.host.name}`).join(', ') || 'no VMs'}`;
const drbdReady = (n: PlanNode) =>
  `On ${n.name}, \`cat /proc/drbd\`: every resource "cs:Connected ro:Primary/Primary ds:UpToDate/UpToDate" and no "sync'ed:" line; do not migrate the VMs until the resync has completed`;

function gateTask(
  id: string,
  title: string,
  disrupts: string,
  gate: Task['gate'],
  expect: (p: Plan) => string[] = (p) => [ideal(p), ...p.nodes.map(drbdReady)],
): Task {
  return {
    id,
    title,
    on: 'node1',
    kind: 'gate',
    disrupts,
    gate,
    expect,
    async verify(ctx) {
      const ev = await verifyIdealState(ctx, id);
      // NOTE: clustat alone would accept a node still resyncing (SyncTarget): DRBD must be in sync too.
      for (const h of [ctx.node, ctx.peer]) {
        const r = await h.exec('cat /proc/drbd');
        const bad = r.code === 0 ? drbdNotReady(ctx.plan, r.stdout) : ['/proc/drbd missing'];
        if (bad.length)
          throw new VerifyFailed(
            id,
            h.plan.name,
            'DRBD Connected, Primary/Primary, UpToDate/UpToDate, oos:0',
            bad.join('; '),
          );
      }
      return { ...ev, summary: `${ev.summary}; DRBD in sync on both nodes` };
    },
  };
}

/** Live-migrate a node's VMs away, withdraw it, reboot it, rejoin it and migrate them back. */
function withdrawGate(i: 0 | 1): Task {
  const no = `node ${i + 1}`;
  return gateTask(
    `acceptance.withdraw-node${i + 1}`,
    `Live-migrate ${no}'s VMs away, withdraw and rejoin ${no}`,
    `live-migrates the VMs of ${no} to its peer, stops rgmanager and cman on ${no} and reboots it`,
    {
      drive: driveWithdraw(i),
      instruct: (p) => {
        const n = p.nodes[i];
        return [
          `Move ${n.name}'s VMs to ${p.peerOf(n).name} by live migration, take ${n.name} out of the cluster cleanly, reboot it, let it rejoin, then migrate its VMs back.`,
          'This proves controlled migration both ways, a clean cold shut-down of one node and rejoining the cluster.',
        ].join('\n');
      },
      checklist: (p) => {
        const n = p.nodes[i];
        const m = p.peerOf(n);
        const mine = vmsOf(p, n);
        return [
          ideal(p),
          ...mine.map((v) => `\`${migrate(v, m)}\`: "Trying to migrate vm:${v.name} to ${m.fqdn}...Success"`),
          `\`clustat\`: ${mine.map((v) => `vm:${v.name}`).join(', ') || 'no VM'} started on ${m.fqdn}`,
          `On ${n.name}: \`/etc/init.d/rgmanager stop\`, then \`/etc/init.d/cman stop\``,
          `\`clustat\` on ${m.name}: ${n.fqdn} Offline, service:${storageService(n)} stopped, every VM still started on ${m.fqdn}`,
          `Reboot ${n.name} (\`reboot\`); cman and rgmanager start at boot; \`clustat\`: ${n.fqdn} "Online, rgmanager", service:${storageService(n)} started`,
          drbdReady(n),
          ...mine.map((v) => `\`${migrate(v, n)}\`: "Trying to migrate vm:${v.name} to ${n.fqdn}...Success"`),
          ideal(p),
        ];
      },
      tables: (p): TestTable[] => {
        const n = p.nodes[i];
        const m = p.peerOf(n);
        return [
          {
            title: `Controlled migration and withdrawal of ${n.name}`,
            columns: ['Test', 'From', 'To', 'Pass?'],
            rows: [
              ...vmsOf(p, n).map((v) => [migrate(v, m), n.name, m.name, 'Yes / No']),
              [`rgmanager stop; cman stop on ${n.name}`, n.name, '-', 'Yes / No'],
              [`reboot ${n.name}, rejoin`, '-', n.name, 'Yes / No'],
              ...vmsOf(p, n).map((v) => [migrate(v, n), m.name, n.name, 'Yes / No']),
            ],
          },
        ];
      },
    },
  );
}

/** What each successive crash of a VM should do under the vmService policy. */
export function crashOutcomes(p: Plan, v: PlanVm): string[] {
  const s = p.answers.vmService;
  const peer = p.peerOf(v.host);
  switch (s.recovery) {
    case 'restart': {
      const out: string[] = [];
      for (let i = 1; i <= s.maxRestarts; i++) out.push(`restarted on ${v.host.name}`);
      out.push(
        `"Restart threshold for vm:${v.name} exceeded; attempting to relocate": runs on ${peer.name} (failure ${s.maxRestarts + 1} within ${s.restartExpireTime} s)`,
      );
      return out;
    }
    case 'relocate':
      return [`relocated to ${peer.name} (recovery="relocate")`];
    case 'disable':
      return [`disabled (recovery="disable"); enable it again with \`${enableVm(v)}\``];
  }
}

const crashGate = gateTask(
  'acceptance.vm-crash',
  'Crash each VM until the recovery policy relocates it',
  'kills every VM (virsh destroy) several times: each restarts, then moves to the other node',
  {
    drive: driveVmCrash,
    instruct: (p) => {
      const s = p.answers.vmService;
      return [
        'Crash each VM with `virsh destroy <vm>` on the node it runs on, confirm it came back on-line after each crash before crashing it again.',
        s.recovery === 'restart'
          ? `With recovery="restart", max_restarts="${s.maxRestarts}" and restart_expire_time="${s.restartExpireTime}", the first ${s.maxRestarts} crashes restart the VM in place; crash ${s.maxRestarts + 1} within ${s.restartExpireTime} seconds relocates it to the other node.`
          : `With recovery="${s.recovery}", a crash ${s.recovery === 'relocate' ? 'moves the VM to the other node' : 'leaves the VM disabled'}.`,
        'Then live-migrate each VM back to its own node.',
      ].join('\n');
    },
    checklist: (p) =>
      p.vms.flatMap((v) => [
        `vm:${v.name} started on ${v.host.fqdn}; ping it (from another VM or the firewall if the VMs are isolated)`,
        ...crashOutcomes(p, v).map(
          (o, i) =>
            `Crash ${i + 1} of ${v.name}: on ${v.host.name} \`virsh destroy ${q(v.name)}\` ("Domain ${v.name} destroyed"): ${o}`,
        ),
        `\`${migrate(v, v.host)}\`: vm:${v.name} back on ${v.host.fqdn}`,
      ]),
    tables: (p) => [
      {
        title: 'VM crash tests',
        columns: ['VM', 'Crash', 'Command (on its node)', 'Expected', 'Pass?'],
        rows: p.vms.flatMap((v) =>
          crashOutcomes(p, v).map((o, i) => [v.name, String(i + 1), `virsh destroy ${q(v.name)}`, o, 'Yes / No']),
        ),
      },
    ],
  },
);

/** Hang a node: it is fenced, its VMs restart on the peer, it rejoins, DRBD resyncs, VMs go back. */
function nodeCrashGate(i: 0 | 1): Task {
  const no = `node ${i + 1}`;
  return gateTask(
    `acceptance.node-crash-node${i + 1}`,
    `Crash ${no}: fenced, its VMs recover on the peer, it rejoins`,
    `crashes ${no} (echo c > /proc/sysrq-trigger): its peer fences it (a hard reboot) and restarts its VMs`,
    {
      drive: driveNodeCrash(i),
      instruct: (p) => {
        const n = p.nodes[i];
        return [
          `Hang ${n.name} with \`${HANG}\`. Within seconds ${p.peerOf(n).name} fences it and restarts its VMs; ${n.name} reboots and rejoins.`,
          'Wait for DRBD to finish resynchronising before migrating the VMs back.',
        ].join('\n');
      },
      checklist: (p) => {
        const n = p.nodes[i];
        const m = p.peerOf(n);
        const mine = vmsOf(p, n);
        return [
          ideal(p),
          `Watch syslog on ${m.name}: \`clear; tail -f -n 0 /var/log/messages\``,
          `On ${n.name}: \`${HANG}\` (the command will not return)`,
          `${m.name}'s syslog: "fence ${n.fqdn} success", then "Service vm:<name> started" for ${mine.map((v) => v.name).join(', ') || 'no VM'}`,
          `\`clustat\` on ${m.name}: every VM started on ${m.fqdn}`,
          `${n.name} reboots and rejoins: \`clustat\` shows ${n.fqdn} "Online, rgmanager" and service:${storageService(n)} started`,
          drbdReady(n),
          ...mine.map((v) => `\`${migrate(v, n)}\`: vm:${v.name} back on ${n.fqdn}`),
          ideal(p),
        ];
      },
      tables: (p) => {
        const n = p.nodes[i];
        return [
          {
            title: `Failure and recovery of ${n.name}`,
            columns: ['Test', 'Expected', 'Pass?'],
            rows: [
              [`${HANG} on ${n.name}`, `${n.name} fenced by ${p.peerOf(n).name}`, 'Yes / No'],
              [
                '(automatic)',
                `${
                  vmsOf(p, n)
                    .map((v) => v.name)
                    .join(', ') || 'no VM'
                } restarted on ${p.peerOf(n).name}`,
                'Yes / No',
              ],
              ['(automatic)', `${n.name} rejoins; DRBD resyncs to UpToDate/UpToDate`, 'Yes / No'],
              ...vmsOf(p, n).map((v) => [migrate(v, n), `vm:${v.name} on ${n.name}`, 'Yes / No']),
            ],
          },
        ];
      },
    },
  );
}

/** Power-on commands for a node: its first fence method's devices with `-o on` (passwords masked). */
export function powerOnCommands(n: PlanNode): string[] {
  return (n.fence[0]?.devices ?? []).map((d) => fenceAgentCommand(d.device, d.port, 'on'));
}

const coldGate = gateTask(
  'acceptance.cold-stop-start',
  'Cold stop and cold start of the whole cluster',
  'stops every VM and powers both nodes off, then on again: the whole cluster is down for minutes',
  {
    drive: driveColdStopStart,
    instruct: (p) =>
      [
        'Shut down every VM through the cluster, stop rgmanager and cman on both nodes, power both nodes off.',
        `Then power both nodes on within post_join_delay (${p.cluster.postJoinDelay} seconds) and enable the VMs by hand (autostart="${p.answers.vmService.autostart}").`,
        'Passwords are shown as ******** in the commands: type the real one.',
      ].join('\n'),
    checklist: (p) => [
      ideal(p),
      ...p.vms.map((v) => `\`clusvcadm -d ${q(`vm:${v.name}`)}\`: "Local machine disabling vm:${v.name}...Success"`),
      `On both nodes: \`/etc/init.d/rgmanager stop\` (it can take a minute or two)`,
      `On both nodes: \`/etc/init.d/cman stop\``,
      'On both nodes: `poweroff`',
      `Power on both nodes within ${p.cluster.postJoinDelay} seconds, from a workstation on the BCN with fence-agents installed (both nodes are off): ${
        p.nodes
          .flatMap(powerOnCommands)
          .map((c) => `\`${c}\``)
          .join(', ') || 'press the power buttons'
      }`,
      `\`clustat\`: both members "Online, rgmanager", storage services started, every vm: service disabled`,
      ...p.nodes.map(drbdReady),
      ...p.vms.map((v) => `\`${enableVm(v)}\`: "vm:${v.name} is now running on ${v.host.fqdn}"`),
      ideal(p),
    ],
    tables: (p) => [
      {
        title: 'Cold stop and cold start',
        columns: ['Test', 'Expected', 'Pass?'],
        rows: [
          ...p.vms.map((v) => [`clusvcadm -d ${q(`vm:${v.name}`)}`, `vm:${v.name} disabled`, 'Yes / No']),
          ['rgmanager stop; cman stop; poweroff (both nodes)', 'both nodes off', 'Yes / No'],
          ...p.nodes.flatMap((n) => powerOnCommands(n).map((c) => [c, `${n.name} boots`, 'Yes / No'])),
          ['(automatic)', 'both members online, storage services started, no fence', 'Yes / No'],
          ...p.vms.map((v) => [enableVm(v), `vm:${v.name} on ${v.host.name}`, 'Yes / No']),
        ],
      },
    ],
  },
);

export const acceptance: Step = {
  id: 'acceptance',
  title: 'Testing: taking theory and putting it into practice',
  ifSkipped: 'the cluster is never tested as a whole: the install ends, but without proof that it survives a failure',
  doc:
    '"In theory" is not good enough in clustering: plan to spend at least twice as long testing as building, imagining ' +
    "every failure, triggering it and watching what happens. First the controlled tests: each node's VMs are live " +
    'migrated to the other node, the node is withdrawn (rgmanager, then cman stopped), rebooted and rejoined, and its ' +
    'VMs migrated back, proving migration both ways and a clean node shut-down. Then the uncontrolled ones: each VM is ' +
    'crashed with `virsh destroy` until the recovery policy (max_restarts within restart_expire_time) relocates it; ' +
    'each node is hung so the other fences it and restarts its VMs, and after it rejoins DRBD must finish its resync ' +
    'before the VMs go back. Last, the whole cluster is stopped cold (VMs disabled, rgmanager and cman stopped, nodes ' +
    'powered off) and started cold: both nodes powered on within post_join_delay, then the VMs enabled by hand.',
  warnings: [
    'If you are skimming, take note! `echo c > /proc/sysrq-trigger` will crash your node!',
    'Do not migrate VMs back to a recovered node until DRBD has finished resynchronising.',
    'It is important to power on both nodes within post_join_delay seconds. Otherwise, the slower node will be fenced.',
  ],
  tasks: [withdrawGate(0), withdrawGate(1), crashGate, nodeCrashGate(0), nodeCrashGate(1), coldGate],
};
