/**
 * A small awk: BEGIN/END, /re/ and expression patterns (and ranges), print/printf, fields ($0..$NF),
 * NR NF FS OFS ORS, variables, arrays, if/while/for/for-in, next/exit, string and math functions.
 */
import type { CommandFn } from '../node/command.js';
import { readInputs } from './util.js';

/** Loop turns one awk program may take in the lab. */
export const AWK_MAX_TURNS = 5_000_000;
import { posixRegExp } from './regex.js';
import { AwkError, parseAwk, type Item, type Node, type Stmt } from './awk-parse.js';

class Next {}
class Exit {
  /** undefined: `exit` without a value (in END it keeps the earlier status). */
  constructor(public code: number | undefined) {}
}

const isNumStr = (s: string) => /^\s*[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?\s*$/.test(s);
const num = (v: unknown): number => (typeof v === 'number' ? v : parseFloat(String(v)) || 0);
const str = (v: unknown, fmt = '%.6g'): string => {
  // eslint-disable-next-line @typescript-eslint/no-base-to-string -- awk values are strings or numbers; the maps hold them as unknown
  if (typeof v !== 'number') return v === undefined || v === null ? '' : String(v);
  if (Number.isInteger(v)) return String(v);
  return fmt === '%.6g' ? String(Number(v.toPrecision(6))) : String(v);
};

/** Run an awk program over inputs. */
function run(
  prog: Item[],
  inputs: string[],
  vars: Map<string, unknown>,
  out: (s: string) => void,
  files: (name: string, s: string, append: boolean) => void,
): number {
  const arrays = new Map<string, Map<string, unknown>>();
  let fields: string[] = [];
  let record = '';
  const FS = () => str(vars.get('FS') ?? ' ');
  const split = (s: string, fs = FS()): string[] => {
    if (fs === ' ') return s.trim() === '' ? [] : s.trim().split(/[ \t\n]+/);
    if (fs.length === 1 && fs !== '\\') return s === '' ? [] : s.split(fs);
    return s === '' ? [] : s.split(posixRegExp(fs, { extended: true }));
  };
  const setRecord = (s: string) => {
    record = s;
    fields = split(s);
    vars.set('NF', fields.length);
  };
  const getField = (i: number) => (i === 0 ? record : (fields[i - 1] ?? ''));
  const setField = (i: number, v: string) => {
    if (i === 0) return setRecord(v);
    while (fields.length < i) fields.push('');
    fields[i - 1] = v;
    vars.set('NF', fields.length);
    record = fields.join(str(vars.get('OFS') ?? ' '));
  };
  const arr = (n: string) => {
    let a = arrays.get(n);
    if (!a) arrays.set(n, (a = new Map<string, unknown>()));
    return a;
  };
  const key = (ks: Node[]) => ks.map((k) => str(ev(k))).join(str(vars.get('SUBSEP') ?? '\x1c'));
  const regexOf = (n: Node) => posixRegExp(n.k === 're' ? n.v : str(ev(n)), { extended: true });
  const assign = (lv: Node, v: unknown) => {
    if (lv.k === 'var') {
      vars.set(lv.name, v);
      if (lv.name === 'NF') {
        fields.length = num(v);
        record = fields.join(str(vars.get('OFS') ?? ' '));
      }
    } else if (lv.k === 'idx') arr(lv.name).set(key(lv.key), v);
    else if (lv.k === 'field') setField(num(ev(lv.e)), str(v));
  };
  const isStrNode = (n: Node) => n.k === 'str' || (n.k === 'bin' && n.op === 'cat');
  const sprintf = (args: unknown[]): string => {
    const fmt = str(args[0]);
    let k = 1;
    return fmt.replace(
      /%([-+ 0#]*)(\d*|\*)(?:\.(\d+))?([diouxXeEfgGcs%])/g,
      (_m, flags: string, width: string, prec: string | undefined, conv: string) => {
        if (conv === '%') return '%';
        const a = args[k++];
        let s: string;
        if ('di'.includes(conv)) s = String(Math.trunc(num(a)));
        else if (conv === 'o') s = Math.trunc(num(a)).toString(8);
        else if (conv === 'x' || conv === 'X')
          s = Math.trunc(num(a)).toString(16)[conv === 'X' ? 'toUpperCase' : 'toLowerCase']();
        else if ('eEfgG'.includes(conv))
          s =
            conv === 'f'
              ? num(a).toFixed(prec ? Number(prec) : 6)
              : conv.toLowerCase() === 'e'
                ? num(a).toExponential(prec ? Number(prec) : 6)
                : String(Number(num(a).toPrecision(prec ? Number(prec) || 1 : 6)));
        else if (conv === 'c') s = typeof a === 'number' ? String.fromCharCode(a) : str(a).slice(0, 1);
        else s = prec !== undefined ? str(a).slice(0, Number(prec)) : str(a);
        const w = Number(width) || 0;
        if (s.length < w)
          s = flags.includes('-')
            ? s.padEnd(w)
            : flags.includes('0') && !/[sc]/.test(conv)
              ? s.padStart(w, '0')
              : s.padStart(w);
        return s;
      },
    );
  };
  const call = (name: string, args: Node[]): unknown => {
    const a = () => args.map((x) => ev(x));
    switch (name) {
      case 'length':
        return args.length
          ? args[0].k === 'var' && arrays.has(args[0].name)
            ? arrays.get(args[0].name)!.size
            : str(ev(args[0])).length
          : record.length;
      case 'substr': {
        const [s, m, n] = a();
        const st = Math.round(num(m));
        const ss = str(s);
        const from = Math.max(1, st);
        const to = n === undefined ? ss.length + 1 : st + Math.round(num(n));
        return ss.slice(from - 1, Math.max(from - 1, to - 1));
      }
      case 'index':
        return str(ev(args[0])).indexOf(str(ev(args[1]))) + 1;
      case 'split': {
        const parts = split(str(ev(args[0])), args[2] ? (args[2].k === 're' ? args[2].v : str(ev(args[2]))) : FS());
        const target = args[1] as Extract<Node, { k: 'var' }>;
        const m = new Map<string, unknown>();
        parts.forEach((p, i) => m.set(String(i + 1), p));
        arrays.set(target.name, m);
        return parts.length;
      }
      case 'tolower':
        return str(ev(args[0])).toLowerCase();
      case 'toupper':
        return str(ev(args[0])).toUpperCase();
      case 'int':
        return Math.trunc(num(ev(args[0])));
      case 'sqrt':
        return Math.sqrt(num(ev(args[0])));
      case 'sprintf':
        return sprintf(a());
      case 'match': {
        const m = regexOf(args[1]).exec(str(ev(args[0])));
        vars.set('RSTART', m ? m.index + 1 : 0);
        vars.set('RLENGTH', m ? m[0].length : -1);
        return m ? m.index + 1 : 0;
      }
      case 'sub':
      case 'gsub': {
        const re = regexOf(args[0]);
        const rep = str(ev(args[1]));
        const target = args[2] ?? { k: 'field', e: { k: 'num', v: 0 } };
        let n = 0;
        const g = new RegExp(re.source, name === 'gsub' ? 'g' : '');
        const res = str(ev(target)).replace(g, (m) => {
          n++;
          return rep.replace(/\\&|&/g, (x) => (x === '&' ? m : '&'));
        });
        if (n) assign(target, res);
        return n;
      }
      case 'system':
        return 0;
    }
    throw new AwkError(`calling undefined function ${name}`);
  };
  const ev = (n: Node): unknown => {
    switch (n.k) {
      case 'num':
        return n.v;
      case 'str':
        return n.v;
      case 're':
        return regexOf(n).test(record) ? 1 : 0;
      // NOTE: an unset variable or element is `undefined` here: awk's uninitialized value, which is
      // both "" and 0 (gawk 3.1.7 manual, "Variable Typing": it compares as a number with a number).
      case 'var':
        return vars.get(n.name);
      case 'idx':
        return arr(n.name).get(key(n.key));
      case 'field':
        return getField(num(ev(n.e)));
      case 'group':
        return ev(n.e);
      case 'in':
        return arr(n.arr).has(str(ev(n.key))) ? 1 : 0;
      case 'cond':
        return truth(ev(n.c)) ? ev(n.a) : ev(n.b);
      case 'un': {
        if (n.op === '!') return truth(ev(n.e)) ? 0 : 1;
        const v = num(ev(n.e));
        return n.op === '-' ? -v : v;
      }
      case 'assign': {
        let v = ev(n.e);
        if (n.op !== '=') {
          const cur = num(ev(n.lv));
          const r = num(v);
          v =
            n.op === '+='
              ? cur + r
              : n.op === '-='
                ? cur - r
                : n.op === '*='
                  ? cur * r
                  : n.op === '/='
                    ? cur / r
                    : n.op === '%='
                      ? cur % r
                      : cur ** r;
        }
        assign(n.lv, v);
        return v;
      }
      case 'incr': {
        const cur = num(ev(n.lv));
        const nv = n.op === '++' ? cur + 1 : cur - 1;
        assign(n.lv, nv);
        return n.pre ? nv : cur;
      }
      case 'call':
        return call(n.name, n.args);
      case 'bin': {
        if (n.op === '&&') return truth(ev(n.a)) && truth(ev(n.b)) ? 1 : 0;
        if (n.op === '||') return truth(ev(n.a)) || truth(ev(n.b)) ? 1 : 0;
        if (n.op === '~' || n.op === '!~') return regexOf(n.b).test(str(ev(n.a))) === (n.op === '~') ? 1 : 0;
        const a = ev(n.a);
        const b = ev(n.b);
        switch (n.op) {
          case 'cat':
            return str(a) + str(b);
          case '+':
            return num(a) + num(b);
          case '-':
            return num(a) - num(b);
          case '*':
            return num(a) * num(b);
          case '/':
            if (num(b) === 0) throw new AwkError('division by zero');
            return num(a) / num(b);
          case '%':
            return num(a) % num(b);
          case '^':
            return num(a) ** num(b);
        }
        const numeric =
          !isStrNode(n.a) &&
          !isStrNode(n.b) &&
          (typeof a === 'number' || a === undefined || isNumStr(str(a))) &&
          (typeof b === 'number' || b === undefined || isNumStr(str(b)));
        const x = numeric ? num(a) : str(a);
        const y = numeric ? num(b) : str(b);
        switch (n.op) {
          case '==':
            return x === y ? 1 : 0;
          case '!=':
            return x !== y ? 1 : 0;
          case '<':
            return x < y ? 1 : 0;
          case '<=':
            return x <= y ? 1 : 0;
          case '>':
            return x > y ? 1 : 0;
          case '>=':
            return x >= y ? 1 : 0;
        }
      }
    }
    return '';
  };
  const truth = (v: unknown) =>
    // eslint-disable-next-line @typescript-eslint/no-base-to-string -- awk values are strings or numbers
    v === undefined ? false : typeof v === 'number' ? v !== 0 : isNumStr(String(v)) ? Number(v) !== 0 : v !== '';
  // NOTE: awk runs synchronously in the lab's one thread: nested endless loops would freeze both
  // nodes, so the loop turns of one program are counted and a runaway program is stopped.
  let turns = 0;
  const turn = () => {
    if (++turns > AWK_MAX_TURNS)
      throw new Error(`program ran more than ${AWK_MAX_TURNS} loop turns (the lab's limit per command); stopped`);
  };
  const exec = (s: Stmt): void => {
    switch (s.k) {
      case 'print': {
        const text = s.printf
          ? sprintf(s.args.map((a) => ev(a)))
          : (s.args.length
              ? s.args.map((a) => str(ev(a), str(vars.get('OFMT') ?? '%.6g'))).join(str(vars.get('OFS') ?? ' '))
              : record) + str(vars.get('ORS') ?? '\n');
        if (s.to) files(str(ev(s.to.e)), text, s.to.op === '>>');
        else out(text);
        return;
      }
      case 'expr':
        ev(s.e);
        return;
      case 'if':
        if (truth(ev(s.c))) exec(s.a);
        else if (s.b) exec(s.b);
        return;
      case 'while':
        for (let g = 0; g < 1e6 && truth(ev(s.c)); g++) {
          turn();
          exec(s.body);
        }
        return;
      case 'for':
        if (s.init) exec(s.init);
        for (let g = 0; g < 1e6 && (!s.c || truth(ev(s.c))); g++) {
          turn();
          exec(s.body);
          if (s.step) exec(s.step);
        }
        return;
      case 'forin':
        for (const k of [...arr(s.arr).keys()]) {
          vars.set(s.v, k);
          exec(s.body);
        }
        return;
      case 'block':
        for (const x of s.body) exec(x);
        return;
      case 'next':
        throw new Next();
      case 'exit':
        throw new Exit(s.e ? num(ev(s.e)) : undefined);
      case 'delete':
        if (s.key) arr(s.name).delete(key(s.key));
        else arrays.delete(s.name);
        return;
    }
  };
  let code = 0;
  const runItems = (kind: Item['kind']) => {
    for (const it of prog) {
      if (it.kind !== kind) continue;
      if (kind === 'main') {
        let sel: boolean;
        if (!it.pat) sel = true;
        else if (!it.pat2) sel = truth(ev(it.pat));
        else if (it.inRange) {
          sel = true;
          if (truth(ev(it.pat2))) it.inRange = false;
        } else if (truth(ev(it.pat))) {
          sel = true;
          it.inRange = !truth(ev(it.pat2));
        } else sel = false;
        if (!sel) continue;
        if (!it.body) {
          out(record + str(vars.get('ORS') ?? '\n'));
          continue;
        }
      }
      for (const s of it.body ?? []) exec(s);
    }
  };
  // NOTE: POSIX awk / gawk 3.1.7 manual ("The exit Statement"): `exit` in BEGIN or in a rule skips
  // the remaining input but the END rules still run; `exit` in END stops; an `exit` without a value
  // in END keeps the status of the earlier one.
  let exited = false;
  try {
    runItems('begin');
  } catch (e) {
    if (!(e instanceof Exit)) throw e;
    code = e.code ?? 0;
    exited = true;
  }
  try {
    if (!exited && prog.some((p) => p.kind === 'main' || p.kind === 'end')) {
      let nr = 0;
      outer: for (const text of inputs) {
        let fnr = 0;
        const recs = text.split('\n');
        if (recs[recs.length - 1] === '') recs.pop();
        for (const r of recs) {
          vars.set('NR', ++nr);
          vars.set('FNR', ++fnr);
          setRecord(r);
          try {
            runItems('main');
          } catch (e) {
            if (e instanceof Next) continue;
            if (e instanceof Exit) {
              code = e.code ?? 0;
              break outer;
            }
            throw e;
          }
        }
      }
    }
    runItems('end');
  } catch (e) {
    if (e instanceof Exit) code = e.code ?? code;
    else throw e;
  }
  return code;
}

const awk: CommandFn = (ctx) => {
  const argv = ctx.argv.slice(1);
  const vars = new Map<string, unknown>([
    ['FS', ' '],
    ['OFS', ' '],
    ['ORS', '\n'],
    ['SUBSEP', '\x1c'],
  ]);
  let prog: string | undefined;
  const files: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '-F') vars.set('FS', (argv[++i] ?? ' ').replace(/^\\t$/, '\t'));
    else if (a.startsWith('-F')) vars.set('FS', a.slice(2).replace(/^\\t$/, '\t'));
    else if (a === '-v') {
      const [k, ...v] = (argv[++i] ?? '').split('=');
      vars.set(k, v.join('='));
    } else if (a === '-f') prog = ctx.node.fs.readText(ctx.sh.resolve(argv[++i] ?? ''));
    else if (a === '--') continue;
    else if (prog === undefined) prog = a;
    else if (/^[A-Za-z_]\w*=/.test(a)) {
      const [k, ...v] = a.split('=');
      vars.set(k, v.join('='));
    } else files.push(a);
  }
  if (prog === undefined) {
    ctx.err('usage: awk [-F fs][-v var=value][prog | -f progfile][file ...]\n');
    return 2;
  }
  let items: Item[];
  try {
    items = parseAwk(prog);
  } catch (e) {
    ctx.err(`awk: cmd. line:1: ${(e as Error).message}\n`);
    return 2;
  }
  const { texts, code } = readInputs(ctx, files, 'awk');
  const opened = new Set<string>();
  try {
    const r = run(
      items,
      texts.map((t) => t.text),
      vars,
      ctx.out,
      (name, s, append) => {
        const p = ctx.sh.resolve(name);
        if (!append && !opened.has(p)) ctx.node.fs.writeFile(p, '');
        opened.add(p);
        ctx.node.fs.appendFile(p, s);
      },
    );
    return r || code;
  } catch (e) {
    ctx.err(`awk: cmd. line:1: fatal: ${(e as Error).message}\n`);
    return 2;
  }
};

/** awk (gawk). */
export const AWK_COMMANDS: Record<string, CommandFn> = { awk, gawk: awk };
