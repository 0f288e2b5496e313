/**
 * rgmanager's vm: agent against the real virt subsystem once it is merged (built on another branch;
 * skipped while absent), with this folder's stand-in cluster: adoption of a running guest, live
 * migration over qemu+ssh, recovery of a destroyed guest, a graceful disable, no double start.
 */
import { existsSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { withSubsystems, type LabSubsystem, type World } from '../../../src/lab/world.js';
import type { LabNode } from '../../../src/lab/node/node.js';
import { PACKAGES, installFiles } from '../../../src/lab/node/packages.js';
import { conf, fakeCluster, fakeStorageScripts, flush, pass, run, syslog } from './fakes.js';

const REAL_VIRT =
  existsSync(new URL('../virt/setup.ts', import.meta.url)) &&
  existsSync(new URL('../../../src/lab/virt/index.ts', import.meta.url));

describe.skipIf(!REAL_VIRT)('rgmanager on the real virt subsystem', () => {
  it('adopts, migrates, recovers and disables guests through virsh', async () => {
    const setup = '../virt/setup.js';
    const virtIndex = '../../../src/lab/virt/index.js';
    const { provisionWorld, fakeStorage } = (await import(/* @vite-ignore */ setup)) as {
      provisionWorld(subsystems?: readonly LabSubsystem[]): Promise<{ w: World }>;
      fakeStorage: LabSubsystem;
    };
    const virt = (await import(/* @vite-ignore */ virtIndex)) as {
      NETWORK_INSTALL_MS: number;
      virtModel(w: World): { doubleStarts(): unknown[]; runningOn(n: string): string[] };
    };
    const { w } = await provisionWorld(withSubsystems(fakeCluster, fakeStorageScripts, fakeStorage));
    const n1 = w.nodes['an-node01'];
    const n2 = w.nodes['an-node02'];
    const keys: string[] = [];
    for (const n of [n1, n2]) {
      await run(n, 'ssh-keygen -t rsa -N "" -b 1024 -f ~/.ssh/id_rsa');
      keys.push(n.fs.readText('/root/.ssh/id_rsa.pub'));
    }
    for (const n of [n1, n2]) n.fs.writeFile('/root/.ssh/authorized_keys', keys.join(''), 0o600);
    for (const n of [n1, n2])
      for (const peer of ['an-node01.alteeve.ca', 'an-node02.alteeve.ca'])
        expect((await run(n, `ssh -o StrictHostKeyChecking=no ${peer} true`)).code).toBe(0);
    for (const v of ['vm0001-dev', 'vm0002-web']) expect((await run(n1, `/shared/provision/${v}.sh`)).code).toBe(0);
    w.advance(virt.NETWORK_INSTALL_MS + 1000);
    await flush(w);
    // NOTE: the installer's reboot leaves a kickstart guest shut off (virt-install 0.600): start it.
    for (const v of ['vm0001-dev', 'vm0002-web']) expect((await run(n1, `virsh start ${v}`)).code).toBe(0);
    for (const v of ['vm0001-dev', 'vm0002-web']) {
      expect((await run(n1, `virsh dumpxml ${v} > /shared/definitions/${v}.xml`)).code).toBe(0);
      n2.fs.writeFile(`/shared/definitions/${v}.xml`, n1.fs.readText(`/shared/definitions/${v}.xml`));
      expect((await run(n2, `virsh define /shared/definitions/${v}.xml`)).code).toBe(0);
    }
    const setupNode = async (n: LabNode) => {
      for (const p of ['cman', 'rgmanager', 'gfs2-utils', 'lvm2-cluster', 'drbd83-utils']) installFiles(n, PACKAGES[p]);
      n.fs.mkdirp('/etc/cluster');
      n.fs.writeFile('/etc/cluster/cluster.conf', conf('vms'));
      expect((await run(n, '/etc/init.d/cman start')).code).toBe(0);
    };
    for (const n of [n1, n2]) await setupNode(n);
    for (const n of [n1, n2]) expect((await run(n, '/etc/init.d/rgmanager start')).code).toBe(0);
    await pass(w, 5000);
    const started = virt.virtModel(w).runningOn('vm0001-dev');
    expect(started).toEqual(['an-node01']);
    for (const v of ['vm0001-dev', 'vm0002-web'])
      expect((await run(n1, `clusvcadm -e vm:${v} -m an-node01.alteeve.ca`)).out).toBe(
        `Member an-node01.alteeve.ca trying to enable vm:${v}...Success\nvm:${v} is now running on an-node01.alteeve.ca\n`,
      );
    expect(await run(n1, 'clusvcadm -M vm:vm0001-dev -m an-node02.alteeve.ca')).toEqual({
      out: 'Trying to migrate vm:vm0001-dev to an-node02.alteeve.ca...Success\n',
      code: 0,
    });
    expect(virt.virtModel(w).runningOn('vm0001-dev')).toEqual(['an-node02']);
    expect((await run(n2, 'virsh destroy vm0001-dev')).code).toBe(0);
    await pass(w, 15_000);
    expect(syslog(n2).slice(-5)).toEqual([
      'status on vm "vm0001-dev" returned 7 (unspecified)',
      'Stopping service vm:vm0001-dev',
      'Service vm:vm0001-dev is recovering',
      'Recovering failed service vm:vm0001-dev',
      'Service vm:vm0001-dev started',
    ]);
    expect(await run(n1, 'clusvcadm -d vm:vm0002-web')).toEqual({
      out: 'Local machine disabling vm:vm0002-web...Success\n',
      code: 0,
    });
    expect(virt.virtModel(w).runningOn('vm0002-web')).toEqual([]);
    expect(virt.virtModel(w).doubleStarts()).toEqual([]);
  }, 300_000);
});
