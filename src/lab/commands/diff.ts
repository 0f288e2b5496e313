/**
 * diff (GNU diffutils 2.8 formats): normal output, -u / -U N unified output with the file times, -q, cmp.
 */
import { structuredPatch } from 'diff';
import type { CmdCtx, CommandFn } from '../node/command.js';
import { parseOpts, has, val } from './util.js';
import { fullTime } from '../node/time.js';
import { errText } from '../fs/memfs.js';

function read(ctx: CmdCtx, f: string): { text: string; mtime: number } | string {
  if (f === '-') return { text: ctx.stdin, mtime: ctx.node.world.now() };
  const p = ctx.sh.resolve(f);
  try {
    const st = ctx.node.fs.stat(p);
    if (st?.type === 'dir') return `diff: ${f}: Is a directory`;
    return { text: ctx.node.fs.readText(p), mtime: st?.mtimeMs ?? 0 };
  } catch (e) {
    return `diff: ${f}: ${errText(e)}`;
  }
}

const range = (start: number, n: number) =>
  n === 1 ? `${start}` : `${n === 0 ? start - 1 : start},${n === 0 ? 0 : n}`;
const normRange = (start: number, n: number) => (n <= 1 ? `${start}` : `${start},${start + n - 1}`);

const diff: CommandFn = (ctx) => {
  const o = parseOpts(ctx.argv.slice(1), ['U', 'unified', 'L', 'label']);
  const [a, b] = o.args;
  if (!a || !b) {
    ctx.err(`diff: missing operand after \`${a ?? 'diff'}'\ndiff: Try \`diff --help' for more information.\n`);
    return 2;
  }
  const A = read(ctx, a);
  const B = read(ctx, b);
  if (typeof A === 'string' || typeof B === 'string') {
    ctx.err(`${typeof A === 'string' ? A : (B as string)}\n`);
    return 2;
  }
  if (A.text === B.text) return 0;
  if (has(o, 'q', 'brief')) {
    ctx.out(`Files ${a} and ${b} differ\n`);
    return 1;
  }
  const uni = val(o, 'U', 'unified') ?? (has(o, 'u') ? '3' : undefined);
  const labels = o.values.get('L') ?? o.values.get('label') ?? [];
  if (uni !== undefined) {
    const p = structuredPatch(a, b, A.text, B.text, '', '', { context: Number(uni) });
    let out = `--- ${labels[0] ?? `${a}\t${fullTime(A.mtime)}`}\n+++ ${labels[1] ?? `${b}\t${fullTime(B.mtime)}`}\n`;
    for (const h of p.hunks) {
      out += `@@ -${range(h.oldStart, h.oldLines)} +${range(h.newStart, h.newLines)} @@\n`;
      out += h.lines.map((l) => l + '\n').join('');
    }
    ctx.out(out);
    return 1;
  }
  const p = structuredPatch(a, b, A.text, B.text, '', '', { context: 0 });
  let out = '';
  for (const h of p.hunks) {
    const dels = h.lines.filter((l) => l.startsWith('-'));
    const adds = h.lines.filter((l) => l.startsWith('+'));
    if (dels.length && adds.length)
      out += `${normRange(h.oldStart, h.oldLines)}c${normRange(h.newStart, h.newLines)}\n`;
    else if (dels.length) out += `${normRange(h.oldStart, h.oldLines)}d${h.newStart - 1}\n`;
    else out += `${h.oldStart - 1}a${normRange(h.newStart, h.newLines)}\n`;
    out += dels.map((l) => '< ' + l.slice(1) + '\n').join('');
    if (dels.length && adds.length) out += '---\n';
    out += adds.map((l) => '> ' + l.slice(1) + '\n').join('');
  }
  ctx.out(out.replace(/^[<>] .*\n\\ No newline at end of file$/gm, (m) => m));
  return 1;
};

const cmp: CommandFn = (ctx) => {
  const o = parseOpts(ctx.argv.slice(1));
  const [a, b] = o.args;
  const A = read(ctx, a ?? '');
  const B = read(ctx, b ?? '-');
  if (typeof A === 'string' || typeof B === 'string') {
    ctx.err(`${(typeof A === 'string' ? A : (B as string)).replace(/^diff/, 'cmp')}\n`);
    return 2;
  }
  if (A.text === B.text) return 0;
  if (!has(o, 's')) {
    let i = 0;
    while (A.text[i] === B.text[i]) i++;
    const line = A.text.slice(0, i).split('\n').length;
    ctx.out(`${a} ${b} differ: byte ${i + 1}, line ${line}\n`);
  }
  return 1;
};

/** diff and cmp. */
export const DIFF_COMMANDS: Record<string, CommandFn> = { diff, cmp };
