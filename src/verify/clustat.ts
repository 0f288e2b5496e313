/**
 * Parser of `clustat` (rgmanager 3, EL6) as the tutorial shows it:
 *
 *   Cluster Status for an-cluster-A @ Wed Dec 14 20:52:11 2011
 *   Member Status: Quorate
 *    Member Name                             ID   Status
 *    ------ ----                             ---- ------
 *    an-node01.alteeve.ca                       1 Online, Local, rgmanager
 *    ...
 *    Service Name                   Owner (Last)                   State
 *    ------- ----                   ----- ------                   -----
 *    service:storage_an01           an-node01.alteeve.ca          started
 *    vm:vm0001-dev                  (none)                         disabled
 *
 * The real tool separates the sections with blank lines; the tutorial's captured copies lost them,
 * so sections are told apart by their header lines instead.
 */

/** One cluster member line. */
export interface ClustatMember {
  name: string;
  id: number;
  /** The status words as printed: `Online`, `Local`, `rgmanager`, `Offline`, ... */
  status: string[];
  online: boolean;
  local: boolean;
  rgmanager: boolean;
}

/** One rgmanager service line. */
export interface ClustatService {
  /** Full name with its type prefix, e.g. `vm:vm0001-dev`. */
  name: string;
  /** `service`, `vm`, ... (the prefix). */
  type: string;
  /** Name without the prefix, e.g. `vm0001-dev`. */
  short: string;
  /** The current owner; undefined when the owner column is in parentheses (last owner) or `(none)`. */
  owner?: string;
  /** The last owner, when the column is `(name)`. */
  lastOwner?: string;
  /** `started`, `stopped`, `disabled`, `failed`, `recovering`, ... */
  state: string;
}

/** The whole `clustat` report. */
export interface Clustat {
  cluster?: string;
  time?: string;
  quorate?: boolean;
  members: ClustatMember[];
  services: ClustatService[];
}

/** Parse the output of `clustat`. */
export function parseClustat(text: string): Clustat {
  const out: Clustat = { members: [], services: [] };
  let section: 'none' | 'members' | 'services' = 'none';
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const head = /^Cluster Status for (\S+) @ (.+)$/.exec(line);
    if (head) {
      out.cluster = head[1];
      out.time = head[2].trim();
      continue;
    }
    const q = /^Member Status:\s*(\S+)/.exec(line);
    if (q) {
      out.quorate = q[1] === 'Quorate';
      continue;
    }
    if (/^Member Name\s+ID\s+Status$/.test(line)) {
      section = 'members';
      continue;
    }
    if (/^Service Name\s+Owner \(Last\)\s+State$/.test(line)) {
      section = 'services';
      continue;
    }
    if (/^-+(\s+-+)*$/.test(line)) continue;
    if (section === 'members') {
      const m = /^(\S+)\s+(\d+)\s+(.+)$/.exec(line);
      if (!m) continue;
      const status = m[3]
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean);
      out.members.push({
        name: m[1],
        id: Number(m[2]),
        status,
        online: status.includes('Online'),
        local: status.includes('Local'),
        rgmanager: status.includes('rgmanager'),
      });
    } else if (section === 'services') {
      const m = /^(\S+)\s+(\S+)\s+(\S+)$/.exec(line);
      if (!m) continue;
      const name = m[1];
      const colon = name.indexOf(':');
      const ownerCol = m[2];
      const paren = /^\((.*)\)$/.exec(ownerCol);
      out.services.push({
        name,
        type: colon > 0 ? name.slice(0, colon) : 'service',
        short: colon > 0 ? name.slice(colon + 1) : name,
        owner: paren ? undefined : ownerCol,
        lastOwner: paren && paren[1] !== 'none' ? paren[1] : undefined,
        state: m[3],
      });
    }
  }
  return out;
}

/** A service by full name (`vm:vm0001-dev`) or short name (`storage_an01` = `service:storage_an01`). */
export function clustatService(c: Clustat, name: string): ClustatService | undefined {
  return c.services.find((s) => s.name === name) ?? c.services.find((s) => s.type === 'service' && s.short === name);
}

/** A member by its cluster node name. */
export function clustatMember(c: Clustat, name: string): ClustatMember | undefined {
  return c.members.find((m) => m.name === name);
}
