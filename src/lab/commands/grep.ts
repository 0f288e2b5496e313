/**
 * grep / egrep / fgrep: -q -v -i -e -E -F -c -n -l -L -o -w -x -h -H -s -r -Z and context (-A -B -C).
 */
import type { CommandFn } from '../node/command.js';
import { parseOpts, has, val, lines } from './util.js';
import { posixRegExp } from './regex.js';
import { errText } from '../fs/memfs.js';

/** The options the lab's grep implements (the others are refused). */
const SHORT = 'qviyEFchHlLnorRswxZ';
/** GNU grep 2.6.3's other short options (grep --help on EL6): the lab refuses them by name. */
const GNU_ONLY = 'abdDGIPTUuVz';
const LONG = [
  'extended-regexp',
  'fixed-strings',
  'ignore-case',
  'invert-match',
  'quiet',
  'silent',
  'no-messages',
  'null',
];

const grep: CommandFn = (ctx) => {
  const name = ctx.argv[0].split('/').pop()!;
  const o = parseOpts(ctx.argv.slice(1), ['e', 'f', 'A', 'B', 'C', 'm', 'regexp', 'file', 'max-count']);
  // NOTE: an option the lab does not read is refused as GNU grep 2.6.3 (EL6) refuses an unknown one
  // (glibc getopt's message, then grep's usage, exit 2), never ignored: an option GNU grep has but
  // the lab lacks (-P, -z, --color...) is refused the same way, naming it.
  for (const f of o.flags) {
    const known = f.length === 1 ? SHORT.includes(f) : LONG.includes(f);
    if (known) continue;
    if (f.length === 1 && GNU_ONLY.includes(f)) {
      ctx.err(`${name}: -${f}: this option of GNU grep is not implemented by the lab\n`);
      return 2;
    }
    ctx.err(
      `${name}: ${f.length === 1 ? `invalid option -- '${f}'` : `unrecognized option '--${f}'`}\n` +
        `Usage: ${name} [OPTION]... PATTERN [FILE]...\nTry \`${name} --help' for more information.\n`,
    );
    return 2;
  }
  const fs = ctx.node.fs;
  const pats = [...(o.values.get('e') ?? []), ...(o.values.get('regexp') ?? [])];
  for (const f of o.values.get('f') ?? []) pats.push(...lines(fs.readText(ctx.sh.resolve(f))));
  const args = [...o.args];
  if (!pats.length) {
    if (!args.length) {
      ctx.err(`Usage: grep [OPTION]... PATTERN [FILE]...\nTry \`grep --help' for more information.\n`);
      return 2;
    }
    pats.push(...args.shift()!.split('\n'));
  }
  const extended = name === 'egrep' || has(o, 'E', 'extended-regexp');
  const fixed = name === 'fgrep' || has(o, 'F', 'fixed-strings');
  let res: RegExp[];
  try {
    res = pats.map((p) =>
      posixRegExp(p, { extended, fixed, icase: has(o, 'i', 'y', 'ignore-case'), word: has(o, 'w'), line: has(o, 'x') }),
    );
  } catch (e) {
    ctx.err(`grep: ${(e as Error).message}\n`);
    return 2;
  }
  const invert = has(o, 'v', 'invert-match');
  const quiet = has(o, 'q', 'quiet', 'silent');
  const after = Number(val(o, 'A') ?? val(o, 'C') ?? 0);
  const before = Number(val(o, 'B') ?? val(o, 'C') ?? 0);
  const max = val(o, 'm', 'max-count');
  let code = 1;
  let errors = false;
  const inputs: { name: string; text: string }[] = [];
  const addFile = (f: string) => {
    const p = ctx.sh.resolve(f);
    const st = fs.stat(p);
    if (st?.type === 'dir') {
      if (has(o, 'r', 'R')) for (const n of fs.readdir(p)) addFile(`${f.replace(/\/$/, '')}/${n}`);
      else if (!has(o, 's')) ctx.err(`grep: ${f}: Is a directory\n`);
      return;
    }
    try {
      inputs.push({ name: f, text: fs.readFile(p).toString('utf8') });
    } catch (e) {
      errors = true;
      if (!has(o, 's', 'no-messages')) ctx.err(`grep: ${f}: ${errText(e)}\n`);
    }
  };
  if (!args.length) inputs.push({ name: '(standard input)', text: ctx.stdin });
  else
    for (const f of args) {
      if (f === '-') inputs.push({ name: '(standard input)', text: ctx.stdin });
      else addFile(f);
    }
  const prefixName = (has(o, 'H') || inputs.length > 1 || has(o, 'r', 'R')) && !has(o, 'h');
  // NOTE: -Z/--null (GNU grep 2.6.3 src/main.c print_filename/print_sep, `filename_mask`): a NUL
  // instead of the character that follows a file name (`:`, `-`, or the newline of -l/-L).
  const nul = has(o, 'Z', 'null');
  const named = (n: string, sep: string) => n + (nul ? '\0' : sep);
  let out = '';
  for (const inp of inputs) {
    const ls = lines(inp.text);
    const hit = ls.map((l) => res.some((r) => r.test(l)) !== invert);
    let count = 0;
    let lastPrinted = -1;
    const pre = (i: number, sep: string) =>
      (prefixName ? named(inp.name, sep) : '') + (has(o, 'n') ? `${i + 1}${sep}` : '');
    for (let i = 0; i < ls.length; i++) {
      if (!hit[i]) continue;
      if (max !== undefined && count >= Number(max)) break;
      count++;
      if (quiet || has(o, 'c', 'l', 'L')) continue;
      const from = Math.max(0, i - before, lastPrinted + 1);
      if ((before || after) && lastPrinted >= 0 && from > lastPrinted + 1) out += '--\n';
      for (let j = from; j < i; j++) out += pre(j, '-') + ls[j] + '\n';
      if (has(o, 'o') && !invert) {
        for (const r of res)
          for (const m of ls[i].matchAll(new RegExp(r.source, r.flags + 'g')))
            if (m[0]) out += pre(i, ':') + m[0] + '\n';
      } else out += pre(i, ':') + ls[i] + '\n';
      lastPrinted = i;
      let k = i + 1;
      for (; k < ls.length && k <= i + after; k++) {
        if (hit[k]) break;
        out += pre(k, '-') + ls[k] + '\n';
        lastPrinted = k;
      }
    }
    if (count) code = 0;
    if (has(o, 'c')) out += (prefixName ? named(inp.name, ':') : '') + count + '\n';
    if (has(o, 'l') && count) out += named(inp.name, '\n');
    if (has(o, 'L') && !count) out += named(inp.name, '\n');
    if (quiet && count) break;
  }
  ctx.out(out);
  if (quiet && code === 0) return 0;
  return errors ? 2 : code;
};

/** grep and friends. */
export const GREP_COMMANDS: Record<string, CommandFn> = { grep, egrep: grep, fgrep: grep };
