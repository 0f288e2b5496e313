/**
 * coreutils file commands (EL6's coreutils 8.4 messages, `quoted' the old way): ls, mkdir, touch, rm,
 * rmdir, cp, mv, chmod, chown, chgrp, ln, stat, readlink, realpath, basename, dirname, mktemp.
 */
import type { CmdCtx, CommandFn } from '../node/command.js';
import { parseOpts, has, val, human } from './util.js';
import { errText, type FullStat } from '../fs/memfs.js';
import { basename as base, dirname as dir, normalize } from '../fs/path.js';
import { lsTime, fullTime } from '../node/time.js';

/** coreutils 8.4 quoting: `name'. */
export const qq = (s: string) => '`' + s + "'";

function userName(ctx: CmdCtx, uid: number, file = '/etc/passwd'): string {
  try {
    for (const l of ctx.node.fs.readText(file).split('\n')) {
      const f = l.split(':');
      if (f[2] === String(uid)) return f[0];
    }
  } catch {
    /* numeric */
  }
  return String(uid);
}

function idOf(ctx: CmdCtx, name: string, file: string): number | undefined {
  if (/^\d+$/.test(name)) return Number(name);
  try {
    for (const l of ctx.node.fs.readText(file).split('\n')) {
      const f = l.split(':');
      if (f[0] === name) return Number(f[2]);
    }
  } catch {
    /* none */
  }
  return undefined;
}

/** `-rw-r--r--` */
export function modeString(st: FullStat): string {
  const t =
    st.type === 'dir' ? 'd' : st.type === 'link' ? 'l' : st.device === 'block' ? 'b' : st.device === 'char' ? 'c' : '-';
  const m = st.mode;
  const rwx = (b: number, s: boolean, sc: string) =>
    `${b & 4 ? 'r' : '-'}${b & 2 ? 'w' : '-'}${s ? (b & 1 ? sc : sc.toUpperCase()) : b & 1 ? 'x' : '-'}`;
  return (
    t +
    rwx((m >> 6) & 7, !!(m & 0o4000), 's') +
    rwx((m >> 3) & 7, !!(m & 0o2000), 's') +
    rwx(m & 7, !!(m & 0o1000), 't')
  );
}

const ls: CommandFn = (ctx) => {
  // NOTE: output is never a terminal here, so one name per line is already the format; `-1` just asks for it.
  const o = parseOpts(ctx.argv.slice(1).filter((a) => a !== '-1'));
  const fs = ctx.node.fs;
  const all = has(o, 'a', 'all');
  const almost = has(o, 'A', 'almost-all');
  const long = has(o, 'l', 'n');
  const dirOnly = has(o, 'd', 'directory');
  const targets = o.args.length ? o.args : ['.'];
  let code = 0;
  const files: string[] = [];
  const dirs: string[] = [];
  for (const t of targets) {
    const st = fs.lstat(ctx.sh.resolve(t));
    if (!st) {
      ctx.err(`ls: cannot access ${t}: No such file or directory\n`);
      code = 2;
      continue;
    }
    const follow = st.type === 'link' ? fs.stat(ctx.sh.resolve(t)) : st;
    if (follow?.type === 'dir' && !dirOnly && !(st.type === 'link' && long)) dirs.push(t);
    else files.push(t);
  }
  const subdirs = (p: string) => {
    try {
      return fs.readdir(p).filter((n) => fs.lstat(`${p === '/' ? '' : p}/${n}`)?.type === 'dir').length;
    } catch {
      return 0;
    }
  };
  const render = (entries: { name: string; path: string }[], withTotal: boolean) => {
    if (!long) return entries.map((e) => e.name + '\n').join('');
    const rows = entries.map((e) => {
      const st = fs.lstat(e.path)!;
      const size = st.device ? '8, 0' : has(o, 'h') ? human(st.size) : String(st.size);
      return {
        mode: modeString(st) + '.',
        // NOTE: st_nlink as coreutils 8.4 ls.c print_long_format prints it: a directory has one link
        // from its parent, one from its own `.` and one from each subdirectory's `..` (ext4, gfs2).
        links: String(st.type === 'dir' ? 2 + subdirs(e.path) : 1),
        user: has(o, 'n') ? String(st.uid) : userName(ctx, st.uid),
        group: has(o, 'n') ? String(st.gid) : userName(ctx, st.gid, '/etc/group'),
        size,
        time: lsTime(st.mtimeMs, ctx.node.world.now()),
        name: e.name + (st.type === 'link' ? ` -> ${st.target}` : ''),
        blocks: st.type === 'dir' ? 4 : Math.ceil(st.size / 4096) * 4,
      };
    });
    const w = (k: 'links' | 'user' | 'group' | 'size') => Math.max(0, ...rows.map((r) => r[k].length));
    const total = rows.reduce((a, r) => a + r.blocks, 0);
    // NOTE: coreutils 8.4 ls.c prints the total through human_readable() with the same options as
    // the sizes: `total 24K` under -h.
    let out = withTotal ? `total ${has(o, 'h') ? human(total * 1024) : total}\n` : '';
    for (const r of rows)
      out += `${r.mode} ${r.links.padStart(w('links'))} ${r.user.padEnd(w('user'))} ${r.group.padEnd(w('group'))} ${r.size.padStart(w('size'))} ${r.time} ${r.name}\n`;
    return out;
  };
  let out = render(
    files.sort().map((f) => ({ name: f, path: ctx.sh.resolve(f) })),
    false,
  );
  dirs.sort().forEach((d, i) => {
    const p = ctx.sh.resolve(d);
    let names = fs.readdir(p);
    if (!all && !almost) names = names.filter((n) => !n.startsWith('.'));
    if (all) names = ['.', '..', ...names];
    const entries = names.map((n) => ({
      name: n,
      path: n === '.' ? p : n === '..' ? dir(p) : `${p === '/' ? '' : p}/${n}`,
    }));
    if (files.length || dirs.length > 1) out += `${out || i ? '\n' : ''}${d}:\n`;
    out += render(entries, true);
  });
  ctx.out(out);
  return code;
};

const mkdir: CommandFn = (ctx) => {
  const o = parseOpts(ctx.argv.slice(1), ['m', 'mode']);
  const mode = val(o, 'm', 'mode');
  let code = 0;
  if (!o.args.length) {
    ctx.err("mkdir: missing operand\nTry `mkdir --help' for more information.\n");
    return 1;
  }
  for (const a of o.args) {
    const p = ctx.sh.resolve(a);
    try {
      // NOTE: coreutils 8.4 mkdir: mode 0777 less the shell's umask (mkdir(2)).
      if (has(o, 'p', 'parents')) ctx.node.fs.mkdirp(p, 0o777 & ~ctx.sh.umask);
      else ctx.node.fs.mkdir(p, 0o777 & ~ctx.sh.umask);
      if (mode) ctx.node.fs.chmod(p, parseInt(mode, 8));
      if (has(o, 'v', 'verbose')) ctx.out(`mkdir: created directory ${qq(a)}\n`);
    } catch (e) {
      ctx.err(`mkdir: cannot create directory ${qq(a)}: ${errText(e)}\n`);
      code = 1;
    }
  }
  return code;
};

const touch: CommandFn = (ctx) => {
  const o = parseOpts(ctx.argv.slice(1), ['d', 'r', 't']);
  let code = 0;
  for (const a of o.args) {
    const p = ctx.sh.resolve(a);
    try {
      if (ctx.node.fs.stat(p)) ctx.node.fs.utimes(p, ctx.node.world.now());
      // NOTE: coreutils 8.4 touch: open(O_CREAT, 0666) less the umask.
      else if (!has(o, 'c')) ctx.node.fs.writeFile(p, '', 0o666 & ~ctx.sh.umask);
    } catch (e) {
      ctx.err(`touch: cannot touch ${qq(a)}: ${errText(e)}\n`);
      code = 1;
    }
  }
  return code;
};

const rm: CommandFn = (ctx) => {
  const o = parseOpts(ctx.argv.slice(1));
  const force = has(o, 'f', 'force');
  const rec = has(o, 'r', 'R', 'recursive');
  let code = 0;
  for (const a of o.args) {
    const p = ctx.sh.resolve(a);
    const st = ctx.node.fs.lstat(p);
    if (!st) {
      if (!force) {
        ctx.err(`rm: cannot remove ${qq(a)}: No such file or directory\n`);
        code = 1;
      }
      continue;
    }
    if (st.type === 'dir' && !rec) {
      ctx.err(`rm: cannot remove ${qq(a)}: Is a directory\n`);
      code = 1;
      continue;
    }
    try {
      if (st.type === 'dir') ctx.node.fs.removeTree(p);
      else ctx.node.fs.unlink(p);
      if (has(o, 'v')) ctx.out(`removed ${qq(a)}\n`);
    } catch (e) {
      ctx.err(`rm: cannot remove ${qq(a)}: ${errText(e)}\n`);
      code = 1;
    }
  }
  return code;
};

const rmdir: CommandFn = (ctx) => {
  let code = 0;
  for (const a of parseOpts(ctx.argv.slice(1)).args) {
    try {
      ctx.node.fs.rmdir(ctx.sh.resolve(a));
    } catch (e) {
      ctx.err(`rmdir: failed to remove ${qq(a)}: ${errText(e)}\n`);
      code = 1;
    }
  }
  return code;
};

/** Copy one path (recursively when asked); `preserve` keeps mode and mtime. */
function copyTree(ctx: CmdCtx, src: string, dst: string, o: { rec: boolean; preserve: boolean; links: boolean }): void {
  const fs = ctx.node.fs;
  const st = o.links ? fs.lstat(src)! : fs.stat(src)!;
  if (st.type === 'link') {
    if (fs.lstat(dst)) fs.unlink(dst);
    fs.symlink(fs.readlink(src), dst);
    return;
  }
  if (st.type === 'dir') {
    if (!fs.stat(dst)) fs.mkdir(dst, st.mode);
    for (const n of fs.readdir(src)) copyTree(ctx, `${src}/${n}`, `${dst}/${n}`, o);
    if (o.preserve) fs.chmod(dst, st.mode);
    return;
  }
  const existing = fs.stat(dst);
  // NOTE: coreutils 8.4 copy.c: a new file is opened with the source's mode, less the umask.
  fs.writeFile(dst, fs.readFile(src), existing ? undefined : st.mode & ~ctx.sh.umask);
  if (o.preserve) {
    fs.chmod(dst, st.mode);
    fs.utimes(dst, st.mtimeMs);
    fs.chown(dst, st.uid, st.gid);
  }
}

function copyOrMove(ctx: CmdCtx, move: boolean): number {
  const name = move ? 'mv' : 'cp';
  const o = parseOpts(ctx.argv.slice(1), ['t', 'target-directory', 'S', 'suffix']);
  const fs = ctx.node.fs;
  const archive = has(o, 'a', 'archive');
  const rec = archive || has(o, 'r', 'R', 'recursive');
  const preserve = archive || has(o, 'p', 'preserve');
  const args = [...o.args];
  let target = val(o, 't', 'target-directory');
  if (!target) {
    if (args.length < 2) {
      ctx.err(
        args.length
          ? `${name}: missing destination file operand after ${qq(args[0])}\n`
          : `${name}: missing file operand\n`,
      );
      ctx.err(`Try \`${name} --help' for more information.\n`);
      return 1;
    }
    target = args.pop()!;
  }
  const tAbs = ctx.sh.resolve(target);
  const tIsDir = fs.stat(tAbs)?.type === 'dir';
  if (args.length > 1 && !tIsDir) {
    ctx.err(`${name}: target ${qq(target)} is not a directory\n`);
    return 1;
  }
  let code = 0;
  for (const s of args) {
    const sAbs = ctx.sh.resolve(s);
    const st = fs.lstat(sAbs);
    if (!st) {
      ctx.err(`${name}: cannot stat ${qq(s)}: No such file or directory\n`);
      code = 1;
      continue;
    }
    // NOTE: coreutils 8.4 copy.c: a file copied to `NAME/` that is not a directory fails at open(2)
    // (ENOTDIR) instead of creating NAME.
    if (!move && target.endsWith('/') && !tIsDir && st.type !== 'dir') {
      ctx.err(`cp: cannot create regular file ${qq(target)}: Not a directory\n`);
      code = 1;
      continue;
    }
    const dst = tIsDir ? `${tAbs === '/' ? '' : tAbs}/${base(sAbs)}` : tAbs;
    if (normalize(dst) === normalize(sAbs)) {
      ctx.err(`${name}: ${qq(s)} and ${qq(dst)} are the same file\n`);
      code = 1;
      continue;
    }
    try {
      if (move) {
        const dstSt = fs.stat(dst);
        if (dstSt?.type === 'dir' && st.type === 'dir') throw Object.assign(new Error('Directory not empty'), {});
        if (dstSt && dstSt.type !== 'dir') fs.unlink(dst);
        fs.rename(sAbs, dst);
      } else {
        if (fs.stat(sAbs)?.type === 'dir' && !rec) {
          ctx.err(`cp: omitting directory ${qq(s)}\n`);
          code = 1;
          continue;
        }
        copyTree(ctx, sAbs, dst, { rec, preserve, links: archive || has(o, 'P', 'd') });
      }
      if (has(o, 'v', 'verbose')) ctx.out(`${qq(s)} -> ${qq(dst)}\n`);
    } catch (e) {
      ctx.err(`${name}: cannot ${move ? 'move' : 'create regular file'} ${qq(move ? s : dst)}: ${errText(e)}\n`);
      code = 1;
    }
  }
  return code;
}

const cp: CommandFn = (ctx) => copyOrMove(ctx, false);
const mv: CommandFn = (ctx) => copyOrMove(ctx, true);

/** Apply a chmod mode spec (octal or symbolic like u+x,go-w) to a mode. */
export function applyMode(spec: string, mode: number, isDir: boolean): number | null {
  if (/^[0-7]{1,4}$/.test(spec)) return parseInt(spec, 8);
  let m = mode;
  for (const clause of spec.split(',')) {
    const c = /^([ugoa]*)([-+=])([rwxXst]*)$/.exec(clause);
    if (!c) return null;
    const who = c[1] || 'a';
    let bits = 0;
    for (const p of c[3]) {
      const b = p === 'r' ? 4 : p === 'w' ? 2 : p === 'x' || (p === 'X' && (isDir || mode & 0o111)) ? 1 : 0;
      for (const w of who === 'a' ? 'ugo' : who) bits |= b << (w === 'u' ? 6 : w === 'g' ? 3 : 0);
      if (p === 's')
        bits |= (who.includes('u') || who === 'a' ? 0o4000 : 0) | (who.includes('g') || who === 'a' ? 0o2000 : 0);
      if (p === 't') bits |= 0o1000;
    }
    if (c[2] === '+') m |= bits;
    else if (c[2] === '-') m &= ~bits;
    else {
      let mask = 0;
      for (const w of who === 'a' ? 'ugo' : who) mask |= 7 << (w === 'u' ? 6 : w === 'g' ? 3 : 0);
      m = (m & ~mask) | bits;
    }
  }
  return m;
}

function walk(ctx: CmdCtx, p: string, rec: boolean, fn: (path: string) => void): void {
  fn(p);
  if (rec && ctx.node.fs.lstat(p)?.type === 'dir')
    for (const n of ctx.node.fs.readdir(p)) walk(ctx, `${p}/${n}`, rec, fn);
}

const chmod: CommandFn = (ctx) => {
  const argv = ctx.argv.slice(1);
  const rec = argv.includes('-R');
  const rest = argv.filter((a) => a !== '-R' && a !== '-v' && a !== '-f');
  const [spec, ...files] = rest;
  if (!spec || !files.length) {
    ctx.err(`chmod: missing operand\nTry \`chmod --help' for more information.\n`);
    return 1;
  }
  let code = 0;
  for (const f of files) {
    const p = ctx.sh.resolve(f);
    if (!ctx.node.fs.stat(p)) {
      ctx.err(`chmod: cannot access ${qq(f)}: No such file or directory\n`);
      code = 1;
      continue;
    }
    walk(ctx, p, rec, (q) => {
      const st = ctx.node.fs.stat(q);
      if (!st) return;
      const m = applyMode(spec, st.mode, st.type === 'dir');
      if (m === null) throw new Error(`invalid mode: ${qq(spec)}`);
      ctx.node.fs.chmod(q, m);
    });
  }
  return code;
};

function chownLike(ctx: CmdCtx, groupOnly: boolean): number {
  const name = groupOnly ? 'chgrp' : 'chown';
  const argv = ctx.argv.slice(1);
  const rec = argv.includes('-R');
  const [spec, ...files] = argv.filter((a) => !a.startsWith('-'));
  if (!spec || !files.length) {
    ctx.err(`${name}: missing operand\n`);
    return 1;
  }
  const [u, g] = groupOnly ? [undefined, spec] : spec.split(/[:.]/);
  const uid = u ? idOf(ctx, u, '/etc/passwd') : undefined;
  const gid = g ? idOf(ctx, g, '/etc/group') : undefined;
  if ((u && uid === undefined) || (g && gid === undefined)) {
    ctx.err(`${name}: invalid ${u && uid === undefined ? 'user' : 'group'}: ${qq(spec)}\n`);
    return 1;
  }
  let code = 0;
  for (const f of files) {
    const p = ctx.sh.resolve(f);
    if (!ctx.node.fs.stat(p)) {
      ctx.err(`${name}: cannot access ${qq(f)}: No such file or directory\n`);
      code = 1;
      continue;
    }
    walk(ctx, p, rec, (q) => ctx.node.fs.chown(q, uid, gid));
  }
  return code;
}

const chown: CommandFn = (ctx) => chownLike(ctx, false);
const chgrp: CommandFn = (ctx) => chownLike(ctx, true);

const ln: CommandFn = (ctx) => {
  const o = parseOpts(ctx.argv.slice(1));
  const fs = ctx.node.fs;
  const [src, dst0] = o.args;
  if (!src) {
    ctx.err('ln: missing file operand\n');
    return 1;
  }
  let dst = ctx.sh.resolve(dst0 ?? base(src));
  if (fs.stat(dst)?.type === 'dir' && !has(o, 'n', 'T')) dst = `${dst}/${base(src)}`;
  if (fs.lstat(dst)) {
    if (!has(o, 'f', 'force')) {
      ctx.err(`ln: creating ${has(o, 's') ? 'symbolic ' : 'hard '}link ${qq(dst0 ?? base(src))}: File exists\n`);
      return 1;
    }
    fs.unlink(dst);
  }
  if (has(o, 's', 'symbolic')) fs.symlink(src, dst);
  else {
    const s = ctx.sh.resolve(src);
    if (!fs.stat(s)) {
      ctx.err(`ln: accessing ${qq(src)}: No such file or directory\n`);
      return 1;
    }
    // NOTE: no inodes in the lab: a hard link is a copy.
    fs.writeFile(dst, fs.readFile(s), fs.stat(s)!.mode);
  }
  return 0;
};

const stat: CommandFn = (ctx) => {
  const o = parseOpts(ctx.argv.slice(1), ['c', 'format', 'printf']);
  const fmt = val(o, 'c', 'format');
  const pf = val(o, 'printf');
  let code = 0;
  for (const f of o.args) {
    const p = ctx.sh.resolve(f);
    const st = has(o, 'L', 'dereference') ? ctx.node.fs.stat(p) : ctx.node.fs.lstat(p);
    if (!st) {
      ctx.err(`stat: cannot stat ${qq(f)}: No such file or directory\n`);
      code = 1;
      continue;
    }
    const kind =
      st.type === 'dir'
        ? 'directory'
        : st.type === 'link'
          ? 'symbolic link'
          : st.device === 'block'
            ? 'block special file'
            : st.device === 'char'
              ? 'character special file'
              : st.size
                ? 'regular file'
                : 'regular empty file';
    const user = userName(ctx, st.uid);
    const group = userName(ctx, st.gid, '/etc/group');
    const oct = st.mode.toString(8).padStart(4, '0');
    const map: Record<string, string> = {
      n: f,
      N: st.type === 'link' ? `${qq(f)} -> ${qq(st.target!)}` : qq(f),
      s: String(st.size),
      a: st.mode.toString(8),
      A: modeString(st),
      F: kind,
      u: String(st.uid),
      g: String(st.gid),
      U: user,
      G: group,
      Y: String(st.mtime),
      y: fullTime(st.mtimeMs),
      i: '0',
      h: String(st.type === 'dir' ? 2 : 1),
      '%': '%',
    };
    const expand = (s: string) => s.replace(/%(.)/g, (m, c: string) => map[c] ?? m);
    if (fmt !== undefined) ctx.out(expand(fmt) + '\n');
    else if (pf !== undefined) ctx.out(expand(pf).replace(/\\n/g, '\n').replace(/\\t/g, '\t'));
    else
      ctx.out(
        `  File: ${map.N}\n  Size: ${String(st.size).padEnd(10)}\tBlocks: ${String(Math.ceil(st.size / 4096) * 8).padEnd(10)} IO Block: 4096   ${kind}\n` +
          `Device: fd00h/64768d\tInode: 0           Links: ${map.h}\n` +
          `Access: (${oct}/${modeString(st)})  Uid: (${String(st.uid).padStart(5)}/${user.padStart(8)})   Gid: (${String(st.gid).padStart(5)}/${group.padStart(8)})\n` +
          `Access: ${fullTime(st.mtimeMs)}\nModify: ${fullTime(st.mtimeMs)}\nChange: ${fullTime(st.mtimeMs)}\n`,
      );
  }
  return code;
};

const readlink: CommandFn = (ctx) => {
  const o = parseOpts(ctx.argv.slice(1));
  let code = 0;
  for (const f of o.args) {
    const p = ctx.sh.resolve(f);
    try {
      if (has(o, 'f', 'e', 'm', 'canonicalize')) ctx.out(ctx.node.fs.realpath(p) + '\n');
      else ctx.out(ctx.node.fs.readlink(p) + '\n');
    } catch {
      code = 1;
    }
  }
  return code;
};

const realpath: CommandFn = (ctx) => {
  let code = 0;
  for (const f of parseOpts(ctx.argv.slice(1)).args) {
    try {
      ctx.out(ctx.node.fs.realpath(ctx.sh.resolve(f)) + '\n');
    } catch (e) {
      ctx.err(`realpath: ${f}: ${errText(e)}\n`);
      code = 1;
    }
  }
  return code;
};

const basename: CommandFn = (ctx) => {
  const [p, suffix] = ctx.argv.slice(1);
  if (p === undefined) {
    ctx.err("basename: missing operand\nTry `basename --help' for more information.\n");
    return 1;
  }
  ctx.out(base(p, suffix) + '\n');
  return 0;
};

const dirname: CommandFn = (ctx) => {
  const p = ctx.argv[1];
  if (p === undefined) {
    ctx.err("dirname: missing operand\nTry `dirname --help' for more information.\n");
    return 1;
  }
  ctx.out(dir(p) + '\n');
  return 0;
};

let tmpCounter = 0;
const mktemp: CommandFn = (ctx) => {
  const o = parseOpts(ctx.argv.slice(1), ['p']);
  const tpl = o.args[0] ?? 'tmp.XXXXXXXXXX';
  const name = tpl.replace(/X+$/, (x) => (++tmpCounter).toString(36).padStart(x.length, 'a').slice(-x.length));
  const p = tpl.startsWith('/') ? name : `${val(o, 'p') ?? '/tmp'}/${name}`;
  if (has(o, 'd')) ctx.node.fs.mkdir(p, 0o700);
  else ctx.node.fs.writeFile(p, '', 0o600);
  ctx.out(p + '\n');
  return 0;
};

/** File commands by name. */
export const FILE_COMMANDS: Record<string, CommandFn> = {
  ls,
  mkdir,
  touch,
  rm,
  rmdir,
  cp,
  mv,
  chmod,
  chown,
  chgrp,
  ln,
  stat,
  readlink,
  realpath,
  basename,
  dirname,
  mktemp,
};
