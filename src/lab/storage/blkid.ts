/**
 * `blkid [-o value|full] [-s TAG]... [DEVICE...]` (util-linux-ng 2.17.2, EL6): the signatures on the
 * node's block devices: the installer's ext4 and swap (their UUIDs are those of /etc/fstab), LVM2 PV
 * labels (on the DRBD device and, because DRBD 8.3's internal metadata sits at the end, on its backing
 * partition too: the reason for the tutorial's lvm.conf filter, 2621), GFS2 on LVs.
 *
 * Sources (facts and formats only): util-linux-ng 2.17.2 `misc-utils/blkid.c` print_tags(): "%s: "
 * then `TAG="value" ` for each tag (every tag followed by a space, so each line ends in one), one line
 * per device; `-o value` prints the values one per line; exit 2 when nothing was found
 * (BLKID_EXIT_NOTFOUND). Devices come from /proc/partitions (libblkid probe_all()); a device-mapper
 * device is named /dev/mapper/NAME (libblkid devname.c, canonicalize_dm_name()). Tags: libblkid
 * `superblocks/ext.c` (UUID, TYPE="ext4"), `swap.c` (UUID, TYPE="swap"), `lvm.c` (UUID as LVM prints
 * it, 6-4-4-4-4-4-6, TYPE="LVM2_member"), `gfs.c` (LABEL = the lock table, UUID, TYPE="gfs2"). No
 * DRBD signature: libblkid learnt drbd metadata only in util-linux 2.21.
 */
import type { CmdCtx, CommandFn } from '../node/command.js';
import type { LabNode } from '../node/node.js';
import { st } from './state.js';
import { lvMeta, mapperName } from './lvm.js';
import { drbdData } from './drbd.js';
import { uuid as installerUuid } from '../seed/centos64.js';

/** An LVM id (32 characters) as LVM and libblkid print it: 6-4-4-4-4-4-6. */
function lvmUuid(id: string): string {
  const s = id.padEnd(32, '0');
  return [
    s.slice(0, 6),
    s.slice(6, 10),
    s.slice(10, 14),
    s.slice(14, 18),
    s.slice(18, 22),
    s.slice(22, 26),
    s.slice(26, 32),
  ].join('-');
}

/** The tags of one device (empty when libblkid finds nothing). */
function probe(node: LabNode, dev: string): [string, string][] {
  const s = st(node).of(node);
  const disk = Object.keys(node.disks)[0];
  // The installer's partitions: /boot, / and swap, as /etc/fstab names them (seed/centos64.ts).
  const sys: Record<string, [string, string]> = {
    [`/dev/${disk}1`]: ['boot', 'ext4'],
    [`/dev/${disk}2`]: ['root', 'ext4'],
    [`/dev/${disk}3`]: ['swap', 'swap'],
  };
  const part = node.disks[disk]?.parts.find((p) => `/dev/${disk}${p.num}` === dev);
  if (sys[dev] && part?.fs)
    return [
      ['UUID', installerUuid(node.name + sys[dev][0])],
      ['TYPE', sys[dev][1]],
    ];
  const dm = /^\/dev\/mapper\/(.+)$/.exec(dev)?.[1];
  if (dm) {
    const key = s.active.find((k) => k && mapperName(k) === dm);
    if (!key) return [];
    const [vg, lv] = key.split('/');
    const fs = lvMeta(node, vg, lv).read()?.fs;
    return fs
      ? [
          ['LABEL', fs.lockTable],
          ['UUID', fs.uuid.toLowerCase()],
          ['TYPE', 'gfs2'],
        ]
      : [];
  }
  const data = /^\/dev\/drbd\d+$/.test(dev) ? drbdData(node, dev)?.data : s.blocks[dev]?.data;
  if (data?.pv)
    return [
      ['UUID', lvmUuid(data.pv.uuid)],
      ['TYPE', 'LVM2_member'],
    ];
  return [];
}

/** Every block device in /proc/partitions order, dm devices by their /dev/mapper name. */
function allDevices(node: LabNode): string[] {
  let text = '';
  try {
    text = node.fs.readText('/proc/partitions');
  } catch {
    return [];
  }
  const active = st(node).of(node).active;
  const out: string[] = [];
  for (const line of text.split('\n').slice(2)) {
    const name = line.trim().split(/\s+/)[3];
    if (!name) continue;
    const dm = /^dm-(\d+)$/.exec(name);
    if (dm && !active[Number(dm[1])]) continue;
    out.push(dm ? `/dev/mapper/${mapperName(active[Number(dm[1])])}` : `/dev/${name}`);
  }
  return out;
}

export const blkid: CommandFn = (ctx: CmdCtx) => {
  const a = ctx.argv.slice(1);
  let valueOnly = false;
  const show: string[] = [];
  const devs: string[] = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '-o') {
      const o = a[++i];
      if (o !== 'value' && o !== 'full') {
        ctx.err(`blkid: -o ${o ?? ''} is not simulated by the lab (only value, full)\n`);
        return 4;
      }
      valueOnly = o === 'value';
    } else if (a[i] === '-s') show.push(a[++i] ?? '');
    else if (a[i].startsWith('-')) {
      ctx.err(`blkid: ${a[i]} is not simulated by the lab (only -o value|full, -s TAG)\n`);
      return 4;
    } else devs.push(a[i]);
  }
  let found = 0;
  for (const dev of devs.length ? devs : allDevices(ctx.node)) {
    let real = dev;
    try {
      real = ctx.node.fs.realpath(dev);
    } catch {
      // NOTE: the lab's /dev has no drbdN nodes; the kernel's list (/proc/partitions) is what counts.
      if (devs.length && !/^\/dev\/drbd\d+$/.test(dev)) continue;
    }
    const dm = /^\/dev\/dm-(\d+)$/.exec(real);
    const key = dm ? st(ctx.node).of(ctx.node).active[Number(dm[1])] : undefined;
    if (dm && !key) continue;
    const canon = key ? `/dev/mapper/${mapperName(key)}` : real;
    const tags = probe(ctx.node, canon).filter(([t]) => !show.length || show.includes(t));
    if (!tags.length) continue;
    found++;
    if (valueOnly) for (const [, v] of tags) ctx.out(`${v}\n`);
    else ctx.out(`${devs.length ? dev : canon}: ${tags.map(([t, v]) => `${t}="${v}" `).join('')}\n`);
  }
  return found ? 0 : 2;
};

/** The programs of this file, given to the storage subsystem. */
export const BLKID_PROGRAMS: Record<string, CommandFn> = { blkid };
