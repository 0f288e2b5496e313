/**
 * Parser of `/etc/init.d/gfs2 status` (gfs2-utils, EL6), as the tutorial shows it:
 * ```
 * Configured GFS2 mountpoints:
 * /shared
 * Active GFS2 mountpoints:
 * /shared
 * ```
 */

/** Mount points the gfs2 init script knows (from /etc/fstab) and the ones mounted. */
export interface Gfs2Status {
  configured: string[];
  active: string[];
}

/** Parse `/etc/init.d/gfs2 status`. */
export function parseGfs2Status(text: string): Gfs2Status {
  const out: Gfs2Status = { configured: [], active: [] };
  let into: string[] | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (/^Configured GFS2 mountpoints:/i.test(line)) into = out.configured;
    else if (/^Active GFS2 mountpoints:/i.test(line)) into = out.active;
    else if (into && line.startsWith('/')) into.push(...line.split(/\s+/));
    else if (line) into = undefined;
  }
  return out;
}

/** The UUID in `gfs2_tool sb <dev> uuid` output (`current uuid = 162a80eb-...`), lower-cased. */
export function parseGfs2Uuid(text: string): string | undefined {
  return /uuid\s*=\s*([0-9A-Fa-f-]{36})/.exec(text)?.[1]?.toLowerCase();
}

/** The lock table in `gfs2_tool sb <dev> table` output (`current lock table name = "an-cluster-A:shared"`). */
export function parseGfs2Table(text: string): string | undefined {
  return /lock table name\s*=\s*"([^"]*)"/.exec(text)?.[1];
}
