/**
 * Gates: points where the operator acts (cable pulls, fence tests, a reboot by hand). Interactive:
 * print the instructions, confirm every checklist item. `--yes`: stop there (exit 0) unless
 * `--accept-gates`; the `resume` that follows a stop counts as the operator's confirmation.
 */
import type { Prompter, Task } from './types.js';
import type { Plan } from '../plan/derive.js';

/** How a gate ended for one node. */
export type GateOutcome =
  | { result: 'confirmed'; summary: string }
  | { result: 'accepted'; summary: string }
  | { result: 'stop'; reason: string };

/** How the gate is being met. */
export interface GateMode {
  /** `--yes`: nobody can be asked. */
  yes: boolean;
  /** `--accept-gates`: record the gate as skipped instead of stopping. */
  acceptGates: boolean;
  /** This gate stopped the previous run and the operator resumed: they did what it asked. */
  resumedAfterStop: boolean;
  /**
   * The gate is a test the tool can run itself (`gate.drive`): a resume is no evidence that it passed,
   * so under `--yes` it is recorded as not run, and interactively its checklist is asked again.
   */
  test?: boolean;
}

/** The instructions and checklist as plain text, for output and prompts. */
export function gateText(task: Task, p: Plan): { instruct: string; checklist: string[] } {
  return { instruct: task.gate?.instruct(p) ?? task.title, checklist: task.gate?.checklist?.(p) ?? [] };
}

/** Meet a gate on one node (`label`: node name or `local`). */
export async function meetGate(
  task: Task,
  p: Plan,
  label: string,
  prompt: Prompter,
  mode: GateMode,
): Promise<GateOutcome> {
  const { instruct, checklist } = gateText(task, p);
  if (mode.resumedAfterStop && !mode.test)
    return { result: 'confirmed', summary: 'operator resumed the run after the gate stop' };
  // NOTE: a test is never recorded as passed on a resume alone (issue 16 point 4): nobody saw it pass.
  if (mode.resumedAfterStop && mode.yes)
    return { result: 'accepted', summary: 'not run: the run was resumed under --yes; no evidence the test passed' };
  if (mode.yes) {
    if (mode.acceptGates)
      return { result: 'accepted', summary: 'not run: passed over with --accept-gates (nobody did or confirmed it)' };
    return { result: 'stop', reason: 'needs the operator (--yes given)' };
  }
  const items = checklist.length ? checklist : ['Done as instructed?'];
  const header = `${label}: operator action needed — ${task.title}\n${instruct}\n`;
  for (const [i, item] of items.entries()) {
    const ok = await prompt.confirm(`${i === 0 ? header : ''}[${i + 1}/${items.length}] ${item}`, false);
    if (!ok) return { result: 'stop', reason: `not confirmed: ${item}` };
  }
  return { result: 'confirmed', summary: `operator confirmed ${items.length} item${items.length === 1 ? '' : 's'}` };
}

/** The line printed when a run stops at a gate. */
export function gateStopMessage(step: string, task: string, stateDir: string): string {
  return `operator action needed: ${step}/${task} — run \`anvil-install resume --state ${stateDir}\` after doing it`;
}
