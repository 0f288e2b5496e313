/**
 * `dmsetup ls` and `dmsetup info [NAME]` (device-mapper 1.02.77, built with lvm2 2.02.98): the
 * node's device-mapper devices, i.e. its active LVs (`/dev/dm-N`, major 253). Other subcommands fail
 * loudly.
 *
 * Sources (lvm2 v2_02_98 `tools/dmsetup.c`, facts and formats only): _display_name() "%s\t(%d:%d)\n"
 * per device, "No devices found" without any (_process_all()); _display_info_long(): "Name:", "State:"
 * ACTIVE, "Read Ahead:", "Tables present:    LIVE", "Open count:", "Event number:", "Major, minor:
 * %d, %d", "Number of targets:", "UUID: %s", then a blank line; a name the kernel does not know prints
 * "Device does not exist." (libdm-iface.c clears the exists flag on ENXIO, so the command succeeds).
 * The open count is what holds the LV: a mount and each running guest with it as a disk (see
 * lvm.ts lvOpenCount()). An LV's device-mapper name doubles its dashes (lib/misc/lvm-string.c
 * build_dm_name()); its UUID is "LVM-" + VG id + LV id, 32 characters each without dashes
 * (lib/activate/dev_manager.c build_dm_uuid()). Read ahead 256 sectors: LVM's "auto" on a linear LV of
 * one PV (lib/activate/dev_manager.c, DM_READ_AHEAD_AUTO resolved by the kernel's default).
 */
import type { CmdCtx, CommandFn } from '../node/command.js';
import type { LabNode } from '../node/node.js';
import { st } from './state.js';
import { lvOpenCount, mapperName, vgs } from './lvm.js';

/** A stable 32-character LVM-style id from a string (the lab keeps no LV ids in its metadata). */
function lvmId(seed: string): string {
  const abc = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789';
  let h = 2166136261;
  let s = '';
  for (let i = 0; s.length < 32; i++) {
    h = Math.imul(h ^ (seed.charCodeAt(i % Math.max(1, seed.length)) + i), 16777619) >>> 0;
    s += abc[h % abc.length];
  }
  return s;
}

interface DmDev {
  name: string;
  key: string;
  minor: number;
}

function devices(node: LabNode): DmDev[] {
  const out: DmDev[] = [];
  st(node)
    .of(node)
    .active.forEach((key, minor) => {
      if (key) out.push({ name: mapperName(key), key, minor });
    });
  return out;
}

function info(ctx: CmdCtx, d: DmDev): void {
  const [vg, lv] = d.key.split('/');
  const meta = vgs(ctx.node).find((v) => v.meta.name === vg)?.meta;
  const vgId = (meta?.uuid ?? lvmId(vg)).replace(/-/g, '').padEnd(32, '0').slice(0, 32);
  ctx.out(
    `Name:              ${d.name}\n` +
      `State:             ACTIVE\n` +
      `Read Ahead:        256\n` +
      `Tables present:    LIVE\n` +
      `Open count:        ${lvOpenCount(ctx.node, d.key)}\n` +
      `Event number:      0\n` +
      `Major, minor:      253, ${d.minor}\n` +
      `Number of targets: 1\n` +
      `UUID: LVM-${vgId}${lvmId(`${vgId}/${lv}`)}\n` +
      `\n`,
  );
}

export const dmsetup: CommandFn = (ctx) => {
  const [sub, ...rest] = ctx.argv.slice(1);
  const devs = devices(ctx.node);
  if (sub === 'ls' && !rest.length) {
    // NOTE: the kernel lists names in its hash order; the lab lists them by minor.
    if (!devs.length) ctx.out('No devices found\n');
    for (const d of devs) ctx.out(`${d.name}\t(253:${d.minor})\n`);
    return 0;
  }
  if (sub === 'info' && rest.every((x) => !x.startsWith('-'))) {
    if (!rest.length) {
      if (!devs.length) ctx.out('No devices found\n');
      for (const d of devs) info(ctx, d);
      return 0;
    }
    for (const name of rest) {
      const bare = name.replace(/^\/dev\/mapper\//, '');
      const d = devs.find((x) => x.name === bare);
      if (d) info(ctx, d);
      else ctx.out('Device does not exist.\n');
    }
    return 0;
  }
  ctx.err(
    `dmsetup: ${[sub, ...rest].join(' ') || '(no command)'} is not simulated by the lab (only \`dmsetup ls\`, \`dmsetup info [name]\`)\n`,
  );
  return 1;
};

/** The programs of this file, given to the storage subsystem. */
export const DMSETUP_PROGRAMS: Record<string, CommandFn> = { dmsetup };
