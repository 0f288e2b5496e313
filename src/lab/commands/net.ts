/**
 * Network commands in EL6 formats: ip (addr, link, route; -o -4 -6), ifconfig (net-tools 1.60),
 * ifup, ifdown, ping.
 */
import type { CmdCtx, CommandFn } from '../node/command.js';
import type { IfState } from '../node/network.js';
import type { LabNode } from '../node/node.js';
import { broadcast, prefixToMask } from '../node/ifcfg.js';
import { resolveHost } from './hosts.js';
import { route } from '../node/route.js';

/** fe80:: address derived from a MAC (EUI-64). */
export function linkLocal(mac: string): string {
  const b = mac.split(':').map((x) => parseInt(x, 16));
  b[0] ^= 2;
  const words = [(b[0] << 8) | b[1], (b[2] << 8) | 0xff, (0xfe << 8) | b[3], (b[4] << 8) | b[5]];
  return 'fe80::' + words.map((w) => w.toString(16)).join(':');
}

interface View {
  i: IfState;
  carrier: boolean;
  slave: boolean;
  v6: string | null;
}

function views(node: LabNode): View[] {
  return node.net.list().map((i) => {
    const slave = i.kind === 'eth' && !!i.master && node.net.ifaces[i.master]?.kind === 'bond';
    const carrier = node.net.carrier(i.name);
    const v6 = i.up && !slave ? (i.kind === 'lo' ? '::1/128' : `${linkLocal(i.mac)}/64`) : null;
    return { i, carrier, slave, v6 };
  });
}

function linkHead(v: View): string {
  const { i } = v;
  const flags: string[] = [];
  if (i.up && !v.carrier && i.kind !== 'lo') flags.push('NO-CARRIER');
  if (i.kind === 'lo') flags.push('LOOPBACK');
  else flags.push('BROADCAST', 'MULTICAST');
  if (v.slave) flags.push('SLAVE');
  if (i.kind === 'bond') flags.push('MASTER');
  if (i.up) flags.push('UP');
  if (i.up && v.carrier) flags.push('LOWER_UP');
  const mtu = i.kind === 'lo' ? 16436 : 1500;
  const qdisc = !i.up ? 'noop' : i.kind === 'eth' ? 'pfifo_fast' : 'noqueue';
  const master = i.master ? ` master ${i.master}` : '';
  const state = i.kind === 'lo' ? 'UNKNOWN' : i.up && v.carrier ? 'UP' : 'DOWN';
  const qlen = i.kind === 'eth' ? ' qlen 1000' : ' ';
  return `${i.index}: ${i.name}: <${flags.join(',')}> mtu ${mtu} qdisc ${qdisc}${master} state ${state}${qlen}`;
}

function linkLine(i: IfState): string {
  return i.kind === 'lo'
    ? '    link/loopback 00:00:00:00:00:00 brd 00:00:00:00:00:00'
    : `    link/ether ${i.mac} brd ff:ff:ff:ff:ff:ff`;
}

function addrLines(v: View, fam: '4' | '6' | ''): string[] {
  const out: string[] = [];
  if (fam !== '6')
    for (const a of v.i.addrs) {
      const brd = v.i.kind === 'lo' ? '' : ` brd ${broadcast(a.ip, a.prefix)}`;
      out.push(`    inet ${a.ip}/${a.prefix}${brd} scope ${v.i.kind === 'lo' ? 'host' : 'global'} ${v.i.name}`);
    }
  if (fam !== '4' && v.v6) out.push(`    inet6 ${v.v6} scope ${v.i.kind === 'lo' ? 'host' : 'link'} `);
  return out;
}

function ipCmd(ctx: CmdCtx): number {
  const argv = ctx.argv.slice(1);
  let oneline = false;
  let fam: '4' | '6' | '' = '';
  while (argv[0]?.startsWith('-')) {
    const f = argv.shift()!;
    if (f === '-o' || f === '-oneline') oneline = true;
    else if (f === '-4') fam = '4';
    else if (f === '-6') fam = '6';
    else if (f === '-f' || f === '-family') fam = argv.shift() === 'inet6' ? '6' : '4';
    else if (/^-o\d$/.test(f)) {
      oneline = true;
      fam = f.slice(2) as '4' | '6';
    } else {
      ctx.err(`Option "${f}" is unknown, try "ip -help".\n`);
      return 255;
    }
  }
  const obj = argv.shift() ?? 'help';
  const node = ctx.node;
  const matchObj = (full: string) => full.startsWith(obj) && obj.length >= 1;
  const devArg = () => {
    const k = argv.indexOf('dev');
    return k >= 0
      ? argv[k + 1]
      : argv.find(
          (a, j) =>
            j > 0 &&
            !['show', 'list', 'up', 'down', 'dev', 'set', 'add', 'del', 'label'].includes(a) &&
            !a.includes('/'),
        );
  };
  if (matchObj('address') || obj === 'a' || matchObj('link') || obj === 'l') {
    const isLink = obj.startsWith('l');
    const verb = argv[0] ?? 'show';
    if (isLink && verb === 'set') {
      const dev = devArg();
      const i = dev ? node.net.ifaces[dev] : undefined;
      if (!i) {
        ctx.err(`Cannot find device "${dev}"\n`);
        return 1;
      }
      if (argv.includes('up')) i.up = true;
      if (argv.includes('down')) i.up = false;
      node.world.changed();
      return 0;
    }
    if (!isLink && (verb === 'add' || verb === 'del')) {
      const cidr = argv[1] ?? '';
      const dev = argv[argv.indexOf('dev') + 1];
      const i = dev ? node.net.ifaces[dev] : undefined;
      if (!i) {
        ctx.err(`Cannot find device "${dev}"\n`);
        return 1;
      }
      const [ip, p] = cidr.split('/');
      if (verb === 'add') {
        if (i.addrs.some((a) => a.ip === ip)) {
          ctx.err('RTNETLINK answers: File exists\n');
          return 2;
        }
        i.addrs.push({ ip: ip, prefix: Number(p ?? 32) });
      } else i.addrs = i.addrs.filter((a) => a.ip !== ip);
      node.world.changed();
      return 0;
    }
    const dev =
      argv[0] === 'show' || argv[0] === 'list' || argv[0] === 'ls'
        ? argv[1] === 'dev'
          ? argv[2]
          : argv[1]
        : argv[0] === 'dev'
          ? argv[1]
          : argv[0];
    let vs = views(node);
    if (dev) {
      vs = vs.filter((v) => v.i.name === dev);
      if (!vs.length) {
        ctx.err(`Device "${dev}" does not exist.\n`);
        return 1;
      }
    }
    let out = '';
    for (const v of vs) {
      const addrs = isLink ? [] : addrLines(v, fam);
      if (fam && !isLink) {
        if (!addrs.length) continue;
        if (oneline) {
          for (const a of addrs)
            out += `${v.i.index}: ${v.i.name}    ${a.trim()}${a.endsWith(' ') ? ' ' : ''}${fam === '6' ? '\\       valid_lft forever preferred_lft forever' : ''}\n`;
          continue;
        }
        out += linkHead(v) + '\n' + addrs.map((a) => a + '\n').join('');
        continue;
      }
      if (oneline) {
        out += `${linkHead(v)}\\${linkLine(v.i)}\n`;
        for (const a of addrs) out += `${v.i.index}: ${v.i.name}    ${a.trim()}${a.endsWith(' ') ? ' ' : ''}\n`;
      } else out += [linkHead(v), linkLine(v.i), ...addrs].map((l) => l + '\n').join('');
    }
    ctx.out(out);
    return 0;
  }
  if (matchObj('route') || obj === 'r') {
    let out = '';
    for (const v of views(node)) {
      if (v.i.kind === 'lo' || !v.i.up) continue;
      for (const a of v.i.addrs) {
        const m = prefixToMask(a.prefix).split('.').map(Number);
        const net = a.ip
          .split('.')
          .map((o, k) => Number(o) & m[k])
          .join('.');
        out += `${net}/${a.prefix} dev ${v.i.name}  proto kernel  scope link  src ${a.ip} \n`;
      }
    }
    for (const r of node.net.state.routes) if (r.dest === 'default') out += `default via ${r.via} dev ${r.dev} \n`;
    ctx.out(out);
    return 0;
  }
  ctx.err(`Object "${obj}" is unknown, try "ip help".\n`);
  return 255;
}

function ifconfigBlock(v: View): string {
  const { i } = v;
  const name = i.name.padEnd(10);
  let s =
    i.kind === 'lo'
      ? `${name}Link encap:Local Loopback  \n`
      : `${name}Link encap:Ethernet  HWaddr ${i.mac.toUpperCase()}  \n`;
  for (const a of i.addrs) {
    const mask = prefixToMask(a.prefix);
    s +=
      i.kind === 'lo'
        ? `          inet addr:${a.ip}  Mask:${mask}\n`
        : `          inet addr:${a.ip}  Bcast:${broadcast(a.ip, a.prefix)}  Mask:${mask}\n`;
  }
  if (v.v6) s += `          inet6 addr: ${v.v6} Scope:${i.kind === 'lo' ? 'Host' : 'Link'}\n`;
  const flags: string[] = [];
  if (i.up) flags.push('UP');
  if (i.kind === 'lo') flags.push('LOOPBACK');
  else flags.push('BROADCAST');
  if (i.up && v.carrier) flags.push('RUNNING');
  if (i.kind === 'bond') flags.push('MASTER');
  if (v.slave) flags.push('SLAVE');
  if (i.kind !== 'lo') flags.push('MULTICAST');
  s += `          ${flags.join(' ')}  MTU:${i.kind === 'lo' ? 16436 : 1500}  Metric:1\n`;
  s += '          RX packets:0 errors:0 dropped:0 overruns:0 frame:0\n';
  s += '          TX packets:0 errors:0 dropped:0 overruns:0 carrier:0\n';
  s += `          collisions:0 txqueuelen:${i.kind === 'eth' ? 1000 : 0} \n`;
  s += '          RX bytes:0 (0.0 b)  TX bytes:0 (0.0 b)\n';
  return s + '\n';
}

const natural = (a: string, b: string) => a.localeCompare(b, 'en', { numeric: true });

const ifconfig: CommandFn = (ctx) => {
  const a = ctx.argv.slice(1);
  const all = a.includes('-a');
  const names = a.filter((x) => !x.startsWith('-'));
  const vs = views(ctx.node).sort((x, y) => natural(x.i.name, y.i.name));
  if (names.length) {
    const v = vs.find((x) => x.i.name === names[0]);
    if (!v) {
      ctx.err(`${names[0]}: error fetching interface information: Device not found\n`);
      return 1;
    }
    if (names.length > 1) {
      const verb = names[1];
      if (verb === 'up' || verb === 'down') v.i.up = verb === 'up';
      ctx.node.world.changed();
      return 0;
    }
    ctx.out(ifconfigBlock(v));
    return 0;
  }
  ctx.out(
    vs
      .filter((v) => all || v.i.up)
      .map(ifconfigBlock)
      .join(''),
  );
  return 0;
};

function ifupdown(up: boolean): CommandFn {
  return (ctx) => {
    const name = (ctx.argv[1] ?? '').replace(/^ifcfg-/, '');
    if (!name) {
      ctx.err(`Usage: ${up ? 'ifup' : 'ifdown'} <device name>\n`);
      return 1;
    }
    const r = up ? ctx.node.net.ifup(name) : ctx.node.net.ifdown(name);
    ctx.out(r.out.replace(/^\n/, ''));
    ctx.node.world.changed();
    if (!up && ctx.node.net.ifaceOf(ctx.node.bcn) === undefined) ctx.node.world.dropSessions(ctx.node.name);
    return r.ok ? 0 : 1;
  };
}

const ping: CommandFn = async (ctx) => {
  const a = ctx.argv.slice(1);
  let count = 3;
  let host: string | undefined;
  for (let k = 0; k < a.length; k++) {
    if (a[k] === '-c') count = Number(a[++k] ?? 3);
    else if (/^-[wWisI]$/.test(a[k])) k++;
    else if (!a[k].startsWith('-')) host = a[k];
  }
  if (!host) {
    ctx.err('Usage: ping [-LRUbdfnqrvVaA] [-c count] [-i interval] [-w deadline] destination\n');
    return 2;
  }
  const e = resolveHost(ctx, host);
  if (!e) {
    ctx.err(`ping: unknown host ${host}\n`);
    return 2;
  }
  const r = route(ctx.node, e.ip, ctx.node.world.nodes());
  let out = `PING ${host} (${e.ip}) 56(84) bytes of data.\n`;
  const ok = !('error' in r);
  for (let s = 1; s <= count; s++)
    out += ok
      ? `64 bytes from ${host === e.ip ? e.ip : `${host} (${e.ip})`}: icmp_seq=${s} ttl=64 time=0.${100 + s * 7} ms\n`
      : `From ${ctx.node.bcn} icmp_seq=${s} Destination Host Unreachable\n`;
  out += `\n--- ${host} ping statistics ---\n`;
  out += ok
    ? `${count} packets transmitted, ${count} received, 0% packet loss, time ${(count - 1) * 1000}ms\nrtt min/avg/max/mdev = 0.107/0.121/0.135/0.011 ms\n`
    : `${count} packets transmitted, 0 received, +${count} errors, 100% packet loss, time ${(count - 1) * 1000}ms\n\n`;
  ctx.out(out);
  return ok ? 0 : 1;
};

/** Network commands by name. */
export const NET_COMMANDS: Record<string, CommandFn> = {
  ip: ipCmd,
  ifconfig,
  ifup: ifupdown(true),
  ifdown: ifupdown(false),
  ping,
};
