import { describe, expect, it } from 'vitest';
import { packages, PACKAGES, addNtpServer } from '../../steps/packages.js';
import { renderTemplate } from '../../src/engine/render.js';
import { CommandFailed } from '../../src/errors.js';
import { FakeNode, fakeContext, runTask } from '../helpers/fake-node.js';
import { tutorialPlan } from '../helpers/tutorial-node.js';

const task = (id: string) => packages.tasks.find((t) => t.id === id)!;
const p = tutorialPlan();
const n1 = p.nodes[0];
const NET_HEAD = 'Name                 State      Autostart\n-----------------------------------------\n';

describe('packages.install', () => {
  it("installs the tutorial's list and verifies every package with rpm -q", async () => {
    expect(task('packages.install').commands!(p, n1)).toEqual([
      'yum install -y cman corosync rgmanager ricci gfs2-utils ntp libvirt lvm2-cluster qemu-kvm qemu-kvm-tools virt-install virt-viewer syslinux wget gpm rsync',
    ]);
    const installed = PACKAGES.map((x) => `${x}-1.0-1.el6.x86_64`);
    const f = new FakeNode(n1).on(`rpm -q ${PACKAGES.join(' ')}`, installed.join('\n') + '\n');
    expect((await task('packages.install').verify!(fakeContext(p, f, f))).summary).toBe('16 packages installed');
    f.on(`rpm -q ${PACKAGES.join(' ')}`, {
      code: 1,
      stdout: installed.filter((l) => !l.startsWith('gpm-')).join('\n') + '\npackage gpm is not installed\n',
    });
    await expect(task('packages.install').verify!(fakeContext(p, f, f))).rejects.toThrow('not installed: gpm');
  });
});

describe('packages.libvirt-bridge', () => {
  function node() {
    const state = { running: false, defined: true, active: true };
    const f = new FakeNode(n1)
      .on('/etc/init.d/libvirtd status', () => ({ code: state.running ? 0 : 3 }))
      .on('/etc/init.d/libvirtd start', () => ((state.running = true), 'Starting libvirtd daemon: [  OK  ]\n'))
      .on('virsh net-destroy default', () => {
        if (!state.defined)
          return {
            code: 1,
            stderr:
              "error: failed to get network 'default'\nerror: Network not found: no network with matching name 'default'\n",
          };
        if (!state.active)
          return {
            code: 1,
            stderr:
              'error: Failed to destroy network default\nerror: Requested operation is not valid: network is not active\n',
          };
        state.active = false;
        return 'Network default destroyed\n';
      })
      .on('virsh net-autostart default --disable', () =>
        state.defined
          ? 'Network default unmarked as autostarted\n'
          : {
              code: 1,
              stderr:
                "error: failed to get network 'default'\nerror: Network not found: no network with matching name 'default'\n",
            },
      )
      .on('virsh net-undefine default', () => {
        if (!state.defined)
          return {
            code: 1,
            stderr:
              "error: failed to get network 'default'\nerror: Network not found: no network with matching name 'default'\n",
          };
        state.defined = false;
        return 'Network default has been undefined\n';
      })
      .on(
        'virsh net-list --all',
        () =>
          NET_HEAD + (state.defined ? `default              ${state.active ? 'active' : 'inactive'}     yes\n` : '\n'),
      );
    return f;
  }

  it('starts libvirtd if needed, removes the default network, and tolerates "not found" on a re-run', async () => {
    const f = node();
    const ctx = fakeContext(p, f, f);
    await expect(task('packages.libvirt-bridge').verify!(ctx)).rejects.toThrow('saw default active, autostart yes');
    await runTask(task('packages.libvirt-bridge'), ctx);
    await runTask(task('packages.libvirt-bridge'), ctx);
    expect(f.commands.filter((c) => c === '/etc/init.d/libvirtd start')).toHaveLength(1);
    expect((await task('packages.libvirt-bridge').verify!(ctx)).summary).toBe('no default network (no networks)');
  });

  it('still fails on other virsh errors', async () => {
    const f = node()
      .on('/etc/init.d/libvirtd status', '')
      .on('virsh net-destroy default', { code: 1, stderr: 'error: failed to connect to the hypervisor\n' });
    await expect(runTask(task('packages.libvirt-bridge'), fakeContext(p, f, f))).rejects.toBeInstanceOf(CommandFailed);
  });
});

describe('packages.ntp-conf and packages.ntpd', () => {
  it("appends the tutorial's two lines once", () => {
    const stock = renderTemplate('etc/ntp.conf.ejs', {});
    const edit = addNtpServer('tick.redhat.com');
    const once = edit(stock);
    expect(edit(once)).toBe(once);
    expect(once.trimEnd().split('\n').slice(-4)).toEqual(
      task('packages.ntp-conf').expectedOutput!(p, n1).split('\n').slice(1),
    );
  });

  it('verify reads ntp.conf; ntpd: on at boot and running', async () => {
    const f = new FakeNode(n1, { '/etc/ntp.conf': 'driftfile /var/lib/ntp/drift\n' });
    const ctx = fakeContext(p, f, f);
    await expect(task('packages.ntp-conf').verify!(ctx)).rejects.toThrow('server tick.redhat.com');
    await runTask(task('packages.ntp-conf'), ctx);
    expect(f.files.get('/etc/ntp.conf.orig')).toBe('driftfile /var/lib/ntp/drift\n');
    await task('packages.ntp-conf').verify!(ctx);

    let running = false;
    f.on('chkconfig ntpd on', '')
      .on('/etc/init.d/ntpd status', () =>
        running ? 'ntpd (pid  2302) is running...\n' : { code: 3, stdout: 'ntpd is stopped\n' },
      )
      .on(
        '/etc/init.d/ntpd start',
        () => ((running = true), 'Starting ntpd:                                             [  OK  ]\n'),
      )
      .on('/etc/init.d/ntpd restart', 'Shutting down ntpd: [  OK  ]\nStarting ntpd: [  OK  ]\n')
      .on('chkconfig --list ntpd', 'ntpd           \t0:off\t1:off\t2:on\t3:on\t4:on\t5:on\t6:off\n');
    await runTask(task('packages.ntpd'), ctx);
    await runTask(task('packages.ntpd'), ctx);
    expect(f.commands.filter((c) => /ntpd (start|restart)$/.test(c))).toEqual([
      '/etc/init.d/ntpd start',
      '/etc/init.d/ntpd restart',
    ]);
    expect((await task('packages.ntpd').verify!(ctx)).summary).toBe(
      'ntpd on at boot and running: ntpd (pid  2302) is running...',
    );
  });
});
