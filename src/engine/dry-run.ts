/**
 * `install --check`: a live dry run. For each selected step, what it would do on the nodes as they
 * are now (the approval screen, whole) and, per task and node that would run, whether its verify
 * already passes (then the task would only confirm it). Reads only: file reads, `done` probes and
 * verifies; nothing is written on a node or in the checkpoint.
 */
import type { Prompter, Step, Task, TaskContext } from './types.js';
import type { StepPreview } from './step-preview.js';
import { AnvilError } from '../errors.js';
import { redact } from '../plan/derive.js';

/** A prompter for the dry run: a read-only probe or verify must never ask anything. */
export class NoQuestions implements Prompter {
  private refuse(message: string): never {
    throw new AnvilError(`install --check asks nothing, but a check asked: ${message.split('\n')[0]}`, 'this is a bug in the step: its probes and checks must not ask');
  }
  async confirm(message: string): Promise<boolean> {
    this.refuse(message);
  }
  async input(message: string): Promise<string> {
    this.refuse(message);
  }
  async select(message: string): Promise<string> {
    this.refuse(message);
  }
}

/** What the dry run found for one (task, node) that would run. */
export interface CheckedRun {
  task: string;
  key: string;
  /** `in place`: its verify passes now; `would change`: it fails (what it saw); `operator`: a gate. */
  state: 'in place' | 'would change' | 'operator';
  detail: string;
}

/** The dry run of one step. */
export interface StepCheck {
  step: Step;
  preview: StepPreview;
  runs: CheckedRun[];
}

/** Run the verify of a (task, node) read-only and say what it means for the dry run. */
export async function checkRun(task: Task, key: string, ctx: TaskContext, secrets: string[]): Promise<CheckedRun> {
  if (task.kind === 'gate') return { task: task.id, key, state: 'operator', detail: task.gate?.drive ? 'a test the tool would run (after asking)' : 'the operator would act and confirm' };
  if (!task.verify) return { task: task.id, key, state: 'would change', detail: 'no check declared: it would run' };
  try {
    const ev = await task.verify(ctx);
    return { task: task.id, key, state: 'in place', detail: redact(ev.summary, secrets) };
  } catch (e) {
    // NOTE: a check of a step whose earlier steps have not run yet may fail in any way: that is its answer.
    // NOTE: a VerifyFailed names the task and node; the line already does.
    const msg = ((e as Error)?.message ?? String(e)).replace(`${task.id} on ${key}: `, '');
    return { task: task.id, key, state: 'would change', detail: redact(msg, secrets) };
  }
}

/** The lines `install --check` prints for a step after its screen. */
export function checkLines(c: StepCheck): string[] {
  if (!c.runs.length) return ['  nothing to do: every task is done and unchanged'];
  return ['  checks now (read-only):', ...c.runs.map((r) => `    ${r.task} on ${r.key}: ${r.state} — ${r.detail}`)];
}

/** The closing line of a dry run. */
export function checkSummary(checks: StepCheck[]): string {
  const runs = checks.flatMap((c) => c.runs);
  const n = (s: CheckedRun['state']) => runs.filter((r) => r.state === s).length;
  const kept = checks.reduce((k, c) => k + c.preview.kept, 0);
  return `install --check: ${runs.length} task×node would run (${n('would change')} would change, ${n('in place')} already in place, ${n('operator')} operator tests); ${kept} done earlier and unchanged. Nothing was changed.`;
}
