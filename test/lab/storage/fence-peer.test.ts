/**
 * DRBD's fence-peer handler on the lab with the real cluster (cman, fenced, the fence agents): the file
 * the tool installs is what DRBD runs. Issue 16 point 5: losing one node's Storage Network makes both
 * nodes' DRBD call the handler at once (tutorial 2118-2120, "simultaneous fencing"); rhcs_fence's delay
 * by node ID (digimer/rhcs_fence 0.2.5 `sleep_a_bit()`) leaves node 1 standing.
 */
import { describe, expect, it } from 'vitest';
import { clusterReady, cmanBoth, N1, N2, tutorialWorld } from '../cluster/helpers.js';
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

/** Both nodes in the cluster, the three resources Connected, UpToDate and Primary on both (end of step 14). */
// NOTE: node 2's SN cables go back in by a lab-time timer (one test schedules it).
const replugSn: LabSubsystem = {
  name: 'test-replug-sn',
  timers: {
    'test.replug-sn': (x) => {
      for (const nic of ['eth1', 'eth4']) x.fault({ kind: 'cable', node: N2, nic, up: true });
    },
  },
};

async function dualPrimary(handler: FenceHandler): Promise<{ w: World; n1: LabNode; n2: LabNode }> {
  const w = tutorialWorld(withSubsystems(replugSn));
  const [n1, n2] = await clusterReady(w);
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
async function pullSn(w: World, node: string): Promise<void> {
  for (const nic of ['eth1', 'eth4']) w.fault({ kind: 'cable', node, nic, up: false });
  for (let i = 0; i < 40; i++) {
    w.advance(5_000);
    await w.settle();
    // the handlers are programs running on the nodes: give them real time to make their calls
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Let `steps` × 5 s of lab time pass, giving the handlers (programs on the nodes) real time too. */
async function passTime(w: World, steps: number): Promise<void> {
  for (let i = 0; i < steps; i++) {
    w.advance(5_000);
    await w.settle();
    await new Promise((r) => setTimeout(r, 20));
  }
}

const minors = (w: World, n: string) => Object.values(storageOf(w).of(n).minors);

describe('fence-peer handlers run as programs (issue 16 point 5)', () => {
  it('rhcs_fence (the default): both SN links of node 2 pulled -> node 1 fences node 2 and stays up, I/O resumes', async () => {
    const { w, n1 } = await dualPrimary('rhcs_fence');
    await pullSn(w, N2);
    expect(w.nodes[N1].running).toBe(true);
    const log = n1.fs.readText('/var/log/messages');
    expect(log).toContain('rhcs_fence: Attempting to fence peer using RHCS from DRBD...');
    expect(log).toMatch(/block drbd0: fence-peer helper returned 7 \(peer was stonithed\)/);
    for (const m of minors(w, N1))
      expect({ susp: m.susp, pds: m.pds, role: m.role }).toEqual({ susp: false, pds: 'Outdated', role: 'Primary' });
    // node 2 was fenced by node 1 (rebooted by its BMC), never the other way round
    expect(log).not.toMatch(/fenced.*an-node01.*success/);
  }, 240_000);

  it("obliterate-peer.sh (the tutorial's): both nodes fence at once, neither waits", async () => {
    const { w } = await dualPrimary('obliterate-peer');
    await pullSn(w, N2);
    const both = [N1, N2].map((n) => w.nodes[n].fs.readText('/var/log/messages'));
    for (const log of both) expect(log).toMatch(/obliterate-peer\.sh: Local node ID: \d \/ Remote node: an-node0\d/);
  }, 240_000);

  it('a handler that is an HTML page (an executable error page saved by the download) leaves I/O frozen', async () => {
    const { w, n1, n2 } = await dualPrimary('rhcs_fence');
    for (const n of [n1, n2])
      n.fs.writeFile('/sbin/rhcs_fence', '<!DOCTYPE html>\n<html><body>502 Bad Gateway</body></html>\n', 0o755);
    await pullSn(w, N2);
    expect(w.nodes[N1].running && w.nodes[N2].running).toBe(true);
    expect(n1.fs.readText('/var/log/messages')).toMatch(/block drbd0: fence-peer helper broken, returned [1-9]\d*/);
    for (const m of minors(w, N1)) expect(m.susp).toBe(true);
    expect((await run(n1, 'cat /proc/drbd')).out).toMatch(
      / 0: cs:WFConnection ro:Primary\/Unknown ds:UpToDate\/DUnknown C s----/,
    );
  }, 240_000);

  it('a broken handler leaves I/O frozen only until the peer is back: the reconnect resumes it (8.3 after_state_ch case2)', async () => {
    const { w, n1, n2 } = await dualPrimary('rhcs_fence');
    for (const n of [n1, n2]) n.fs.writeFile('/sbin/rhcs_fence', '#!/bin/bash\nexit 1\n', 0o755);
    await pullSn(w, N2);
    for (const m of minors(w, N1)) expect(m.susp).toBe(true);
    for (const nic of ['eth1', 'eth4']) w.fault({ kind: 'cable', node: N2, nic, up: true });
    await passTime(w, 60);
    const log = n1.fs.readText('/var/log/messages');
    expect(log).toMatch(/block drbd0: fence-peer helper broken, returned 1/);
    for (const n of [N1, N2])
      for (const m of minors(w, n))
        expect({ node: n, minor: m.minor, cs: m.cs, susp: m.susp }).toEqual({
          node: n,
          minor: m.minor,
          cs: 'Connected',
          susp: false,
        });
    expect((await run(n1, 'cat /proc/drbd')).out).toMatch(
      / 0: cs:Connected ro:Primary\/Primary ds:UpToDate\/UpToDate C r-----/,
    );
  }, 240_000);

  it('a handler still running when the peer reconnects: I/O resumes at the reconnect; its later exit 7 outdates nothing', async () => {
    const { w, n1, n2 } = await dualPrimary('rhcs_fence');
    // NOTE: node 2's SN cables go back in 20 s after they were pulled, while the handlers run (`sleep 300`).
    w.schedule(20_000, 'test.replug-sn', null);
    for (const n of [n1, n2]) n.fs.writeFile('/sbin/rhcs_fence', '#!/bin/bash\nsleep 300\nexit 7\n', 0o755);
    const uuid = () => storageOf(w).block(n1, minors(w, N1)[0].disk).md!.uuid;
    const before = uuid();
    await pullSn(w, N2);
    const log = n1.fs.readText('/var/log/messages');
    expect(log).toMatch(/block drbd0: fence-peer helper returned 7 \(peer was stonithed\)/);
    for (const m of minors(w, N1))
      expect({ cs: m.cs, susp: m.susp, pds: m.pds }).toEqual({ cs: 'Connected', susp: false, pds: 'UpToDate' });
    expect(log).not.toMatch(/block drbd0: pdsk\( DUnknown -> Outdated \)/);
    expect(uuid()).toBe(before);
  }, 240_000);
});
