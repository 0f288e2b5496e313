import { describe, it, expect } from 'vitest';
import { loadAnswers } from '../../src/plan/load.js';
import { createWorld } from '../../src/lab/world.js';
import { run, networked, world, bootsBack } from './helpers.js';
import { POWER_ON_BOOT_MS } from '../../src/lab/power/power.js';

describe('world: creation from answers', () => {
  it('names nodes, MACs and addresses from the answers; generates missing MACs deterministically', async () => {
    const a = loadAnswers('examples/tutorial.anvil.yaml', { ...process.env });
    const w = createWorld({ answers: a });
    expect(Object.keys(w.nodes)).toEqual(['an-node01', 'an-node02']);
    const n2 = w.nodes['an-node02'];
    expect((await run(n2, 'hostname; uname -n')).out).toBe('an-node02.alteeve.ca\nan-node02.alteeve.ca\n');
    expect((await run(n2, 'grep HWADDR /etc/sysconfig/network-scripts/ifcfg-eth3')).out).toBe(
      'HWADDR="00:1B:21:9D:5A:10"\n',
    );
    expect(n2.nics.map((x) => `${x.name}@${x.switch}`)).toEqual([
      'eth0@sw1',
      'eth1@sw1',
      'eth2@sw1',
      'eth3@sw2',
      'eth4@sw2',
      'eth5@sw2',
    ]);
    expect(w.pdus).toEqual([
      { name: 'pdu2', ip: '10.20.2.2', up: true, outlets: { '1': 'an-node01', '2': 'an-node02' } },
    ]);
    expect(w.bmcs.map((b) => `${b.node}=${b.ip}`)).toEqual(['an-node01=10.20.1.1', 'an-node02=10.20.1.2']);

    const noMacs = { ...a, nodes: a.nodes.map((n) => ({ ...n, nics: undefined })) };
    const x = createWorld({ answers: noMacs, seed: 42 });
    const y = createWorld({ answers: noMacs, seed: 42 });
    expect(x.nodes['an-node01'].nics.map((n) => n.mac)).toEqual(y.nodes['an-node01'].nics.map((n) => n.mac));
    expect(new Set([...x.nodes['an-node01'].nics, ...x.nodes['an-node02'].nics].map((n) => n.mac)).size).toBe(12);
  }, 30000);

  it('seeds a minimal CentOS 6.4', async () => {
    const n = world().nodes['an-node01'];
    expect(
      (
        await run(
          n,
          'cat /etc/redhat-release; grep HOSTNAME /etc/sysconfig/network; test -d /root/.ssh || echo no-ssh-dir',
        )
      ).out,
    ).toBe('CentOS release 6.4 (Final)\nHOSTNAME=an-node01.alteeve.ca\nno-ssh-dir\n');
    expect(
      (
        await run(
          n,
          'test -b /dev/sda && echo block; grep -c . /etc/hosts; grep -E "^(filter|    filter|    locking_type|    fallback_to_local_locking) =" /etc/lvm/lvm.conf',
        )
      ).out,
    ).toBe('block\n2\n    filter = [ "a/.*/" ]\n    locking_type = 1\n    fallback_to_local_locking = 1\n');
    expect((await run(n, 'cat /etc/sysconfig/network-scripts/ifcfg-eth1')).out).toMatch(
      /^DEVICE="eth1"\nBOOTPROTO="dhcp"\nHWADDR="00:E0:81:C7:EC:48"\nNM_CONTROLLED="yes"\nONBOOT="no"\nTYPE="Ethernet"\nUUID="[0-9a-f-]{36}"\n$/,
    );
    const chk = (await run(n, 'chkconfig --list | cut -f1,5 | tr -s " " | sort')).out;
    expect(chk).toContain('NetworkManager \t3:on\n');
    expect(chk).toContain('sshd \t3:on\n');
    expect(chk).toContain('iptables \t3:on\n');
    expect(chk).toContain('acpid \t3:on\n');
    expect(chk).toContain('network \t3:on\n');
    for (const s of ['NetworkManager', 'iptables', 'ip6tables', 'sshd', 'acpid'])
      expect((await run(n, `service ${s} status`)).code).toBe(0);
    expect((await run(n, 'getenforce; stat -c "%a %U" /etc/ssh/ssh_host_rsa_key')).out).toBe('Enforcing\n600 root\n');
  }, 30000);
});

describe('world: faults, power and serialization', () => {
  it('round-trips the whole world through JSON', async () => {
    const w = world();
    await networked(w);
    const n1 = w.nodes['an-node01'];
    await run(
      n1,
      'ssh-keygen -t rsa -N "" -b 2047 -f ~/.ssh/id_rsa -q && yum -y install ntp && chkconfig ntpd on && service ntpd start && echo hi > /root/note',
    );
    w.fault({ kind: 'cable', node: 'an-node01', nic: 'eth0', up: false });
    w.advance(5000);
    const before = { bond: (await run(n1, 'cat /proc/net/bonding/bond0')).out, date: (await run(n1, 'date +%s')).out };
    const json = JSON.parse(JSON.stringify(w.toJSON()));
    const v = createWorld({ saved: json });
    const m1 = v.nodes['an-node01'];
    expect(
      (
        await run(
          m1,
          'cat /root/note; rpm -q ntp; service ntpd status >/dev/null && echo running; chkconfig --list ntpd | cut -f5',
        )
      ).out,
    ).toBe('hi\nntp-4.2.4p8-3.el6.centos.x86_64\nrunning\n3:on\n');
    expect((await run(m1, 'cat /proc/net/bonding/bond0')).out).toBe(before.bond);
    expect(m1.fs.readText('/root/.ssh/id_rsa')).toBe(n1.fs.readText('/root/.ssh/id_rsa'));
    expect(m1.fs.readText('/etc/ssh/ssh_host_rsa_key')).toBe(n1.fs.readText('/etc/ssh/ssh_host_rsa_key'));
    expect(Number((await run(m1, 'date +%s')).out)).toBeGreaterThanOrEqual(Number(before.date));
    expect(JSON.stringify(v.toJSON().nodes.map((n) => n.fs))).toBe(JSON.stringify(w.toJSON().nodes.map((n) => n.fs)));
    expect(() => createWorld({ saved: { nope: 1 } })).toThrow(/not a saved lab world/);
  }, 30000);

  it('power off/on: unreachable, then boots with services per chkconfig and the network re-applied', async () => {
    const w = world();
    await networked(w);
    const drops: string[] = [];
    let changes = 0;
    w.on('drop-sessions', (n) => drops.push(n));
    w.on('change', () => changes++);
    const n1 = w.nodes['an-node01'];
    await run(n1, 'yum -y install ntp && chkconfig ntpd on && chkconfig acpid off && service acpid status');
    w.fault({ kind: 'power', node: 'an-node01', on: false });
    expect(drops).toEqual(['an-node01']);
    expect(n1.reachable()).toBe(false);
    await expect(n1.exec('true')).rejects.toThrow(/powered off/);
    w.fault({ kind: 'power', node: 'an-node01', on: true });
    // NOTE: powered on, it is in POST until init starts (POWER_ON_BOOT_MS of lab time).
    expect(n1.power).toBe('on');
    expect(n1.reachable()).toBe(false);
    await expect(n1.exec('true')).rejects.toThrow(/booting/);
    expect(await bootsBack(w, n1)).toBeGreaterThanOrEqual(POWER_ON_BOOT_MS);
    expect(n1.reachable()).toBe(true);
    expect(
      (
        await run(
          n1,
          'service ntpd status >/dev/null && echo ntpd; service acpid status; cat /proc/net/bonding/bond0 | grep Active',
        )
      ).out,
    ).toBe('ntpd\nacpid is stopped\nCurrently Active Slave: eth0\n');
    expect(changes).toBeGreaterThan(0);
  }, 30000);

  it('a crash (sysrq or injected) hangs the node until power-cycled; drop-ssh only emits', async () => {
    const w = world();
    const drops: string[] = [];
    w.on('drop-sessions', (n) => drops.push(n));
    const n1 = w.nodes['an-node01'];
    const r = await run(n1, 'echo c > /proc/sysrq-trigger; echo after');
    expect(r.out).toBe('');
    expect(r.code).toBe(255);
    expect(n1.reachable()).toBe(false);
    expect(n1.hung).toBe(true);
    expect(drops).toEqual(['an-node01']);
    expect((await run(w.nodes['an-node02'], 'ping -c 1 10.20.0.1')).code).toBe(1);
    w.fault({ kind: 'power', node: 'an-node01', on: false });
    w.fault({ kind: 'power', node: 'an-node01', on: true });
    expect(n1.reachable()).toBe(false);
    await bootsBack(w, n1);
    expect(n1.reachable()).toBe(true);
    w.fault({ kind: 'crash', node: 'an-node02' });
    expect(w.nodes['an-node02'].reachable()).toBe(false);
    w.fault({ kind: 'drop-ssh', node: 'an-node01' });
    expect(drops).toEqual(['an-node01', 'an-node02', 'an-node01']);
    expect(n1.reachable()).toBe(true);
  }, 30000);

  it('reboot takes the node down now and brings it back with the on-disk state', async () => {
    const w = world();
    const n1 = w.nodes['an-node01'];
    await run(n1, "sed -i 's/^SELINUX=enforcing/SELINUX=disabled/' /etc/selinux/config; hostname other");
    expect((await run(n1, 'getenforce')).out).toBe('Enforcing\n');
    const r = await run(n1, 'reboot; echo never');
    expect(r.out).toBe('');
    expect(n1.reachable()).toBe(false);
    await w.settle();
    expect(n1.reachable()).toBe(true);
    expect((await run(n1, 'hostname; grep ^SELINUX= /etc/selinux/config; getenforce')).out).toBe(
      'an-node01.alteeve.ca\nSELINUX=disabled\nDisabled\n',
    );
  }, 30000);
});
