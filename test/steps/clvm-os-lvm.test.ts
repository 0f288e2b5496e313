import { describe, expect, it } from 'vitest';
import { osOnDeviceMapper } from '../../steps/clvm.js';
import { checkFacts } from '../../steps/preflight.js';
import { derivePlan } from '../../src/plan/derive.js';
import { loadAnswers } from '../../src/plan/load.js';

// /proc/mounts and /proc/swaps of the tutorial's nodes (plain sda1-3) and of a stock CentOS 6 install.
const PLAIN =
  'rootfs / rootfs rw 0 0\n/dev/sda2 / ext4 rw,relatime,barrier=1,data=ordered 0 0\n/dev/sda1 /boot ext4 rw,relatime 0 0\n';
const PLAIN_SWAP =
  'Filename\t\t\t\tType\t\tSize\tUsed\tPriority\n/dev/sda3                               partition\t4194300\t0\t-1\n';
const STOCK =
  'rootfs / rootfs rw 0 0\n/dev/mapper/VolGroup-lv_root / ext4 rw,relatime 0 0\n/dev/sda1 /boot ext4 rw 0 0\n/dev/mapper/VolGroup-lv_home /home ext4 rw 0 0\n';
const STOCK_SWAP =
  'Filename\t\t\t\tType\t\tSize\tUsed\tPriority\n/dev/dm-1                               partition\t4194300\t0\t-1\n';

describe('the system must not live on LVM before the DRBD-only filter', () => {
  it("accepts the tutorial's plain partitions, and a GFS2 LV mounted on /shared", () => {
    expect(
      osOnDeviceMapper(PLAIN + '/dev/mapper/shared--vg0-shared /shared gfs2 rw,relatime 0 0\n', PLAIN_SWAP),
    ).toEqual([]);
  });
  it('names the root, /home and swap of a stock install on LVM', () => {
    expect(osOnDeviceMapper(STOCK, STOCK_SWAP)).toEqual([
      '/ on /dev/mapper/VolGroup-lv_root',
      '/home on /dev/mapper/VolGroup-lv_home',
      'swap on /dev/dm-1',
    ]);
    expect(osOnDeviceMapper('/dev/VolGroup/lv_root / ext4 rw 0 0\n', '')).toEqual(['/ on /dev/VolGroup/lv_root']);
  });
});

describe('review item 2: every mount point and swap, checked in preflight', () => {
  it('names a data VG on /srv and an fstab swap or mount on a VG, not only the system directories', () => {
    expect(
      osOnDeviceMapper(
        PLAIN + '/dev/mapper/data-srv /srv xfs rw 0 0\n',
        PLAIN_SWAP,
        '/dev/sda2 / ext4 defaults 1 1\n/dev/data/swap2 swap swap defaults 0 0\n/dev/mapper/data-backup /backup ext4 noauto 0 0\n# /dev/mapper/x /y ext4\n',
      ),
    ).toEqual([
      '/srv on /dev/mapper/data-srv',
      'swap on /dev/data/swap2 (fstab)',
      '/backup on /dev/mapper/data-backup (fstab)',
    ]);
  });

  it('preflight refuses a node whose system is on LVM, before anything is partitioned', () => {
    const p = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));
    const n = p.nodes[0];
    const facts = {
      release: 'CentOS release 6.4 (Final)',
      uname: n.fqdn,
      uid: '0',
      diskIsBlock: true,
      osLvm: [] as string[],
    };
    expect(checkFacts(p, n, facts).summary).toContain('root');
    expect(() => checkFacts(p, n, { ...facts, osLvm: ['/srv on /dev/mapper/data-srv'] })).toThrow(
      /the system on plain partitions .*; saw \/srv on \/dev\/mapper\/data-srv/,
    );
  });
});
