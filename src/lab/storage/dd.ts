/**
 * `dd` (coreutils 8.4, EL6) as the tutorial uses it: "dd if=/dev/zero of=/dev/sdaX bs=4M" to zero a
 * partition DRBD refuses to take over (tutorial 2551). It really copies: records in and out, `count`,
 * `skip`, `seek`, `conv=notrunc`, regular files, stdin/stdout, /dev/zero and /dev/null, and a block
 * device written until it is full ("No space left on device"); what it overwrites on a partition (an
 * LVM label, a file system, DRBD's internal metadata at its end) is gone. It takes lab time.
 *
 * Sources (coreutils v8.4, facts and formats only): `src/dd.c` print_stats() ("%"PRIuMAX"+%"PRIuMAX"
 * records in\n" / "... records out\n", then "%"PRIuMAX" bytes (%s) copied" and ", %g s, %s/s\n", sizes
 * by human_readable() with human_autoscale | human_round_to_nearest | human_space_before_unit |
 * human_SI | human_B), dd_copy() (a short write is "writing %s" and exit 1; the reads counted include
 * the block that could not be written), scanargs() ("unrecognized operand %s", "invalid number %s");
 * gnulib `lib/human.c` human_readable() (exact integer scaling with tenths under 10, the rate through the
 * long-double path: "%.1Lf", then "%.0Lf" when longer than 4 characters).
 */
import type { CmdCtx, CommandFn } from '../node/command.js';
import type { LabNode } from '../node/node.js';
import { st } from './state.js';
import { lvOf } from './lvm.js';

/**
 * Lab rates (the lab's stated assumptions, no upstream source): a partition of the node's disk is
 * written at 100 MB/s (a 2013 SATA disk's sequential rate); everything else (memory, files, /dev/null)
 * moves at 1 GB/s.
 */
export const DD_DISK_BYTES_PER_S = 100e6;
export const DD_MEM_BYTES_PER_S = 1e9;
/** The lab keeps files in memory: a regular file written by dd may not grow past this. */
const MAX_FILE_BYTES = 64 * 1024 * 1024;

// coreutils 8.4 dd.c scanargs()/parse_integer(): the multiplicative suffixes of xstrtoumax "bcEGkKMPTwYZ0"
// with "B" for powers of 1000 (kB, MB, ...), and "xN" products.
const SUFFIX: Record<string, number> = {
  '': 1,
  c: 1,
  w: 2,
  b: 512,
  kB: 1e3,
  K: 1024,
  k: 1024,
  KiB: 1024,
  MB: 1e6,
  M: 1024 ** 2,
  MiB: 1024 ** 2,
  GB: 1e9,
  G: 1024 ** 3,
  GiB: 1024 ** 3,
  TB: 1e12,
  T: 1024 ** 4,
  TiB: 1024 ** 4,
};

function parseNumber(s: string): number | undefined {
  let v = 1;
  for (const part of s.split('x')) {
    const m = /^(\d+)([A-Za-z]*)$/.exec(part);
    if (!m || SUFFIX[m[2]] === undefined) return undefined;
    v *= Number(m[1]) * SUFFIX[m[2]];
  }
  return v;
}

/** gnulib human_readable(): SI autoscale with "B", exact integer arithmetic (sizes), round to nearest. */
export function humanBytes(n: number): string {
  const letters = ['', 'k', 'M', 'G', 'T', 'P', 'E'];
  let amt = n;
  let tenths = 0;
  let rounding = 0;
  let exp = 0;
  let point = '';
  if (amt >= 1000) {
    do {
      const r10 = (amt % 1000) * 10 + tenths;
      const r2 = (r10 % 1000) * 2 + (rounding >> 1);
      amt = Math.floor(amt / 1000);
      tenths = Math.floor(r10 / 1000);
      rounding = r2 < 1000 ? (r2 + rounding !== 0 ? 1 : 0) : 2 + (1000 < r2 + rounding ? 1 : 0);
      exp++;
    } while (amt >= 1000 && exp < letters.length - 1);
    if (amt < 10) {
      if (2 < rounding + (tenths & 1)) {
        tenths++;
        rounding = 0;
        if (tenths === 10) {
          amt++;
          tenths = 0;
        }
      }
      if (amt < 10) {
        point = `.${tenths}`;
        tenths = rounding = 0;
      }
    }
  }
  if (5 < tenths + (0 < rounding + (amt & 1) ? 1 : 0)) {
    amt++;
    if (amt === 1000 && exp > 0 && exp < letters.length - 1) {
      exp++;
      point = '.0';
      amt = 1;
    }
  }
  return `${amt}${point} ${letters[exp]}B`;
}

/** gnulib human_readable() of a rate (the long-double path: always scaled once, "%.1Lf" or "%.0Lf"). */
export function humanRate(bytesPerS: number): string {
  const letters = ['', 'k', 'M', 'G', 'T', 'P', 'E'];
  let e = 1000;
  let exp = 1;
  while (e * 1000 <= bytesPerS && exp < letters.length - 1) {
    e *= 1000;
    exp++;
  }
  const d = bytesPerS / e;
  let s = d.toFixed(1);
  if (s.length > 4) s = d.toFixed(0);
  return `${s} ${letters[exp]}B`;
}

/** C's "%g" (six significant digits, trailing zeros dropped). */
export function fmtG(x: number): string {
  if (x === 0) return '0';
  const exp = Math.floor(Math.log10(Math.abs(x)));
  if (exp < -4 || exp >= 6) {
    const [m, e] = x.toExponential(5).split('e');
    const mant = m.includes('.') ? m.replace(/0+$/, '').replace(/\.$/, '') : m;
    const n = Number(e);
    return `${mant}e${n < 0 ? '-' : '+'}${String(Math.abs(n)).padStart(2, '0')}`;
  }
  const s = x.toPrecision(6);
  return s.includes('.') ? s.replace(/0+$/, '').replace(/\.$/, '') : s;
}

/** What a block-device write target is, for the rules below. */
function partitionOf(node: LabNode, real: string): { disk: string; num: number } | undefined {
  const m = /^\/dev\/([a-z]+)(\d+)$/.exec(real);
  if (!m || !node.disks[m[1]]) return undefined;
  return { disk: m[1], num: Number(m[2]) };
}

const q = (s: string) => `\`${s}'`;

export const dd: CommandFn = async (ctx: CmdCtx) => {
  const node = ctx.node;
  const o: Record<string, string> = {};
  for (const a of ctx.argv.slice(1)) {
    const eq = a.indexOf('=');
    const key = eq > 0 ? a.slice(0, eq) : '';
    if (!['if', 'of', 'bs', 'ibs', 'obs', 'count', 'skip', 'seek', 'conv', 'iflag', 'oflag', 'status'].includes(key)) {
      ctx.err(`dd: unrecognized operand ${q(a)}\nTry \`dd --help' for more information.\n`);
      return 1;
    }
    o[key] = a.slice(eq + 1);
  }
  const num = (k: string, dflt: number): number | null => {
    if (o[k] === undefined) return dflt;
    const v = parseNumber(o[k]);
    if (v === undefined || (v === 0 && ['bs', 'ibs', 'obs'].includes(k))) {
      ctx.err(`dd: invalid number ${q(o[k])}\n`);
      return null;
    }
    return v;
  };
  const ibs = num('bs', num('ibs', 512) ?? NaN);
  const obs = o.bs !== undefined ? ibs : num('obs', 512);
  const count = o.count !== undefined ? num('count', 0) : Infinity;
  const skip = num('skip', 0);
  const seek = num('seek', 0);
  if (ibs === null || obs === null || count === null || skip === null || seek === null || Number.isNaN(ibs)) return 1;
  // NOTE: only the forms an operator uses are modelled; a conversion dd would do is refused loudly.
  const conv = (o.conv ?? '').split(',').filter(Boolean);
  const unknown = conv.filter((c) => !['notrunc', 'fsync', 'fdatasync', 'noerror', 'sync'].includes(c));
  if (unknown.length || ibs !== obs || (o.status !== undefined && o.status !== 'noxfer')) {
    ctx.err(`dd: ${ctx.argv.slice(1).join(' ')}: this form is not simulated by the lab (conversions, ibs != obs)\n`);
    return 1;
  }
  const bs = ibs;
  const fs = node.fs;

  // ---------- input ----------
  let src: { kind: 'zero' } | { kind: 'data'; data: Buffer } | { kind: 'blockzeros'; size: number; disk: boolean };
  const inPath = o.if;
  if (inPath === undefined) src = { kind: 'data', data: Buffer.from(ctx.stdin, 'latin1') };
  else {
    const p = ctx.sh.resolve(inPath);
    const s = fs.stat(p);
    if (!s) {
      ctx.err(`dd: opening ${q(inPath)}: No such file or directory\n`);
      return 1;
    }
    const real = fs.realpath(p);
    if (real === '/dev/zero') src = { kind: 'zero' };
    else if (real === '/dev/null') src = { kind: 'data', data: Buffer.alloc(0) };
    else if (s.device === 'block') {
      // NOTE: the lab keeps no block contents: reading a device is only a throughput test here.
      if (o.of === undefined || fs.realpath(ctx.sh.resolve(o.of)) !== '/dev/null') {
        ctx.err(`dd: reading the content of ${inPath} is not simulated by the lab (only of=/dev/null)\n`);
        return 1;
      }
      src = { kind: 'blockzeros', size: s.size, disk: true };
    } else if (s.type === 'dir') {
      ctx.err(`dd: reading ${q(inPath)}: Is a directory\n`);
      return 1;
    } else src = { kind: 'data', data: fs.readFile(p) };
  }
  const avail =
    src.kind === 'zero' ? Infinity : src.kind === 'data' ? src.data.length - skip * bs : src.size - skip * bs;

  // ---------- output ----------
  type Dst =
    | { kind: 'stdout' }
    | { kind: 'null' }
    | { kind: 'file'; path: string }
    | { kind: 'part'; path: string; real: string; size: number };
  let dst: Dst;
  const outPath = o.of;
  if (outPath === undefined) dst = { kind: 'stdout' };
  else {
    const p = ctx.sh.resolve(outPath);
    const s = fs.stat(p);
    const real = s ? fs.realpath(p) : p;
    if (real === '/dev/null') dst = { kind: 'null' };
    else if (s?.device === 'block') {
      const part = partitionOf(node, real);
      const ns = st(node).of(node);
      const attached = Object.values(ns.minors).some((m) => m.disk === real);
      const sys = part && part.num <= 3;
      // NOTE: writes the lab cannot follow fail loudly: a whole disk, the OS partitions, DRBD devices
      // and LVs (their content is not modelled byte by byte), and a partition DRBD has attached
      // (the kernel would let dd scribble under DRBD; what that does is not modelled).
      if (!part || sys || attached || lvOf(node, real) || /^\/dev\/drbd\d+$/.test(real)) {
        ctx.err(
          `dd: writing to ${outPath} is not simulated by the lab (only partitions of the node's disk that DRBD does not hold, not ${
            !part
              ? 'a whole disk, DRBD device or LV'
              : sys
                ? 'the OS partitions'
                : attached
                  ? 'an attached DRBD backing device'
                  : 'this device'
          })\n`,
        );
        return 1;
      }
      dst = { kind: 'part', path: outPath, real, size: s.size };
    } else if (s?.type === 'dir') {
      ctx.err(`dd: opening ${q(outPath)}: Is a directory\n`);
      return 1;
    } else {
      try {
        if (!s) fs.writeFile(p, '', 0o644);
        else if (!conv.includes('notrunc') && s.type === 'file') {
          const keep = fs.readFile(p).subarray(0, seek * bs);
          fs.writeFile(p, keep);
        }
      } catch (e) {
        ctx.err(`dd: opening ${q(outPath)}: ${(e as { text?: string }).text ?? 'Permission denied'}\n`);
        return 1;
      }
      dst = { kind: 'file', path: p };
    }
  }

  // ---------- the copy: dd_copy() counts whole and partial records ----------
  const cap = dst.kind === 'part' ? dst.size - seek * bs : dst.kind === 'null' ? Infinity : MAX_FILE_BYTES - seek * bs;
  const recsAvail = avail === Infinity ? Infinity : Math.floor(avail / bs) + (avail % bs ? 1 : 0);
  const recs = Math.min(count, recsAvail);
  if (recs === Infinity && cap === Infinity) {
    ctx.err('dd: an endless copy from /dev/zero is not simulated by the lab (give count=)\n');
    return 1;
  }
  const lastPartial = recs === recsAvail && avail % bs ? avail % bs : 0;
  const recBytes = (i: number) => (lastPartial && i === recs - 1 ? lastPartial : bs);
  const totalIn = recs === Infinity ? Infinity : lastPartial ? (recs - 1) * bs + lastPartial : recs * bs;
  let rFull: number;
  let rPartial: number;
  let wFull: number;
  let wPartial: number;
  let wBytes: number;
  let code = 0;
  let errLine = '';
  if (totalIn <= cap) {
    rFull = wFull = lastPartial ? recs - 1 : recs;
    rPartial = wPartial = lastPartial ? 1 : 0;
    wBytes = totalIn;
  } else {
    if (dst.kind !== 'part') {
      ctx.err(
        `dd: writing ${q(outPath ?? 'standard output')}: this much data is not simulated by the lab (it keeps files in memory)\n`,
      );
      return 1;
    }
    // NOTE: dd.c dd_copy(): the record that does not fit is read, its short write fails with ENOSPC
    // ("writing %s", exit 1) and counts in neither "records out" column.
    const k = Math.max(0, Math.floor(cap / bs));
    wFull = k;
    wPartial = 0;
    rFull = k + (recBytes(k) === bs ? 1 : 0);
    rPartial = k + 1 - rFull;
    wBytes = Math.max(0, cap);
    errLine = `dd: writing ${q(outPath)}: No space left on device\n`;
    code = 1;
  }
  const chunks: Buffer[] = [];
  if (dst.kind === 'stdout' || dst.kind === 'file') {
    if (src.kind === 'data') chunks.push(src.data.subarray(skip * bs, skip * bs + wBytes));
    else chunks.push(Buffer.alloc(wBytes));
  }

  // ---------- effects ----------
  if (dst.kind === 'stdout') ctx.out(Buffer.concat(chunks).toString('latin1'));
  else if (dst.kind === 'file') {
    const cur = fs.readFile(dst.path);
    const body = Buffer.concat(chunks);
    const start = seek * bs;
    const out = Buffer.alloc(Math.max(cur.length, start + body.length));
    cur.copy(out);
    body.copy(out, start);
    fs.writeFile(dst.path, out);
  } else if (dst.kind === 'part' && wBytes > 0) {
    const s = st(node);
    const b = s.block(node, dst.real);
    const start = seek * bs;
    const end = start + wBytes;
    // What lives where on a partition: an LVM label and metadata in the first MiB (lvm2: label in
    // sector 1, metadata area before pe_start), a file system superblock at 1 KiB (ext4) or 64 KiB
    // (gfs2); DRBD 8.3's internal metadata (its superblock) in the last 4 KiB (drbd_int.h
    // MD_RESERVED_SECT, drbd_main.c drbd_md_ss__()).
    if (start < 1024 * 1024) b.data = {};
    if (b.md && end >= dst.size - 4096) delete b.md;
    const part = partitionOf(node, dst.real);
    const dp = part && node.disks[part.disk]?.parts.find((x) => x.num === part.num);
    if (dp && start < 1024 * 1024) dp.fs = '';
    if (src.kind === 'zero') s.record(node, 'dd', dst.real);
  }

  // ---------- lab time ----------
  const rate =
    dst.kind === 'part' || (src.kind === 'blockzeros' && src.disk) ? DD_DISK_BYTES_PER_S : DD_MEM_BYTES_PER_S;
  const moved = Math.max(wBytes, src.kind === 'blockzeros' ? totalIn : 0);
  const ns = Math.max(10_000, Math.round((moved / rate) * 1e9));
  node.world.advanceTo(node.world.now() + Math.ceil(ns / 1e6));
  node.world.changed();

  // ---------- print_stats() ----------
  if (errLine) ctx.err(errLine);
  let text = `${rFull}+${rPartial} records in\n${wFull}+${wPartial} records out\n`;
  if (o.status !== 'noxfer') {
    const secs = ns / 1e9;
    text += `${wBytes} byte${wBytes === 1 ? '' : 's'} (${humanBytes(wBytes)}) copied, ${fmtG(secs)} s, ${humanRate(wBytes / secs)}/s\n`;
  }
  ctx.err(text);
  return code;
};

/** The programs of this file, given to the storage subsystem. */
export const DD_PROGRAMS: Record<string, CommandFn> = { dd };
