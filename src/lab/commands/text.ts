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

/** One sort key (coreutils 8.4 sort.c `struct keyfield`): 0-based fields and characters. */
interface SortKey {
  sword: number;
  schar: number;
  /** Infinity: to the end of the line. */
  eword: number;
  /** 0: to the end of field eword. */
  echar: number;
  skipsblanks: boolean;
  skipeblanks: boolean;
  numeric: boolean;
  general: boolean;
  human: boolean;
  month: boolean;
  fold: boolean;
  dictionary: boolean;
  nonprinting: boolean;
  reverse: boolean;
}

const newKey = (): SortKey => ({
  sword: 0,
  schar: 0,
  eword: Infinity,
  echar: 0,
  skipsblanks: false,
  skipeblanks: false,
  numeric: false,
  general: false,
  human: false,
  month: false,
  fold: false,
  dictionary: false,
  nonprinting: false,
  reverse: false,
});

/** sort.c default_key_compare: a key with no ordering option of its own (`-k2,2` but not `-k2,2n`). */
const plainKey = (k: SortKey) =>
  !(
    k.skipsblanks ||
    k.skipeblanks ||
    k.numeric ||
    k.general ||
    k.human ||
    k.month ||
    k.fold ||
    k.dictionary ||
    k.nonprinting
  );

const MONTHS = ['JAN', 'FEB', 'MAR', 'APR', 'MAY', 'JUN', 'JUL', 'AUG', 'SEP', 'OCT', 'NOV', 'DEC'];
const blank = (c: string | undefined) => c === ' ' || c === '\t';

/**
 * GNU sort as coreutils 8.4 sort.c does it, in the C locale (byte order): keys `-k F[.C][OPTS][,F[.C][OPTS]]`
 * with the modifiers b d f g h i M n r (a key with none inherits the global ones: main()'s
 * "Inheritance of global options to individual keys"), fields split at -t's character or, without
 * it, at each blank-to-nonblank transition with the blanks belonging to the next field (begfield,
 * limfield); ties broken by the whole line unless -s or -u (compare()); -u keeps the first of each
 * run of equal keys; -c/-C check. -V -R -z and --files0-from are refused by name.
 */
const sort: CommandFn = (ctx) => {
  const g = newKey();
  const keys: SortKey[] = [];
  const files: string[] = [];
  let tab: string | undefined;
  let out: string | undefined;
  let unique = false;
  let stable = false;
  let check: 'c' | 'C' | undefined;
  const bad = (msg: string) => {
    ctx.err(`sort: ${msg}\nTry \`sort --help' for more information.\n`);
    return 2;
  };
  const setOrdering = (k: SortKey, s: string, end: boolean): string | undefined => {
    for (const c of s) {
      if (c === 'b') {
        if (end) k.skipeblanks = true;
        else k.skipsblanks = true;
      } else if (c === 'd') k.dictionary = true;
      else if (c === 'f') k.fold = true;
      else if (c === 'g') k.general = true;
      else if (c === 'h') k.human = true;
      else if (c === 'i') k.nonprinting = true;
      else if (c === 'M') k.month = true;
      else if (c === 'n') k.numeric = true;
      else if (c === 'r') k.reverse = true;
      else return c;
    }
    return undefined;
  };
  const parseKey = (spec: string): string | undefined => {
    const k = newKey();
    const m = /^(\d+)(?:\.(\d+))?([a-zA-Z]*)(?:,(\d+)(?:\.(\d+))?([a-zA-Z]*))?$/.exec(spec);
    if (!m) return `invalid number at field start: invalid count at start of \`${spec}'`;
    if (Number(m[1]) === 0) return `field number is zero: invalid field specification \`${spec}'`;
    k.sword = Number(m[1]) - 1;
    if (m[2] !== undefined) {
      if (Number(m[2]) === 0) return `character offset is zero: invalid field specification \`${spec}'`;
      k.schar = Number(m[2]) - 1;
    }
    let o = setOrdering(k, m[3], false);
    if (m[4] !== undefined) {
      if (Number(m[4]) === 0) return `field number is zero: invalid field specification \`${spec}'`;
      k.eword = Number(m[4]) - 1;
      k.echar = m[5] !== undefined ? Number(m[5]) : 0;
      o ??= setOrdering(k, m[6], true);
    }
    if (o !== undefined) return `stray character in field spec: invalid field specification \`${spec}'`;
    keys.push(k);
    return undefined;
  };
  const notInLab = (what: string) => {
    ctx.err(`sort: ${what}: this option of GNU sort is not implemented by the lab\n`);
    return 2;
  };
  const argv = ctx.argv.slice(1);
  const LONG: Record<string, string> = {
    'ignore-leading-blanks': 'b',
    'dictionary-order': 'd',
    'ignore-case': 'f',
    'general-numeric-sort': 'g',
    'human-numeric-sort': 'h',
    'ignore-nonprinting': 'i',
    'month-sort': 'M',
    'numeric-sort': 'n',
    reverse: 'r',
    stable: 's',
    unique: 'u',
    merge: 'm',
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      files.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--')) {
      const [name, v] = a.slice(2).split(/=(.*)/s);
      const arg = () => v ?? argv[++i];
      if (LONG[name]) {
        const c = LONG[name];
        if (c === 's') stable = true;
        else if (c === 'u') unique = true;
        else if (c !== 'm') {
          setOrdering(g, c, false);
          if (c === 'b') g.skipeblanks = true;
        }
      } else if (name === 'key') {
        const e = parseKey(arg() ?? '');
        if (e) return bad(e);
      } else if (name === 'field-separator') tab = arg();
      else if (name === 'output') out = arg();
      else if (name === 'check') check = v === 'quiet' || v === 'silent' ? 'C' : 'c';
      else return notInLab(`--${name}`);
      continue;
    }
    if (!a.startsWith('-') || a === '-') {
      files.push(a);
      continue;
    }
    for (let j = 1; j < a.length; j++) {
      const c = a[j];
      if ('ktoTS'.includes(c)) {
        const v = j < a.length - 1 ? a.slice(j + 1) : argv[++i];
        if (v === undefined) return bad(`option requires an argument -- '${c}'`);
        if (c === 'k') {
          const e = parseKey(v);
          if (e) return bad(e);
        } else if (c === 't') {
          if (v.length !== 1) {
            ctx.err(`sort: multi-character tab \`${v}'\n`);
            return 2;
          }
          tab = v;
        } else if (c === 'o') out = v;
        break;
      }
      if ('bdfghiMnr'.includes(c)) {
        setOrdering(g, c, false);
        if (c === 'b') g.skipeblanks = true;
      } else if (c === 's') stable = true;
      else if (c === 'u') unique = true;
      else if (c === 'c' || c === 'C') check = c;
      else if (c === 'm') continue;
      else if ('VRz'.includes(c)) return notInLab(`-${c}`);
      else return bad(`invalid option -- '${c}'`);
    }
  }
  // NOTE: sort.c main(): keys without ordering options inherit the global ones; global options
  // alone make one key over the whole line.
  for (const k of keys)
    if (plainKey(k) && !k.reverse) {
      const { sword, schar, eword, echar } = k;
      Object.assign(k, g, { sword, schar, eword, echar });
    }
  if (!keys.length && !plainKey(g)) keys.push({ ...g });

  const begfield = (l: string, k: SortKey) => {
    let p = 0;
    let w = k.sword;
    if (tab !== undefined)
      while (p < l.length && w--) {
        while (p < l.length && l[p] !== tab) p++;
        if (p < l.length) p++;
      }
    else
      while (p < l.length && w--) {
        while (p < l.length && blank(l[p])) p++;
        while (p < l.length && !blank(l[p])) p++;
      }
    if (k.skipsblanks) while (p < l.length && blank(l[p])) p++;
    return Math.min(l.length, p + k.schar);
  };
  const limfield = (l: string, k: SortKey) => {
    if (k.eword === Infinity) return l.length;
    let p = 0;
    let w = k.echar === 0 ? k.eword + 1 : k.eword;
    if (tab !== undefined)
      while (p < l.length && w--) {
        while (p < l.length && l[p] !== tab) p++;
        if (p < l.length && (w || k.echar)) p++;
      }
    else
      while (p < l.length && w--) {
        while (p < l.length && blank(l[p])) p++;
        while (p < l.length && !blank(l[p])) p++;
      }
    if (k.echar !== 0) {
      if (k.skipeblanks) while (p < l.length && blank(l[p])) p++;
      p = Math.min(l.length, p + k.echar);
    }
    return p;
  };
  const num = (t: string) => {
    const m = /^[ \t]*(-?(?:\d+\.?\d*|\.\d+))/.exec(t);
    return m ? Number(m[1]) : 0;
  };
  const human = (t: string): [number, number] => {
    const m = /^[ \t]*(-?(?:\d+\.?\d*|\.\d+))([KMGTPEZY]|k)?/.exec(t);
    if (!m) return [0, 0];
    const n = Number(m[1]);
    const order = m[2] ? 'kMGTPEZY'.indexOf(m[2] === 'K' ? 'k' : m[2]) + 1 : 0;
    return [Math.sign(n) * order, n];
  };
  const cmpStr = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
  const keyCompare = (x: string, y: string) => {
    for (const k of keys) {
      let a = x.slice(begfield(x, k), Math.max(begfield(x, k), limfield(x, k)));
      let b = y.slice(begfield(y, k), Math.max(begfield(y, k), limfield(y, k)));
      let d: number;
      if (k.numeric) d = Math.sign(num(a) - num(b));
      else if (k.general) {
        const fa = parseFloat(a.trimStart());
        const fb = parseFloat(b.trimStart());
        // NOTE: sort.c general_numcompare: what does not convert sorts before every number.
        d = isNaN(fa) ? (isNaN(fb) ? 0 : -1) : isNaN(fb) ? 1 : Math.sign(fa - fb);
      } else if (k.human) {
        const [oa, na] = human(a);
        const [ob, nb] = human(b);
        d = Math.sign(oa - ob) || Math.sign(na - nb);
      } else if (k.month) {
        const m = (t: string) => MONTHS.indexOf(t.trimStart().slice(0, 3).toUpperCase()) + 1;
        d = Math.sign(m(a) - m(b));
      } else {
        if (k.dictionary) {
          a = a.replace(/[^ \t0-9A-Za-z]/g, '');
          b = b.replace(/[^ \t0-9A-Za-z]/g, '');
        }
        if (k.nonprinting) {
          a = a.replace(/[^\x20-\x7e]/g, '');
          b = b.replace(/[^\x20-\x7e]/g, '');
        }
        if (k.fold) {
          a = a.toUpperCase();
          b = b.toUpperCase();
        }
        d = cmpStr(a, b);
      }
      if (d) return k.reverse ? -d : d;
    }
    return 0;
  };
  const compare = (x: string, y: string) => {
    if (keys.length) {
      const d = keyCompare(x, y);
      if (d || unique || stable) return d;
    }
    const d = cmpStr(x, y);
    return g.reverse ? -d : d;
  };

  const { texts, code } = readInputs(ctx, files, 'sort');
  if (code) return 2;
  let ls = texts.flatMap((t) => lines(t.text));
  if (check) {
    for (let i = 1; i < ls.length; i++) {
      const d = compare(ls[i - 1], ls[i]);
      if (d > 0 || (unique && d === 0)) {
        if (check === 'c') ctx.err(`sort: ${files[0] ?? '-'}:${i + 1}: disorder: ${ls[i]}\n`);
        return 1;
      }
    }
    return 0;
  }
  // NOTE: Array.prototype.sort is stable, as sort.c's merge sort is.
  ls.sort(compare);
  if (unique) ls = ls.filter((l, i) => i === 0 || compare(ls[i - 1], l) !== 0);
  const text = ls.map((l) => l + '\n').join('');
  if (out) ctx.node.fs.writeFile(ctx.sh.resolve(out), text);
  else ctx.out(text);
  return 0;
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
