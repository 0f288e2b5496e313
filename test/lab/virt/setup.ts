/**
 * A lab world ready for step 18 (vm-provision): the tutorial's answers, networked nodes with vbr2,
 * libvirt installed and running, a fake storage subsystem (the real one is built elsewhere) whose
 * LVs the tests switch on and off, /shared directories and install media, and the provision
 * scripts exactly as the tool renders them.
 */
import { join } from 'node:path';
import { createWorld, withSubsystems, type LabSubsystem, type World } from '../../../src/lab/world.js';
import { storage } from '../../../src/lab/storage/index.js';
import { storageView, type StorageView } from '../../../src/lab/storage/view.js';
import { loadAnswers } from '../../../src/plan/load.js';
import { derivePlan, type Plan } from '../../../src/plan/derive.js';
import { renderFile } from '../../../src/engine/render.js';
import { provisionFile } from '../../../steps/vm-provision.js';
import { networked, run } from '../helpers.js';

/** The fake storage subsystem's saved state: ready block devices per node. */
interface FakeStorage {
  ready: Record<string, string[]>;
}

/** The storage subsystem with its state (world key `storage`) replaced by a stand-in: block devices the tests switch on and off. */
export const fakeStorage: LabSubsystem = {
  ...storage,
  state: {
    key: 'storage',
    create: (_w, saved) => {
      const st: FakeStorage = (saved as FakeStorage | undefined) ?? { ready: {} };
      const view: StorageView = {
        toJSON: () => st,
        blockDeviceReady: (node, path) => st.ready[node]?.includes(path) ?? false,
        blockDeviceBytes: (node, path) => (st.ready[node]?.includes(path) ? 100 * 2 ** 30 : undefined),
      };
      return view;
    },
  },
};

/** The lab the virt tests run: the whole lab, the storage state a stand-in. */
export const VIRT_TEST_LAB = withSubsystems(fakeStorage);

/** Make a block device (un)usable on a node through the fake storage subsystem. */
export function setReady(w: World, node: string, path: string, on: boolean): void {
  const st = storageView(w)!.toJSON() as FakeStorage;
  const list = (st.ready[node] ??= []);
  if (on && !list.includes(path)) list.push(path);
  if (!on && list.includes(path)) list.splice(list.indexOf(path), 1);
}

export const ANSWERS = join(process.cwd(), 'examples', 'tutorial.anvil.yaml');
export const NODES = ['an-node01', 'an-node02'] as const;

/** Copy a file to the other node, as the GFS2 /shared partition would show it there. */
export function share(w: World, from: string, path: string): void {
  const to = NODES.find((n) => n !== from)!;
  const fs = w.nodes[from].fs;
  w.nodes[to].fs.writeFile(path, fs.readFile(path), fs.stat(path)!.mode & 0o7777);
}

/** The world just before the provision scripts run (both nodes), and the plan; `subsystems` must hold a storage offering `setReady`'s state. */
export async function provisionWorld(
  subsystems: readonly LabSubsystem[] = VIRT_TEST_LAB,
): Promise<{ w: World; p: Plan }> {
  const answers = loadAnswers(ANSWERS, {});
  const p = derivePlan(answers);
  const w = createWorld({ answers, seed: 3, subsystems });
  await networked(w);
  for (const name of NODES) {
    const n = w.nodes[name];
    for (const cmd of [
      'yum install -y libvirt qemu-kvm virt-install',
      '/etc/init.d/libvirtd start',
      'mkdir -p /shared/provision /shared/definitions /shared/files',
    ]) {
      const r = await run(n, cmd);
      if (r.code !== 0) throw new Error(`${name}: ${cmd}: ${r.out}${r.err}`);
    }
    n.fs.writeFile('/shared/files/Windows_Server_2008_R2_64Bit_SP1.iso', 'ISO');
    n.fs.writeFile('/shared/files/virtio-win-1.1.16.vfd', 'VFD');
    // NOTE: clustered LVM: every VM's LV is active on both nodes.
    for (const v of p.vms) setReady(w, name, v.lvPath, true);
  }
  for (const v of p.vms) {
    const spec = provisionFile(v);
    w.nodes[v.host.name].fs.writeFile(spec.path, renderFile(spec, p, v.host), 0o755);
  }
  return { w, p };
}
