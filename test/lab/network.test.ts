import { describe, it, expect } from 'vitest';
import { world, run, networked, writeTutorialNetwork, tutorial, HOSTS } from './helpers.js';

// The tutorial's /proc/net/bonding/bond0 listings for an-node01 (lines ~1840-1858, 1865-1883, 1894-1912).
const BOND0_ALL_UP = `Ethernet Channel Bonding Driver: v3.6.0 (September 26, 2009)
Bonding Mode: fault-tolerance (active-backup)
Primary Slave: eth0 (primary_reselect always)
Currently Active Slave: eth0
MII Status: up
MII Polling Interval (ms): 100
Up Delay (ms): 120000
Down Delay (ms): 0
Slave Interface: eth0
MII Status: up
Link Failure Count: 0
Permanent HW addr: 00:e0:81:c7:ec:49
Slave queue ID: 0
Slave Interface: eth3
MII Status: up
Link Failure Count: 0
Permanent HW addr: 00:1b:21:9d:59:fc
Slave queue ID: 0
`;
const BOND0_ETH0_PULLED = BOND0_ALL_UP.replace('Currently Active Slave: eth0', 'Currently Active Slave: eth3').replace(
  'Slave Interface: eth0\nMII Status: up\nLink Failure Count: 0',
  'Slave Interface: eth0\nMII Status: down\nLink Failure Count: 1',
);
const BOND0_RESTORED = BOND0_ALL_UP.replace(
  'Slave Interface: eth0\nMII Status: up\nLink Failure Count: 0',
  'Slave Interface: eth0\nMII Status: up\nLink Failure Count: 1',
);

/** The listing printed after `cat /proc/net/bonding/bond0` at a tutorial line (text is glued to the command). */
function tutorialListing(startLine: number): string {
  const lines = tutorial!.slice(startLine - 1, startLine + 17);
  lines[0] = lines[0].replace(/^cat \/proc\/net\/bonding\/bond0/, '');
  lines[17] = lines[17].replace(/^(Slave queue ID: 0)[\s\S]*$/, '$1');
  return lines.join('\n') + '\n';
}

describe('network: the tutorial network step on the lab', () => {
  it.skipIf(!tutorial)('embedded listings are the tutorial text', () => {
    expect(tutorialListing(1840)).toBe(BOND0_ALL_UP);
    expect(tutorialListing(1865)).toBe(BOND0_ETH0_PULLED);
    expect(tutorialListing(1894)).toBe(BOND0_RESTORED);
  });

  it('starts reachable on the BCN with eth0 static, NetworkManager on', async () => {
    const w = world();
    const n = w.nodes['an-node01'];
    expect(n.reachable()).toBe(true);
    expect((await run(n, 'ip -o -4 addr show')).out).toBe(
      '1: lo    inet 127.0.0.1/8 scope host lo\n2: eth0    inet 10.20.0.1/16 brd 10.20.255.255 scope global eth0\n',
    );
    expect((await run(n, 'chkconfig --list NetworkManager')).out).toBe(
      'NetworkManager \t0:off\t1:off\t2:on\t3:on\t4:on\t5:on\t6:off\n',
    );
    const links = (await run(n, 'ip -o link show')).out;
    expect(links).toContain(
      '2: eth0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast state UP qlen 1000\\    link/ether 00:e0:81:c7:ec:49 brd ff:ff:ff:ff:ff:ff\n',
    );
    expect(links).toContain(
      '5: eth3: <BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN qlen 1000\\    link/ether 00:1b:21:9d:59:fc brd ff:ff:ff:ff:ff:ff\n',
    );
    // NIC MAC capture as a step would do it.
    const macs = (await run(n, "ip -o link show | awk -F': ' '/eth[0-9]/ { print $2 }' | tr '\\n' ' '")).out;
    expect(macs).toBe('eth0 eth1 eth2 eth3 eth4 eth5 ');
  }, 30000);

  it('NetworkManager removal, chkconfig network, backups with rsync', async () => {
    const w = world();
    const n = w.nodes['an-node01'];
    const rm = await run(n, 'yum remove NetworkManager -y');
    expect(rm.code).toBe(0);
    expect(rm.out).toContain('Complete!');
    expect((await run(n, 'rpm -q NetworkManager')).out).toBe('package NetworkManager is not installed\n');
    expect((await run(n, 'service NetworkManager status')).err).toBe('NetworkManager: unrecognized service\n');
    await run(n, 'chkconfig network on');
    expect((await run(n, 'chkconfig --list network')).out).toBe(
      'network        \t0:off\t1:off\t2:on\t3:on\t4:on\t5:on\t6:off\n',
    );
    expect(
      (
        await run(
          n,
          'touch /etc/sysconfig/network-scripts/ifcfg-bond{0,1,2} && touch /etc/sysconfig/network-scripts/ifcfg-vbr2 && ls /etc/sysconfig/network-scripts',
        )
      ).out,
    ).toBe(
      'ifcfg-bond0\nifcfg-bond1\nifcfg-bond2\nifcfg-eth0\nifcfg-eth1\nifcfg-eth2\nifcfg-eth3\nifcfg-eth4\nifcfg-eth5\nifcfg-lo\nifcfg-vbr2\n',
    );
    const bk = await run(
      n,
      'mkdir /root/backups/ && rsync -av /etc/sysconfig/network-scripts/ifcfg-eth* /root/backups/',
    );
    expect(bk.code).toBe(0);
    const lines = bk.out.split('\n');
    expect(lines.slice(0, 7)).toEqual([
      'sending incremental file list',
      'ifcfg-eth0',
      'ifcfg-eth1',
      'ifcfg-eth2',
      'ifcfg-eth3',
      'ifcfg-eth4',
      'ifcfg-eth5',
    ]);
    expect(lines[7]).toMatch(/^sent \d+ bytes {2}received 126 bytes {2}\d+\.\d\d bytes\/sec$/);
    expect(lines[8]).toMatch(/^total size is \d+ {2}speedup is \d+\.\d\d$/);
    expect(
      (await run(n, 'diff -u /etc/sysconfig/network-scripts/ifcfg-eth3 /root/backups/ifcfg-eth3; echo $?')).out,
    ).toBe('0\n');
    // A second run transfers nothing.
    expect(
      (await run(n, 'rsync -av /etc/sysconfig/network-scripts/ifcfg-eth* /root/backups/')).out.split('\n')[1],
    ).toMatch(/^sent /);
  }, 30000);

  it('applies bonds and the bridge: /proc/net/bonding/bond0 as the tutorial shows it', async () => {
    const w = world();
    const drops: string[] = [];
    w.on('drop-sessions', (x) => drops.push(x));
    const n = w.nodes['an-node01'];
    await run(n, 'yum remove NetworkManager -y');
    writeTutorialNetwork(n, 1);
    const r = await run(n, '/etc/init.d/network restart');
    expect(r.code).toBe(0);
    expect(r.out).toBe(
      [
        'Shutting down interface eth0:                              [  OK  ]',
        'Shutting down loopback interface:                          [  OK  ]',
        'Bringing up loopback interface:                            [  OK  ]',
        'Bringing up interface bond0:                               [  OK  ]',
        'Bringing up interface bond1:                               [  OK  ]',
        'Bringing up interface bond2:                               [  OK  ]',
        'Bringing up interface vbr2:                                [  OK  ]',
        '',
      ].join('\n'),
    );
    expect(drops).toEqual(['an-node01']);
    expect(n.reachable()).toBe(true);
    expect((await run(n, 'cat /proc/net/bonding/bond0')).out).toBe(BOND0_ALL_UP);
    expect((await run(n, 'ls /proc/net/bonding')).out).toBe('bond0\nbond1\nbond2\n');
    expect((await run(n, 'ip -o -4 addr show')).out).toBe(
      '1: lo    inet 127.0.0.1/8 scope host lo\n8: bond0    inet 10.20.0.1/16 brd 10.20.255.255 scope global bond0\n9: bond1    inet 10.10.0.1/16 brd 10.10.255.255 scope global bond1\n11: vbr2    inet 10.255.0.1/16 brd 10.255.255.255 scope global vbr2\n',
    );
    expect((await run(n, 'ip link show eth3')).out).toBe(
      '5: eth3: <BROADCAST,MULTICAST,SLAVE,UP,LOWER_UP> mtu 1500 qdisc pfifo_fast master bond0 state UP qlen 1000\n    link/ether 00:e0:81:c7:ec:49 brd ff:ff:ff:ff:ff:ff\n',
    );
    // The tutorial's "which interface holds my cluster name" pipeline (line ~1101).
    n.fs.writeFile('/etc/hosts', HOSTS);
    await run(n, 'yum install -y syslinux');
    expect(
      (await run(n, "ifconfig |grep -B 1 $(gethostip -d $(uname -n)) | grep HWaddr | awk '{ print $1 }'")).out,
    ).toBe('bond0\n');
    expect((await run(n, 'getent hosts an-node01.alteeve.ca an-node02.sn')).out).toBe(
      '10.20.0.1       an-node01 an-node01.bcn an-node01.alteeve.ca\n10.10.0.2       an-node02.sn\n',
    );
  }, 30000);

  it('a pulled cable fails over to eth3; the primary returns only after updelay', async () => {
    const w = world();
    const n = w.nodes['an-node01'];
    await networked(w);
    w.fault({ kind: 'cable', node: 'an-node01', nic: 'eth0', up: false });
    expect((await run(n, 'cat /proc/net/bonding/bond0')).out).toBe(BOND0_ETH0_PULLED);
    expect(n.reachable()).toBe(true);
    w.fault({ kind: 'cable', node: 'an-node01', nic: 'eth0', up: true });
    const waiting = (await run(n, 'cat /proc/net/bonding/bond0')).out;
    expect(waiting).toContain('Currently Active Slave: eth3');
    expect(waiting).toContain('Slave Interface: eth0\nMII Status: down\nLink Failure Count: 1');
    w.advance(60000);
    expect((await run(n, 'cat /proc/net/bonding/bond0')).out).toContain('Currently Active Slave: eth3');
    w.advance(60000);
    expect((await run(n, 'cat /proc/net/bonding/bond0')).out).toBe(BOND0_RESTORED);
    const log = (await run(n, 'grep bond0 /var/log/messages | tail -n 3')).out;
    expect(log).toMatch(
      /bonding: bond0: link status up for interface eth0, enabling it in 120000 ms\.\n.*bond0: link status definitely up for interface eth0, 1000 Mbps full duplex\.\n.*bonding: bond0: making interface eth0 the new active one\.\n$/,
    );
  }, 30000);

  it('pulling the backup during updelay makes the primary active at once', async () => {
    const w = world();
    const n = w.nodes['an-node01'];
    await networked(w);
    w.fault({ kind: 'cable', node: 'an-node01', nic: 'eth0', up: false });
    w.fault({ kind: 'cable', node: 'an-node01', nic: 'eth0', up: true });
    w.advance(5000);
    w.fault({ kind: 'cable', node: 'an-node01', nic: 'eth3', up: false });
    const s = (await run(n, 'cat /proc/net/bonding/bond0')).out;
    expect(s).toContain('Currently Active Slave: eth0\nMII Status: up');
    expect(s).toContain('Slave Interface: eth3\nMII Status: down\nLink Failure Count: 1');
    expect((await run(n, 'sleep 200 && grep -c "new active one" /var/log/messages')).code).toBe(0);
  }, 30000);

  it('a failed switch moves every bond of both nodes to link 2; cluster names still reach', async () => {
    const w = world();
    await networked(w);
    w.fault({ kind: 'switch', switch: 'sw1', up: false });
    for (const name of ['an-node01', 'an-node02']) {
      const n = w.nodes[name];
      for (const [b, backup] of [
        [0, 'eth3'],
        [1, 'eth4'],
        [2, 'eth5'],
      ] as const)
        expect((await run(n, `cat /proc/net/bonding/bond${b}`)).out).toContain(
          `Currently Active Slave: ${backup}\nMII Status: up`,
        );
      expect(n.reachable()).toBe(true);
    }
    const p = await run(w.nodes['an-node01'], 'ping -c 1 an-node02.sn');
    expect(p.code).toBe(0);
    w.fault({ kind: 'switch', switch: 'sw2', up: false });
    expect(w.nodes['an-node01'].reachable()).toBe(false);
    expect((await run(w.nodes['an-node01'], 'cat /proc/net/bonding/bond0')).out).toContain(
      'Currently Active Slave: None\nMII Status: down',
    );
    w.fault({ kind: 'switch', switch: 'sw2', up: true });
    // NOTE: with no slave up, the first one back is taken at once despite updelay.
    expect(w.nodes['an-node01'].reachable()).toBe(true);
    expect((await run(w.nodes['an-node01'], 'cat /proc/net/bonding/bond0')).out).toContain(
      'Currently Active Slave: eth3',
    );
  }, 30000);

  it('a wrong HWADDR leaves that NIC out of its bond', async () => {
    const w = world();
    const n = w.nodes['an-node01'];
    await run(n, 'yum remove NetworkManager -y');
    writeTutorialNetwork(n, 1);
    await run(n, `sed -i 's/^HWADDR=.*/HWADDR="00:11:22:33:44:55"/' /etc/sysconfig/network-scripts/ifcfg-eth3`);
    const r = await run(n, '/etc/init.d/network restart');
    expect(r.out).toContain(
      'Bringing up interface bond0:  Device eth3 has different MAC address than expected, ignoring.\n                                                           [  OK  ]\n',
    );
    const s = (await run(n, 'cat /proc/net/bonding/bond0')).out;
    expect(s).toContain('Slave Interface: eth0');
    expect(s).not.toContain('Slave Interface: eth3');
    expect((await run(n, 'ip link show eth3')).out).toContain('<BROADCAST,MULTICAST> mtu 1500 qdisc noop state DOWN');
  }, 30000);

  it('a network stop makes the node unreachable; ifcfg without the BCN address too', async () => {
    const w = world();
    const n = w.nodes['an-node01'];
    await run(n, '/etc/init.d/network stop');
    expect(n.reachable()).toBe(false);
    await run(n, 'service network start');
    expect(n.reachable()).toBe(true);
    await run(n, "sed -i '/^IPADDR/d' /etc/sysconfig/network-scripts/ifcfg-eth0 && service network restart");
    expect(n.reachable()).toBe(false);
  }, 30000);
});
