/**
 * The set-up of the fence-peer handler tests: both nodes in the cluster (cman, fenced, the fence
 * agents), the three resources Connected, UpToDate and Primary on both, DRBD's handler the one the
 * tool installs; and the ways lab time is passed while the handlers (programs on the nodes) run.
 */
import { clusterReady, cmanBoth, CONF_V7, N2, tutorialWorld } from '../cluster/helpers.js';
import { run } from '../helpers.js';
import { loadAnswers } from '../../../src/plan/load.js';
import { derivePlan } from '../../../src/plan/derive.js';
import { renderFile } from '../../../src/engine/render.js';
import { drbdFiles } from '../../../steps/drbd-config.js';
import { drbdInstall } from '../../../steps/drbd-install.js';
import { partitionCommands } from '../../../steps/drbd-partitions.js';
import { syncKernel } from '../../../src/lab/storage/parted.js';
import { storageOf } from '../../../src/lab/storage/index.js';
import { withSubsystems, type LabSubsystem, type World } from '../../../src/lab/world.js';
import type { LabNode } from '../../../src/lab/node/node.js';
import type { FenceHandler } from '../../../src/plan/schema.js';

/** Node 2's SN cables go back in by a lab-time timer (`test.replug-sn`, one test schedules it). */
export const replugSn: LabSubsystem = {
  name: 'test-replug-sn',
  timers: {
    'test.replug-sn': (x) => {
      for (const nic of ['eth1', 'eth4']) x.fault({ kind: 'cable', node: N2, nic, up: true });
    },
  },
};

/**
 * Both nodes in the cluster (cluster.conf `conf`), the three resources Connected, UpToDate and Primary
 * on both (end of step 14), `handler` as DRBD's fence-peer handler.
 */
export async function dualPrimary(
  handler: FenceHandler,
  conf = CONF_V7,
): Promise<{ w: World; n1: LabNode; n2: LabNode }> {
  const w = tutorialWorld(withSubsystems(replugSn));
  const [n1, n2] = await clusterReady(w, conf);
  await cmanBoth(w);
  const a = loadAnswers('examples/tutorial.anvil.yaml', { ...process.env });
  a.storage.drbd.fenceHandler = handler;
  a.storage.drbd.fencePeer = handler === 'rhcs_fence' ? '/sbin/rhcs_fence' : '/sbin/obliterate-peer.sh';
  const p = derivePlan(a, { freeStart: '47.5GB' });
  const ok = async (n: LabNode, c: string) => {
    const r = await run(n, c, '');
    if (r.code) throw new Error(`${n.name}: ${c}: ${r.out}${r.err}`);
  };
  for (const [i, n] of [n1, n2].entries()) {
    for (const c of [
      'yum install -y wget',
      'rpm --import http://elrepo.org/RPM-GPG-KEY-elrepo.org',
      'rpm -Uvh http://elrepo.org/elrepo-release-6-4.el6.elrepo.noarch.rpm',
      'yum install -y drbd83-utils kmod-drbd83',
      ...drbdInstall.tasks[1].commands!(p, p.nodes[i]),
    ])
      await ok(n, c);
    for (const c of partitionCommands(p)) await run(n, c);
    for (const disk of Object.keys(n.disks)) syncKernel(n, disk);
    for (const f of drbdFiles(p)) n.fs.writeFile(f.path, renderFile(f, p, p.nodes[i]), 0o644);
    await ok(n, 'drbdadm create-md r0 r1 r2');
    await ok(n, 'modprobe drbd');
    await ok(n, 'drbdadm up r0 r1 r2');
  }
  await ok(n1, 'drbdadm -- --clear-bitmap new-current-uuid r0 r1 r2');
  for (const n of [n1, n2]) await ok(n, 'drbdadm primary r0 r1 r2');
  return { w, n1, n2 };
}

/** Pull both SN links of a node (bond1 = eth1 + eth4) and let lab time pass. */
export async function pullSn(w: World, node: string): Promise<void> {
  for (const nic of ['eth1', 'eth4']) w.fault({ kind: 'cable', node, nic, up: false });
  for (let i = 0; i < 40; i++) {
    w.advance(5_000);
    await w.settle();
    // the handlers are programs running on the nodes: give them real time to make their calls
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Let `steps` × 5 s of lab time pass, giving the handlers (programs on the nodes) real time too. */
export async function passTime(w: World, steps: number): Promise<void> {
  for (let i = 0; i < steps; i++) {
    w.advance(5_000);
    await w.settle();
    await new Promise((r) => setTimeout(r, 20));
  }
}

export const minors = (w: World, n: string) => Object.values(storageOf(w).of(n).minors);
