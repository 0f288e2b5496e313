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
