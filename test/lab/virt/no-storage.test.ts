/**
 * Guest disks without the storage contract: with no storage subsystem, or one that does not offer
 * `blockDeviceReady`, a disk is ready when its path exists in the node's filesystem (an active LV
 * has its /dev node there).
 */
import { describe, expect, it } from 'vitest';
import { createWorld, withSubsystems, type LabSubsystem, type World } from '../../../src/lab/world.js';
import { storage } from '../../../src/lab/storage/index.js';
import { virtModel } from '../../../src/lab/virt/index.js';
import { networked, run } from '../helpers.js';

const LV = '/dev/an01-vg0/vm0001-1';
const INSTALL =
  'virt-install --connect qemu:///system --name vm0001-dev --ram 1024 --arch x86_64 --vcpus 1 --location http://10.255.255.254/c6/x86_64/img/ ' +
  '--extra-args "ks=http://10.255.255.254/c6/x86_64/ks/c6_minimal.ks" --os-type linux --os-variant rhel6 --disk path=/dev/an01-vg0/vm0001-1 --network bridge=vbr2 --vnc';

async function world(subsystems: LabSubsystem[]): Promise<World> {
  const w = createWorld({ seed: 5, subsystems });
  await networked(w);
  const n = w.nodes['an-node01'];
  for (const c of ['yum install -y libvirt qemu-kvm virt-install', '/etc/init.d/libvirtd start'])
    expect((await run(n, c)).code).toBe(0);
  return w;
}

describe('guest disks without the storage contract', () => {
  it('uses the node filesystem when there is no storage subsystem', async () => {
    // NOTE: the storage programs stay; only the storage state (what virt asks about disks) is absent.
    const w = await world(withSubsystems({ ...storage, state: undefined }));
    expect(w.sub('storage')).toBeUndefined();
    const n = w.nodes['an-node01'];
    expect((await run(n, INSTALL)).err).toBe(
      `ERROR    Error with storage parameters: Size must be specified for non existent volume path '${LV}'\n`,
    );
    n.fs.mkdirp('/dev/an01-vg0');
    n.fs.writeFile(LV, '');
    expect((await run(n, INSTALL)).code).toBe(0);
    expect(virtModel(w)!.runningOn('vm0001-dev')).toEqual(['an-node01']);
  }, 60_000);

  it('falls back to the filesystem when the storage subsystem lacks blockDeviceReady', async () => {
    const w = await world(
      withSubsystems({ ...storage, state: { key: 'storage', create: () => ({ toJSON: () => ({}) }) } }),
    );
    const n = w.nodes['an-node01'];
    n.fs.mkdirp('/dev/an01-vg0');
    n.fs.writeFile(LV, '');
    expect((await run(n, INSTALL)).code).toBe(0);
    expect((await run(n, 'virsh destroy vm0001-dev')).code).toBe(0);
    n.fs.unlink(LV);
    expect((await run(n, 'virsh start vm0001-dev')).err).toContain(
      `could not open disk image ${LV}: No such file or directory`,
    );
  }, 60_000);
});
