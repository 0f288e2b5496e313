/**
 * Parser of `/proc/drbd` (DRBD 8.3), as the tutorial shows it:
 * ```
 * version: 8.3.12 (api:88/proto:86-96)
 * GIT-hash: e2a8ef46... build by dag@Build64R6, 2011-11-20 10:57:03
 *  0: cs:Connected ro:Secondary/Secondary ds:UpToDate/UpToDate C r-----
 *     ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:b oos:0
 * ```
 */

/** One minor as /proc/drbd reports it. */
export interface DrbdMinor {
  minor: number;
  /** Connection state, e.g. `Connected`, `StandAlone`, `WFConnection`, `Unconfigured`. */
  cs: string;
  /** Roles [local, peer], e.g. `['Primary', 'Primary']`; empty for an unconfigured minor. */
  ro: string[];
  /** Disk states [local, peer], e.g. `['UpToDate', 'UpToDate']`. */
  ds: string[];
  /** Replication protocol letter (`C`) when connected. */
  protocol?: string;
  /** The I/O flags field, e.g. `r-----`. */
  flags?: string;
  /** Counters of the second line (`ns`, `nr`, ..., `oos`); `wo` is kept as text in `raw`. */
  stats: Record<string, number>;
}

/** The whole file. */
export interface ProcDrbd {
  /** e.g. `8.3.12`. */
  version?: string;
  api?: string;
  gitHash?: string;
  minors: DrbdMinor[];
}

/** Parse the text of /proc/drbd. */
export function parseProcDrbd(text: string): ProcDrbd {
  const out: ProcDrbd = { minors: [] };
  let cur: DrbdMinor | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trimEnd();
    const ver = /^version:\s*(\S+)\s*\((api:[^)]*)\)/.exec(line);
    if (ver) {
      out.version = ver[1];
      out.api = ver[2];
      continue;
    }
    const git = /^GIT-hash:\s*(\S+)/.exec(line);
    if (git) {
      out.gitHash = git[1];
      continue;
    }
    const m = /^\s*(\d+):\s+cs:(\S+)(.*)$/.exec(line);
    if (m) {
      const rest = m[3].trim().split(/\s+/).filter(Boolean);
      cur = { minor: Number(m[1]), cs: m[2], ro: [], ds: [], stats: {} };
      for (const f of rest) {
        if (f.startsWith('ro:') || f.startsWith('st:')) cur.ro = f.slice(3).split('/');
        else if (f.startsWith('ds:')) cur.ds = f.slice(3).split('/');
        else if (/^[A-C]$/.test(f)) cur.protocol = f;
        else if (/^[-a-zA-Z]{6}$/.test(f) || /^[-a-zA-Z]{5,}$/.test(f)) cur.flags = f;
      }
      out.minors.push(cur);
      continue;
    }
    if (cur && /^\s+\w+:\S+(\s+\w+:\S+)*\s*$/.test(line)) {
      for (const kv of line.trim().split(/\s+/)) {
        const [k, v] = kv.split(':');
        if (k && v !== undefined && /^\d+$/.test(v)) cur.stats[k] = Number(v);
      }
    }
  }
  return out;
}

/** The minor of a `/dev/drbdN` path. */
export function minorOf(device: string): number {
  const m = /(\d+)$/.exec(device);
  if (!m) throw new Error(`not a DRBD device: ${device}`);
  return Number(m[1]);
}

/** One line per minor in the tutorial's words, e.g. `0: cs:Connected ro:Primary/Primary ds:UpToDate/UpToDate`. */
export function describeMinor(m: DrbdMinor | undefined, minor: number): string {
  if (!m) return `${minor}: absent`;
  return `${m.minor}: cs:${m.cs} ro:${m.ro.join('/') || '-'} ds:${m.ds.join('/') || '-'}`;
}
