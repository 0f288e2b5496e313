/**
 * Parser of `virsh list --all` (libvirt 0.9, EL6), as the tutorial shows it:
 * ```
 *  Id Name                 State
 * ----------------------------------
 *   2 vm0001-dev           running
 *   - vm0003-db            shut off
 * ```
 */

/** One domain row. */
export interface VirshDomain {
  /** Running domain id; undefined for `-` (not running). */
  id?: number;
  name: string;
  /** e.g. `running`, `shut off`, `paused`, `in shutdown`. */
  state: string;
}

/** Parse `virsh list --all`. */
export function parseVirshList(text: string): VirshDomain[] {
  const out: VirshDomain[] = [];
  let body = false;
  for (const line of text.split('\n')) {
    if (/^-{5,}\s*$/.test(line.trim())) {
      body = true;
      continue;
    }
    if (!body) continue;
    const m = /^\s*(\d+|-)\s+(\S+)\s+(.+?)\s*$/.exec(line);
    if (m) out.push({ id: m[1] === '-' ? undefined : Number(m[1]), name: m[2], state: m[3] });
  }
  return out;
}
