import { beforeAll, describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { vmProvision, lvcreateCommand, loadedMedia, sizeMiB, vmsOn } from '../../steps/vm-provision.js';
import { pollDefaults } from '../../src/verify/poll.js';
import { FakeNode, fakeContext, runTask } from '../helpers/fake-node.js';
import { tutorialPlan } from '../helpers/tutorial-node.js';

beforeAll(() => {
  pollDefaults.intervalMs = 0;
  pollDefaults.tries = 2;
});

const p = tutorialPlan();
const t = (id: string) => vmProvision.tasks.find((x) => x.id === id)!;
const out = (f: string) => readFileSync(`test/fixtures/tutorial/outputs/${f}`, 'utf8');

describe('vm-provision', () => {
  it("creates each VM's LV on its host, in order, only once", async () => {
    expect(p.vms.map(lvcreateCommand)).toEqual([
      'lvcreate -L 150G -n vm0001-1 /dev/an01-vg0',
      'lvcreate -l 100%FREE -n vm0002-1 /dev/an01-vg0',
      'lvcreate -L 100G -n vm0003-1 /dev/an02-vg0',
      'lvcreate -l 100%FREE -n vm0004-1 /dev/an02-vg0',
    ]);
    expect(t('vm-provision.lvcreate').commands!(p, p.nodes[1])).toEqual([
      'lvcreate -L 100G -n vm0003-1 /dev/an02-vg0',
      'lvcreate -l 100%FREE -n vm0004-1 /dev/an02-vg0',
    ]);
    const lvs = ['  shared   shared-vg0'];
    const n = new FakeNode(p.nodes[0]);
    n.on('lvs --noheadings -o lv_name,vg_name', () => lvs.join('\n') + '\n');
    n.on(/^lvcreate -[lL] \S+ -n (\S+) \/dev\/(\S+)$/, (_c, m) => {
      lvs.push(`  ${m[1]} ${m[2]}`);
      return `  Logical volume "${m[1]}" created`;
    });
    const ctx = fakeContext(p, n, n);
    expect(await t('vm-provision.lvcreate').done!(ctx)).toBe(false);
    await expect(t('vm-provision.lvcreate').verify!(ctx)).rejects.toThrow(
      'missing /dev/an01-vg0/vm0001-1, /dev/an01-vg0/vm0002-1',
    );
    await runTask(t('vm-provision.lvcreate'), ctx);
    await runTask(t('vm-provision.lvcreate'), ctx);
    expect(n.commands.filter((c) => c.startsWith('lvcreate'))).toEqual([
      'lvcreate -L 150G -n vm0001-1 /dev/an01-vg0',
      'lvcreate -l 100%FREE -n vm0002-1 /dev/an01-vg0',
    ]);
    expect(await t('vm-provision.lvcreate').done!(ctx)).toBe(true);
  });

  it('writes the scripts on the host node and verifies them', async () => {
    const n = new FakeNode(p.nodes[1]).on(/^test -x /, '');
    const ctx = fakeContext(p, n, n);
    await runTask(t('vm-provision.scripts'), ctx);
    expect([...n.files.keys()]).toEqual(['/shared/provision/vm0003-db.sh', '/shared/provision/vm0004-ms.sh']);
    expect(n.modes.get('/shared/provision/vm0004-ms.sh')).toBe(0o755);
    expect((await t('vm-provision.scripts').verify!(ctx)).summary).toBe(
      '/shared/provision/vm0003-db.sh, /shared/provision/vm0004-ms.sh',
    );
    n.files.set('/shared/provision/vm0003-db.sh', 'echo hi\n');
    await expect(t('vm-provision.scripts').verify!(ctx)).rejects.toThrow('other content');
  });

  it('starts each install detached, once, and waits for the domain', async () => {
    const n = new FakeNode(p.nodes[1]);
    const domains = new Set<string>();
    n.on(/^virsh dominfo (\S+) >\/dev\/null 2>&1$/, (_c, m) => ({ code: domains.has(m[1]) ? 0 : 1 }));
    n.on(/^nohup (\S+) > (\S+) 2>&1 < \/dev\/null &$/, (_c, m) => {
      domains.add(m[1].replace(/^.*\/(.*)\.sh$/, '$1'));
      return '';
    });
    n.on(
      'virsh list --all',
      () =>
        ` Id Name                 State\n----------------------------------\n${[...domains].map((d, i) => `  ${i + 2} ${d.padEnd(20)} running`).join('\n')}\n`,
    );
    const ctx = fakeContext(p, n, n);
    expect(t('vm-provision.install').commands!(p, p.nodes[1])).toEqual([
      '/shared/provision/vm0003-db.sh',
      '/shared/provision/vm0004-ms.sh',
    ]);
    domains.add('vm0003-db');
    await runTask(t('vm-provision.install'), ctx);
    expect(n.commands.filter((c) => c.startsWith('nohup'))).toEqual([
      'nohup /shared/provision/vm0004-ms.sh > /root/vm0004-ms.virt-install.log 2>&1 < /dev/null &',
    ]);
    expect(await t('vm-provision.install').done!(ctx)).toBe(true);
    expect((await t('vm-provision.install').verify!(ctx)).summary).toBe('vm0003-db running, vm0004-ms running');

    const bad = new FakeNode(p.nodes[0])
      .on(/^virsh dominfo/, { code: 1 })
      .on(/^nohup /, '')
      .on(/^tail -n 20 /, 'ERROR    Error validating install location: Could not find an installable distribution');
    await expect(t('vm-provision.install').run!(fakeContext(p, bad, bad))).rejects.toMatchObject({
      hint: expect.stringContaining('Could not find an installable distribution'),
    });
  });

  it('the install gate checks that the media of a cdrom install were ejected', async () => {
    const gate = t('vm-provision.finish-install');
    expect(gate.kind).toBe('gate');
    expect(gate.gate!.checklist!(p)).toContain(
      'vm0004-ms: the floppy and DVD media are disconnected (Post-Install Housekeeping)',
    );
    expect(gate.gate!.instruct(p)).toContain('select Floppy 1 and click Disconnect');
    const withMedia =
      "<domain type='kvm'><name>vm0004-ms</name><devices><disk type='file' device='floppy'><driver name='qemu' type='raw' cache='none'/><source file='/shared/files/virtio-win-1.1.16.vfd'/><target dev='fda' bus='fdc'/></disk><disk type='file' device='cdrom'><source file='/shared/files/Windows_Server_2008_R2_64Bit_SP1.iso'/><target dev='hdc' bus='ide'/><readonly/></disk></devices></domain>";
    expect(loadedMedia(withMedia)).toEqual([
      'floppy /shared/files/virtio-win-1.1.16.vfd',
      'cdrom /shared/files/Windows_Server_2008_R2_64Bit_SP1.iso',
    ]);
    const ejected = withMedia.replace(/<source file='[^']*'\/>/g, '');
    expect(loadedMedia(ejected)).toEqual([]);
    const running = (xml: string) =>
      xml
        .replace("<domain type='kvm'>", "<domain type='kvm' id='2'>")
        .replace(
          '<devices>',
          "<os><type arch='x86_64' machine='rhel6.4.0'>hvm</type><boot dev='hd'/></os><on_reboot>restart</on_reboot><devices>",
        );
    const installer =
      "<domain type='kvm' id='1'><name>vm0001-dev</name><os><type arch='x86_64' machine='rhel6.4.0'>hvm</type><kernel>/var/lib/libvirt/boot/virtinst-vmlinuz.qBdv0H</kernel><initrd>/var/lib/libvirt/boot/virtinst-initrd.img.D1rA7C</initrd></os><on_reboot>destroy</on_reboot><devices></devices></domain>";
    const a = new FakeNode(p.nodes[0]).on(
      /^virsh dumpxml /,
      running(
        "<domain type='kvm'><devices><disk type='block' device='disk'><source dev='/dev/an01-vg0/vm0001-1'/></disk></devices></domain>",
      ),
    );
    const b = new FakeNode(p.nodes[1]).on(/^virsh dumpxml /, running(withMedia));
    await expect(gate.verify!(fakeContext(p, a, b))).rejects.toThrow(
      'vm0004-ms: floppy /shared/files/virtio-win-1.1.16.vfd',
    );
    b.on(/^virsh dumpxml /, running(ejected));
    expect((await gate.verify!(fakeContext(p, a, b))).summary).toBe(
      '4 VMs installed and running from their disks, no media loaded',
    );
    // NOTE: a definition saved before the first reboot would boot the installer from the cluster.
    a.on(/^virsh dumpxml /, installer);
    await expect(gate.verify!(fakeContext(p, a, b))).rejects.toThrow(
      /vm0001-dev: still boots the installer .*vm0001-dev: on_reboot is destroy/,
    );
    b.on(/^virsh dumpxml /, ejected);
    await expect(gate.verify!(fakeContext(p, a, b))).rejects.toThrow(/vm0004-ms: not running on an-node02/);
    expect(b.commands).toContain('virsh dumpxml vm0004-ms');
    expect(a.commands).toContain('virsh dumpxml vm0001-dev');
  });

  it("checks before provisioning that the disks fit their VGs, every VM fits one node's RAM and the media are there", async () => {
    expect(sizeMiB('150G')).toBe(153600);
    expect(sizeMiB('100%FREE')).toBeUndefined();
    const pre = t('vm-provision.precheck');
    // the tutorial's VGs (3261-3266) and memory (3267-3268)
    const vgs = '  an01-vg0   206458.00\n  an02-vg0   206080.00\n  shared-vg0      0.00\n';
    const mem = 'MemTotal:        8050312 kB\nMemFree:         7432288 kB\n';
    const media = ['/shared/files/Windows_Server_2008_R2_64Bit_SP1.iso', '/shared/files/virtio-win-1.1.16.vfd'];
    const mk = (n: (typeof p.nodes)[number], memText: string) =>
      new FakeNode(n)
        .on(/^lvs /, '')
        .on(/^vgs /, vgs)
        .on('cat /proc/meminfo', memText)
        .on(/^test -s /, (c) => ({ code: media.some((f) => c.endsWith(f)) ? 0 : 1 }));
    const a = mk(p.nodes[0], mem);
    const b = mk(p.nodes[1], mem);
    expect((await pre.verify!(fakeContext(p, a, b))).summary).toMatch(/4 VMs fit: 7168 MiB of RAM on one node/);
    media.pop();
    const small = mk(p.nodes[1], 'MemTotal:        4048312 kB\nMemFree:         3432288 kB\n');
    const tight = mk(p.nodes[0], mem).on(/^vgs /, '  an01-vg0   100000.00\n  an02-vg0   206080.00\n');
    await expect(pre.verify!(fakeContext(p, tight, small))).rejects.toThrow(
      /VG an01-vg0: vm0001-1 150G = 153600 MiB, but only 100000 MiB free.*an-node02: all 4 VMs need 7168 MiB of RAM when they run on this one node, but it has 3351 MiB free.*vm0004-ms: install media \/shared\/files\/virtio-win-1.1.16.vfd is missing/,
    );
  });

  it("saves the definitions and defines the other node's VMs; virsh list --all shows all four", async () => {
    expect(t('vm-provision.dumpxml').commands!(p, p.nodes[0])).toEqual([
      'virsh dumpxml vm0001-dev > /shared/definitions/vm0001-dev.xml',
      'virsh dumpxml vm0002-web > /shared/definitions/vm0002-web.xml',
    ]);
    expect(t('vm-provision.define-peer').commands!(p, p.nodes[0])).toEqual([
      'virsh define /shared/definitions/vm0003-db.xml',
      'virsh define /shared/definitions/vm0004-ms.xml',
    ]);
    const a = new FakeNode(p.nodes[0], {
      '/shared/definitions/vm0001-dev.xml': "<domain type='kvm' id='2'>\n  <name>vm0001-dev</name>\n</domain>\n",
      '/shared/definitions/vm0002-web.xml': '<domain/>',
    });
    await expect(t('vm-provision.dumpxml').verify!(fakeContext(p, a, a))).rejects.toThrow(
      '/shared/definitions/vm0002-web.xml with <name>vm0002-web</name>',
    );
    a.on('virsh list --all', out('virsh-list-an-node01-final.txt'));
    expect((await t('vm-provision.define-peer').verify!(fakeContext(p, a, a))).details).toEqual({
      'vm0001-dev': 'running',
      'vm0002-web': 'running',
      'vm0003-db': 'shut off',
      'vm0004-ms': 'shut off',
    });
    a.on('virsh list --all', out('virsh-list-an-node01-final.txt').replace(/.*vm0004-ms.*\n/, ''));
    await expect(t('vm-provision.define-peer').verify!(fakeContext(p, a, a))).rejects.toThrow('missing vm0004-ms');
    expect(vmsOn(p, p.nodes[1]).map((v) => v.name)).toEqual(['vm0003-db', 'vm0004-ms']);
  });
});
