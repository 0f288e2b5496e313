/**
 * The strict storage lab (issue 16 points 2 and 6): each refusal and format of the real tools, with the
 * source it follows in the test's name. "In use" comes from mounts and from running guests (qemu-kvm
 * holds its disks open for as long as the guest runs).
 */
import { describe, expect, it } from 'vitest';
import { initialised, run, startGuest, storageUp } from './setup.js';
import { destructiveLog } from '../../../src/lab/storage/index.js';

describe('strict storage: LVM "in use" (lvm2 2.02.98)', () => {
  it('vgchange -an refuses a VG with open LVs: tools/vgchange.c vgchange_activate() "Can\'t deactivate volume group \\"%s\\" with %d open logical volume(s)", nothing deactivated, exit 5', async () => {
    const { w, n1, ok } = await storageUp();
    startGuest(w, n1.name, 'vm0001', '/dev/an01-vg0/vm0001-1');
    startGuest(w, n1.name, 'vm0002', '/dev/an01-vg0/vm0002-1');
    const r = await run(n1, 'vgchange -an an01-vg0');
    expect(r.code).toBe(5);
    expect(r.err).toBe('  Can\'t deactivate volume group "an01-vg0" with 2 open logical volume(s)\n');
    expect(await ok(n1, 'lvscan')).toContain("  ACTIVE            '/dev/an01-vg0/vm0001-1'");
    // the clvmd init script (vgchange -anl of the clustered VGs) fails the same way and leaves clvmd running
    const stop = await run(n1, '/etc/init.d/clvmd stop');
    expect(stop.code).toBe(1);
    expect(stop.out).toContain('Can\'t deactivate volume group "an01-vg0" with 2 open logical volume(s)');
    expect((await run(n1, '/etc/init.d/clvmd status')).code).toBe(0);
  });

  it("lvs shows the open flag (lib/metadata/lv.c lv_attr_dup(): attr[5] = 'o'), vgs has #SN (DEFAULT_VGS_COLS), vgdisplay counts open LVs", async () => {
    const { w, n1, ok } = await storageUp();
    startGuest(w, n1.name, 'vm0001', '/dev/an01-vg0/vm0001-1');
    await ok(n1, 'mkdir -p /shared && mount /dev/shared-vg0/shared /shared');
    const lvs = await ok(n1, 'lvs --noheadings -o lv_name,lv_attr');
    expect(lvs).toMatch(/^ {2}shared +-wi-ao---$/m);
    expect(lvs).toMatch(/^ {2}vm0001-1 +-wi-ao---$/m);
    expect(lvs).toMatch(/^ {2}vm0002-1 +-wi-a----$/m);
    expect((await ok(n1, 'vgs')).split('\n')[0]).toMatch(/^ {2}VG +#PV #LV #SN Attr +VSize +VFree$/);
    expect(await ok(n1, 'vgs')).toMatch(/^ {2}an01-vg0 +1 +2 +0 +wz--nc /m);
    expect(await ok(n1, 'vgdisplay an01-vg0')).toContain('  Open LV               1\n');
  });

  it('lvs/vgs -o +FIELD add to the default columns (lvm2 2.02.98 tools/reporter.c _report()); the tags columns exist, empty (review L7)', async () => {
    const { n1, ok } = await storageUp();
    const lvs = (await ok(n1, 'lvs -o +lv_tags')).split('\n');
    expect(lvs[0]).toMatch(/^ {2}LV +VG +Attr +LSize +LV Tags$/);
    expect(lvs.find((l) => l.includes(' shared '))).toMatch(/^ {2}shared +shared-vg0 +-wi-a---- +\S+ +$/);
    expect((await ok(n1, 'vgs -o+vg_tags')).split('\n')[0]).toMatch(
      /^ {2}VG +#PV #LV #SN Attr +VSize +VFree +VG Tags$/,
    );
    expect(await run(n1, 'lvs -o +lv_nonsense')).toMatchObject({ code: 3, err: '  Unrecognised field: lv_nonsense\n' });
  });

  it('DRBD refuses secondary/down while an active LV holds the device: 8.3.12 is_valid_state() SS_DEVICE_IN_USE "(-12) Device is held open by someone", exit 11; the drbd init script does not unload the module', async () => {
    const { n1 } = await storageUp();
    const r = await run(n1, 'drbdadm down r1');
    expect(r.code).toBe(11);
    expect(r.err).toBe(
      "1: State change failed: (-12) Device is held open by someone\nCommand 'drbdsetup 1 down' terminated with exit code 11\n",
    );
    const stop = await run(n1, '/etc/init.d/drbd stop');
    expect(stop.code).toBe(1);
    expect((await run(n1, 'cat /proc/drbd')).out).toMatch(/ 1: cs:Connected ro:Primary\/Primary/);
  });
});

describe('strict storage: DRBD 8.3.12 state rules', () => {
  it('new-current-uuid --clear-bitmap in WFConnection: drbd_nl.c drbd_nl_new_c_uuid() ERR_CONNECTED "(151) Need to be StandAlone", exit 10', async () => {
    const { w, n1, ok } = await initialised('examples/tutorial.anvil.yaml', { freeStart: '47.5GB' });
    await ok(n1, 'modprobe drbd');
    await ok(n1, 'drbdadm up r0');
    const r = await run(n1, 'drbdadm -- --clear-bitmap new-current-uuid r0');
    expect(r).toEqual({
      code: 10,
      out: '',
      err: "0: Failure: (151) Need to be StandAlone\nCommand 'drbdsetup 0 new-current-uuid --clear-bitmap' terminated with exit code 10\n",
    });
    // nothing was written: the only new-current-uuid of the log is the one of the first build
    expect(destructiveLog(w, n1.name).filter((e) => e.op === 'drbdadm new-current-uuid')).toHaveLength(3);
  });

  it('primary without UpToDate data: is_valid_state() SS_NO_UP_TO_DATE_DISK, drbdsetup.c exit 17 (not 11); detach of a lone Primary refused the same way', async () => {
    const { n1, n2, ok } = await initialised('examples/tutorial.anvil.yaml', { freeStart: '47.5GB' });
    await Promise.all([ok(n1, '/etc/init.d/drbd start'), ok(n2, '/etc/init.d/drbd start')]);
    await ok(n2, 'drbdadm down r0');
    await ok(n1, 'drbdadm down r0');
    expect((await run(n1, 'drbdadm create-md r0', 'yes\n')).code).toBe(0);
    await ok(n1, 'drbdadm up r0');
    const r = await run(n1, 'drbdadm primary r0');
    expect(r.code).toBe(17);
    expect(r.err).toBe(
      "0: State change failed: (-2) Need access to UpToDate data\nCommand 'drbdsetup 0 primary' terminated with exit code 17\n",
    );
    await ok(n1, 'drbdadm disconnect r1');
    const d = await run(n1, 'drbdadm detach r1');
    expect(d.code).toBe(17);
    expect(d.err).toContain("Command 'drbdsetup 1 detach' terminated with exit code 17");
  });
});

describe('strict storage: mkfs.gfs2 (gfs2-utils 3.0.12)', () => {
  it('on a mounted device: main_mkfs.c check_mount() O_EXCL open -> die("device %s is busy"), before the question, exit 255', async () => {
    const { n1, ok } = await storageUp();
    await ok(n1, 'mkdir -p /shared && mount /dev/shared-vg0/shared /shared && echo keep > /shared/file');
    const r = await run(n1, 'mkfs.gfs2 -p lock_dlm -j 2 -t an-cluster-A:shared /dev/shared-vg0/shared', 'y\n');
    expect(r).toEqual({ code: 255, out: '', err: 'libgfs2.h: device /dev/shared-vg0/shared is busy\n' });
    expect(await ok(n1, 'cat /shared/file')).toBe('keep\n');
  });
});

describe('strict storage: running guests dirty DRBD blocks', () => {
  it("a peer away for 10 minutes under one running guest comes back to a resync of what the guest wrote (GUEST_WRITE_KIBS), at the tutorial's 1,280 K/s (5213-5225)", async () => {
    const { w, n1, n2, ok } = await storageUp();
    startGuest(w, n1.name, 'vm0001', '/dev/an01-vg0/vm0001-1');
    await ok(n2, '/etc/init.d/clvmd stop');
    await ok(n2, 'drbdadm down r1');
    w.advance(600_000);
    const away = await ok(n1, 'cat /proc/drbd');
    expect(away).toMatch(
      / 1: cs:WFConnection ro:Primary\/Unknown ds:UpToDate\/(Outdated|DUnknown) C r-----\n {4}ns:\d+ nr:\d+ dw:(\d+) .* oos:3072\d\d\n/,
    );
    await ok(n2, 'drbdadm up r1');
    const back = await ok(n2, 'cat /proc/drbd');
    expect(back).toMatch(/ 1: cs:SyncTarget ro:Secondary\/Primary ds:Inconsistent\/UpToDate C r-----/);
    // NOTE: lab time follows the wall clock between commands, so on a loaded machine some of the resync may
    // already be done when /proc/drbd is read: check the figures against each other, not against 0.0%.
    const m = /sync'ed: +(\d+\.\d)% \((\d+)\/(3072\d\d)\)K\n\tfinish: (\d+):(\d\d):(\d\d) speed: 1,280/.exec(back);
    expect(m, back).not.toBeNull();
    const [left, total] = [Number(m![2]), Number(m![3])];
    const finishS = Number(m![4]) * 3600 + Number(m![5]) * 60 + Number(m![6]);
    expect(left).toBeLessThanOrEqual(total);
    expect(left).toBeGreaterThan(total - 1280 * 30);
    expect(Math.abs(finishS - left / 1280)).toBeLessThanOrEqual(2);
    w.advance(250_000);
    expect(await ok(n2, 'drbdadm dstate r1')).toBe('UpToDate/UpToDate\n');
  });
});
