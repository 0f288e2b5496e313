/**
 * test / [ : file tests, string and integer comparisons, !, -a, -o, parentheses.
 */
import type { ShellCtx, ShellProgram } from '../shell/interp.js';

class TestError extends Error {}

function evaluate(ctx: ShellCtx, args: string[]): boolean {
  const fs = ctx.node.fs;
  let i = 0;
  const peek = () => args[i];
  const unary = (op: string, a: string): boolean => {
    const p = ctx.sh.resolve(a);
    const st = () => fs.stat(p);
    switch (op) {
      case '-e':
      case '-a':
        return !!st();
      case '-f':
        return st()?.type === 'file' && !st()!.device;
      case '-d':
        return st()?.type === 'dir';
      case '-b':
        return st()?.device === 'block';
      case '-c':
        return st()?.device === 'char';
      case '-L':
      case '-h':
        return fs.lstat(p)?.type === 'link';
      case '-r':
      case '-w':
        return !!st();
      case '-x':
        return !!st() && (st()!.type === 'dir' || !!(st()!.mode & 0o111));
      case '-s':
        return (st()?.size ?? 0) > 0;
      case '-z':
        return a === '';
      case '-n':
        return a !== '';
      case '-t':
        return false;
    }
    throw new TestError(`${op}: unary operator expected`);
  };
  const int = (s: string) => {
    if (!/^\s*-?\d+\s*$/.test(s)) throw new TestError(`${s}: integer expression expected`);
    return Number(s);
  };
  const binary = (a: string, op: string, b: string): boolean => {
    switch (op) {
      case '=':
      case '==':
        return a === b;
      case '!=':
        return a !== b;
      case '<':
        return a < b;
      case '>':
        return a > b;
      case '-eq':
        return int(a) === int(b);
      case '-ne':
        return int(a) !== int(b);
      case '-lt':
        return int(a) < int(b);
      case '-le':
        return int(a) <= int(b);
      case '-gt':
        return int(a) > int(b);
      case '-ge':
        return int(a) >= int(b);
      case '-nt':
        return (fs.stat(ctx.sh.resolve(a))?.mtimeMs ?? -1) > (fs.stat(ctx.sh.resolve(b))?.mtimeMs ?? -1);
      case '-ot':
        return (fs.stat(ctx.sh.resolve(a))?.mtimeMs ?? -1) < (fs.stat(ctx.sh.resolve(b))?.mtimeMs ?? -1);
    }
    throw new TestError(`${op}: binary operator expected`);
  };
  const BIN = new Set(['=', '==', '!=', '<', '>', '-eq', '-ne', '-lt', '-le', '-gt', '-ge', '-nt', '-ot']);
  const primary = (): boolean => {
    const a = args[i];
    if (a === undefined) throw new TestError('argument expected');
    if (a === '!' && i + 1 < args.length) {
      i++;
      return !primary();
    }
    if (a === '(') {
      i++;
      const v = or();
      if (args[i] !== ')') throw new TestError("`)' expected");
      i++;
      return v;
    }
    if (i + 2 < args.length + 0 && BIN.has(args[i + 1])) {
      i += 3;
      return binary(a, args[i - 2], args[i - 1]);
    }
    if (/^-[a-zA-Z]$/.test(a) && i + 1 < args.length) {
      i += 2;
      return unary(a, args[i - 1]);
    }
    i++;
    return a !== '';
  };
  const and = (): boolean => {
    let v = primary();
    while (peek() === '-a') {
      i++;
      v = primary() && v;
    }
    return v;
  };
  const or = (): boolean => {
    let v = and();
    while (peek() === '-o') {
      i++;
      v = and() || v;
    }
    return v;
  };
  if (!args.length) return false;
  const v = or();
  if (i < args.length) throw new TestError('too many arguments');
  return v;
}

/** test EXPR / [ EXPR ] */
export const test: ShellProgram = (ctx) => {
  let args = ctx.argv.slice(1);
  const name = ctx.argv[0];
  if (name === '[') {
    if (args[args.length - 1] !== ']') {
      ctx.err(`${ctx.sh.name}: [: missing \`]'\n`);
      return 2;
    }
    args = args.slice(0, -1);
  }
  try {
    return evaluate(ctx, args) ? 0 : 1;
  } catch (e) {
    ctx.err(`${ctx.sh.name}: ${name === '[' ? '[' : 'test'}: ${(e as Error).message}\n`);
    return 2;
  }
};
