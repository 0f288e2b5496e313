/**
 * System commands: id, whoami, hostname, uname, date, sleep, env, which, nohup, sh/bash, modprobe,
 * lsmod, logger, sync, uptime, runlevel.
 */
import { parse } from '../shell/parser.js';
import type { CommandFn } from '../node/command.js';
import { dateString, strftime } from '../node/time.js';
import { errText } from '../fs/memfs.js';
import { resolveHost } from './hosts.js';
import { labWait } from '../world/job-clock.js';
import { HaltSignal } from '../shell/types.js';
import { configuredSelinux } from '../node/boot-config.js';

const KERNEL = '2.6.32-358.el6.x86_64';
const KVERSION = '#1 SMP Fri Feb 22 00:31:26 UTC 2013';

const id: CommandFn = (ctx) => {
  const a = ctx.argv.slice(1);
  if (a.includes('-u')) ctx.out(a.includes('-n') ? 'root\n' : '0\n');
  else if (a.includes('-g')) ctx.out(a.includes('-n') ? 'root\n' : '0\n');
  else if (a.includes('-un') || a.includes('-nu')) ctx.out('root\n');
  else ctx.out('uid=0(root) gid=0(root) groups=0(root),1(bin),2(daemon),3(sys),4(adm),6(disk),10(wheel)\n');
  return 0;
};

const whoami: CommandFn = (ctx) => {
  ctx.out('root\n');
  return 0;
};

const hostname: CommandFn = (ctx) => {
  const a = ctx.argv.slice(1);
  const n = ctx.node;
  if (!a.length) ctx.out(n.hostname + '\n');
  else if (a[0] === '-s' || a[0] === '--short') ctx.out(n.hostname.split('.')[0] + '\n');
  else if (a[0] === '-d' || a[0] === '--domain') ctx.out(n.hostname.split('.').slice(1).join('.') + '\n');
  else if (a[0] === '-f' || a[0] === '--fqdn' || a[0] === '--long') {
    const r = resolveHost(ctx, n.hostname);
    ctx.out((r?.canonical ?? n.hostname) + '\n');
  } else if (a[0] === '-i' || a[0] === '--ip-address') {
    const r = resolveHost(ctx, n.hostname);
    if (!r) {
      ctx.err('hostname: Unknown host\n');
      return 1;
    }
    ctx.out(r.ip + ' \n');
  } else if (!a[0].startsWith('-')) {
    n.hostname = a[0]!;
    n.world.changed();
  }
  return 0;
};

const uname: CommandFn = (ctx) => {
  const flags = ctx.argv.slice(1).join('').replace(/-/g, '') || 's';
  const h = ctx.node.hostname;
  const all: [string, string][] = [
    ['s', 'Linux'],
    ['n', h],
    ['r', KERNEL],
    ['v', KVERSION],
    ['m', 'x86_64'],
    ['p', 'x86_64'],
    ['i', 'x86_64'],
    ['o', 'GNU/Linux'],
  ];
  const pick = flags.includes('a') ? all : all.filter(([f]) => flags.includes(f));
  ctx.out(pick.map(([, v]) => v).join(' ') + '\n');
  return 0;
};

const date: CommandFn = (ctx) => {
  let t = ctx.node.world.now();
  let fmt: string | undefined;
  const a = ctx.argv.slice(1);
  for (let i = 0; i < a.length; i++) {
    const x = a[i];
    if (x.startsWith('+')) fmt = x.slice(1);
    else if (x === '-d' || x === '--date') {
      const d = a[++i] ?? '';
      t = d.startsWith('@') ? Number(d.slice(1)) * 1000 : Date.parse(d) || t;
    } else if (x.startsWith('--date=')) {
      const d = x.slice(7);
      t = d.startsWith('@') ? Number(d.slice(1)) * 1000 : Date.parse(d) || t;
    }
  }
  ctx.out((fmt !== undefined ? strftime(fmt, t) : dateString(t)) + '\n');
  return 0;
};

const sleep: CommandFn = async (ctx) => {
  let ms = 0;
  for (const a of ctx.argv.slice(1)) {
    const m = /^(\d+(?:\.\d+)?)([smhd]?)$/.exec(a);
    if (!m) {
      ctx.err(`sleep: invalid time interval ${'`'}${a}'\nTry \`sleep --help' for more information.\n`);
      return 1;
    }
    ms += Number(m[1]) * ({ '': 1, s: 1, m: 60, h: 3600, d: 86400 } as Record<string, number>)[m[2]] * 1000;
  }
  // NOTE: lab time jumps ahead (updelay timers fire); real time barely moves. In a background job the
  // wait overlaps the other jobs' waits (job-clock.ts), and a node that went down meanwhile runs no more.
  await labWait(ctx.node.world, ms);
  if (!ctx.node.running) throw new HaltSignal(`${ctx.node.name} went down during sleep`);
  await new Promise((r) => setTimeout(r, Math.min(ms, 5)));
  return 0;
};

const env: CommandFn = async (ctx) => {
  const a = ctx.argv.slice(1);
  const vars: Record<string, string> = a[0] === '-i' ? {} : ctx.sh.environ();
  let i = a[0] === '-i' ? 1 : 0;
  for (; i < a.length && /^[A-Za-z_]\w*=/.test(a[i]); i++) {
    const [k, ...v] = a[i].split('=');
    vars[k] = v.join('=');
  }
  if (i >= a.length) {
    ctx.out(
      Object.entries(vars)
        .map(([k, v]) => `${k}=${v}\n`)
        .join(''),
    );
    return 0;
  }
  const sub = ctx.sh.child('env');
  sub.vars = new Map(Object.entries(vars));
  sub.exported = new Set(Object.keys(vars));
  return sub.invoke(a.slice(i), { stdin: ctx.stdin, out: ctx.out, err: ctx.err });
};

const which: CommandFn = (ctx) => {
  let code = 0;
  const path = ctx.sh.vars.get('PATH') ?? '';
  for (const n of ctx.argv.slice(1).filter((x) => !x.startsWith('-'))) {
    const f = ctx.sh.findProgram(n);
    if ('path' in f) ctx.out(f.path + '\n');
    else {
      ctx.err(`/usr/bin/which: no ${n} in (${path})\n`);
      code = 1;
    }
  }
  return code;
};

const nohup: CommandFn = (ctx) => {
  const a = ctx.argv.slice(1);
  if (!a.length) {
    ctx.err("nohup: missing operand\nTry `nohup --help' for more information.\n");
    return 125;
  }
  return ctx.sh.invoke(a, { stdin: '', out: ctx.out, err: ctx.err });
};

/** `bash -n`: parse only; a syntax error is reported with bash's exit code 2. */
function syntaxCheck(ctx: Parameters<CommandFn>[0], name: string, text: string): number {
  try {
    parse(text.replace(/^#![^\n]*\n/, ''));
    return 0;
  } catch (e) {
    ctx.err(`${name}: ${errText(e)}\n`);
    return 2;
  }
}

const sh: CommandFn = async (ctx) => {
  const a = ctx.argv.slice(1);
  const name = ctx.argv[0].split('/').pop()!;
  let i = 0;
  let script: string | undefined;
  let errexit = false;
  let noexec = false;
  while (i < a.length && a[i].startsWith('-') && a[i] !== '-') {
    const f = a[i++];
    if (/^-[a-z]*e/.test(f) && f !== '-c') errexit = true;
    // NOTE: bash -n reads commands without executing them (a syntax check); never run the script.
    if (/^-[a-z]*n/.test(f)) noexec = true;
    if (/^-[a-z]*c$/.test(f) && f !== '-c') {
      if (f.includes('e')) errexit = true;
      script = a[i++];
      break;
    }
    if (f === '-c') {
      script = a[i++];
      if (script === undefined) {
        ctx.err(`${name}: -c: option requires an argument\n`);
        return 2;
      }
      break;
    }
  }
  const child = ctx.sh.child(name);
  child.errexit = errexit;
  if (noexec && script !== undefined) return syntaxCheck(ctx, name, script);
  if (noexec && i >= a.length) return syntaxCheck(ctx, name, ctx.stdin);
  if (script !== undefined) {
    if (a[i] !== undefined) child.name = a[i++]!;
    child.positional = a.slice(i);
    return child.runScript(script, { stdin: ctx.stdin, out: ctx.out, err: ctx.err });
  }
  if (i < a.length) {
    const file = a[i];
    let text: string;
    try {
      text = ctx.node.fs.readText(ctx.sh.resolve(file));
    } catch (e) {
      ctx.err(`${name}: ${file}: ${errText(e)}\n`);
      return 127;
    }
    child.name = file;
    child.positional = a.slice(i + 1);
    if (noexec) return syntaxCheck(ctx, file, text);
    return child.runScript(text, { stdin: ctx.stdin, out: ctx.out, err: ctx.err });
  }
  return child.runScript(ctx.stdin, { stdin: '', out: ctx.out, err: ctx.err });
};

const modprobe: CommandFn = (ctx) => {
  const mods = ctx.argv.slice(1).filter((x) => !x.startsWith('-'));
  const known =
    /^(bonding|bridge|drbd|dlm|gfs2|kvm|kvm_intel|kvm_amd|ipmi_.*|e1000e|8021q|tun|vhost_net|configfs|dm_.*|ip6?_tables|nf_.*|iptable_.*)$/;
  for (const m of mods) {
    if (!known.test(m) && !(m === 'drbd' && ctx.node.packages.has('kmod-drbd83'))) {
      ctx.err(`FATAL: Module ${m} not found.\n`);
      return 1;
    }
    if (m === 'drbd' && !ctx.node.packages.has('kmod-drbd83')) {
      ctx.err('FATAL: Module drbd not found.\n');
      return 1;
    }
  }
  return 0;
};

const lsmod: CommandFn = (ctx) => {
  const mods = ['ipv6', 'e1000e', 'dm_mod'];
  if (ctx.node.net.list().some((i) => i.kind === 'bond')) mods.push('bonding');
  if (ctx.node.net.list().some((i) => i.kind === 'bridge')) mods.push('bridge');
  ctx.out(
    'Module                  Size  Used by\n' + mods.map((m) => `${m.padEnd(19)}${'12345'.padStart(9)}  0 \n`).join(''),
  );
  return 0;
};

const logger: CommandFn = (ctx) => {
  const a = ctx.argv.slice(1);
  let tag = 'root';
  const words: string[] = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '-t') tag = a[++i] ?? tag;
    else if (a[i] === '-p') i++;
    else words.push(a[i]);
  }
  ctx.node.log(tag, words.length ? words.join(' ') : ctx.stdin.trim());
  return 0;
};

const sync: CommandFn = () => 0;

const uptime: CommandFn = (ctx) => {
  const now = ctx.node.world.now();
  const up = Math.floor((now - ctx.node.bootTime) / 60000);
  const t = strftime('%H:%M:%S', now);
  const upTxt = up < 60 ? `${up} min` : `${Math.floor(up / 60)}:${String(up % 60).padStart(2, '0')}`;
  ctx.out(` ${t} up ${upTxt},  1 user,  load average: 0.00, 0.01, 0.05\n`);
  return 0;
};

const runlevel: CommandFn = (ctx) => {
  ctx.out('N 3\n');
  return 0;
};

const getenforce: CommandFn = (ctx) => {
  ctx.out(ctx.node.selinux + '\n');
  return 0;
};

const setenforce: CommandFn = (ctx) => {
  const v = ctx.argv[1];
  if (ctx.node.selinux === 'Disabled') {
    ctx.err('setenforce: SELinux is disabled\n');
    return 1;
  }
  if (v === '0' || v?.toLowerCase() === 'permissive') ctx.node.selinux = 'Permissive';
  else if (v === '1' || v?.toLowerCase() === 'enforcing') ctx.node.selinux = 'Enforcing';
  else {
    ctx.err('usage:  setenforce [ Enforcing | Permissive | 1 | 0 ]\n');
    return 1;
  }
  ctx.node.world.changed();
  return 0;
};

const sestatus: CommandFn = (ctx) => {
  const mode = ctx.node.selinux;
  if (mode === 'Disabled') ctx.out('SELinux status:                 disabled\n');
  else
    ctx.out(
      `SELinux status:                 enabled\nSELinuxfs mount:                /selinux\nCurrent mode:                   ${mode.toLowerCase()}\nMode from config file:          ${configuredSelinux(ctx.node.fs).toLowerCase()}\nPolicy version:                 24\nPolicy from config file:        targeted\n`,
    );
  return 0;
};

/** System commands by name. */
export const SYSTEM_COMMANDS: Record<string, CommandFn> = {
  getenforce,
  setenforce,
  sestatus,
  id,
  whoami,
  hostname,
  uname,
  date,
  sleep,
  env,
  which,
  nohup,
  sh,
  bash: sh,
  modprobe,
  lsmod,
  logger,
  sync,
  uptime,
  runlevel,
};
