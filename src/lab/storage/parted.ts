/**
 * GNU parted 2.1 (EL6) on the node's disks: `print [free]` in the human layout of the tutorial
 * (2190–2266), `unit`, `mkpart` with parted's snapping and `-a optimal` alignment, `align-check`,
 * `rm`, script mode (`-s`) and the interactive session; the kernel's view of the table
 * (`/dev/sdaN` nodes, /proc/partitions). The on-disk table is `LabNode.disks`.
 */
import type { CmdCtx, CommandFn } from '../node/command.js';
import type { DiskState, LabNode } from '../node/node.js';
import { st, type Storage } from './state.js';
import type { ProcFileFn } from '../node/proc.js';

type Part = DiskState['parts'][number];

const SECTOR = 512;
/** First usable sector of an msdos label (parted 2.1 shows the free space from 63s: 32.3kB). */
const FIRST = 63;
/** 1 MiB in sectors: the optimal alignment grain of the tutorial's disks. */
const GRAIN = 2048;

const SI: Record<string, number> = { B: 1, kB: 1e3, MB: 1e6, GB: 1e9, TB: 1e12 };
const IEC: Record<string, number> = { KiB: 1024, MiB: 1024 ** 2, GiB: 1024 ** 3, TiB: 1024 ** 4 };

/** A disk as parted sees it, in sectors (inclusive ends). */
interface Geo {
  last: number;
  parts: { num: number; s: number; e: number; type: Part['type']; fs: string; flags: string }[];
}

function geo(d: DiskState): Geo {
  return {
    last: d.bytes / SECTOR - 1,
    parts: d.parts.map((p) => ({
      num: p.num,
      s: p.start / SECTOR,
      e: (p.end + 1) / SECTOR - 1,
      type: p.type,
      fs: p.fs,
      flags: p.flags,
    })),
  };
}

/** A byte count as parted prints it in `unit` (compact: the unit that keeps 2+ digits). */
export function fmtBytes(bytes: number, unit: string): string {
  if (unit === 's') return `${Math.round(bytes / SECTOR)}s`;
  let u = unit;
  if (u === 'compact')
    u = bytes >= 10e12 ? 'TB' : bytes >= 10e9 ? 'GB' : bytes >= 10e6 ? 'MB' : bytes >= 10e3 ? 'kB' : 'B';
  const size = SI[u] ?? IEC[u] ?? 1;
  if (u === 'B') return `${bytes}B`;
  const d = bytes / size;
  const p = d < 10 ? 2 : d < 100 ? 1 : 0;
  return `${d.toFixed(p)}${u}`;
}

interface Row {
  num?: number;
  s: number;
  e: number;
  type: string;
  fs: string;
  flags: string;
}

/** Partitions and (with `free`) free regions in disk order, as parted 2.1 lists them. */
function rows(g: Geo, free: boolean): Row[] {
  const out: Row[] = g.parts.map((p) => ({ num: p.num, s: p.s, e: p.e, type: p.type, fs: p.fs, flags: p.flags }));
  if (free) {
    const outer = g.parts.filter((p) => p.type !== 'logical').sort((a, b) => a.s - b.s);
    let at = FIRST;
    for (const p of outer) {
      if (p.s > at) out.push({ s: at, e: p.s - 1, type: '', fs: 'Free Space', flags: '' });
      at = p.e + 1;
    }
    if (g.last >= at) out.push({ s: at, e: g.last, type: '', fs: 'Free Space', flags: '' });
    const ext = g.parts.find((p) => p.type === 'extended');
    if (ext) {
      // NOTE: the EBR/alignment gaps between logical partitions (≤ 2 MiB) are not listed by 2.1.
      let at2 = ext.s + 32;
      for (const p of g.parts.filter((x) => x.type === 'logical').sort((a, b) => a.s - b.s)) {
        if (p.s - at2 > 2 * GRAIN) out.push({ s: at2, e: p.s - 1, type: '', fs: 'Free Space', flags: '' });
        at2 = p.e + 1;
      }
      if (ext.e - at2 + 1 > 2 * GRAIN) out.push({ s: at2, e: ext.e, type: '', fs: 'Free Space', flags: '' });
    }
  }
  return out.sort((a, b) => a.s - b.s || (a.num === undefined ? 1 : 0) - (b.num === undefined ? 1 : 0));
}

/** `print [free]` output. */
export function printTable(d: DiskState, dev: string, unit: string, free: boolean): string {
  const g = geo(d);
  const fmtS = (s: number) => (unit === 's' ? `${s}s` : fmtBytes(s * SECTOR, unit));
  // NOTE: an end is shown as its last byte (2047s -> 1049kB, as 2.1 prints the first free region, 2192).
  const fmtE = (e: number) => (unit === 's' ? `${e}s` : fmtBytes((e + 1) * SECTOR - 1, unit));
  const head = [
    `Model: ${d.model}`,
    `Disk ${dev}: ${unit === 's' ? `${g.last + 1}s` : fmtBytes(d.bytes, unit)}`,
    'Sector size (logical/physical): 512B/512B',
    `Partition Table: ${d.table}`,
    '',
  ];
  const cells = [['Number', 'Start', 'End', 'Size', 'Type', 'File system', 'Flags']];
  for (const r of rows(g, free)) {
    cells.push([
      r.num === undefined ? '' : String(r.num).padStart(2),
      fmtS(r.s),
      fmtE(r.e),
      unit === 's' ? `${r.e - r.s + 1}s` : fmtBytes((r.e - r.s + 1) * SECTOR, unit),
      r.type,
      r.fs,
      r.flags,
    ]);
  }
  const widths = cells[0].map((_, i) => Math.max(...cells.map((c) => c[i].length)));
  const lines = cells.map((c) =>
    c
      .map((x, i) => (i === c.length - 1 ? x : x.padEnd(widths[i] + 2)))
      .join('')
      .replace(/\s+$/, ''),
  );
  // NOTE: parted pads every cell but the last; the "Free Space" rows keep their trailing blanks trimmed like 2.1's table code.
  return head.join('\n') + '\n' + lines.join('\n') + '\n\n';
}

/** Parse a parted position: sector and fuzz radius (sectors). */
function position(text: string, g: Geo, unit: string): { s: number; r: number } | null {
  const m = /^(-?\d+(?:\.\d+)?)(%|s|B|kB|MB|GB|TB|KiB|MiB|GiB|TiB)?$/.exec(text);
  if (!m) return null;
  const v = Number(m[1]);
  const u = m[2] ?? (unit === 'compact' ? 'MB' : unit);
  if (u === '%')
    return { s: Math.min(g.last, Math.round(((g.last + 1) * v) / 100)), r: Math.round((g.last + 1) * 0.005) };
  if (u === 's') return { s: v, r: 0 };
  if (IEC[u]) return { s: Math.round((v * IEC[u]) / SECTOR), r: 0 };
  const size = SI[u];
  return { s: Math.round((v * size) / SECTOR), r: u === 'B' ? 0 : Math.round(size / 2 / SECTOR) };
}

interface MkpartResult {
  ok: boolean;
  msg?: string;
  part?: Part;
}

/** Free regions a new partition of `type` may use. */
function regions(g: Geo, type: Part['type']): { s: number; e: number; minStart: number }[] {
  const out: { s: number; e: number; minStart: number }[] = [];
  if (type === 'logical') {
    const ext = g.parts.find((p) => p.type === 'extended');
    if (!ext) return out;
    let at = ext.s;
    let first = true;
    for (const p of g.parts.filter((x) => x.type === 'logical').sort((a, b) => a.s - b.s)) {
      if (p.s > at) out.push({ s: at, e: p.s - 1, minStart: first ? at + GRAIN + 1 : at + 1 });
      at = p.e + 1;
      first = false;
    }
    // NOTE: the first logical partition starts 2 MiB into the extended one on EL6's parted 2.1 (the
    // tutorial's r0 size, 19515784 KiB, 2571–2578, fits only that layout); later ones after their EBR.
    if (ext.e >= at) out.push({ s: at, e: ext.e, minStart: first ? at + GRAIN + 1 : at + 1 });
    return out;
  }
  let at = FIRST;
  for (const p of g.parts.filter((x) => x.type !== 'logical').sort((a, b) => a.s - b.s)) {
    if (p.s > at) out.push({ s: at, e: p.s - 1, minStart: at });
    at = p.e + 1;
  }
  if (g.last >= at) out.push({ s: at, e: g.last, minStart: at });
  return out;
}

/** Create a partition in the on-disk table (not the kernel's view). */
export function mkpart(
  d: DiskState,
  type: Part['type'],
  startText: string,
  endText: string,
  unit: string,
  grain: number,
): MkpartResult {
  const g = geo(d);
  if (d.table !== 'msdos') return { ok: false, msg: 'Error: unrecognised disk label\n' };
  const s0 = position(startText, g, unit);
  const e0 = position(endText, g, unit);
  if (!s0) return { ok: false, msg: `Error: Invalid number.\n` };
  if (!e0) return { ok: false, msg: `Error: Invalid number.\n` };
  if (type === 'logical' && !g.parts.some((p) => p.type === 'extended'))
    return { ok: false, msg: "Error: Can't create logical partition: no extended partition\n" };
  if (type === 'extended' && g.parts.some((p) => p.type === 'extended'))
    return { ok: false, msg: 'Error: Too many extended partitions.\n' };
  if (type !== 'logical' && g.parts.filter((p) => p.type !== 'logical').length >= 4)
    return { ok: false, msg: 'Error: Too many primary partitions.\n' };
  const reg = regions(g, type).find((r) => s0.s + s0.r >= r.s && s0.s - s0.r <= r.e);
  const fail = { ok: false, msg: 'Error: Unable to satisfy all constraints on the partition.\n' };
  if (!reg) return fail;
  let s = reg.s >= s0.s - s0.r && reg.s <= s0.s + s0.r ? reg.s : Math.round(s0.s / grain) * grain;
  if (s < reg.minStart) s = reg.minStart;
  s = Math.ceil(s / grain) * grain;
  const eReq = e0.s >= g.last ? g.last : e0.s;
  let e = reg.e >= eReq - e0.r && reg.e <= eReq + e0.r ? reg.e : Math.round((eReq + 1) / grain) * grain - 1;
  if (e > reg.e) e = reg.e;
  e = Math.floor((e + 1) / grain) * grain - 1;
  if (e <= s || s > reg.e) return fail;
  let num: number;
  if (type === 'logical') num = 5;
  else {
    num = 1;
    while (d.parts.some((p) => p.num === num)) num++;
  }
  const part: Part = {
    num,
    start: s * SECTOR,
    end: (e + 1) * SECTOR - 1,
    type,
    fs: '',
    flags: type === 'extended' ? 'lba' : '',
  };
  d.parts.push(part);
  // NOTE: msdos numbers logical partitions by position.
  d.parts
    .filter((p) => p.type === 'logical')
    .sort((a, b) => a.start - b.start)
    .forEach((p, i) => (p.num = 5 + i));
  d.parts.sort((a, b) => a.num - b.num);
  return { ok: true, part };
}

/** Make the kernel's view (the /dev/sdXN nodes) match the on-disk table. */
export function syncKernel(node: LabNode, disk: string): void {
  const d = node.disks[disk];
  if (!d) return;
  for (let i = 1; i <= 15; i++) {
    const path = `/dev/${disk}${i}`;
    const p = d.parts.find((x) => x.num === i);
    const cur = node.fs.stat(path);
    if (!p) {
      if (cur) node.fs.unlink(path);
      continue;
    }
    // NOTE: an extended partition shows as 1 KiB in /proc/partitions.
    const size = p.type === 'extended' ? 1024 : p.end - p.start + 1;
    if (!cur || cur.size !== size) node.fs.mknod(path, 'block', size);
  }
}

/** A node's runtime reset: the kernel reads the disks' partition tables afresh. */
export const partedReset = (_s: Storage, node: LabNode): void => {
  for (const disk of Object.keys(node.disks)) syncKernel(node, disk);
};

const BUSY_WARNING = (dev: string) =>
  `Warning: WARNING: the kernel failed to re-read the partition table on ${dev}\n(Device or resource busy).  As a result, it may not reflect all of your changes\nuntil after reboot.\n`;

/** Run one parted command; returns false when it failed. */
function runOne(
  ctx: CmdCtx,
  node: LabNode,
  dev: string,
  d: DiskState,
  words: string[],
  state: { unit: string; grain: number; script: boolean; changed: boolean },
): boolean {
  const w = words.shift()!;
  const disk = dev.replace(/^\/dev\//, '');
  switch (w) {
    case 'unit': {
      const u = words.shift();
      if (!u || !(u in SI || u in IEC || u === 's' || u === 'compact' || u === '%')) {
        ctx.err(`Error: Invalid unit ${u ?? ''}\n`);
        return false;
      }
      state.unit = u;
      return true;
    }
    case 'print':
    case 'p': {
      const free = words[0] === 'free';
      if (free) words.shift();
      ctx.out(printTable(d, dev, state.unit, free));
      return true;
    }
    case 'mkpart': {
      const type = words.shift();
      if (type !== 'primary' && type !== 'extended' && type !== 'logical') {
        ctx.err(`Error: Expecting a partition type.\n`);
        return false;
      }
      // NOTE: an optional file system type comes before START (never for extended).
      if (type !== 'extended' && words[0] && !/^-?\d/.test(words[0])) words.shift();
      const start = words.shift();
      const end = words.shift();
      if (!start || !end) {
        ctx.err('Error: Expecting a partition start and end.\n');
        return false;
      }
      const r = mkpart(d, type, start, end, state.unit, state.grain);
      if (!r.ok) {
        ctx.out(r.msg!);
        return false;
      }
      state.changed = true;
      st(node).record(node, 'parted mkpart', `${dev}${r.part!.num} (${type} ${start} ${end})`);
      if (st(node).opts.kernelReread === 'busy') {
        ctx.out(BUSY_WARNING(dev));
        // NOTE: parted 2.1's commit fails when BLKRRPART does: script mode exits 1 (interactive shows only the warning).
        return !state.script;
      }
      syncKernel(node, disk);
      return true;
    }
    case 'rm': {
      const n = Number(words.shift());
      const i = d.parts.findIndex((p) => p.num === n);
      if (i < 0) {
        ctx.out("Error: Partition doesn't exist.\n");
        return false;
      }
      if (d.parts[i].type === 'extended' && d.parts.some((p) => p.type === 'logical')) {
        ctx.out('Error: Partition(s) on the extended partition must be removed first.\n');
        return false;
      }
      d.parts.splice(i, 1);
      state.changed = true;
      st(node).record(node, 'parted rm', `${dev}${n}`);
      if (st(node).opts.kernelReread !== 'busy') syncKernel(node, disk);
      return true;
    }
    case 'align-check': {
      const kind = words.shift();
      const n = Number(words.shift());
      const p = d.parts.find((x) => x.num === n);
      if (!p) {
        ctx.out("Error: Partition doesn't exist.\n");
        return false;
      }
      const g = kind === 'opt' || kind === 'optimal' ? GRAIN : 8;
      const ok = (p.start / SECTOR) % g === 0;
      // NOTE: silent when aligned (2266–2269); the interactive session says so when not.
      if (!ok && !state.script) ctx.out(`${n} not aligned\n`);
      return ok;
    }
    case 'quit':
    case 'q':
      return true;
    case 'help':
      ctx.out(
        '  align-check TYPE N                        check partition N for TYPE(min|opt) alignment\n  mkpart PART-TYPE [FS-TYPE] START END     make a partition\n  print [devices|free|list,all|NUMBER]     display the partition table\n  quit                                     exit program\n  rm NUMBER                                delete partition NUMBER\n  unit UNIT                                set the default unit to UNIT\n',
      );
      return true;
    default:
      ctx.out(`Error: Unknown command "${w}"\n`);
      return false;
  }
}

const parted: CommandFn = (ctx) => {
  const argv = ctx.argv.slice(1);
  let script = false;
  let align = 'cylinder';
  let i = 0;
  for (; i < argv.length && argv[i].startsWith('-'); i++) {
    const a = argv[i];
    if (a === '-s' || a === '--script') script = true;
    else if (a === '-a') align = argv[++i] ?? '';
    else if (a.startsWith('--align=')) align = a.slice(8);
    else if (a === '-l' || a === '--list') {
      for (const disk of Object.keys(ctx.node.disks))
        ctx.out(printTable(ctx.node.disks[disk], `/dev/${disk}`, 'compact', false));
      return 0;
    } else if (a === '-v' || a === '--version') {
      ctx.out('parted (GNU parted) 2.1\n');
      return 0;
    } else {
      ctx.err(`parted: invalid option -- '${a.replace(/^-+/, '')}'\n`);
      return 1;
    }
  }
  if (!['cylinder', 'optimal', 'opt', 'minimal', 'min', 'none'].includes(align)) {
    ctx.err(`parted: invalid argument "${align}" for "--align"\n`);
    return 1;
  }
  const dev = argv[i++] ?? `/dev/${Object.keys(ctx.node.disks)[0] ?? 'sda'}`;
  const disk = dev.replace(/^\/dev\//, '');
  const d = ctx.node.disks[disk];
  if (!d) {
    ctx.out(`Error: Could not stat device ${dev} - No such file or directory.\n`);
    return 1;
  }
  const grain = align === 'none' ? 1 : align === 'optimal' || align === 'opt' ? GRAIN : 8;
  const state = { unit: 'compact', grain, script, changed: false };
  const words = argv.slice(i);
  const node = ctx.node;
  if (words.length) {
    while (words.length) if (!runOne(ctx, node, dev, d, words, state)) return 1;
    node.world.changed();
    return 0;
  }
  if (script) return 0;
  // Interactive session (the tutorial's 2186–2271): commands read from stdin.
  ctx.out(`GNU Parted 2.1\nUsing ${dev}\nWelcome to GNU Parted! Type 'help' to view a list of commands.\n`);
  for (const line of ctx.stdin.split('\n')) {
    ctx.out('(parted) ');
    const ws = line.trim().split(/\s+/).filter(Boolean);
    if (!ws.length) continue;
    if (ws[0] === 'quit' || ws[0] === 'q') {
      ctx.out(state.changed ? 'Information: You may need to update /etc/fstab.\n\n' : '\n');
      node.world.changed();
      return 0;
    }
    while (ws.length) if (!runOne(ctx, node, dev, d, ws, state)) break;
  }
  ctx.out('\n');
  node.world.changed();
  return 0;
};

/** /proc/partitions: the kernel's view (disks, their partitions, DRBD and device-mapper devices). */

/** The programs of this module, by implementation name. */
export const PARTED_PROGRAMS: Readonly<Record<string, CommandFn>> = {
  parted: parted,
};

/** The /proc files this module generates, by path. */
export const PARTED_PROC_FILES: Readonly<Record<string, ProcFileFn>> = {
  ['/proc/partitions']: (node) => {
    const lines = ['major minor  #blocks  name', ''];
    const row = (major: number, minor: number, bytes: number, name: string) =>
      `${String(major).padStart(4)}  ${String(minor).padStart(7)} ${String(Math.floor(bytes / 1024)).padStart(10)} ${name}`;
    for (const disk of Object.keys(node.disks)) {
      const major = disk.startsWith('vd') ? 252 : 8;
      for (let i = 0; i <= 15; i++) {
        const name = i === 0 ? disk : `${disk}${i}`;
        const s = node.fs.stat(`/dev/${name}`);
        if (s?.device === 'block') lines.push(row(major, i, s.size, name));
      }
    }
    for (const m of Object.values(st(node).of(node).minors).sort((a, b) => a.minor - b.minor)) {
      if (m.ds === 'Diskless') continue;
      const md = st(node).block(node, m.disk).md;
      if (md) lines.push(row(147, m.minor, md.sizeKiB * 1024, `drbd${m.minor}`));
    }
    st(node)
      .of(node)
      .active.forEach((_, i) => {
        const kib = st(node).layers.activeSizeKiB(node, i);
        if (kib) lines.push(row(253, i, kib * 1024, `dm-${i}`));
      });
    return lines.join('\n') + '\n';
  },
};
