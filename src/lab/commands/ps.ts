/**
 * `ps aux`, `ps -ef` and `pgrep [-l] [-f] [-x] PATTERN` (procps 3.2.8, EL6) over the node's process
 * table as the lab knows it: init, the kernel threads an operator looks for (DRBD's per-minor
 * `drbdN_worker`/`_receiver`/`_asender`), the daemons of the running services, a `qemu-kvm` per running
 * guest (user qemu), the SSH session and ps itself. Other forms fail loudly.
 *
 * Sources (facts and formats only):
 * - procps 3.2.8 `ps/output.c` format_array widths and `ps/sortformat.c` "aux" (user,pid,%cpu,%mem,vsz,
 *   rss,tname,stat,start_time,bsdtime,args) and "-f" (uid,pid,ppid,c,stime,tname,time,cmd) formats:
 *   USER 8 left, PID 5, %CPU/%MEM 4 ("0.0"), VSZ 6, RSS 5, TTY 8 left ("?" for none), STAT 4 left,
 *   START 5 ("HH:MM" today, "MonDD" before), TIME 6 ("M:SS"); -ef: PPID 5, C 2, STIME 5, TIME 8
 *   ("HH:MM:SS"); kernel threads' args in brackets; not a tty: the command is not cut.
 * - procps 3.2.8 `pgrep.c`: the pattern is an extended regex matched against the process name (15
 *   characters, /proc/PID/stat comm) or with -f the whole command line; -x whole match; -l "PID NAME";
 *   pgrep never matches itself; exit 0 found, 1 none, 2 usage ("pgrep: only one pattern can be
 *   provided", "pgrep: no matching criteria specified").
 * - The daemons' command lines are those of the EL6 init scripts' `daemon` lines (rsyslog "-i
 *   /var/run/syslogd.pid -c 5", ntpd OPTIONS "-u ntp:ntp -p /var/run/ntpd.pid -g", clvmd CLVMD_OPTS
 *   "-T30", ricci "-u ricci", cman's `cman_tool join` starting "corosync -f", fenced, dlm_controld,
 *   gfs_controld); DRBD 8.3 drbd_main.c drbd_thread_start() names its threads "drbd%d_%s".
 * Deviations: every daemon started when the node booted (the lab keeps no per-service start time);
 * VSZ/RSS are fixed per program (the lab's choice); %CPU is always 0.0.
 */
import type { CmdCtx, CommandFn } from '../node/command.js';
import type { LabNode } from '../node/node.js';
import { worldOf } from '../world/world.js';

interface Proc {
  pid: number;
  ppid: number;
  user: string;
  comm: string;
  args: string;
  kernel?: boolean;
  start: number;
  stat: string;
  vsz: number;
  rss: number;
}

/** service → its processes (args, VSZ KiB, RSS KiB). */
const DAEMONS: Record<string, [string, number, number][]> = {
  sshd: [['/usr/sbin/sshd', 66216, 1180]],
  rsyslog: [['/sbin/rsyslogd -i /var/run/syslogd.pid -c 5', 249080, 1604]],
  crond: [['crond', 117300, 1240]],
  acpid: [['acpid', 4080, 600]],
  auditd: [['auditd', 27636, 820]],
  messagebus: [['dbus-daemon --system', 21408, 1040]],
  postfix: [
    ['/usr/libexec/postfix/master', 80864, 3380],
    ['qmgr -l -t fifo -u', 81116, 3400],
  ],
  ntpd: [['ntpd -u ntp:ntp -p /var/run/ntpd.pid -g', 30740, 1660]],
  NetworkManager: [['NetworkManager --pid-file=/var/run/NetworkManager/NetworkManager.pid', 239664, 4300]],
  cman: [
    ['corosync -f', 634216, 43240],
    ['fenced', 186500, 1496],
    ['dlm_controld', 242760, 7644],
    ['gfs_controld', 186460, 1780],
  ],
  ricci: [['ricci -u ricci', 166456, 2264]],
  modclusterd: [['modclusterd', 226436, 2468]],
  rgmanager: [
    ['rgmanager', 36636, 1188],
    ['rgmanager', 251244, 3796],
  ],
  clvmd: [['clvmd -T30', 266120, 33620]],
  libvirtd: [['libvirtd --daemon', 953708, 14340]],
  ksmtuned: [['/bin/bash /usr/sbin/ksmtuned', 108360, 1264]],
  gpm: [['gpm -m /dev/input/mice -t exps2', 6292, 480]],
};

/** The world's state the process table reads, typed structurally (storage and virt are optional). */
interface StorageLike {
  of(node: LabNode): { minors: Record<string, { minor: number; net?: unknown }> };
}
interface VirtLike {
  names(node: string): string[];
  record(
    node: string,
    name: string,
  ): { live?: { def: { memory: number; vcpu: number; uuid?: string }; startedAt: number } } | undefined;
}

function table(node: LabNode, self: string): Proc[] {
  const w = worldOf(node);
  const boot = node.bootTime;
  const out: Proc[] = [
    { pid: 1, ppid: 0, user: 'root', comm: 'init', args: '/sbin/init', start: boot, stat: 'Ss', vsz: 19352, rss: 1536 },
    {
      pid: 2,
      ppid: 0,
      user: 'root',
      comm: 'kthreadd',
      args: '[kthreadd]',
      kernel: true,
      start: boot,
      stat: 'S',
      vsz: 0,
      rss: 0,
    },
  ];
  const storage = w.sub('storage') as unknown as StorageLike | undefined;
  let kpid = 300;
  for (const m of Object.values(storage?.of(node).minors ?? {}).sort((a, b) => a.minor - b.minor))
    for (const t of m.net ? ['worker', 'receiver', 'asender'] : ['worker']) {
      const comm = `drbd${m.minor}_${t}`;
      out.push({
        pid: kpid++,
        ppid: 2,
        user: 'root',
        comm,
        args: `[${comm}]`,
        kernel: true,
        start: boot,
        stat: 'S',
        vsz: 0,
        rss: 0,
      });
    }
  for (const [svc, pid] of Object.entries(node.services).sort((a, b) => a[1] - b[1]))
    (DAEMONS[svc] ?? []).forEach(([args, vsz, rss], i) => {
      const comm = args.split(' ')[0].split('/').pop()!.slice(0, 15);
      out.push({
        pid: pid + i * 1000,
        ppid: i && svc === 'rgmanager' ? pid : 1,
        user: 'root',
        comm,
        args,
        start: boot,
        stat: i ? 'S' : 'Ssl',
        vsz,
        rss,
      });
    });
  const virt = w.sub('virt') as unknown as VirtLike | undefined;
  let qpid = 20000;
  for (const name of virt?.names(node.name) ?? []) {
    const live = virt!.record(node.name, name)?.live;
    if (!live) continue;
    const memMiB = Math.round(live.def.memory / 1024);
    out.push({
      pid: qpid++,
      ppid: 1,
      user: 'qemu',
      comm: 'qemu-kvm',
      args: `/usr/libexec/qemu-kvm -name ${name} -S -M rhel6.4.0 -enable-kvm -m ${memMiB} -smp ${live.def.vcpu},sockets=1,cores=${live.def.vcpu},threads=1${live.def.uuid ? ` -uuid ${live.def.uuid}` : ''} -nodefconfig -nodefaults`,
      start: live.startedAt,
      stat: 'Sl',
      vsz: memMiB * 1024 + 400000,
      rss: memMiB * 1024,
    });
  }
  // the session and ps itself are the newest processes
  const sshd = node.pidOf('sshd');
  const sess = Math.max(node.shellPid, ...out.map((p) => p.pid)) + 2;
  if (sshd)
    out.push({
      pid: sess - 1,
      ppid: sshd,
      user: 'root',
      comm: 'sshd',
      args: 'sshd: root@notty',
      start: w.now(),
      stat: 'Ss',
      vsz: 97860,
      rss: 3900,
    });
  out.push({
    pid: sess + 1,
    ppid: sshd ? sess - 1 : 1,
    user: 'root',
    comm: self.split(' ')[0],
    args: self,
    start: w.now(),
    stat: 'R',
    vsz: 110232,
    rss: 1152,
  });
  return out.sort((a, b) => a.pid - b.pid);
}

const MON = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
function startCol(t: number, now: number): string {
  const d = new Date(t);
  if (now - t < 24 * 3600 * 1000)
    return `${String(d.getUTCHours()).padStart(2, '0')}:${String(d.getUTCMinutes()).padStart(2, '0')}`;
  return `${MON[d.getUTCMonth()]}${String(d.getUTCDate()).padStart(2, '0')}`;
}

/** Total memory of a lab node in KiB (the tutorial's nodes), for %MEM. */
const MEM_KIB = 24 * 1024 * 1024;

export const ps: CommandFn = (ctx: CmdCtx) => {
  const a = ctx.argv.slice(1).join(' ');
  const now = ctx.node.world.now();
  const procs = table(ctx.node, ctx.argv.join(' '));
  if (a === 'aux' || a === '-aux' || a === 'axu') {
    ctx.out('USER       PID %CPU %MEM    VSZ   RSS TTY      STAT START   TIME COMMAND\n');
    for (const p of procs)
      ctx.out(
        `${p.user.padEnd(8)} ${String(p.pid).padStart(5)}  0.0 ${((100 * p.rss) / MEM_KIB).toFixed(1).padStart(4)} ${String(p.vsz).padStart(6)} ${String(p.rss).padStart(5)} ${'?'.padEnd(8)} ${p.stat.padEnd(4)} ${startCol(p.start, now).padStart(5)}   0:00 ${p.args}\n`,
      );
    return 0;
  }
  if (a === '-ef' || a === '-e -f' || a === '-fe') {
    ctx.out('UID        PID  PPID  C STIME TTY          TIME CMD\n');
    for (const p of procs)
      ctx.out(
        `${p.user.padEnd(8)} ${String(p.pid).padStart(5)} ${String(p.ppid).padStart(5)}  0 ${startCol(p.start, now).padStart(5)} ${'?'.padEnd(8)} 00:00:00 ${p.args}\n`,
      );
    return 0;
  }
  ctx.err(`ps: ${a || '(no options)'} is not simulated by the lab (only \`ps aux\`, \`ps -ef\`)\n`);
  return 1;
};

export const pgrep: CommandFn = (ctx: CmdCtx) => {
  let long = false;
  let full = false;
  let exact = false;
  const pats: string[] = [];
  for (const x of ctx.argv.slice(1)) {
    if (/^-[lfx]+$/.test(x)) {
      long ||= x.includes('l');
      full ||= x.includes('f');
      exact ||= x.includes('x');
    } else if (x.startsWith('-')) {
      ctx.err(`pgrep: ${x} is not simulated by the lab (only -l, -f, -x)\n`);
      return 2;
    } else pats.push(x);
  }
  if (pats.length > 1) {
    ctx.err('pgrep: only one pattern can be provided\n');
    return 2;
  }
  if (!pats.length) {
    ctx.err(
      'pgrep: no matching criteria specified\nUsage: pgrep [-flvx] [-d DELIM] [-n|-o] [-P PPIDLIST] [-g PGRPLIST] [-s SIDLIST]\n\t[-u EUIDLIST] [-U UIDLIST] [-G GIDLIST] [-t TERMLIST] [PATTERN]\n',
    );
    return 2;
  }
  let re: RegExp;
  try {
    re = new RegExp(exact ? `^(?:${pats[0]})$` : pats[0]);
  } catch {
    ctx.err(`pgrep: invalid regular expression: ${pats[0]}\n`);
    return 2;
  }
  let found = 0;
  const self = ctx.argv.join(' ');
  for (const p of table(ctx.node, self)) {
    if (p.args === self) continue;
    // NOTE: -f matches the command line; a kernel thread has none, so its name is used
    if (!re.test(full && !p.kernel ? p.args : p.comm)) continue;
    found++;
    ctx.out(long ? `${p.pid} ${p.comm}\n` : `${p.pid}\n`);
  }
  return found ? 0 : 1;
};

export const PS_COMMANDS: Record<string, CommandFn> = { ps, pgrep };
