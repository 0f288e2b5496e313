/**
 * LVM2 2.02.98 with clvmd (lvm2-cluster): lvm.conf's filter, locking_type 3 and
 * fallback_to_local_locking; PV labels and VG metadata live on the devices' data (so a PV written
 * through DRBD on one node is seen on the other); activation and the device-mapper devices. The
 * tools and the clvmd init script are lvm-commands.ts.
 */
import type { CmdCtx } from '../node/command.js';
import type { LabNode } from '../node/node.js';
import type { Subsystem } from '../world/world.js';
import { EXTENT_KIB, st, type DevData, type VgMeta } from './state.js';
import { drbdData, drbdWrite } from './drbd.js';
import { worldOf } from '../world/world.js';

/** Where a PV's first extent starts (LVM2's default pe_start, 1 MiB). */
export const PE_START_KIB = 1024;

/** The three lvm.conf settings the tutorial changes. */
export interface LvmConf {
  filter: { accept: boolean; re: RegExp }[];
  lockingType: number;
  fallback: boolean;
}

// NOTE: every scan asks for the filter once per device, and EL6's lvm.conf is some 800 lines: parsing
// it each time was the lab's largest CPU cost in a whole install (issue 18). The parse is kept per
// node with the text it came from and redone whenever that text differs.
const parsed = new WeakMap<LabNode, { text: string; conf: LvmConf }>();

/** The three lvm.conf settings the tutorial changes, as the file on `node` says now. */
export function lvmConf(node: LabNode): LvmConf {
  let text = '';
  try {
    text = node.fs.readText('/etc/lvm/lvm.conf');
  } catch {
    /* defaults */
  }
  const hit = parsed.get(node);
  if (hit && hit.text === text) return hit.conf;
  const conf = parseLvmConf(text);
  parsed.set(node, { text, conf });
  return conf;
}

function parseLvmConf(text: string): LvmConf {
  const lines = text.split('\n');
  const get = (key: string) => {
    const re = new RegExp(`^\\s*${key}\\s*=`);
    return lines
      .find((l) => re.test(l))
      ?.replace(/^\s*\w+\s*=\s*/, '')
      .trim();
  };
  const filter: { accept: boolean; re: RegExp }[] = [];
  const f = get('filter');
  if (f) {
    for (const m of f.matchAll(/"([ar])(.)(.*?)\2"/g)) {
      try {
        filter.push({ accept: m[1] === 'a', re: new RegExp(m[3]) });
      } catch {
        /* a bad regex is skipped, as lvm warns and ignores it */
      }
    }
  }
  return {
    filter,
    lockingType: Number(get('locking_type') ?? 1),
    fallback: (get('fallback_to_local_locking') ?? '1') !== '0',
  };
}

/** Whether lvm.conf's filter accepts device `dev` (first matching pattern; none: accepted). */
export function accepted(node: LabNode, dev: string): boolean {
  for (const p of lvmConf(node).filter) if (p.re.test(dev)) return p.accept;
  return true;
}

/** A device LVM can see and what it reads there. */
interface Seen {
  dev: string;
  data: DevData;
  kib: number;
}

/** Block devices LVM scans (filter applied), with their data. */
export function scan(node: LabNode, warn?: (s: string) => void): Seen[] {
  const s = st(node);
  const out: Seen[] = [];
  for (const disk of Object.keys(node.disks))
    for (let i = 1; i <= 15; i++) {
      const dev = `/dev/${disk}${i}`;
      const stt = node.fs.stat(dev);
      if (stt?.device !== 'block' || !accepted(node, dev)) continue;
      const b = s.of(node).blocks[dev];
      if (b) out.push({ dev, data: b.data, kib: b.md?.sizeKiB ?? Math.floor(stt.size / 1024) });
    }
  for (const m of Object.values(s.of(node).minors)) {
    const dev = `/dev/drbd${m.minor}`;
    if (!accepted(node, dev)) continue;
    const hit = drbdData(node, dev);
    if (hit) out.push({ dev, data: hit.data, kib: s.block(node, m.disk).md!.sizeKiB });
  }
  // NOTE: the same label on the backing partition and the DRBD device: LVM keeps the first one it met
  // (the partition) and ignores the DRBD device, which is what the filter prevents (2621).
  const byUuid = new Map<string, Seen>();
  const res: Seen[] = [];
  for (const x of out) {
    const u = x.data.pv?.uuid;
    if (u && byUuid.has(u)) {
      warn?.(`  Found duplicate PV ${u}: using ${byUuid.get(u)!.dev} not ${x.dev}\n`);
      continue;
    }
    if (u) byUuid.set(u, x);
    res.push(x);
  }
  return res;
}

/** A volume group as scanned: its metadata and the PV it was read from. */
export interface Vg {
  meta: VgMeta;
  pv: Seen;
}

/** The volume groups LVM sees on a node. */
export function vgs(node: LabNode, warn?: (s: string) => void): Vg[] {
  return scan(node, warn)
    .filter((x) => x.data.pv && x.data.vg)
    .map((x) => ({ meta: x.data.vg!, pv: x }));
}

/** Free extents of a VG. */
export function vgFree(vg: Vg): number {
  return vg.meta.extents - vg.meta.lvs.reduce((a, l) => a + l.extents, 0);
}

/** `18.61 GiB` as LVM prints sizes. */
export function size(kib: number): string {
  if (kib === 0) return '0   ';
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let v = kib;
  let i = 0;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  return `${v.toFixed(2)} ${units[i]}`;
}

/** Locking check: returns an error text (and exit code) when the command may not run. */
function locking(node: LabNode, clustered: boolean): { err: string; code: number; local?: boolean } | null {
  const c = lvmConf(node);
  if (c.lockingType !== 3) return clustered ? null : null;
  if (node.isRunning('clvmd')) return null;
  const msg =
    '  connect() failed on local socket: No such file or directory\n  Internal cluster locking initialisation failed.\n';
  if (!c.fallback) return { err: msg, code: 5 };
  return {
    err:
      msg +
      '  WARNING: Falling back to local file-based locking.\n  Volume Groups with the clustered attribute will be inaccessible.\n',
    code: 0,
    local: true,
  };
}

/** Locking for a command (clvmd for a clustered VG), or its error printed. */
export function lockOr(ctx: CmdCtx, clustered = false): { ok: boolean; local: boolean } {
  const l = locking(ctx.node, clustered);
  if (!l) return { ok: true, local: false };
  ctx.err(l.err);
  return { ok: l.code === 0, local: !!l.local };
}

/** Write to the device behind a PV (through DRBD when it is a DRBD device). */
export function writePv(node: LabNode, pv: Seen, kib: number, fn: (d: DevData) => void): void {
  if (pv.dev.startsWith('/dev/drbd')) drbdWrite(node, pv.dev, kib, fn);
  else fn(pv.data);
}

/** Nodes that hold a clustered VG's LVs active with this one (clvmd on both, device visible). */
export function clusterNodes(node: LabNode, vgName: string): LabNode[] {
  const world = worldOf(node);
  return Object.values(world.nodes).filter(
    (n) => n.running && n.isRunning('clvmd') && vgs(n).some((v) => v.meta.name === vgName),
  );
}

/** Device-mapper nodes and symlinks for the node's active LVs. */
export function syncDm(node: LabNode): void {
  const ns = st(node).of(node);
  const fs = node.fs;
  for (const d of ['/dev/mapper']) fs.mkdirp(d);
  // remove stale
  for (const name of fs.readdir('/dev')) {
    if (/^dm-\d+$/.test(name) && !ns.active[Number(name.slice(3))]) fs.unlink(`/dev/${name}`);
  }
  // NOTE: `active` keeps '' holes so dm-N numbers stay stable; they map to nothing.
  for (const name of fs.readdir('/dev/mapper'))
    if (name !== 'control' && !ns.active.some((a) => a && mapperName(a) === name)) fs.unlink(`/dev/mapper/${name}`);
  const vgNames = new Set(ns.active.filter(Boolean).map((a) => a.split('/')[0]));
  for (const name of fs.readdir('/dev')) {
    const p = `/dev/${name}`;
    if (fs.lstat(p)?.type !== 'dir' || ['mapper', 'pts', 'shm'].includes(name)) continue;
    const kids = fs.readdir(p);
    if (
      kids.length &&
      kids.every((k) => fs.lstat(`${p}/${k}`)?.type === 'link' && /^\.\.\/dm-\d+$/.test(fs.readlink(`${p}/${k}`)))
    ) {
      for (const k of kids) if (!ns.active.includes(`${name}/${k}`)) fs.unlink(`${p}/${k}`);
      if (!vgNames.has(name) && !fs.readdir(p).length) fs.rmdir(p);
    }
  }
  ns.active.forEach((a, i) => {
    if (!a) return;
    const [vg, lv] = a.split('/') as [string, string];
    const kib = lvKiB(node, vg, lv);
    const dm = `/dev/dm-${i}`;
    if (!fs.stat(dm)) fs.mknod(dm, 'block', kib * 1024);
    fs.mkdirp(`/dev/${vg}`);
    if (!fs.lstat(`/dev/${vg}/${lv}`)) fs.symlink(`../dm-${i}`, `/dev/${vg}/${lv}`);
    if (!fs.lstat(`/dev/mapper/${mapperName(a)}`)) fs.symlink(`../dm-${i}`, `/dev/mapper/${mapperName(a)}`);
  });
}

/** `/dev/mapper` name of `vg/lv` (dashes doubled). */
export function mapperName(a: string): string {
  const [vg, lv] = a.split('/') as [string, string];
  return `${vg.replace(/-/g, '--')}-${lv.replace(/-/g, '--')}`;
}

function lvKiB(node: LabNode, vg: string, lv: string): number {
  const v = vgs(node).find((x) => x.meta.name === vg);
  const l = v?.meta.lvs.find((x) => x.name === lv);
  return l ? l.extents * EXTENT_KIB : 0;
}

/** Size of a node's `index`th active LV, for /proc/partitions. */
export const lvmActiveSizeKiB = (node: LabNode, i: number): number => {
  const a = st(node).of(node).active[i];
  if (!a) return 0;
  const [vg, lv] = a.split('/') as [string, string];
  return lvKiB(node, vg, lv);
};

/** Activate an LV on a node (its device-mapper device appears). */
export function activate(node: LabNode, vg: string, lv: string): void {
  const ns = st(node).of(node);
  const key = `${vg}/${lv}`;
  if (ns.active.includes(key)) return;
  const hole = ns.active.indexOf('');
  if (hole >= 0) ns.active[hole] = key;
  else ns.active.push(key);
  syncDm(node);
}

/** What the storage subsystem needs of the virt subsystem (its public queries, typed structurally). */
interface GuestsView {
  names(node: string): string[];
  record(node: string, name: string): { live?: { def: { disks: { source?: string }[] } } } | undefined;
}

/**
 * How many holders keep an active LV open on a node: a mounted file system and each running guest
 * whose disk is the LV (qemu-kvm opens its block devices for as long as the guest runs). This is the
 * device-mapper open count LVM reads (lvm2 2.02.98 lib/activate/activate.c `_lv_open_count()`).
 */
export function lvOpenCount(node: LabNode, key: string): number {
  let n = st(node)
    .of(node)
    .mounts.filter((m) => m.dev === `/dev/mapper/${mapperName(key)}`).length;
  const virt = worldOf(node).sub<GuestsView & Subsystem>('virt');
  if (virt)
    for (const name of virt.names(node.name))
      for (const d of virt.record(node.name, name)?.live?.def.disks ?? [])
        if (d.source && lvOf(node, d.source)?.key === key) n++;
  return n;
}

/** Deactivate an LV on a node; false when it is open. */
export function deactivate(node: LabNode, key: string): boolean {
  const ns = st(node).of(node);
  const i = ns.active.indexOf(key);
  if (i < 0) return true;
  // NOTE: device-mapper refuses to remove a device that is open (lvm2 2.02.98 lib/activate/activate.c
  // `lv_deactivate()` -> "Logical volume %s/%s in use."), whoever holds it: a mount or a running guest.
  if (lvOpenCount(node, key) > 0) return false;
  ns.active[i] = '';
  while (ns.active.length && ns.active[ns.active.length - 1] === '') ns.active.pop();
  syncDm(node);
  return true;
}

/** The LV behind a device path (/dev/vg/lv, /dev/mapper/vg-lv, /dev/dm-N) on this node, if active. */
export function lvOf(node: LabNode, path: string): { vg: string; lv: string; key: string; dm: number } | undefined {
  let real: string;
  try {
    real = node.fs.realpath(path);
  } catch {
    return undefined;
  }
  const m = /^\/dev\/dm-(\d+)$/.exec(real);
  if (!m) return undefined;
  const key = st(node).of(node).active[Number(m[1])];
  if (!key) return undefined;
  const [vg, lv] = key.split('/') as [string, string];
  return { vg, lv, key, dm: Number(m[1]) };
}

/** Read/modify an LV's metadata (e.g. its file system), replicated through DRBD. */
export function lvMeta(
  node: LabNode,
  vg: string,
  lv: string,
): { read: () => VgMeta['lvs'][number] | undefined; write: (fn: (l: VgMeta['lvs'][number]) => void) => void } {
  const find = () => vgs(node).find((x) => x.meta.name === vg);
  return {
    read: () => find()?.meta.lvs.find((x) => x.name === lv),
    write: (fn) => {
      const v = find();
      if (!v) return;
      writePv(node, v.pv, 4096, (d) => {
        const l = d.vg?.lvs.find((x) => x.name === lv);
        if (l) fn(l);
      });
    },
  };
}

/** Running guests whose disks are LVs of the VG on a DRBD device. */
export const lvmGuestWriters = (node: LabNode, device: string): number => {
  // Running guests whose disks are LVs of the VG on this DRBD device write through it.
  const hit = drbdData(node, device);
  const vg = hit?.data.vg?.name;
  if (!vg) return 0;
  const virt = worldOf(node).sub<GuestsView & Subsystem>('virt');
  if (!virt) return 0;
  return virt
    .names(node.name)
    .filter((name) =>
      (virt.record(node.name, name)?.live?.def.disks ?? []).some((d) => d.source && lvOf(node, d.source)?.vg === vg),
    ).length;
};

/** Whether an active LV holds a DRBD device open. */
export const lvmHeldOpen = (node: LabNode, device: string): boolean => {
  // An active LV on a VG whose PV is this device holds it open.
  const ns = st(node).of(node);
  const hit = drbdData(node, device);
  if (!hit?.data.vg) return false;
  return ns.active.some((a) => a.split('/')[0] === hit.data.vg!.name);
};
