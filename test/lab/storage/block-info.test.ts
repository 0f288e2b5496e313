/**
 * The block-device inspection programs of the lab (issue 16 point 3), each in its EL6 format:
 * `drbdsetup role|cstate|dstate` (drbd-8.3.12 user/drbdsetup.c), `dmsetup ls|info` (lvm2 2.02.98 tools/dmsetup.c), `blkid` (util-linux-ng 2.17.2 misc-utils/blkid.c),
 * `fdisk -l` (util-linux-ng 2.17.2 fdisk/fdisk.c), `drbd-overview` (drbd-8.3.12 scripts/drbd-overview.pl)
 * and `gfs2_tool journals|df` (gfs2-utils 3.0 gfs2/tool/misc.c print_journals(), df.c do_df_one()).
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initialised, run } from './setup.js';
import type { LabNode } from '../../../src/lab/node/node.js';

let n1: LabNode;
let n2: LabNode;

beforeAll(async () => {
  const x = await initialised('examples/tutorial.anvil.yaml', { freeStart: '47.5GB' });
  ({ n1, n2 } = x);
  const { ok } = x;
  await Promise.all([ok(n1, '/etc/init.d/drbd start'), ok(n2, '/etc/init.d/drbd start')]);
  for (const n of [n1, n2]) await ok(n, '/etc/init.d/clvmd start');
  await ok(n1, 'pvcreate /dev/drbd0 /dev/drbd1');
  await ok(n1, 'vgcreate -c y shared-vg0 /dev/drbd0');
  await ok(n1, 'lvcreate -L 10G -n shared shared-vg0');
  const r = await run(n1, 'mkfs.gfs2 -p lock_dlm -j 2 -t an-cluster-A:shared /dev/shared-vg0/shared', 'y\n');
  if (r.code) throw new Error(r.out + r.err);
  await ok(n1, 'mkdir -p /shared && mount /dev/shared-vg0/shared /shared');
}, 120_000);

describe('dmsetup (device-mapper 1.02.77)', () => {
  it('ls: "%s\\t(%d:%d)" per device, major 253; info: _display_info_long() with the open count of the mount', async () => {
    expect((await run(n1, 'dmsetup ls')).out).toBe('shared--vg0-shared\t(253:0)\n');
    const info = (await run(n1, 'dmsetup info shared--vg0-shared')).out;
    expect(info).toMatch(
      /^Name: {14}shared--vg0-shared\nState: {13}ACTIVE\nRead Ahead: {8}256\nTables present: {4}LIVE\nOpen count: {8}1\nEvent number: {6}0\nMajor, minor: {6}253, 0\nNumber of targets: 1\nUUID: LVM-[A-Za-z0-9]{64}\n\n$/,
    );
    // node 2 has it active but not mounted: open count 0
    expect((await run(n2, 'dmsetup info /dev/mapper/shared--vg0-shared')).out).toContain('Open count:        0\n');
    expect(await run(n1, 'dmsetup info nope')).toMatchObject({ code: 0, out: 'Device does not exist.\n' });
    expect((await run(n1, 'dmsetup remove shared--vg0-shared')).err).toContain('not simulated by the lab');
  });
});

describe('blkid (util-linux-ng 2.17.2)', () => {
  it("every signature, each tag followed by a space; the installer's UUIDs are those of /etc/fstab; the DRBD backing partition shows the PV too", async () => {
    const out = (await run(n1, 'blkid')).out;
    const fstabRoot = /^UUID=(\S+) \/ /m.exec(n1.fs.readText('/etc/fstab'))![1];
    expect(out).toContain(`/dev/sda2: UUID="${fstabRoot}" TYPE="ext4" \n`);
    expect(out).toMatch(/^\/dev\/sda3: UUID="[0-9a-f-]{36}" TYPE="swap" $/m);
    const pv = /^\/dev\/drbd0: UUID="([A-Za-z0-9]{6}(?:-[A-Za-z0-9]{4}){5}-[A-Za-z0-9]{6})" TYPE="LVM2_member" $/m.exec(
      out,
    );
    expect(pv).not.toBeNull();
    expect(out).toContain(`/dev/sda5: UUID="${pv![1]}" TYPE="LVM2_member" \n`);
    expect(out).toMatch(
      /^\/dev\/mapper\/shared--vg0-shared: LABEL="an-cluster-A:shared" UUID="[0-9a-f-]{36}" TYPE="gfs2" $/m,
    );
  });

  it('-o value -s UUID prints the value alone; a device with nothing on it exits 2 (BLKID_EXIT_NOTFOUND)', async () => {
    const fstabRoot = /^UUID=(\S+) \/ /m.exec(n1.fs.readText('/etc/fstab'))![1];
    expect((await run(n1, 'blkid -o value -s UUID /dev/sda2')).out).toBe(`${fstabRoot}\n`);
    expect(await run(n1, 'blkid /dev/sda7')).toMatchObject({ code: 2, out: '' });
  });
});

describe('fdisk -l (util-linux-ng 2.17.2)', () => {
  it('the disk: geometry block, cylinder units, the table as parted wrote it, the cylinder-boundary note for sda1 only; a dm device without a table; no drbd devices', async () => {
    const r = await run(n1, 'fdisk -l');
    const lines = r.out.split('\n');
    expect(lines.slice(0, 8)).toEqual([
      '',
      'Disk /dev/sda: 500.1 GB, 500107862016 bytes',
      '255 heads, 63 sectors/track, 60801 cylinders',
      'Units = cylinders of 16065 * 512 = 8225280 bytes',
      'Sector size (logical/physical): 512 bytes / 512 bytes',
      'I/O size (minimum/optimal): 512 bytes / 512 bytes',
      expect.stringMatching(/^Disk identifier: 0x[0-9a-f]{8}$/),
      '',
    ]);
    expect(lines[8]).toBe('   Device Boot      Start         End      Blocks   Id  System');
    expect(lines[9]).toBe('/dev/sda1   *           1          33      262144   83  Linux');
    expect(lines[10]).toBe('Partition 1 does not end on cylinder boundary.');
    expect(r.out).toMatch(/^\/dev\/sda3 {12}5255 {8}5777 {5}4194304 {3}82 {2}Linux swap \/ Solaris$/m);
    expect(r.out).toMatch(/^\/dev\/sda4 {12}5777 {7}60802 {3}441987072 {4}5 {2}Extended$/m);
    expect(r.out).toContain('\nDisk /dev/mapper/shared--vg0-shared: 10.7 GB, 10737418240 bytes\n');
    expect(r.err).toBe("Disk /dev/mapper/shared--vg0-shared doesn't contain a valid partition table\n");
    expect(r.out).not.toContain('drbd');
    expect((await run(n1, 'fdisk /dev/sda')).code).toBe(1);
  });
});

describe('drbd-overview (drbd83-utils 8.3.12)', () => {
  it('one padded line per minor (every column "%-Ns", so a trailing space), state without cs:/ro:/ds:, the PV and its VG from pvs', async () => {
    const out = (await run(n1, 'drbd-overview')).out;
    expect(out.split('\n')[0]).toMatch(
      /^ {2}0:r0 {2}Connected Primary\/Primary UpToDate\/UpToDate C r----- lvm-pv: shared-vg0 \d+\.\d\dg 10\.00g $/,
    );
    expect(out.split('\n')[1]).toBe('  1:r1  Connected Primary/Primary UpToDate/UpToDate C r----- ');
  });
});

describe('drbdsetup role|cstate|dstate (drbd-8.3.12 user/drbdsetup.c)', () => {
  it('"%s/%s" of roles and disk states, the connection state alone, "Unconfigured" for a minor not configured; other forms still fail loudly', async () => {
    expect((await run(n1, 'drbdsetup /dev/drbd0 role')).out).toBe('Primary/Primary\n');
    expect((await run(n1, 'drbdsetup 1 cstate')).out).toBe('Connected\n');
    expect((await run(n1, 'drbdsetup 1 dstate')).out).toBe('UpToDate/UpToDate\n');
    expect((await run(n1, 'drbdsetup 9 role')).out).toBe('Unconfigured\n');
    expect((await run(n1, 'drbdsetup 0 show')).code).toBe(20);
  });
});

describe('gfs2_tool journals|df (gfs2-utils 3.0.12)', () => {
  it('journals: "journalN - 128MB" per journal then "2 journal(s) found."; df: the header block and the 15-column table', async () => {
    expect((await run(n1, 'gfs2_tool journals /shared')).out).toBe(
      'journal1 - 128MB\njournal0 - 128MB\n2 journal(s) found.\n',
    );
    const df = (await run(n1, 'gfs2_tool df /shared')).out.split('\n');
    expect(df.slice(0, 7)).toEqual([
      '/shared:',
      '  SB lock proto = "lock_dlm"',
      '  SB lock table = "an-cluster-A:shared"',
      '  SB ondisk format = 1801',
      '  SB multihost format = 1900',
      '  Block size = 4096',
      '  Journals = 2',
    ]);
    expect(df[10]).toMatch(/^ {2}Mounted host data = "jid=0:id=\d+:first=1"$/);
    expect(df[16]).toBe('  Type           Total          Used           Free           use%           ');
    expect(df[17]).toBe(`  ${'-'.repeat(72)}`);
    expect(df[18]).toMatch(/^ {2}data {11}\d+ +\d+ +\d+ +\d+%$/);
    expect((await run(n1, 'gfs2_tool journals /root')).code).toBe(1);
  });
});
