/**
 * The lab awk's front end: the tokens and syntax tree of an awk program, the lexer and the parser
 * (awk.ts runs what `parseAwk` gives).
 */

/** A token of an awk program. */
type Tok =
  | { t: 'num'; v: number }
  | { t: 'str'; v: string }
  | { t: 're'; v: string }
  | { t: 'id'; v: string }
  | { t: 'op'; v: string }
  | { t: 'nl' }
  | { t: 'eof' };

/** An awk expression. */
export type Node =
  | { k: 'num'; v: number }
  | { k: 'str'; v: string }
  | { k: 're'; v: string }
  | { k: 'var'; name: string }
  | { k: 'idx'; name: string; key: Node[] }
  | { k: 'field'; e: Node }
  | { k: 'bin'; op: string; a: Node; b: Node }
  | { k: 'un'; op: string; e: Node }
  | { k: 'assign'; op: string; lv: Node; e: Node }
  | { k: 'incr'; op: string; pre: boolean; lv: Node }
  | { k: 'cond'; c: Node; a: Node; b: Node }
  | { k: 'call'; name: string; args: Node[] }
  | { k: 'in'; key: Node; arr: string }
  | { k: 'group'; e: Node };

/** An awk statement. */
export type Stmt =
  | { k: 'print'; args: Node[]; printf: boolean; to?: { op: string; e: Node } }
  | { k: 'expr'; e: Node }
  | { k: 'if'; c: Node; a: Stmt; b?: Stmt }
  | { k: 'while'; c: Node; body: Stmt }
  | { k: 'for'; init?: Stmt; c?: Node; step?: Stmt; body: Stmt }
  | { k: 'forin'; v: string; arr: string; body: Stmt }
  | { k: 'block'; body: Stmt[] }
  | { k: 'next' }
  | { k: 'exit'; e?: Node }
  | { k: 'delete'; name: string; key?: Node[] };

/** A pattern-action item of a program (BEGIN, END or main). */
export interface Item {
  kind: 'begin' | 'end' | 'main';
  pat?: Node;
  pat2?: Node;
  inRange?: boolean;
  body?: Stmt[];
}

/** A syntax or runtime error of an awk program (awk's message). */
export class AwkError extends Error {}

function lex(src: string): Tok[] {
  const toks: Tok[] = [];
  let i = 0;
  const operandEnd = () => {
    const t = toks[toks.length - 1];
    return (
      !!t &&
      (t.t === 'num' || t.t === 'str' || t.t === 'id' || (t.t === 'op' && (t.v === ')' || t.v === ']' || t.v === '$')))
    );
  };
  while (i < src.length) {
    const c = src[i];
    if (c === ' ' || c === '\t' || c === '\r') {
      i++;
      continue;
    }
    if (c === '\\' && src[i + 1] === '\n') {
      i += 2;
      continue;
    }
    if (c === '#') {
      while (i < src.length && src[i] !== '\n') i++;
      continue;
    }
    if (c === '\n' || c === ';') {
      toks.push(c === '\n' ? { t: 'nl' } : { t: 'op', v: ';' });
      i++;
      continue;
    }
    if (/[0-9.]/.test(c) && /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.test(src.slice(i))) {
      const m = /^(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?/.exec(src.slice(i))![0];
      toks.push({ t: 'num', v: Number(m) });
      i += m.length;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const m = /^[A-Za-z_][A-Za-z0-9_]*/.exec(src.slice(i))![0];
      toks.push({ t: 'id', v: m });
      i += m.length;
      continue;
    }
    if (c === '"') {
      let s = '';
      i++;
      while (i < src.length && src[i] !== '"') {
        if (src[i] === '\\') {
          const n = src[++i];
          s += ({ n: '\n', t: '\t', '"': '"', '\\': '\\', '/': '/', r: '\r' } as Record<string, string>)[n] ?? '\\' + n;
          i++;
        } else s += src[i++];
      }
      i++;
      toks.push({ t: 'str', v: s });
      continue;
    }
    if (c === '/' && !operandEnd()) {
      let s = '';
      i++;
      while (i < src.length && src[i] !== '/') {
        if (src[i] === '\\' && src[i + 1] === '/') {
          s += '/';
          i += 2;
          continue;
        }
        s += src[i++];
      }
      i++;
      toks.push({ t: 're', v: s });
      continue;
    }
    const ops = [
      '+=',
      '-=',
      '*=',
      '/=',
      '%=',
      '^=',
      '==',
      '!=',
      '<=',
      '>=',
      '&&',
      '||',
      '++',
      '--',
      '!~',
      '>>',
      '{',
      '}',
      '(',
      ')',
      '[',
      ']',
      ',',
      '+',
      '-',
      '*',
      '/',
      '%',
      '^',
      '!',
      '<',
      '>',
      '~',
      '?',
      ':',
      '=',
      '$',
      '|',
    ];
    const op = ops.find((o) => src.startsWith(o, i));
    if (!op) throw new AwkError(`syntax error at source line 1: unexpected character '${c}'`);
    toks.push({ t: 'op', v: op });
    i += op.length;
  }
  toks.push({ t: 'eof' });
  return toks;
}

class Parser {
  i = 0;
  constructor(private toks: Tok[]) {}
  peek(o = 0): Tok {
    return this.toks[this.i + o];
  }
  isOp(v: string, o = 0): boolean {
    const t = this.peek(o);
    return t.t === 'op' && t.v === v;
  }
  eat(v: string): void {
    if (!this.isOp(v)) throw new AwkError(`syntax error: expected '${v}'`);
    this.i++;
  }
  nls(): void {
    while (this.peek().t === 'nl' || this.isOp(';')) this.i++;
  }
  onlyNl(): void {
    while (this.peek().t === 'nl') this.i++;
  }

  program(): Item[] {
    const items: Item[] = [];
    this.nls();
    while (this.peek().t !== 'eof') {
      const t = this.peek();
      if (t.t === 'id' && (t.v === 'BEGIN' || t.v === 'END')) {
        this.i++;
        this.onlyNl();
        items.push({ kind: t.v === 'BEGIN' ? 'begin' : 'end', body: this.block() });
      } else if (this.isOp('{')) items.push({ kind: 'main', body: this.block() });
      else {
        const pat = this.expr();
        let pat2: Node | undefined;
        if (this.isOp(',')) {
          this.i++;
          pat2 = this.expr();
        }
        items.push({ kind: 'main', pat, pat2, body: this.isOp('{') ? this.block() : undefined });
      }
      this.nls();
    }
    return items;
  }

  block(): Stmt[] {
    this.eat('{');
    const out: Stmt[] = [];
    this.nls();
    while (!this.isOp('}')) {
      out.push(this.stmt());
      this.nls();
    }
    this.eat('}');
    return out;
  }

  simpleOrBlock(): Stmt {
    this.onlyNl();
    if (this.isOp('{')) return { k: 'block', body: this.block() };
    const s = this.stmt();
    if (this.isOp(';')) this.i++;
    return s;
  }

  stmt(): Stmt {
    const t = this.peek();
    if (this.isOp('{')) return { k: 'block', body: this.block() };
    if (t.t === 'id') {
      switch (t.v) {
        case 'print':
        case 'printf': {
          this.i++;
          const args: Node[] = [];
          const paren = this.isOp('(') && this.closesArgs();
          if (paren) this.i++;
          if (!this.endOfSimple() && !(paren && this.isOp(')'))) {
            args.push(this.expr(!paren));
            while (this.isOp(',')) {
              this.i++;
              this.onlyNl();
              args.push(this.expr(!paren));
            }
          }
          if (paren) this.eat(')');
          let to: { op: string; e: Node } | undefined;
          if (this.isOp('>') || this.isOp('>>') || this.isOp('|')) {
            const op = (this.peek() as { v: string }).v;
            this.i++;
            to = { op, e: this.concat(true) };
          }
          return { k: 'print', args, printf: t.v === 'printf', to };
        }
        case 'if': {
          this.i++;
          this.eat('(');
          const c = this.expr();
          this.eat(')');
          const a = this.simpleOrBlock();
          this.nls();
          if (this.peek().t === 'id' && (this.peek() as { v: string }).v === 'else') {
            this.i++;
            return { k: 'if', c, a, b: this.simpleOrBlock() };
          }
          return { k: 'if', c, a };
        }
        case 'while': {
          this.i++;
          this.eat('(');
          const c = this.expr();
          this.eat(')');
          return { k: 'while', c, body: this.simpleOrBlock() };
        }
        case 'for': {
          this.i++;
          this.eat('(');
          const a = this.peek(0);
          if (a.t === 'id' && this.peek(1).t === 'id' && (this.peek(1) as { v: string }).v === 'in') {
            this.i += 2;
            const arr = (this.peek() as { v: string }).v;
            this.i++;
            this.eat(')');
            return { k: 'forin', v: a.v, arr, body: this.simpleOrBlock() };
          }
          const init = this.isOp(';') ? undefined : { k: 'expr' as const, e: this.expr() };
          this.eat(';');
          const c = this.isOp(';') ? undefined : this.expr();
          this.eat(';');
          const step = this.isOp(')') ? undefined : { k: 'expr' as const, e: this.expr() };
          this.eat(')');
          return { k: 'for', init, c, step, body: this.simpleOrBlock() };
        }
        case 'next':
          this.i++;
          return { k: 'next' };
        case 'exit':
          this.i++;
          return { k: 'exit', e: this.endOfSimple() ? undefined : this.expr() };
        case 'delete': {
          this.i++;
          const name = (this.peek() as { v: string }).v;
          this.i++;
          let key: Node[] | undefined;
          if (this.isOp('[')) {
            this.i++;
            key = [this.expr()];
            while (this.isOp(',')) {
              this.i++;
              key.push(this.expr());
            }
            this.eat(']');
          }
          return { k: 'delete', name, key };
        }
      }
    }
    return { k: 'expr', e: this.expr() };
  }

  /** Whether a '(' after print encloses the whole argument list. */
  private closesArgs(): boolean {
    let depth = 0;
    for (let j = this.i; j < this.toks.length; j++) {
      const t = this.toks[j];
      if (t.t === 'op' && t.v === '(') depth++;
      if (t.t === 'op' && t.v === ')' && --depth === 0) {
        const n = this.toks[j + 1];
        return n.t === 'nl' || n.t === 'eof' || (n.t === 'op' && [';', '}', '>', '>>', '|'].includes(n.v));
      }
    }
    return false;
  }

  endOfSimple(): boolean {
    const t = this.peek();
    return (
      t.t === 'nl' ||
      t.t === 'eof' ||
      (t.t === 'op' && (t.v === ';' || t.v === '}' || t.v === '>' || t.v === '>>' || t.v === '|'))
    );
  }

  expr(noGt = false): Node {
    return this.ternary(noGt);
  }

  ternary(noGt: boolean): Node {
    const c = this.or(noGt);
    if (this.isOp('?')) {
      this.i++;
      const a = this.ternary(noGt);
      this.eat(':');
      const b = this.ternary(noGt);
      return { k: 'cond', c, a, b };
    }
    if (
      ['=', '+=', '-=', '*=', '/=', '%=', '^='].some((o) => this.isOp(o)) &&
      (c.k === 'var' || c.k === 'idx' || c.k === 'field')
    ) {
      const op = (this.peek() as { v: string }).v;
      this.i++;
      return { k: 'assign', op, lv: c, e: this.ternary(noGt) };
    }
    return c;
  }

  or(noGt: boolean): Node {
    let a = this.and(noGt);
    while (this.isOp('||')) {
      this.i++;
      this.onlyNl();
      a = { k: 'bin', op: '||', a, b: this.and(noGt) };
    }
    return a;
  }

  and(noGt: boolean): Node {
    let a = this.inExpr(noGt);
    while (this.isOp('&&')) {
      this.i++;
      this.onlyNl();
      a = { k: 'bin', op: '&&', a, b: this.inExpr(noGt) };
    }
    return a;
  }

  inExpr(noGt: boolean): Node {
    const a = this.match(noGt);
    const t = this.peek();
    if (t.t === 'id' && t.v === 'in') {
      this.i++;
      const arr = (this.peek() as { v: string }).v;
      this.i++;
      return { k: 'in', key: a, arr };
    }
    return a;
  }

  match(noGt: boolean): Node {
    let a = this.compare(noGt);
    while (this.isOp('~') || this.isOp('!~')) {
      const op = (this.peek() as { v: string }).v;
      this.i++;
      a = { k: 'bin', op, a, b: this.compare(noGt) };
    }
    return a;
  }

  compare(noGt: boolean): Node {
    const a = this.concat(noGt);
    for (const op of ['==', '!=', '<=', '>=', '<', '>']) {
      if (this.isOp(op) && !(noGt && op === '>')) {
        this.i++;
        return { k: 'bin', op, a, b: this.concat(noGt) };
      }
    }
    return a;
  }

  startsOperand(): boolean {
    const t = this.peek();
    if (t.t === 'num' || t.t === 'str' || t.t === 're') return true;
    if (t.t === 'id') return !['in', 'else'].includes(t.v);
    return t.t === 'op' && ['$', '(', '!', '-', '+', '++', '--'].includes(t.v);
  }

  concat(noGt: boolean): Node {
    let a = this.additive();
    while (this.startsOperand() && !this.isOp('-') && !this.isOp('+'))
      a = { k: 'bin', op: 'cat', a, b: this.additive() };
    void noGt;
    return a;
  }

  additive(): Node {
    let a = this.mult();
    while (this.isOp('+') || this.isOp('-')) {
      const op = (this.peek() as { v: string }).v;
      this.i++;
      a = { k: 'bin', op, a, b: this.mult() };
    }
    return a;
  }

  mult(): Node {
    let a = this.unary();
    while (this.isOp('*') || this.isOp('/') || this.isOp('%')) {
      const op = (this.peek() as { v: string }).v;
      this.i++;
      a = { k: 'bin', op, a, b: this.unary() };
    }
    return a;
  }

  unary(): Node {
    if (this.isOp('!')) {
      this.i++;
      return { k: 'un', op: '!', e: this.unary() };
    }
    if (this.isOp('-') || this.isOp('+')) {
      const op = (this.peek() as { v: string }).v;
      this.i++;
      return { k: 'un', op, e: this.unary() };
    }
    return this.power();
  }

  power(): Node {
    const a = this.postfix();
    if (this.isOp('^')) {
      this.i++;
      return { k: 'bin', op: '^', a, b: this.unary() };
    }
    return a;
  }

  postfix(): Node {
    if (this.isOp('++') || this.isOp('--')) {
      const op = (this.peek() as { v: string }).v;
      this.i++;
      return { k: 'incr', op, pre: true, lv: this.primary() };
    }
    const e = this.primary();
    if ((this.isOp('++') || this.isOp('--')) && (e.k === 'var' || e.k === 'idx' || e.k === 'field')) {
      const op = (this.peek() as { v: string }).v;
      this.i++;
      return { k: 'incr', op, pre: false, lv: e };
    }
    return e;
  }

  primary(): Node {
    const t = this.peek();
    this.i++;
    if (t.t === 'num') return { k: 'num', v: t.v };
    if (t.t === 'str') return { k: 'str', v: t.v };
    if (t.t === 're') return { k: 're', v: t.v };
    if (t.t === 'op' && t.v === '$') return { k: 'field', e: this.primaryIncr() };
    if (t.t === 'op' && t.v === '(') {
      const e = this.expr();
      this.eat(')');
      return { k: 'group', e };
    }
    if (t.t === 'id') {
      if (this.isOp('(')) {
        this.i++;
        const args: Node[] = [];
        if (!this.isOp(')')) {
          args.push(this.expr());
          while (this.isOp(',')) {
            this.i++;
            args.push(this.expr());
          }
        }
        this.eat(')');
        return { k: 'call', name: t.v, args };
      }
      if (t.v === 'length') return { k: 'call', name: 'length', args: [] };
      if (this.isOp('[')) {
        this.i++;
        const key = [this.expr()];
        while (this.isOp(',')) {
          this.i++;
          key.push(this.expr());
        }
        this.eat(']');
        return { k: 'idx', name: t.v, key };
      }
      return { k: 'var', name: t.v };
    }
    throw new AwkError(`syntax error at source line 1 near ${'v' in t ? String(t.v) : t.t}`);
  }

  private primaryIncr(): Node {
    if (this.isOp('++') || this.isOp('--')) return this.postfix();
    if (this.isOp('-')) {
      this.i++;
      return { k: 'un', op: '-', e: this.primary() };
    }
    return this.primary();
  }
}

/** Parse an awk program into its items. */
export function parseAwk(src: string): Item[] {
  return new Parser(lex(src)).program();
}
