/**
 * Text filters: cat, head, tail, wc, sort, uniq, tee, cut, tr, seq, md5sum, sha256sum.
 */
import { createHash } from 'node:crypto';
import type { CommandFn } from '../node/command.js';
import { parseOpts, has, val, readInputs, lines } from './util.js';
import { errText } from '../fs/memfs.js';

const cat: CommandFn = (ctx) => {
  const o = parseOpts(ctx.argv.slice(1));
  const { texts, code } = readInputs(ctx, o.args, 'cat');
  let out = texts.map((t) => t.text).join('');
  if (has(o, 'n')) {
    const ls = out.split('\n');
    const last = ls.pop();
    out =
      ls.map((l, i) => `${String(i + 1).padStart(6)}\t${l}\n`).join('') +
      (last ? `${String(ls.length + 1).padStart(6)}\t${last}` : '');
  }
  if (has(o, 'A', 'E')) out = out.replace(/\n/g, '$\n');
  ctx.out(out);
  return code;
};

/** `-n N`, `-N`, `-n +N` → count (and whether it is "from line N"). */
function countOpt(argv: string[], def = 10): { n: number; from: boolean; bytes: boolean; rest: string[] } {
  let n = def;
  let from = false;
  let bytes = false;
  const rest: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    let m: RegExpExecArray | null;
    if ((m = /^-(\d+)$/.exec(a))) n = Number(m[1]);
    else if (a === '-n' || a === '-c' || a === '--lines' || a === '--bytes') {
      const v = argv[++i] ?? '10';
      bytes = a === '-c' || a === '--bytes';
      from = v.startsWith('+');
      n = Math.abs(Number(v));
    } else if ((m = /^-([nc])([+-]?\d+)$/.exec(a)) || (m = /^--(lines|bytes)=([+-]?\d+)$/.exec(a))) {
      bytes = m[1] === 'c' || m[1] === 'bytes';
      from = m[2].startsWith('+');
      n = Math.abs(Number(m[2]));
    } else if (a === '-f' || a === '-F' || a === '-q' || a === '-v') continue;
    else rest.push(a);
  }
  return { n, from, bytes, rest };
}

function headTail(tail: boolean): CommandFn {
  return (ctx) => {
    const name = tail ? 'tail' : 'head';
    const { n, from, bytes, rest } = countOpt(ctx.argv.slice(1));
    const { texts, code } = readInputs(ctx, rest, name);
    let out = '';
    texts.forEach((t, i) => {
      if (texts.length > 1) out += `${i ? '\n' : ''}==> ${t.name} <==\n`;
      if (bytes) {
        out += tail ? (from ? t.text.slice(n - 1) : t.text.slice(-n || t.text.length)) : t.text.slice(0, n);
        return;
      }
      const ls = lines(t.text);
      const pick = tail ? (from ? ls.slice(Math.max(0, n - 1)) : n ? ls.slice(-n) : []) : ls.slice(0, n);
      const endsNl = t.text.endsWith('\n');
      out += pick
        .map((l, j) => l + (j < pick.length - 1 || endsNl || (!tail && j < ls.length - 1) ? '\n' : ''))
        .join('');
    });
    ctx.out(out);
    return code;
  };
}

const wc: CommandFn = (ctx) => {
  const o = parseOpts(ctx.argv.slice(1));
  let which = ['l', 'w', 'c', 'm'].filter((f) => o.flags.has(f));
  if (!which.length) which = ['l', 'w', 'c'];
  const { texts, code } = readInputs(ctx, o.args, 'wc');
  const counts = texts.map((t) => ({
    name: t.name === '-' && !o.args.length ? '' : t.name,
    l: (t.text.match(/\n/g) ?? []).length,
    w: t.text.split(/\s+/).filter(Boolean).length,
    c: Buffer.byteLength(t.text),
    m: t.text.length,
  }));
  if (counts.length > 1)
    counts.push({
      name: 'total',
      l: counts.reduce((a, c) => a + c.l, 0),
      w: counts.reduce((a, c) => a + c.w, 0),
      c: counts.reduce((a, c) => a + c.c, 0),
      m: counts.reduce((a, c) => a + c.m, 0),
    });
  const width =
    which.length === 1 && counts.length === 1
      ? 0
      : Math.max(...counts.flatMap((c) => which.map((k) => String(c[k as 'l']).length)), !o.args.length ? 7 : 1);
  for (const c of counts)
    ctx.out(which.map((k) => String(c[k as 'l']).padStart(width)).join(' ') + (c.name ? ' ' + c.name : '') + '\n');
  return code;
};

const sort: CommandFn = (ctx) => {
  const o = parseOpts(ctx.argv.slice(1), ['k', 't', 'o']);
  const { texts, code } = readInputs(ctx, o.args, 'sort');
  let ls = texts.flatMap((t) => lines(t.text));
  const sep = val(o, 't');
  const key = val(o, 'k');
  const keyOf = (l: string) => {
    if (!key) return l;
    const [a, b] = key.split(',').map((x) => Number(x.replace(/\D.*$/, '')));
    const f = sep ? l.split(sep) : l.trim().split(/\s+/);
    return f.slice(a - 1, b ? b : undefined).join(sep ?? ' ');
  };
  const num = has(o, 'n', 'g', 'h');
  ls.sort((x, y) => {
    const a = keyOf(x);
    const b = keyOf(y);
    const r = num
      ? (parseFloat(a) || 0) - (parseFloat(b) || 0)
      : has(o, 'f')
        ? a.toLowerCase().localeCompare(b.toLowerCase())
        : a < b
          ? -1
          : a > b
            ? 1
            : 0;
    return r || (x < y ? -1 : x > y ? 1 : 0);
  });
  if (has(o, 'r')) ls.reverse();
  if (has(o, 'u')) ls = ls.filter((l, i) => i === 0 || keyOf(l) !== keyOf(ls[i - 1]));
  const out = ls.map((l) => l + '\n').join('');
  const file = val(o, 'o');
  if (file) ctx.node.fs.writeFile(ctx.sh.resolve(file), out);
  else ctx.out(out);
  return code;
};

const uniq: CommandFn = (ctx) => {
  const o = parseOpts(ctx.argv.slice(1));
  const { texts, code } = readInputs(ctx, o.args.slice(0, 1), 'uniq');
  const ls = lines(texts[0]?.text ?? '');
  const groups: { l: string; n: number }[] = [];
  for (const l of ls) {
    const g = groups[groups.length - 1];
    const same = g && (has(o, 'i') ? g.l.toLowerCase() === l.toLowerCase() : g.l === l);
    if (same) g.n++;
    else groups.push({ l, n: 1 });
  }
  let out = '';
  for (const g of groups) {
    if (has(o, 'd') && g.n < 2) continue;
    if (has(o, 'u') && g.n > 1) continue;
    out += (has(o, 'c') ? `${String(g.n).padStart(7)} ` : '') + g.l + '\n';
  }
  ctx.out(out);
  return code;
};

const tee: CommandFn = (ctx) => {
  const o = parseOpts(ctx.argv.slice(1));
  let code = 0;
  for (const f of o.args) {
    try {
      const p = ctx.sh.resolve(f);
      if (has(o, 'a', 'append')) ctx.node.fs.appendFile(p, ctx.stdin);
      else ctx.node.fs.writeFile(p, ctx.stdin, ctx.node.fs.stat(p) ? undefined : 0o666 & ~ctx.sh.umask);
    } catch (e) {
      ctx.err(`tee: ${f}: ${errText(e)}\n`);
      code = 1;
    }
  }
  ctx.out(ctx.stdin);
  return code;
};

/** Parse a cut list like `1,3-5,7-`. */
function ranges(spec: string): (i: number) => boolean {
  const parts = spec.split(',').map((p) => {
    const m = /^(\d*)(-?)(\d*)$/.exec(p);
    if (!m) return () => false;
    const a = m[1] ? Number(m[1]) : 1;
    const b = m[2] ? (m[3] ? Number(m[3]) : Infinity) : a;
    return (i: number) => i >= a && i <= b;
  });
  return (i) => parts.some((f) => f(i));
}

const cut: CommandFn = (ctx) => {
  const o = parseOpts(ctx.argv.slice(1), ['d', 'f', 'c', 'b', 'delimiter', 'fields', 'characters']);
  const { texts, code } = readInputs(ctx, o.args, 'cut');
  const fields = val(o, 'f', 'fields');
  const chars = val(o, 'c', 'b', 'characters');
  const delim = val(o, 'd', 'delimiter') ?? '\t';
  if (!fields && !chars) {
    ctx.err("cut: you must specify a list of bytes, characters, or fields\nTry `cut --help' for more information.\n");
    return 1;
  }
  let out = '';
  for (const l of texts.flatMap((t) => lines(t.text))) {
    if (chars) out += [...l].filter((_, i) => ranges(chars)(i + 1)).join('') + '\n';
    else {
      if (!l.includes(delim)) {
        if (!has(o, 's')) out += l + '\n';
        continue;
      }
      const sel = ranges(fields!);
      out +=
        l
          .split(delim)
          .filter((_, i) => sel(i + 1))
          .join(delim) + '\n';
    }
  }
  ctx.out(out);
  return code;
};

/** Expand a tr set: ranges, classes, escapes. */
function trSet(s: string): string[] {
  const classes: Record<string, string> = {
    upper: 'ABCDEFGHIJKLMNOPQRSTUVWXYZ',
    lower: 'abcdefghijklmnopqrstuvwxyz',
    digit: '0123456789',
    space: ' \t\n\r\f\v',
    blank: ' \t',
    alpha: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz',
    alnum: 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
    punct: '!"#$%&\'()*+,-./:;<=>?@[\\]^_`{|}~',
  };
  const out: string[] = [];
  // NOTE: coreutils 8.4 tr.c unquote(): \\ \a \b \f \n \r \t \v and \NNN (1-3 octal digits).
  const ESC: Record<string, string> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\' };
  const src = s.replace(/\\([0-7]{1,3}|[abfnrtv\\])/g, (_m, e: string) =>
    /^[0-7]/.test(e) ? String.fromCharCode(parseInt(e, 8) & 0xff) : ESC[e],
  );
  for (let i = 0; i < src.length; i++) {
    const m = /^\[:(\w+):\]/.exec(src.slice(i));
    if (m && classes[m[1]]) {
      out.push(...classes[m[1]]);
      i += m[0].length - 1;
    } else if (src[i + 1] === '-' && i + 2 < src.length) {
      for (let c = src.charCodeAt(i); c <= src.charCodeAt(i + 2); c++) out.push(String.fromCharCode(c));
      i += 2;
    } else out.push(src[i]);
  }
  return out;
}

const tr: CommandFn = (ctx) => {
  const o = parseOpts(ctx.argv.slice(1));
  const [s1, s2] = o.args;
  if (s1 === undefined) {
    ctx.err("tr: missing operand\nTry `tr --help' for more information.\n");
    return 1;
  }
  const a = trSet(s1);
  const del = has(o, 'd');
  const squeeze = has(o, 's');
  const comp = has(o, 'c', 'C');
  const inA = (c: string) => (comp ? !a.includes(c) : a.includes(c));
  const b = s2 !== undefined ? trSet(s2) : [];
  let out = '';
  let prev = '';
  for (const c of ctx.stdin) {
    let r = c;
    if (del && inA(c)) continue;
    if (!del && b.length && inA(c)) r = comp ? b[b.length - 1] : (b[a.indexOf(c)] ?? b[b.length - 1]);
    if (squeeze && r === prev && (b.length ? b.includes(r) : inA(r))) continue;
    out += r;
    prev = r;
  }
  ctx.out(out);
  return 0;
};

const seq: CommandFn = (ctx) => {
  const nums = ctx.argv
    .slice(1)
    .filter((a) => /^-?\d+(\.\d+)?$/.test(a))
    .map(Number);
  const [first, step, last] =
    nums.length === 1 ? [1, 1, nums[0]] : nums.length === 2 ? [nums[0], 1, nums[1]] : [nums[0], nums[1], nums[2]];
  const sep = ctx.argv.includes('-s') ? ctx.argv[ctx.argv.indexOf('-s') + 1] : '\n';
  const out: string[] = [];
  for (let i = first; step > 0 ? i <= last : i >= last; i += step) out.push(String(i));
  ctx.out(out.length ? out.join(sep) + '\n' : '');
  return 0;
};

function digest(alg: 'md5' | 'sha256'): CommandFn {
  return (ctx) => {
    const o = parseOpts(ctx.argv.slice(1));
    const { texts, code } = readInputs(ctx, o.args, `${alg}sum`);
    for (const t of texts) ctx.out(`${createHash(alg).update(t.text).digest('hex')}  ${t.name}\n`);
    return code;
  };
}

/** Text commands by name. */
export const TEXT_COMMANDS: Record<string, CommandFn> = {
  cat,
  head: headTail(false),
  tail: headTail(true),
  wc,
  sort,
  uniq,
  tee,
  cut,
  tr,
  seq,
  md5sum: digest('md5'),
  sha256sum: digest('sha256'),
};
