import { describe, expect, it } from 'vitest';
import { osOnDeviceMapper } from '../../steps/clvm.js';

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
