/**
 * Shell builtins: the commands bash runs itself (cd, export, exit, read, source, ...).
 */
import type { ShellProgram } from './interp.js';
import { ExitSignal, LineAbort, LoopSignal, ReturnSignal } from './types.js';
import { echo, printf, trueCmd, falseCmd } from '../commands/echo.js';
import { test } from '../commands/test.js';
import { errText } from '../fs/memfs.js';

const cd: ShellProgram = (ctx) => {
  const arg = ctx.argv[1] ?? ctx.sh.vars.get('HOME') ?? '/root';
  const target = arg === '-' ? (ctx.sh.vars.get('OLDPWD') ?? ctx.sh.cwd) : arg;
  const p = ctx.sh.resolve(target);
  const st = ctx.node.fs.stat(p);
  if (!st) {
    ctx.err(`${ctx.sh.name}: cd: ${arg}: No such file or directory\n`);
    return 1;
  }
  if (st.type !== 'dir') {
    ctx.err(`${ctx.sh.name}: cd: ${arg}: Not a directory\n`);
    return 1;
  }
  ctx.sh.vars.set('OLDPWD', ctx.sh.cwd);
  ctx.sh.cwd = p;
  ctx.sh.vars.set('PWD', p);
  if (arg === '-') ctx.out(p + '\n');
  return 0;
};

const pwd: ShellProgram = (ctx) => {
  ctx.out(ctx.sh.cwd + '\n');
  return 0;
};

const exportCmd: ShellProgram = (ctx) => {
  const args = ctx.argv.slice(1).filter((a) => a !== '-n' && a !== '-p');
  if (!args.length) {
    for (const [k, v] of Object.entries(ctx.sh.environ())) ctx.out(`declare -x ${k}="${v}"\n`);
    return 0;
  }
  for (const a of args) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/s.exec(a);
    if (!m) {
      ctx.err(`${ctx.sh.name}: export: \`${a}': not a valid identifier\n`);
      return 1;
    }
    if (m[2] !== undefined) ctx.sh.vars.set(m[1], m[2]);
    ctx.sh.exported.add(m[1]);
  }
  return 0;
};

const unset: ShellProgram = (ctx) => {
  for (const a of ctx.argv.slice(1)) {
    if (a.startsWith('-')) continue;
    ctx.sh.vars.delete(a);
    ctx.sh.exported.delete(a);
    ctx.sh.funcs.delete(a);
  }
  return 0;
};

const exit: ShellProgram = (ctx) => {
  const a = ctx.argv[1];
  if (a !== undefined && !/^-?\d+$/.test(a)) {
    ctx.err(`${ctx.sh.name}: exit: ${a}: numeric argument required\n`);
    throw new ExitSignal(255);
  }
  throw new ExitSignal(a === undefined ? ctx.sh.lastCode : ((Number(a) % 256) + 256) % 256);
};

const ret: ShellProgram = (ctx) => {
  throw new ReturnSignal(ctx.argv[1] === undefined ? ctx.sh.lastCode : Number(ctx.argv[1]) & 255);
};

/** Apply `-e`, `+e`, `-o pipefail` style options to a shell; returns the rest of the arguments. */
export function applySetOptions(sh: { errexit: boolean; pipefail: boolean }, args: string[]): string[] {
  let i = 0;
  for (; i < args.length; i++) {
    const a = args[i];
    if (a === '--') return args.slice(i + 1);
    if (a === '-o' || a === '+o') {
      const on = a === '-o';
      const name = args[++i];
      if (name === 'errexit') sh.errexit = on;
      if (name === 'pipefail') sh.pipefail = on;
      continue;
    }
    if (!/^[-+][a-zA-Z]+$/.test(a)) break;
    if (a.includes('e')) sh.errexit = a[0] === '-';
  }
  return args.slice(i);
}

const set: ShellProgram = (ctx) => {
  const args = ctx.argv.slice(1);
  const rest = applySetOptions(ctx.sh, args);
  if (args.includes('--') || rest.length) ctx.sh.positional = rest;
  return 0;
};

const shift: ShellProgram = (ctx) => {
  const n = Number(ctx.argv[1] ?? 1);
  if (n > ctx.sh.positional.length) return 1;
  ctx.sh.positional = ctx.sh.positional.slice(n);
  return 0;
};

const source: ShellProgram = async (ctx) => {
  const file = ctx.argv[1];
  if (!file) {
    ctx.err(`${ctx.sh.name}: ${ctx.argv[0]}: filename argument required\n`);
    return 2;
  }
  let text: string;
  try {
    text = ctx.node.fs.readFile(ctx.sh.resolve(file)).toString();
  } catch (e) {
    ctx.err(`${ctx.sh.name}: ${file}: ${errText(e)}\n`);
    return 1;
  }
  const io = { stdin: ctx.stdin, out: ctx.out, err: ctx.err };
  const { parse } = await import('./parser.js');
  try {
    return await ctx.sh.execList(parse(text), io);
  } catch (e) {
    if (e instanceof ReturnSignal) return e.code;
    throw e;
  }
};

const evalCmd: ShellProgram = async (ctx) => {
  const { parse } = await import('./parser.js');
  return ctx.sh.execList(parse(ctx.argv.slice(1).join(' ')), { stdin: ctx.stdin, out: ctx.out, err: ctx.err });
};

/**
 * bash 4.1's `read` (builtins/read.def, read_builtin): one line (a backslash-newline continues it and
 * a backslash quotes the next character unless -r); with no NAME the line goes to REPLY untouched;
 * else it is split on $IFS (unset: space, tab, newline; empty: no splitting): leading IFS whitespace
 * is skipped, each delimiter is IFS whitespace around at most one other IFS character, quoted
 * characters never delimit, and the last NAME gets the rest of the line less trailing IFS
 * whitespace, or only its one field when a single delimiter ends it (read.def's
 * get_word_from_string / strip_trailing_ifs_whitespace). -s and -p only matter on a terminal and -t
 * on a slow one; -a -d -n -N -u -e -i are refused by name, never ignored.
 */
const read: ShellProgram = (ctx) => {
  const names: string[] = [];
  let raw = false;
  const argv = ctx.argv.slice(1);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      names.push(...argv.slice(i + 1));
      break;
    }
    if (!a.startsWith('-') || a === '-' || names.length) {
      names.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const f = a[j];
      if (f === 'r') raw = true;
      else if (f === 's') continue;
      else if (f === 'p' || f === 't') {
        // NOTE: the option's value is the rest of this word or the next word.
        if (j === a.length - 1) i++;
        break;
      } else if ('adnNuei'.includes(f)) {
        ctx.err(`${ctx.sh.name}: read: -${f}: this option of bash's read is not implemented by the lab\n`);
        return 2;
      } else {
        ctx.err(
          `${ctx.sh.name}: read: -${f}: invalid option\nread: usage: read [-ers] [-a array] [-d delim] [-i text] [-n nchars] [-N nchars] [-p prompt] [-t timeout] [-u fd] [name ...]\n`,
        );
        return 2;
      }
    }
  }
  for (const n of names)
    if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(n)) {
      ctx.err(`${ctx.sh.name}: read: \`${n}': not a valid identifier\n`);
      return 1;
    }
  let data = ctx.input?.data ?? ctx.stdin;
  // The line as characters, each marked when a backslash quoted it.
  const line: { c: string; q: boolean }[] = [];
  let eof = true;
  while (data.length) {
    const c = data[0];
    data = data.slice(1);
    if (c === '\n') {
      eof = false;
      break;
    }
    if (c === '\\' && !raw) {
      if (!data.length) break;
      const d = data[0];
      data = data.slice(1);
      if (d !== '\n') line.push({ c: d, q: true });
      continue;
    }
    line.push({ c, q: false });
  }
  if (ctx.input) ctx.input.data = data;
  const text = (cs: { c: string }[]) => cs.map((x) => x.c).join('');
  if (!names.length) {
    ctx.sh.vars.set('REPLY', text(line));
    return eof ? 1 : 0;
  }
  const ifs = ctx.sh.vars.get('IFS') ?? ' \t\n';
  const isIfs = (x: { c: string; q: boolean } | undefined) => !!x && !x.q && ifs.includes(x.c);
  const isWs = (x: { c: string; q: boolean } | undefined) => isIfs(x) && ' \t\n'.includes(x!.c);
  let i = 0;
  const skipWs = (from: number) => {
    let k = from;
    while (k < line.length && isWs(line[k])) k++;
    return k;
  };
  // One field from `from`: [field, index after its delimiter].
  const word = (from: number): [string, number] => {
    let k = from;
    while (k < line.length && !isIfs(line[k])) k++;
    const w = text(line.slice(from, k));
    k = skipWs(k);
    if (k < line.length && isIfs(line[k]) && !isWs(line[k])) k = skipWs(k + 1);
    return [w, k];
  };
  if (ifs !== '') i = skipWs(0);
  names.forEach((n, idx) => {
    if (ifs === '') {
      ctx.sh.vars.set(n, idx === 0 ? text(line) : '');
      return;
    }
    if (idx < names.length - 1) {
      const [w, next] = word(i);
      ctx.sh.vars.set(n, w);
      i = next;
      return;
    }
    const [w, next] = word(i);
    if (next >= line.length) ctx.sh.vars.set(n, w);
    else {
      let end = line.length;
      while (end > i && isWs(line[end - 1])) end--;
      ctx.sh.vars.set(n, text(line.slice(i, end)));
    }
  });
  return eof ? 1 : 0;
};

const local: ShellProgram = (ctx) => {
  for (const a of ctx.argv.slice(1)) {
    const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/s.exec(a);
    if (m) ctx.sh.vars.set(m[1], m[2] ?? '');
  }
  return 0;
};

const type: ShellProgram = (ctx) => {
  let code = 0;
  for (const n of ctx.argv.slice(1).filter((a) => !a.startsWith('-'))) {
    if (ctx.sh.funcs.has(n)) ctx.out(`${n} is a function\n`);
    else if (BUILTINS[n]) ctx.out(`${n} is a shell builtin\n`);
    else {
      const f = ctx.sh.findProgram(n);
      if ('path' in f) ctx.out(`${n} is ${f.path}\n`);
      else {
        ctx.err(`${ctx.sh.name}: type: ${n}: not found\n`);
        code = 1;
      }
    }
  }
  return code;
};

const command: ShellProgram = async (ctx) => {
  const args = ctx.argv.slice(1);
  if (args[0] === '-v') {
    const n = args[1] ?? '';
    if (BUILTINS[n] || ctx.sh.funcs.has(n)) {
      ctx.out(n + '\n');
      return 0;
    }
    const f = ctx.sh.findProgram(n);
    if ('path' in f) {
      ctx.out(f.path + '\n');
      return 0;
    }
    return 1;
  }
  if (!args.length) return 0;
  return ctx.sh.invoke(args, { stdin: ctx.stdin, out: ctx.out, err: ctx.err });
};

const exec: ShellProgram = async (ctx) => {
  if (ctx.argv.length < 2) return 0;
  const code = await ctx.sh.invoke(ctx.argv.slice(1), { stdin: ctx.stdin, out: ctx.out, err: ctx.err });
  throw new ExitSignal(code);
};

const wait: ShellProgram = () => 0;

/**
 * `umask [-S] [MODE]` (bash 4.1 builtins/umask.def): without MODE prints the mask as four octal
 * digits (`-S`: symbolically); an octal MODE sets it. The shell applies it to the files it and the
 * lab's file tools create. A symbolic MODE is not implemented by the lab: refused, naming it.
 */
const umask: ShellProgram = (ctx) => {
  const args = ctx.argv.slice(1);
  const sym = args[0] === '-S';
  if (sym) args.shift();
  if (args[0]?.startsWith('-') && args[0] !== '-') {
    ctx.err(`${ctx.sh.name}: umask: ${args[0]}: invalid option\numask: usage: umask [-p] [-S] [mode]\n`);
    return 2;
  }
  if (!args.length) {
    const m = ctx.sh.umask;
    if (!sym) ctx.out(m.toString(8).padStart(4, '0') + '\n');
    else {
      const perm = (shift: number) => {
        const b = ~(m >> shift) & 7;
        return (b & 4 ? 'r' : '') + (b & 2 ? 'w' : '') + (b & 1 ? 'x' : '');
      };
      ctx.out(`u=${perm(6)},g=${perm(3)},o=${perm(0)}\n`);
    }
    return 0;
  }
  const mode = args[0];
  if (/^[0-9]+$/.test(mode)) {
    if (/[89]/.test(mode) || parseInt(mode, 8) > 0o777) {
      ctx.err(`${ctx.sh.name}: umask: ${mode}: octal number out of range\n`);
      return 1;
    }
    ctx.sh.umask = parseInt(mode, 8);
    return 0;
  }
  ctx.err(`${ctx.sh.name}: umask: ${mode}: symbolic modes are not implemented by the lab\n`);
  return 2;
};

/**
 * `break [N]` / `continue [N]` (bash 4.1 builtins/break.def): outside a loop, a warning and status 0
 * (check_loop_level); N < 1 is "loop count out of range", status 1, and leaves every loop; a
 * non-numeric N is fatal to the command line (get_numeric_arg(list, 1) → throw_to_top_level).
 */
const loopControl =
  (kind: 'break' | 'continue'): ShellProgram =>
  (ctx) => {
    const depth = ctx.sh.loopDepth;
    if (depth === 0) {
      ctx.err(`${ctx.sh.name}: ${kind}: only meaningful in a \`for', \`while', or \`until' loop\n`);
      return 0;
    }
    const a = ctx.argv[1];
    let n = 1;
    if (a !== undefined) {
      if (!/^\s*[-+]?\d+\s*$/.test(a)) {
        ctx.err(`${ctx.sh.name}: ${kind}: ${a}: numeric argument required\n`);
        throw new LineAbort(1);
      }
      n = Number(a);
      if (n <= 0) {
        ctx.err(`${ctx.sh.name}: ${kind}: ${a}: loop count out of range\n`);
        // NOTE: break.def sets `breaking = loop_level` here (in both builtins): every enclosing loop ends.
        throw new LoopSignal('break', depth);
      }
    }
    throw new LoopSignal(kind, Math.min(n, depth));
  };

/** Commands the shell runs itself. */
export const BUILTINS: Record<string, ShellProgram> = {
  cd,
  pwd,
  export: exportCmd,
  unset,
  exit,
  logout: exit,
  return: ret,
  set,
  shift,
  source,
  '.': source,
  eval: evalCmd,
  read,
  local,
  type,
  command,
  exec,
  wait,
  umask,
  break: loopControl('break'),
  continue: loopControl('continue'),
  echo,
  printf,
  test,
  '[': test,
  true: trueCmd,
  false: falseCmd,
  ':': trueCmd,
};
