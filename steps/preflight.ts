/**
 * Preflight: before anything is changed, make sure each node is what the tutorial assumes: an EL6
 * install we reach as root, whose host name is its FQDN (the cluster and the SSH keys name nodes by
 * it), with the disk that will hold the DRBD partitions.
 */
import type { Step, TaskContext, Evidence } from '../src/engine/types.js';
import type { Plan, PlanNode } from '../src/plan/derive.js';
import { VerifyFailed } from '../src/errors.js';
import { sh } from '../src/engine/shell.js';
import { osLvmOf } from './clvm.js';

const TASK = 'preflight.node';

/** What preflight reads from a node. */
export interface NodeFacts {
  release: string;
  uname: string;
  uid: string;
  diskIsBlock: boolean;
  /** What of the system (mounts, swap, fstab) is on LVM/device-mapper (review item 2). */
  osLvm: string[];
}

/** The probe commands, in the order shown in the plan and runbook. */
function probes(p: Plan): string[] {
  return [
    'cat /etc/redhat-release',
    'uname -n',
    'id -u',
    sh`test -b ${p.storage.disk}`,
    'cat /proc/mounts /proc/swaps /etc/fstab',
  ];
}

/** Read the facts from a node (read-only). */
export async function readFacts(ctx: TaskContext): Promise<NodeFacts> {
  const [rel, uname, uid, disk] = probes(ctx.plan);
  const release = await ctx.node.exec(rel);
  return {
    release: release.code === 0 ? release.stdout.trim() : '',
    uname: (await ctx.node.exec(uname)).stdout.trim(),
    uid: (await ctx.node.exec(uid)).stdout.trim(),
    diskIsBlock: (await ctx.node.exec(disk)).code === 0,
    osLvm: await osLvmOf(ctx.node),
  };
}

/** EL6 release line, e.g. "CentOS release 6.2 (Final)", "Red Hat Enterprise Linux Server release 6.2 (Santiago)". */
const EL6 = /release 6(\.(\d+))?\b/;

/** Check the facts against the plan; throws `VerifyFailed` naming the first problem. */
export function checkFacts(p: Plan, n: PlanNode, f: NodeFacts, log?: (m: string) => void): Evidence {
  const fail = (expected: string, seen: string) => {
    throw new VerifyFailed(TASK, n.name, expected, seen);
  };
  const el = EL6.exec(f.release);
  if (!el)
    fail(
      'an EL6 release in /etc/redhat-release (RHEL, CentOS or Scientific Linux 6.x)',
      f.release ? `"${f.release}"` : 'no /etc/redhat-release',
    );
  if (el?.[2] === '1' && log)
    log(`${n.name}: EL6.1 has a corosync token retransmit bug; upgrade to EL6.2 or newer (tutorial warning)`);
  if (f.uid !== '0') fail('to be logged in as root (id -u = 0)', `id -u = ${f.uid || '(nothing)'}`);
  if (f.uname !== n.fqdn)
    fail(
      `uname -n = ${n.fqdn} (set HOSTNAME=${n.fqdn} in /etc/sysconfig/network and run \`hostname ${n.fqdn}\`)`,
      `uname -n = ${f.uname || '(nothing)'}`,
    );
  if (!f.diskIsBlock)
    fail(`${p.storage.disk} to be a block device (storage.disk)`, `${p.storage.disk} is not a block device`);
  // NOTE: step 15 writes an LVM filter that accepts only DRBD devices; a system VG then vanishes at the
  // next boot (no root, no swap, no /srv). Found here, before anything is partitioned or created.
  if (f.osLvm?.length)
    fail(
      'the system on plain partitions (the DRBD-only LVM filter of step 15 would hide a system VG at boot)',
      `${f.osLvm.join(', ')}; reinstall with plain partitions as the tutorial does (sda1-3)`,
    );
  return {
    summary: `${f.release}; ${f.uname}; root; ${p.storage.disk} present`,
    details: { release: f.release, uname: f.uname, disk: p.storage.disk },
  };
}

export const preflight: Step = {
  id: 'preflight',
  perNode: true,
  title: 'Preflight: the nodes as the tutorial expects them',
  ifSkipped:
    'nothing checks that the nodes are what the tutorial expects (EL6, the disks, the NICs): later steps may fail on a node that was never fit for them',
  doc:
    'Beyond being based on RHEL 6, there are no requirements for how the operating system is installed; the tutorial ' +
    'uses "minimal" installs and installs everything else it needs. Each node must be reachable as root, must call ' +
    'itself by its fully qualified name (the cluster, the SSH keys and the node names in cluster.conf all use it), and ' +
    'must have the disk whose free space will become the DRBD partitions. Nothing is changed here.',
  warnings: [
    'EL6.1 shipped with a version of corosync that had a token retransmit bug. On slower systems this caused totem ' +
      'tokens to be retransmitted and significant performance problems. This has been resolved in EL6.2, so please be sure to upgrade.',
  ],
  tasks: [
    {
      id: TASK,
      title: 'Check release, host name, root and storage disk',
      on: 'both',
      kind: 'safe',
      commands: (p) => probes(p),
      expect: (p, n) => [
        '/etc/redhat-release names an EL6 release (6.2 or newer advised)',
        `uname -n prints ${n.fqdn}`,
        'id -u prints 0 (root)',
        `${p.storage.disk} is a block device`,
        'no mount point, swap or /etc/fstab entry of the system is on LVM/device-mapper',
      ],
      // NOTE: a probe failing is a finding, not a command error, so run reports it through checkFacts.
      async run(ctx) {
        checkFacts(ctx.plan, ctx.node.plan, await readFacts(ctx), ctx.log);
      },
      async verify(ctx) {
        return checkFacts(ctx.plan, ctx.node.plan, await readFacts(ctx));
      },
    },
  ],
};
