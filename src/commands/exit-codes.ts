/**
 * The process exit codes of `anvil-install`, one per way a run can end, so a wrapper or CI job can
 * tell a finished install from one that stopped, failed or was cut off. Shown in `--help` and the
 * README (`EXIT_CODES_TEXT`).
 */
import type { RunOutcome } from '../engine/runner.js';

/** Exit code per outcome. */
export const EXIT = {
  /** Every selected step is done (or, for other commands, the command did what it was asked). */
  ok: 0,
  /** A task failed, or the command could not do its work (answers, files, SSH). */
  failed: 1,
  /** Wrong usage: unknown option or command, missing argument, unknown step id. */
  usage: 2,
  /** Stopped at an operator gate: do what it asks, then `resume`. */
  gate: 3,
  /** Stopped before a step the install target cannot run (yet). */
  notExecutable: 4,
  /** The operator chose "abort". */
  aborted: 5,
  /** The run went to its end, but the operator skipped steps at their approval: those are not done. */
  skipped: 6,
  /** `check` found drift: a done task's verify no longer passes on a node. */
  drift: 7,
  /** A bug in anvil-install. */
  internal: 70,
  /** Interrupted (Ctrl-C, SIGTERM, or a question cancelled). */
  interrupted: 130,
} as const;

/** The exit code a run ends with. */
export function exitCodeFor(outcome: RunOutcome): number {
  switch (outcome) {
    case 'complete':
      return EXIT.ok;
    case 'gate':
      return EXIT.gate;
    case 'not-executable':
      return EXIT.notExecutable;
    case 'aborted':
      return EXIT.aborted;
    case 'skipped':
      return EXIT.skipped;
    case 'interrupted':
      return EXIT.interrupted;
    case 'failed':
      return EXIT.failed;
  }
}

/** The table printed by `--help` (install, resume and the program). */
export const EXIT_CODES_TEXT = `Exit codes:
  0    every selected step is done (other commands: success)
  1    a task failed, or the command could not do its work (message: ✖ and a hint)
  2    wrong usage: unknown option or command, missing argument, unknown step
  3    stopped at an operator gate: do what it asks, then \`anvil-install resume\`
  4    stopped before a step the install target cannot run yet
  5    aborted by the operator (nothing of the step asked about ran)
  6    ran to the end, but steps skipped at their approval are not done; \`resume\` asks again
  7    \`check\`: drift found (a done task no longer verifies on a node)
  70   internal error (a bug: re-run with ANVIL_DEBUG=1 and report it)
  130  interrupted (Ctrl-C / SIGTERM, or a question cancelled); \`resume\` carries on`;
