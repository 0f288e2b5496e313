import { describe, it, expect } from 'vitest';
import { world, run, tutorial } from './helpers.js';

const PACKAGES =
  'cman corosync rgmanager ricci gfs2-utils ntp libvirt lvm2-cluster qemu-kvm qemu-kvm-tools virt-install virt-viewer syslinux wget gpm rsync';

describe('security step: firewall and SELinux', () => {
  it('stops the firewalls with EL6 messages and diffs the SELinux change like the tutorial', async () => {
    const n = world().nodes['an-node01'];
    expect((await run(n, 'service iptables status')).out.split('\n')[0]).toBe('Table: filter');
    expect((await run(n, 'chkconfig iptables off && chkconfig ip6tables off')).code).toBe(0);
    const stop = await run(n, '/etc/init.d/iptables stop');
    expect(stop.out).toBe(
      'iptables: Flushing firewall rules:                         [  OK  ]\niptables: Setting chains to policy ACCEPT: filter          [  OK  ]\niptables: Unloading modules:                               [  OK  ]\n',
    );
    expect((await run(n, '/etc/init.d/ip6tables stop')).out.split('\n')[0]).toBe(
      'ip6tables: Flushing firewall rules:                        [  OK  ]',
    );
    expect(await run(n, 'service iptables status')).toEqual({
      out: 'iptables: Firewall is not running.\n',
      err: '',
      code: 3,
    });
    expect((await run(n, 'chkconfig --list iptables')).out).toBe(
      'iptables       \t0:off\t1:off\t2:off\t3:off\t4:off\t5:off\t6:off\n',
    );

    await run(n, 'cp /etc/selinux/config /etc/selinux/config.orig');
    await run(n, "sed -i 's/^SELINUX=enforcing/SELINUX=disabled/' /etc/selinux/config");
    const d = await run(n, 'diff -u /etc/selinux/config.orig /etc/selinux/config');
    expect(d.code).toBe(1);
    const lines = d.out.split('\n');
    expect(lines[0]).toMatch(/^--- \/etc\/selinux\/config\.orig\t\d{4}-\d\d-\d\d \d\d:\d\d:\d\d\.\d{9} \+0000$/);
    expect(lines[1]).toMatch(/^\+\+\+ \/etc\/selinux\/config\t/);
    const hunk = lines.slice(2).join('\n');
    const expected = `@@ -4,7 +4,7 @@
 #     enforcing - SELinux security policy is enforced.
 #     permissive - SELinux prints warnings instead of enforcing.
 #     disabled - No SELinux policy is loaded.
-SELINUX=enforcing
+SELINUX=disabled
 # SELINUXTYPE= can take one of these two values:
 #     targeted - Targeted processes are protected,
 #     mls - Multi Level Security protection.
`;
    expect(hunk).toBe(expected);
    if (tutorial)
      expect(
        tutorial
          .slice(380, 391)
          .join('\n')
          .replace(/(Security protection\.)[\s\S]*$/, '$1\n'),
      ).toBe(expected);
    expect((await run(n, 'readlink /etc/sysconfig/selinux; grep ^SELINUX= /etc/sysconfig/selinux')).out).toBe(
      '../selinux/config\nSELINUX=disabled\n',
    );
  }, 30000);
});

describe('packages step: yum, chkconfig, virsh, ntp', () => {
  it('installs the tutorial package set from the local catalogue', async () => {
    const n = world().nodes['an-node01'];
    expect((await run(n, 'which virsh')).code).toBe(1);
    expect((await run(n, 'virsh net-list --all')).err).toBe('bash: virsh: command not found\n');
    const r = await run(n, `yum install -y ${PACKAGES}`);
    expect(r.code).toBe(0);
    expect(r.out).toContain('Package rsync-3.0.6-9.el6.x86_64 already installed and latest version\n');
    expect(r.out).toMatch(/\nComplete!\n$/);
    for (const p of PACKAGES.split(' ')) expect((await run(n, `rpm -q ${p}`)).code).toBe(0);
    expect((await run(n, 'rpm -q cman')).out).toBe('cman-3.0.12.1-49.el6.x86_64\n');
    expect((await run(n, 'yum install -y nosuchpkg')).err).toBe('Error: Nothing to do\n');
    expect((await run(n, 'which virsh gethostip')).out).toBe('/usr/bin/virsh\n/usr/bin/gethostip\n');
    expect((await run(n, 'chkconfig --list libvirtd')).out).toBe(
      'libvirtd       \t0:off\t1:off\t2:off\t3:on\t4:on\t5:on\t6:off\n',
    );
    expect((await run(n, 'chkconfig --list ntpd')).out).toBe(
      'ntpd           \t0:off\t1:off\t2:off\t3:off\t4:off\t5:off\t6:off\n',
    );
    // Without -y yum asks; no answer on stdin means no.
    const ask = await run(n, 'yum install drbd83-utils');
    expect(ask.out).toContain('No package drbd83-utils available.');
    const rm = await run(n, 'yum remove gpm');
    expect(rm.code).toBe(1);
    expect(rm.out).toMatch(/Is this ok \[y\/N\]: Exiting on user Command\n$/);
    expect((await run(n, 'yum remove gpm', 'y\n')).code).toBe(0);
    expect((await run(n, 'rpm -q gpm')).out).toBe('package gpm is not installed\n');
  }, 30000);

  it("disables libvirt's default network with the tutorial's messages", async () => {
    const n = world().nodes['an-node01'];
    await run(n, 'yum install -y libvirt');
    expect((await run(n, 'virsh net-list --all')).err).toMatch(/^error: Failed to reconnect to the hypervisor\n/);
    await run(n, '/etc/init.d/libvirtd start');
    expect((await run(n, 'virsh net-list --all')).out).toBe(
      'Name                 State      Autostart     Persistent\n--------------------------------------------------\ndefault              active     yes           yes\n\n',
    );
    expect((await run(n, 'ip -o -4 addr show virbr0')).out).toBe(
      '12: virbr0    inet 192.168.122.1/24 brd 192.168.122.255 scope global virbr0\n'.replace(
        '12:',
        `${n.net.ifaces.virbr0.index}:`,
      ),
    );
    expect((await run(n, 'virsh net-destroy default')).out).toBe('Network default destroyed\n\n');
    expect(n.net.ifaces.virbr0).toBeUndefined();
    expect((await run(n, 'virsh net-autostart default --disable')).out).toBe(
      'Network default unmarked as autostarted\n\n',
    );
    expect((await run(n, 'virsh net-undefine default')).out).toBe('Network default has been undefined\n\n');
    expect((await run(n, 'virsh net-list --all')).out).toBe(
      'Name                 State      Autostart     Persistent\n--------------------------------------------------\n\n',
    );
    expect((await run(n, 'virsh net-destroy default')).code).toBe(1);
    // The blank-file route: libvirtd started later finds no network to bring up.
    const m = world().nodes['an-node02'];
    await run(
      m,
      'yum install -y libvirt && cat /dev/null >/etc/libvirt/qemu/networks/default.xml && service libvirtd start',
    );
    expect(m.net.ifaces.virbr0).toBeUndefined();
  }, 30000);

  it('appends the NTP server and starts ntpd as the tutorial shows', async () => {
    const n = world().nodes['an-node01'];
    await run(n, 'yum install -y ntp');
    await run(
      n,
      "echo server tick.redhat.com$'\\n'restrict tick.redhat.com mask 255.255.255.255 nomodify notrap noquery >> /etc/ntp.conf",
    );
    const tail = `# Enable writing of statistics records.
#statistics clockstats cryptostats loopstats peerstats
server tick.redhat.com
restrict tick.redhat.com mask 255.255.255.255 nomodify notrap noquery
`;
    expect((await run(n, 'tail -n 4 /etc/ntp.conf')).out).toBe(tail);
    await run(n, 'chkconfig ntpd on');
    expect((await run(n, '/etc/init.d/ntpd start')).out).toBe(
      'Starting ntpd:                                             [  OK  ]\n',
    );
    if (tutorial)
      expect(tutorial[1055].replace(/^\/etc\/init.d\/ntpd start/, '').replace(/Configuration Methods$/, '')).toBe(
        'Starting ntpd:                                             [  OK  ]',
      );
    expect((await run(n, 'service ntpd status')).out).toMatch(/^ntpd \(pid {2}\d+\) is running\.\.\.\n$/);
    expect((await run(n, 'service ntpd stop; service ntpd stop')).out).toBe(
      'Shutting down ntpd:                                        [  OK  ]\nShutting down ntpd:                                        [FAILED]\n',
    );
    expect(await run(n, 'service ntpd status')).toEqual({ out: 'ntpd is stopped\n', err: '', code: 3 });
    expect((await run(n, '/etc/init.d/ntpd bogus')).code).toBe(2);
    expect((await run(n, 'service nosuch start')).err).toBe('nosuch: unrecognized service\n');
    expect((await run(n, 'chkconfig nosuch on')).err).toBe(
      'error reading information on service nosuch: No such file or directory\n',
    );
  }, 30000);
});
