import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { loadAnswers } from '../../src/plan/load.js';
import { derivePlan } from '../../src/plan/derive.js';
import { finalFiles } from '../../src/engine/walk.js';
import { STEPS } from '../../steps/index.js';

const SCRIPTS = '/etc/sysconfig/network-scripts';
const IFCFG = ['vbr2', 'bond0', 'bond1', 'bond2', 'eth0', 'eth1', 'eth2', 'eth3', 'eth4', 'eth5'].map(
  (d) => `${SCRIPTS}/ifcfg-${d}`,
);

/** Lines with runs of whitespace collapsed, blank lines dropped. */
const norm = (s: string) =>
  s
    .split('\n')
    .map((l) => l.trim().replace(/\s+/g, ' '))
    .filter(Boolean);

const fixture = (node: string, path: string) => readFileSync(`test/fixtures/tutorial/${node}${path}`, 'utf8');

/** KEY="value" pairs of an ifcfg file. */
const kv = (s: string) =>
  Object.fromEntries(
    norm(s)
      .filter((l) => !l.startsWith('#'))
      .map((l) => [l.split('=')[0], l.slice(l.indexOf('=') + 1).replace(/^"|"$/g, '')]),
  );

describe('golden: the tutorial cluster', () => {
  const plan = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));
  const files = finalFiles(plan, STEPS);
  const n1 = files.get('an-node01')!;
  const n2 = files.get('an-node02')!;

  it.each(IFCFG)("an-node01 %s is the tutorial's listing", (path) => {
    expect(n1.get(path), `no file ${path} rendered`).toBeDefined();
    expect(norm(n1.get(path)!.content)).toEqual(norm(fixture('an-node01', path)));
  });

  it.each(['an-node01', 'an-node02'])("%s /etc/hosts is the tutorial's listing", (node) => {
    expect(norm(files.get(node)!.get('/etc/hosts')!.content)).toEqual(norm(fixture(node, '/etc/hosts')));
  });

  it("an-node02's ifcfg files have an-node01's shape with an-node02's own addresses and MACs", () => {
    const a = plan.nodes[1];
    for (const path of IFCFG) {
      const mine = kv(n2.get(path)!.content);
      const ref = kv(fixture('an-node01', path));
      expect(Object.keys(mine)).toEqual(Object.keys(ref));
      // the comment line too
      expect(norm(n2.get(path)!.content)[0]).toBe(norm(fixture('an-node01', path))[0]);
    }
    expect(kv(n2.get(`${SCRIPTS}/ifcfg-vbr2`)!.content).IPADDR).toBe('10.255.0.2');
    expect(kv(n2.get(`${SCRIPTS}/ifcfg-bond0`)!.content).IPADDR).toBe('10.20.0.2');
    expect(kv(n2.get(`${SCRIPTS}/ifcfg-bond1`)!.content).IPADDR).toBe('10.10.0.2');
    for (const i of a.ifaces)
      expect(kv(n2.get(`${SCRIPTS}/ifcfg-${i.dev}`)!.content).HWADDR).toBe(a.nics![i.net][i.link - 1]);
    expect(kv(n2.get(`${SCRIPTS}/ifcfg-eth3`)!.content).HWADDR).toBe('00:1B:21:9D:5A:10');
  });

  it('writes the ifcfg-eth files with a /root/backups copy of the originals, the new ones without', () => {
    expect(n1.get(`${SCRIPTS}/ifcfg-eth0`)!.spec.backup).toBe('root-backups');
    expect(n1.get(`${SCRIPTS}/ifcfg-bond0`)!.spec.backup).toBe('none');
  });

  it('edits /etc/selinux/config and /etc/ntp.conf like the tutorial', () => {
    const sel = n1.get('/etc/selinux/config')!.content;
    expect(sel).toMatch(/^SELINUX=disabled$/m);
    expect(sel).not.toMatch(/^SELINUX=enforcing$/m);
    expect(sel).toMatch(/^SELINUXTYPE=targeted$/m);
    const ntp = norm(n1.get('/etc/ntp.conf')!.content);
    expect(ntp.slice(-4)).toEqual([
      '# Enable writing of statistics records.',
      '#statistics clockstats cryptostats loopstats peerstats',
      'server tick.redhat.com',
      'restrict tick.redhat.com mask 255.255.255.255 nomodify notrap noquery',
    ]);
  });

  it('renders placeholders, not a bogus MAC, when the NICs are not captured yet', () => {
    const a = loadAnswers('examples/tutorial.anvil.yaml', {});
    delete a.nodes[0].nics;
    const p = derivePlan(a);
    const eth3 = finalFiles(p, STEPS).get('an-node01')!.get(`${SCRIPTS}/ifcfg-eth3`)!.content;
    expect(eth3).toMatch(/^HWADDR="\(MAC of eth3: captured by the NIC MAC capture step\)"$/m);
  });
});

describe('structural: a different cluster (test/fixtures/other.anvil.yaml)', () => {
  const plan = derivePlan(
    loadAnswers('test/fixtures/other.anvil.yaml', { ILO_PW: 'ilo-secret', RICCI_PW: 'ricci-secret' }),
  );
  const files = finalFiles(plan, STEPS);
  const a = files.get('kvm-a')!;
  const b = files.get('kvm-b')!;
  const f = (m: Map<string, { content: string }>, dev: string) => kv(m.get(`${SCRIPTS}/ifcfg-${dev}`)!.content);

  it('names the bridge from the answers, everywhere', () => {
    expect(a.has(`${SCRIPTS}/ifcfg-vbr2`)).toBe(false);
    expect(f(a, 'br-ifn')).toEqual({
      DEVICE: 'br-ifn',
      TYPE: 'Bridge',
      BOOTPROTO: 'static',
      IPADDR: '10.1.4.21',
      NETMASK: '255.255.0.0',
      GATEWAY: '10.1.0.1',
      DNS1: '10.1.0.53',
      DEFROUTE: 'yes',
    });
    expect(f(a, 'bond2').BRIDGE).toBe('br-ifn');
    expect(f(b, 'br-ifn').IPADDR).toBe('10.1.4.22');
  });

  it('derives netmasks from the CIDRs and bonding options from the answers', () => {
    expect(f(a, 'bond0')).toMatchObject({ IPADDR: '192.168.10.21', NETMASK: '255.255.255.0' });
    expect(f(a, 'bond1')).toMatchObject({ IPADDR: '172.16.5.21', NETMASK: '255.240.0.0' });
    for (const [bond, primary] of [
      ['bond0', 'eth0'],
      ['bond1', 'eth1'],
      ['bond2', 'eth2'],
    ])
      expect(f(b, bond).BONDING_OPTS).toBe(
        `mode=1 miimon=200 use_carrier=0 updelay=60000 downdelay=0 primary=${primary}`,
      );
    expect(f(a, 'bond2').IPADDR).toBeUndefined();
  });

  it('pins every interface to the MAC the answers give', () => {
    for (const [m, node] of [
      [a, plan.nodes[0]],
      [b, plan.nodes[1]],
    ] as const)
      for (const i of node.ifaces)
        expect(f(m, i.dev)).toMatchObject({
          HWADDR: node.nics![i.net][i.link - 1],
          DEVICE: i.dev,
          MASTER: i.bond,
          SLAVE: 'yes',
        });
    expect(f(b, 'eth4').HWADDR).toBe('52:54:00:BB:02:04');
  });

  it('writes hosts, SELinux and NTP from the answers', () => {
    const hosts = norm(a.get('/etc/hosts')!.content);
    expect(hosts).toContain('192.168.10.22 kvm-b kvm-b.bcn kvm-b.example.org');
    expect(hosts).toContain('172.16.5.21 kvm-a.sn');
    expect(hosts).toContain('192.168.10.201 pdu-a pdu-a.example.org');
    expect(norm(a.get('/etc/ntp.conf')!.content).slice(-2)).toEqual([
      'server ntp1.example.org',
      'restrict ntp1.example.org mask 255.255.255.255 nomodify notrap noquery',
    ]);
    const all = [...a.values(), ...b.values()].map((x) => x.content).join('\n');
    expect(all).not.toMatch(/alteeve|10\.20\.0\.|vbr2|tick\.redhat/);
  });
});
