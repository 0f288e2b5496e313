/**
 * Every exact command string the storage steps send (review §5.1, drbd-install .. gfs2), in order, on
 * fresh in-process nodes with a fake quorate cluster: exit codes and the outputs the steps read.
 */
import { describe, expect, it } from 'vitest';
import { answers, run, storageWorld } from './setup.js';
import { derivePlan } from '../../../src/plan/derive.js';
import { drbdFiles, expectedDump } from '../../../steps/drbd-config.js';
import { editLvmConf } from '../../../steps/clvm.js';
import { renderFile } from '../../../src/engine/render.js';
import { parseProcDrbd } from '../../../src/verify/proc-drbd.js';
import { parseDrbdStatus } from '../../../src/verify/drbd-status.js';
import { parsePartedHuman } from '../../../src/verify/parted.js';
import { syncKernel } from '../../../src/lab/storage/parted.js';
import { parsePvscan, parseVgscan, parseLvscan } from '../../../src/verify/lvm-scan.js';
import { parseGfs2Status, parseGfs2Table, parseGfs2Uuid } from '../../../src/verify/gfs2-status.js';
import { destructiveLog } from '../../../src/lab/storage/index.js';
import type { LabNode } from '../../../src/lab/node/node.js';
import { tutorial } from '../helpers.js';

/** Tutorial lines a..b (1-based, inclusive) with the glued command in front and the prose after cut off. */
function capture(a: number, b: number, cmd: string, end: RegExp): string | undefined {
  if (!tutorial) return undefined;
  const l = tutorial.slice(a - 1, b);
  l[0] = l[0].startsWith(cmd) ? l[0].slice(cmd.length) : l[0];
  l[l.length - 1] = l[l.length - 1].replace(end, '$1');
  return l.join('\n') + '\n';
}

async function ok(n: LabNode, cmd: string, stdin?: string) {
  const r = await run(n, cmd, stdin);
  if (r.code !== 0) throw new Error(`${n.name}: \`${cmd}\` exited ${r.code}\n${r.out}${r.err}`);
  return r.out;
}

describe('storage steps 12-16: the exact command strings on fresh nodes', () => {
  it('runs drbd-install, drbd-partitions, drbd-config, clvm and gfs2 as the steps send them', async () => {
    const a = answers('examples/tutorial.anvil.yaml');
    const w = await storageWorld(a);
    const p = derivePlan(a, { freeStart: '47.5GB' });
    const [n1, n2] = [w.nodes['an-node01'], w.nodes['an-node02']];
    const both = async (f: (n: LabNode) => Promise<unknown>) => Promise.all([f(n1), f(n2)]);

    // drbd-install
    await both(async (n) => {
      await ok(n, 'yum install -y wget lvm2-cluster gfs2-utils >/dev/null');
      await ok(n, 'rpm --import http://elrepo.org/RPM-GPG-KEY-elrepo.org');
      const r = await ok(
        n,
        'rpm -q elrepo-release >/dev/null 2>&1 || rpm -Uvh http://elrepo.org/elrepo-release-6-4.el6.elrepo.noarch.rpm',
      );
      expect(r).toBe(
        'Retrieving http://elrepo.org/elrepo-release-6-4.el6.elrepo.noarch.rpm\nPreparing...                ########################################### [100%]\n   1:elrepo-release         ########################################### [100%]\n',
      );
      await ok(n, 'yum install -y drbd83-utils kmod-drbd83');
      expect(await ok(n, 'rpm -q drbd83-utils kmod-drbd83')).toBe(
        'drbd83-utils-8.3.12-1.el6.elrepo.x86_64\nkmod-drbd83-8.3.12-1.el6.elrepo.x86_64\n',
      );
      await ok(n, 'wget -c https://alteeve.ca/files/an-cluster/sbin/obliterate-peer.sh -O /sbin/obliterate-peer.sh');
      await ok(n, 'chmod a+x /sbin/obliterate-peer.sh');
      expect(await ok(n, 'ls -lah /sbin/obliterate-peer.sh')).toMatch(
        /^-rwxr-xr-x\.? 1 root root 2.1K May {2}4 {2}2011 \/sbin\/obliterate-peer.sh\n$/,
      );
      await ok(
        n,
        'test -s /sbin/obliterate-peer.sh && test -x /sbin/obliterate-peer.sh && ls -l /sbin/obliterate-peer.sh',
      );
    });

    // drbd-partitions
    await both(async (n) => {
      const t = parsePartedHuman(await ok(n, 'parted -s /dev/sda unit GB print free'));
      expect(t.rows.filter((r) => r.free).map((r) => r.start)).toContain('47.5GB');
      for (const c of [
        'parted -s -a optimal /dev/sda mkpart extended 47.5GB 100%',
        'parted -s -a optimal /dev/sda mkpart logical 47.5GB 67.5GB',
        'parted -s -a optimal /dev/sda mkpart logical 67.5GB 284GB',
        'parted -s -a optimal /dev/sda mkpart logical 284GB 100%',
      ])
        // parted 2.1 on the busy system disk: exit 1 with the kernel re-read warning (2200-2202)
        expect(await run(n, c)).toEqual({
          code: 1,
          out: 'Warning: WARNING: the kernel failed to re-read the partition table on /dev/sda\n(Device or resource busy).  As a result, it may not reflect all of your changes\nuntil after reboot.\n',
          err: '',
        });
      for (const k of [5, 6, 7])
        expect(await run(n, `parted -s /dev/sda align-check opt ${k}`)).toEqual({ code: 0, out: '', err: '' });
      expect(await ok(n, 'cat /proc/partitions')).not.toMatch(/ sda5\n/);
      // the reboot the step does next (2271): the kernel reads the new table at boot
      for (const disk of Object.keys(n.disks)) syncKernel(n, disk);
      const parts = await ok(n, 'cat /proc/partitions');
      expect(parts).toMatch(/ sda5\n/);
      expect(parts).toMatch(/ sda7\n/);
      const after = parsePartedHuman(await ok(n, 'parted -s /dev/sda unit GB print free'));
      expect(after.rows.filter((r) => r.number !== undefined).map((r) => `${r.number}:${r.type}`)).toEqual([
        '1:primary',
        '2:primary',
        '3:primary',
        '4:extended',
        '5:logical',
        '6:logical',
        '7:logical',
      ]);
    });

    // drbd-config
    await both(async (n) => {
      const pn = p.nodes.find((x) => x.name === n.name)!;
      for (const f of drbdFiles(p)) n.fs.writeFile(f.path, renderFile(f, p, pn), 0o644);
      // NOTE: the real 8.3 dump ends with an empty line, which expectedDump() lacks.
      expect(await ok(n, 'drbdadm dump')).toBe(expectedDump(p, pn) + '\n');
      expect(await ok(n, 'cat /proc/drbd').catch((e: Error) => e.message)).toMatch(/No such file/);
      for (const r of ['r0', 'r1', 'r2'])
        expect((await run(n, `drbdadm dump-md ${r} >/dev/null 2>&1`)).code).not.toBe(0);
      expect(await ok(n, 'drbdadm create-md r0 r1 r2', '')).toBe(
        'Writing meta data...\ninitializing activity log\nNOT initialized bitmap\nNew drbd meta data block successfully created.\nsuccess\n'.repeat(
          3,
        ),
      );
      for (const r of ['r0', 'r1', 'r2']) expect((await run(n, `drbdadm dump-md ${r} >/dev/null 2>&1`)).code).toBe(0);
      await ok(n, 'modprobe drbd');
      expect(await ok(n, 'cat /proc/drbd')).toBe(
        'version: 8.3.12 (api:88/proto:86-96)\nGIT-hash: e2a8ef4656be026bbae540305fcb998a5991090f build by dag@Build64R6, 2011-11-20 10:57:03\n',
      );
      await ok(n, 'drbdadm attach r0 r1 r2');
    });
    const attached = await ok(n1, 'cat /proc/drbd');
    const t2571 = capture(2571, 2578, 'drbdadm attach r{0..2}', /(oos:\d+).*$/);
    if (t2571) expect(attached).toBe(t2571);
    // Tutorial 2571-2578, character for character.
    expect(attached).toBe(
      'version: 8.3.12 (api:88/proto:86-96)\nGIT-hash: e2a8ef4656be026bbae540305fcb998a5991090f build by dag@Build64R6, 2011-11-20 10:57:03\n' +
        ' 0: cs:StandAlone ro:Secondary/Unknown ds:Inconsistent/DUnknown   r----s\n    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:b oos:19515784\n' +
        ' 1: cs:StandAlone ro:Secondary/Unknown ds:Inconsistent/DUnknown   r----s\n    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:b oos:211418788\n' +
        ' 2: cs:StandAlone ro:Secondary/Unknown ds:Inconsistent/DUnknown   r----s\n    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:b oos:211034800\n',
    );
    await ok(n1, 'drbdadm connect r0 r1 r2');
    expect(parseProcDrbd(await ok(n1, 'cat /proc/drbd')).minors.map((m) => m.cs)).toEqual([
      'WFConnection',
      'WFConnection',
      'WFConnection',
    ]);
    await ok(n2, 'drbdadm connect r0 r1 r2');
    const connected = await ok(n2, 'cat /proc/drbd');
    expect(connected).toContain(
      ' 0: cs:Connected ro:Secondary/Secondary ds:Inconsistent/Inconsistent C r-----\n    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:b oos:19515784\n',
    );
    // Tutorial 2582-2589, character for character.
    const t2582 = capture(2582, 2589, 'drbdadm connect r{0..2}', /(oos:\d+).*$/);
    if (t2582) expect(connected).toBe(t2582);
    await ok(n1, 'drbdadm -- --clear-bitmap new-current-uuid r0 r1 r2');
    for (const n of [n1, n2])
      expect(await ok(n, 'cat /proc/drbd')).toContain(
        ' 2: cs:Connected ro:Secondary/Secondary ds:UpToDate/UpToDate C r-----\n    ns:0 nr:0 dw:0 dr:0 al:0 bm:0 lo:0 pe:0 ua:0 ap:0 ep:1 wo:b oos:0\n',
      );
    // Tutorial 2593-2600, character for character.
    const t2593 = capture(2593, 2600, '', /(oos:0).*$/);
    if (t2593) expect(await ok(n1, 'cat /proc/drbd')).toBe(t2593);
    await both(async (n) => {
      expect(await ok(n, '/etc/init.d/drbd stop')).toBe('Stopping all DRBD resources: .\n');
      await ok(n, 'chkconfig drbd off');
      expect(await ok(n, 'chkconfig --list drbd')).toBe(
        'drbd           \t0:off\t1:off\t2:off\t3:off\t4:off\t5:off\t6:off\n',
      );
      expect(await run(n, '/etc/init.d/drbd status')).toMatchObject({ code: 3, out: 'drbd not loaded\n' });
    });

    // clvm
    await both(async (n) => {
      n.fs.writeFile('/etc/lvm/lvm.conf', editLvmConf(n.fs.readText('/etc/lvm/lvm.conf')));
      expect(await ok(n, '/etc/init.d/clvmd start')).toBe(
        'Starting clvmd: \nActivating VG(s):   No volume groups found\n                                                           [  OK  ]\n',
      );
      await ok(n, 'chkconfig clvmd off');
      expect(await ok(n, 'chkconfig --list clvmd')).toBe(
        'clvmd          \t0:off\t1:off\t2:off\t3:off\t4:off\t5:off\t6:off\n',
      );
      expect(await ok(n, '/etc/init.d/clvmd stop')).toBe(
        'Signaling clvmd to exit                                    [  OK  ]\nclvmd terminated                                           [  OK  ]\n',
      );
    });
    const starts = await Promise.all([ok(n1, '/etc/init.d/drbd start'), ok(n2, '/etc/init.d/drbd start')]);
    expect(starts[1]).toBe('Starting DRBD resources: [ d(r0) d(r1) d(r2) n(r0) n(r1) n(r2) ].\n');
    for (const n of [n1, n2]) {
      const stt = await ok(n, '/etc/init.d/drbd status');
      expect(stt).toBe(
        'drbd driver loaded OK; device status:\nversion: 8.3.12 (api:88/proto:86-96)\nGIT-hash: e2a8ef4656be026bbae540305fcb998a5991090f build by dag@Build64R6, 2011-11-20 10:57:03\nm:res  cs         ro               ds                 p  mounted  fstype\n0:r0   Connected  Primary/Primary  UpToDate/UpToDate  C\n1:r1   Connected  Primary/Primary  UpToDate/UpToDate  C\n2:r2   Connected  Primary/Primary  UpToDate/UpToDate  C\n',
      );
      expect(parseDrbdStatus(stt).rows).toHaveLength(3);
    }
    await both(async (n) => {
      await ok(n, '/etc/init.d/clvmd start');
      expect(await ok(n, '/etc/init.d/clvmd status')).toMatch(
        /^clvmd \(pid {2}\d+\) is running\.\.\.\nClustered Volume Groups: \(none\)\nActive clustered Logical Volumes: \(none\)\n$/,
      );
    });
    expect(await ok(n1, 'pvs --noheadings -o pv_name')).toBe('');
    expect(await ok(n1, 'pvscan')).toBe('  No matching physical volumes found\n');
    expect(await ok(n1, 'pvcreate /dev/drbd0 /dev/drbd1 /dev/drbd2')).toBe(
      ['/dev/drbd0', '/dev/drbd1', '/dev/drbd2']
        .map((d) => `  Writing physical volume data to disk "${d}"\n  Physical volume "${d}" successfully created\n`)
        .join(''),
    );
    for (const n of [n1, n2])
      expect(await ok(n, 'pvscan')).toBe(
        '  PV /dev/drbd0                      lvm2 [18.61 GiB]\n  PV /dev/drbd1                      lvm2 [201.62 GiB]\n  PV /dev/drbd2                      lvm2 [201.26 GiB]\n  Total: 3 [421.49 GiB] / in use: 0 [0   ] / in no VG: 3 [421.49 GiB]\n',
      );
    expect(await ok(n1, 'vgs --noheadings -o vg_name')).toBe('');
    expect(await ok(n1, 'vgcreate -c y shared-vg0 /dev/drbd0')).toBe(
      '  Clustered volume group "shared-vg0" successfully created\n',
    );
    expect(await ok(n1, 'vgcreate -c y an01-vg0 /dev/drbd1')).toBe(
      '  Clustered volume group "an01-vg0" successfully created\n',
    );
    expect(await ok(n1, 'vgcreate -c y an02-vg0 /dev/drbd2')).toBe(
      '  Clustered volume group "an02-vg0" successfully created\n',
    );
    for (const n of [n1, n2]) {
      const v = await ok(n, 'vgscan');
      expect(v).toBe(
        '  Reading all physical volumes.  This may take a while...\n  Found volume group "an02-vg0" using metadata type lvm2\n  Found volume group "an01-vg0" using metadata type lvm2\n  Found volume group "shared-vg0" using metadata type lvm2\n',
      );
      expect(parseVgscan(v)).toHaveLength(3);
    }
    expect(await run(n1, 'lvs --noheadings -o lv_name shared-vg0')).toMatchObject({ code: 0, out: '' });
    // NOTE: sorted by name and padded to the column's width, as real lvm2 prints it
    // (test/real/block-lvm-gfs2-lab.real.ts compares the lab with it).
    expect(await ok(n1, 'vgs --noheadings -o vg_name')).toBe('  an01-vg0  \n  an02-vg0  \n  shared-vg0\n');
    expect(await ok(n1, 'lvcreate -l 100%FREE -n shared shared-vg0')).toBe('  Logical volume "shared" created\n');
    for (const n of [n1, n2])
      expect(await ok(n, 'lvscan')).toBe("  ACTIVE            '/dev/shared-vg0/shared' [18.61 GiB] inherit\n");
    expect(parseLvscan(await ok(n2, 'lvscan'))[0]).toMatchObject({ active: true, path: '/dev/shared-vg0/shared' });
    expect(parsePvscan(await ok(n2, 'pvscan'))).toHaveLength(3);
    expect(await ok(n2, 'cat /proc/partitions')).toContain(
      ' 147        0   19515784 drbd0\n 147        1  211418788 drbd1\n 147        2  211034800 drbd2\n 253        0   19513344 dm-0\n',
    );

    // gfs2
    expect((await run(n1, 'gfs2_tool sb /dev/shared-vg0/shared uuid')).code).not.toBe(0);
    const mk = await run(n1, 'mkfs.gfs2 -p lock_dlm -j 2 -t an-cluster-A:shared /dev/shared-vg0/shared', 'y\n');
    expect(mk.code).toBe(0);
    expect(mk.out).toMatch(
      /^This will destroy any data on \/dev\/shared-vg0\/shared\.\nIt appears to contain: symbolic link to `\.\.\/dm-0'\n\nAre you sure you want to proceed\? \[y\/n\] \nDevice: {20}\/dev\/shared-vg0\/shared\nBlocksize: {17}4096\nDevice Size {16}18\.61 GB \(4878336 blocks\)\nFilesystem Size: {11}18\.61 GB \(4878333 blocks\)\nJournals: {18}2\nResource Groups: {11}75\nLocking Protocol: {10}"lock_dlm"\nLock Table: {16}"an-cluster-A:shared"\nUUID: {22}[0-9a-f-]{36}\n$/,
    );
    expect(parseGfs2Table(await ok(n1, 'gfs2_tool sb /dev/shared-vg0/shared table'))).toBe('an-cluster-A:shared');
    const uuid = parseGfs2Uuid(await ok(n1, 'gfs2_tool sb /dev/shared-vg0/shared uuid'))!;
    expect(uuid).toMatch(/^[0-9a-f-]{36}$/);
    await both(async (n) => {
      await ok(n, 'mkdir -p /shared');
      await ok(n, 'cat /proc/mounts');
      await ok(n, 'mount /dev/shared-vg0/shared /shared/');
      expect(await ok(n, 'cat /proc/mounts')).toMatch(
        /^\/dev\/mapper\/shared--vg0-shared \/shared gfs2 rw,seclabel,relatime,hostdata=jid=[01] 0 0$/m,
      );
      expect(await ok(n, 'df -hP /shared')).toBe(
        'Filesystem            Size  Used Avail Use% Mounted on\n/dev/mapper/shared--vg0-shared   19G  259M   19G   2% /shared\n',
      );
      expect(parseGfs2Uuid(await ok(n, 'gfs2_tool sb /dev/shared-vg0/shared uuid'))).toBe(uuid);
      // NOTE: the tutorial's `sed \L...\E` one-liner (2775) needs GNU sed case conversion, which the lab's sed lacks; the tool writes the line over SFTP.
      n.fs.appendFile('/etc/fstab', `UUID=${uuid} /shared gfs2 defaults,noatime,nodiratime 0 0\n`);
      const gs = await ok(n, '/etc/init.d/gfs2 status');
      expect(gs).toBe('Configured GFS2 mountpoints: \n/shared\nActive GFS2 mountpoints: \n/shared\n');
      expect(parseGfs2Status(gs)).toEqual({ configured: ['/shared'], active: ['/shared'] });
    });
    await ok(n1, 'mkdir -p /shared/definitions /shared/provision /shared/archive /shared/files');
    expect(await ok(n1, 'ls -lah /shared/')).toContain('definitions');
    for (const n of [n1, n2])
      expect(
        await ok(
          n,
          'test -d /shared/definitions || echo /shared/definitions; test -d /shared/provision || echo /shared/provision; test -d /shared/archive || echo /shared/archive; test -d /shared/files || echo /shared/files',
        ),
      ).toBe('');
    await both(async (n) => {
      await ok(n, 'chkconfig gfs2 off');
      expect(await ok(n, 'chkconfig --list gfs2')).toBe(
        'gfs2           \t0:off\t1:off\t2:off\t3:off\t4:off\t5:off\t6:off\n',
      );
    });
    const stops = await Promise.all(
      [n1, n2].map((n) => ok(n, '/etc/init.d/gfs2 stop && /etc/init.d/clvmd stop && /etc/init.d/drbd stop')),
    );
    // Tutorial 2804-2811.
    expect(stops[1]).toBe(
      'Unmounting GFS2 filesystem (/shared):                      [  OK  ]\nDeactivating clustered VG(s):   0 logical volume(s) in volume group "an02-vg0" now active\n  0 logical volume(s) in volume group "an01-vg0" now active\n  0 logical volume(s) in volume group "shared-vg0" now active\n                                                           [  OK  ]\nSignaling clvmd to exit                                    [  OK  ]\nclvmd terminated                                           [  OK  ]\nStopping all DRBD resources: .\n',
    );
    for (const n of [n1, n2]) {
      expect(await ok(n, 'cat /proc/mounts')).not.toContain('/shared');
      expect(await run(n, '/etc/init.d/clvmd status')).toMatchObject({ code: 3, out: 'clvmd is stopped\n' });
      expect(await run(n, '/etc/init.d/drbd status')).toMatchObject({ code: 3, out: 'drbd not loaded\n' });
    }
    expect(destructiveLog(w, 'an-node01').map((e) => e.op)).toEqual([
      'parted mkpart',
      'parted mkpart',
      'parted mkpart',
      'parted mkpart',
      'drbdadm create-md',
      'drbdadm create-md',
      'drbdadm create-md',
      'drbdadm new-current-uuid',
      'drbdadm new-current-uuid',
      'drbdadm new-current-uuid',
      'pvcreate',
      'pvcreate',
      'pvcreate',
      'vgcreate',
      'vgcreate',
      'vgcreate',
      'lvcreate',
      'mkfs.gfs2',
    ]);
    expect(destructiveLog(w, 'an-node02').map((e) => e.op)).toEqual([
      'parted mkpart',
      'parted mkpart',
      'parted mkpart',
      'parted mkpart',
      'drbdadm create-md',
      'drbdadm create-md',
      'drbdadm create-md',
    ]);
  });
});
