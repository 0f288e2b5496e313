/**
 * POSIX regular expressions (basic and extended) translated to JavaScript RegExp, for grep, sed and awk.
 */

const CLASSES: Record<string, string> = {
  alpha: 'A-Za-z',
  digit: '0-9',
  alnum: 'A-Za-z0-9',
  upper: 'A-Z',
  lower: 'a-z',
  space: ' \\t\\n\\r\\f\\v',
  blank: ' \\t',
  punct: '!-\\/:-@\\[-`{-~',
  xdigit: '0-9A-Fa-f',
  print: ' -~',
  graph: '!-~',
  cntrl: '\\x00-\\x1f\\x7f',
};

/** Translate a bracket expression starting at `i` ('['); returns [js, next index]. */
function bracket(re: string, i: number): [string, number] {
  let j = i + 1;
  let out = '[';
  if (re[j] === '^') {
    out += '^';
    j++;
  }
  if (re[j] === ']') {
    out += '\\]';
    j++;
  }
  while (j < re.length && re[j] !== ']') {
    const m = /^\[:(\w+):\]/.exec(re.slice(j));
    if (m) {
      out += CLASSES[m[1]] ?? '';
      j += m[0].length;
      continue;
    }
    const c = re[j];
    out += c === '\\' || c === '[' ? '\\' + c : c;
    j++;
  }
  if (j >= re.length) throw new Error('Unmatched [ or [^');
  return [out + ']', j + 1];
}

/** Translate a POSIX BRE (`extended` false) or ERE into a JavaScript RegExp source. */
export function posixToJs(re: string, extended: boolean): string {
  let out = '';
  for (let i = 0; i < re.length; i++) {
    const c = re[i];
    if (c === '[') {
      const [b, next] = bracket(re, i);
      out += b;
      i = next - 1;
      continue;
    }
    if (c === '\\') {
      const n = re[i + 1];
      i++;
      if (n === undefined) {
        out += '\\\\';
        break;
      }
      if (!extended && '(){}|+?'.includes(n)) out += n;
      else if (n === '<' || n === '>') out += '\\b';
      else if ('wWsSbB'.includes(n) || /\d/.test(n)) out += '\\' + n;
      else if (n === 'n') out += '\\n';
      else if (n === 't') out += '\\t';
      else out += '\\' + n.replace(/[^A-Za-z0-9]/, (x) => x).replace(/^[A-Za-z0-9]$/, (x) => x);
      continue;
    }
    if (!extended && '(){}|+?'.includes(c)) {
      out += '\\' + c;
      continue;
    }
    if (
      c === '*' &&
      (i === 0 || (!extended && re[i - 1] === '(' && re[i - 2] === '\\') || (out.endsWith('^') && i === 1))
    ) {
      out += '\\*';
      continue;
    }
    if (c === '/') {
      out += '\\/';
      continue;
    }
    out += c;
  }
  return out;
}

/** Build a RegExp from a POSIX pattern (throws on invalid patterns). */
export function posixRegExp(
  re: string,
  opts: { extended?: boolean; icase?: boolean; global?: boolean; fixed?: boolean; word?: boolean; line?: boolean } = {},
): RegExp {
  let src = opts.fixed ? re.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&') : posixToJs(re, !!opts.extended);
  if (opts.word) src = `(?<![A-Za-z0-9_])(?:${src})(?![A-Za-z0-9_])`;
  if (opts.line) src = `^(?:${src})$`;
  return new RegExp(src, (opts.icase ? 'i' : '') + (opts.global ? 'g' : ''));
}
