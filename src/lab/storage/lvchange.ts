/**
 * `lvchange -a{y,n,ly,ln} VG/LV...` (lvm2 2.02.98, with clvmd in a clustered VG): activation and the
 * refusals real LVM gives for an open LV.
 *
 * Sources (lvm2 v2_02_98, facts and messages only):
 * - tools/lvchange.c `_lvchange_activate()`: -an → deactivate_lv(), -aln → deactivate_lv_local(), -ay →
 *   activate_lv() (cluster-wide in a clustered VG), -aly → activate_lv_local(); nothing printed on success.
 * - lib/activate/activate.c `lv_deactivate()` → `lv_check_not_in_use()`: with sysfs (EL6) an LV with a
 *   mounted file system is refused "Logical volume %s/%s contains a filesystem in use." (an LV with a
 *   holder: "... is used by another device."). An LV held open otherwise (qemu-kvm has its disk open)
 *   passes that check and reaches device-mapper.
 * - libdm/libdm-deptree.c `_dm_tree_deactivate_children()` + libdm/ioctl/libdm-iface.c `dm_task_run()`:
 *   the remove ioctl fails EBUSY ("device-mapper: remove ioctl on %s failed: %s"), is retried
 *   DM_IOCTL_RETRIES (25) times DM_RETRY_USLEEP_DELAY (0.2 s) apart (retry_deactivation = 1 by default,
 *   lib/config/defaults.h), then "Unable to deactivate %s (%u:%u)".
 * - daemons/clvmd/clvmd-command.c + lvm-functions.c `lvm2_log_fn()`: clvmd runs that on every node and
 *   answers an EIO with the last error message it logged; lib/locking/cluster_locking.c prints
 *   "Error locking on node %s: %s" for each node that failed.
 * - tools/toollib.c `process_each_lv()`: "One or more specified logical volume(s) not found."; ECMD_FAILED
 *   (5) on any failure.
 */
import type { CmdCtx, CommandFn } from '../node/command.js';
import type { LabNode } from '../node/node.js';
import { st } from './state.js';
import { activate, clusterNodes, deactivate, lockOr, lvOpenCount, mapperName, type Vg } from './lvm.js';
import { visibleVgs } from './lvm-commands.js';

/** device-mapper's remove retries (libdm-iface.c): 24 sleeps of 0.2 s between 25 attempts. */
const DM_RETRY_MS = 24 * 200;

/** The LVs named by `args` (vg/lv, /dev/vg/lv, or a whole VG), or the error to print. */
export function pickLvs(ctx: CmdCtx, vgList: Vg[], args: string[]): { lvs: { vg: Vg; lv: string }[]; err?: string } {
  const out: { vg: Vg; lv: string }[] = [];
  let missing = false;
  for (const raw of args) {
    const a = raw.replace(/^\/dev\//, '').replace(/\/$/, '');
    const [vgName, lvName] = a.split('/');
    const vg = vgList.find((v) => v.meta.name === vgName);
    if (!vg) return { lvs: [], err: `  Volume group "${vgName}" not found\n  Skipping volume group ${vgName}\n` };
    if (lvName === undefined) for (const l of vg.meta.lvs) out.push({ vg, lv: l.name });
    else if (vg.meta.lvs.some((l) => l.name === lvName)) out.push({ vg, lv: lvName });
    else missing = true;
  }
  return missing ? { lvs: out, err: '  One or more specified logical volume(s) not found.\n' } : { lvs: out };
}

/**
 * Deactivate one LV on one node as lv_deactivate() does there. Returns the error lines that node's
 * LVM logged (empty on success) and the last one (what clvmd sends back).
 */
function deactivateOn(n: LabNode, vg: string, lv: string): { lines: string[]; last?: string } {
  const key = `${vg}/${lv}`;
  const ns = st(n).of(n);
  const dm = ns.active.indexOf(key);
  if (dm < 0) return { lines: [] };
  if (ns.mounts.some((m) => m.dev === `/dev/mapper/${mapperName(key)}`)) {
    const l = `Logical volume ${vg}/${lv} contains a filesystem in use.`;
    return { lines: [l], last: l };
  }
  if (lvOpenCount(n, key) > 0) {
    // the guest keeps it open: every retry of the remove ioctl fails EBUSY, in lab time
    n.world.advanceTo(n.world.now() + DM_RETRY_MS);
    const name = mapperName(key);
    const lines = Array.from(
      { length: 25 },
      () => `device-mapper: remove ioctl on ${name} failed: Device or resource busy`,
    );
    const last = `Unable to deactivate ${name} (253:${dm})`;
    return { lines: [...lines, last], last };
  }
  deactivate(n, key);
  return { lines: [] };
}

/**
 * Take LVM's lock, then the LVs `names` name (what is not found is said and makes the exit 5, the
 * others are still acted on, as lvm2's process_each_lv() goes on); undefined when the lock failed.
 */
export function lockedLvs(ctx: CmdCtx, names: string[]): { lvs: { vg: Vg; lv: string }[]; code: number } | undefined {
  const l = lockOr(ctx);
  if (!l.ok) return undefined;
  const pick = pickLvs(ctx, visibleVgs(ctx, l.local), names);
  if (pick.err) ctx.err(pick.err);
  return { lvs: pick.lvs, code: pick.err ? 5 : 0 };
}

/**
 * deactivate_lv() of `vg/lv`: on this node only (a local VG or `local`), else through clvmd on every
 * node that has the VG (each failing node reported as "Error locking on node ..."). Returns false on
 * failure after printing what LVM prints.
 */
export function deactivateLv(ctx: CmdCtx, v: Vg, lv: string, local: boolean): boolean {
  if (local || !v.meta.clustered) {
    const r = deactivateOn(ctx.node, v.meta.name, lv);
    for (const l of r.lines) ctx.err(`  ${l}\n`);
    return !r.lines.length;
  }
  let ok = true;
  for (const n of clusterNodes(ctx.node, v.meta.name)) {
    const r = deactivateOn(n, v.meta.name, lv);
    if (r.last) {
      ctx.err(`  Error locking on node ${n.fqdn}: ${r.last}\n`);
      ok = false;
    }
  }
  return ok;
}

export const lvchange: CommandFn = (ctx) => {
  const a = ctx.argv.slice(1);
  let act: string | undefined;
  const names: string[] = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '-a' || a[i] === '--available' || a[i] === '--activate') act = a[++i];
    else if (/^-a[a-z]+$/.test(a[i])) act = a[i].slice(2);
    else if (a[i].startsWith('-')) {
      ctx.err(`lvchange: ${a[i]} is not simulated by the lab (only -ay, -an, -aly, -aln)\n`);
      return 3;
    } else names.push(a[i]);
  }
  if (!act || !['y', 'n', 'ly', 'ln'].includes(act)) {
    ctx.err(
      `lvchange: ${act ? `-a${act}` : 'a change other than -a'} is not simulated by the lab (only -ay, -an, -aly, -aln)\n`,
    );
    return 3;
  }
  if (!names.length) {
    ctx.err('  Please give logical volume path(s)\n');
    return 3;
  }
  const pick = lockedLvs(ctx, names);
  if (!pick) return 5;
  let code = pick.code;
  const local = act.startsWith('l');
  for (const { vg, lv } of pick.lvs) {
    if (act.endsWith('y')) {
      for (const n of local || !vg.meta.clustered ? [ctx.node] : clusterNodes(ctx.node, vg.meta.name))
        activate(n, vg.meta.name, lv);
    } else if (!deactivateLv(ctx, vg, lv, local)) code = 5;
  }
  ctx.node.world.changed();
  return code;
};

/** The programs of this file, given to the storage subsystem. */
export const LVCHANGE_PROGRAMS: Record<string, CommandFn> = { lvchange };
