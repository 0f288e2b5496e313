/**
 * Parser of the lab shell: bash's grammar for lists, and-or lists, pipelines, simple commands with
 * assignments and redirections, subshells, groups, if/for/while, functions, here-documents; words with
 * single/double/ANSI-C quotes, `$VAR`, `${...}`, `$(...)`, backticks and `$((...))`.
 */
import type { Word, WordPart, Redir, Command, SimpleCmd, Pipeline, AndOr, List, Quote, Assign } from './ast.js';

/** A syntax error, reported like bash. */
export class ShellSyntaxError extends Error {}

type Tok = { t: 'op'; v: string } | { t: 'word'; w: Word; raw: string } | { t: 'io'; fd: number } | { t: 'eof' };

const META = new Set([' ', '\t', '\n', ';', '&', '|', '<', '>', '(', ')']);
const OPS = [
  '&&',
  '||',
  ';;',
  '&>>',
  '&>',
  '>>',
  '>&',
  '<&',
  '<<<',
  '<<-',
  '<<',
  '<>',
  '>|',
  '>',
  '<',
  '|',
  '&',
  ';',
  '(',
  ')',
  '\n',
];
const RESERVED = new Set([
  'if',
  'then',
  'elif',
  'else',
  'fi',
  'for',
  'in',
  'do',
  'done',
  'while',
  'until',
  '{',
  '}',
  '!',
  'case',
  'esac',
]);

const ANSI: Record<string, string> = {
  n: '\n',
  t: '\t',
  r: '\r',
  a: '\x07',
  b: '\b',
  e: '\x1b',
  E: '\x1b',
  f: '\f',
  v: '\v',
  '\\': '\\',
  "'": "'",
  '"': '"',
  '?': '?',
};

/** Parse a whole command line / script. */
export function parse(src: string): List {
  const p = new Parser(src);
  const list = p.list(new Set());
  const t = p.peek();
  if (t.t !== 'eof') throw new ShellSyntaxError(`syntax error near unexpected token \`${tokText(t)}'`);
  return list;
}

/** Parse the text of a `${VAR:-word}` argument or similar into a word (quotes and expansions honoured). */
export function parseWordText(src: string, dq = false): Word {
  const p = new Parser(src);
  return p.wordUntil(() => p.pos >= src.length, dq);
}

function tokText(t: Tok): string {
  if (t.t === 'op') return t.v === '\n' ? 'newline' : t.v;
  if (t.t === 'word') return t.raw;
  if (t.t === 'io') return String(t.fd);
  return 'newline';
}

/** Literal text of a word when it is entirely unquoted literal (reserved-word check). */
function plain(w: Word): string | null {
  if (w.length !== 1) return null;
  const p = w[0];
  return p.k === 'lit' && p.q === 0 ? p.v : null;
}

class Parser {
  pos = 0;
  private heredocs: Redir[] = [];
  constructor(private src: string) {}

  // ---------- lexer ----------

  private skipBlanks(): void {
    for (;;) {
      const c = this.src[this.pos];
      if (c === ' ' || c === '\t') this.pos++;
      else if (c === '\\' && this.src[this.pos + 1] === '\n') this.pos += 2;
      else if (c === '#') {
        while (this.pos < this.src.length && this.src[this.pos] !== '\n') this.pos++;
      } else return;
    }
  }

  peek(): Tok {
    const save = this.pos;
    const t = this.lex();
    this.pos = save;
    return t;
  }

  next(): Tok {
    const t = this.lex();
    if (t.t === 'op' && t.v === '\n') this.readHeredocs();
    return t;
  }

  private lex(): Tok {
    this.skipBlanks();
    if (this.pos >= this.src.length) return { t: 'eof' };
    for (const op of OPS) {
      if (this.src.startsWith(op, this.pos)) {
        this.pos += op.length;
        return { t: 'op', v: op };
      }
    }
    const start = this.pos;
    const w = this.wordUntil(() => META.has(this.src[this.pos]) || this.pos >= this.src.length, false);
    const raw = this.src.slice(start, this.pos);
    if (/^\d+$/.test(raw) && (this.src[this.pos] === '<' || this.src[this.pos] === '>'))
      return { t: 'io', fd: Number(raw) };
    return { t: 'word', w, raw };
  }

  /** Read word parts until `stop()` (checked only outside quotes). `dq`: inside double quotes. */
  wordUntil(stop: () => boolean, dq: boolean): Word {
    const parts: WordPart[] = [];
    const q: Quote = dq ? 2 : 0;
    let lit = '';
    const flush = () => {
      if (lit) parts.push({ k: 'lit', v: lit, q });
      lit = '';
    };
    while (this.pos < this.src.length && !stop()) {
      const c = this.src[this.pos];
      if (c === '\\') {
        const n = this.src[this.pos + 1];
        this.pos += 2;
        if (n === undefined) {
          lit += '\\';
          continue;
        }
        if (n === '\n') continue;
        if (dq && !'$`"\\'.includes(n)) {
          lit += '\\' + n;
          continue;
        }
        flush();
        parts.push({ k: 'lit', v: n, q: 1 });
      } else if (c === "'" && !dq) {
        flush();
        const end = this.src.indexOf("'", this.pos + 1);
        if (end < 0) throw new ShellSyntaxError("unexpected EOF while looking for matching `''");
        parts.push({ k: 'lit', v: this.src.slice(this.pos + 1, end), q: 1 });
        this.pos = end + 1;
      } else if (c === '$' && this.src[this.pos + 1] === "'" && !dq) {
        flush();
        this.pos += 2;
        parts.push({ k: 'lit', v: this.ansiC(), q: 1 });
      } else if (c === '"' && !dq) {
        flush();
        this.pos++;
        const inner = this.wordUntil(() => this.src[this.pos] === '"', true);
        if (this.src[this.pos] !== '"') throw new ShellSyntaxError('unexpected EOF while looking for matching `"\'');
        this.pos++;
        parts.push(...(inner.length ? inner : [{ k: 'lit' as const, v: '', q: 2 as Quote }]));
      } else if (c === '$') {
        const part = this.dollar(q);
        if (part) {
          flush();
          parts.push(part);
        } else {
          lit += '$';
          this.pos++;
        }
      } else if (c === '`') {
        flush();
        parts.push({ k: 'cmd', src: this.backtick(), q });
      } else {
        lit += c;
        this.pos++;
      }
    }
    flush();
    return parts;
  }

  private ansiC(): string {
    let out = '';
    while (this.pos < this.src.length && this.src[this.pos] !== "'") {
      const c = this.src[this.pos++];
      if (c !== '\\') {
        out += c;
        continue;
      }
      const n = this.src[this.pos++] ?? '';
      if (n in ANSI) out += ANSI[n];
      else if (n === 'x') {
        const m = /^[0-9a-fA-F]{1,2}/.exec(this.src.slice(this.pos))![0] ?? '';
        this.pos += m.length;
        out += String.fromCharCode(parseInt(m || '0', 16));
      } else if (/[0-7]/.test(n)) {
        const m = /^[0-7]{0,2}/.exec(this.src.slice(this.pos))![0];
        this.pos += m.length;
        out += String.fromCharCode(parseInt(n + m, 8));
      } else out += '\\' + n;
    }
    this.pos++;
    return out;
  }

  private backtick(): string {
    let out = '';
    this.pos++;
    while (this.pos < this.src.length && this.src[this.pos] !== '`') {
      const c = this.src[this.pos++];
      if (c === '\\' && '$`\\'.includes(this.src[this.pos] ?? '')) out += this.src[this.pos++];
      else out += c;
    }
    if (this.src[this.pos] !== '`') throw new ShellSyntaxError("unexpected EOF while looking for matching ``'");
    this.pos++;
    return out;
  }

  /** Position after the `)` matching an opening paren just before `from` (quotes and nesting aware). */
  private matchParen(from: number): number {
    const sub = new Parser(this.src);
    sub.pos = from;
    sub.list(new Set([')']));
    sub.skipBlanks();
    if (sub.src[sub.pos] !== ')') throw new ShellSyntaxError("unexpected EOF while looking for matching `)'");
    return sub.pos + 1;
  }

  private dollar(q: Quote): WordPart | null {
    const s = this.src;
    const n = s[this.pos + 1];
    if (n === '(' && s[this.pos + 2] === '(') {
      const end = s.indexOf('))', this.pos + 3);
      if (end < 0) throw new ShellSyntaxError("unexpected EOF while looking for matching `))'");
      const src = s.slice(this.pos + 3, end);
      this.pos = end + 2;
      return { k: 'arith', src, q };
    }
    if (n === '(') {
      const start = this.pos + 2;
      const end = this.matchParen(start);
      this.pos = end;
      return { k: 'cmd', src: s.slice(start, end - 1), q };
    }
    if (n === '{') {
      let depth = 1;
      let i = this.pos + 2;
      while (i < s.length && depth) {
        if (s[i] === '\\') i++;
        else if (s[i] === '{') depth++;
        else if (s[i] === '}') depth--;
        i++;
      }
      if (depth) throw new ShellSyntaxError("unexpected EOF while looking for matching `}'");
      const body = s.slice(this.pos + 2, i - 1);
      this.pos = i;
      if (body.startsWith('#') && /^#[A-Za-z_][A-Za-z0-9_]*$/.test(body))
        return { k: 'var', name: body.slice(1), q, op: '#len' };
      const m = /^([A-Za-z_][A-Za-z0-9_]*|[0-9]+|[?#@*$!-])(:?[-=+?]|%%?|##?|\/\/?)?([\s\S]*)$/.exec(body);
      if (!m) throw new ShellSyntaxError(`\${${body}}: bad substitution`);
      return m[2] ? { k: 'var', name: m[1], q, op: m[2], arg: m[3] } : { k: 'var', name: m[1], q };
    }
    const m = /^([A-Za-z_][A-Za-z0-9_]*|[0-9?#@*$!-])/.exec(s.slice(this.pos + 1));
    if (!m) return null;
    this.pos += 1 + m[1].length;
    return { k: 'var', name: m[1], q };
  }

  private readHeredocs(): void {
    for (const r of this.heredocs) {
      const h = r.heredoc!;
      let body = '';
      for (;;) {
        if (this.pos >= this.src.length) break;
        let nl = this.src.indexOf('\n', this.pos);
        if (nl < 0) nl = this.src.length;
        let line = this.src.slice(this.pos, nl);
        this.pos = Math.min(nl + 1, this.src.length);
        if (h.strip) line = line.replace(/^\t+/, '');
        if (line === h.delim) break;
        body += line + '\n';
      }
      h.body = body;
    }
    this.heredocs = [];
  }

  // ---------- grammar ----------

  private isTerm(t: Tok, terms: Set<string>): boolean {
    if (t.t === 'eof') return true;
    if (t.t === 'op') return terms.has(t.v);
    if (t.t === 'word') {
      const p = plain(t.w);
      return p !== null && terms.has(p);
    }
    return false;
  }

  private skipNewlines(): void {
    for (;;) {
      const t = this.peek();
      if (t.t === 'op' && t.v === '\n') this.next();
      else return;
    }
  }

  /** A list, ending before a terminator (an operator like `)` or a reserved word like `fi`). */
  list(terms: Set<string>): List {
    const items: List['items'] = [];
    for (;;) {
      this.skipNewlines();
      const t = this.peek();
      if (this.isTerm(t, terms)) break;
      if (t.t === 'op' && (t.v === ';' || t.v === '&'))
        throw new ShellSyntaxError(`syntax error near unexpected token \`${t.v}'`);
      const cmd = this.andOr();
      const sep = this.peek();
      let bg = false;
      let nl = false;
      if (sep.t === 'op' && (sep.v === ';' || sep.v === '&' || sep.v === '\n')) {
        this.next();
        bg = sep.v === '&';
        nl = sep.v === '\n';
      } else if (!this.isTerm(sep, terms))
        throw new ShellSyntaxError(`syntax error near unexpected token \`${tokText(sep)}'`);
      items.push({ cmd, bg, ...(nl ? { nl } : {}) });
    }
    return { items };
  }

  private andOr(): AndOr {
    const first = this.pipeline();
    const rest: AndOr['rest'] = [];
    for (;;) {
      const t = this.peek();
      if (t.t === 'op' && (t.v === '&&' || t.v === '||')) {
        this.next();
        this.skipNewlines();
        rest.push({ op: t.v, p: this.pipeline() });
      } else return { first, rest };
    }
  }

  private pipeline(): Pipeline {
    let neg = false;
    const t = this.peek();
    if (t.t === 'word' && plain(t.w) === '!') {
      this.next();
      neg = true;
    }
    const cmds: Command[] = [this.command()];
    for (;;) {
      const n = this.peek();
      if (n.t === 'op' && n.v === '|') {
        this.next();
        this.skipNewlines();
        cmds.push(this.command());
      } else return { neg, cmds };
    }
  }

  private expectWord(w: string): void {
    const t = this.next();
    if (t.t !== 'word' || plain(t.w) !== w)
      throw new ShellSyntaxError(`syntax error near unexpected token \`${tokText(t)}'`);
  }

  private command(): Command {
    const t = this.peek();
    if (t.t === 'op' && t.v === '(') {
      this.next();
      const body = this.list(new Set([')']));
      const c = this.next();
      if (c.t !== 'op' || c.v !== ')') throw new ShellSyntaxError('syntax error: unexpected end of file');
      return { k: 'subshell', body, redirs: this.redirs() };
    }
    const kw = t.t === 'word' ? plain(t.w) : null;
    if (kw === '{') {
      this.next();
      const body = this.list(new Set(['}']));
      this.expectWord('}');
      return { k: 'group', body, redirs: this.redirs() };
    }
    if (kw === 'if') {
      this.next();
      const clauses: { cond: List; body: List }[] = [];
      let otherwise: List | undefined;
      for (;;) {
        const cond = this.list(new Set(['then']));
        this.expectWord('then');
        const body = this.list(new Set(['elif', 'else', 'fi']));
        clauses.push({ cond, body });
        const e = this.next();
        const ew = e.t === 'word' ? plain(e.w) : null;
        if (ew === 'elif') continue;
        if (ew === 'else') {
          otherwise = this.list(new Set(['fi']));
          this.expectWord('fi');
        } else if (ew !== 'fi') throw new ShellSyntaxError('syntax error: unexpected end of file');
        break;
      }
      return { k: 'if', clauses, otherwise, redirs: this.redirs() };
    }
    if (kw === 'while' || kw === 'until') {
      this.next();
      const cond = this.list(new Set(['do']));
      this.expectWord('do');
      const body = this.list(new Set(['done']));
      this.expectWord('done');
      return { k: 'while', until: kw === 'until', cond, body, redirs: this.redirs() };
    }
    if (kw === 'for') {
      this.next();
      const n = this.next();
      const name = n.t === 'word' ? plain(n.w) : null;
      if (!name || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(name))
        throw new ShellSyntaxError(`\`${tokText(n)}': not a valid identifier`);
      let items: Word[] | null = null;
      const after = this.peek();
      if (after.t === 'word' && plain(after.w) === 'in') {
        this.next();
        items = [];
        for (;;) {
          const w = this.peek();
          if (w.t !== 'word') break;
          this.next();
          items.push(w.w);
        }
      }
      const sep = this.peek();
      if (sep.t === 'op' && (sep.v === ';' || sep.v === '\n')) this.next();
      this.skipNewlines();
      this.expectWord('do');
      const body = this.list(new Set(['done']));
      this.expectWord('done');
      return { k: 'for', name, items, body, redirs: this.redirs() };
    }
    if (kw && RESERVED.has(kw) && kw !== '!') throw new ShellSyntaxError(`syntax error near unexpected token \`${kw}'`);
    return this.simple();
  }

  private redirs(): Redir[] {
    const out: Redir[] = [];
    for (;;) {
      const r = this.redir();
      if (!r) return out;
      out.push(r);
    }
  }

  private redir(): Redir | null {
    const t = this.peek();
    let fd: number | undefined;
    if (t.t === 'io') {
      this.next();
      fd = t.fd;
    } else if (!(
      t.t === 'op' && ['>', '>>', '<', '>&', '<&', '&>', '&>>', '<<', '<<-', '<<<', '<>', '>|'].includes(t.v)
    ))
      return null;
    const op = this.next();
    if (op.t !== 'op') throw new ShellSyntaxError(`syntax error near unexpected token \`${tokText(op)}'`);
    const target = this.next();
    if (target.t !== 'word') throw new ShellSyntaxError(`syntax error near unexpected token \`${tokText(target)}'`);
    const v = op.v === '>|' ? '>' : op.v;
    if (v === '<<' || v === '<<-') {
      const delim = target.w.map((p) => (p.k === 'lit' ? p.v : '')).join('');
      const expand = target.w.every((p) => p.k !== 'lit' || p.q === 0);
      const r: Redir = {
        fd: fd ?? 0,
        op: '<<',
        target: target.w,
        heredoc: { body: '', expand, strip: v === '<<-', delim },
      };
      this.heredocs.push(r);
      return r;
    }
    const def = v.startsWith('<') ? 0 : 1;
    return { fd: fd ?? def, op: v as Redir['op'], target: target.w };
  }

  private simple(): Command {
    const cmd: SimpleCmd = { k: 'simple', assigns: [], words: [], redirs: [] };
    for (;;) {
      const r = this.redir();
      if (r) {
        cmd.redirs.push(r);
        continue;
      }
      const t = this.peek();
      if (t.t !== 'word') break;
      // NOTE: `name() { ...; }` — a function definition.
      if (!cmd.words.length && !cmd.assigns.length && /^[A-Za-z_][A-Za-z0-9_-]*$/.test(t.raw)) {
        const save = this.pos;
        this.next();
        const a = this.peek();
        if (a.t === 'op' && a.v === '(') {
          this.next();
          const b = this.next();
          if (b.t === 'op' && b.v === ')') {
            this.skipNewlines();
            const body = this.command();
            return { k: 'func', name: t.raw, body, redirs: [] };
          }
        }
        this.pos = save;
      }
      this.next();
      const first = t.w[0];
      const m =
        !cmd.words.length && first?.k === 'lit' && first.q === 0
          ? /^([A-Za-z_][A-Za-z0-9_]*)(\+?)=/.exec(first.v)
          : null;
      if (m) {
        const lit = first as Extract<WordPart, { k: 'lit' }>;
        const rest: Word = [{ ...lit, v: lit.v.slice(m[0].length) }, ...t.w.slice(1)].filter(
          (p) => !(p.k === 'lit' && p.v === '' && p.q === 0),
        );
        const a: Assign = { name: m[1], value: rest, append: m[2] === '+' };
        cmd.assigns.push(a);
      } else cmd.words.push(t.w);
    }
    if (!cmd.words.length && !cmd.assigns.length && !cmd.redirs.length) {
      const t = this.peek();
      throw new ShellSyntaxError(`syntax error near unexpected token \`${tokText(t)}'`);
    }
    return cmd;
  }
}
