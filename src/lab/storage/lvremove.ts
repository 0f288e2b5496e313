/**
 * `lvremove [-f] VG/LV...` (lvm2 2.02.98): refuses an LV in use, asks before removing an active one,
 * deactivates it (cluster-wide in a clustered VG) and drops it from the VG's metadata.
 *
 * Sources (lvm2 v2_02_98, facts and messages only): lib/metadata/lv_manip.c `lv_remove_single()`:
 * `lv_check_not_in_use()` on this node first ("Logical volume %s/%s contains a filesystem in use."),
 * then without -f for an active LV the question "Do you really want to remove%s active %slogical volume
 * %s? [y/n]: " (" and DISCARD" only with issue_discards = 1, off by default in
 * lib/config/defaults.h; "clustered " in a clustered VG); "n" gives "Logical volume %s not removed";
 * deactivate_lv() failing gives "Unable to deactivate logical volume \"%s\"" (see lvchange.ts for what
 * deactivation refuses and how clvmd reports it); success prints "Logical volume \"%s\" successfully
 * removed". tools/lvremove.c: ECMD_FAILED (5) on failure, "Please enter one or more logical volume
 * paths" (EINVALID_CMD_LINE, 3) without arguments. lib/display/display.c `yes_no_prompt()`: end of
 * input answers "n".
 */
import type { CommandFn } from '../node/command.js';
import { st } from './state.js';
import { writePv, deactivate } from './lvm.js';
import { deactivateLv, lockedLvs } from './lvchange.js';

export const lvremove: CommandFn = (ctx) => {
  const a = ctx.argv.slice(1);
  let force = false;
  const names: string[] = [];
  for (const x of a) {
    if (x === '-f' || x === '--force' || x === '-ff') force = true;
    else if (x.startsWith('-')) {
      ctx.err(`lvremove: ${x} is not simulated by the lab (only -f)\n`);
      return 3;
    } else names.push(x);
  }
  if (!names.length) {
    ctx.err('  Please enter one or more logical volume paths\n');
    return 3;
  }
  const pick = lockedLvs(ctx, names);
  if (!pick) return 5;
  let code = pick.code;
  const node = ctx.node;
  const answers = ctx.input ?? { data: ctx.stdin };
  for (const { vg, lv } of pick.lvs) {
    const key = `${vg.meta.name}/${lv}`;
    const ns = st(node).of(node);
    const active = ns.active.includes(key);
    if (active && ns.mounts.some((m) => lvPathIs(m.dev, key))) {
      ctx.err(`  Logical volume ${key} contains a filesystem in use.\n`);
      code = 5;
      continue;
    }
    if (active && !force) {
      // NOTE: yes_no_prompt() asks on stderr, reads up to a newline; end of input is "n" (and a newline).
      ctx.err(
        `Do you really want to remove active ${vg.meta.clustered ? 'clustered ' : ''}logical volume ${lv}? [y/n]: `,
      );
      const nl = answers.data.indexOf('\n');
      const line = nl < 0 ? '' : answers.data.slice(0, nl);
      answers.data = nl < 0 ? '' : answers.data.slice(nl + 1);
      if (nl < 0) ctx.err('\n');
      if (!/^\s*y/i.test(line)) {
        ctx.err(`  Logical volume ${lv} not removed\n`);
        code = 5;
        continue;
      }
    }
    if (!deactivateLv(ctx, vg, lv, false)) {
      ctx.err(`  Unable to deactivate logical volume "${lv}"\n`);
      code = 5;
      continue;
    }
    st(node).record(node, 'lvremove', key);
    writePv(node, vg.pv, 4, (d) => {
      d.vg!.lvs = d.vg!.lvs.filter((x) => x.name !== lv);
      d.vg!.seqno++;
    });
    // inactive on every node now; make sure no stale mapping is left here
    deactivate(node, key);
    ctx.out(`  Logical volume "${lv}" successfully removed\n`);
  }
  node.world.changed();
  return code;
};

function lvPathIs(dev: string, key: string): boolean {
  const [vg, lv] = key.split('/');
  return dev === `/dev/mapper/${vg.replace(/-/g, '--')}-${lv.replace(/-/g, '--')}` || dev === `/dev/${key}`;
}

/** The programs of this file, given to the storage subsystem. */
export const LVREMOVE_PROGRAMS: Record<string, CommandFn> = { lvremove };
