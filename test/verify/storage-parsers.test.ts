import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { parseProcDrbd, describeMinor, minorOf } from '../../src/verify/proc-drbd.js';
import { parseDrbdStatus } from '../../src/verify/drbd-status.js';
import { parseLvscan, parsePvscan, parseVgscan } from '../../src/verify/lvm-scan.js';
import { parseVirshList } from '../../src/verify/virsh-list.js';
import { parseGfs2Status, parseGfs2Table, parseGfs2Uuid } from '../../src/verify/gfs2-status.js';
import {
  largestFree,
  parsePartedHuman,
  parsePartedMachine,
  partitionNumbers,
  toBytes,
} from '../../src/verify/parted.js';

const out = (name: string) => readFileSync(`test/fixtures/tutorial/outputs/${name}`, 'utf8');

describe('/proc/drbd (tutorial outputs)', () => {
  it('reads the attached, connected and up-to-date states', () => {
    const a = parseProcDrbd(out('proc-drbd-attached.txt'));
    expect(a.version).toBe('8.3.12');
    expect(a.gitHash).toBe('e2a8ef4656be026bbae540305fcb998a5991090f');
    expect(a.minors.map((m) => describeMinor(m, m.minor))).toEqual([
      '0: cs:StandAlone ro:Secondary/Unknown ds:Inconsistent/DUnknown',
      '1: cs:StandAlone ro:Secondary/Unknown ds:Inconsistent/DUnknown',
      '2: cs:StandAlone ro:Secondary/Unknown ds:Inconsistent/DUnknown',
    ]);
    expect(a.minors[0].protocol).toBeUndefined();
    expect(a.minors[0].flags).toBe('r----s');
    expect(a.minors.map((m) => m.stats.oos)).toEqual([19515784, 211418788, 211034800]);
    const c = parseProcDrbd(out('proc-drbd-connected.txt'));
    expect(c.minors.map((m) => `${m.cs} ${m.ds.join('/')} ${m.protocol}`)).toEqual(
      Array(3).fill('Connected Inconsistent/Inconsistent C'),
    );
    const u = parseProcDrbd(out('proc-drbd-uptodate.txt'));
    expect(
      u.minors.every(
        (m) => m.ds.join('/') === 'UpToDate/UpToDate' && m.stats.oos === 0 && m.ro.join('/') === 'Secondary/Secondary',
      ),
    ).toBe(true);
  });

  it('handles an unconfigured minor, an empty file and device names', () => {
    const s = parseProcDrbd('version: 8.3.12 (api:88/proto:86-96)\n 0: cs:Unconfigured\n');
    expect(s.minors).toEqual([{ minor: 0, cs: 'Unconfigured', ro: [], ds: [], stats: {} }]);
    expect(parseProcDrbd('').minors).toEqual([]);
    expect(minorOf('/dev/drbd12')).toBe(12);
    expect(describeMinor(undefined, 3)).toBe('3: absent');
  });
});

describe('/etc/init.d/drbd status', () => {
  it('reads the table of the tutorial, connected and waiting', () => {
    const s = parseDrbdStatus(out('drbd-status.txt'));
    expect(s.loaded).toBe(true);
    expect(s.version).toBe('8.3.12');
    expect(
      s.rows.map((r) => `${r.minor}:${r.resource} ${r.cs} ${r.ro.join('/')} ${r.ds.join('/')} ${r.protocol}`),
    ).toEqual([
      '0:r0 Connected Primary/Primary UpToDate/UpToDate C',
      '1:r1 Connected Primary/Primary UpToDate/UpToDate C',
      '2:r2 Connected Primary/Primary UpToDate/UpToDate C',
    ]);
    const w = parseDrbdStatus(out('drbd-status-wfconnection.txt'));
    expect(w.rows.map((r) => `${r.cs} ${r.ro.join('/')} ${r.ds.join('/')}`)).toEqual(
      Array(3).fill('WFConnection Primary/Unknown UpToDate/Outdated'),
    );
  });

  it('reads "drbd not loaded" and a mounted row', () => {
    expect(parseDrbdStatus('drbd not loaded\n')).toEqual({ loaded: false, version: undefined, rows: [] });
    const m = parseDrbdStatus(
      'drbd driver loaded OK; device status:\nm:res  cs  ro  ds  p  mounted  fstype\n0:r0 Connected Primary/Primary UpToDate/UpToDate C /shared gfs2\n',
    );
    expect(m.rows[0]).toMatchObject({ mounted: '/shared', fstype: 'gfs2', protocol: 'C' });
  });
});

describe('pvscan / vgscan / lvscan', () => {
  it('reads the tutorial outputs', () => {
    expect(parsePvscan(out('pvscan.txt'))).toEqual([
      { pv: '/dev/drbd0', vg: undefined, format: 'lvm2', size: '18.61 GiB', free: undefined },
      { pv: '/dev/drbd1', vg: undefined, format: 'lvm2', size: '201.62 GiB', free: undefined },
      { pv: '/dev/drbd2', vg: undefined, format: 'lvm2', size: '201.26 GiB', free: undefined },
    ]);
    expect(parseVgscan(out('vgscan.txt')).map((v) => v.vg)).toEqual(['an02-vg0', 'an01-vg0', 'shared-vg0']);
    expect(parseLvscan(out('lvscan.txt'))).toEqual([
      {
        active: true,
        path: '/dev/shared-vg0/shared',
        vg: 'shared-vg0',
        lv: 'shared',
        size: '18.61 GiB',
        policy: 'inherit',
      },
    ]);
  });

  it('reads PVs inside VGs and the empty answers', () => {
    const all = out('pvscan-vgscan-lvscan-in-vg.txt');
    expect(parsePvscan(all).map((p) => `${p.pv} ${p.vg} ${p.size} ${p.free}`)).toEqual([
      '/dev/drbd2 an02-vg0 201.25 GiB 201.25 GiB',
      '/dev/drbd1 an01-vg0 201.62 GiB 201.62 GiB',
      '/dev/drbd0 shared-vg0 18.61 GiB 0',
    ]);
    expect(parseVgscan(all)).toHaveLength(3);
    expect(parseLvscan(all)).toHaveLength(1);
    expect(parsePvscan('  No matching physical volumes found\n')).toEqual([]);
    expect(
      parseVgscan('  Reading all physical volumes.  This may take a while...\n  No volume groups found\n'),
    ).toEqual([]);
    expect(parseLvscan("  inactive          '/dev/an01-vg0/vm0001-1' [150.00 GiB] inherit\n")[0]).toMatchObject({
      active: false,
      vg: 'an01-vg0',
      lv: 'vm0001-1',
    });
  });
});

describe('virsh list --all', () => {
  it('reads running and shut off domains', () => {
    expect(parseVirshList(out('virsh-list-an-node01-final.txt'))).toEqual([
      { id: 2, name: 'vm0001-dev', state: 'running' },
      { id: 4, name: 'vm0002-web', state: 'running' },
      { id: undefined, name: 'vm0003-db', state: 'shut off' },
      { id: undefined, name: 'vm0004-ms', state: 'shut off' },
    ]);
    expect(parseVirshList(out('virsh-list-an-node02.txt')).map((d) => d.name)).toEqual([
      'vm0003-db',
      'vm0004-ms',
      'vm0001-dev',
      'vm0002-web',
    ]);
    expect(parseVirshList(out('virsh-list-empty.txt'))).toEqual([]);
  });
});

describe('gfs2', () => {
  it('reads the init script status and gfs2_tool sb', () => {
    expect(parseGfs2Status(out('gfs2-status.txt'))).toEqual({ configured: ['/shared'], active: ['/shared'] });
    expect(parseGfs2Status('Configured GFS2 mountpoints: \n/shared\n')).toEqual({
      configured: ['/shared'],
      active: [],
    });
    expect(parseGfs2Uuid('current uuid = 162A80EB-59b3-08bd-5d69-740cbb60aa45\n')).toBe(
      '162a80eb-59b3-08bd-5d69-740cbb60aa45',
    );
    expect(parseGfs2Uuid('gfs2_tool: not a GFS2 file system\n')).toBeUndefined();
    expect(parseGfs2Table('current lock table name = "an-cluster-A:shared"\n')).toBe('an-cluster-A:shared');
  });
});

describe('parted print free', () => {
  it('reads the tutorial table before and after partitioning', () => {
    const before = parsePartedHuman(out('parted-print-free-before.txt'));
    expect(before).toMatchObject({ disk: '/dev/sda', diskSize: '500GB', label: 'msdos' });
    expect(before.rows.find((r) => r.number === 3)).toMatchObject({
      type: 'primary',
      fs: 'linux-swap(v1)',
      start: '43.2GB',
      end: '47.5GB',
    });
    expect(before.rows.find((r) => r.number === 1)).toMatchObject({ fs: 'ext4', flags: 'boot' });
    expect(largestFree(before)).toMatchObject({ start: '47.5GB', end: '500GB', size: '453GB', free: true });
    const after = parsePartedHuman(out('parted-print-free-after.txt'));
    expect(partitionNumbers(after)).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(after.rows.filter((r) => r.number! >= 4).map((r) => `${r.number} ${r.type} ${r.start}-${r.end}`)).toEqual([
      '4 extended 47.5GB-500GB',
      '5 logical 47.5GB-67.5GB',
      '6 logical 67.5GB-284GB',
      '7 logical 284GB-500GB',
    ]);
    expect(after.rows.find((r) => r.number === 4)!.flags).toBe('lba');
  });

  it('reads the machine-readable form GNU parted prints with -m', () => {
    const t = parsePartedMachine(
      'BYT;\n/tmp/d.img:537GB:file:512:512:msdos::;\n1:0.00GB:0.00GB:0.00GB:free;\n1:0.00GB:0.54GB:0.54GB:::boot;\n3:4.83GB:47.8GB:42.9GB:ext4::;\n1:47.8GB:537GB:489GB:free;\n',
    );
    expect(t).toMatchObject({ disk: '/tmp/d.img', diskSize: '537GB', label: 'msdos' });
    expect(partitionNumbers(t)).toEqual([1, 3]);
    expect(largestFree(t)!.start).toBe('47.8GB');
    expect(t.rows[2].fs).toBe('ext4');
    expect(toBytes('1016kB')).toBe(1016000);
    expect(toBytes('2GiB')).toBe(2 * 1024 ** 3);
    expect(toBytes('8s')).toBe(4096);
    expect(toBytes('12 parsecs')).toBeNaN();
  });
});
