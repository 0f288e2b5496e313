/**
 * Parsers of `pvscan`, `vgscan` and `lvscan` (lvm2 2.02, EL6), as the tutorial shows them:
 * ```
 *   PV /dev/drbd0                      lvm2 [18.61 GiB]
 *   PV /dev/drbd1   VG an01-vg0        lvm2 [201.62 GiB / 201.62 GiB free]
 *   Total: 3 [421.49 GiB] / in use: 0 [0   ] / in no VG: 3 [421.49 GiB]
 *   Found volume group "an02-vg0" using metadata type lvm2
 *   ACTIVE            '/dev/shared-vg0/shared' [18.61 GiB] inherit
 * ```
 */

/** One physical volume line of `pvscan`. */
export interface PvScanEntry {
  pv: string;
  /** The VG it belongs to, if any. */
  vg?: string;
  format: string;
  /** Size as printed, e.g. `18.61 GiB`. */
  size: string;
  /** Free as printed when in a VG, e.g. `0`. */
  free?: string;
}

/** Parse `pvscan`; "No matching physical volumes found" gives an empty list. */
export function parsePvscan(text: string): PvScanEntry[] {
  const out: PvScanEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*PV\s+(\S+)(?:\s+VG\s+(\S+))?\s+(lvm[12])\s+\[([^\]/]+?)(?:\s*\/\s*([^\]]+?)\s+free)?\]/.exec(line);
    if (m) out.push({ pv: m[1], vg: m[2], format: m[3], size: m[4].trim(), free: m[5]?.trim() });
  }
  return out;
}

/** One volume group line of `vgscan`. */
export interface VgScanEntry {
  vg: string;
  format: string;
}

/** Parse `vgscan`; "No volume groups found" gives an empty list. */
export function parseVgscan(text: string): VgScanEntry[] {
  const out: VgScanEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /Found (?:exported )?volume group "([^"]+)" using metadata type (\S+)/.exec(line);
    if (m) out.push({ vg: m[1], format: m[2] });
  }
  return out;
}

/** One logical volume line of `lvscan`. */
export interface LvScanEntry {
  active: boolean;
  /** e.g. `/dev/shared-vg0/shared`. */
  path: string;
  vg: string;
  lv: string;
  /** As printed, e.g. `18.61 GiB`. */
  size: string;
  /** Allocation policy, e.g. `inherit`. */
  policy?: string;
}

/** Parse `lvscan`; nothing printed gives an empty list. */
export function parseLvscan(text: string): LvScanEntry[] {
  const out: LvScanEntry[] = [];
  for (const line of text.split('\n')) {
    const m = /^\s*(ACTIVE|inactive)\s+(?:Original\s+|Snapshot\s+)?'([^']+)'\s+\[([^\]]+)\]\s*(\S+)?/.exec(line);
    if (!m) continue;
    const parts = m[2].split('/');
    out.push({
      active: m[1] === 'ACTIVE',
      path: m[2],
      vg: parts[2] ?? '',
      lv: parts.slice(3).join('/'),
      size: m[3].trim(),
      policy: m[4],
    });
  }
  return out;
}
