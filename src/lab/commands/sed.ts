/**
 * sed: -n -e -f -i[SUFFIX] -r/-E; addresses (N, $, /re/, ranges, !); commands s (g p I N flags),
 * d, p, q, a, i, c, y, =, `{ }` blocks, n N h H g G x P, and b/t without a label (GNU sed 4.2.1,
 * sed/execute.c execute_program). Commands the lab does not implement (labels, D, l, T, w, r...) are
 * refused with an error naming them, never ignored.
 */
import type { CommandFn } from '../node/command.js';
import { parseOpts, lines } from './util.js';
import { posixRegExp } from './regex.js';
import { errText } from '../fs/memfs.js';

type Addr = { line: number } | { last: true } | { re: RegExp };
interface SedCmd {
  a1?: Addr;
  a2?: Addr;
  neg: boolean;
  op: string;
  re?: RegExp;
  rep?: string;
  global?: boolean;
  nth?: number;
  print?: boolean;
  text?: string;
  from?: string;
  to?: string;
  inRange?: boolean;
  /** `{`: index of its matching `}`. */
  end?: number;
}

class SedError extends Error {}

function parseScript(script: string, extended: boolean): SedCmd[] {
  const cmds: SedCmd[] = [];
  let i = 0;
  const s = script;
  const ws = () => {
    while (i < s.length && /[ \t]/.test(s[i])) i++;
  };
  const delimited = (d: string): string => {
    let out = '';
    while (i < s.length && s[i] !== d) {
      if (s[i] === '\\' && i + 1 < s.length) {
        if (s[i + 1] === d) {
          out += d;
          i += 2;
          continue;
        }
        if (s[i + 1] === 'n') {
          out += '\n';
          i += 2;
          continue;
        }
        out += s[i] + s[i + 1];
        i += 2;
        continue;
      }
      out += s[i++];
    }
    if (s[i] !== d) throw new SedError(`-e expression #1, char ${i}: unterminated \`s' command`);
    i++;
    return out;
  };
  const addr = (): Addr | undefined => {
    if (/\d/.test(s[i] ?? '')) {
      const m = /^\d+/.exec(s.slice(i))![0];
      i += m.length;
      return { line: Number(m) };
    }
    if (s[i] === '$') {
      i++;
      return { last: true };
    }
    if (s[i] === '/' || s[i] === '\\') {
      const d = s[i] === '\\' ? s[++i] : '/';
      i++;
      const re = delimited(d);
      let flags = '';
      if (s[i] === 'I') {
        flags = 'i';
        i++;
      }
      return { re: posixRegExp(re, { extended, icase: flags === 'i' }) };
    }
    return undefined;
  };
  const open: number[] = [];
  while (i < s.length) {
    ws();
    if (s[i] === ';' || s[i] === '\n') {
      i++;
      continue;
    }
    if (i >= s.length) break;
    const c: SedCmd = { neg: false, op: '' };
    c.a1 = addr();
    if (c.a1 && s[i] === ',') {
      i++;
      c.a2 = addr();
    }
    ws();
    if (s[i] === '!') {
      c.neg = true;
      i++;
      ws();
    }
    const op = s[i++];
    if (!op) throw new SedError('-e expression #1, char ' + i + ': missing command');
    c.op = op;
    if (op === 's') {
      const d = s[i++];
      const re = delimited(d);
      c.rep = delimited(d);
      let flags = '';
      while (i < s.length && /[gpIi0-9e]/.test(s[i])) flags += s[i++];
      c.global = flags.includes('g');
      c.print = flags.includes('p');
      const n = /\d+/.exec(flags);
      c.nth = n ? Number(n[0]) : undefined;
      c.re = posixRegExp(re, { extended, icase: /[Ii]/.test(flags), global: true });
    } else if (op === 'y') {
      const d = s[i++];
      c.from = delimited(d);
      c.to = delimited(d);
    } else if (op === 'a' || op === 'i' || op === 'c') {
      if (s[i] === '\\') i++;
      if (s[i] === '\n') i++;
      ws();
      let t = '';
      while (i < s.length && s[i] !== '\n') {
        if (s[i] === '\\' && s[i + 1] === '\n') {
          t += '\n';
          i += 2;
          continue;
        }
        t += s[i++];
      }
      c.text = t.replace(/\\(.)/g, '$1');
    } else if (op === '{') open.push(cmds.length);
    else if (op === '}') {
      // NOTE: compile.c: `}` takes no address; an unmatched one is "unexpected `}'".
      if (c.a1 || c.neg) throw new SedError(`-e expression #1, char ${i}: } doesn't want any addresses`);
      const start = open.pop();
      if (start === undefined) throw new SedError(`-e expression #1, char ${i}: unexpected \`}'`);
      cmds[start].end = cmds.length;
    } else if (op === 'b' || op === 't') {
      ws();
      if (i < s.length && !';}\n'.includes(s[i]))
        throw new SedError(`-e expression #1, char ${i + 1}: branch labels are not implemented by the lab`);
    } else if ('DlTwWrRvFLz:e'.includes(op))
      throw new SedError(`-e expression #1, char ${i}: the \`${op}' command is not implemented by the lab`);
    else if (!'dpqQ=nNhHgGxP'.includes(op))
      throw new SedError(`-e expression #1, char ${i}: unknown command: \`${op}'`);
    cmds.push(c);
  }
  if (open.length) throw new SedError(`-e expression #1, char 0: unmatched \`{'`);
  return cmds;
}

/**
 * The replacement of `s///` with GNU sed's escapes: `\N`, `&`, `\n`, `\t`, and the case conversions
 * `\L`/`\U` (to `\E` or the next of them), `\l`/`\u` (next character only); GNU sed 4.2.1 (EL6) has
 * them (sed/execute.c, do_subst/append_replacement). The runbook's fstab one-liner relies on `\L..\E`.
 */
function expandRep(rep: string, m: RegExpExecArray): string {
  let out = '';
  let mode: 'L' | 'U' | '' = '';
  let once: 'l' | 'u' | '' = '';
  const put = (text: string) => {
    for (const ch of text) {
      let x = mode === 'L' ? ch.toLowerCase() : mode === 'U' ? ch.toUpperCase() : ch;
      if (once) {
        x = once === 'l' ? x.toLowerCase() : x.toUpperCase();
        once = '';
      }
      out += x;
    }
  };
  for (let i = 0; i < rep.length; i++) {
    const c = rep[i];
    if (c === '\\' && i + 1 < rep.length) {
      const n = rep[++i];
      if (/\d/.test(n)) put(m[Number(n)] ?? '');
      else if (n === 'n') put('\n');
      else if (n === 't') put('\t');
      else if (n === 'L' || n === 'U') mode = n;
      else if (n === 'E') mode = '';
      else if (n === 'l' || n === 'u') once = n;
      else put(n);
    } else if (c === '&') put(m[0]);
    else put(c);
  }
  return out;
}

/** Run a sed program over text (GNU sed 4.2.1 execute.c: read a line, run the script, autoprint). */
export function runSed(text: string, cmds: SedCmd[], quiet: boolean): string {
  const ls = lines(text);
  const trailingNl = text.endsWith('\n') || text === '';
  let out = '';
  let hold = '';
  let li = 0;
  const isLast = () => li >= ls.length;
  const match = (a: Addr, n: number, l: string) => ('line' in a ? a.line === n : 'last' in a ? isLast() : a.re.test(l));
  const nl = () => (!isLast() || trailingNl ? '\n' : '');
  while (li < ls.length) {
    let pat = ls[li++];
    let n = li;
    let deleted = false;
    let append = '';
    let quit = false;
    let replaced = false;
    for (let pc = 0; pc < cmds.length; pc++) {
      const c = cmds[pc];
      if (c.op === '}') continue;
      let sel: boolean;
      if (!c.a1) sel = true;
      else if (!c.a2) sel = match(c.a1, n, pat);
      else if (c.inRange) {
        sel = true;
        if ('line' in c.a2 ? n >= c.a2.line : match(c.a2, n, pat)) c.inRange = false;
      } else if (match(c.a1, n, pat)) {
        sel = true;
        c.inRange = !('line' in c.a2 && c.a2.line <= n) && !('last' in c.a2 && isLast());
      } else sel = false;
      if (c.neg) sel = !sel;
      if (!sel) {
        // NOTE: an unselected block is skipped whole (execute.c: `case '{': if (!match) jump`).
        if (c.op === '{') pc = c.end!;
        continue;
      }
      if (c.op === '{') continue;
      if (c.op === 's') {
        let k = 0;
        let changed = false;
        const re = new RegExp(c.re!.source, c.re!.flags);
        pat = pat.replace(re, (...args) => {
          k++;
          const groups = args.slice(0, -2) as string[];
          const m = Object.assign([...groups], { index: 0, input: pat }) as unknown as RegExpExecArray;
          if ((c.nth && k !== c.nth) || (!c.global && !c.nth && k > 1)) return groups[0];
          changed = true;
          return expandRep(c.rep!, m);
        });
        if (changed) replaced = true;
        if (changed && c.print) out += pat + '\n';
      } else if (c.op === 'y') {
        pat = [...pat].map((ch) => (c.from!.includes(ch) ? c.to![c.from!.indexOf(ch)] : ch)).join('');
      } else if (c.op === 'd') {
        deleted = true;
        break;
      } else if (c.op === 'p') out += pat + '\n';
      else if (c.op === 'P') out += pat.split('\n')[0] + '\n';
      else if (c.op === '=') out += n + '\n';
      else if (c.op === 'a') append += c.text + '\n';
      else if (c.op === 'i') out += c.text + '\n';
      else if (c.op === 'c') {
        if (!c.a2 || !c.inRange) out += c.text + '\n';
        deleted = true;
        break;
      } else if (c.op === 'q') {
        quit = true;
        break;
      } else if (c.op === 'Q') {
        return out;
      } else if (c.op === 'n' || c.op === 'N') {
        // NOTE: GNU sed (not POSIXLY_CORRECT): without a next line, n and N print the pattern space
        // (autoprint) and quit.
        if (isLast()) {
          quit = true;
          break;
        }
        if (c.op === 'n') {
          if (!quiet) out += pat + '\n';
          out += append;
          append = '';
          pat = ls[li++];
        } else pat += '\n' + ls[li++];
        n = li;
      } else if (c.op === 'h') hold = pat;
      else if (c.op === 'H') hold += '\n' + pat;
      else if (c.op === 'g') pat = hold;
      else if (c.op === 'G') pat += '\n' + hold;
      else if (c.op === 'x') [pat, hold] = [hold, pat];
      else if (c.op === 'b') break;
      else if (c.op === 't') {
        if (replaced) break;
      }
    }
    if (!deleted && !quiet) out += pat + nl();
    out += append;
    if (quit) break;
  }
  return out;
}

const sed: CommandFn = (ctx) => {
  const argv = ctx.argv.slice(1);
  let inPlace: string | undefined;
  const rest: string[] = [];
  for (const a of argv) {
    const m = /^(?:-i|--in-place=?)(.*)$/.exec(a);
    if (m && (a.startsWith('-i') || a.startsWith('--in-place'))) inPlace = m[1] ?? '';
    else if (/^-[nrE]*i[^-]*$/.test(a) && a.length > 2 && !a.startsWith('-e')) {
      inPlace = a.slice(a.indexOf('i') + 1);
      rest.push(a.slice(0, a.indexOf('i')));
    } else rest.push(a);
  }
  const o = parseOpts(
    rest.filter((a) => a !== '-'),
    ['e', 'f', 'expression', 'file'],
  );
  const scripts = [...(o.values.get('e') ?? []), ...(o.values.get('expression') ?? [])];
  for (const f of [...(o.values.get('f') ?? []), ...(o.values.get('file') ?? [])])
    scripts.push(ctx.node.fs.readText(ctx.sh.resolve(f)));
  const files = [...o.args];
  if (!scripts.length) {
    if (!files.length) {
      ctx.err('Usage: sed [OPTION]... {script-only-if-no-other-script} [input-file]...\n');
      return 4;
    }
    scripts.push(files.shift()!);
  }
  const extended = o.flags.has('r') || o.flags.has('E') || o.flags.has('regexp-extended');
  const quiet = o.flags.has('n') || o.flags.has('quiet');
  let cmds: SedCmd[];
  try {
    cmds = parseScript(scripts.join('\n'), extended);
  } catch (e) {
    ctx.err(`sed: ${(e as Error).message}\n`);
    return 1;
  }
  let code = 0;
  if (inPlace !== undefined) {
    for (const f of files) {
      const p = ctx.sh.resolve(f);
      try {
        const text = ctx.node.fs.readText(p);
        if (inPlace) ctx.node.fs.writeFile(p + inPlace, text);
        for (const c of cmds) c.inRange = false;
        ctx.node.fs.writeFile(p, runSed(text, cmds, quiet));
      } catch (e) {
        ctx.err(`sed: can't read ${f}: ${errText(e)}\n`);
        code = 2;
      }
    }
    return code;
  }
  let text = '';
  if (!files.length) text = ctx.stdin;
  for (const f of files) {
    try {
      text += f === '-' ? ctx.stdin : ctx.node.fs.readText(ctx.sh.resolve(f));
    } catch (e) {
      ctx.err(`sed: can't read ${f}: ${errText(e)}\n`);
      code = 2;
    }
  }
  ctx.out(runSed(text, cmds, quiet));
  return code;
};

/** sed. */
export const SED_COMMANDS: Record<string, CommandFn> = { sed };
