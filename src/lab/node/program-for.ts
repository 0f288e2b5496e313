/**
 * What runs when a node executes a file: a stub binary (`\x7fELF lab:<name>`, a package's program),
 * an init script (its service's actions), a script with another #! interpreter, or a shell script.
 */
import type { NodeFs } from '../fs/node-fs.js';
import type { MaybePromise, ActionResult } from './init-script.js';
import { INIT_D } from './rc.js';
import { BIN_MAGIC, type ShellProgram } from '../shell/interp.js';
import { dirname, basename } from '../fs/path.js';

/** What of a node this needs (LabNode; not imported, so that node.ts and this file do not import each other). */
export interface ProgramHost {
  fs: Pick<NodeFs, 'realpath' | 'readFile' | 'exists'>;
  world: { program(impl: string): ShellProgram | undefined };
  runService(name: string, action: string | undefined, args: string[], script: string): MaybePromise<ActionResult>;
  programFor(path: string): ShellProgram | undefined;
}

/** The implementation behind the executable file at `path` on `node` (undefined: no such file). */
export function programFor(node: ProgramHost, path: string): ShellProgram | undefined {
  let real: string;
  try {
    real = node.fs.realpath(path);
  } catch {
    return undefined;
  }
  if (dirname(real) === INIT_D) {
    const name = basename(real);
    return async (ctx) => {
      const r = await node.runService(name, ctx.argv[1], ctx.argv.slice(2), ctx.argv[0]);
      ctx.out(r.out);
      return r.code;
    };
  }
  const data = node.fs.readFile(real);
  const head = data.subarray(0, 64).toString('latin1');
  if (head.startsWith(BIN_MAGIC)) {
    const impl = head.slice(BIN_MAGIC.length).split('\n')[0].trim();
    return (
      node.world.program(impl) ??
      ((ctx) => {
        ctx.err(`${basename(ctx.argv[0])}: this program is not simulated by the lab\n`);
        return 126;
      })
    );
  }
  // NOTE: the kernel runs a script through its #! interpreter (fs/binfmt_script.c); a shell script goes
  // to the lab's shell, any other interpreter to the program installed at that path, else bash's
  // "bad interpreter" error (126).
  const interp = /^#!\s*(\S+)/.exec(head)?.[1];
  if (interp && !/(^|\/)(ba)?sh$/.test(interp)) {
    const prog = node.fs.exists(interp) ? node.programFor(interp) : undefined;
    if (!prog)
      return (ctx) => {
        ctx.err(`bash: ${ctx.argv[0]}: ${interp}: bad interpreter: No such file or directory\n`);
        return 126;
      };
    return (ctx) => prog({ ...ctx, argv: [interp, real, ...ctx.argv.slice(1)] });
  }
  return async (ctx) => {
    const sh = ctx.sh.child(ctx.argv[0]);
    sh.positional = ctx.argv.slice(1);
    return sh.runScript(data.toString('utf8').replace(/^#![^\n]*\n/, ''), {
      stdin: ctx.stdin,
      out: ctx.out,
      err: ctx.err,
    });
  };
}
