/**
 * A node's syslog after the network tests, in the bonding driver's words as the tutorial captures them
 * (lines 1889-1891 pull, 1896-1897 return, 1947-1952 primary switch off, 2016-2021 on, 2026-2031
 * secondary off), one bond after the other, then both switches; served through `grep -F` like the node's.
 */
import type { PlanNode } from '../../src/plan/derive.js';
import type { FakeNode } from './fake-node.js';

/** The bonding lines of every test of every bond of `n`, with syslog times a second apart. */
export function bondTestLog(n: PlanNode): string[] {
  const out: string[] = [];
  const log = (msg: string) => {
    const s = out.length;
    out.push(
      `Dec 13 14:${String(Math.floor(s / 60)).padStart(2, '0')}:${String(s % 60).padStart(2, '0')} ${n.name} kernel: ${msg}`,
    );
  };
  const down = (dev: string, nic: string) =>
    log(`bonding: ${dev}: link status definitely down for interface ${nic}, disabling it`);
  const upIn = (dev: string, nic: string) =>
    log(`bonding: ${dev}: link status up for interface ${nic}, enabling it in 120000 ms.`);
  const active = (dev: string, nic: string, early = '') =>
    log(`bonding: ${dev}: making interface ${nic} the new active one${early}.`);
  for (const b of n.bonds) {
    const [p, k] = b.slaves;
    down(b.dev, p);
    active(b.dev, k);
    upIn(b.dev, p);
    log(`${b.dev}: link status definitely up for interface ${p}, 1000 Mbps full duplex.`);
    active(b.dev, p);
    down(b.dev, p);
    active(b.dev, k);
    upIn(b.dev, p);
    down(b.dev, k);
    active(b.dev, p, ' 115000 ms earlier');
  }
  for (const b of n.bonds) {
    down(b.dev, b.slaves[0]);
    active(b.dev, b.slaves[1]);
  }
  for (const b of n.bonds) upIn(b.dev, b.slaves[0]);
  for (const b of n.bonds) active(b.dev, b.slaves[0]);
  for (const b of n.bonds) down(b.dev, b.slaves[1]);
  return out;
}

/** Serve `lines` as the node's /var/log/messages (no rotated files) through `grep -F`. */
export function serveMessages(f: FakeNode, lines: string[]): void {
  f.files.set('/var/log/messages', lines.join('\n') + '\n');
  f.on(/^cat \/var\/log\/messages-\* \/var\/log\/messages 2>\/dev\/null \| grep -F '([^']+)'$/, (_c, m) => {
    const hits = (f.files.get('/var/log/messages') ?? '').split('\n').filter((l) => l.includes(m[1]));
    return hits.length ? hits.join('\n') + '\n' : { code: 1 };
  });
}
