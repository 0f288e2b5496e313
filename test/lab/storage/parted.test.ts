/**
 * parted 2.1 on the lab's disks: the tutorial's interactive session (2186–2271) table for table, the
 * script-mode commands the step sends, exit codes, and the kernel's view (BLKPG on EL6.4, or the
 * tutorial's "kernel failed to re-read" warning until reboot).
 */
import { describe, expect, it } from 'vitest';
import { createWorld } from '../../../src/lab/world.js';
import { storageOf } from '../../../src/lab/storage/index.js';
import { tutorial } from '../helpers.js';
import { run, STORAGE_TEST_LAB } from './setup.js';

/** The tutorial's `print free` tables (header to last Free Space row), blank lines dropped. */
function tutorialTables(): string[] {
  if (!tutorial) return [];
  const out: string[] = [];
  for (let i = 2185; i < 2270; i++) {
    const l = tutorial[i];
    if (!l.startsWith('print freeModel:')) continue;
    const rows = [l.slice('print free'.length)];
    for (let j = i + 1; ; j++) {
      const t = tutorial[j];
      const m = /^(.*Free Space)\S/.exec(t);
      if (m) {
        rows.push(m[1]);
        break;
      }
      rows.push(t);
    }
    out.push(rows.join('\n'));
  }
  return out;
}

const session =
  'print free\nmkpart extended 47.5GB 500GB\nprint free\nmkpart logical 47.5GB 67.5GB\nprint free\nmkpart logical 67.5GB 284GB\nprint free\nmkpart logical 284GB 500GB\nprint free\nalign-check opt 5\nalign-check opt 6\nalign-check opt 7\nquit\n';

describe('parted', () => {
  it("prints the tutorial's five tables of the interactive session, character for character (2190–2266)", async () => {
    const w = createWorld({ seed: 1, subsystems: STORAGE_TEST_LAB });
    const n = w.nodes['an-node01'];
    const r = await run(n, 'parted -a optimal /dev/sda', session);
    expect(r.code).toBe(0);
    expect(
      r.out.startsWith(
        "GNU Parted 2.1\nUsing /dev/sda\nWelcome to GNU Parted! Type 'help' to view a list of commands.\n(parted) ",
      ),
    ).toBe(true);
    expect(r.out.endsWith('Information: You may need to update /etc/fstab.\n\n')).toBe(true);
    const mine = r.out
      .split('(parted) ')
      .filter((x) => x.startsWith('Model:'))
      .map((x) =>
        x
          .split('\n')
          .filter((l) => l !== '')
          .join('\n'),
      );
    expect(mine).toHaveLength(5);
    const want = tutorialTables();
    if (want.length) expect(mine).toEqual(want);
    // Real parted 2.1 separates the header and the table with blank lines (the wiki copy lost them).
    expect(mine[0]).toContain('Partition Table: msdos\nNumber');
    expect(r.out).toContain('Partition Table: msdos\n\nNumber');
  });

  it('runs the step commands in script mode with exit codes, unit GB and align-check (BLKPG form, chosen)', async () => {
    const w = createWorld({ seed: 1, subsystems: STORAGE_TEST_LAB });
    // the lenient form, a test's explicit choice: the kernel takes each new partition at once
    storageOf(w).opts.kernelReread = 'blkpg';
    const n = w.nodes['an-node01'];
    const before = await run(n, 'parted -s /dev/sda unit GB print free');
    expect(before.out).toBe(
      'Model: ATA ST9500420ASG (scsi)\nDisk /dev/sda: 500GB\nSector size (logical/physical): 512B/512B\nPartition Table: msdos\n\n' +
        'Number  Start   End     Size    Type     File system     Flags\n' +
        '        0.00GB  0.00GB  0.00GB           Free Space\n' +
        ' 1      0.00GB  0.27GB  0.27GB  primary  ext4            boot\n' +
        ' 2      0.27GB  43.2GB  42.9GB  primary  ext4\n' +
        ' 3      43.2GB  47.5GB  4.29GB  primary  linux-swap(v1)\n' +
        '        47.5GB  500GB   453GB            Free Space\n\n',
    );
    expect(await run(n, 'parted -s -a optimal /dev/sda mkpart logical 47.5GB 67.5GB')).toEqual({
      code: 1,
      out: "Error: Can't create logical partition: no extended partition\n",
      err: '',
    });
    for (const c of [
      'mkpart extended 47.5GB 100%',
      'mkpart logical 47.5GB 67.5GB',
      'mkpart logical 67.5GB 284GB',
      'mkpart logical 284GB 100%',
    ])
      expect((await run(n, `parted -s -a optimal /dev/sda ${c}`)).code).toBe(0);
    expect((await run(n, 'parted -s -a optimal /dev/sda mkpart logical 100GB 200GB')).out).toBe(
      'Error: Unable to satisfy all constraints on the partition.\n',
    );
    for (const k of [5, 6, 7])
      expect(await run(n, `parted -s /dev/sda align-check opt ${k}`)).toEqual({ code: 0, out: '', err: '' });
    expect(await run(n, 'parted -s /dev/sda align-check opt 9')).toEqual({
      code: 1,
      out: "Error: Partition doesn't exist.\n",
      err: '',
    });
    // With BLKPG the kernel knows the new partitions at once (no reboot needed).
    expect((await run(n, 'cat /proc/partitions')).out).toContain(
      '   8        4          1 sda4\n   8        5   19516416 sda5\n   8        6  211425280 sda6\n   8        7  211041280 sda7\n',
    );
    // An unaligned partition fails align-check (exit 1, silent with -s).
    const m = createWorld({ seed: 2, subsystems: STORAGE_TEST_LAB }).nodes['an-node01'];
    await run(m, 'parted -s -a none /dev/sda mkpart extended 92798977s 100%');
    await run(m, 'parted -s -a none /dev/sda mkpart logical 92800001s 93000000s');
    expect(await run(m, 'parted -s /dev/sda align-check opt 5')).toEqual({ code: 1, out: '', err: '' });
  });

  it("by default the system disk is busy (the tutorial's capture 2200-2202): warning, exit 1 in script mode, old kernel table until reboot", async () => {
    const w = createWorld({ seed: 1, subsystems: STORAGE_TEST_LAB });
    expect(storageOf(w).opts.kernelReread).toBe('busy');
    const n = w.nodes['an-node01'];
    const r = await run(n, 'parted -a optimal /dev/sda', 'mkpart extended 47.5GB 500GB\nquit\n');
    const warn =
      'Warning: WARNING: the kernel failed to re-read the partition table on /dev/sda\n(Device or resource busy).  As a result, it may not reflect all of your changes\nuntil after reboot.\n';
    expect(r.out).toContain(`(parted) ${warn}`);
    if (tutorial)
      expect(warn).toBe(
        [
          tutorial[2199].slice('mkpart extended 47.5GB 500GB'.length),
          tutorial[2200],
          tutorial[2201].replace(/reboot\..*$/, 'reboot.'),
        ].join('\n') + '\n',
      );
    const s = await run(n, 'parted -s -a optimal /dev/sda mkpart logical 47.5GB 67.5GB');
    expect(s).toEqual({ code: 1, out: warn, err: '' });
    expect((await run(n, 'cat /proc/partitions')).out).not.toContain('sda5');
    expect((await run(n, 'parted -s /dev/sda print')).out).toContain(' 5      47.5GB  67.5GB  20.0GB  logical');
    n.reboot = n.reboot.bind(n);
    await run(n, 'nohup sh -c "sleep 1; reboot" >/dev/null 2>&1 &');
    await w.settle();
    expect((await run(n, 'cat /proc/partitions')).out).toContain(' sda5\n');
  });
});
