/**
 * Name resolution from /etc/hosts (the lab has no DNS): getent (hosts, passwd, group), gethostip.
 */
import type { CmdCtx, CommandFn } from '../node/command.js';
import type { LabNode } from '../node/node.js';

/** One resolved name: its address, canonical name (first on the line) and aliases. */
export interface HostEntry {
  ip: string;
  canonical: string;
  aliases: string[];
}

/** All /etc/hosts entries of a node, in file order. */
export function hostsEntries(node: LabNode): HostEntry[] {
  let text = '';
  try {
    text = node.fs.readText('/etc/hosts');
  } catch {
    return [];
  }
  const out: HostEntry[] = [];
  for (const raw of text.split('\n')) {
    const l = raw.replace(/#.*/, '').trim();
    if (!l) continue;
    const [ip, name, ...aliases] = l.split(/\s+/);
    if (ip && name) out.push({ ip, canonical: name, aliases });
  }
  return out;
}

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** Resolve a name (or an address) the way glibc does with `hosts: files`; IPv4 unless `v6`. */
export function resolveOn(node: LabNode, name: string, v6 = false): HostEntry | undefined {
  const entries = hostsEntries(node);
  if (IPV4.test(name)) return entries.find((e) => e.ip === name) ?? { ip: name, canonical: name, aliases: [] };
  const lc = name.toLowerCase();
  return entries.find(
    (e) =>
      e.ip.includes(':') === v6 && (e.canonical.toLowerCase() === lc || e.aliases.some((a) => a.toLowerCase() === lc)),
  );
}

/** resolveOn for the node a command runs on. */
export function resolveHost(ctx: CmdCtx, name: string): HostEntry | undefined {
  return resolveOn(ctx.node, name);
}

const getent: CommandFn = (ctx) => {
  const [db, ...keys] = ctx.argv.slice(1);
  if (!db) {
    ctx.err('Usage: getent [OPTION...] database [key ...]\n');
    return 1;
  }
  const fmt = (e: HostEntry) => `${e.ip.padEnd(15)} ${[e.canonical, ...e.aliases].join(' ')}\n`;
  if (db === 'hosts' || db === 'ahosts') {
    if (!keys.length) {
      ctx.out(hostsEntries(ctx.node).map(fmt).join(''));
      return 0;
    }
    let code = 0;
    for (const k of keys) {
      const e = IPV4.test(k)
        ? hostsEntries(ctx.node).find((x) => x.ip === k)
        : (resolveOn(ctx.node, k, true) ?? resolveOn(ctx.node, k));
      if (e) ctx.out(fmt(e));
      else code = 2;
    }
    return code;
  }
  if (db === 'passwd' || db === 'group' || db === 'shadow') {
    let text = '';
    try {
      text = ctx.node.fs.readText(`/etc/${db}`);
    } catch {
      return 2;
    }
    const rows = text.split('\n').filter(Boolean);
    if (!keys.length) {
      ctx.out(rows.map((r) => r + '\n').join(''));
      return 0;
    }
    let code = 0;
    for (const k of keys) {
      const r = rows.find((x) => x.split(':')[0] === k || x.split(':')[2] === k);
      if (r) ctx.out(r + '\n');
      else code = 2;
    }
    return code;
  }
  ctx.err(`Unknown database: ${db}\nTry \`getent --help' or \`getent --usage' for more information.\n`);
  return 1;
};

const gethostip: CommandFn = (ctx) => {
  const a = ctx.argv.slice(1);
  const flags = a.filter((x) => x.startsWith('-')).join('');
  let code = 0;
  for (const name of a.filter((x) => !x.startsWith('-'))) {
    const e = resolveHost(ctx, name);
    if (!e) {
      ctx.err(`${name}: Unknown host\n`);
      code = 1;
      continue;
    }
    const hex = e.ip
      .split('.')
      .map((o) => Number(o).toString(16).toUpperCase().padStart(2, '0'))
      .join('');
    if (flags.includes('d')) ctx.out(e.ip + '\n');
    else if (flags.includes('x')) ctx.out(hex + '\n');
    else if (flags.includes('n')) ctx.out(e.canonical + '\n');
    else ctx.out(`${e.canonical} ${e.ip} ${hex}\n`);
  }
  return code;
};

/** Resolver commands. */
export const HOSTS_COMMANDS: Record<string, CommandFn> = { getent, gethostip };
