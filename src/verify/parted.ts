/**
 * Parsers of GNU parted's `print free`: the machine-readable form (`parted -s -m DISK unit GB print
 * free`) the steps use, and the human form the tutorial shows:
 * ```
 * Number  Start   End     Size    Type     File system     Flags
 *         32.3kB  1049kB  1016kB           Free Space
 *  1      1049kB  269MB   268MB   primary  ext4            boot
 *         47.5GB  500GB   453GB            Free Space
 * ```
 */

/** One row: a partition or a free region. */
export interface PartedRow {
  /** Partition number; undefined for a free region. */
  number?: number;
  start: string;
  end: string;
  size: string;
  free: boolean;
  /** `primary`, `extended`, `logical` (human msdos output only). */
  type?: string;
  fs?: string;
  flags?: string;
}

/** A parsed table. */
export interface PartedTable {
  disk?: string;
  /** Disk size as printed, e.g. `500GB`. */
  diskSize?: string;
  /** Partition table type, e.g. `msdos`. */
  label?: string;
  rows: PartedRow[];
}

const UNITS: Record<string, number> = {
  B: 1,
  kB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  KiB: 1024,
  MiB: 1024 ** 2,
  GiB: 1024 ** 3,
  TiB: 1024 ** 4,
};

/** Bytes of a parted size or position like `47.5GB`, `1016kB` or `4096s` (512-byte sectors). */
export function toBytes(size: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*([A-Za-z]+)$/.exec(size.trim());
  if (!m) return NaN;
  if (m[2] === 's') return Number(m[1]) * 512;
  const f = UNITS[m[2]];
  return f === undefined ? NaN : Number(m[1]) * f;
}

/** Parse `parted -s -m DISK [unit U] print [free]`. */
export function parsePartedMachine(text: string): PartedTable {
  const out: PartedTable = { rows: [] };
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && l !== 'BYT;' && l !== 'CHS;' && l !== 'CYL;');
  for (const line of lines) {
    const f = line.replace(/;$/, '').split(':');
    if (f[0].startsWith('/')) {
      out.disk = f[0];
      out.diskSize = f[1];
      out.label = f[5];
      continue;
    }
    if (!/^\d+$/.test(f[0])) continue;
    const free = f[4] === 'free';
    out.rows.push({
      number: free ? undefined : Number(f[0]),
      start: f[1],
      end: f[2],
      size: f[3],
      free,
      fs: free ? undefined : f[4] || undefined,
      flags: free ? undefined : f[6] || undefined,
    });
  }
  return out;
}

/** Parse the human `print free` output (column positions from its header line). */
export function parsePartedHuman(text: string): PartedTable {
  const out: PartedTable = { rows: [] };
  const lines = text.split('\n');
  let cols: { type: number; fs: number; flags: number } | undefined;
  for (const raw of lines) {
    const line = raw.replace(/\s+$/, '');
    const disk = /^Disk (\/\S+): (\S+)/.exec(line);
    if (disk) {
      out.disk = disk[1];
      out.diskSize = disk[2];
      continue;
    }
    const label = /^Partition Table: (\S+)/.exec(line);
    if (label) {
      out.label = label[1];
      continue;
    }
    if (/^Number\s+Start\s+End\s+Size/.test(line)) {
      cols = { type: line.indexOf('Type'), fs: line.indexOf('File system'), flags: line.indexOf('Flags') };
      continue;
    }
    if (!cols) continue;
    const m = /^\s*(\d+)?\s+(\S+)\s+(\S+)\s+(\S+)/.exec(line);
    if (!m || !/^\d/.test(m[2])) continue;
    if (/Free Space\s*$/.test(line)) {
      out.rows.push({ start: m[2], end: m[3], size: m[4], free: true });
      continue;
    }
    const cut = (a: number, b: number) => (a < 0 ? '' : line.slice(a, b < 0 ? undefined : b).trim());
    const type = cols.type >= 0 ? cut(cols.type, cols.fs) : '';
    out.rows.push({
      number: Number(m[1]),
      start: m[2],
      end: m[3],
      size: m[4],
      free: false,
      type: type || undefined,
      fs: cut(cols.fs, cols.flags) || undefined,
      flags: cut(cols.flags, -1) || undefined,
    });
  }
  return out;
}

/** The largest free region outside any partition (where the tutorial puts its extended partition). */
export function largestFree(t: PartedTable): PartedRow | undefined {
  let best: PartedRow | undefined;
  for (const r of t.rows) if (r.free && (!best || toBytes(r.size) > toBytes(best.size))) best = r;
  return best;
}

/** The partition numbers present in the table. */
export function partitionNumbers(t: PartedTable): number[] {
  return t.rows.filter((r) => !r.free && r.number !== undefined).map((r) => r.number!);
}
