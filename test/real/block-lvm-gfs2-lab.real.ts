/**
 * Slow tier: the lab's lvm2 and gfs2-utils against the real ones, command for command. The steps'
 * own storage commands (clvm's pvcreate/vgcreate/lvcreate and its probes, vm-provision's lvcreate and
 * `vgs`/`lvs` with their options and formats, pvscan/vgscan/lvscan, gfs2's mkfs.gfs2) run on a lab node
 * at the end of step 14 (DRBD started, clvmd running) and with real lvm2 on loop devices of exactly
 * the lab's DRBD device sizes (sparse files in a temp dir; a private LVM_SYSTEM_DIR holding the
 * rendered lvm.conf; each command in a private mount namespace whose /dev is a tmpfs holding only
 * drbdN nodes of those loop devices and whose /run is a tmpfs (lvm2's lock files and /run/lvm), so
 * the host's disks, VGs and LVM locks are never seen: the plan's VG names exist only there). Loop
 * devices are detached in afterAll, whatever happened.
 *
 * What cannot be the same here, adapted in `adapt` and `normalise` (each in one place):
 * - `vgcreate -c y` needs clvmd's cluster locking; lvm2 2.03 has neither (`The clustered option is
 *   deprecated`): run without `-c y`, so real says `Volume group` where EL6 says `Clustered volume group`.
 * - no device-mapper on this host: `lvcreate` runs with `--driverloaded n -an -Zn` (metadata only) and
 *   lvscan says `inactive` where the lab (and EL6, activated by clvmd) says `ACTIVE`.
 * - lvm2 2.03 ends its messages with a `.` (`successfully created.`); 2.02.98 on EL6 does not; 2.03
 *   warns `locking_type (3) is deprecated` and `WARNING: … not zeroed` on stderr (not compared).
 * - mkfs.gfs2 runs on a sparse file of the LV's size (no device-mapper); its UUID is random on both
 *   sides; gfs2-utils 3.x has no `gfs2_tool`, so the lab's `gfs2_tool sb DEV table|uuid` is compared
 *   with the same facts read by `tunegfs2 -l`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { derivePlan } from '../../src/plan/derive.js';
import { renderFile } from '../../src/engine/render.js';
import { clvm } from '../../steps/clvm.js';
import { mkfsCommand } from '../../steps/gfs2.js';
import { lvcreateCommand } from '../../steps/vm-provision.js';
import type { LabNode } from '../../src/lab/node/node.js';
import { cleanup, must, run, scratch } from './helpers/netns.js';
import { loopUnavailable } from './helpers/block.js';
import { initialised } from '../lab/storage/setup.js';

const skip = loopUnavailable(['pvcreate', 'unshare', 'mkfs.gfs2', 'tunegfs2']);
if (skip) console.log(`[skip] lab lvm2/gfs2 against the real tools on loop devices: ${skip}`);

/** Debian's lvm2 2.03 in place of EL6's 2.02.98 with clvmd (see the header). */
function adapt(cmd: string): string {
  return cmd.replace(/^vgcreate -c y /, 'vgcreate ').replace(/^lvcreate /, 'lvcreate --driverloaded n -an -Zn ');
}

/** Differences of version and set-up, not of behaviour (see the header). */
function normalise(out: string): string {
  return (
    out
      .replace(/^( {2}.*(?:created|removed|wiped))\.$/gm, '$1')
      .replace(/Clustered volume group/g, 'Volume group')
      // NOTE: lines 2.02.98 prints and 2.03 dropped (the tutorial's EL6 output has both).
      .replace(/^ {2}Writing physical volume data to disk .*\n/gm, '')
      .replace(/^ {2}Reading all physical volumes\. {2}This may take a while\.\.\.\n/gm, '')
      // NOTE: 2.03 pads pvscan's VG column wider (the tutorial's EL6 listing is the lab's width).
      .replace(/ VG (\S+) +lvm2 /g, ' VG $1 lvm2 ')
      .replace(
        /^( {2})(ACTIVE|inactive)( +)/gm,
        (_m, sp: string, w: string, pad: string) => `${sp}${'STATE'.padEnd(w.length + pad.length)}`,
      )
  );
}

describe.skipIf(skip)('the lab’s lvm2 and mkfs.gfs2 against the real tools, the steps’ commands', () => {
  const loops: string[] = [];
  let dir: string;
  let lab: LabNode;
  let plan: ReturnType<typeof derivePlan>;
  let real: (cmd: string, stdin?: string) => Promise<{ code: number; stdout: string; stderr: string }>;

  beforeAll(async () => {
    const x = await initialised('examples/tutorial.anvil.yaml', { freeStart: '47.5GB' });
    plan = x.p;
    lab = x.n1;
    await Promise.all([x.ok(x.n1, '/etc/init.d/drbd start'), x.ok(x.n2, '/etc/init.d/drbd start')]);
    for (const n of [x.n1, x.n2]) await x.ok(n, '/etc/init.d/clvmd start');
    dir = scratch('lvm-lab');
    const spec = clvm.tasks.find((t) => t.id === 'clvm.lvm-conf')!.files!(plan, plan.nodes[0])[0];
    writeFileSync(join(dir, 'lvm.conf'), spec.edit!(renderFile(spec, plan, plan.nodes[0])));
    // NOTE: each stand-in is exactly the size of the lab's DRBD device (/proc/partitions, KiB).
    const parts = (await lab.exec('cat /proc/partitions')).stdout;
    const mk: string[] = [];
    for (const r of plan.resources) {
      const minor = r.device.replace('/dev/drbd', '');
      const kib = Number(new RegExp(`^\\s*\\d+\\s+${minor}\\s+(\\d+)\\s+drbd${minor}$`, 'm').exec(parts)?.[1]);
      expect(kib, `drbd${minor} in the lab's /proc/partitions:\n${parts}`).toBeGreaterThan(0);
      const img = join(dir, `drbd${minor}.img`);
      must(['truncate', '-s', String(kib * 1024), img]);
      const loop = must(['losetup', '-f', '--show', img]).trim();
      loops.push(loop);
      const [maj, min] = must(['cat', `/sys/block/${loop.replace('/dev/', '')}/dev`])
        .trim()
        .split(':');
      mk.push(`mknod /dev/drbd${minor} b ${maj} ${min}`);
    }
    const setup = `mount -t tmpfs anvr-run /run && mkdir -p /run/lock && mount -t tmpfs anvr-dev /dev && mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/zero c 1 5 && mknod -m 666 /dev/urandom c 1 9 && ${mk.join(' && ')}`;
    real = async (cmd, stdin) => {
      const r = await run(
        [
          'env',
          `LVM_SYSTEM_DIR=${dir}`,
          'unshare',
          '-m',
          '--propagation',
          'private',
          'sh',
          '-c',
          `${setup} || exit 99; exec sh -c "$1"`,
          'sh',
          adapt(cmd),
        ],
        { stdin, timeoutMs: 60_000 },
      );
      return { code: r.code, stdout: r.stdout, stderr: r.stderr };
    };
  });
  afterAll(async () => {
    // NOTE: never throws: every loop device made here is detached even when the tests failed.
    for (const l of loops) spawnDetach(l);
    await cleanup();
  });

  it('pvcreate, vgcreate, lvcreate and every probe and listing the steps read: same exit codes and output', async () => {
    const n1 = plan.nodes[0];
    const task = (id: string) => clvm.tasks.find((t) => t.id === id)!.commands!(plan, n1);
    const vms = plan.vms.map(lvcreateCommand);
    const cmds = [
      'pvs --noheadings -o pv_name',
      'vgs --noheadings -o vg_name',
      ...task('clvm.pvcreate'),
      'pvs --noheadings -o pv_name',
      'pvscan',
      ...task('clvm.vgcreate'),
      'vgs --noheadings -o vg_name',
      'vgscan',
      `lvs --noheadings -o lv_name ${plan.gfs2.vg}`,
      ...task('clvm.lvcreate'),
      `lvs --noheadings -o lv_name ${plan.gfs2.vg}`,
      'lvscan',
      'vgs --noheadings --units m --nosuffix -o vg_name,vg_free',
      ...vms,
      'lvs --noheadings -o lv_name,vg_name',
      'vgs --noheadings --units m --nosuffix -o vg_name,vg_free',
      'lvscan',
      'pvscan',
      // a second pvcreate and vgcreate: the refusals the done probes guard against
      ...task('clvm.pvcreate'),
      task('clvm.vgcreate')[0],
    ];
    const diffs: string[] = [];
    for (const cmd of cmds) {
      const r = await real(cmd);
      const l = await lab.exec(cmd);
      console.log(
        `$ ${cmd}\n  real ${r.code}: ${JSON.stringify(r.stdout)} ${JSON.stringify(r.stderr.trim())}\n  lab  ${l.code}: ${JSON.stringify(l.stdout)} ${JSON.stringify(l.stderr.trim())}`,
      );
      if (r.code !== l.code || normalise(r.stdout) !== normalise(l.stdout))
        diffs.push(
          `${cmd}\n  real ${r.code} ${JSON.stringify(normalise(r.stdout))}\n  lab  ${l.code} ${JSON.stringify(normalise(l.stdout))}`,
        );
    }
    console.log(
      `${cmds.length} lvm commands compared, ${diffs.length} differ${diffs.length ? `:\n${diffs.join('\n')}` : ''}`,
    );
    expect(diffs).toEqual([]);
  });

  it('mkfs.gfs2 with the step’s options on a file of the LV’s size; the lock table and UUID read back', async () => {
    const lvBytes = Number(
      (
        await lab.exec(`lvs --noheadings --units b --nosuffix -o lv_size ${plan.gfs2.vg}/${plan.gfs2.lv}`)
      ).stdout.trim(),
    );
    expect(lvBytes).toBeGreaterThan(0);
    const img = join(dir, 'shared.img');
    must(['truncate', '-s', String(lvBytes), img]);
    const cmd = mkfsCommand(plan);
    const r = await run(['sh', '-c', cmd.replace(plan.gfs2.device, img)], { stdin: 'y\n', timeoutMs: 120_000 });
    const l = await lab.exec(cmd, { stdin: 'y\n' });
    console.log(`$ ${cmd}\n  real ${r.code}:\n${r.stdout}\n  lab ${l.code}:\n${l.stdout}`);
    expect(l.code).toBe(r.code);
    // NOTE: keys without case or spaces: gfs2-utils 3.0.12 (EL6, the lab) prints `Blocksize:`,
    // `Device Size`, `Lock Table:`; 3.4 prints `Block size:`, `Device size:`, `Lock table:`.
    const facts = (out: string) =>
      Object.fromEntries(
        [...out.matchAll(/^([A-Za-z][A-Za-z ]*?):? {2,}(.*)$/gm)].map((m) => [
          m[1].toLowerCase().replace(/ /g, ''),
          m[2].trim(),
        ]),
      );
    const [rf, lf] = [facts(r.stdout), facts(l.stdout)];
    console.log({ real: rf, lab: lf });
    for (const k of ['blocksize', 'devicesize', 'filesystemsize', 'journals', 'lockingprotocol', 'locktable'])
      expect([k, lf[k]]).toEqual([k, rf[k]]);
    // NOTE: not compared, by version: 3.4 sizes journals by the file system (64MB here) where
    // 3.0.12 always makes 128MB ones, hence other resource group counts.
    console.log(
      `resource groups: real ${rf.resourcegroups} lab ${lf.resourcegroups}; journal size real ${rf.journalsize}`,
    );
    const tune = (await run(['tunegfs2', '-l', img])).stdout;
    const table = (await lab.exec(`gfs2_tool sb ${plan.gfs2.device} table`)).stdout;
    const uuid = (await lab.exec(`gfs2_tool sb ${plan.gfs2.device} uuid`)).stdout;
    console.log(`tunegfs2 -l:\n${tune}\nlab gfs2_tool sb table: ${table}lab gfs2_tool sb uuid: ${uuid}`);
    expect(table).toContain(`"${/^Lock table: (.*)$/m.exec(tune)![1]}"`);
    const shape = (u: string) => u.replace(/[0-9a-f]/gi, 'x');
    expect(shape(/uuid = (\S+)/.exec(uuid)![1])).toBe(shape(/^File system UUID: (\S+)$/m.exec(tune)![1]));
  });
});

function spawnDetach(loop: string): void {
  try {
    must(['losetup', '-d', loop]);
  } catch {
    /* already gone */
  }
}
