/**
 * chkconfig and service (EL6 formats): runlevel links under /etc/rc.d/rcN.d, init scripts under
 * /etc/rc.d/init.d.
 */
import type { CmdCtx, CommandFn } from '../node/command.js';
import { INIT_D, readHeader, levelState, setLinks, removeLinks } from '../node/rc.js';
import { runAction } from '../node/services.js';

/** One `chkconfig --list` line: `network        \t0:off\t1:off\t2:on...`. */
export function chkLine(name: string, st: (boolean | undefined)[]): string {
  return name.padEnd(15) + st.map((s, l) => `\t${l}:${s ? 'on' : 'off'}`).join('') + '\n';
}

function scripts(ctx: CmdCtx): string[] {
  try {
    return ctx.node.fs.readdir(INIT_D).filter((n) => readHeader(ctx.node.fs, n));
  } catch {
    return [];
  }
}

const chkconfig: CommandFn = (ctx) => {
  const fs = ctx.node.fs;
  const a = ctx.argv.slice(1);
  let levels: string | undefined;
  const rest: string[] = [];
  for (let i = 0; i < a.length; i++) {
    if (a[i] === '--level' || a[i] === '--levels') levels = a[++i];
    else rest.push(a[i]);
  }
  const noInfo = (n: string) => {
    ctx.err(`error reading information on service ${n}: No such file or directory\n`);
    return 1;
  };
  if (rest[0] === '--list') {
    const name = rest[1];
    if (name) {
      if (!fs.exists(`${INIT_D}/${name}`)) return noInfo(name);
      const st = levelState(fs, name);
      if (st.every((s) => s === undefined)) {
        ctx.err(
          `service ${name} supports chkconfig, but is not referenced in any runlevel (run 'chkconfig --add ${name}')\n`,
        );
        return 1;
      }
      ctx.out(chkLine(name, st));
      return 0;
    }
    let out = '';
    for (const n of scripts(ctx).sort()) {
      const st = levelState(fs, n);
      if (st.some((s) => s !== undefined)) out += chkLine(n, st);
    }
    ctx.out(out);
    return 0;
  }
  if (rest[0] === '--add' || rest[0] === '--del') {
    const name = rest[1];
    if (!name) {
      ctx.err(`usage:   chkconfig [--list] [--type <type>] [name]\n`);
      return 2;
    }
    if (!fs.exists(`${INIT_D}/${name}`)) return noInfo(name);
    if (rest[0] === '--del') removeLinks(fs, name);
    else {
      const h = readHeader(fs, name);
      if (!h) {
        ctx.err(`service ${name} does not support chkconfig\n`);
        return 1;
      }
      const cur = levelState(fs, name);
      if (cur.every((s) => s === undefined)) setLinks(fs, name, new Set([...h.levels].map(Number)), h);
    }
    ctx.node.world.changed();
    return 0;
  }
  const [name, verb] = rest;
  if (!name || name.startsWith('-')) {
    ctx.err(
      'chkconfig version 1.3.49.3 - Copyright (C) 1997-2000 Red Hat, Inc.\nusage:   chkconfig [--list] [--type <type>] [name]\n         chkconfig --add <name>\n         chkconfig --del <name>\n         chkconfig --override <name>\n         chkconfig [--level <levels>] [--type <type>] <name> <on|off|reset|resetpriorities>\n',
    );
    return 2;
  }
  if (!fs.exists(`${INIT_D}/${name}`)) return noInfo(name);
  const h = readHeader(fs, name);
  if (!h) {
    ctx.err(`service ${name} does not support chkconfig\n`);
    return 1;
  }
  const st = levelState(fs, name);
  if (!verb) return st[3] ? 0 : 1;
  const lv = [...(levels ?? '2345')].map(Number);
  const on = new Set(st.map((s, l) => (s ? l : -1)).filter((l) => l >= 0));
  if (verb === 'on') lv.forEach((l) => on.add(l));
  else if (verb === 'off') lv.forEach((l) => on.delete(l));
  else if (verb === 'reset') {
    on.clear();
    [...h.levels].forEach((l) => on.add(Number(l)));
  } else {
    ctx.err(`chkconfig: invalid action ${verb}\n`);
    return 2;
  }
  setLinks(fs, name, on, h);
  ctx.node.world.changed();
  return 0;
};

const service: CommandFn = async (ctx) => {
  const [name, action, ...args] = ctx.argv.slice(1);
  if (!name) {
    ctx.out('Usage: service < option > | --status-all | [ service_name [ command | --full-restart ] ]\n');
    return 1;
  }
  if (name === '--status-all') {
    for (const n of scripts(ctx).sort()) {
      const r = await runAction(ctx.node, n, 'status', [], `${INIT_D}/${n}`);
      ctx.out(r.out);
    }
    return 0;
  }
  if (!ctx.node.fs.exists(`${INIT_D}/${name}`)) {
    ctx.err(`${name}: unrecognized service\n`);
    return 1;
  }
  const r = await runAction(ctx.node, name, action, args, `/etc/init.d/${name}`);
  ctx.out(r.out);
  return r.code;
};

/** chkconfig and service. */
export const SERVICE_COMMANDS: Record<string, CommandFn> = { chkconfig, service };
