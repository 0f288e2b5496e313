/**
 * `clustat` (rgmanager 3.0.12, EL6) as its clustat.c prints it when stdout is not a terminal (80
 * columns): the header with ctime(3), `Member Status: Quorate`, a blank line, the member table
 * (` %-40.40s %4d Online, Local, rgmanager`), a blank line and, when the local rgmanager answers, the
 * service table (` %-30.30s %-30.30s %-14.14s`; `(last owner)` in parentheses for stopped, disabled
 * and failed groups, `(none)` when there is none), services sorted by name.
 *
 * NOTE: the tutorial's copies lost the blank lines and one space before the ID and State columns of
 * rows that hold a host name (e.g. 3114, 3118); the widths here are the tool's, the tutorial's header
 * rows match them.
 *
 * Source: rgmanager 3.0.12 (redhat-cluster 3.0.12 as packaged by Debian, ystk/debian-redhat-cluster),
 * rgmanager/src/utils/clustat.c: build_member_field_size() (cols/2 = 40), print_member_header() and
 * txt_member_state() (` %-40.40s %4d Online...`), build_service_field_sizes() ((80 - (14 + 6)) / 2 = 30),
 * _txt_rg_state() (`(%-.*s)` last owner cut to 28), _txt_rg_state_v() (`-l`), txt_rg_states() (`-s`: the
 * header and the one row; exit 0 for starting/started/stopping, else the state number, -1 (255) when no
 * such service), main() (`perror("Could not connect to CMAN")` when cman_init fails).
 */
import type { CmdCtx, CommandFn } from '../../node/command.js';
import { clusterView } from '../view.js';
import { rgmanager, type GroupStatus } from './model.js';
import { worldOf } from '../../world/world.js';

const DAY = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const p2 = (n: number) => String(n).padStart(2, '0');

/** ctime(3) without the newline: `Sun Jan  1 16:11:56 2012` (the nodes run in UTC). */
export function ctime(ms: number): string {
  const d = new Date(ms);
  return `${DAY[d.getUTCDay()]} ${MON[d.getUTCMonth()]} ${String(d.getUTCDate()).padStart(2)} ${p2(d.getUTCHours())}:${p2(d.getUTCMinutes())}:${p2(d.getUTCSeconds())} ${d.getUTCFullYear()}`;
}

/** printf `%-N.Ns`. */
const col = (s: string, n: number) => s.slice(0, n).padEnd(n);

/** rgmanager's state numbers (include/resgroup.h RG_STATE_*), as `clustat -l` prints them. */
const STATE_NO: Record<string, number> = {
  stopped: 110,
  starting: 111,
  started: 112,
  stopping: 113,
  failed: 114,
  recovering: 118,
  disabled: 119,
  migrating: 120,
};

/** One service in the long format (`clustat -l`, _txt_rg_state_v; ctime's own newline leaves a blank line). */
export function serviceLong(id: string, st: GroupStatus, name: (node: string) => string, now: number): string {
  return (
    `Service Name      : ${id}\n` +
    `  Current State   : ${st.state} (${STATE_NO[st.state]})\n` +
    '  Flags           : none (0)\n' +
    `  Owner           : ${st.owner ? name(st.owner) : 'none'}\n` +
    `  Last Owner      : ${st.last ? name(st.last) : 'none'}\n` +
    `  Last Transition : ${ctime(st.transition ?? now)}\n\n`
  );
}

/** One service row. */
export function serviceRow(id: string, st: GroupStatus, name: (node: string) => string): string {
  const paren = st.state === 'stopped' || st.state === 'disabled' || st.state === 'failed';
  const owner = paren ? `(${(st.last ? name(st.last) : 'none').slice(0, 28)})` : st.owner ? name(st.owner) : 'none';
  return ` ${col(id, 30)} ${col(owner, 30)} ${col(st.state, 14)}\n`;
}

/** The whole report for `node`, or an error line and exit code. */
export function clustatText(ctx: CmdCtx, long = false): { out: string; err: string; code: number } {
  const w = worldOf(ctx.node);
  const me = ctx.node.name;
  const v = clusterView(w);
  // NOTE: clustat.c main(): cman_init() fails and `perror("Could not connect to CMAN")` prints errno's text
  // (the review's "CMAN is not running." is not in the 3.0.12 source; the source wins).
  if (!v || !v.isMember(me) || !ctx.node.isRunning('cman'))
    return { out: '', err: 'Could not connect to CMAN: No such file or directory\n', code: 1 };
  const rg = rgmanager(w);
  const local = rg?.daemon(me);
  const conf = local?.conf ?? rg?.readConf(me);
  const members = new Set(rg ? rg.members(me) : []);
  const nodes = [...(conf?.nodes ?? [])].sort((a, b) => a.nodeid - b.nodeid);
  const labOf = (cn: string) => rg?.labName(cn) ?? cn;
  let out = `Cluster Status for ${v.clusterName(me) ?? conf?.cluster ?? ''} @ ${ctime(w.now())}\n`;
  out += `Member Status: ${v.quorate(me) ? 'Quorate' : 'Inquorate'}\n\n`;
  out += ` ${col('Member Name', 40)}${col('ID', 4)} Status\n`;
  out += ` ${col('------ ----', 40)}${col('----', 4)} ------\n`;
  // NOTE: clustat flags rgmanager members only when the local daemon returned a service list.
  const ids =
    local && rg
      ? local.conf.groups
          .map((g) => g.id)
          .filter((id) => rg.status(id))
          .sort()
      : [];
  for (const n of nodes) {
    const lab = labOf(n.name);
    const up = members.has(lab);
    const flags = [up ? 'Online' : 'Offline'];
    if (lab === me) flags.push('Local');
    if (ids.length && up && rg!.rgMembers(me).includes(lab)) flags.push('rgmanager');
    out += ` ${col(n.name, 40)} ${String(n.nodeid).padStart(4)} ${flags.join(', ')}\n`;
  }
  out += '\n';
  if (rg) {
    const name = (lab: string) => conf?.nodes.find((x) => labOf(x.name) === lab)?.name ?? lab;
    if (ids.length && long) {
      out += 'Service Information\n------- -----------\n\n';
      for (const id of ids) out += serviceLong(id, rg.status(id)!, name, w.now());
    } else if (ids.length) {
      out += ` ${col('Service Name', 30)} ${col('Owner (Last)', 30)} ${col('State', 14)}\n`;
      out += ` ${col('------- ----', 30)} ${col('----- ------', 30)} ${col('-----', 14)}\n`;
      for (const id of ids) out += serviceRow(id, rg.status(id)!, name);
    }
  }
  return { out, err: '', code: 0 };
}

/** clustat [-s service] [-m member] [-Q] [-v] (the forms the tutorial and the tool use, plus a few). */
export const clustat: CommandFn = (ctx) => {
  const a = ctx.argv.slice(1);
  if (a.includes('-v')) {
    ctx.out('clustat version 3.0.12.1\n');
    return 0;
  }
  const bad = a.find((x) => x.startsWith('-') && !['-Q', '-f', '-l', '-x', '-s', '-m', '-i'].includes(x));
  if (bad || a.includes('-h') || a.includes('-?')) {
    ctx.out(
      'usage: clustat <options>\n    -i <interval>      Refresh every <interval> seconds.  May not be used\n                       with -x.\n    -I                 Display local node ID and exit\n    -m <member>        Display status of <member> and exit\n    -s <service>       Display status of <service> and exit\n    -v                 Display version and exit\n    -x                 Dump information as XML\n    -Q                 Return 0 if quorate, 1 if not (no output)\n    -f                 Enable fast clustat reports\n    -l                 Use long format for services\n\n',
    );
    return bad ? 1 : 0;
  }
  const r = clustatText(ctx, a.includes('-l'));
  if (r.code) {
    ctx.err(r.err);
    return r.code;
  }
  const w = worldOf(ctx.node);
  if (a.includes('-Q')) return clusterView(w)!.quorate(ctx.node.name) ? 0 : 1;
  const si = a.indexOf('-s');
  if (si >= 0) {
    let id = a[si + 1] ?? '';
    if (!id.includes(':')) id = `service:${id}`;
    const rg = rgmanager(w);
    const st = rg?.daemon(ctx.node.name) ? rg.status(id) : undefined;
    // NOTE: txt_rg_states(): no such service prints nothing and returns -1 (exit 255).
    if (!st || !rg) return 255;
    const conf = rg.daemon(ctx.node.name)!.conf;
    const name = (lab: string) => conf.nodes.find((x) => rg.labName(x.name) === lab)?.name ?? lab;
    if (a.includes('-l')) ctx.out('Service Information\n------- -----------\n\n' + serviceLong(id, st, name, w.now()));
    else {
      const lines = r.out.split('\n');
      const head = lines.findIndex((l) => l.startsWith(' Service Name'));
      ctx.out(`${lines[head]}\n${lines[head + 1]}\n${serviceRow(id, st, name)}`);
    }
    return st.state === 'started' || st.state === 'starting' || st.state === 'stopping' ? 0 : STATE_NO[st.state];
  }
  ctx.out(r.out);
  return 0;
};
