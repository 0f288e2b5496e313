/**
 * `drbd-overview` (drbd83-utils 8.3.12, a Perl script the lab runs as its model): one line per DRBD
 * device from /proc/drbd with the resource name, the state fields without their `cs:`/`ro:`/`ds:`
 * prefixes, what uses the device, and a resync's progress line under it.
 *
 * Source: drbd-8.3.12 `scripts/drbd-overview.pl` (facts and format only):
 * - slurp_proc_drbd_or_exit(): "drbd not loaded" (exit 0) without /proc/drbd; each device line loses its
 *   `cs:`, `ro:` (or `st:`) and `ds:` prefixes and its leading minor; " - " stands in for a missing
 *   protocol; lines starting "\t[" with "sync'ed:" are kept whole as the device's progress line.
 * - map_minor_to_resource_names(): names from `drbdadm sh-status` (the lab: the resource each configured
 *   minor belongs to); "??not-found??" otherwise.
 * - get_pv_info(): `pvs --noheadings --units g -o pv_name,vg_name,pv_size,pv_used`, a PV on /dev/drbdN
 *   shows as "lvm-pv: VG SIZE USED" (run through the lab's own pvs).
 * - the output loop: columns "%3u:%s", "^^<lower minor>" or "", the state words, the user; each column
 *   padded "%-Ns" to its widest cell + 1 (so every line ends in a space), the progress line in column 1.
 * get_df_info(), get_xen_info() and get_virsh_info() only match a file system, Xen disk or libvirt disk
 * directly on /dev/drbdN; in the tutorial's layout those all sit on LVs, so the lab leaves them out.
 */
import type { CmdCtx, CommandFn } from '../node/command.js';
import { st } from './state.js';

async function pvInfo(ctx: CmdCtx): Promise<Map<number, string[]>> {
  let text = '';
  await ctx.sh.child('drbd-overview').runScript('pvs --noheadings --units g -o pv_name,vg_name,pv_size,pv_used', {
    stdin: '',
    out: (s) => (text += s),
    err: () => undefined,
  });
  const out = new Map<number, string[]>();
  for (const line of text.split('\n')) {
    const m = /^\s*\/dev\/drbd(\d+)\s+(\S+)\s+(\S+)\s+(\S+)\s*$/.exec(line);
    if (m) out.set(Number(m[1]), ['lvm-pv:', m[2], m[3], m[4]]);
  }
  return out;
}

export const drbdOverview: CommandFn = async (ctx) => {
  let proc: string;
  try {
    proc = ctx.node.fs.readText('/proc/drbd');
  } catch {
    ctx.out('drbd not loaded\n');
    return 0;
  }
  const minors = st(ctx.node).of(ctx.node).minors;
  const name = (m: number) => Object.values(minors).find((x) => x.minor === m)?.res;
  const dev = new Map<number, { state: string; sync?: string }>();
  let cur: number | undefined;
  for (const line of proc.split('\n')) {
    const head = /^ *(\d+):/.exec(line);
    if (head) {
      cur = Number(head[1]);
      if (/^ *\d+: cs:Unconfigured/.test(line) && !name(cur)) continue;
      const s = line
        .replace(/^(.* cs:.*\S) {3}([rs]...)$/, '$1 - $2')
        .replace(/^(.* )cs:([^ ]* )(?:st|ro):([^ ]* )ds:([^ ]*)/, '$1$2$3$4')
        .replace(/^(.* )cs:([^ ]* )(?:st|ro):([^ ]* )ld:([^ ]*)/, '$1$2$3$4')
        .replace(/^(.* )cs:([^ ]*)$/, '$1$2')
        .replace(/^ *\d+:\s+/, '')
        .replace(/Unconfigured$/, 'Unconfigured . . . .');
      dev.set(cur, { state: s });
    } else if (cur !== undefined && dev.has(cur) && (/^\t\[.*sync.ed:/.test(line) || /^\t[0-9 %]+oos:/.test(line)))
      dev.get(cur)!.sync = line;
  }
  const pvs = await pvInfo(ctx);
  const rows: string[][] = [];
  const widths: number[] = [];
  for (const m of [...dev.keys()].sort((a, b) => a - b)) {
    const d = dev.get(m)!;
    const row = [
      `${String(m).padStart(3)}:${name(m) ?? '??not-found??'}`,
      '',
      ...d.state.split(/\s+/),
      ...(pvs.get(m) ?? []),
    ];
    row.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length + 1)));
    rows.push(row);
    if (d.sync !== undefined) rows.push([d.sync]);
  }
  for (const r of rows) ctx.out(r.map((c, i) => c.padEnd(widths[i])).join('') + '\n');
  return 0;
};

/** The programs of this file, given to the storage subsystem. */
export const DRBD_OVERVIEW_PROGRAMS: Record<string, CommandFn> = { 'drbd-overview': drbdOverview };
