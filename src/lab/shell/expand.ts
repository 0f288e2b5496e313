/**
 * Word expansion in bash's order: brace expansion, tilde, parameters / command substitution /
 * arithmetic, field splitting of unquoted results, pathname expansion (globs), quote removal.
 */
import type { Word, WordPart } from './ast.js';
import { parseWordText } from './parser.js';
import { globToRegExp } from './glob.js';
import { evalArith } from './arith.js';

/** What expansion needs from the running shell. */
export interface ExpandEnv {
  /** A variable or special parameter (`?`, `#`, `1`...); undefined when unset. */
  get(name: string): string | undefined;
  set(name: string, value: string): void;
  /** Positional parameters ($1...). */
  positional(): string[];
  /** Run `src` in a subshell and return its stdout. */
  commandSubst(src: string): Promise<string>;
  /** Pathname expansion of an absolute or relative pattern; sorted matches or []. */
  glob(pattern: string): string[];
  /** Home directory of a user ('' = current user); undefined when unknown. */
  home(user: string): string | undefined;
}

/** An error during expansion (bad substitution, ${x?msg}, ...). */
export class ExpandError extends Error {}

// ---------- brace expansion ----------

function braceSplit(body: string): string[] | null {
  const seq = /^(-?\d+)\.\.(-?\d+)(?:\.\.(-?\d+))?$/.exec(body) ?? /^([a-zA-Z])\.\.([a-zA-Z])()$/.exec(body);
  if (seq) {
    const num = /\d/.test(seq[1]);
    const a = num ? Number(seq[1]) : seq[1].charCodeAt(0);
    const b = num ? Number(seq[2]) : seq[2].charCodeAt(0);
    const step = Math.abs(Number(seq[3] || 1)) || 1;
    const width = num && (/^-?0\d/.test(seq[1]) || /^-?0\d/.test(seq[2])) ? Math.max(seq[1].length, seq[2].length) : 0;
    const out: string[] = [];
    for (let i = a; a <= b ? i <= b : i >= b; i += a <= b ? step : -step)
      out.push(num ? String(i).padStart(width, '0') : String.fromCharCode(i));
    return out;
  }
  const items: string[] = [];
  let depth = 0;
  let cur = '';
  for (let i = 0; i < body.length; i++) {
    const c = body[i];
    if (c === '\\') {
      cur += c + (body[i + 1] ?? '');
      i++;
      continue;
    }
    if (c === '{') depth++;
    if (c === '}') depth--;
    if (c === ',' && depth === 0) {
      items.push(cur);
      cur = '';
    } else cur += c;
  }
  items.push(cur);
  return items.length > 1 ? items : null;
}

/** Expand `{a,b}` / `{0..2}` found inside the unquoted literal parts of a word. */
export function braceExpand(w: Word): Word[] {
  for (let pi = 0; pi < w.length; pi++) {
    const part = w[pi];
    if (part.k !== 'lit' || part.q !== 0) continue;
    const s = part.v;
    for (let i = 0; i < s.length; i++) {
      if (s[i] !== '{' || (i > 0 && s[i - 1] === '$')) continue;
      let depth = 0;
      let j = i;
      for (; j < s.length; j++) {
        if (s[j] === '{') depth++;
        else if (s[j] === '}' && --depth === 0) break;
      }
      if (j >= s.length) continue;
      const alts = braceSplit(s.slice(i + 1, j));
      if (!alts) continue;
      const pre = s.slice(0, i);
      const post = s.slice(j + 1);
      const out: Word[] = [];
      for (const alt of alts) {
        const nw: Word = [...w.slice(0, pi), { k: 'lit', v: pre + alt + post, q: 0 }, ...w.slice(pi + 1)];
        out.push(...braceExpand(nw));
      }
      return out;
    }
  }
  return [w];
}

// ---------- the rest ----------

interface Seg {
  text: string;
  quoted: boolean;
  split: boolean;
  /** "$@": each element becomes its own field. */
  fields?: string[];
}

function tilde(w: Word, env: ExpandEnv): Word {
  const f = w[0];
  if (!f || f.k !== 'lit' || f.q !== 0 || !f.v.startsWith('~')) return w;
  const m = /^~([A-Za-z0-9_.-]*)(\/.*)?$/s.exec(f.v);
  if (!m) return w;
  if (!m[2] && w.length > 1 && !(w[1].k === 'lit' && w[1].v.startsWith('/'))) {
    // NOTE: `~user"x"` is not a tilde prefix unless followed by a slash.
    if (m[1] === '' && w[1].k === 'lit' && w[1].q === 0) return w;
  }
  const home = env.home(m[1]);
  if (home === undefined) return w;
  return [{ k: 'lit', v: home, q: 1 }, ...(m[2] ? [{ k: 'lit' as const, v: m[2], q: 0 as const }] : []), ...w.slice(1)];
}

function trimPattern(val: string, pat: string, op: string): string {
  const re = globToRegExp(pat, true);
  if (op === '#' || op === '##') {
    const idx = op === '#' ? [...Array(val.length + 1).keys()] : [...Array(val.length + 1).keys()].reverse();
    for (const i of idx) if (re.test(val.slice(0, i))) return val.slice(i);
    return val;
  }
  const idx = op === '%' ? [...Array(val.length + 1).keys()].reverse() : [...Array(val.length + 1).keys()];
  for (const i of idx) if (re.test(val.slice(i))) return val.slice(0, i);
  return val;
}

async function paramValue(p: Extract<WordPart, { k: 'var' }>, env: ExpandEnv): Promise<string | string[]> {
  if ((p.name === '@' || p.name === '*') && !p.op)
    return p.name === '@' && p.q === 2 ? env.positional() : env.positional().join(' ');
  const val = env.get(p.name);
  if (!p.op) return val ?? '';
  if (p.op === '#len') return String((val ?? '').length);
  const argText = async () =>
    (await expandWord(parseWordText(p.arg ?? '', p.q === 2), env, { noSplit: true })).join(' ');
  const colon = p.op.startsWith(':');
  const unset = val === undefined || (colon && val === '');
  switch (p.op.replace(':', '')) {
    case '-':
      return unset ? await argText() : val;
    case '=': {
      if (!unset) return val;
      const v = await argText();
      env.set(p.name, v);
      return v;
    }
    case '+':
      return unset ? '' : await argText();
    case '?':
      if (unset) throw new ExpandError(`${p.name}: ${p.arg || 'parameter null or not set'}`);
      return val;
    case '#':
    case '##':
    case '%':
    case '%%':
      return trimPattern(val ?? '', await argText(), p.op);
    case '/':
    case '//': {
      const arg = p.arg ?? '';
      const slash = arg.indexOf('/');
      const pat = slash < 0 ? arg : arg.slice(0, slash);
      const rep = slash < 0 ? '' : arg.slice(slash + 1);
      const re = new RegExp(globToRegExp(pat, false).source, p.op === '//' ? 'g' : '');
      return (val ?? '').replace(re, () => rep);
    }
  }
  return val ?? '';
}

/**
 * `$(( ... ))`: parameter and command substitutions in the expression first, then bash's integer
 * arithmetic (./arith.ts). An ArithError propagates: bash 4.1 discards the rest of the command line.
 */
async function arith(src: string, env: ExpandEnv): Promise<string> {
  const text = (await expandWord(parseWordText(src, true), env, { noSplit: true }))[0] ?? '';
  return evalArith(text, { get: (n) => env.get(n), set: (n, v) => env.set(n, v) });
}

async function segments(w: Word, env: ExpandEnv): Promise<Seg[]> {
  const out: Seg[] = [];
  for (const p of w) {
    if (p.k === 'lit') out.push({ text: p.v, quoted: p.q !== 0, split: false });
    else if (p.k === 'var') {
      const v = await paramValue(p, env);
      if (Array.isArray(v)) out.push({ text: '', quoted: true, split: false, fields: v });
      else out.push({ text: v, quoted: p.q !== 0, split: p.q === 0 });
    } else if (p.k === 'cmd') {
      const v = (await env.commandSubst(p.src)).replace(/\n+$/, '');
      out.push({ text: v, quoted: p.q !== 0, split: p.q === 0 });
    } else out.push({ text: await arith(p.src, env), quoted: p.q !== 0, split: p.q === 0 });
  }
  return out;
}

interface Field {
  s: string;
  pat: string;
  glob: boolean;
  keep: boolean; // had a quoted part: kept even when empty
}

const escGlob = (s: string) => s.replace(/[*?[\]\\]/g, (c) => '\\' + c);

/** Options of `expandWord`. */
export interface ExpandOpts {
  /** No field splitting or globbing (assignments, here-strings, redirection targets). */
  noSplit?: boolean;
}

/** Expand one word into zero or more fields. */
export async function expandWord(word: Word, env: ExpandEnv, opts: ExpandOpts = {}): Promise<string[]> {
  const words = opts.noSplit ? [word] : braceExpand(word);
  const result: string[] = [];
  for (const w0 of words) {
    const segs = await segments(tilde(w0, env), env);
    if (opts.noSplit) {
      result.push(segs.map((s) => (s.fields ? s.fields.join(' ') : s.text)).join(''));
      continue;
    }
    const fields: Field[] = [];
    let cur: Field | null = null;
    const add = (text: string, quoted: boolean) => {
      cur ??= { s: '', pat: '', glob: false, keep: false };
      cur.s += text;
      cur.pat += quoted ? escGlob(text) : text;
      if (!quoted && /[*?[]/.test(text)) cur.glob = true;
      if (quoted) cur.keep = true;
    };
    const end = () => {
      if (cur) fields.push(cur);
      cur = null;
    };
    for (const s of segs) {
      if (s.fields) {
        s.fields.forEach((f, i) => {
          if (i > 0) end();
          add(f, true);
        });
        continue;
      }
      if (!s.split) {
        add(s.text, s.quoted);
        if (s.quoted) cur!.keep = true;
        continue;
      }
      const ifs = env.get('IFS') ?? ' \t\n';
      const pieces = ifs === '' ? [s.text] : s.text.split(new RegExp(`[${ifs.replace(/[\]\\^-]/g, '\\$&')}]+`));
      pieces.forEach((piece, i) => {
        if (i > 0) end();
        if (piece !== '') add(piece, false);
      });
    }
    end();
    for (const f of fields) {
      if (f.glob) {
        const m = env.glob(f.pat);
        if (m.length) {
          result.push(...m);
          continue;
        }
      }
      if (f.s !== '' || f.keep) result.push(f.s);
    }
  }
  return result;
}
