/**
 * The signals that unwind a running shell (exit, return, break/continue, a node that halts, a
 * discarded line). What a command receives is `ShellCtx` (interp.ts) and, on a lab node, `CmdCtx`
 * (node/command.ts).
 */

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
