import { describe, expect, it } from 'vitest';
import { network, bondProblems, NETWORK_TIMING } from '../../steps/network.js';
import { VerifyFailed } from '../../src/errors.js';
import { FakeNode, fakeContext, runTask } from '../helpers/fake-node.js';
import { tutorialPlan, bondedNode, bondText, slaveDown, ipAddr } from '../helpers/tutorial-node.js';
import { readFileSync } from 'node:fs';

const task = (id: string) => network.tasks.find((t) => t.id === id)!;
const p = tutorialPlan();
const [n1, n2] = p.nodes;

describe('network.restart verify (reads /proc/net/bonding and ip addr)', () => {
  it("passes on the tutorial's healthy bonds and addresses", async () => {
    const node = bondedNode(p, n1);
    const ev = await task('network.restart').verify!(fakeContext(p, node, bondedNode(p, n2)));
    expect(ev.summary).toBe(
      'bond0 on eth0, bond1 on eth1, bond2 on eth2; 10.20.0.1 on bond0, 10.10.0.1 on bond1, 10.255.0.1 on vbr2',
    );
  });

  it('names the link that is down: eth3 is BCN link 2', async () => {
    const node = bondedNode(p, n1);
    node.files.set('/proc/net/bonding/bond0', slaveDown(bondText(n1, 'bond0'), 'eth3', 'eth0'));
    const err = await task('network.restart').verify!(fakeContext(p, node, node)).catch((e) => e);
    expect(err).toBeInstanceOf(VerifyFailed);
    expect(err.message).toContain('bond0: slave eth3 MII down (an-node01 BCN link 2)');
    expect(err.message).not.toContain('currently active');
  });

  it("reports the tutorial's pulled eth0 as link 1 down and the bond off its primary", () => {
    const text = readFileSync('test/fixtures/bonding/tutorial-bond0-eth0-down.txt', 'utf8');
    expect(bondProblems(p, n1, n1.bonds[0], text)).toEqual([
      'bond0: slave eth0 MII down (an-node01 BCN link 1)',
      'bond0: currently active slave eth3, expected the primary eth0 (an-node01 BCN link 1)',
    ]);
  });

  it('names an SN link of an-node02 by its role', () => {
    const text = slaveDown(bondText(n2, 'bond1'), 'eth4', 'eth1');
    expect(bondProblems(p, n2, n2.bonds[1], text)).toEqual(['bond1: slave eth4 MII down (an-node02 SN link 2)']);
  });

  it('sees a missing slave, a wrong MAC, wrong options and a bond that is not up', () => {
    const b0 = bondText(n1, 'bond0');
    const noEth3 = b0.slice(0, b0.indexOf('Slave Interface: eth3'));
    expect(bondProblems(p, n1, n1.bonds[0], noEth3)).toEqual(['bond0: slave eth3 missing (an-node01 BCN link 2)']);
    expect(bondProblems(p, n1, n1.bonds[0], b0.replace('00:1b:21:9d:59:fc', '00:1b:21:9d:59:fd'))).toEqual([
      'bond0: slave eth3 has MAC 00:1B:21:9D:59:FD, expected 00:1B:21:9D:59:FC (an-node01 BCN link 2)',
    ]);
    expect(bondProblems(p, n1, n1.bonds[0], b0.replace('Up Delay (ms): 120000', 'Up Delay (ms): 0'))).toEqual([
      'bond0: up delay 0 ms, expected updelay=120000',
    ]);
    expect(bondProblems(p, n1, n1.bonds[2], null)).toEqual([
      'bond2: /proc/net/bonding/bond2 does not exist (bond not up)',
    ]);
  });

  it('fails when an address is missing or on the wrong device', async () => {
    const node = bondedNode(p, n1);
    node.on('ip -o -4 addr show', ipAddr(p, n1).replace('vbr2    inet', 'bond2    inet'));
    const err = await task('network.restart').verify!(fakeContext(p, node, node)).catch((e) => e);
    expect(err.message).toContain('vbr2: 10.255.0.1/16 (IFN) not up; vbr2 has no IPv4 address; 10.255.0.1 is on bond2');
    expect(err.message).toContain('bond2: has 10.255.0.1/16; the IFN address belongs on the bridge vbr2');
  });
});

describe('network.restart run', () => {
  it('restarts detached, reconnects, waits for the marker, then returns when the bonds are healthy', async () => {
    const node = bondedNode(p, n1);
    let restarted = false;
    node.on('rm -f /var/run/anvil-network-restart.done', '');
    node.on(/^nohup sh -c 'sleep 1; \/etc\/init\.d\/network restart .*' >\/dev\/null 2>&1 &$/, () => {
      restarted = true;
      node.files.set('/var/log/anvil-network-restart.log', 'Shutting down interface bond0:  [  OK  ]\n');
      return '';
    });
    node.on('test -e /var/run/anvil-network-restart.done', () => ({ code: restarted ? 0 : 1 }));
    const ctx = fakeContext(p, node, node);
    await task('network.restart').run!(ctx);
    expect(restarted).toBe(true);
    expect(node.reconnects).toBe(1);
    expect(ctx.logs.join('\n')).toContain('Shutting down interface bond0');
  });

  it('refuses to restart the network of a running cluster member, touching nothing', async () => {
    const node = bondedNode(p, n1);
    node.on('/etc/init.d/cman status', 'cluster is running.\n');
    const before = node.commands.length;
    const err = await task('network.restart').run!(fakeContext(p, node, node)).catch((e: Error) => e);
    expect(String(err)).toContain('an-node01 is a running cluster member: the tool does not restart its network');
    expect(node.commands.slice(before)).toEqual(['/etc/init.d/cman status']);
  });

  it('reconnects again when the session drops while it looks for the marker', async () => {
    const node = bondedNode(p, n1);
    let polls = 0;
    node.on('rm -f /var/run/anvil-network-restart.done', '');
    node.on(/^nohup /, '');
    const orig = node.exec.bind(node);
    node.exec = async (cmd, o) => {
      if (cmd.startsWith('test -e') && polls++ === 0) throw new Error('connection lost');
      return orig(cmd, o);
    };
    node.on('test -e /var/run/anvil-network-restart.done', { code: 0 });
    const saved = NETWORK_TIMING.pollMs;
    NETWORK_TIMING.pollMs = 1;
    try {
      await task('network.restart').run!(fakeContext(p, node, node));
    } finally {
      NETWORK_TIMING.pollMs = saved;
    }
    expect(node.reconnects).toBe(2);
  });
});

describe('network.backup and network.files', () => {
  it('never overwrites an existing backup (rsync --ignore-existing) and shows the tutorial commands', () => {
    const cmds = task('network.backup').commands!(p, n1);
    expect(cmds).toEqual([
      'mkdir -p /root/backups/',
      'rsync -av --ignore-existing /etc/sysconfig/network-scripts/ifcfg-eth* /root/backups/',
    ]);
  });

  it('verify: backups present / absent', async () => {
    const node = new FakeNode(n1).on('ls -1 /root/backups/', 'ifcfg-eth0\nifcfg-eth1\n');
    expect((await task('network.backup').verify!(fakeContext(p, node, node))).summary).toBe(
      '2 backups in /root/backups/: ifcfg-eth0 ifcfg-eth1',
    );
    const empty = new FakeNode(n1).on('ls -1 /root/backups/', {
      code: 2,
      stderr: 'ls: cannot access /root/backups/: No such file or directory',
    });
    await expect(task('network.backup').verify!(fakeContext(p, empty, empty))).rejects.toThrow(
      /\/root\/backups\/ missing/,
    );
  });

  it('writes the ten files, keeps the installer originals, and verify compares them line by line', async () => {
    const node = new FakeNode(n1, { '/etc/sysconfig/network-scripts/ifcfg-eth0': 'DEVICE=eth0\nBOOTPROTO=dhcp\n' });
    const ctx = fakeContext(p, node, node);
    await runTask(task('network.files'), ctx);
    await runTask(task('network.files'), ctx);
    expect(node.files.get('/root/backups/ifcfg-eth0')).toBe('DEVICE=eth0\nBOOTPROTO=dhcp\n');
    expect((await task('network.files').verify!(ctx)).summary).toBe('10 ifcfg files as planned');
    node.files.set(
      '/etc/sysconfig/network-scripts/ifcfg-eth3',
      node.files.get('/etc/sysconfig/network-scripts/ifcfg-eth3')!.replace('MASTER="bond0"', 'MASTER="bond1"'),
    );
    await expect(task('network.files').verify!(ctx)).rejects.toThrow(
      'ifcfg-eth3 line 7: "MASTER="bond1"" instead of "MASTER="bond0""',
    );
  });

  it('restarts one node at a time', () => {
    expect(task('network.restart').on).toBe('each');
    expect(task('network.restart').commands!(p, n1)).toEqual(['/etc/init.d/network restart']);
  });
});
