/**
 * Shared helpers for the lab tests: a world with the tutorial's pair, the tutorial's network files
 * and /etc/hosts, and an exec shortcut.
 */
import { existsSync, readFileSync } from 'node:fs';
import { createWorld, type World } from '../../src/lab/world.js';
import type { LabNode } from '../../src/lab/node/node.js';
import { sharedFile } from '../helpers/shared.js';

const TUTORIAL = sharedFile('seed', 'an-cluster-tutorial-2.txt').path;
/** The tutorial text when this machine has it (tests that compare against it skip otherwise). */
export const tutorial = existsSync(TUTORIAL) ? readFileSync(TUTORIAL, 'utf8').split('\n') : null;
if (!tutorial)
  console.warn(
    `lab tests: ${TUTORIAL} is absent; checks against the tutorial's own text are skipped (embedded copies still run)`,
  );

/** Run a command on a node, returning stdout+stderr and the code. */
export async function run(
  n: LabNode,
  cmd: string,
  stdin?: string,
): Promise<{ out: string; err: string; code: number }> {
  const r = await n.exec(cmd, stdin === undefined ? {} : { stdin });
  return { out: r.stdout, err: r.stderr, code: r.code };
}

/** A fresh world with the tutorial's node pair (no answers: built-in defaults). */
export function world(): World {
  return createWorld({ seed: 7 });
}

const NETS = [
  ['bcn', 'Back-Channel Network', '10.20.0'],
  ['sn', 'Storage Network', '10.10.0'],
  ['ifn', 'Internet-Facing Network', '10.255.0'],
] as const;

/** Write the tutorial's ifcfg-eth0..5, ifcfg-bond0..2 and ifcfg-vbr2 for node `idx` (1 or 2). */
export function writeTutorialNetwork(n: LabNode, idx: number): void {
  const dir = '/etc/sysconfig/network-scripts';
  NETS.forEach(([, title, prefix], b) => {
    const bond = `bond${b}`;
    const lines = [`# ${title} - Bond`, `DEVICE="${bond}"`];
    if (b === 2) lines.push('BRIDGE="vbr2"', 'BOOTPROTO="none"');
    else lines.push('BOOTPROTO="static"');
    lines.push(
      'NM_CONTROLLED="no"',
      'ONBOOT="yes"',
      `BONDING_OPTS="mode=1 miimon=100 use_carrier=1 updelay=120000 downdelay=0 primary=eth${b}"`,
    );
    if (b < 2) lines.push(`IPADDR="${prefix}.${idx}"`, 'NETMASK="255.255.0.0"');
    n.fs.writeFile(`${dir}/ifcfg-${bond}`, lines.join('\n') + '\n');
  });
  n.fs.writeFile(
    `${dir}/ifcfg-vbr2`,
    [
      '# Internet-Facing Network - Bridge',
      'DEVICE="vbr2"',
      'TYPE="Bridge"',
      'BOOTPROTO="static"',
      `IPADDR="10.255.0.${idx}"`,
      'NETMASK="255.255.0.0"',
      'GATEWAY="10.255.255.254"',
      'DNS1="8.8.8.8"',
      'DNS2="8.8.4.4"',
      'DEFROUTE="yes"',
      '',
    ].join('\n'),
  );
  for (let e = 0; e < 6; e++) {
    const [, title] = NETS[e % 3];
    const mac = n.nics.find((x) => x.name === `eth${e}`)!.mac;
    n.fs.writeFile(
      `${dir}/ifcfg-eth${e}`,
      [
        `# ${title} - Link ${e < 3 ? 1 : 2}`,
        `HWADDR="${mac}"`,
        `DEVICE="eth${e}"`,
        'NM_CONTROLLED="no"',
        'ONBOOT="yes"',
        'BOOTPROTO="none"',
        `MASTER="bond${e % 3}"`,
        'SLAVE="yes"',
        '',
      ].join('\n'),
    );
  }
}

/** The tutorial's /etc/hosts (lines ~823-841). */
export const HOSTS = `127.0.0.1   localhost localhost.localdomain localhost4 localhost4.localdomain4
::1         localhost localhost.localdomain localhost6 localhost6.localdomain6
# an-node01
10.20.0.1	an-node01 an-node01.bcn an-node01.alteeve.ca
10.20.1.1	an-node01.ipmi
10.10.0.1	an-node01.sn
10.255.0.1	an-node01.ifn
# an-node02
10.20.0.2	an-node02 an-node02.bcn an-node02.alteeve.ca
10.20.1.2	an-node02.ipmi
10.10.0.2	an-node02.sn
10.255.0.2	an-node02.ifn
# Fence devices
10.20.2.1       pdu1 pdu1.alteeve.ca
10.20.2.2       pdu2 pdu2.alteeve.ca
# VPN interfaces, if used.
10.30.0.1	an-node01.vpn
10.30.0.2	an-node02.vpn
`;

/** Bring both nodes to the state after the tutorial's network step (bonds, bridge, hosts). */
export async function networked(w: World): Promise<void> {
  for (const [i, name] of ['an-node01', 'an-node02'].entries()) {
    const n = w.nodes[name];
    await run(n, 'yum -y remove NetworkManager && chkconfig network on');
    writeTutorialNetwork(n, i + 1);
    n.fs.writeFile('/etc/hosts', HOSTS);
    const r = await run(n, '/etc/init.d/network restart');
    if (r.code !== 0) throw new Error(`network restart failed on ${name}: ${r.out}${r.err}`);
  }
}

/**
 * Wait in lab time, as the installer does for a fenced or powered-on node (steps/cluster-ops.ts
 * `waitForNodeBack`: a try every 5 s of its clock, the lab's clock on the lab), until `n` runs again.
 * Returns the lab time it took; fails after `maxMs` (the installer's 20 minutes).
 */
export async function bootsBack(w: World, n: LabNode, maxMs = 20 * 60_000): Promise<number> {
  const t0 = w.now();
  while (!n.running) {
    if (w.now() - t0 > maxMs) throw new Error(`${n.name} not back within ${maxMs / 1000} s of lab time`);
    w.advance(5_000);
    await w.settle();
  }
  return w.now() - t0;
}
