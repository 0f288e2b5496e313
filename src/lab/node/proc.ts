/**
 * The node's /proc: files generated from live state. /proc/net/bonding/bondN follows the tutorial's
 * listings line for line; writing `c` to /proc/sysrq-trigger crashes the node.
 */
import type { ProcProvider } from '../fs/node-fs.js';
import type { LabNode } from './node.js';
import type { IfState } from './network.js';
import { FsError } from '../fs/memfs.js';

const MODE_NAMES = [
  'load balancing (round-robin)',
  'fault-tolerance (active-backup)',
  'load balancing (xor)',
  'fault-tolerance (broadcast)',
  'IEEE 802.3ad Dynamic link aggregation',
  'transmit load balancing',
  'adaptive load balancing',
];

/** /proc/net/bonding/<bond> as the EL6 bonding driver (v3.6.0) prints it. */
export function renderBonding(node: LabNode, b: IfState): string {
  const bond = b.bond!;
  const lines = ['Ethernet Channel Bonding Driver: v3.6.0 (September 26, 2009)'];
  lines.push(`Bonding Mode: ${MODE_NAMES[bond.mode] ?? MODE_NAMES[0]}`);
  if (bond.mode === 1 || bond.mode === 5 || bond.mode === 6) {
    lines.push(`Primary Slave: ${bond.primary ? `${bond.primary} (primary_reselect always)` : 'None'}`);
    lines.push(`Currently Active Slave: ${bond.active ?? 'None'}`);
  }
  lines.push(`MII Status: ${node.net.carrier(b.name) ? 'up' : 'down'}`);
  lines.push(`MII Polling Interval (ms): ${bond.miimon}`);
  lines.push(`Up Delay (ms): ${bond.updelay}`);
  lines.push(`Down Delay (ms): ${bond.downdelay}`);
  for (const s of bond.slaves) {
    const i = node.net.ifaces[s];
    const hw = node.nics.find((n) => n.name === s);
    lines.push(`Slave Interface: ${s}`);
    lines.push(`MII Status: ${i.slave?.link === 'up' ? 'up' : 'down'}`);
    lines.push(`Link Failure Count: ${i.slave?.failures ?? 0}`);
    lines.push(`Permanent HW addr: ${(hw?.mac ?? i.mac).toLowerCase()}`);
    lines.push('Slave queue ID: 0');
  }
  return lines.join('\n') + '\n';
}

const KERNEL = '2.6.32-358.el6.x86_64';

/** A /proc file a subsystem generates: its content now, or null while it is absent. */
export type ProcFileFn = (node: LabNode) => string | null;

/**
 * Build the /proc provider of a node; `generated` are the files the world's subsystems generate (they
 * take precedence over a built-in one).
 */
export function makeProc(node: LabNode, generated: Readonly<Record<string, ProcFileFn>> = {}): ProcProvider {
  const bonds = () => node.net.list().filter((i) => i.kind === 'bond');
  const files: Record<string, () => string> = {
    '/proc/version': () =>
      `Linux version ${KERNEL} (mockbuild@c6b8.bsys.dev.centos.org) (gcc version 4.4.7 20120313 (Red Hat 4.4.7-3) (GCC) ) #1 SMP Wed Mar 13 00:26:49 UTC 2013\n`,
    '/proc/uptime': () => {
      const up = Math.max(0, (node.world.now() - node.bootTime) / 1000);
      return `${up.toFixed(2)} ${(up * 1.9).toFixed(2)}\n`;
    },
    '/proc/loadavg': () => '0.00 0.01 0.05 1/180 ' + node.shellPid + '\n',
    '/proc/cmdline': () =>
      `ro root=/dev/mapper/vg_an01-lv_root rd_NO_LUKS LANG=en_US.UTF-8 rd_NO_MD SYSFONT=latarcyrheb-sun16 crashkernel=auto KEYBOARDTYPE=pc KEYTABLE=us rd_NO_DM rhgb quiet\n`,
    '/proc/meminfo': () =>
      'MemTotal:        8057632 kB\nMemFree:         7453416 kB\nBuffers:           21256 kB\nCached:           145448 kB\nSwapCached:            0 kB\nSwapTotal:       8191992 kB\nSwapFree:        8191992 kB\n',
    '/proc/cpuinfo': () =>
      [0, 1, 2, 3]
        .map(
          (n) =>
            `processor\t: ${n}\nvendor_id\t: GenuineIntel\nmodel name\t: Intel(R) Xeon(R) CPU E3-1220 V2 @ 3.10GHz\ncpu MHz\t\t: 3100.000\nflags\t\t: fpu vme de pse tsc msr pae mce cx8 apic sep mtrr pge mca cmov pat pse36 clflush dts acpi mmx fxsr sse sse2 ss ht tm pbe syscall nx lm constant_tsc vmx\n`,
        )
        .join('\n'),
    '/proc/partitions': () => {
      const lines = ['major minor  #blocks  name', ''];
      for (const disk of Object.keys(node.disks))
        for (let i = 0; i <= 15; i++) {
          const d = i === 0 ? disk : `${disk}${i}`;
          const st = node.fs.stat(`/dev/${d}`);
          if (st?.device === 'block')
            lines.push(
              `   ${disk.startsWith('vd') ? 252 : 8} ${String(i).padStart(8)} ${String(Math.floor(st.size / 1024)).padStart(10)} ${d}`,
            );
        }
      return lines.join('\n') + '\n';
    },
    '/proc/mounts': () => {
      const disk = Object.keys(node.disks)[0] ?? 'sda';
      return `rootfs / rootfs rw 0 0\nproc /proc proc rw,relatime 0 0\nsysfs /sys sysfs rw,relatime 0 0\n/dev/${disk}2 / ext4 rw,relatime,barrier=1,data=ordered 0 0\n/dev/${disk}1 /boot ext4 rw,relatime,barrier=1,data=ordered 0 0\n`;
    },
    '/proc/sysrq-trigger': () => '',
    '/proc/sys/kernel/hostname': () => node.hostname + '\n',
  };
  const dirs = new Set(['/proc', '/proc/net', '/proc/sys', '/proc/sys/kernel']);
  return {
    kind(path) {
      if (dirs.has(path)) return 'dir';
      if (path === '/proc/net/bonding') return bonds().length ? 'dir' : null;
      if (path.startsWith('/proc/net/bonding/')) return bonds().some((b) => b.name === path.slice(18)) ? 'file' : null;
      const extra = generated[path];
      if (extra) return extra(node) === null ? null : 'file';
      return files[path] ? 'file' : null;
    },
    read(path) {
      if (path.startsWith('/proc/net/bonding/'))
        return renderBonding(
          node,
          bonds().find((b) => b.name === path.slice(18))!,
        );
      const extra = generated[path]?.(node);
      if (extra !== undefined && extra !== null) return extra;
      if (generated[path]) throw new FsError('ENOENT', path);
      return files[path]();
    },
    list(path) {
      if (path === '/proc/net/bonding') return bonds().map((b) => b.name);
      const prefix = path + '/';
      const names = new Set<string>();
      const extra = Object.keys(generated).filter((p) => generated[p](node) !== null);
      for (const p of [...Object.keys(files), ...extra, ...dirs, ...(bonds().length ? ['/proc/net/bonding'] : [])]) {
        if (p.startsWith(prefix)) names.add(p.slice(prefix.length).split('/')[0]);
      }
      return [...names];
    },
    write(path, data) {
      if (path === '/proc/sysrq-trigger') {
        if (data.trim().startsWith('c')) {
          node.log('kernel', 'SysRq : Trigger a crash');
          node.crash();
        }
        if (data.trim().startsWith('b')) void node.reboot();
        if (data.trim().startsWith('o')) node.powerOff();
        return;
      }
      throw new FsError('EPERM', path);
    },
  };
}
