/**
 * What the network tests left in each node's syslog (the net-tests verify): the bonding driver's
 * lines for every bond, in the order the tests produce them (tutorial 1889-2058; the driver's
 * messages as the tutorial captures them: "link status definitely down for interface eth0, disabling
 * it", "making interface eth3 the new active one."). The end state alone (every bond back on its
 * primary) holds with no test run at all; these lines do not. /proc/net/bonding's "Link Failure
 * Count" would say the same but restarts at 0 at each boot (the acceptance tests reboot the nodes).
 */
import type { NodeHandle } from '../src/engine/types.js';
import type { Bond } from '../src/plan/derive.js';
import { MESSAGES, syslogGrep } from './syslog.js';

/** One line the tests must have caused, and which test causes it. */
export interface BondEvent {
  test: string;
  /** What the bonding driver logs for it, after "bonding: bondX: ". */
  text: string;
}

/** The events of every test of one bond, in the order net-drive.ts (and the tutorial) runs them. */
export function bondEvents(b: Bond): BondEvent[] {
  const [p, k] = b.slaves;
  const down = (nic: string) => `link status definitely down for interface ${nic}, disabling it`;
  // NOTE: a prefix: with the backup gone inside the updelay the driver adds " N ms earlier." (bond_main.c).
  const active = (nic: string) => `making interface ${nic} the new active one`;
  const pull = `pull ${p}`;
  const back = `${p} back after the updelay`;
  const again = `pull ${p} again, then ${k} inside the updelay`;
  return [
    { test: pull, text: down(p) },
    { test: pull, text: active(k) },
    { test: back, text: active(p) },
    { test: again, text: down(p) },
    { test: again, text: active(k) },
    { test: again, text: down(k) },
    { test: again, text: active(p) },
    { test: 'primary switch off', text: down(p) },
    { test: 'primary switch off', text: active(k) },
    { test: 'primary switch on', text: active(p) },
    { test: 'secondary switch off', text: down(k) },
  ];
}

/**
 * The first event of `want` not found, in order, among a bond's bonding lines (undefined: all
 * found), with the line that matched the event before it.
 */
export function missingEvent(
  lines: string[],
  dev: string,
  want: BondEvent[],
): { event: BondEvent; after?: string } | undefined {
  const tag = `bonding: ${dev}: `;
  let i = 0;
  let after: string | undefined;
  for (const l of lines) {
    const at = l.indexOf(tag);
    if (i < want.length && at >= 0 && l.slice(at + tag.length).startsWith(want[i].text)) {
      after = l;
      i++;
    }
  }
  return i < want.length ? { event: want[i], after } : undefined;
}

/** Problems with the tests of every bond of `n`, as its syslog shows them. */
export async function bondTestProblems(n: NodeHandle): Promise<string[]> {
  const lines = await syslogGrep(n, 'bonding: bond');
  const out: string[] = [];
  for (const b of n.plan.bonds) {
    const miss = missingEvent(lines, b.dev, bondEvents(b));
    if (!miss) continue;
    const own = lines.filter((l) => l.includes(`bonding: ${b.dev}: `));
    out.push(
      `${n.plan.name} ${b.dev}: test "${miss.event.test}" not seen in ${MESSAGES} (no "bonding: ${b.dev}: ${miss.event.text}"${miss.after ? ` after "${miss.after}"` : ''}); last lines: ${own.slice(-3).join(' | ') || '(none)'}`,
    );
  }
  return out;
}
