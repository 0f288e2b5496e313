/**
 * `lvchange -a` and `lvremove` in the lab (issue 16 point 3), with the refusals of lvm2 2.02.98 for an
 * open LV: lib/activate/activate.c lv_check_not_in_use() for a mounted file system, device-mapper's
 * EBUSY remove (libdm-deptree.c "Unable to deactivate %s (%u:%u)") for an LV a guest holds, each sent
 * back by clvmd as "Error locking on node %s: %s" (cluster_locking.c) in a clustered VG.
 */
import { describe, expect, it } from 'vitest';
import { run, startGuest, storageUp } from './setup.js';
import { destructiveLog } from '../../../src/lab/storage/index.js';

describe('lvchange -a (lvm2 2.02.98)', () => {
  it('-an of an idle LV in a clustered VG deactivates it on both nodes, prints nothing; -ay brings it back on both', async () => {
    const { n1, n2, ok } = await storageUp();
    const r = await run(n1, 'lvchange -an an01-vg0/vm0002-1');
    expect(r).toMatchObject({ code: 0, out: '', err: '' });
    for (const n of [n1, n2]) expect(await ok(n, 'lvscan')).toContain("  inactive          '/dev/an01-vg0/vm0002-1'");
    expect((await run(n1, 'lvchange -ay /dev/an01-vg0/vm0002-1')).code).toBe(0);
    for (const n of [n1, n2]) expect(await ok(n, 'lvscan')).toContain("  ACTIVE            '/dev/an01-vg0/vm0002-1'");
  });

  it('-an of an LV a running guest holds: clvmd answers the last device-mapper error, "Error locking on node X: Unable to deactivate <dm name> (253:N)", exit 5, still active; it took the 25 remove retries (4.8 s) of lab time', async () => {
    const { w, n1, n2, ok } = await storageUp();
    startGuest(w, n2.name, 'vm0001', '/dev/an01-vg0/vm0001-1');
    const t0 = w.now();
    const r = await run(n1, 'lvchange -an an01-vg0/vm0001-1');
    expect(r.code).toBe(5);
    expect(r.err).toMatch(
      /^ {2}Error locking on node an-node02\.alteeve\.ca: Unable to deactivate an01--vg0-vm0001--1 \(253:\d+\)\n$/,
    );
    expect(w.now() - t0).toBeGreaterThanOrEqual(4800);
    // the idle node let go of it; the node running the guest keeps it
    expect(await ok(n1, 'lvscan')).toContain("  inactive          '/dev/an01-vg0/vm0001-1'");
    expect(await ok(n2, 'lvscan')).toContain("  ACTIVE            '/dev/an01-vg0/vm0001-1'");
  });

  it('-aln of a mounted GFS2 LV: lv_check_not_in_use() "Logical volume shared-vg0/shared contains a filesystem in use.", exit 5', async () => {
    const { n1, ok } = await storageUp();
    await ok(n1, 'mkdir -p /shared && mount /dev/shared-vg0/shared /shared');
    const r = await run(n1, 'lvchange -aln shared-vg0/shared');
    expect(r).toMatchObject({ code: 5, err: '  Logical volume shared-vg0/shared contains a filesystem in use.\n' });
    expect(await ok(n1, 'lvscan')).toContain("  ACTIVE            '/dev/shared-vg0/shared'");
  });

  it('an unknown LV: "One or more specified logical volume(s) not found.", exit 5; an unknown VG: "Volume group ... not found"', async () => {
    const { n1 } = await storageUp();
    expect(await run(n1, 'lvchange -an an01-vg0/nope')).toMatchObject({
      code: 5,
      err: '  One or more specified logical volume(s) not found.\n',
    });
    expect((await run(n1, 'lvchange -an nope-vg/x')).err).toContain('  Volume group "nope-vg" not found\n');
  });
});

describe('lvremove (lvm2 2.02.98 lv_remove_single())', () => {
  it('refuses an LV with a mounted file system before asking anything, exit 5; nothing removed', async () => {
    const { n1, ok } = await storageUp();
    await ok(n1, 'mkdir -p /shared && mount /dev/shared-vg0/shared /shared');
    const r = await run(n1, 'lvremove -f shared-vg0/shared');
    expect(r).toMatchObject({ code: 5, err: '  Logical volume shared-vg0/shared contains a filesystem in use.\n' });
    expect(await ok(n1, 'lvs --noheadings -o lv_name')).toContain('shared');
  });

  it('without -f asks "Do you really want to remove active clustered logical volume X? [y/n]: " on stderr; no answer is "n"', async () => {
    const { n1, ok } = await storageUp();
    const r = await run(n1, 'lvremove an01-vg0/vm0002-1', '');
    expect(r.code).toBe(5);
    expect(r.err).toBe(
      'Do you really want to remove active clustered logical volume vm0002-1? [y/n]: \n  Logical volume vm0002-1 not removed\n',
    );
    expect(await ok(n1, 'lvs --noheadings -o lv_name an01-vg0')).toContain('vm0002-1');
  });

  it('an LV a guest holds on the peer: "Error locking on node ..." then "Unable to deactivate logical volume", exit 5, kept', async () => {
    const { w, n1, n2, ok } = await storageUp();
    startGuest(w, n2.name, 'vm0001', '/dev/an01-vg0/vm0001-1');
    const r = await run(n1, 'lvremove -f an01-vg0/vm0001-1');
    expect(r.code).toBe(5);
    expect(r.err).toMatch(
      /^ {2}Error locking on node an-node02\.alteeve\.ca: Unable to deactivate an01--vg0-vm0001--1 \(253:\d+\)\n {2}Unable to deactivate logical volume "vm0001-1"\n$/,
    );
    expect(await ok(n1, 'lvs --noheadings -o lv_name an01-vg0')).toContain('vm0001-1');
  });

  it('an idle LV with "y": "Logical volume \\"X\\" successfully removed", gone on both nodes, recorded as destructive', async () => {
    const { w, n1, n2, ok } = await storageUp();
    const r = await run(n1, 'lvremove an01-vg0/vm0002-1', 'y\n');
    expect(r).toMatchObject({ code: 0, out: '  Logical volume "vm0002-1" successfully removed\n' });
    for (const n of [n1, n2]) expect(await ok(n, 'lvs --noheadings -o lv_name an01-vg0')).not.toContain('vm0002-1');
    expect(destructiveLog(w, n1.name).some((e) => e.op === 'lvremove' && e.target === 'an01-vg0/vm0002-1')).toBe(true);
  });
});
