/**
 * A `TaskContext` for running a task's `verify` on its own, outside a run (`anvil-install check`):
 * it can read the nodes but cannot ask, capture or write. Nothing here knows what a task checks.
 */
import type { Plan, PlanNode } from '../plan/derive.js';
import type { Transport } from '../remote/types.js';
import type { Journal } from '../state/journal.js';
import { AnvilError } from '../errors.js';
import { createNodeHandle } from './node-handle.js';
import type { NodeHandle, Prompter, TaskContext } from './types.js';

/** A verify tried something a read-only check refuses (a question, a write, a reconnect). */
export class NotReadOnly extends AnvilError {
  constructor(task: string, what: string) {
    super(
      `${task}: its verify ${what}; a check only reads, so this was refused`,
      'this is a bug in the step: a verify must only read the node',
    );
  }
}

/** A prompter that refuses every question: a verify must not ask. */
export function refusingPrompter(task: string): Prompter {
  const refuse = (message: string): never => {
    throw new NotReadOnly(task, `asked "${message.split('\n')[0]}"`);
  };
  return {
    confirm: async (message) => refuse(message),
    input: async (message) => refuse(message),
    select: async (message) => refuse(message),
  };
}

/** `h` with its writes and reconnects refused: reads and commands only. */
export function readOnlyHandle(h: NodeHandle, task: string): NodeHandle {
  return {
    plan: h.plan,
    exec: (cmd, opts) => h.exec(cmd, opts),
    sh: (cmd, opts) => h.sh(cmd, opts),
    readFile: (path) => h.readFile(path),
    writeFile: async (path) => {
      throw new NotReadOnly(task, `tried to write ${path}`);
    },
    waitForReconnect: async () => {
      throw new NotReadOnly(task, 'waited for a reconnect (a reboot or network restart)');
    },
  };
}

/** What a verify context is built from. */
export interface VerifyContextOptions {
  plan: Plan;
  /** The node the verify is for (node 1 for a `local` task, as a run does). */
  node: PlanNode;
  /** A connection per node name. */
  transports: Record<string, Transport>;
  /** Task id the verify belongs to. */
  task: string;
  /** What the journal names the commands by (e.g. `check:hosts.write`); default the task id. */
  journalTask?: string;
  journal?: Journal;
  /** Secret values masked in error messages. */
  secrets: string[];
  /** What earlier tasks captured (`state.captured`); read only. */
  captured: Record<string, unknown>;
  /** Per-command timeout, ms. */
  commandTimeoutMs?: number;
  /** Notes of the verify (already masked by the caller's output). */
  log?: (message: string) => void;
}

/** Build a read-only context: refusing prompter, `capture` ignored, writes refused. */
export function verifyContext(o: VerifyContextOptions): TaskContext {
  const handle = (n: PlanNode) =>
    readOnlyHandle(
      createNodeHandle({
        plan: n,
        transport: o.transports[n.name],
        journal: o.journal,
        task: o.journalTask ?? o.task,
        secrets: o.secrets,
        timeoutMs: o.commandTimeoutMs,
      }),
      o.task,
    );
  return {
    plan: o.plan,
    node: handle(o.node),
    peer: handle(o.plan.peerOf(o.node)),
    prompt: refusingPrompter(o.task),
    log: (m) => o.log?.(m),
    // NOTE: ignored, not refused: some verifies note what they read (gfs2.mkfs: the file system's
    // UUID) for later tasks; a check keeps the state file as the install left it.
    capture: () => undefined,
    captured: <T>(k: string) => o.captured[k] as T | undefined,
  };
}
