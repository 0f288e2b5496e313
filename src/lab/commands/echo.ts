/**
 * echo, printf, true, false: bash builtins (also found as /bin/echo etc.).
 */
import type { ShellCtx, ShellProgram } from '../shell/interp.js';

/** Interpret backslash escapes as `echo -e` / printf %b do. Returns [text, stop] (stop at \c). */
export function backslashEscapes(s: string): [string, boolean] {
  let out = '';
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c !== '\\' || i === s.length - 1) {
      out += c;
      continue;
    }
    const n = s[++i];
    const map: Record<string, string> = {
      n: '\n',
      t: '\t',
      r: '\r',
      a: '\x07',
      b: '\b',
      f: '\f',
      v: '\v',
      e: '\x1b',
      '\\': '\\',
    };
    if (n in map) out += map[n];
    else if (n === 'c') return [out, true];
    else if (n === '0') {
      const m = /^[0-7]{0,3}/.exec(s.slice(i + 1))![0];
      i += m.length;
      out += String.fromCharCode(parseInt(m || '0', 8));
    } else if (n === 'x') {
      const m = /^[0-9a-fA-F]{0,2}/.exec(s.slice(i + 1))![0];
      i += m.length;
      out += m ? String.fromCharCode(parseInt(m, 16)) : '\\x';
    } else out += '\\' + n;
  }
  return [out, false];
}

/** echo [-neE] args... */
export const echo: ShellProgram = (ctx: ShellCtx) => {
  const args = ctx.argv.slice(1);
  let nl = true;
  let esc = false;
  while (args.length && /^-[neE]+$/.test(args[0])) {
    for (const f of args.shift()!.slice(1)) {
      if (f === 'n') nl = false;
      else if (f === 'e') esc = true;
      else esc = false;
    }
  }
  let text = args.join(' ');
  if (esc) {
    const [t, stop] = backslashEscapes(text);
    text = t;
    if (stop) nl = false;
  }
  ctx.out(text + (nl ? '\n' : ''));
  return 0;
};

function fmtOne(spec: string, conv: string, arg: string | undefined): string {
  const m = /^%([-+ 0#]*)(\d*)(?:\.(\d+))?$/.exec(spec)!;
  const flags = m[1];
  const width = Number(m[2] || 0);
  const prec = m[3] === undefined ? undefined : Number(m[3]);
  let s: string;
  switch (conv) {
    case 'd':
    case 'i': {
      const n =
        arg === undefined || arg === '' ? 0 : /^'./.test(arg) ? arg.charCodeAt(1) : Math.trunc(Number(arg)) || 0;
      s = String(Math.abs(n));
      if (prec !== undefined) s = s.padStart(prec, '0');
      s = (n < 0 ? '-' : flags.includes('+') ? '+' : flags.includes(' ') ? ' ' : '') + s;
      break;
    }
    case 'u':
      s = String(Math.abs(Math.trunc(Number(arg ?? 0)) || 0));
      break;
    case 'x':
    case 'X':
    case 'o': {
      const n = Math.trunc(Number(arg ?? 0)) || 0;
      s = n.toString(conv === 'o' ? 8 : 16);
      if (conv === 'X') s = s.toUpperCase();
      if (flags.includes('#') && n) s = (conv === 'o' ? '0' : conv === 'x' ? '0x' : '0X') + s;
      break;
    }
    case 'f':
    case 'e':
    case 'g': {
      const n = Number(arg ?? 0) || 0;
      s =
        conv === 'f'
          ? n.toFixed(prec ?? 6)
          : conv === 'e'
            ? n.toExponential(prec ?? 6).replace(/e([+-])(\d)$/, 'e$10$2')
            : String(n);
      break;
    }
    case 'c':
      s = (arg ?? '').slice(0, 1);
      break;
    case 'b':
      s = backslashEscapes(arg ?? '')[0];
      break;
    default:
      s = arg ?? '';
      if (prec !== undefined) s = s.slice(0, prec);
  }
  if (s.length < width) {
    if (flags.includes('-')) s = s.padEnd(width);
    else if (flags.includes('0') && /[dixXouf]/.test(conv)) {
      const sign = /^[+\- ]/.test(s) ? s[0] : '';
      s = sign + s.slice(sign.length).padStart(width - sign.length, '0');
    } else s = s.padStart(width);
  }
  return s;
}

/** printf FORMAT [ARGS...] (the format is reused while arguments remain). */
export const printf: ShellProgram = (ctx: ShellCtx) => {
  const args = ctx.argv.slice(1);
  if (args[0] === '--') args.shift();
  if (!args.length) {
    ctx.err('printf: usage: printf [-v var] format [arguments]\n');
    return 2;
  }
  const fmt = args.shift()!;
  let out = '';
  let first = true;
  while (first || args.length) {
    first = false;
    let consumed = false;
    for (let i = 0; i < fmt.length; i++) {
      const c = fmt[i];
      if (c === '\\') {
        const m = /^\\(0[0-7]{0,3}|[0-7]{1,3}|x[0-9a-fA-F]{1,2}|.)/.exec(fmt.slice(i))!;
        const tok = m[1];
        i += tok.length;
        if (/^[0-7]/.test(tok)) out += String.fromCharCode(parseInt(tok, 8));
        else out += backslashEscapes('\\' + tok)[0];
        continue;
      }
      if (c !== '%') {
        out += c;
        continue;
      }
      if (fmt[i + 1] === '%') {
        out += '%';
        i++;
        continue;
      }
      const m = /^(%[-+ 0#]*\d*(?:\.\d+)?)([diouxXfeEgGcsb])/.exec(fmt.slice(i));
      if (!m) {
        out += c;
        continue;
      }
      i += m[0].length - 1;
      consumed = true;
      out += fmtOne(m[1], m[2].toLowerCase() === 'e' ? 'e' : m[2], args.shift());
    }
    if (!consumed) break;
  }
  ctx.out(out);
  return 0;
};

/** true */
export const trueCmd: ShellProgram = () => 0;
/** false */
export const falseCmd: ShellProgram = () => 1;
