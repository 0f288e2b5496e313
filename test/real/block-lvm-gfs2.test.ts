/**
 * Fast tier: the clvm step's pvcreate/vgcreate/lvcreate tasks (their own `run`, `done` probes and
 * verifies) with real lvm2 on loop devices standing in for /dev/drbd0..2, under the rendered lvm.conf
 * (a private LVM_SYSTEM_DIR; each command in a private mount namespace whose /dev is a tmpfs holding
 * only /dev/null, /dev/zero, /dev/urandom and drbdN nodes of the loop devices: the host's /dev and its
 * disks are never scanned). This host has no device-mapper, so LVs are made as metadata only; then
 * mkfs.gfs2 with the gfs2 step's exact options on a disk the size of the LV, checked by tunegfs2 -l,
 * gfs2_edit's journal index, fsck.gfs2 -n and blkid.
 *
 * Where Debian's lvm2 2.03 and gfs2-utils 3.4 refuse EL6's forms (`vgcreate -c y`, an LV activated
 * without device-mapper, `gfs2_tool`), the command is adapted in one named place and the difference is
 * in src/lab/FIDELITY.md ("What the real programs said").
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadAnswers } from '../../src/plan/load.js';
import { derivePlan } from '../../src/plan/derive.js';
import { renderFile } from '../../src/engine/render.js';
import type { ExecOptions, ExecResult, NodeHandle, TaskContext } from '../../src/engine/types.js';
import { clvm } from '../../steps/clvm.js';
import { mkfsCommand } from '../../steps/gfs2.js';
import { parseLvscan, parsePvscan, parseVgscan } from '../../src/verify/lvm-scan.js';
import { pollDefaults } from '../../src/verify/poll.js';
import { cleanup, must, run, scratch } from './helpers/netns.js';
import { loopUnavailable } from './helpers/block.js';

const skip = loopUnavailable(['pvcreate', 'unshare', 'mkfs.gfs2', 'tunegfs2', 'fsck.gfs2', 'gfs2_edit', 'blkid']);
if (skip) console.log(`[skip] real lvm2 and gfs2-utils on loop devices: ${skip} (apt-get install lvm2 gfs2-utils)`);

const plan = derivePlan(loadAnswers('examples/tutorial.anvil.yaml', {}));
const GiB = 1024 ** 3;

/** The adaptations Debian's tools need, in one place (see src/lab/FIDELITY.md). */
function adapt(cmd: string): string {
  return (
    cmd
      // NOTE: lvm2 2.03 refuses the clustered flag ("The clustered option is deprecated, see --shared").
      .replace(/^vgcreate -c y /, 'vgcreate ')
      // NOTE: no device-mapper here: metadata only, not activated, not zeroed.
      .replace(/^lvcreate /, 'lvcreate --driverloaded n -an -Zn ')
  );
}

describe.skipIf(skip)('clvm and gfs2 commands with real lvm2 and gfs2-utils', () => {
  const loops: string[] = [];
  let dir: string;
  let node: NodeHandle & { ran: string[] };
  let saved: typeof pollDefaults;

  beforeAll(() => {
    dir = scratch('lvm');
    // NOTE: the rendered lvm.conf, exactly as the step writes it (the stock EL6 file with its three edits).
    const spec = clvm.tasks.find((t) => t.id === 'clvm.lvm-conf')!.files!(plan, plan.nodes[0])[0];
    writeFileSync(join(dir, 'lvm.conf'), spec.edit!(renderFile(spec, plan, plan.nodes[0])));
    // NOTE: sparse stand-ins for the three DRBD devices, sized like the tutorial's resources.
    for (const [i, gb] of [20, 216, 216].entries()) {
      const img = join(dir, `drbd${i}.img`);
      must(['truncate', '-s', String(gb * 1e9), img]);
      loops.push(must(['losetup', '-f', '--show', img]).trim());
    }
    const mk = loops
      .map((l, i) => {
        const [maj, min] = must(['cat', `/sys/block/${l.replace('/dev/', '')}/dev`])
          .trim()
          .split(':');
        return `mknod /dev/drbd${i} b ${maj} ${min}`;
      })
      .join(' && ');
    const setup = `mount -t tmpfs anvr-dev /dev && mknod -m 666 /dev/null c 1 3 && mknod -m 666 /dev/zero c 1 5 && mknod -m 666 /dev/urandom c 1 9 && ${mk}`;
    const ran: string[] = [];
    const exec = async (cmd: string, opts: ExecOptions = {}): Promise<ExecResult> => {
      ran.push(cmd);
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
        { stdin: opts.stdin, timeoutMs: 60_000 },
      );
      return { code: r.code, stdout: r.stdout, stderr: r.stderr, ms: r.ms };
    };
    node = {
      plan: plan.nodes[0],
      ran,
      exec,
      async sh(cmd, opts) {
        const r = await exec(cmd, opts);
        if (r.code !== 0) throw new Error(`${cmd}: exit ${r.code}: ${r.stderr}`);
        return r.stdout;
      },
      readFile: () => Promise.reject(new Error('not used')),
      writeFile: () => Promise.reject(new Error('not used')),
    };
    saved = { ...pollDefaults };
    pollDefaults.intervalMs = 0;
    pollDefaults.tries = 1;
  });
  afterAll(async () => {
    Object.assign(pollDefaults, saved);
    for (const l of loops) must(['losetup', '-d', l]);
    await cleanup();
  });

  const ctx = (): TaskContext => ({
    plan,
    node,
    peer: node,
    prompt: {
      confirm: () => Promise.reject(new Error('no prompt')),
      input: () => Promise.reject(new Error('no prompt')),
      select: () => Promise.reject(new Error('no prompt')),
    },
    log: () => undefined,
    capture: () => undefined,
    captured: () => undefined,
  });

  it('the rendered lvm.conf: lvm2 validates it and reads the DRBD-only filter the step wrote', async () => {
    const v = await node.exec('lvmconfig --validate');
    expect(v.stdout + v.stderr).toMatch(/LVM configuration valid/);
    const f = await node.exec('lvmconfig devices/filter');
    expect(f.stdout.trim()).toBe('filter=["a|/dev/drbd*|","r/.*/"]');
  });

  it('pvcreate, vgcreate, lvcreate: the step’s own runs, probes and verifies', async () => {
    const [pv, vg, lv] = ['clvm.pvcreate', 'clvm.vgcreate', 'clvm.lvcreate'].map((id) =>
      clvm.tasks.find((t) => t.id === id)!,
    );
    for (const t of [pv, vg, lv]) {
      expect(await t.done!(ctx())).toBe(false);
      await t.run!(ctx());
      expect(await t.done!(ctx())).toBe(true);
    }
    expect(node.ran).toContain('pvcreate /dev/drbd0 /dev/drbd1 /dev/drbd2');
    expect(node.ran).toContain('vgcreate -c y shared-vg0 /dev/drbd0');
    expect(node.ran).toContain('lvcreate -l 100%FREE -n shared shared-vg0');
    expect((await pv.verify!(ctx())).summary).toBe('an-node01: 3 PVs; an-node01: 3 PVs');
    expect((await vg.verify!(ctx())).summary).toMatch(/^an-node01: 3 /);
    const pvscan = (await node.exec('pvscan')).stdout;
    const pvs = parsePvscan(pvscan).sort((a, b) => a.pv.localeCompare(b.pv));
    expect(pvs.map((e) => [e.pv, e.vg])).toEqual([
      ['/dev/drbd0', 'shared-vg0'],
      ['/dev/drbd1', 'an01-vg0'],
      ['/dev/drbd2', 'an02-vg0'],
    ]);
    expect(pvs[0].size).toBe('18.62 GiB');
    expect(parseVgscan((await node.exec('vgscan')).stdout).map((v) => v.vg)).toEqual(
      expect.arrayContaining(['shared-vg0', 'an01-vg0', 'an02-vg0']),
    );
    // NOTE: not ACTIVE (no device-mapper here), so the step's lvcreate verify would refuse it, rightly.
    const lvs = parseLvscan((await node.exec('lvscan')).stdout);
    expect(lvs).toEqual([
      {
        active: false,
        path: '/dev/shared-vg0/shared',
        vg: 'shared-vg0',
        lv: 'shared',
        size: '18.62 GiB',
        policy: 'inherit',
      },
    ]);
    await expect(lv.verify!(ctx())).rejects.toThrow(/shared/);
  });

  it('mkfs.gfs2 with the step’s options: lock table and journal count read back by tunegfs2, gfs2_edit, fsck, blkid', async () => {
    const img = join(scratch('gfs2'), 'shared.img');
    must(['truncate', '-s', String(2 * GiB), img]);
    const cmd = mkfsCommand(plan).replace(plan.gfs2.device, img);
    expect(mkfsCommand(plan)).toBe('mkfs.gfs2 -p lock_dlm -j 2 -t an-cluster-A:shared /dev/shared-vg0/shared');
    const mk = await run(['sh', '-c', cmd], { stdin: 'y\n' });
    expect(mk.code, mk.stderr).toBe(0);
    expect(mk.stdout).toMatch(/^Journals: +2$/m);
    expect(mk.stdout).toMatch(/^Lock table: +"an-cluster-A:shared"$/m);
    const tune = await run(['tunegfs2', '-l', img]);
    expect(tune.stdout).toMatch(/^Lock table: an-cluster-A:shared$/m);
    expect(tune.stdout).toMatch(/^Lock protocol: lock_dlm$/m);
    const jindex = (await run(['gfs2_edit', '-p', 'jindex', img])).stdout;
    expect(new Set(jindex.match(/journal\d+/g))).toEqual(new Set(['journal0', 'journal1']));
    const fsck = await run(['fsck.gfs2', '-n', img]);
    expect(fsck.code, fsck.stdout + fsck.stderr).toBe(0);
    expect((await run(['blkid', '-o', 'export', img])).stdout).toMatch(/^TYPE=gfs2$/m);
  });
});
