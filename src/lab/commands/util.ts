/**
 * Helpers shared by the command implementations: option parsing, reading inputs, path resolution.
 */
import type { CmdCtx } from '../node/command.js';
import { errText } from '../fs/memfs.js';

/** Parsed command line: flags seen (short and long), option values, operands. */
export interface Parsed {
  flags: Set<string>;
  values: Map<string, string[]>;
  args: string[];
}

/**
 * getopt-style parsing. `withValue` lists options that take an argument (e.g. ['n', 'e', 'f', 'output']).
 * Short flags may be combined (-av); `--` ends options; a lone `-` is an operand.
 */
export function parseOpts(argv: string[], withValue: string[] = []): Parsed {
  const flags = new Set<string>();
  const values = new Map<string, string[]>();
  const args: string[] = [];
  const put = (k: string, v: string) => values.set(k, [...(values.get(k) ?? []), v]);
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--') {
      args.push(...argv.slice(i + 1));
      break;
    }
    if (a.startsWith('--') && a.length > 2) {
      const eq = a.indexOf('=');
      const name = eq > 0 ? a.slice(2, eq) : a.slice(2);
      if (eq > 0) put(name, a.slice(eq + 1));
      else if (withValue.includes(name)) put(name, argv[++i] ?? '');
      else flags.add(name);
      continue;
    }
    if (a.startsWith('-') && a.length > 1 && !/^-\d+$/.test(a)) {
      for (let j = 1; j < a.length; j++) {
        const c = a[j];
        if (withValue.includes(c)) {
          put(c, j + 1 < a.length ? a.slice(j + 1) : (argv[++i] ?? ''));
          break;
        }
        flags.add(c);
      }
      continue;
    }
    args.push(a);
  }
  return { flags, values, args };
}

/** Last value of an option. */
export function val(p: Parsed, ...names: string[]): string | undefined {
  for (const n of names) {
    const v = p.values.get(n);
    if (v?.length) return v[v.length - 1];
  }
  return undefined;
}

/** Whether any of the flags is set. */
export function has(p: Parsed, ...names: string[]): boolean {
  return names.some((n) => p.flags.has(n));
}

/** Read the operand files (or stdin for none / "-"); reports errors as `cmd: file: reason`. */
export function readInputs(
  ctx: CmdCtx,
  files: string[],
  name = ctx.argv[0],
): { texts: { name: string; text: string }[]; code: number } {
  if (!files.length) return { texts: [{ name: '-', text: ctx.stdin }], code: 0 };
  const texts: { name: string; text: string }[] = [];
  let code = 0;
  for (const f of files) {
    if (f === '-') {
      texts.push({ name: '-', text: ctx.stdin });
      continue;
    }
    try {
      const p = ctx.sh.resolve(f);
      const st = ctx.node.fs.stat(p);
      if (st?.type === 'dir') {
        ctx.err(`${name}: ${f}: Is a directory\n`);
        code = 1;
        continue;
      }
      texts.push({ name: f, text: ctx.node.fs.readFile(p).toString('utf8') });
    } catch (e) {
      ctx.err(`${name}: ${f}: ${errText(e)}\n`);
      code = 1;
    }
  }
  return { texts, code };
}

/** Split text into lines without the trailing empty piece. */
export function lines(text: string): string[] {
  if (text === '') return [];
  const l = text.split('\n');
  if (l[l.length - 1] === '') l.pop();
  return l;
}

/** Human size as `ls -h` / `df -h` print it (1K, 4.0K, 1.2M). */
export function human(n: number): string {
  const units = ['', 'K', 'M', 'G', 'T'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < units.length - 1) {
    v /= 1024;
    i++;
  }
  if (i === 0) return String(n);
  return (v < 10 ? (Math.ceil(v * 10) / 10).toFixed(1) : String(Math.ceil(v))) + units[i];
}
