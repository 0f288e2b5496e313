/**
 * What a lab program gets: the shell's invocation of it, on a lab node. The shell knows its host only
 * as a `ShellHost`; a node hands its shells the programs it runs, so `ctx.node` is always that node.
 */
import type { ShellCtx } from '../shell/interp.js';
import type { LabNode } from './node.js';

/** One command invocation on a lab node. */
export interface CmdCtx extends ShellCtx {
  /** The node the command runs on. */
  node: LabNode;
}

/** A lab program's implementation; returns the exit code. */
export type CommandFn = (ctx: CmdCtx) => number | Promise<number>;
