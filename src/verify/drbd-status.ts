/**
 * Parser of `/etc/init.d/drbd status` (DRBD 8.3 init script), as the tutorial shows it:
 * ```
 * drbd driver loaded OK; device status:
 * version: 8.3.12 (api:88/proto:86-96)
 * GIT-hash: ...
 * m:res  cs         ro               ds                 p  mounted  fstype
 * 0:r0   Connected  Primary/Primary  UpToDate/UpToDate  C
 * ```
 * or `drbd not loaded` when the module is not loaded.
 */

/** One row of the status table. */
export interface DrbdStatusRow {
  minor: number;
  resource: string;
  cs: string;
  /** [local, peer]. */
  ro: string[];
  /** [local, peer]. */
  ds: string[];
  protocol?: string;
  mounted?: string;
  fstype?: string;
}

/** What the init script reported. */
export interface DrbdStatus {
  loaded: boolean;
  version?: string;
  rows: DrbdStatusRow[];
}

/** Parse `/etc/init.d/drbd status` output. */
export function parseDrbdStatus(text: string): DrbdStatus {
  const loaded = !/drbd not loaded/i.test(text) && /drbd driver loaded OK|^m:res\s/m.test(text);
  const version = /^version:\s*(\S+)/m.exec(text)?.[1];
  const rows: DrbdStatusRow[] = [];
  for (const line of text.split('\n')) {
    const m = /^(\d+):(\S+)\s+(\S+)(.*)$/.exec(line.trim());
    if (!m) continue;
    const rest = m[4].trim().split(/\s+/).filter(Boolean);
    const row: DrbdStatusRow = { minor: Number(m[1]), resource: m[2], cs: m[3], ro: [], ds: [] };
    // NOTE: columns after cs are optional (an unconnected resource prints fewer); roles and disk
    // states are the ones with a slash, in that order.
    const slashed = rest.filter((f) => f.includes('/') && !f.startsWith('/'));
    if (slashed[0]) row.ro = slashed[0].split('/');
    if (slashed[1]) row.ds = slashed[1].split('/');
    const after = rest.filter((f) => !slashed.includes(f));
    if (after[0] && /^[A-C]$/.test(after[0])) {
      row.protocol = after.shift();
    }
    if (after[0]) row.mounted = after[0];
    if (after[1]) row.fstype = after[1];
    rows.push(row);
  }
  return { loaded, version, rows };
}
