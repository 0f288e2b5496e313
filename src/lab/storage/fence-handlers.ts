/**
 * DRBD's fence-peer handlers in the lab: the file the tool downloads is what DRBD runs. A shell script
 * (obliterate-peer.sh) runs in the lab's shell; rhcs_fence is a Perl program, and the lab's `perl`
 * runs only the lab's model of rhcs_fence 0.2.5 (identified by content); anything else fails loudly.
 *
 * Facts modelled (never its code), from digimer/rhcs_fence at 0.2.5 (2012-08-01, file `rhcs_fence`):
 * main flow get_local_node_name -> get_local_resource_state -> get_info_on_other_nodes -> get_target ->
 * sleep_a_bit -> eject_target -> kill_target; `sleep_a_bit()`: node ID 1 waits 0 s, others
 * (ID * 2) + 5 s, at most 30; `get_local_resource_state()`: refuses (exit 1) unless the minor's
 * `ds:` in /proc/drbd is UpToDate; `kill_target()`: `fence_node -v $DRBD_PEERS`, exit 7 on success,
 * 1 on failure; log lines go to /var/log/messages.
 */
import type { CommandFn } from '../node/command.js';
import type { LabNode } from '../node/node.js';
import type { PackageDef } from '../node/packages.js';

/** The line that identifies the lab's model of rhcs_fence (the file the lab's download serves). */
export const RHCS_FENCE_MARK = '# anvil-lab model: rhcs_fence 0.2.5';

/**
 * The file `wget https://raw.github.com/digimer/rhcs_fence/master/rhcs_fence` gets in the lab: not the
 * program (its code is not copied), a marked stand-in the lab's `perl` runs as the model above. Its size
 * is the 15K of the tutorial's `ls -lah` (2124).
 */
export const RHCS_FENCE_FILE =
  (
    '#!/usr/bin/perl\n#\n' +
    "# rhcs_fence: DRBD fence-peer handler for Red Hat Cluster (RHCS), by Digimer (Alteeve's Niche!).\n" +
    `${RHCS_FENCE_MARK}\n` +
    "# The lab serves this marked stand-in instead of the program; the lab's perl runs its model:\n" +
    '# delay by cman node ID (0 s for ID 1, else ID*2+5 s, max 30), refuse unless the local minor is\n' +
    '# UpToDate, then `fence_node -v $DRBD_PEERS`: exit 7 when the peer was fenced, else 1.\n' +
    '#\n'
  ).padEnd(15000, '#') + '\n';

/** The cman node ID from `cman_tool status` ("Node ID: 1"), or undefined. */
function nodeId(text: string): number | undefined {
  const m = /^Node ID:\s*(\d+)/m.exec(text);
  return m ? Number(m[1]) : undefined;
}

/** rhcs_fence 0.2.5's behaviour, run with DRBD's environment. */
async function rhcsFence(node: LabNode, env: Record<string, string>, err: (s: string) => void): Promise<number> {
  const log = (m: string) => node.log('rhcs_fence', m);
  const sh = async (c: string) => node.exec(c, { env });
  log('Attempting to fence peer using RHCS from DRBD...');
  const status = await sh('cman_tool status');
  const id = status.code === 0 ? nodeId(status.stdout) : undefined;
  if (id === undefined) {
    log("Unable to find the local node's ID in 'cman_tool status'.");
    return 1;
  }
  const minor = env.DRBD_MINOR ?? '';
  const proc = await sh('cat /proc/drbd');
  const ds = new RegExp(`^\\s*${minor}: .*? ds:([^/]+)/`, 'm').exec(proc.stdout)?.[1];
  if (minor === '' || ds !== 'UpToDate') {
    log(`Local resource: [${env.DRBD_RESOURCE ?? ''}], minor: [${minor}] is NOT 'UpToDate', will not fence peer.`);
    return 1;
  }
  const peer = env.DRBD_PEERS ?? '';
  const nodes = await sh('cman_tool nodes');
  const short = peer.split('.')[0];
  if (
    !peer ||
    !nodes.stdout.split('\n').some((l) => l.split(/\s+/).some((f) => f === peer || f.split('.')[0] === short))
  ) {
    log(`I didn't see the other node: [${peer}] in cman's node list. I can't fence this node.`);
    return 1;
  }
  // NOTE: sleep_a_bit(): the delay that keeps node 1 standing when both nodes fence at once (tutorial 2118-2120).
  const delay = id > 1 ? Math.min(30, id * 2 + 5) : 0;
  if (delay) await sh(`sleep ${delay}`);
  if (!node.running) return 1;
  const r = await sh(`fence_node -v ${peer}`);
  err(r.stderr);
  if (r.code === 0) {
    log(`'fence_node ${peer}' appears to have succeeded!`);
    return 7;
  }
  log(`'fence_node ${peer}' appears to have failed!`);
  return 1;
}

/**
 * `perl`: only `perl -c FILE` and `perl FILE` of the lab's rhcs_fence model. A file that is not that
 * model (an HTML error page saved by a download, another Perl program) fails loudly.
 */
const perl: CommandFn = async (ctx) => {
  const a = ctx.argv.slice(1);
  const check = a[0] === '-c';
  const file = check ? a[1] : a[0];
  if (!file || file.startsWith('-')) {
    ctx.err('perl: the lab runs only `perl [-c] FILE` of its rhcs_fence model\n');
    return 255;
  }
  let text: string;
  try {
    text = ctx.node.fs.readText(ctx.sh.resolve(file));
  } catch {
    ctx.err(`Can't open perl script "${file}": No such file or directory\n`);
    return 2;
  }
  if (!text.includes(RHCS_FENCE_MARK)) {
    // NOTE: perl's own first error on an HTML page; any other Perl is outside the lab.
    if (/^\s*</.test(text)) {
      ctx.err(`syntax error at ${file} line 1, near "<"\n${file} had compilation errors.\n`);
      return 255;
    }
    ctx.err(`perl: ${file}: the lab interprets no Perl but its model of rhcs_fence 0.2.5\n`);
    return 255;
  }
  if (check) {
    ctx.err(`${file} syntax OK\n`);
    return 0;
  }
  return rhcsFence(ctx.node, ctx.sh.environ(), ctx.err);
};

// NOTE: EL6.4's perl; fence-agents pulls it in on a real node (perl-Net-Telnet), the tool installs it explicitly.

/** The programs of this module, by implementation name. */
export const FENCE_HANDLERS_PROGRAMS: Readonly<Record<string, CommandFn>> = {
  perl: perl,
};

/** The packages of this module. */
export const FENCE_HANDLERS_PACKAGES: readonly PackageDef[] = [
  { name: 'perl', evr: '4:5.10.1-130.el6_4', repo: 'base', bins: ['/usr/bin/perl'] },
];
