/**
 * Parser of `/proc/net/bonding/bondX` (the Linux bonding driver's status file), as the tutorial
 * shows it on EL6 (driver v3.6.0). The kernel separates sections with blank lines; the tutorial's
 * captured copies lost them, so sections are told apart by their first key instead.
 */

/** One slave of a bond. */
export interface BondSlave {
  name: string;
  /** `up`, `down`, `going back` (up, waiting out updelay) or `going down`. */
  mii: string;
  linkFailures: number;
  /** Lower-case MAC as the kernel prints it. */
  permanentMac?: string;
  queueId?: number;
}

/** The status of one bond. */
export interface BondStatus {
  driver?: string;
  /** e.g. `fault-tolerance (active-backup)`. */
  mode?: string;
  /** Primary slave name (without the `(primary_reselect ...)` suffix). */
  primary?: string;
  primaryReselect?: string;
  /** `None` when no slave is active. */
  active?: string;
  mii?: string;
  pollMs?: number;
  upDelayMs?: number;
  downDelayMs?: number;
  slaves: BondSlave[];
}

/** Parse the text of `/proc/net/bonding/bondX`. Unknown lines are ignored. */
export function parseBonding(text: string): BondStatus {
  const out: BondStatus = { slaves: [] };
  let slave: BondSlave | undefined;
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    if (!line) continue;
    const driver = /^Ethernet Channel Bonding Driver:\s*(.*)$/.exec(line);
    if (driver) {
      out.driver = driver[1];
      continue;
    }
    const m = /^([^:]+):\s*(.*)$/.exec(line);
    if (!m) continue;
    const key = m[1].trim();
    const value = m[2].trim();
    if (key === 'Slave Interface') {
      slave = { name: value, mii: 'unknown', linkFailures: 0 };
      out.slaves.push(slave);
      continue;
    }
    if (slave) {
      // NOTE: inside a slave section; "MII Status" here is the slave's, not the bond's.
      if (key === 'MII Status') slave.mii = value;
      else if (key === 'Link Failure Count') slave.linkFailures = Number(value);
      else if (key === 'Permanent HW addr') slave.permanentMac = value.toLowerCase();
      else if (key === 'Slave queue ID') slave.queueId = Number(value);
      continue;
    }
    switch (key) {
      case 'Bonding Mode':
        out.mode = value;
        break;
      case 'Primary Slave': {
        const p = /^(\S+)(?:\s+\(primary_reselect\s+([^)]+)\))?/.exec(value);
        out.primary = p?.[1];
        if (p?.[2]) out.primaryReselect = p[2];
        break;
      }
      case 'Currently Active Slave':
        out.active = value;
        break;
      case 'MII Status':
        out.mii = value;
        break;
      case 'MII Polling Interval (ms)':
        out.pollMs = Number(value);
        break;
      case 'Up Delay (ms)':
        out.upDelayMs = Number(value);
        break;
      case 'Down Delay (ms)':
        out.downDelayMs = Number(value);
        break;
    }
  }
  return out;
}
