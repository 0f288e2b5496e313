import { describe, expect, it } from 'vitest';
import { clusterSummary } from '../../src/report/summary.js';
import { derivePlan } from '../../src/plan/derive.js';
import { plans, OTHER, OTHER_ENV, OTHER_SECRETS, TUTORIAL } from './helpers.js';

describe('cluster summary', () => {
  it("has the second cluster's nodes, networks, NICs, fence matrix, DRBD layout and VMs", () => {
    const s = clusterSummary(plans(OTHER, OTHER_ENV).masked);
    expect(s.cluster).toMatchObject({ name: 'bc-prod-7', domain: 'example.org', postJoinDelay: 20 });
    expect(s.nodes.map((n) => `${n.fqdn}#${n.id}`)).toEqual(['kvm-a.example.org#11', 'kvm-b.example.org#12']);
    expect(s.networks.map((n) => `${n.key} ${n.cidr} ${n.netmask} ${n.iface} ${n.addresses.join('/')}`)).toEqual([
      'bcn 192.168.10.0/24 255.255.255.0 bond0 192.168.10.21/192.168.10.22',
      'sn 172.16.0.0/12 255.240.0.0 bond1 172.16.5.21/172.16.5.22',
      'ifn 10.1.0.0/16 255.255.0.0 br-ifn (bond2) 10.1.4.21/10.1.4.22',
    ]);
    expect(
      s.nics
        .filter((i) => i.node === 'kvm-b')
        .map((i) => `${i.dev} ${i.net} ${i.link} ${i.mac} ${i.bond}${i.primary ? ' primary' : ''}`),
    ).toEqual([
      'eth0 BCN 1 52:54:00:BB:02:00 bond0 primary',
      'eth1 SN 1 52:54:00:BB:02:01 bond1 primary',
      'eth2 IFN 1 52:54:00:BB:02:02 bond2 primary',
      'eth3 BCN 2 52:54:00:BB:02:03 bond0',
      'eth4 SN 2 52:54:00:BB:02:04 bond1',
      'eth5 IFN 2 52:54:00:BB:02:05 bond2',
    ]);
    expect(s.fence.map((f) => `${f.node} ${f.order} ${f.method} ${f.device}:${f.port} ${f.action}`)).toEqual([
      'kvm-a 1 ilo ilo_ka: reboot',
      'kvm-a 2 pdus pdu-a:3 reboot',
      'kvm-a 2 pdus pdu-b:3 reboot',
      'kvm-b 1 ilo ilo_kb: reboot',
      'kvm-b 2 pdus pdu-a:4 reboot',
      'kvm-b 2 pdus pdu-b:4 reboot',
    ]);
    expect(
      s.drbd.map((r) => `${r.name} ${r.device} ${r.partition} ${r.start}-${r.end} ${r.port} ${r.vg} ${r.primary}`),
    ).toEqual([
      'shared /dev/drbd10 /dev/vda5 60GB-100GB 7810 shared-vg (shared)',
      'vmsa /dev/drbd11 /dev/vda6 100GB-400GB 7811 ka-vg0 kvm-a',
      'vmsb /dev/drbd12 /dev/vda7 400GB-100% 7812 kb-vg0 kvm-b',
    ]);
    expect(
      s.vms.map((v) => `${v.name} ${v.host} ${v.lvPath} ${v.size} ${v.ram} ${v.vcpus} ${v.os} ${v.domain}`),
    ).toEqual([
      'mail01 kvm-b /dev/kb-vg0/mail01-disk 80G 2048 MiB 4 linux/rhel6 primary_kb',
      'win-app kvm-a /dev/ka-vg0/winapp-disk 100%FREE 4096 MiB 2 windows/win2k8 primary_ka',
    ]);
    expect(s.gfs2).toMatchObject({ device: '/dev/shared-vg/gfs', mount: '/cluster', lockTable: 'bc-prod-7:gfs' });
  });

  it('masks fence passwords even when built from the real plan', () => {
    const s = clusterSummary(plans(OTHER, OTHER_ENV).plan);
    const text = JSON.stringify(s);
    for (const x of OTHER_SECRETS) expect(text).not.toContain(x);
    expect(s.fenceDevices[0].attrs).toContainEqual({ key: 'passwd', value: '********' });
  });

  it('marks MACs the answers leave to capture', () => {
    const { answers } = plans(TUTORIAL);
    delete (answers.nodes[1] as { nics?: unknown }).nics;
    const s = clusterSummary(derivePlan(answers));
    expect(s.nics.filter((i) => i.node === 'an-node02').every((i) => i.mac === '(captured at install)')).toBe(true);
    expect(s.nics.find((i) => i.node === 'an-node01')!.mac).toBe('00:E0:81:C7:EC:49');
  });
});
