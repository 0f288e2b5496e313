/**
 * Clustered LVM and GFS2 in the lab: the lvm.conf filter, clustered locking and clvmd's need for a
 * quorate cluster; LVs active on both nodes; GFS2's lock table, journals, one file tree seen by both
 * nodes (shell and SFTP), journal replay after a fence, and save/restore of all of it.
 */
import { describe, expect, it } from 'vitest';
import { cluster, initialised, run, STORAGE_TEST_LAB } from './setup.js';
import { createWorld } from '../../../src/lab/world.js';
import { startLab } from '../../../src/lab/index.js';
import { destructiveLog } from '../../../src/lab/storage/index.js';
import { LVM_CONF } from '../../../src/lab/seed/stock-files.js';
import { call, connect, sftpOf } from '../../helpers/lab-ssh-client.js';
import { tutorial } from '../helpers.js';
import { derivePlan } from '../../../src/plan/derive.js';
import { loadAnswers } from '../../../src/plan/load.js';
import { fstabEcho, fstabLine } from '../../../steps/gfs2.js';

async function withGfs2(journals = 2) {
  const x = await initialised('examples/tutorial.anvil.yaml', { freeStart: '47.5GB' });
  const { n1, n2, ok } = x;
  await Promise.all([ok(n1, '/etc/init.d/drbd start'), ok(n2, '/etc/init.d/drbd start')]);
  for (const n of [n1, n2]) await ok(n, '/etc/init.d/clvmd start');
  await ok(n1, 'pvcreate /dev/drbd0 /dev/drbd1 /dev/drbd2');
  await ok(n1, 'vgcreate -c y shared-vg0 /dev/drbd0');
  await ok(n1, 'vgcreate -c y an01-vg0 /dev/drbd1');
  await ok(n1, 'vgcreate -c y an02-vg0 /dev/drbd2');
  await ok(n1, 'lvcreate -l 100%FREE -n shared shared-vg0');
  const r = await run(n1, `mkfs.gfs2 -p lock_dlm -j ${journals} -t an-cluster-A:shared /dev/shared-vg0/shared`, 'y\n');
  if (r.code) throw new Error(r.out + r.err);
  for (const n of [n1, n2]) await ok(n, 'mkdir -p /shared');
  return x;
}

describe('clustered LVM', () => {
  it('without the DRBD filter LVM sees the PV twice and uses the backing partition', async () => {
    const { n1, ok } = await initialised('examples/tutorial.anvil.yaml', { freeStart: '47.5GB' });
    n1.fs.writeFile('/etc/lvm/lvm.conf', LVM_CONF);
    await ok(n1, 'modprobe drbd');
    await ok(n1, 'drbdadm up r0');
    await ok(n1, 'drbdadm primary r0');
    await ok(n1, 'pvcreate /dev/drbd0');
    const r = await run(n1, 'pvscan');
    expect(r.err).toMatch(/^ {2}Found duplicate PV [0-9a-f]+: using \/dev\/sda5 not \/dev\/drbd0\n/);
    expect(r.out).toMatch(/^ {2}PV \/dev\/sda5 /);
  });

  it('locking_type 3 without clvmd fails (no fallback); clvmd needs a quorate cluster', async () => {
    const { w, n1, ok } = await initialised('examples/tutorial.anvil.yaml', { freeStart: '47.5GB' });
    await ok(n1, 'modprobe drbd');
    await ok(n1, 'drbdadm up r0');
    await ok(n1, 'drbdadm primary r0');
    const r = await run(n1, 'pvscan');
    expect(r).toEqual({
      code: 5,
      out: '',
      err: '  connect() failed on local socket: No such file or directory\n  Internal cluster locking initialisation failed.\n',
    });
    expect((await run(n1, 'vgcreate -c y shared-vg0 /dev/drbd0')).code).toBe(5);
    cluster(w).up.clear();
    const c = await run(n1, '/etc/init.d/clvmd start');
    expect(c.code).toBe(1);
    expect(c.out).toBe(
      'Starting clvmd: \nclvmd could not connect to cluster manager\nConsult syslog for more information\n                                                           [FAILED]\n',
    );
    expect((await run(n1, '/etc/init.d/clvmd status')).out).toBe('clvmd is stopped\n');
  });

  it('an LV created on one node is active on both; clvmd status lists the clustered VGs and LVs; scans as 3130-3138', async () => {
    const { n1, n2, ok } = await withGfs2();
    for (const n of [n1, n2]) {
      expect(await ok(n, 'lvscan')).toBe("  ACTIVE            '/dev/shared-vg0/shared' [18.61 GiB] inherit\n");
      expect(await ok(n, '/etc/init.d/clvmd status')).toMatch(
        /^clvmd \(pid {2}\d+\) is running\.\.\.\nClustered Volume Groups: an02-vg0 an01-vg0 shared-vg0\nActive clustered Logical Volumes: \/dev\/shared-vg0\/shared\n$/,
      );
      expect(n.fs.readlink('/dev/mapper/shared--vg0-shared')).toBe('../dm-0');
    }
    expect(await ok(n2, 'vgdisplay shared-vg0')).toContain('  Clustered             yes\n');
    // Tutorial 3130-3138, character for character.
    const scans = await ok(n2, 'pvscan; vgscan; lvscan');
    if (tutorial)
      expect(scans).toBe(
        [
          tutorial[3129].slice('pvscan; vgscan; lvscan'.length),
          ...tutorial.slice(3130, 3137),
          tutorial[3137].replace(/inherit.*$/, 'inherit'),
        ].join('\n') + '\n',
      );
    expect(scans.split('\n')[0]).toBe('  PV /dev/drbd2   VG an02-vg0     lvm2 [201.25 GiB / 201.25 GiB free]');
    expect(await ok(n1, 'lvs --noheadings -o lv_name,vg_name')).toBe('  shared shared-vg0\n');
  });
});

describe('GFS2', () => {
  it('mounts on both nodes with one shared tree; a third journal is not there; other clusters are refused', async () => {
    const { w, n1, n2, ok } = await withGfs2(1);
    await ok(n1, 'mount /dev/shared-vg0/shared /shared/');
    const second = await run(n2, 'mount /dev/shared-vg0/shared /shared/');
    expect(second.code).toBe(1);
    await ok(n1, 'umount /shared');
    expect(await run(n1, 'gfs2_tool sb /dev/shared-vg0/shared table new-cluster:shared', 'y\n')).toMatchObject({
      code: 0,
      out: 'You shouldn\'t change any of these values if the filesystem is mounted.\n\nAre you sure? [y/n] \ncurrent lock table name = "an-cluster-A:shared"\nnew lock table name = "new-cluster:shared"\nDone\n',
    });
    const other = await run(n1, 'mount /dev/shared-vg0/shared /shared/');
    expect(other).toEqual({
      code: 1,
      out: '',
      err: 'fs is for a different cluster\nerror mounting lockproto lock_dlm\n',
    });
    expect((await run(n1, 'gfs2_tool sb /dev/shared-vg0/shared table an-cluster-A:shared', 'y\n')).code).toBe(0);
    cluster(w).up.delete('an-node01');
    expect((await run(n1, 'mount /dev/shared-vg0/shared /shared/')).err).toBe(
      'gfs_controld join connect error: Connection refused\nerror mounting lockproto lock_dlm\n',
    );
  });

  it("mount(8) through /sbin/mount.gfs2 (util-linux-ng 2.17.2 check_special_mountprog, gfs2-utils 3.0 read_options/die): bare messages, exit 1; the listing is /etc/mtab's", async () => {
    const { n1, ok } = await withGfs2();
    expect(await run(n1, 'mount -t gfs2 /dev/shared-vg0/nothing /shared')).toEqual({
      code: 1,
      out: '',
      err: 'invalid device path "/dev/shared-vg0/nothing"\n',
    });
    expect(await run(n1, 'mount -t gfs2 /dev/shared-vg0/shared /nowhere')).toEqual({
      code: 1,
      out: '',
      err: 'invalid mount point path "/nowhere"\n',
    });
    await ok(n1, 'mount -t gfs2 -o noatime,nodiratime /dev/shared-vg0/shared /shared/');
    // NOTE: the helper names realpath(3) of both paths: the LV's link leads to its dm node.
    const dm = (await ok(n1, 'readlink -f /dev/shared-vg0/shared')).trim();
    expect(await run(n1, 'mount /dev/shared-vg0/shared /shared')).toEqual({
      code: 1,
      out: '',
      err: `${dm} already mounted or /shared busy\n`,
    });
    // / and /boot as mount(8) wrote them to mtab ("rw" from fstab's defaults); the GFS2 line as
    // mount.gfs2 copied it from /proc/mounts, seclabel included
    expect((await ok(n1, 'mount')).split('\n')).toEqual([
      '/dev/sda2 on / type ext4 (rw)',
      '/dev/sda1 on /boot type ext4 (rw)',
      '/dev/mapper/shared--vg0-shared on /shared type gfs2 (rw,seclabel,noatime,nodiratime,hostdata=jid=0)',
      '',
    ]);
  });

  it('a file written on one node is seen on the other (shell and SFTP); replays the journal of a fenced node; survives save/restore', async () => {
    const { w, n1, n2, ok } = await withGfs2();
    for (const n of [n1, n2]) await ok(n, 'mount /dev/shared-vg0/shared /shared/');
    expect((await ok(n1, 'cat /proc/mounts')).split('\n')).toContain(
      '/dev/mapper/shared--vg0-shared /shared gfs2 rw,seclabel,relatime,hostdata=jid=0 0 0',
    );
    expect((await ok(n2, 'cat /proc/mounts')).split('\n')).toContain(
      '/dev/mapper/shared--vg0-shared /shared gfs2 rw,seclabel,relatime,hostdata=jid=1 0 0',
    );
    await ok(n1, 'mkdir -p /shared/definitions && echo "<domain/>" > /shared/definitions/vm0001-dev.xml');
    expect(await ok(n2, 'cat /shared/definitions/vm0001-dev.xml')).toBe('<domain/>\n');
    expect(await ok(n1, 'ls /')).not.toContain('definitions');

    const saved = JSON.parse(JSON.stringify(w.toJSON()));
    expect(saved.subsystems.storage.log['an-node01'].map((e: { op: string }) => e.op)).toContain('mkfs.gfs2');
    const w2 = createWorld({ saved, subsystems: STORAGE_TEST_LAB });
    expect((await run(w2.nodes['an-node02'], 'cat /shared/definitions/vm0001-dev.xml')).out).toBe('<domain/>\n');
    await run(w2.nodes['an-node02'], 'echo two > /shared/two');
    expect((await run(w2.nodes['an-node01'], 'cat /shared/two')).out).toBe('two\n');
    expect(destructiveLog(w2, 'an-node01').filter((e) => e.op === 'mkfs.gfs2')).toHaveLength(1);

    // SFTP on node 2 reads node 1's file and writes one node 1 sees.
    const lab = await startLab({
      answers: (await import('./setup.js')).answers('examples/tutorial.anvil.yaml'),
      createWorld: () => w2,
    });
    try {
      const c = await connect(lab.connectOptions('an-node02'));
      const s = await sftpOf(c);
      const names = await call<{ filename: string }[]>((cb) => s.readdir('/shared/definitions', cb));
      expect(names.map((x) => x.filename)).toContain('vm0001-dev.xml');
      await call((cb) => s.writeFile('/shared/definitions/from-sftp.xml', '<x/>\n', cb));
      expect((await run(w2.nodes['an-node01'], 'cat /shared/definitions/from-sftp.xml')).out).toBe('<x/>\n');
      c.end();
    } finally {
      await lab.stop();
    }

    // Node 1 crashes: node 2 takes its journal once the fence succeeded. NOTE: this world's cluster is a
    // fake (no cman_tool, no fence_node), so the handler DRBD runs on node 2 is a test script reporting
    // the peer stonithed (exit 7); the real handlers are in fence-peer.test.ts.
    n2.fs.writeFile('/sbin/obliterate-peer.sh', '#!/bin/bash\nexit 7\n', 0o755);
    w.fault({ kind: 'crash', node: 'an-node01' });
    for (let i = 0; i < 10; i++) {
      await new Promise((r) => setImmediate(r));
      await new Promise((r) => setTimeout(r, 10));
    }
    const log = n2.fs.readText('/var/log/messages');
    const i1 = log.indexOf('kernel: GFS2: fsid=an-cluster-A:shared.1: jid=0: Trying to acquire journal lock...');
    const i2 = log.indexOf('kernel: GFS2: fsid=an-cluster-A:shared.1: jid=0: Looking at journal...');
    const i3 = log.indexOf('kernel: GFS2: fsid=an-cluster-A:shared.1: jid=0: Done');
    expect(i1).toBeGreaterThan(0);
    expect(i2).toBeGreaterThan(i1);
    expect(i3).toBeGreaterThan(i2);
    expect(await ok(n2, 'cat /shared/definitions/vm0001-dev.xml')).toBe('<domain/>\n');
  });

  it('the gfs2 init script mounts and unmounts what /etc/fstab lists', async () => {
    const { n1, ok } = await withGfs2();
    // mkfs.gfs2 asks first: EOF or "n" on stdin aborts without touching the file system.
    expect(await run(n1, 'mkfs.gfs2 -p lock_dlm -j 2 -t an-cluster-A:shared /dev/shared-vg0/shared', '')).toMatchObject(
      { code: 255, err: 'mkfs.gfs2: unable to read from stdin\n' },
    );
    expect(
      await run(n1, 'mkfs.gfs2 -p lock_dlm -j 2 -t an-cluster-A:shared /dev/shared-vg0/shared', 'n\n'),
    ).toMatchObject({ code: 255, err: 'mkfs.gfs2: aborted\n' });
    const uuid = /uuid = (\S+)/.exec(await ok(n1, 'gfs2_tool sb /dev/shared-vg0/shared uuid'))![1];
    expect((await run(n1, '/etc/init.d/gfs2 status')).code).toBe(3);
    n1.fs.appendFile('/etc/fstab', `UUID=${uuid} /shared gfs2 defaults,noatime,nodiratime 0 0\n`);
    expect(await ok(n1, '/etc/init.d/gfs2 start')).toBe(
      'Mounting GFS2 filesystem (/shared):                        [  OK  ]\n',
    );
    expect(await ok(n1, 'cat /proc/mounts')).toContain(
      '/dev/mapper/shared--vg0-shared /shared gfs2 rw,seclabel,noatime,nodiratime,hostdata=jid=0 0 0\n',
    );
    expect(await run(n1, '/etc/init.d/clvmd stop')).toMatchObject({ code: 1 });
    expect(await ok(n1, '/etc/init.d/gfs2 stop')).toBe(
      'Unmounting GFS2 filesystem (/shared):                      [  OK  ]\n',
    );
  });

  it("the runbook's fstab one-liner (tutorial) prints exactly the line the tool writes over SFTP", async () => {
    const { n1, ok } = await withGfs2();
    const p = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));
    const uuid = /uuid = (\S+)/.exec(await ok(n1, `gfs2_tool sb ${p.gfs2.device} uuid`))![1];
    expect(await ok(n1, fstabEcho(p))).toBe(`${fstabLine(p, uuid)}\n`);
  });
});
