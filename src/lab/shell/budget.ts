/**
 * What one command line may cost the lab. The shell is a single-threaded interpreter sharing the
 * event loop with both nodes' SSH servers, the control port and the process's signal handlers: a
 * `while true` must not freeze them. So every step (a command, a list item, a loop turn) is counted,
 * the interpreter yields to the event loop every few hundred steps, a cancelled command (its SSH
 * channel closed) stops at its next step, and a command that runs past its budget is killed.
 */
import { HaltSignal } from './types.js';

/** Steps between two yields to the event loop. */
export const YIELD_EVERY = 256;
/** Steps one command line may take (commands, list items, loop turns; builtins count one). */
export const MAX_STEPS = 1_000_000;
/** Depth of nested shell function calls and scripts, as bash's FUNCNEST would set it. */
export const MAX_DEPTH = 1000;

/** The command ran past its budget (a runaway loop): killed, like a process the kernel kills. */
export class BudgetExceeded extends HaltSignal {
  constructor(readonly steps: number) {
    super(`command killed after ${steps} steps (the lab's budget per command)`);
  }
}

/** The command's SSH channel closed: it stops, as a process does on SIGHUP. */
export class Cancelled extends HaltSignal {
  constructor() {
    super('cancelled: the channel closed');
  }
}

const nextTurn = () => new Promise<void>((r) => setImmediate(r));

/** The budget of one command line, shared by every subshell, pipeline stage and script it starts. */
export class RunBudget {
  steps = 0;
  /** Current function/script nesting. */
  depth = 0;
  constructor(readonly opts: { maxSteps?: number; yieldEvery?: number; signal?: AbortSignal } = {}) {}

  /** Count one step; yield to the event loop now and then; stop when cancelled or over budget. */
  async tick(): Promise<void> {
    this.steps++;
    if (this.opts.signal?.aborted) throw new Cancelled();
    if (this.steps > (this.opts.maxSteps ?? MAX_STEPS)) throw new BudgetExceeded(this.steps - 1);
    if (this.steps % (this.opts.yieldEvery ?? YIELD_EVERY) === 0) {
      await nextTurn();
      if (this.opts.signal?.aborted) throw new Cancelled();
    }
  }
}
