/**
 * Canned state of the tutorial's nodes for step tests: the tutorial's /proc/net/bonding/bond0 listing
 * (bond1/bond2 made from it with their own slaves and MACs), `ip` and `chkconfig` outputs in EL6 form.
 */
import { readFileSync } from 'node:fs';
import { loadAnswers } from '../../src/plan/load.js';
import { derivePlan, type Plan, type PlanNode } from '../../src/plan/derive.js';
import { FakeNode } from './fake-node.js';

/** The tutorial's plan. */
export function tutorialPlan(): Plan {
  return derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));
}

/** The tutorial's healthy bond0 listing. */
export const BOND0 = readFileSync('test/fixtures/bonding/tutorial-bond0-healthy.txt', 'utf8');

/** A healthy /proc/net/bonding/bondN for a node: the tutorial's listing with that bond's slaves and MACs. */
export function bondText(n: PlanNode, dev: string): string {
  const bond = n.bonds.find((b) => b.dev === dev)!;
  const mac = (d: string) => n.ifaces.find((i) => i.dev === d)!.mac!.toLowerCase();
  return BOND0.replace(/eth0/g, 'ETH_A')
    .replace(/eth3/g, 'ETH_B')
    .replace('00:e0:81:c7:ec:49', mac(bond.slaves[0]))
    .replace('00:1b:21:9d:59:fc', mac(bond.slaves[1]))
    .replace(/ETH_A/g, bond.slaves[0])
    .replace(/ETH_B/g, bond.slaves[1]);
}

/** Mark a slave's MII down and make the other slave active, as the tutorial's pulled-cable listing shows. */
export function slaveDown(text: string, slave: string, other: string): string {
  return text
    .replace(new RegExp(`(Slave Interface: ${slave}\\nMII Status: )up`), '$1down')
    .replace(/Currently Active Slave: \S+/, `Currently Active Slave: ${other}`);
}

/** `ip -o link show` of a node before bonding (EL6 form). */
export function ipLinkBefore(n: PlanNode, drop: string[] = []): string {
  const lines = [
    '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 16436 qdisc noqueue state UNKNOWN \\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
  ];
  n.ifaces
    .filter((i) => !drop.includes(i.dev))
    .forEach((i, k) =>
      lines.push(
        `${k + 2}: ${i.dev}: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP qlen 1000\\    link/ether ${i.mac!.toLowerCase()} brd ff:ff:ff:ff:ff:ff`,
      ),
    );
  return lines.join('\n') + '\n';
}

/** `ip -o link show` after bonding: every slave shows its bond's (link 1) MAC. */
export function ipLinkBonded(n: PlanNode): string {
  const lines = [
    '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 16436 qdisc noqueue state UNKNOWN \\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
  ];
  n.ifaces.forEach((i, k) => {
    const primary = n.ifaces.find((x) => x.bond === i.bond && x.link === 1)!.mac!.toLowerCase();
    lines.push(
      `${k + 2}: ${i.dev}: <BROADCAST,MULTICAST,SLAVE,UP,LOWER_UP> mtu 1500 qdisc mq master ${i.bond} state UP qlen 1000\\    link/ether ${primary} brd ff:ff:ff:ff:ff:ff`,
    );
  });
  return lines.join('\n') + '\n';
}

/** `ip -o -4 addr show` of a configured node. */
export function ipAddr(p: Plan, n: PlanNode): string {
  return (
    [
      '1: lo    inet 127.0.0.1/8 scope host lo',
      `8: bond0    inet ${n.bcn}/16 brd 10.20.255.255 scope global bond0`,
      `9: bond1    inet ${n.sn}/16 brd 10.10.255.255 scope global bond1`,
      `11: ${p.ifn.bridge}    inet ${n.ifn}/16 brd 10.255.255.255 scope global ${p.ifn.bridge}`,
    ].join('\n') + '\n'
  );
}

/** A fake node with healthy bonds and addresses. */
export function bondedNode(p: Plan, n: PlanNode): FakeNode {
  const f = new FakeNode(n);
  for (const b of n.bonds) f.files.set(`/proc/net/bonding/${b.dev}`, bondText(n, b.dev));
  f.on('ip -o -4 addr show', ipAddr(p, n));
  f.on('ip -o link show', ipLinkBonded(n));
  return f;
}
