import { describe, expect, it } from 'vitest';
import { parseIpAddr, parseIpLink } from '../../src/verify/ip-addr.js';

// NOTE: EL6 iproute (2.6.32) one-line output: a folded line is joined with "\".
const EL6_LINK = [
  '1: lo: <LOOPBACK,UP,LOWER_UP> mtu 16436 qdisc noqueue state UNKNOWN \\    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00',
  '2: eth0: <BROADCAST,MULTICAST,SLAVE,UP,LOWER_UP> mtu 1500 qdisc mq master bond0 state UP qlen 1000\\    link/ether 00:e0:81:c7:ec:49 brd ff:ff:ff:ff:ff:ff',
  '3: eth3: <BROADCAST,MULTICAST,SLAVE,UP,LOWER_UP> mtu 1500 qdisc mq master bond0 state UP qlen 1000\\    link/ether 00:e0:81:c7:ec:49 brd ff:ff:ff:ff:ff:ff',
  '4: eth1: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc mq state UP qlen 1000\\    link/ether 00:e0:81:c7:ec:48 brd ff:ff:ff:ff:ff:ff',
  '8: bond0: <BROADCAST,MULTICAST,MASTER,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP \\    link/ether 00:e0:81:c7:ec:49 brd ff:ff:ff:ff:ff:ff',
].join('\n');

describe('parseIpLink (ip -o link show)', () => {
  it('reads names, MACs, masters and states from EL6 output', () => {
    const links = parseIpLink(EL6_LINK);
    expect(links.map((l) => [l.name, l.mac ?? '-', l.master ?? '-', l.state])).toEqual([
      ['lo', '-', '-', 'UNKNOWN'],
      ['eth0', '00:e0:81:c7:ec:49', 'bond0', 'UP'],
      ['eth3', '00:e0:81:c7:ec:49', 'bond0', 'UP'],
      ['eth1', '00:e0:81:c7:ec:48', '-', 'UP'],
      ['bond0', '00:e0:81:c7:ec:49', '-', 'UP'],
    ]);
    expect(links[1].flags).toContain('SLAVE');
  });

  it('accepts newer iproute2 output (veth @ifN suffix, mode/group fields)', () => {
    const l = parseIpLink(
      '5: eth2@if6: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DEFAULT group default qlen 1000\\    link/ether 52:54:00:aa:01:02 brd ff:ff:ff:ff:ff:ff link-netns sw',
    );
    expect(l).toEqual([
      {
        index: 5,
        name: 'eth2',
        flags: ['BROADCAST', 'MULTICAST', 'UP', 'LOWER_UP'],
        mac: '52:54:00:aa:01:02',
        master: undefined,
        state: 'UP',
      },
    ]);
  });
});

describe('parseIpAddr (ip -o -4 addr show)', () => {
  it('reads EL6 and newer formats', () => {
    const text = [
      '1: lo    inet 127.0.0.1/8 scope host lo',
      '8: bond0    inet 10.20.0.1/16 brd 10.20.255.255 scope global bond0',
      '9: bond1    inet 10.10.0.1/16 brd 10.10.255.255 scope global bond1\\       valid_lft forever preferred_lft forever',
      '11: vbr2    inet 10.255.0.1/16 brd 10.255.255.255 scope global vbr2',
      '12: bond0    inet6 fe80::2e0:81ff:fec7:ec49/64 scope link',
    ].join('\n');
    expect(parseIpAddr(text)).toEqual([
      { dev: 'lo', ip: '127.0.0.1', prefix: 8 },
      { dev: 'bond0', ip: '10.20.0.1', prefix: 16 },
      { dev: 'bond1', ip: '10.10.0.1', prefix: 16 },
      { dev: 'vbr2', ip: '10.255.0.1', prefix: 16 },
    ]);
  });
});
