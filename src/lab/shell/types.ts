/**
 * What commands receive, and what the shell needs from the node it runs on.
 */
import type { Shell } from './interp.js';
import type { LabNode } from '../node/node.js';

/** One command invocation. */
export interface CmdCtx {
  /** argv[0] is the command name as typed. */
  argv: string[];
  /** Everything on standard input (pipes are run stage by stage). */
  stdin: string;
  /** The shared stdin buffer; `read` consumes a line from it. */
  input?: { data: string };
  out(s: string): void;
  err(s: string): void;
  /** The shell running the command (cwd, variables, running nested command lines). */
  sh: Shell;
  /** The node the command runs on. */
  node: LabNode;
}

/** A command implementation; returns the exit code. */
export type CommandFn = (ctx: CmdCtx) => number | Promise<number>;

/** Thrown by `exit` (and by a shell that must stop); carries the exit code. */
export class ExitSignal {
  constructor(public readonly code: number) {}
}

/** Thrown when the node halts under the running shell (crash, power off): nothing more runs. */
export class HaltSignal {
  constructor(public readonly reason: string) {}
}

/** `return` from a function or sourced file. */
export class ReturnSignal {
  constructor(public readonly code: number) {}
}

/**
 * bash 4.1 `jump_to_top_level(DISCARD)` / `throw_to_top_level()`: an arithmetic error or a fatal
 * builtin argument error discards the rest of the command line (up to the next newline) in a
 * non-interactive shell, with status 1; the message has already been printed.
 */
export class LineAbort {
  constructor(public readonly code = 1) {}
}

/** `break N` / `continue N` (bash 4.1 builtins/break.def): leave or restart the Nth enclosing loop. */
export class LoopSignal {
  constructor(
    public readonly kind: 'break' | 'continue',
    public readonly n: number,
  ) {}
}
