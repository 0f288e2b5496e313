/**
 * Bash's shell arithmetic (`$(( ))`), as bash 4.1's expr.c evaluates it: integers only (no floating
 * point: `7/2` is 3, division truncates toward zero, `%` takes the sign of the dividend), the operators
 * of the bash manual's "Shell Arithmetic" in its precedence order, variables read as integers (a
 * variable holding an expression is evaluated in turn; unset or empty is 0), assignments and `++`/`--`.
 * Numbers: decimal, `0x` hex, leading-zero octal, `base#digits`. Errors carry bash's words, printed by
 * the shell as `bash: EXPR: MESSAGE (error token is "TOKEN")`. Not modelled: 64-bit wraparound.
 */

/** An arithmetic error; bash 4.1 `evalerror()`: the expression, the message and the error token. */
export class ArithError extends Error {
  constructor(
    public readonly expr: string,
    public readonly msg: string,
    public readonly token: string,
  ) {
    // NOTE: expr.c evalerror() skips the expression's leading blanks, not its trailing ones.
    super(`${expr.trimStart()}: ${msg} (error token is "${token}")`);
  }
}

/** Variables as the evaluator sees them. */
export interface ArithVars {
  get(name: string): string | undefined;
  set(name: string, value: string): void;
}

type Tok = { t: 'num'; v: bigint; s: string } | { t: 'id'; v: string } | { t: 'op'; v: string } | { t: 'end' };

// NOTE: longest operators first (bash's expr.c readtok reads two/three-character operators first).
const OPS = [
  '<<=',
  '>>=',
  '**',
  '++',
  '--',
  '<<',
  '>>',
  '<=',
  '>=',
  '==',
  '!=',
  '&&',
  '||',
  '*=',
  '/=',
  '%=',
  '+=',
  '-=',
  '&=',
  '^=',
  '|=',
  '+',
  '-',
  '*',
  '/',
  '%',
  '<',
  '>',
  '!',
  '~',
  '&',
  '^',
  '|',
  '?',
  ':',
  '=',
  '(',
  ')',
  ',',
];

const MAX_RECURSION = 64;

/** Evaluate an arithmetic expression; returns the integer as text. Throws ArithError. */
export function evalArith(src: string, vars: ArithVars, depth = 0): string {
  return String(new Evaluator(src, vars, depth).run());
}

class Evaluator {
  private pos = 0;
  private tok: Tok = { t: 'end' };
  /** Start of the current token: the error token is the text from here on, as bash prints it. */
  private tokStart = 0;
  /** Evaluation is off in the short-circuited branch of && || ?: (bash's `noeval`). */
  private noeval = 0;

  constructor(
    private readonly src: string,
    private readonly vars: ArithVars,
    private readonly depth: number,
  ) {}

  run(): bigint {
    if (this.depth > MAX_RECURSION) this.fail('expression recursion level exceeded');
    this.next();
    if (this.tok.t === 'end') return 0n;
    const v = this.comma();
    if (this.cur().t !== 'end') this.fail('syntax error in expression');
    return v;
  }

  /** The error token is the text from `at` (default: the last token read, expr.c's `lasttp`) on. */
  private fail(msg: string, at = this.tokStart): never {
    throw new ArithError(this.src, msg, this.src.slice(at));
  }

  private next(): void {
    const s = this.src;
    while (this.pos < s.length && /\s/.test(s[this.pos])) this.pos++;
    if (this.pos >= s.length) {
      // NOTE: at the end, expr.c readtok() leaves lasttp on the last token read.
      this.tok = { t: 'end' };
      return;
    }
    this.tokStart = this.pos;
    const rest = s.slice(this.pos);
    const num = /^[0-9][0-9A-Za-z_@#]*/.exec(rest);
    if (num) {
      this.pos += num[0].length;
      this.tok = { t: 'num', v: this.parseNumber(num[0]), s: num[0] };
      return;
    }
    const id = /^\$?([A-Za-z_][A-Za-z0-9_]*)/.exec(rest);
    if (id) {
      this.pos += id[0].length;
      this.tok = { t: 'id', v: id[1] };
      return;
    }
    const op = OPS.find((o) => rest.startsWith(o));
    if (!op) this.fail('syntax error: invalid arithmetic operator');
    this.pos += op.length;
    this.tok = { t: 'op', v: op };
  }

  /** bash 4.1 expr.c strlong(): 0x hex, leading-0 octal, base#n (bases 2-64), else decimal. */
  private parseNumber(text: string): bigint {
    let base = 10;
    let digits = text;
    const hash = text.indexOf('#');
    if (hash >= 0) {
      base = Number(text.slice(0, hash));
      digits = text.slice(hash + 1);
      if (!/^\d+$/.test(text.slice(0, hash)) || base < 2 || base > 64)
        throw new ArithError(this.src, 'invalid arithmetic base', text);
    } else if (/^0[xX]/.test(text)) {
      base = 16;
      digits = text.slice(2);
    } else if (text.length > 1 && text[0] === '0') {
      base = 8;
      digits = text.slice(1);
    }
    let v = 0n;
    for (const c of digits) {
      let d: number;
      if (c >= '0' && c <= '9') d = c.charCodeAt(0) - 48;
      else if (c >= 'a' && c <= 'z') d = c.charCodeAt(0) - 97 + 10;
      else if (c >= 'A' && c <= 'Z') d = c.charCodeAt(0) - 65 + (base <= 36 ? 10 : 36);
      else if (c === '@') d = 62;
      else if (c === '_') d = 63;
      else d = 99;
      if (d >= base) throw new ArithError(this.src, 'value too great for base', text);
      v = v * BigInt(base) + BigInt(d);
    }
    return v;
  }

  /** The current token (a method, so that TypeScript does not narrow it across next()). */
  private cur(): Tok {
    return this.tok;
  }

  private isOp(v: string): boolean {
    return this.tok.t === 'op' && this.tok.v === v;
  }

  /** The value of a variable: empty or unset is 0; otherwise its text is itself an expression. */
  private varValue(name: string): bigint {
    const v = this.vars.get(name);
    if (v === undefined || v.trim() === '') return 0n;
    if (/^\s*-?\d+\s*$/.test(v) && !/^\s*-?0\d/.test(v)) return BigInt(v.trim());
    return BigInt(evalArith(v, this.vars, this.depth + 1));
  }

  private assign(name: string, v: bigint): bigint {
    if (!this.noeval) this.vars.set(name, String(v));
    return v;
  }

  private comma(): bigint {
    let v = this.assignment();
    while (this.isOp(',')) {
      this.next();
      v = this.assignment();
    }
    return v;
  }

  private assignment(): bigint {
    if (this.tok.t === 'id') {
      // NOTE: look ahead for an assignment operator after the name.
      const save = { pos: this.pos, tok: this.tok, start: this.tokStart };
      const name = this.tok.v;
      this.next();
      const t = this.cur();
      if (t.t === 'op' && ['=', '*=', '/=', '%=', '+=', '-=', '<<=', '>>=', '&=', '^=', '|='].includes(t.v)) {
        this.next();
        const rhs = this.assignment();
        if (t.v === '=') return this.assign(name, rhs);
        return this.assign(name, this.binary(t.v.slice(0, -1), this.varValue(name), rhs));
      }
      this.pos = save.pos;
      this.tok = save.tok;
      this.tokStart = save.start;
    }
    return this.conditional();
  }

  private conditional(): bigint {
    const c = this.logor();
    if (!this.isOp('?')) return c;
    this.next();
    if (c === 0n) this.noeval++;
    const a = this.comma();
    if (c === 0n) this.noeval--;
    if (!this.isOp(':')) this.fail("`:' expected for conditional expression");
    this.next();
    if (c !== 0n) this.noeval++;
    const b = this.conditional();
    if (c !== 0n) this.noeval--;
    return c !== 0n ? a : b;
  }

  private logor(): bigint {
    let v = this.logand();
    while (this.isOp('||')) {
      this.next();
      if (v !== 0n) this.noeval++;
      const r = this.logand();
      if (v !== 0n) this.noeval--;
      v = v !== 0n || r !== 0n ? 1n : 0n;
    }
    return v;
  }

  private logand(): bigint {
    let v = this.level(0);
    while (this.isOp('&&')) {
      this.next();
      if (v === 0n) this.noeval++;
      const r = this.level(0);
      if (v === 0n) this.noeval--;
      v = v !== 0n && r !== 0n ? 1n : 0n;
    }
    return v;
  }

  /** Binary levels from `|` down to `* / %` (bash manual, "Shell Arithmetic", lowest first). */
  private static readonly LEVELS = [
    ['|'],
    ['^'],
    ['&'],
    ['==', '!='],
    ['<=', '>=', '<', '>'],
    ['<<', '>>'],
    ['+', '-'],
    ['*', '/', '%'],
  ];

  private level(i: number): bigint {
    if (i === Evaluator.LEVELS.length) return this.power();
    let v = this.level(i + 1);
    while (this.tok.t === 'op' && Evaluator.LEVELS[i].includes(this.tok.v)) {
      const op = this.tok.v;
      this.next();
      const rhsStart = this.tokStart;
      v = this.binary(op, v, this.level(i + 1), rhsStart);
    }
    return v;
  }

  private power(): bigint {
    const b = this.unary();
    if (!this.isOp('**')) return b;
    this.next();
    const e = this.power();
    if (e < 0n) this.fail('exponent less than 0');
    return b ** e;
  }

  private unary(): bigint {
    const t = this.tok;
    if (t.t === 'op') {
      if (t.v === '-' || t.v === '+' || t.v === '!' || t.v === '~') {
        this.next();
        const v = this.unary();
        return t.v === '-' ? -v : t.v === '+' ? v : t.v === '!' ? (v === 0n ? 1n : 0n) : -v - 1n;
      }
      if (t.v === '++' || t.v === '--') {
        this.next();
        if (this.tok.t !== 'id') this.fail('syntax error: operand expected');
        const name = this.tok.v;
        this.next();
        return this.assign(name, this.varValue(name) + (t.v === '++' ? 1n : -1n));
      }
    }
    return this.postfix();
  }

  private postfix(): bigint {
    const t = this.tok;
    if (t.t === 'num') {
      this.next();
      return t.v;
    }
    if (t.t === 'id') {
      this.next();
      const v = this.noeval ? 0n : this.varValue(t.v);
      if (this.isOp('++') || this.isOp('--')) {
        const inc = this.isOp('++') ? 1n : -1n;
        this.next();
        this.assign(t.v, v + inc);
      }
      return v;
    }
    if (this.isOp('(')) {
      this.next();
      const v = this.comma();
      if (!this.isOp(')')) this.fail("missing `)'");
      this.next();
      return v;
    }
    this.fail('syntax error: operand expected');
  }

  private binary(op: string, a: bigint, b: bigint, rhsStart = this.tokStart): bigint {
    switch (op) {
      case '+':
        return a + b;
      case '-':
        return a - b;
      case '*':
        return a * b;
      case '/':
      case '%':
        if (b === 0n) {
          if (this.noeval) return 0n;
          this.fail('division by 0', rhsStart);
        }
        // NOTE: BigInt division truncates toward zero and % takes the dividend's sign, as C does.
        return op === '/' ? a / b : a % b;
      case '<<':
        return a << b;
      case '>>':
        return a >> b;
      case '<':
        return a < b ? 1n : 0n;
      case '>':
        return a > b ? 1n : 0n;
      case '<=':
        return a <= b ? 1n : 0n;
      case '>=':
        return a >= b ? 1n : 0n;
      case '==':
        return a === b ? 1n : 0n;
      case '!=':
        return a !== b ? 1n : 0n;
      case '&':
        return a & b;
      case '^':
        return a ^ b;
      case '|':
        return a | b;
    }
    this.fail('syntax error in expression');
  }
}
