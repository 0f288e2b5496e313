/**
 * `fdisk -l [DEVICE...]` (util-linux-ng 2.17.2, EL6, DOS-compatible cylinder units by default): the
 * disk geometry block and the msdos partition table of the node's disk as parted left it (the kernel's
 * table is not consulted: fdisk reads the disk), and the header of each device-mapper device.
 * Interactive fdisk (the tutorial uses parted, 2151) fails loudly.
 *
 * Sources (util-linux-ng 2.17.2 `fdisk/fdisk.c`, facts and formats only):
 * - list_disk_geometry(): "\nDisk %s: %ld MB, %lld bytes\n" under 10000 MB else "%ld.%ld GB" from
 *   (megabytes + 50) / 100; "%d heads, %llu sectors/track, %d cylinders"; "Units = cylinders of %d * %d =
 *   %d bytes"; "Sector size (logical/physical)"; "I/O size (minimum/optimal)"; "Disk identifier: 0x%08x".
 *   255 heads and 63 sectors (the kernel's sd geometry; guessed for devices without one).
 * - list_table(): "\n%*s Boot      Start         End      Blocks   Id  System\n" with the width of the
 *   device name; rows "%s  %c %11lu %11lu %11lu%c  %2x  %s" (name padded to its width + 2, boot '*',
 *   start and end in cylinders = sector / 16065 + 1, 1 KiB blocks with '+' for an odd sector, the id,
 *   i386_sys_types[] names: 83 Linux, 82 Linux swap / Solaris, 5 Extended).
 * - check_consistency(): primary partitions only; "Partition %d does not end on cylinder boundary." when
 *   the CHS end stored in the table is not the last head/sector of a cylinder (parted 2.1 writes the
 *   real CHS under cylinder 1024 and 1023/254/63 above it, which passes).
 * - "Disk %s doesn't contain a valid partition table" (stderr) for a device without one.
 * - main()/list_all(): without a device, the whole disks of /proc/partitions; is_probably_full_disk()
 *   keeps a device whose HDIO_GETGEO answers with start 0 (disks, device-mapper) and, when it does not
 *   answer (DRBD), only a name not ending in a digit: so drbdN is left out.
 */
import type { CmdCtx, CommandFn } from '../node/command.js';
import type { LabNode } from '../node/node.js';
import { st } from './state.js';
import { mapperName } from './lvm.js';

const HEADS = 255;
const SECTORS = 63;
const CYL = HEADS * SECTORS;

function header(dev: string, bytes: number, ident: number): string {
  const mb = Math.floor(bytes / 1e6);
  const size = mb < 10000 ? `${mb} MB` : `${Math.floor((mb + 50) / 100 / 10)}.${Math.floor((mb + 50) / 100) % 10} GB`;
  const cyl = Math.floor(bytes / 512 / CYL);
  return (
    `\nDisk ${dev}: ${size}, ${bytes} bytes\n` +
    `${HEADS} heads, ${SECTORS} sectors/track, ${cyl} cylinders\n` +
    `Units = cylinders of ${CYL} * 512 = ${CYL * 512} bytes\n` +
    `Sector size (logical/physical): 512 bytes / 512 bytes\n` +
    `I/O size (minimum/optimal): 512 bytes / 512 bytes\n` +
    `Disk identifier: 0x${ident.toString(16).padStart(8, '0')}\n`
  );
}

/** A stable disk signature from the node's name (anaconda writes a random one at install). */
function signature(node: LabNode, disk: string): number {
  let h = 2166136261;
  for (const c of `${node.name}/${disk}`) h = Math.imul(h ^ c.charCodeAt(0), 16777619) >>> 0;
  return h;
}

function table(node: LabNode, disk: string): string {
  const d = node.disks[disk];
  const dev = `/dev/${disk}`;
  const w = dev.length;
  let out = `\n${'Device'.padStart(w + 1)} Boot      Start         End      Blocks   Id  System\n`;
  for (const p of d.parts) {
    const s = Math.floor(p.start / 512);
    const n = Math.floor((p.end - p.start + 1) / 512);
    const e = s + n - (n ? 1 : 0);
    const id = p.type === 'extended' ? 0x5 : p.fs.startsWith('linux-swap') ? 0x82 : 0x83;
    const name = id === 0x5 ? 'Extended' : id === 0x82 ? 'Linux swap / Solaris' : 'Linux';
    out +=
      `${`${dev}${p.num}`.padEnd(w + 2)}  ${p.flags.includes('boot') ? '*' : ' '} ` +
      `${String(Math.floor(s / CYL) + 1).padStart(11)} ${String(Math.floor(e / CYL) + 1).padStart(11)} ` +
      `${String(Math.floor(n / 2)).padStart(11)}${n % 2 ? '+' : ' '}  ${id.toString(16).padStart(2)}  ${name}\n`;
    // CHS end as parted wrote it: real under cylinder 1024, else 1023/254/63 (which passes the check)
    const endCyl = Math.floor(e / CYL);
    const endsOnBoundary = endCyl >= 1024 || e % CYL === CYL - 1;
    if (p.num <= 4 && !endsOnBoundary) out += `Partition ${p.num} does not end on cylinder boundary.\n`;
  }
  return out;
}

export const fdisk: CommandFn = (ctx: CmdCtx) => {
  const a = ctx.argv.slice(1);
  if (a[0] !== '-l' || a.slice(1).some((x) => x.startsWith('-'))) {
    ctx.err(`fdisk: ${a.join(' ') || '(interactive)'} is not simulated by the lab (only \`fdisk -l [device...]\`)\n`);
    return 1;
  }
  const node = ctx.node;
  const ns = st(node).of(node);
  let devs = a.slice(1);
  if (!devs.length) {
    devs = Object.keys(node.disks).map((d) => `/dev/${d}`);
    ns.active.forEach((k) => k && devs.push(`/dev/mapper/${mapperName(k)}`));
  }
  for (const dev of devs) {
    let real: string;
    try {
      real = node.fs.realpath(dev);
    } catch {
      ctx.err(`Cannot open ${dev}\n`);
      continue;
    }
    const s = node.fs.stat(real);
    if (s?.device !== 'block') {
      ctx.err(`Cannot open ${dev}\n`);
      continue;
    }
    const disk = /^\/dev\/([a-z]+)$/.exec(real)?.[1];
    if (disk && node.disks[disk]) {
      ctx.out(header(dev, s.size, signature(node, disk)));
      if (node.disks[disk].table === 'msdos') ctx.out(table(node, disk));
      else ctx.err(`Disk ${dev} doesn't contain a valid partition table\n`);
      continue;
    }
    ctx.out(header(dev, s.size, 0));
    ctx.err(`Disk ${dev} doesn't contain a valid partition table\n`);
  }
  return 0;
};

/** The programs of this file, given to the storage subsystem. */
export const FDISK_PROGRAMS: Record<string, CommandFn> = { fdisk };
